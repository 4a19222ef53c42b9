// Dashboard: the orders board — a card per table with its latest orders, guests and open
// staff calls (a bill request says 계산 요청 with a receipt), the tables-in-use / all toggle and
// the table picker, and the calls panel above it. A card opens the table's dialog
// (table-dialog.js), a bill request the check (check.js); staff.js keeps the state.
import { h, $, $$, won, hm, icon, toast, errorText, orderNotesEl } from './ui.js';
import { t, has } from './i18n.js';
import { guestsText } from './guests.js';

const FILTER_KEY = 'tableorder.filter';
const PULSE_MS = 3000;

// A table's orders of its open visit, newest first.
export const ordersOf = (state, tableId) =>
  [...state.orders.values()].filter((o) => o.table_id === tableId).sort((a, b) => b.id - a.id);

// The filter chosen before on this device, else (a phone) the tables in use or (bigger) all.
export const savedFilter = (phone) => localStorage.getItem(FILTER_KEY) || (phone ? 'active' : 'all');

// A staff call as it reads on the board: a bill request (계산 요청) with a receipt, any
// other call with a bell.
export const isBill = (c) => c.reason === 'bill';
const REASON_ICON = { water: 'water', plates: 'plate', cutlery: 'cutlery', wipes: 'wipe' };
export const callIcon = (c) => icon(isBill(c) ? 'receipt' : REASON_ICON[(c.reason || '').split(', ')[0]] || 'bell');
export const callWord = (c) => (isBill(c) ? t('dash.billing') : c.reason ? `${t('dash.calling')} · ${callReason(c)}` : t('dash.calling'));
// What the guests asked for: the tablet's quick picks (water, plates, cutlery, wipes) in the
// dashboard's language, any other reason as it came.
// A call the table added to while staff were on their way carries its reasons joined: "water, plates".
export const callReason = (c) =>
  (c.reason || '')
    .split(', ')
    .filter(Boolean)
    .map((r) => (has('callReason.' + r) ? t('callReason.' + r) : r))
    .join(', ');

// Every line of an order, one under another: "김치찌개 (매운맛) × 2".
function orderLines(o) {
  return o.items.map((i) => {
    const opts = (i.options || []).map((x) => x.name);
    return h('span.oi', h('span.oi-name', i.name), opts.length ? h('span.oopts', ` (${opts.join(' · ')})`) : null, h('span.oi-qty', ` × ${i.quantity}`));
  });
}

// ctx: {api, state, scheduleRender, openTable(id), openCheck(tableId), can(level)}
export function boardView({ api, state, scheduleRender, openTable, openCheck, can = () => false }) {
  // The pulse keeps its phase across re-renders: a negative delay resumes it where it was.
  function pulseStyle(id) {
    const since = state.fresh.get(id);
    if (!since) return null;
    const age = Date.now() - since;
    if (age >= PULSE_MS) {
      state.fresh.delete(id);
      return null;
    }
    setTimeout(scheduleRender, PULSE_MS - age + 20);
    return { animationDelay: `-${age}ms` };
  }

  const statusChip = (s) => h('span.status', { class: 'st-' + s }, t('status.' + s));


  function setFilter(value) {
    state.filter = value;
    localStorage.setItem(FILTER_KEY, value);
    scheduleRender();
  }

  const view = {
    mount(el) {
      const seg = (value) =>
        h('button.seg-btn', { type: 'button', dataset: { filter: value }, onclick: () => setFilter(value) }, h('span.seg-label'), h('span.seg-n'));
      el.replaceChildren(
        h('section#calls-panel.calls-panel', { 'aria-live': 'polite' }),
        h(
          'div.toolbar.dash-toolbar',
          h('div.seg', { role: 'group', 'aria-label': t('dash.show') }, seg('active'), seg('all')),
          h('select#table-filter', { 'aria-label': t('dash.pickTable'), onchange: (e) => setFilter(e.target.value || 'all') }),
          h('span.spacer'),
          h('div#dash-stats.stats'),
        ),
        h('div#grid.grid'),
      );
      this.render();
    },
    render() {
      renderCalls();
      const ids = state.tables.map((tb) => String(tb.id));
      if (!['all', 'active', ...ids].includes(state.filter)) state.filter = 'all';
      const inUse = state.tables.filter((x) => x.session);
      // The toggle between tables in use and all tables, with how many each shows.
      for (const b of $$('.seg-btn[data-filter]')) {
        const f = b.dataset.filter;
        b.setAttribute('aria-pressed', String(state.filter === f));
        $('.seg-label', b).textContent = f === 'active' ? t('dash.active') : t('dash.all');
        $('.seg-n', b).textContent = f === 'active' ? inUse.length : state.tables.length;
      }
      const sel = $('#table-filter');
      const opts = [['', t('dash.pickTable')], ...state.tables.map((tb) => [String(tb.id), t('dash.tableN', { n: tb.number })])];
      const key = JSON.stringify(opts);
      if (sel.dataset.key !== key) {
        sel.dataset.key = key;
        sel.replaceChildren(...opts.map(([v, label]) => h('option', { value: v }, label)));
      }
      sel.value = ids.includes(state.filter) ? state.filter : '';

      const all = [...state.orders.values()];
      const count = (s) => all.filter((o) => o.status === s).length;
      $('#dash-stats').replaceChildren(
        h('span.stat-pending', t('status.pending'), ' ', h('strong', count('pending'))),
        h('span.stat-preparing', t('status.preparing'), ' ', h('strong', count('preparing'))),
      );

      const shown = state.tables.filter((tb) =>
        state.filter === 'all' ? true : state.filter === 'active' ? tb.session || tableCalls(tb.id).length : String(tb.id) === state.filter,
      );
      const grid = $('#grid');
      if (!state.tables.length) grid.replaceChildren(firstSteps());
      else if (!shown.length) grid.replaceChildren(h('p.empty', t('dash.noActive')));
      else grid.replaceChildren(...shown.map(tableCard));
    },
  };

  // A new store has no tables yet: what to do next, in order, with the way to each page (for
  // those who may use it).
  function firstSteps() {
    const step = (key, href) => h('li', h('span', t(key)), href && can('manager') ? h('a.button.small', { href }, t(key + 'Go')) : null);
    return h(
      'section.first-steps.panel',
      { dataset: { empty: 'store' } },
      h('h2', t('start.title')),
      h('p.muted', t('dash.noTables')),
      h('ol', step('start.menu', '#menu'), step('start.tables', '#tables'), step('start.tablets', null)),
    );
  }

  // "3" on the card, "3번 테이블" / "Table 3" to a screen reader.
  function tableName(n) {
    const [before, after = ''] = t('dash.tableN', { n: '\u0000' }).split('\u0000');
    return [before ? h('span.sr-only', before) : null, h('span.tno', n), after ? h('span.sr-only', after) : null];
  }

  const tableCalls = (tableId) => [...state.calls.values()].filter((c) => c.table_id === tableId);

  // A table's card. The whole card opens the table (the button's area covers it); an open staff
  // call shows in words and with a bell, not by colour alone, until it is acknowledged.
  function tableCard(tb) {
    const orders = ordersOf(state, tb.id);
    const s = tb.session;
    const calls = tableCalls(tb.id);
    const live = orders.filter((o) => o.status === 'pending' || o.status === 'preparing').length;
    let cardPulse = null;
    const rows = orders.slice(0, 4).map((o) => {
      const pulse = pulseStyle(o.id);
      if (pulse && !cardPulse) cardPulse = pulse;
      return h(
        'li.orow',
        { class: 'st-' + o.status + (pulse ? ' fresh' : ''), style: pulse || undefined, dataset: { orderId: o.id, status: o.status } },
        h('span.ono', `#${o.order_no}`),
        h('span.oitems', orderLines(o)),
        h('span.otime', hm(o.created_at)),
        statusChip(o.status),
        orderNotesEl(o),
      );
    });
    return h(
      'article.tcard',
      {
        class: (s ? 'busy' : 'idle') + (cardPulse ? ' fresh' : '') + (calls.some((c) => !isBill(c)) ? ' calling' : calls.length ? ' billing' : ''),
        style: cardPulse || undefined,
        dataset: { tableId: tb.id, tableNumber: tb.number },
        onclick: () => openTable(tb.id),
      },
      h(
        'header.tcard-head',
        h('button.tcard-open', { type: 'button', 'aria-haspopup': 'dialog' }, ...tableName(tb.number)),
        live ? h('span.badge.live-count', { title: t('dash.openOrders') }, live) : null,
        h('span.spacer'),
        s ? h('strong.ttotal', won(s.total)) : h('span.tcard-empty', t('dash.free')),
      ),
      ...calls.map((c) =>
        h('p.tcard-call', { class: isBill(c) ? 'bill' : '', dataset: { callId: c.id, reason: isBill(c) ? 'bill' : 'call' } }, callIcon(c), h('strong', callWord(c)), h('span', hm(c.created_at))),
      ),
      s ? h('ul.orows', rows) : null,
      s
        ? h(
            'footer.tcard-foot',
            s.guests ? h('span.tguests', { dataset: { guests: s.guests } }, icon('users'), guestsText(s.guests)) : null,
            h('span', t('dash.since', { time: hm(s.started_at) })),
            h('span', t('dash.count', { n: s.order_count })),
            orders.length > 4 ? h('span', t('dash.more', { n: orders.length - 4 })) : null,
          )
        : null,
    );
  }

  function renderCalls() {
    const panel = $('#calls-panel');
    if (!panel) return;
    const calls = [...state.calls.values()].sort((a, b) => a.id - b.id);
    panel.hidden = !calls.length;
    panel.replaceChildren(
      h('h2', icon('bell'), t('calls.title')),
      ...calls.map((c) =>
        h(
          'div.call',
          { class: isBill(c) ? 'bill' : '', dataset: { callId: c.id, tableNumber: c.table_number, reason: isBill(c) ? 'bill' : 'call' } },
          h('strong', t('dash.tableN', { n: c.table_number })),
          h('span.muted', hm(c.created_at)),
          isBill(c) ? h('span.call-what', callIcon(c), t('calls.bill')) : c.reason ? h('span.call-what.call-reason', callIcon(c), callReason(c)) : null,
          isBill(c) && state.tables.some((tb) => tb.id === c.table_id && tb.session)
            ? h('button.small', { type: 'button', 'data-action': 'open-check', onclick: () => openCheck(c.table_id) }, icon('receipt'), t('check.open'))
            : null,
          h('button.small.primary', { type: 'button', 'data-action': 'ack', onclick: () => ackCall(c) }, icon('check'), t('calls.ack')),
        ),
      ),
    );
  }

  async function ackCall(c) {
    try {
      await api.post(`/api/v1/admin/calls/${c.id}/ack`, {});
      state.calls.delete(c.id);
      scheduleRender();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  return view;
}
