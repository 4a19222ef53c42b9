// The staff dashboard: login, the live state (tables, orders, calls) and its stream, the
// printer banner (printers.js), sounds (chime.js), what each role sees (roles.js). The orders
// board: board.js; a table's dialog: table-dialog.js; its check: check.js. The other pages:
// history.js, day.js (opening and closing the business day), reports.js (day reports),
// menu-admin.js, options-admin.js, stations-admin.js, soldout.js, admin.js (tables),
// people-admin.js (staff accounts), terminals-admin.js, audit.js, settings-admin.js, system.js.
import './strings-staff.js';
import './strings-check.js';
import { openStream, createSync } from './api.js';
import { h, $, $$, icon, fillIcons, toast, errorText, setConn, setTimeZone } from './ui.js';
import { t, applyI18n, initLangSwitch, onLangChange } from './i18n.js';
import { staffLogin } from './staff-login.js';
import { can, roleName } from './roles.js';
import { tableDialog } from './table-dialog.js';
import { checkScreen } from './check.js';
import { dayView } from './day.js';
import { reportsView } from './reports.js';
import { boardView, ordersOf, savedFilter, isBill, callReason } from './board.js';
import { soldOutView } from './soldout.js';
import { peopleView } from './people-admin.js';
import { terminalsView } from './terminals-admin.js';
import { auditView } from './audit.js';
import { settingsView } from './settings-admin.js';
import { tablesView } from './admin.js';
import { systemView } from './system.js';
import { createChime } from './chime.js';
import { menuView } from './menu-admin.js';
import { optionsView } from './options-admin.js';
import { historyView } from './history.js';
import { stationsView } from './stations-admin.js';
import { createPrinters } from './printers.js';

// On a phone the grid starts with the tables in use (empty ones take a screen each).
const PHONE = matchMedia('(max-width: 600px)');

// The login (shared with the kitchen display); its form comes back on a refused token.
const login = staffLogin({ onLogin: start, onLogout: stop });
const api = login.api;
const allowed = (level) => can(login.role(), level);
const sound = createChime({ button: $('#btn-sound'), prompt: $('#sound-prompt') });
const chime = (kind) => sound.play(kind);
const printers = createPrinters({ api, chime: () => chime('printer'), onChange: () => notify('printers') });

const state = {
  tables: [], // [{id, number, session}]
  orders: new Map(), // id → order of an open session
  calls: new Map(), // id → open staff call
  fresh: new Map(), // order id → time it arrived live
  // 'active' (tables in use), 'all', or a table id; a choice made here is remembered.
  filter: savedFilter(PHONE.matches),
  view: null,
  openTable: null,
};
let stream = null;
let current = null; // the mounted view
let dialog = null; // the table dialog (table-dialog.js)
let check = null; // the check screen (check.js)
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
  $('#check-dialog').close();
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

// A table added, renamed or removed; a party moved or merged (the table's session comes with it).
function applyTable({ change, table }) {
  const i = state.tables.findIndex((x) => x.id === table.id);
  const session = 'session' in table ? { session: table.session } : {};
  if (change === 'deleted') {
    if (i >= 0) state.tables.splice(i, 1);
  } else if (i >= 0) state.tables[i] = { ...state.tables[i], number: table.number, ...session };
  else state.tables.push({ session: null, ...table });
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
        check.onEvent('resync', {});
      },
      order_created: sync.wrap((d) => {
        applyOrder(d, true);
        chime('order');
        check.onEvent('order_created', d);
      }),
      order_updated: sync.wrap((d) => {
        applyOrder(d, false);
        check.onEvent('order_updated', d);
      }),
      order_cancelled: sync.wrap((d) => {
        applyOrder(d, false);
        check.onEvent('order_cancelled', d);
      }),
      session_ended: sync.wrap((d) => {
        endSession(d);
        check.onEvent('session_ended', d);
      }),
      call_created: sync.wrap((d) => {
        state.calls.set(d.id, d);
        chime('call');
        const what = !isBill(d) && callReason(d);
        toast(what ? t('calls.newFor', { n: d.table_number, what }) : t(isBill(d) ? 'calls.newBill' : 'calls.new', { n: d.table_number }), 'warn', 6000);
      }),
      // A payment, an adjustment or a refund: the check on screen reads itself again.
      check_changed: (d) => {
        check.onEvent('check_changed', d);
        notify('check_changed', d);
      },
      day_closed: (d) => {
        toast(t('day.closedToast', { date: d.business_date || '' }), 'ok', 6000);
        notify('day_closed', d);
      },
      call_acked: sync.wrap((d) => state.calls.delete(d.id)),
      table_changed: sync.wrap((d) => {
        applyTable(d);
        notify('table_changed', d);
        check.onEvent('table_changed', d);
      }),
      // Its orders (order_updated) and both tables (table_changed) come as events of their own.
      session_moved: sync.wrap(() => {}),
      menu_changed: (d) => {
        if (d.change === 'settings_changed') login.refreshSettings();
        notify('menu_changed', d);
      },
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
    if ($('#table-dialog').open) dialog.render();
  });
}

function renderCallsPill() {
  const pill = $('#calls-pill');
  const n = state.calls.size;
  pill.hidden = !n;
  pill.replaceChildren(icon('bell'), t('calls.pill', { n }));
}

// ---------- navigation ----------

const views = {};
// What each page needs (roles.js); a page the role may not use is not in the top bar, and its
// address leads to the role's first page.
const NEEDS = {
  orders: 'floor',
  soldout: 'floor',
  history: 'manager',
  day: 'manager',
  reports: 'manager',
  menu: 'manager',
  options: 'manager',
  stations: 'manager',
  tables: 'manager',
  staff: 'owner',
  terminals: 'manager',
  audit: 'manager',
  settings: 'owner',
  system: 'manager',
};
// Pages that live under another's tab in the top bar.
const NAV_OF = { options: 'menu', stations: 'menu', terminals: 'staff', reports: 'day' };
// Each page's name (the page's one h1, for screen readers; the tabs show it to the eye).
const TITLES = {
  orders: 'nav.orders',
  soldout: 'nav.soldout',
  history: 'nav.history',
  day: 'day.title',
  reports: 'rep.title',
  menu: 'nav.menu',
  options: 'menu.tabOptions',
  stations: 'menu.tabStations',
  tables: 'nav.tables',
  staff: 'people.title',
  terminals: 'term.title',
  audit: 'audit.title',
  settings: 'settings.title',
  system: 'nav.system',
};
const mayOpen = (key) => !!views[key] && allowed(NEEDS[key]);

// The top bar's tabs for this role: the menu editor for managers, the sold-out switches for
// the floor staff who may not edit the menu; the staff tab leads a manager to the terminals.
function drawNav() {
  for (const a of $$('.nav a')) {
    const v = a.dataset.view;
    a.hidden = v === 'soldout' ? !allowed('floor') || allowed('manager') : !allowed(v === 'staff' ? 'manager' : NEEDS[v]);
    if (v === 'staff') a.href = allowed('owner') ? '#staff' : '#terminals';
  }
}

// Who is logged in; on a shared terminal the way for the next person to log in (their PIN).
function drawWho() {
  const a = login.auth() || {};
  const terminal = login.terminal();
  $('#who').replaceChildren(icon('user'), h('span.who-name', a.display_name || a.username || ''), h('span.who-role', roleName(login.role())));
  $('#who').title = `${a.display_name || a.username || ''} · ${roleName(login.role())}`;
  $('#btn-switch').hidden = !terminal;
  $('#btn-logout').hidden = !!terminal;
}

function route() {
  if (!login.loggedIn()) return;
  const name = (location.hash || '#orders').slice(1);
  const key = mayOpen(name) ? name : 'orders';
  const view = views[key];
  if (current && current.unmount) current.unmount();
  state.view = key;
  current = view;
  drawNav();
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
  // The kitchen's staff work on the kitchen display, logged in there already (one login per
  // browser).
  if (!allowed('floor')) return location.replace('/kitchen');
  setConn($('#conn'), false);
  learnTimeZone();
  login.refreshSettings();
  drawWho();
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
  const ctx = { api, state, scheduleRender, printers, store: () => auth().store_id, storeName, can: allowed, login };
  check = checkScreen({
    api,
    state,
    can: allowed,
    settings: () => auth().settings,
    onEnded: (r, tableId) => {
      endSession({ ...r, table_id: tableId });
      scheduleRender();
    },
  });
  const openCheck = (id) => check.open(id);
  dialog = tableDialog({ api, state, sync, scheduleRender, applyOrder, endSession, tableOrders: (id) => ordersOf(state, id), openCheck, can: allowed });
  views.orders = boardView({ api, state, scheduleRender, openTable: (id) => dialog.open(id), openCheck, can: allowed });
  views.day = dayView({ ...ctx, openCheck });
  views.reports = reportsView(ctx);
  views.soldout = soldOutView(ctx);
  views.history = historyView(ctx);
  views.menu = menuView(ctx);
  views.options = optionsView(ctx);
  views.stations = stationsView(ctx);
  views.tables = tablesView(ctx);
  views.staff = peopleView(ctx);
  views.terminals = terminalsView({ ...ctx, onTerminal: drawWho });
  views.audit = auditView(ctx);
  views.settings = settingsView(ctx);
  views.system = systemView(ctx);

  initLangSwitch();
  onLangChange(() => {
    sound.render();
    printers.renderBanner();
    setConn($('#conn'), $('#conn').classList.contains('up'));
    if (login.loggedIn() && !$('#app').hidden) {
      drawWho();
      route();
      scheduleRender();
      check.redraw();
    }
  });
  $('#btn-logout').addEventListener('click', () => login.logout());
  $('#btn-switch').addEventListener('click', () => login.switchUser());
  $('#calls-pill').addEventListener('click', () => (location.hash = '#orders'));
  window.addEventListener('hashchange', route);
  $('#table-dialog').addEventListener('close', () => (state.openTable = null));
  $('#table-dialog').addEventListener('click', (e) => e.target === e.currentTarget && e.currentTarget.close());
  $('#check-dialog').addEventListener('close', () => check.closed());

  login.start();
}

boot();
