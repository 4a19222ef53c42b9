// The check's dialogs: an adjustment (a discount by percent or amount on a line or the whole
// check, 서비스 of a line or part of it, a void), a refund (managers), and ending a visit —
// with the store's checkout on, a check with a balance is ended only by a manager, by force
// and with a reason. Every reason can be typed or picked from quick chips. A server's
// adjustment goes through a manager's PIN on the spot (pinpad.js withApproval).
import { h, $, won, icon, toast, errorText, confirmDialog, showFieldErrors, clearFieldErrors } from './ui.js';
import { t } from './i18n.js';
import { formDialog, fieldError } from './forms.js';
import { pinDialog, approvalState } from './pinpad.js';

export const REASON_MAX = 100;
const DISCOUNT_PERCENTS = [5, 10, 20, 30, 50];
const DISCOUNT_AMOUNTS = [1000, 2000, 5000, 10000];
// Quick reasons per kind (i18n keys "reasons.<kind>" hold them, separated by "|").
const quickReasons = (kind) => t('reasons.' + kind).split('|').filter(Boolean);

// A reason: a text field and its quick chips (a chip fills the field; the field says which).
export function reasonField(kind, value = '') {
  const input = h('input', { name: 'reason', maxlength: REASON_MAX, autocomplete: 'off', value });
  const chips = quickReasons(kind).map((r) =>
    h('button.chip-btn', { type: 'button', 'data-action': 'reason-chip', onclick: () => ((input.value = r), mark(), input.dispatchEvent(new Event('input', { bubbles: true }))) }, r),
  );
  const mark = () => {
    for (const b of chips) b.setAttribute('aria-pressed', String(b.textContent === input.value.trim()));
  };
  // A reason given: what was said about its absence goes.
  input.addEventListener('input', () => {
    mark();
    const field = input.closest('.field');
    if (field) {
      field.classList.remove('invalid');
      for (const e of field.querySelectorAll('.field-error')) e.remove();
    }
  });
  mark();
  return h(
    'div.reason-field',
    h('label.field', h('span', t('adj.reason')), input),
    h('div.chip-row', { role: 'group', 'aria-labelledby': 'reason-chips-label' }, h('span#reason-chips-label.sr-only', t('adj.quickReasons')), ...chips),
  );
}

const readReason = (form, errs) => {
  const reason = form.elements.reason.value.trim();
  if (!reason) errs.reason = t('v.required');
  else if (reason.length > REASON_MAX) errs.reason = t('reason.maxChars', { n: REASON_MAX });
  return reason;
};
const wholeNumber = (raw) => (/^\d+$/.test(String(raw).trim()) ? Number(raw) : NaN);

// How much of a line is left to make 서비스 or void.
export const unitsLeft = (l) => l.quantity - l.voided_qty - l.comped_qty;

// The adjustment dialog. `line` null: a discount of the whole check. `send(body)` sends it
// (through a manager's approval when needed) and resolves with the new check, or null when the
// approval was cancelled (the dialog stays). Resolves with the check, or null.
export function adjustDialog({ line, check, send }) {
  return new Promise((resolve) => {
    const left = line ? unitsLeft(line) : 0;
    let kind = 'discount';
    let mode = 'percent';
    let qty = 1;
    let result = null;
    const base = line ? line.net : check.total; // what a discount can take off at most
    const error = h('p.form-error', { role: 'alert' });
    const variable = h('div.adj-variable');
    const reasonBox = h('div.adj-reason');
    let reasonText = '';
    const kindBtn = (k) =>
      h('button.seg-btn', { type: 'button', dataset: { kind: k }, disabled: k !== 'discount' && left < 1, onclick: () => setKind(k) }, icon(KIND_ICON[k]), t('adj.kind.' + k));
    const kinds = line ? h('div.seg.adj-kinds', { role: 'group', 'aria-label': t('adj.kind') }, ...['discount', 'comp', 'void'].map(kindBtn)) : null;
    const submit = h('button.primary', { type: 'submit', 'data-action': 'adjust-ok' });
    const form = h(
      'form.dialog-body.adj-form',
      { novalidate: true },
      h('header.dlg-head', h('h2#adj-title', line ? t('adj.titleLine', { name: line.name }) : t('adj.titleCheck')), h('span.spacer'), h('button.ghost.icon-btn', { type: 'button', 'aria-label': t('common.close'), onclick: () => dlg.close() }, icon('x'))),
      h(
        'p.muted.adj-about',
        line
          ? t('adj.aboutLine', { qty: line.quantity, price: won(line.unit_price), net: won(line.net), left })
          : t('adj.aboutCheck', { total: won(check.total), balance: won(check.balance) }),
      ),
      kinds,
      variable,
      reasonBox,
      error,
      h('div.actions', h('button', { type: 'button', onclick: () => dlg.close() }, t('common.cancel')), submit),
    );
    const dlg = h('dialog.dialog.adj-dialog', { 'aria-labelledby': 'adj-title' }, form);

    function setKind(k) {
      const input = form.elements.reason;
      if (input) reasonText = input.value;
      // A reason picked from the last kind's chips does not carry over.
      if (quickReasons(kind).includes(reasonText.trim())) reasonText = '';
      kind = k;
      draw();
    }
    function draw() {
      clearFieldErrors(form);
      if (kinds) for (const b of kinds.children) b.setAttribute('aria-pressed', String(b.dataset.kind === kind));
      variable.replaceChildren(kind === 'discount' ? discountPart() : qtyPart());
      reasonBox.replaceChildren(reasonField(kind, reasonText));
      submit.textContent = t('adj.ok.' + kind);
      submit.className = kind === 'void' ? 'danger' : 'primary';
    }
    function discountPart() {
      const modeBtn = (m) => h('button.seg-btn', { type: 'button', dataset: { mode: m }, 'aria-pressed': String(mode === m), onclick: () => ((mode = m), draw()) }, t('adj.mode.' + m));
      const quick = mode === 'percent' ? DISCOUNT_PERCENTS : DISCOUNT_AMOUNTS.filter((a) => a < base);
      const input = h('input', { name: mode, type: 'number', inputmode: 'numeric', min: 1, max: mode === 'percent' ? 100 : base, step: 1, autocomplete: 'off' });
      return h(
        'div.adj-discount',
        h('div.seg.adj-modes', { role: 'group', 'aria-label': t('adj.mode') }, modeBtn('percent'), modeBtn('amount')),
        h('label.field', h('span', mode === 'percent' ? t('adj.percent') : t('adj.amount')), h('span.num-unit', input, h('span', mode === 'percent' ? '%' : t('pay.won')))),
        h(
          'div.chip-row',
          { role: 'group', 'aria-label': t('adj.quick') },
          ...quick.map((v) =>
            h('button.chip-btn', { type: 'button', 'data-action': 'discount-chip', dataset: { value: v }, onclick: () => ((input.value = v), input.focus()) }, mode === 'percent' ? `${v}%` : won(v)),
          ),
        ),
      );
    }
    function qtyPart() {
      const out = h('output.adj-qty', { 'aria-live': 'polite' });
      const less = h('button.guest-step', { type: 'button', 'data-action': 'less', 'aria-label': t('adj.less'), onclick: () => setQty(qty - 1) }, icon('minus'));
      const more = h('button.guest-step', { type: 'button', 'data-action': 'more', 'aria-label': t('adj.more'), onclick: () => setQty(qty + 1) }, icon('plus'));
      function setQty(n) {
        qty = Math.min(left, Math.max(1, n));
        out.textContent = t('adj.qty', { n: qty, left });
        less.disabled = qty <= 1;
        more.disabled = qty >= left;
      }
      setQty(qty);
      const all = left > 1 ? h('button.chip-btn', { type: 'button', 'data-action': 'all-units', onclick: () => setQty(left) }, t('adj.all', { n: left })) : null;
      return h('div.adj-qty-box', h('p.adj-qty-help', t('adj.qtyHelp.' + kind)), h('div.guest-stepper', less, out, more), all ? h('div.chip-row', all) : null);
    }

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const errs = {};
      const body = { kind };
      if (line) body.order_item_id = line.order_item_id;
      if (kind === 'discount') {
        const v = wholeNumber(form.elements[mode].value);
        if (mode === 'percent' && !(v >= 1 && v <= 100)) errs.percent = t('reason.int', { min: 1, max: 100 });
        if (mode === 'amount' && !(v >= 1 && v <= base)) errs.amount = t('reason.int', { min: 1, max: base.toLocaleString() });
        body[mode] = v;
      } else body.quantity = qty;
      body.reason = readReason(form, errs);
      if (Object.keys(errs).length) return showFieldErrors(form, fieldError(errs));
      submit.disabled = true;
      try {
        result = await send(body);
        if (result) dlg.close();
      } catch (err) {
        showFieldErrors(form, err, { overrides: { conflict: t('adj.conflict'), validation_failed: t('adj.invalid') } });
      } finally {
        submit.disabled = false;
      }
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(result);
    });
    draw();
    document.body.append(dlg);
    dlg.showModal();
    $('input[name=percent], input[name=amount]', form)?.focus();
  });
}

export const KIND_ICON = { discount: 'percent', comp: 'gift', void: 'x' };

// A refund of a payment (managers): all that is left of it by default, or part; a reason.
export function refundDialog({ payment, send }) {
  const left = payment.amount - payment.refunded;
  return formDialog({
    title: t('refund.title'),
    submitText: t('refund.ok'),
    fields: [
      { type: 'custom', name: '_about', el: h('p.muted', t('refund.about', { method: t('pay.m.' + payment.method), amount: won(payment.amount), left: won(left) })), read: () => null },
      { name: 'amount', label: t('refund.amount'), type: 'number', min: 1, max: left, step: 1, value: left },
      { type: 'custom', name: '_reason', el: reasonField('refund'), read: () => null },
    ],
    submit: (v, form) => {
      const errs = {};
      const amount = wholeNumber(v.amount);
      if (!(amount >= 1 && amount <= left)) errs.amount = t('reason.int', { min: 1, max: left.toLocaleString() });
      const reason = readReason(form, errs);
      if (Object.keys(errs).length) throw fieldError(errs);
      return send({ reason, amount });
    },
  });
}

// Ends a table's visit ("이용 완료"), after a confirmation. With the store's checkout on, a
// check with a balance is refused (409 unpaid_balance): a manager may end it by force with a
// reason (audited); anyone else is told what is left to pay. Resolves with the box's answer
// (the ended session), or null when nothing ended.
//
// Orders still 대기중 or 준비중 are named first, with the choice to complete them all or to
// cancel them all before the visit ends (a server's cancel of one being prepared goes through
// a manager's PIN, asked once); nothing ends while one of them could not be settled.
export async function endVisit({ api, can, table, detail = '' }) {
  let open = [];
  try {
    const all = await api.get(`/api/v1/admin/orders?table_id=${encodeURIComponent(table.id)}`);
    open = all.filter((o) => o.table_id === table.id && UNFINISHED.includes(o.status)).sort((a, b) => a.id - b.id);
  } catch {
    /* unknown: the box still ends the visit as it is */
  }
  if (open.length) {
    const choice = await unfinishedDialog({ table, orders: open, detail });
    if (!choice) return null;
    if (!(await settle(api, open, choice))) return null;
  } else {
    const ok = await confirmDialog(t('dash.endConfirm', { n: table.number }), { ok: t('dash.endSession'), danger: true, detail });
    if (!ok) return null;
  }
  try {
    return await api.post(`/api/v1/admin/tables/${table.id}/end-session`, {});
  } catch (e) {
    if (e.code !== 'unpaid_balance') throw e;
    const balance = won(e.balance ?? 0);
    if (!can('manager')) {
      toast(`${t('end.unpaid', { n: table.number, balance })} ${t('end.unpaidServer')}`, 'error', 9000);
      return null;
    }
    return formDialog({
      title: t('end.forceTitle', { n: table.number }),
      submitText: t('end.force'),
      fields: [
        { type: 'custom', name: '_about', el: h('p.end-unpaid', { role: 'alert' }, icon('alert'), h('span', t('end.forceHelp', { balance }))), read: () => null },
        { type: 'custom', name: '_reason', el: reasonField('forceEnd'), read: () => null },
      ],
      submit: (v, form) => {
        const errs = {};
        const reason = readReason(form, errs);
        if (Object.keys(errs).length) throw fieldError(errs);
        return api.post(`/api/v1/admin/tables/${table.id}/end-session`, { force: true, reason });
      },
    });
  }
}

const UNFINISHED = ['pending', 'preparing'];

// The confirm when orders are not finished: each named (number, lines, status), and three ways
// on — back, cancel them all and end, complete them all and end. Resolves 'complete', 'cancel'
// or null.
function unfinishedDialog({ table, orders, detail }) {
  return new Promise((resolve) => {
    const dlg = h(
      'dialog.dialog.end-dialog',
      { 'aria-labelledby': 'end-title' },
      h(
        'form.dialog-body',
        { method: 'dialog' },
        h('h2#end-title.confirm-text', t('dash.endConfirm', { n: table.number })),
        h('p.end-unfinished', { role: 'alert' }, icon('alert'), h('span', t('end.unfinished', { n: orders.length }))),
        h(
          'ul.end-orders',
          ...orders.map((o) =>
            h(
              'li',
              { dataset: { orderId: o.id, status: o.status } },
              h('strong', `#${o.order_no}`),
              h('span.end-lines', o.items.map((i) => `${i.name} × ${i.quantity}`).join(', ')),
              h('span.status', { class: 'st-' + o.status }, t('status.' + o.status)),
            ),
          ),
        ),
        detail ? h('p.muted', detail) : null,
        h(
          'div.actions.end-actions',
          h('button', { type: 'submit', value: 'back' }, t('end.back')),
          h('button.danger', { type: 'submit', value: 'cancel', 'data-action': 'end-cancel-all' }, t('end.cancelAll')),
          h('button.primary', { type: 'submit', value: 'complete', 'data-action': 'end-complete-all' }, t('end.completeAll')),
        ),
      ),
    );
    dlg.addEventListener('close', () => {
      dlg.remove();
      const v = dlg.returnValue;
      resolve(v === 'complete' || v === 'cancel' ? v : null);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

// Completes (대기중 → 준비중 → 완료) or cancels every unfinished order; one the box changed
// meanwhile counts as settled once it is finished. Resolves true when all are.
async function settle(api, orders, choice) {
  let pin; // a manager's PIN, asked once for every cancel that needs it
  for (const o of orders) {
    try {
      if (choice === 'complete') {
        let cur = o;
        while (cur.status === 'pending' || cur.status === 'preparing') {
          cur = await api.patch(`/api/v1/admin/orders/${o.id}`, { status: cur.status === 'pending' ? 'preparing' : 'completed' });
        }
      } else {
        try {
          await api.del(`/api/v1/admin/orders/${o.id}`, pin ? { body: { approval_pin: pin } } : {});
        } catch (e) {
          if (approvalState(e) !== 'required' || pin) throw e;
          const done = await pinDialog({
            title: t('approve.title'),
            help: t('approve.cancelHelp', { n: o.order_no, table: o.table_number }),
            submitKey: 'approve.ok',
            submit: async (p) => {
              try {
                const r = await api.del(`/api/v1/admin/orders/${o.id}`, { body: { approval_pin: p } });
                pin = p;
                return r;
              } catch (err) {
                if (approvalState(err)) throw new Error(t('approve.wrong'));
                throw new Error(errorText(err));
              }
            },
          });
          if (!done) return false;
        }
      }
    } catch (e) {
      // Finished meanwhile (another screen, the kitchen's bump): settled all the same.
      const now = await api.get(`/api/v1/admin/orders?table_id=${encodeURIComponent(o.table_id)}`).catch(() => null);
      const same = now && now.find((x) => x.id === o.id);
      if (now && (!same || !UNFINISHED.includes(same.status))) continue;
      toast(t('end.stepFailed', { n: o.order_no, error: errorText(e, { conflict: t('err.transition') }) }), 'error', 8000);
      return false;
    }
  }
  return true;
}

// An adjustment taken back (managers).
export const removeConfirm = (what) => confirmDialog(t('adj.removeConfirm', { what }), { ok: t('adj.remove'), danger: true });
