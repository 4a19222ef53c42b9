// The check's dialogs: an adjustment (a discount by percent or amount on a line or the whole
// check, 서비스 of a line or part of it, a void), a refund (managers), and ending a visit —
// with the store's checkout on, a check with a balance is ended only by a manager, by force
// and with a reason. Every reason can be typed or picked from quick chips. A server's
// adjustment goes through a manager's PIN on the spot (pinpad.js withApproval).
import { h, $, won, icon, toast, confirmDialog, showFieldErrors, clearFieldErrors } from './ui.js';
import { t } from './i18n.js';
import { formDialog, fieldError } from './forms.js';

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
export async function endVisit({ api, can, table, detail = '' }) {
  const ok = await confirmDialog(t('dash.endConfirm', { n: table.number }), { ok: t('dash.endSession'), danger: true, detail });
  if (!ok) return null;
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

// An adjustment taken back (managers).
export const removeConfirm = (what) => confirmDialog(t('adj.removeConfirm', { what }), { ok: t('adj.remove'), danger: true });
