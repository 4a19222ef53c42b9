// The staff dashboard: login, live table grid, order handling, staff calls, the printer
// banner (printers.js). The other pages: history.js, menu-admin.js, options-admin.js,
// stations-admin.js, admin.js (tables, system).
import './strings-staff.js';
import { createApi, openStream, createSync } from './api.js';
import { h, $, $$, won, hm, icon, fillIcons, toast, errorText, setConn, confirmDialog, optionsLine, noteChip, orderItemsEl, orderNotesEl } from './ui.js';
import { t, applyI18n, toggleLang, onLangChange, lang } from './i18n.js';
import { tablesView, systemView } from './admin.js';
import { menuView } from './menu-admin.js';
import { optionsView } from './options-admin.js';
import { historyView } from './history.js';
import { stationsView } from './stations-admin.js';
import { createPrinters } from './printers.js';

const AUTH_KEY = 'tableorder.staff';
const SOUND_KEY = 'tableorder.sound';
const PULSE_MS = 3000;

const read = (k) => {
  try {
    return JSON.parse(localStorage.getItem(k) || 'null');
  } catch {
    return null;
  }
};

let auth = read(AUTH_KEY); // {token, expires_at, store_id, username}
const api = createApi({
  token: () => auth && auth.token,
  relogin: async () => {
    logout(t('login.expired'));
    return false;
  },
});
const printers = createPrinters({ api, chime: () => chime('printer'), onChange: () => notify('printers') });

const state = {
  tables: [], // [{id, number, session}]
  orders: new Map(), // id → order of an open session
  calls: new Map(), // id → open staff call
  fresh: new Map(), // order id → time it arrived live
  filter: localStorage.getItem('tableorder.filter') || 'all',
  view: null,
  openTable: null,
};
let stream = null;
let current = null; // the mounted view
const notify = (type, d) => current && current.onEvent && current.onEvent(type, d);

// ---------- sound ----------

let soundOn = localStorage.getItem(SOUND_KEY) !== 'off';
let audio = null;
let lastChime = 0;

function unlockAudio() {
  const AC = window.AudioContext || window.webkitAudioContext;
  if (!AC) return;
  audio ??= new AC();
  if (audio.state === 'suspended') audio.resume().then(renderSound, () => {});
}

// Two rising notes for an order, three short beeps for a staff call, and for a printer
// that cannot print a falling two-tone siren, twice, with a harsher (square) sound.
const CHIMES = {
  order: { notes: [[784, 0], [1175, 0.18]], len: 0.6, type: 'sine', gain: 0.35 },
  call: { notes: [[1046, 0], [1046, 0.2], [1046, 0.4]], len: 0.18, type: 'sine', gain: 0.35 },
  printer: { notes: [[988, 0], [659, 0.25], [988, 0.55], [659, 0.8]], len: 0.22, type: 'square', gain: 0.12 },
};
function chime(kind) {
  if (!soundOn || !audio || audio.state !== 'running') return;
  const since = performance.now() - lastChime;
  // Chimes do not overlap; a call or a printer problem right after another chime plays next.
  if (since < 700) {
    if (kind !== 'order') setTimeout(() => chime(kind), 700 - since);
    return;
  }
  lastChime = performance.now();
  const now = audio.currentTime;
  const c = CHIMES[kind] || CHIMES.order;
  for (const [freq, at] of c.notes) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = c.type;
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + at);
    gain.gain.exponentialRampToValueAtTime(c.gain, now + at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + at + c.len);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + at);
    osc.stop(now + at + 0.65);
  }
}

function renderSound() {
  const b = $('#btn-sound');
  const blocked = soundOn && (!audio || audio.state !== 'running');
  b.replaceChildren(icon(soundOn ? 'sound' : 'mute'));
  b.classList.toggle('warn', blocked);
  b.setAttribute('aria-pressed', String(soundOn));
  const label = !soundOn ? t('sound.off') : blocked ? t('sound.blocked') : t('sound.on');
  b.title = label;
  b.setAttribute('aria-label', label);
}

// ---------- auth ----------

function loggedIn() {
  return auth && auth.token && Date.parse(auth.expires_at) > Date.now() + 60_000;
}

async function submitLogin(e) {
  e.preventDefault();
  const form = e.target;
  const f = Object.fromEntries(new FormData(form));
  const err = $('.form-error', form);
  err.textContent = '';
  if (!f.store_id || !f.username || !f.password) {
    err.textContent = t('login.required');
    return;
  }
  const btn = $('button[type=submit]', form);
  btn.disabled = true;
  try {
    const r = await api.post('/api/v1/auth/admin/login', { ...f, store_id: f.store_id.trim() }, { retried: true });
    auth = { token: r.token, expires_at: r.expires_at, store_id: r.store_id, username: r.username };
    localStorage.setItem(AUTH_KEY, JSON.stringify(auth));
    form.elements.password.value = '';
    start();
  } catch (x) {
    err.textContent = x.status === 401 ? t('login.rejected') : errorText(x);
  } finally {
    btn.disabled = false;
  }
}

function logout(message = '') {
  if (stream) stream.stop();
  stream = null;
  printers.clear();
  if (current && current.unmount) current.unmount();
  current = null;
  state.view = null;
  auth = auth ? { store_id: auth.store_id, username: auth.username } : null;
  localStorage.setItem(AUTH_KEY, JSON.stringify(auth));
  $('#table-dialog').close();
  $('#app').hidden = true;
  $('#login').hidden = false;
  const form = $('#login-form');
  if (auth) {
    form.elements.store_id.value = auth.store_id || '';
    form.elements.username.value = auth.username || '';
  }
  $('.form-error', form).textContent = message;
  (form.elements.store_id.value ? form.elements.password : form.elements.store_id).focus();
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

function endSession(d) {
  for (const [id, o] of state.orders) if (o.session_id === d.session_id) state.orders.delete(id);
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
    url: (last) =>
      `/api/v1/admin/events?token=${encodeURIComponent(auth.token)}` + (last ? `&last_event_id=${encodeURIComponent(last)}` : ''),
    onStatus: (up) => setConn($('#conn'), up),
    beforeReconnect: async () => {
      if (!loggedIn()) {
        logout(t('login.expired'));
        throw new Error('logged out');
      }
    },
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

const ordersView = {
  mount(el) {
    const filter = h('select#table-filter', {
      'aria-label': t('dash.filter'),
      onchange: (e) => {
        state.filter = e.target.value;
        localStorage.setItem('tableorder.filter', state.filter);
        scheduleRender();
      },
    });
    el.replaceChildren(
      h('section#calls-panel.calls-panel', { 'aria-live': 'polite' }),
      h('div.toolbar', h('label.field.inline', h('span', t('dash.filter')), filter), h('span.spacer'), h('div#dash-stats.stats')),
      h('div#grid.grid'),
    );
    this.render();
  },
  render() {
    renderCalls();
    const sel = $('#table-filter');
    const opts = [['all', t('dash.all')], ['active', t('dash.active')], ...state.tables.map((tb) => [String(tb.id), t('dash.tableN', { n: tb.number })])];
    if (!opts.some(([v]) => v === state.filter)) state.filter = 'all';
    const key = JSON.stringify(opts);
    if (sel.dataset.key !== key) {
      sel.dataset.key = key;
      sel.replaceChildren(...opts.map(([v, label]) => h('option', { value: v }, label)));
    }
    sel.value = state.filter;

    const all = [...state.orders.values()];
    const count = (s) => all.filter((o) => o.status === s).length;
    $('#dash-stats').replaceChildren(
      h('span', t('dash.activeTables'), ' ', h('strong', state.tables.filter((x) => x.session).length)),
      h('span.stat-pending', t('status.pending'), ' ', h('strong', count('pending'))),
      h('span.stat-preparing', t('status.preparing'), ' ', h('strong', count('preparing'))),
    );

    const shown = state.tables.filter((tb) =>
      state.filter === 'all' ? true : state.filter === 'active' ? tb.session : String(tb.id) === state.filter,
    );
    const grid = $('#grid');
    if (!shown.length) grid.replaceChildren(h('p.empty', state.tables.length ? t('dash.noActive') : t('dash.noTables')));
    else grid.replaceChildren(...shown.map(tableCard));
  },
};

function tableCard(tb) {
  const orders = tableOrders(tb.id);
  const s = tb.session;
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
      class: (s ? 'busy' : 'idle') + (cardPulse ? ' fresh' : ''),
      style: cardPulse || undefined,
      tabindex: 0,
      role: 'button',
      dataset: { tableId: tb.id, tableNumber: tb.number },
      onclick: () => openTable(tb.id),
      onkeydown: (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), openTable(tb.id)),
    },
    h(
      'header.tcard-head',
      h('span.tno', tb.number),
      live ? h('span.badge.live-count', { title: t('dash.openOrders') }, live) : null,
      h('span.spacer'),
      h('strong.ttotal', s ? won(s.total) : ''),
    ),
    s
      ? h('ul.orows', rows)
      : h('p.tcard-empty', t('dash.free')),
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
    toast(errorText(e), 'error');
  }
  scheduleRender();
}

async function cancelOrder(o) {
  if (!(await confirmDialog(t('order.cancelConfirm', { n: o.order_no, table: o.table_number }), { ok: t('order.cancel'), danger: true }))) return;
  try {
    applyOrder(await api.del(`/api/v1/admin/orders/${o.id}`), false);
  } catch (e) {
    toast(errorText(e), 'error');
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
    toast(errorText(e), 'error');
  }
  scheduleRender();
}

// ---------- navigation ----------

const views = { orders: ordersView };
// Pages that live under another's tab in the top bar.
const NAV_OF = { options: 'menu', stations: 'menu' };
function route() {
  if (!loggedIn()) return;
  const name = (location.hash || '#orders').slice(1);
  const view = views[name] || ordersView;
  const key = views[name] ? name : 'orders';
  if (current && current.unmount) current.unmount();
  state.view = key;
  current = view;
  for (const a of $$('.nav a')) a.classList.toggle('active', a.dataset.view === (NAV_OF[key] || key));
  const el = $('#view');
  el.dataset.view = key;
  view.mount(el);
}

function start() {
  $('#login').hidden = true;
  $('#app').hidden = false;
  setConn($('#conn'), false);
  renderSound();
  route();
  sync.reload();
  startStream();
}

function boot() {
  fillIcons();
  applyI18n();
  const ctx = { api, state, scheduleRender, printers, store: () => auth && auth.store_id };
  views.history = historyView(ctx);
  views.menu = menuView(ctx);
  views.options = optionsView(ctx);
  views.stations = stationsView(ctx);
  views.tables = tablesView(ctx);
  views.system = systemView(ctx);

  $('#login-form').addEventListener('submit', submitLogin);
  for (const b of $$('[data-action=lang]')) b.addEventListener('click', toggleLang);
  const langLabel = () => $$('.lang-label').forEach((x) => (x.textContent = lang() === 'ko' ? 'EN' : '한국어'));
  langLabel();
  onLangChange(() => {
    langLabel();
    renderSound();
    printers.renderBanner();
    setConn($('#conn'), $('#conn').classList.contains('up'));
    if (loggedIn() && !$('#app').hidden) {
      route();
      scheduleRender();
    }
  });
  $('#btn-logout').addEventListener('click', () => logout());
  $('#btn-sound').addEventListener('click', () => {
    soundOn = !soundOn;
    localStorage.setItem(SOUND_KEY, soundOn ? 'on' : 'off');
    unlockAudio();
    renderSound();
    if (soundOn) setTimeout(() => chime('order'), 50);
  });
  $('#calls-pill').addEventListener('click', () => (location.hash = '#orders'));
  // Browsers start audio only after a user gesture.
  for (const ev of ['pointerdown', 'keydown']) document.addEventListener(ev, () => (unlockAudio(), renderSound()), { passive: true });
  window.addEventListener('hashchange', route);
  $('#table-dialog').addEventListener('close', () => (state.openTable = null));
  $('#table-dialog').addEventListener('click', (e) => e.target === e.currentTarget && e.currentTarget.close());

  if (loggedIn()) start();
  else logout(auth && auth.token ? t('login.expired') : '');
}

boot();
