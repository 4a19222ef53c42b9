// The staff dashboard: login, live table grid, order handling, staff calls, the printer
// banner (printers.js), sounds (chime.js). The other pages: history.js, menu-admin.js,
// options-admin.js, stations-admin.js, admin.js (tables), system.js.
import './strings-staff.js';
import { openStream, createSync } from './api.js';
import { h, $, $$, won, hm, icon, fillIcons, toast, errorText, setConn, confirmDialog, optionsLine, noteChip, orderItemsEl, orderNotesEl, setTimeZone } from './ui.js';
import { t, applyI18n, initLangSwitch, onLangChange } from './i18n.js';
import { staffLogin } from './staff-login.js';
import { tablesView } from './admin.js';
import { systemView } from './system.js';
import { createChime } from './chime.js';
import { menuView } from './menu-admin.js';
import { optionsView } from './options-admin.js';
import { historyView } from './history.js';
import { stationsView } from './stations-admin.js';
import { createPrinters } from './printers.js';

const FILTER_KEY = 'tableorder.filter';
const PULSE_MS = 3000;
// On a phone the grid starts with the tables in use (empty ones take a screen each).
const PHONE = matchMedia('(max-width: 600px)');

// The login (shared with the kitchen display); its form comes back on a refused token.
const login = staffLogin({ onLogin: start, onLogout: stop });
const api = login.api;
const sound = createChime({ button: $('#btn-sound'), prompt: $('#sound-prompt') });
const chime = (kind) => sound.play(kind);
const printers = createPrinters({ api, chime: () => chime('printer'), onChange: () => notify('printers') });

const state = {
  tables: [], // [{id, number, session}]
  orders: new Map(), // id → order of an open session
  calls: new Map(), // id → open staff call
  fresh: new Map(), // order id → time it arrived live
  // 'active' (tables in use), 'all', or a table id; a choice made here is remembered.
  filter: localStorage.getItem(FILTER_KEY) || (PHONE.matches ? 'active' : 'all'),
  view: null,
  openTable: null,
};
let stream = null;
let current = null; // the mounted view
const notify = (type, d) => current && current.onEvent && current.onEvent(type, d);

// ---------- auth ----------

// What runs while logged in stops before the login form comes back.
function stop() {
  if (stream) stream.stop();
  stream = null;
  printers.clear();
  if (current && current.unmount) current.unmount();
  current = null;
  state.view = null;
  sound.show(false);
  $('#table-dialog').close();
}

// ---------- data ----------

async function loadAll() {
  try {
    const [tables, orders, calls] = await Promise.all([
      api.get('/api/v1/admin/tables'),
      api.get('/api/v1/admin/orders'),
      api.get('/api/v1/admin/calls?open=true'),
      // Every printer's state, so that one already in trouble shows at once.
      printers.load().catch(() => {}),
    ]);
    state.tables = tables.sort((a, b) => a.number - b.number);
    state.orders = new Map(orders.map((o) => [o.id, o]));
    state.calls = new Map(calls.filter((c) => !c.acked_at).map((c) => [c.id, c]));
  } catch (e) {
    if (e.status !== 401) toast(errorText(e), 'error');
  }
}

const sync = createSync(loadAll, () => scheduleRender());

function applyOrder(o, live) {
  const before = state.orders.get(o.id);
  if (before && Date.parse(before.updated_at) > Date.parse(o.updated_at)) return;
  const { session, store_id, ...order } = o;
  state.orders.set(o.id, order);
  const tb = state.tables.find((x) => x.id === o.table_id);
  if (tb && session) tb.session = session;
  if (live) state.fresh.set(o.id, Date.now());
}

// The guests left: their orders go to history, and their calls are answered (the box
// acknowledges them too, with a call_acked each).
function endSession(d) {
  for (const [id, o] of state.orders) if (o.session_id === d.session_id) state.orders.delete(id);
  for (const [id, c] of state.calls) if (c.table_id === d.table_id) state.calls.delete(id);
  const tb = state.tables.find((x) => x.id === d.table_id);
  if (tb && (!tb.session || tb.session.id === d.session_id)) tb.session = null;
}

function applyTable({ change, table }) {
  const i = state.tables.findIndex((x) => x.id === table.id);
  if (change === 'deleted') {
    if (i >= 0) state.tables.splice(i, 1);
  } else if (i >= 0) state.tables[i] = { ...state.tables[i], number: table.number };
  else state.tables.push(table);
  state.tables.sort((a, b) => a.number - b.number);
}

function startStream() {
  if (stream) stream.stop();
  stream = openStream({
    url: login.streamUrl,
    onStatus: (up) => setConn($('#conn'), up),
    beforeReconnect: login.beforeReconnect,
    handlers: {
      hello: (d, { first }) => first && sync.reload(),
      resync: () => {
        sync.reload();
        notify('resync');
      },
      order_created: sync.wrap((d) => {
        applyOrder(d, true);
        chime('order');
      }),
      order_updated: sync.wrap((d) => applyOrder(d, false)),
      order_cancelled: sync.wrap((d) => applyOrder(d, false)),
      session_ended: sync.wrap(endSession),
      call_created: sync.wrap((d) => {
        state.calls.set(d.id, d);
        chime('call');
        toast(t('calls.new', { n: d.table_number }), 'warn', 6000);
      }),
      call_acked: sync.wrap((d) => state.calls.delete(d.id)),
      table_changed: sync.wrap((d) => {
        applyTable(d);
        notify('table_changed', d);
      }),
      menu_changed: (d) => notify('menu_changed', d),
      ticket_created: (d) => printers.ticketCreated(d),
      printer_changed: sync.wrap((d) => printers.apply(d)),
    },
  });
}

// ---------- rendering ----------

let frame = 0;
function scheduleRender() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    renderCallsPill();
    if (current && current.render) current.render();
    if ($('#table-dialog').open) renderTableDialog();
  });
}

const tableOrders = (tableId) =>
  [...state.orders.values()].filter((o) => o.table_id === tableId).sort((a, b) => b.id - a.id);

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

function renderCallsPill() {
  const pill = $('#calls-pill');
  const n = state.calls.size;
  pill.hidden = !n;
  pill.replaceChildren(icon('bell'), t('calls.pill', { n }));
}

// ----- orders board -----

function setFilter(value) {
  state.filter = value;
  localStorage.setItem(FILTER_KEY, value);
  scheduleRender();
}

const ordersView = {
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
    for (const b of $$('.seg-btn')) {
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
    if (!shown.length) grid.replaceChildren(h('p.empty', state.tables.length ? t('dash.noActive') : t('dash.noTables')));
    else grid.replaceChildren(...shown.map(tableCard));
  },
};

// "3" on the card, "3번 테이블" / "Table 3" to a screen reader.
function tableName(n) {
  const [before, after = ''] = t('dash.tableN', { n: '\u0000' }).split('\u0000');
  return [before ? h('span.sr-only', before) : null, h('span.tno', n), after ? h('span.sr-only', after) : null];
}

const tableCalls = (tableId) => [...state.calls.values()].filter((c) => c.table_id === tableId);

// A table's card. The whole card opens the table (the button's area covers it); an open staff
// call shows in words and with a bell, not by colour alone, until it is acknowledged.
function tableCard(tb) {
  const orders = tableOrders(tb.id);
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
      h('span.oitems', orderItemsEl(o)),
      h('span.otime', hm(o.created_at)),
      statusChip(o.status),
      orderNotesEl(o),
    );
  });
  return h(
    'article.tcard',
    {
      class: (s ? 'busy' : 'idle') + (cardPulse ? ' fresh' : '') + (calls.length ? ' calling' : ''),
      style: cardPulse || undefined,
      dataset: { tableId: tb.id, tableNumber: tb.number },
      onclick: () => openTable(tb.id),
    },
    h(
      'header.tcard-head',
      h('button.tcard-open', { type: 'button', 'aria-haspopup': 'dialog' }, ...tableName(tb.number)),
      live ? h('span.badge.live-count', { title: t('dash.openOrders') }, live) : null,
      h('span.spacer'),
      h('strong.ttotal', s ? won(s.total) : ''),
    ),
    calls.length
      ? h('p.tcard-call', { dataset: { callId: calls[0].id } }, icon('bell'), h('strong', t('dash.calling')), h('span', hm(calls[0].created_at)))
      : null,
    s ? h('ul.orows', rows) : h('p.tcard-empty', t('dash.free')),
    s
      ? h('footer.tcard-foot', h('span', t('dash.since', { time: hm(s.started_at) })), h('span', t('dash.count', { n: s.order_count })), orders.length > 4 ? h('span', t('dash.more', { n: orders.length - 4 })) : null)
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
        { dataset: { callId: c.id } },
        h('strong', t('dash.tableN', { n: c.table_number })),
        h('span.muted', hm(c.created_at)),
        c.reason ? h('span', c.reason) : null,
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

// ----- one table's orders -----

function openTable(id) {
  state.openTable = id;
  renderTableDialog();
  const d = $('#table-dialog');
  if (!d.open) d.showModal();
}

function renderTableDialog() {
  const d = $('#table-dialog');
  const tb = state.tables.find((x) => x.id === state.openTable);
  if (!tb) return d.open && d.close();
  const orders = tableOrders(tb.id);
  const s = tb.session;
  d.dataset.tableNumber = tb.number;
  d.replaceChildren(
    h(
      'div.dialog-body',
      h(
        'header.dlg-head',
        h('h2', t('dash.tableN', { n: tb.number })),
        s ? h('span.muted', t('dash.since', { time: hm(s.started_at) })) : h('span.muted', t('dash.free')),
        h('span.spacer'),
        s ? h('strong.dlg-total', won(s.total)) : null,
        h('button.ghost.icon-btn', { type: 'button', 'aria-label': t('common.close'), onclick: () => d.close() }, icon('x')),
      ),
      h(
        'div.dlg-orders',
        orders.length ? orders.map(orderBlock) : h('p.empty', t('dash.noOrders')),
      ),
      h(
        'footer.actions',
        s ? h('button.danger', { type: 'button', 'data-action': 'end-session', onclick: () => endTableSession(tb) }, t('dash.endSession')) : null,
        h('span.spacer'),
        h('button', { type: 'button', onclick: () => d.close() }, t('common.close')),
      ),
    ),
  );
}

const NEXT = { pending: 'preparing', preparing: 'completed' };

function orderBlock(o) {
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
    toast(errorText(e, { conflict: t('err.transition') }), 'error');
    sync.reload();
  }
  scheduleRender();
}

async function endTableSession(tb) {
  const s = tb.session;
  const ok = await confirmDialog(t('dash.endConfirm', { n: tb.number }), {
    ok: t('dash.endSession'),
    danger: true,
    detail: s ? t('dash.endDetail', { total: won(s.total), count: s.order_count }) : '',
  });
  if (!ok) return;
  try {
    const r = await api.post(`/api/v1/admin/tables/${tb.id}/end-session`, {});
    endSession({ ...r, table_id: tb.id });
    $('#table-dialog').close();
    toast(t('dash.ended', { n: tb.number }), 'ok');
  } catch (e) {
    toast(errorText(e, { conflict: t('dash.noSession') }), 'error');
    sync.reload();
  }
  scheduleRender();
}

// ---------- navigation ----------

const views = { orders: ordersView };
// Pages that live under another's tab in the top bar.
const NAV_OF = { options: 'menu', stations: 'menu' };
// Each page's name (the page's one h1, for screen readers; the tabs show it to the eye).
const TITLES = { orders: 'nav.orders', history: 'nav.history', menu: 'nav.menu', options: 'menu.tabOptions', stations: 'menu.tabStations', tables: 'nav.tables', system: 'nav.system' };
function route() {
  if (!login.loggedIn()) return;
  const name = (location.hash || '#orders').slice(1);
  const view = views[name] || ordersView;
  const key = views[name] ? name : 'orders';
  if (current && current.unmount) current.unmount();
  state.view = key;
  current = view;
  for (const a of $$('.nav a')) a.classList.toggle('active', a.dataset.view === (NAV_OF[key] || key));
  $('#page-title').textContent = t(TITLES[key]);
  const el = $('#view');
  el.dataset.view = key;
  view.mount(el);
}

// Times show on the store's clock: the login answer names its timezone (a login kept from
// before that did not: the system answer does).
async function learnTimeZone() {
  const { timezone } = login.auth();
  if (timezone) return setTimeZone(timezone);
  try {
    const sys = await api.get('/api/v1/admin/system');
    if (sys.timezone) {
      login.remember({ timezone: sys.timezone });
      setTimeZone(sys.timezone);
      scheduleRender();
    }
  } catch {
    /* the device's clock until the next start */
  }
}

function start() {
  setConn($('#conn'), false);
  learnTimeZone();
  sound.show(true);
  route();
  sync.reload();
  startStream();
}

function boot() {
  fillIcons();
  applyI18n();
  // The store's name where the box tells it (else its id: the setup sheet prints one of them).
  const auth = () => login.auth() || {};
  const storeName = () => auth().store_name || auth().store_id || '';
  const ctx = { api, state, scheduleRender, printers, store: () => auth().store_id, storeName };
  views.history = historyView(ctx);
  views.menu = menuView(ctx);
  views.options = optionsView(ctx);
  views.stations = stationsView(ctx);
  views.tables = tablesView(ctx);
  views.system = systemView(ctx);

  initLangSwitch();
  onLangChange(() => {
    sound.render();
    printers.renderBanner();
    setConn($('#conn'), $('#conn').classList.contains('up'));
    if (login.loggedIn() && !$('#app').hidden) {
      route();
      scheduleRender();
    }
  });
  $('#btn-logout').addEventListener('click', () => login.logout());
  $('#calls-pill').addEventListener('click', () => (location.hash = '#orders'));
  window.addEventListener('hashchange', route);
  $('#table-dialog').addEventListener('close', () => (state.openTable = null));
  $('#table-dialog').addEventListener('click', (e) => e.target === e.currentTarget && e.currentTarget.close());

  login.start();
}

boot();
