// Dashboard: a table's check (계산), opened from its dialog or from a bill request — every
// line at the price it was ordered at with what was voided, made 서비스 or discounted, the
// check's adjustments, its totals, the payments taken (a manager refunds), splitting and taking
// payments (check-pay.js), printing the bill or the receipt, and ending the visit. Adjusting
// asks a server for a manager's PIN on the spot (check-dialogs.js). The box computes every
// figure; check_changed and the order events keep the screen current.
import { h, $, won, hm, icon, toast, errorText, optionsLine } from './ui.js';
import { t } from './i18n.js';
import { withApproval } from './pinpad.js';
import { guestsText } from './guests.js';
import { adjustDialog, refundDialog, endVisit, removeConfirm, unitsLeft, KIND_ICON } from './check-dialogs.js';
import { METHOD_ICON, splitQuery, paidLines, splitSection, paySection, resultBox, takePayment, resetPay } from './check-pay.js';

// ctx: {api, state, can(level), settings(), onEnded(answer, tableId)}
export function checkScreen({ api, state, can, settings, onEnded }) {
  const dlg = () => $('#check-dialog');
  let cur = null; // the check on screen and what is being done with it
  let seq = 0;
  let timer = null;

  const fresh = (tb) => ({
    tableId: tb.id,
    tableNumber: tb.number,
    sessionId: tb.session.id,
    check: null,
    error: null,
    ended: false,
    split: { kind: 'none', parts: 2, items: new Set() },
    pay: { method: 'cash', amount: '', tendered: '', reference: '' },
    busy: false,
    result: null,
    payError: '',
    printError: '',
  });

  // What check-pay.js works with.
  const ck = {
    get cur() {
      return cur;
    },
    api,
    render: () => render(),
    reload: () => load(),
    setSplit(patch) {
      cur.split = { ...cur.split, ...patch };
      cur.pay.amount = '';
      cur.result = null;
      render();
      load();
    },
    setMethod(m) {
      cur.pay.method = m;
      cur.payError = '';
      render();
    },
    pay: (extra) => takePayment(ck, extra),
  };

  // Opens the check of a table's open visit (the one on screen stays as it was: its split).
  function open(tableId) {
    const tb = state.tables.find((x) => x.id === tableId);
    if (!tb || !tb.session) return toast(t('dash.noSession'), 'error');
    if (!cur || cur.sessionId !== tb.session.id) cur = fresh(tb);
    cur.tableNumber = tb.number;
    cur.result = null;
    cur.printError = '';
    render();
    const d = dlg();
    if (!d.open) d.showModal();
    load();
  }

  async function load() {
    if (!cur) return;
    const mine = ++seq;
    const c = cur;
    try {
      const check = await api.get(`/api/v1/admin/sessions/${c.sessionId}/check${splitQuery(c)}`);
      if (mine !== seq || c !== cur) return;
      c.check = check;
      c.error = null;
      c.tableNumber = check.table_number;
      if (check.ended) c.ended = true;
      const paid = paidLines(check);
      for (const id of c.split.items) if (paid.has(id)) c.split.items.delete(id);
    } catch (e) {
      if (mine !== seq || c !== cur) return;
      c.error = e;
    }
    render();
  }
  const reloadSoon = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 120);
  };

  // Stream events (staff.js): this check changed, its orders changed, or its visit ended.
  function onEvent(type, d) {
    if (!cur || !dlg().open || !d) return;
    // A party moved or merged, or the stream missed something: read the check again.
    if (type === 'table_changed' || type === 'resync') return reloadSoon();
    const mine = d.session_id === cur.sessionId || (d.session && d.session.id === cur.sessionId);
    if (!mine) return;
    if (type === 'session_ended') {
      cur.ended = true;
      render();
    }
    reloadSoon();
  }

  // ---------- drawing ----------

  // Drawing again keeps the field being typed in, and its caret.
  function render() {
    const d = dlg();
    if (!cur || !d) return;
    const a = document.activeElement;
    const name = a && d.contains(a) ? a.getAttribute('name') || (a.dataset && a.dataset.action ? `@${a.dataset.action}:${a.dataset.method || a.dataset.split || a.dataset.tendered || ''}` : null) : null;
    const caret = name && a.selectionStart != null ? [a.selectionStart, a.selectionEnd] : null;
    d.replaceChildren(body());
    if (!name) return;
    const again = name.startsWith('@')
      ? [...d.querySelectorAll(`[data-action="${name.slice(1).split(':')[0]}"]`)].find((x) => `@${x.dataset.action}:${x.dataset.method || x.dataset.split || x.dataset.tendered || ''}` === name)
      : d.querySelector(`[name="${name}"]`);
    if (again && !again.disabled) {
      again.focus({ preventScroll: true });
      if (caret && again.setSelectionRange) {
        try {
          again.setSelectionRange(...caret);
        } catch {
          /* number fields have no caret */
        }
      }
    }
  }

  function body() {
    const c = cur.check;
    const head = h(
      'header.ck-head',
      h('h2#check-title', icon('receipt'), t('check.title', { n: cur.tableNumber })),
      c && c.guests ? h('span.muted.ck-guests', icon('users'), guestsText(c.guests)) : null,
      c ? h('span.muted', t('check.orders', { n: c.orders.filter((o) => o.status !== 'cancelled').length })) : null,
      h('span.spacer'),
      h('button.ghost.icon-btn', { type: 'button', 'aria-label': t('common.close'), 'data-action': 'close-check', onclick: () => dlg().close() }, icon('x')),
    );
    if (!c) return h('div.ck', head, cur.error ? h('p.form-error', { role: 'alert' }, errorText(cur.error)) : h('p.empty', t('common.loading')));
    return h(
      'div.ck',
      { dataset: { sessionId: cur.sessionId, balance: c.balance, ended: String(cur.ended) } },
      head,
      cur.ended ? h('p.ck-ended', { role: 'status' }, icon('check'), t(c.balance === 0 ? 'check.endedPaid' : 'check.ended')) : null,
      cur.error ? h('p.form-error', { role: 'alert' }, errorText(cur.error)) : null,
      h(
        'div.ck-body',
        h('section.ck-main', linesBox(c), adjustmentsBox(c), paymentsBox(c)),
        h('aside.ck-side', { 'aria-label': t('check.side') }, totals(c), resultBox(ck), splitSection(ck), paySection(ck), actions(c)),
      ),
    );
  }

  function linesBox(c) {
    const pick = cur.split.kind === 'items' && !cur.ended && c.balance > 0;
    const paid = paidLines(c);
    const lines = [...c.lines.filter((l) => !l.cancelled), ...c.lines.filter((l) => l.cancelled)];
    return h(
      'section.ck-box.ck-lines-box',
      { 'aria-labelledby': 'ck-lines-h' },
      h(
        'div.ck-sec-head',
        h('h3#ck-lines-h', t('check.lines')),
        h('span.spacer'),
        !cur.ended && c.total > 0
          ? h('button.small', { type: 'button', 'data-action': 'discount-check', onclick: () => adjust(null) }, icon('percent'), t('check.discountAll'))
          : null,
      ),
      pick ? h('p.ck-hint', t('split.pickHelp')) : null,
      lines.length ? h('ul.ck-lines', ...lines.map((l) => lineRow(l, pick, paid))) : h('p.empty', t('dash.noOrders')),
    );
  }

  function lineRow(l, pick, paid) {
    const isPaid = paid.has(l.order_item_id);
    const chips = [];
    if (l.cancelled) chips.push(h('span.ck-chip.gone', t('check.cancelledOrder')));
    if (l.comped_qty) chips.push(h('span.ck-chip.comp', icon('gift'), t('check.compQty', { n: l.comped_qty })));
    if (l.voided_qty) chips.push(h('span.ck-chip.void', icon('x'), t('check.voidQty', { n: l.voided_qty })));
    if (l.discount && !l.cancelled) chips.push(h('span.ck-chip.disc', icon('percent'), t('check.lineDiscount', { amount: won(l.discount) })));
    if (isPaid) chips.push(h('span.ck-chip.paid', icon('check'), t('check.linePaid')));
    const changed = !l.cancelled && l.net !== l.amount;
    const info = h(
      'span.ck-linfo',
      h('span.ck-lname', h('strong', l.name), optionsLine((l.options || []).map((o) => o.name))),
      h('span.ck-lmeta.muted', h('span.num', `#${l.order_no}`), h('span.num', `${l.quantity} × ${won(l.unit_price)}`), ...chips),
    );
    const amount = h('span.ck-amt', changed ? [h('s.muted.num', won(l.amount)), h('strong.num', won(l.net))] : h('strong.num', won(l.amount)));
    const cls = (l.cancelled ? 'cancelled ' : '') + (isPaid ? 'paid ' : '') + (l.net === 0 && !l.cancelled ? 'zero' : '');
    const data = { orderItemId: l.order_item_id, net: l.net };
    if (pick && !l.cancelled) {
      const box = h('input', {
        type: 'checkbox',
        checked: cur.split.items.has(l.order_item_id),
        disabled: isPaid || l.net <= 0,
        onchange: (e) => toggleLine(l, e.target.checked),
      });
      return h('li.ck-line.picking', { class: cls, dataset: data }, h('label.ck-pick', box, info, amount));
    }
    const canAdjust = !cur.ended && !l.cancelled && (l.net > 0 || unitsLeft(l) > 0);
    return h(
      'li.ck-line',
      { class: cls, dataset: data },
      info,
      amount,
      canAdjust
        ? h('button.small.ck-adj-btn', { type: 'button', 'data-action': 'adjust-line', 'aria-label': t('check.adjustLine', { name: l.name }), title: t('check.adjustHint'), onclick: () => adjust(l) }, icon('options'), h('span.ck-adj-label', t('check.adjust')))
        : h('span.ck-adj-gap'),
    );
  }

  function toggleLine(l, on) {
    const items = new Set(cur.split.items);
    if (on) items.add(l.order_item_id);
    else items.delete(l.order_item_id);
    ck.setSplit({ items });
  }

  const kindName = (a) => (a.kind === 'discount' && a.percent ? t('check.kind.discountPct', { p: a.percent }) : t('check.kind.' + a.kind));

  function adjustmentsBox(c) {
    if (!c.adjustments.length) return null;
    const manager = can('manager') && !cur.ended;
    return h(
      'section.ck-box',
      { 'aria-labelledby': 'ck-adj-h' },
      h('h3#ck-adj-h', t('check.adjustments')),
      h(
        'ul.ck-adjs',
        ...c.adjustments.map((a) => {
          const line = c.lines.find((l) => l.order_item_id === a.order_item_id);
          const what = line ? (a.quantity ? t('check.lineQty', { name: line.name, n: a.quantity }) : line.name) : t('check.wholeCheck');
          const who = a.approver_name ? t('check.approvedBy', { who: a.staff_name || '', approver: a.approver_name }) : a.staff_name || '';
          return h(
            'li.ck-adj',
            { dataset: { adjustmentId: a.id, kind: a.kind } },
            h('span.kind-chip', { class: 'kind-' + a.kind }, icon(KIND_ICON[a.kind]), kindName(a)),
            h('span.ck-adj-what', h('strong', what), h('small', t('audit.reason', { reason: a.reason })), h('small.muted', `${hm(a.at)} · ${who}`)),
            h('strong.num', won(-a.amount)),
            manager
              ? h('button.small.ghost.icon-btn', { type: 'button', 'data-action': 'remove-adjustment', 'aria-label': t('adj.removeOf', { what: kindName(a) }), title: t('adj.remove'), onclick: () => removeAdjustment(a, `${kindName(a)} · ${what}`) }, icon('trash'))
              : null,
          );
        }),
      ),
    );
  }

  function paymentsBox(c) {
    if (!c.payments.length) return null;
    const manager = can('manager');
    return h(
      'section.ck-box',
      { 'aria-labelledby': 'ck-pays-h' },
      h('h3#ck-pays-h', t('check.payments')),
      h(
        'ul.ck-pays',
        ...c.payments.map((p) => {
          const details = [];
          if (p.tendered != null) details.push(t('check.tenderedChange', { tendered: won(p.tendered), change: won(p.change) }));
          if (p.reference) details.push(p.method === 'card' ? t('check.approvalNo', { ref: p.reference }) : p.reference);
          if (p.split_parts) details.push(t('check.onePart', { n: p.split_parts }));
          if (p.split_items && p.split_items.length) details.push(t('check.forLines', { n: p.split_items.length }));
          const left = p.amount - p.refunded;
          return h(
            'li.ck-pay-row',
            { dataset: { paymentId: p.id, method: p.method } },
            h('span.ck-pay-method', icon(METHOD_ICON[p.method] || 'coins'), h('strong', t('pay.m.' + p.method))),
            h('span.ck-pay-what', details.length ? h('small', details.join(' · ')) : null, h('small.muted', `${hm(p.at)} · ${p.staff_name || ''}`), p.refunded ? h('span.ck-chip.void', icon('undo'), t('check.refunded', { amount: won(p.refunded) })) : null),
            h('strong.num', won(p.amount)),
            manager && left > 0
              ? h('button.small', { type: 'button', 'data-action': 'refund', onclick: () => refund(p) }, icon('undo'), t('refund.button'))
              : h('span'),
          );
        }),
      ),
    );
  }

  function totals(c) {
    const row = (key, v, cls = '') => h('div.ck-trow', { class: cls, dataset: { total: key } }, h('dt', t('check.t.' + key)), h('dd.num', won(v)));
    return h(
      'dl.ck-totals',
      row('subtotal', c.subtotal),
      c.discounts ? row('discounts', -c.discounts, 'minus') : null,
      c.comps ? row('comps', -c.comps, 'minus') : null,
      c.voids ? row('voids', -c.voids, 'minus') : null,
      row('total', c.total, 'ck-total'),
      c.paid ? row('paid', c.paid) : null,
      c.refunded ? row('refunded', c.refunded) : null,
      row('balance', c.balance, 'ck-balance' + (c.balance === 0 ? ' zero' : '')),
    );
  }

  function actions(c) {
    const s = settings() || {};
    return h(
      'div.ck-actions',
      h(
        'div.ck-print',
        h('button', { type: 'button', 'data-action': 'print-bill', onclick: (e) => print('bill', e.currentTarget) }, icon('print'), t('check.printBill')),
        h('button', { type: 'button', 'data-action': 'print-receipt', disabled: !c.payments.length, onclick: (e) => print('receipt', e.currentTarget) }, icon('receipt'), t('check.printReceipt')),
      ),
      cur.printError ? h('p.ck-print-error', { role: 'alert' }, icon('alert'), h('span', cur.printError)) : null,
      cur.ended
        ? h('button.big', { type: 'button', 'data-action': 'close-check', onclick: () => dlg().close() }, t('common.close'))
        : h(
            'div.ck-end',
            s.checkout === 'on' && c.balance > 0 ? h('small.muted', t('check.checkoutOn')) : null,
            h('button.danger', { type: 'button', 'data-action': 'end-visit', onclick: endIt }, t('dash.endSession')),
          ),
    );
  }

  // ---------- actions ----------

  async function adjust(line) {
    const c = cur.check;
    const what = (kind) => t('adj.kind.' + kind);
    const done = await adjustDialog({
      line,
      check: c,
      send: (body) =>
        withApproval({
          help: t('approve.adjHelp', { what: what(body.kind) }),
          submitKey: 'approve.go',
          errText: (e) => errorText(e, { conflict: t('adj.conflict') }),
          send: (pin) => api.post(`/api/v1/admin/sessions/${cur.sessionId}/adjustments`, pin ? { ...body, approval_pin: pin } : body),
        }),
    });
    if (!done) return;
    cur.check = { ...done, split: cur.check.split };
    toast(t('adj.done'), 'ok');
    render();
    load();
  }

  async function removeAdjustment(a, what) {
    if (!(await removeConfirm(what))) return;
    try {
      cur.check = { ...(await api.del(`/api/v1/admin/adjustments/${a.id}`)), split: cur.check.split };
    } catch (e) {
      toast(errorText(e), 'error');
    }
    load();
  }

  async function refund(p) {
    const done = await refundDialog({ payment: p, send: (body) => api.post(`/api/v1/admin/payments/${p.id}/refund`, body) });
    if (!done) return;
    toast(t('refund.done', { amount: won(done.payments.find((x) => x.id === p.id)?.refunded ?? 0) }), 'ok');
    load();
  }

  // The bill (계산서) or the receipt (영수증) on the receipt printer; a box without one says so.
  async function print(kind, btn) {
    btn.disabled = true;
    cur.printError = '';
    try {
      await api.post(`/api/v1/admin/sessions/${cur.sessionId}/print-bill`, { kind });
      toast(t('check.printing.' + kind), 'ok');
    } catch (e) {
      if (e.status === 409) cur.printError = t('check.noPrinter');
      else toast(errorText(e), 'error');
    }
    render();
  }

  async function endIt() {
    const c = cur.check;
    try {
      const r = await endVisit({
        api,
        can,
        table: { id: cur.tableId, number: cur.tableNumber },
        detail: c.balance > 0 ? t('check.endDetailUnpaid', { balance: won(c.balance) }) : t('check.endDetailPaid', { total: won(c.total) }),
      });
      if (!r) return;
      cur.ended = true;
      onEnded(r, cur.tableId);
      dlg().close();
      toast(t('dash.ended', { n: cur.tableNumber }), 'ok');
    } catch (e) {
      toast(errorText(e, { conflict: t('dash.noSession'), not_found: t('dash.noSession') }), 'error');
      load();
    }
  }

  function closed() {
    if (!cur) return;
    cur.result = null;
    resetPay(cur);
    if (cur.ended) cur = null;
  }

  // The language changed: the check on screen in the new one.
  const redraw = () => cur && dlg().open && render();

  return { open, onEvent, closed, redraw };
}
