// Dashboard: one table's dialog — its orders (advance, cancel, reprint, move to another
// table), its guests (인원), moving the party to a free table (이동), joining another party
// (합석), its check (계산: check.js) and ending the visit. A server's cancel of an order being
// prepared asks for a manager's PIN (매니저 승인) when the box says it needs one, and is sent
// again with it.
import { h, $, won, hm, icon, toast, errorText, confirmDialog, optionsLine, noteChip } from './ui.js';
import { t } from './i18n.js';
import { pinDialog, approvalState } from './pinpad.js';
import { askGuests, guestsText } from './guests.js';
import { endVisit } from './check-dialogs.js';

const NEXT = { pending: 'preparing', preparing: 'completed' };
const statusChip = (s) => h('span.status', { class: 'st-' + s }, t('status.' + s));

// ctx: {api, state, sync, scheduleRender, applyOrder, endSession, tableOrders, openCheck(tableId), can(level)}
export function tableDialog(ctx) {
  const { api, state, sync, scheduleRender, applyOrder, endSession, tableOrders, openCheck, can } = ctx;
  const dialog = () => $('#table-dialog');

  function open(id) {
    state.openTable = id;
    render();
    const d = dialog();
    if (!d.open) d.showModal();
  }

  function render() {
    const d = dialog();
    const tb = state.tables.find((x) => x.id === state.openTable);
    if (!tb) return d.open && d.close();
    const orders = tableOrders(tb.id);
    const s = tb.session;
    const others = state.tables.filter((x) => x.id !== tb.id);
    d.dataset.tableNumber = tb.number;
    d.replaceChildren(
      h(
        'div.dialog-body',
        h(
          'header.dlg-head',
          h('h2', t('dash.tableN', { n: tb.number })),
          s ? h('span.muted', t('dash.since', { time: hm(s.started_at) })) : h('span.muted', t('dash.free')),
          s
            ? h(
                'button.small.guests-btn',
                { type: 'button', 'data-action': 'guests', title: t('guests.set'), onclick: () => setGuests(tb) },
                icon('users'),
                s.guests ? guestsText(s.guests) : t('guests.unknown'),
              )
            : null,
          h('span.spacer'),
          s ? h('strong.dlg-total', won(s.total)) : null,
          h('button.ghost.icon-btn', { type: 'button', 'aria-label': t('common.close'), onclick: () => d.close() }, icon('x')),
        ),
        h('div.dlg-orders', orders.length ? orders.map((o) => orderBlock(o, others)) : h('p.empty', t('dash.noOrders'))),
        h(
          'footer.actions.dlg-actions',
          s
            ? h(
                'button',
                { type: 'button', 'data-action': 'move-table', disabled: !others.some((x) => !x.session), title: t('move.help'), onclick: () => moveTable(tb) },
                icon('move'),
                t('move.button'),
              )
            : null,
          s
            ? h(
                'button',
                { type: 'button', 'data-action': 'merge-table', disabled: !others.some((x) => x.session), title: t('merge.help'), onclick: () => mergeTable(tb) },
                icon('merge'),
                t('merge.button'),
              )
            : null,
          h('span.spacer'),
          s ? h('button.danger', { type: 'button', 'data-action': 'end-session', onclick: () => endTableSession(tb) }, t('dash.endSession')) : null,
          h('button', { type: 'button', onclick: () => d.close() }, t('common.close')),
          s ? h('button.primary', { type: 'button', 'data-action': 'check', onclick: () => (d.close(), openCheck(tb.id)) }, icon('receipt'), t('check.open')) : null,
        ),
      ),
    );
  }

  function orderBlock(o, others) {
    const next = NEXT[o.status];
    return h(
      'article.oblock',
      { class: 'st-' + o.status, dataset: { orderId: o.id, status: o.status } },
      h('header', h('strong', `#${o.order_no}`), h('span.muted', hm(o.created_at)), statusChip(o.status), h('span.spacer'), h('strong', won(o.total))),
      h(
        'ul',
        ...o.items.map((i) =>
          h(
            'li',
            h('span.oline', h('span', i.name), optionsLine((i.options || []).map((x) => x.name)), noteChip(i.note)),
            h('span.muted', `× ${i.quantity}`),
            h('span.num', won(i.unit_price * i.quantity)),
          ),
        ),
      ),
      h(
        'div.actions',
        h('button.small.ghost.reprint', { type: 'button', 'data-action': 'reprint', title: t('order.reprint'), onclick: (e) => reprint(o, e.currentTarget) }, icon('print'), t('order.reprint')),
        o.status !== 'cancelled' && others.length
          ? h('button.small.ghost', { type: 'button', 'data-action': 'move-order', onclick: () => moveOrder(o) }, icon('move'), t('moveOrder.button'))
          : null,
        h('span.spacer'),
        next ? h('button.small', { type: 'button', 'data-action': 'cancel', onclick: () => cancelOrder(o) }, t('order.cancel')) : null,
        next ? h('button.small.primary', { type: 'button', 'data-action': 'advance', class: 'to-' + next, onclick: () => setStatus(o, next) }, t('order.to.' + next)) : null,
      ),
    );
  }

  // The order's kitchen tickets once more, on every station printer it went to (marked 재출력).
  async function reprint(o, btn) {
    btn.disabled = true;
    try {
      const r = await api.post(`/api/v1/admin/orders/${o.id}/reprint`, {});
      if (r.queued) toast(t('order.reprinted', { n: r.queued }), 'ok');
      else toast(t('order.reprintNone'), 'warn');
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      btn.disabled = false;
    }
  }

  async function setStatus(o, status) {
    try {
      applyOrder(await api.patch(`/api/v1/admin/orders/${o.id}`, { status }), false);
    } catch (e) {
      toast(errorText(e, { conflict: t('err.transition') }), 'error');
      sync.reload();
    }
    scheduleRender();
  }

  async function cancelOrder(o) {
    if (!(await confirmDialog(t('order.cancelConfirm', { n: o.order_no, table: o.table_number }), { ok: t('order.cancel'), danger: true }))) return;
    try {
      applyOrder(await api.del(`/api/v1/admin/orders/${o.id}`), false);
    } catch (e) {
      if (needsApproval(e)) await cancelWithApproval(o);
      else {
        toast(errorText(e, { conflict: t('err.transition') }), 'error');
        sync.reload();
      }
    }
    scheduleRender();
  }

  // A server's cancel of an order being prepared: a manager (or the owner) types their PIN on
  // this screen, and the cancel goes again with it. A wrong PIN says so and waits for another.
  async function cancelWithApproval(o) {
    const done = await pinDialog({
      title: t('approve.title'),
      help: t('approve.cancelHelp', { n: o.order_no, table: o.table_number }),
      submitKey: 'approve.ok',
      submit: async (pin) => {
        try {
          return await api.del(`/api/v1/admin/orders/${o.id}`, { body: { approval_pin: pin } });
        } catch (e) {
          if (e.status === 403 && e.code === 'forbidden') throw new Error(t('approve.wrong'));
          throw new Error(errorText(e, { conflict: t('err.transition') }));
        }
      },
    });
    if (!done) return;
    applyOrder(done, false);
    toast(t('approve.cancelled', { n: o.order_no }), 'ok');
  }

  // With the store's checkout on, a check with a balance ends only by a manager's force
  // (check-dialogs.js endVisit).
  async function endTableSession(tb) {
    const s = tb.session;
    try {
      const r = await endVisit({ api, can, table: tb, detail: s ? t('dash.endDetail', { total: won(s.total), n: s.order_count }) : '' });
      if (!r) return;
      endSession({ ...r, table_id: tb.id });
      dialog().close();
      toast(t('dash.ended', { n: tb.number }), 'ok');
    } catch (e) {
      toast(errorText(e, { conflict: t('dash.noSession') }), 'error');
      sync.reload();
    }
    scheduleRender();
  }

  // ---- guests, moving, merging ----

  async function setGuests(tb) {
    const s = tb.session;
    if (!s) return;
    const n = await askGuests({ title: t('guests.setTitle', { n: tb.number }), okKey: 'guests.save', initial: s.guests });
    if (!n || n === s.guests) return;
    try {
      const r = await api.patch(`/api/v1/admin/sessions/${s.id}`, { guests: n });
      if (tb.session && tb.session.id === r.id) tb.session = { ...tb.session, ...r };
    } catch (e) {
      toast(errorText(e, { not_found: t('dash.noSession') }), 'error');
      sync.reload();
    }
    scheduleRender();
  }

  // The party goes to a free table; the dialog follows it there.
  async function moveTable(tb) {
    const to = await pickTable({
      title: t('move.title', { n: tb.number }),
      help: t('move.help'),
      tables: state.tables.filter((x) => x.id !== tb.id && !x.session),
      empty: t('move.none'),
      okKey: 'move.ok',
      kind: 'move',
    });
    if (!to) return;
    try {
      await api.post(`/api/v1/admin/tables/${tb.id}/move`, { to_table_id: to.id });
      toast(t('move.done', { from: tb.number, to: to.number }), 'ok');
      state.openTable = to.id;
    } catch (e) {
      toast(errorText(e, { conflict: t('move.busy', { n: to.number }) }), 'error');
    }
    sync.reload();
  }

  // This party joins another table's: its orders go there, this table is free.
  async function mergeTable(tb) {
    const into = await pickTable({
      title: t('merge.title', { n: tb.number }),
      help: t('merge.help'),
      tables: state.tables.filter((x) => x.id !== tb.id && x.session),
      empty: t('merge.none'),
      okKey: 'merge.ok',
      kind: 'merge',
    });
    if (!into) return;
    try {
      await api.post(`/api/v1/admin/tables/${tb.id}/merge`, { into_table_id: into.id });
      toast(t('merge.done', { from: tb.number, to: into.number }), 'ok');
      state.openTable = into.id;
    } catch (e) {
      toast(errorText(e, { conflict: t('merge.gone') }), 'error');
    }
    sync.reload();
  }

  // One order to another table (its open visit, or a new one on a free table).
  async function moveOrder(o) {
    const to = await pickTable({
      title: t('moveOrder.title', { n: o.order_no, table: o.table_number }),
      help: t('moveOrder.help'),
      tables: state.tables.filter((x) => x.id !== o.table_id),
      empty: t('dash.noTables'),
      okKey: 'moveOrder.ok',
      kind: 'order',
    });
    if (!to) return;
    try {
      applyOrder(await api.post(`/api/v1/admin/orders/${o.id}/move`, { to_table_id: to.id }), false);
      toast(t('moveOrder.done', { n: o.order_no, to: to.number }), 'ok');
    } catch (e) {
      toast(errorText(e), 'error');
    }
    sync.reload();
  }

  return { open, render };
}

// A dialog listing tables as large buttons (a busy one shows its total and guests); one is
// chosen, and the confirm button names it ("7번 테이블로 이동"). Resolves with the table or null.
function pickTable({ title, help, tables, empty, okKey, kind }) {
  return new Promise((resolve) => {
    let chosen = null;
    const ok = h('button.primary', { type: 'submit', value: 'ok', 'data-action': 'pick-ok', disabled: true }, t(okKey, { n: '…' }));
    const buttons = tables.map((tb) =>
      h(
        'button.tpick',
        {
          type: 'button',
          class: tb.session ? 'busy' : 'free',
          'aria-pressed': 'false',
          dataset: { tableId: tb.id, tableNumber: tb.number },
          onclick: (e) => {
            chosen = tb;
            for (const b of buttons) b.setAttribute('aria-pressed', String(b === e.currentTarget));
            ok.disabled = false;
            ok.textContent = t(okKey, { n: tb.number });
          },
        },
        h('span.tpick-no', tb.number),
        h(
          'span.tpick-info',
          tb.session
            ? [h('strong.num', won(tb.session.total)), tb.session.guests ? h('small', guestsText(tb.session.guests)) : null]
            : h('small', t('dash.free')),
        ),
      ),
    );
    const dlg = h(
      'dialog.dialog.pick-dialog',
      { dataset: { kind }, 'aria-labelledby': 'pick-title' },
      h(
        'form.dialog-body',
        { method: 'dialog' },
        h('h2#pick-title', title),
        h('p.muted', help),
        tables.length ? h('div.tpick-grid', ...buttons) : h('p.empty', empty),
        h('div.actions', h('button', { type: 'submit', value: 'cancel' }, t('common.cancel')), ok),
      ),
    );
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(dlg.returnValue === 'ok' ? chosen : null);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

// The box refuses a server's cancel of an order being prepared until a manager approves it
// (pinpad.js reads the answer).
export const needsApproval = (e) => approvalState(e) === 'required';
