// The guest tablet: menu in four languages, item sheet with options and notes, cart,
// order placement, my orders, staff call and the bill. Drawing lives in table-views.js, the
// item sheet in sheet.js, the cart's rules in cart.js, the calls in table-calls.js.
import './strings-ja.js';
import './strings-zh.js';
import { createApi, openStream, createSync, uuid, NOT_MODIFIED } from './api.js';
import { h, $, $$, fillIcons, toast, errorText, setConn, confirmDialog, setTimeZone } from './ui.js';
import { t, applyI18n, onLangChange, lang, setLang, setLanguages, LANGS, LANG_NAMES } from './i18n.js';
import { MAX_QTY, lineKey, normalizeLines, lineView, findOption } from './cart.js';
import { itemSheet } from './sheet.js';
import { renderMenu, renderCart, renderOrders, forgetCards } from './table-views.js';
import { setupScreen } from './table-setup.js';
import { fullscreenButton } from './kiosk.js';
import { askGuests } from './guests.js';
import { tableCalls } from './table-calls.js';

const CONF_KEY = 'tableorder.tablet';
const CART_KEY = 'tableorder.cart';
const ATTEMPT_KEY = 'tableorder.attempt';
const MENU_KEY = 'tableorder.menus';
const GUEST_LANG_KEY = 'tableorder.guestLang';

const load = (k) => {
  try {
    return JSON.parse(localStorage.getItem(k) || 'null');
  } catch {
    return null;
  }
};
const save = (k, v) => {
  try {
    if (v == null) localStorage.removeItem(k);
    else localStorage.setItem(k, JSON.stringify(v));
  } catch {
    /* storage full: the menu cache is only a head start */
  }
};

// {store, table, password (null after a setup QR code), token, expires_at, table_id, lang, tz,
//  device_key (a QR-set-up tablet's, to renew its login)}
let conf = load(CONF_KEY);
const cached = load(MENU_KEY);
const noFlags = () => ({ items: new Set(), options: new Set() });
const state = {
  // The menu in each language this tablet has shown: {ko: {etag, menu}, en: …}.
  menus: cached && conf && cached.store === conf.store && cached.menus ? cached.menus : {},
  menu: null, // the menu on screen, in lang()
  menuError: null,
  // The store's own language (from the menu's answer), and the guests' choice (null = the store's).
  storeLang: (conf && conf.lang) || 'ko',
  guestLang: load(GUEST_LANG_KEY),
  cat: null,
  orders: [],
  sessionId: null,
  sessionTotal: 0,
  guests: null, // the visit's number of guests, when known
  askGuests: false, // the store asks it before a visit's first order
  endedUpTo: 0,
  cart: normalizeLines(load(CART_KEY)),
  attempt: load(ATTEMPT_KEY), // {key, sig, guests}: the order attempt whose answer is unknown
  busy: false,
  orderError: null,
  flagged: noFlags(), // item and option ids a refused order named as unavailable
  recheck: new Set(), // keys of lines the server refused as invalid choices
  up: false, // the live stream is connected
};
let stream = null;
let setup = null; // the setup screen (table-setup.js)
const sheet = itemSheet({ dialog: $('#item-sheet'), onSubmit: addLine });

// ---------- API and login ----------

let relogging = null;
const api = createApi({ token: () => conf && conf.token, relogin });
// 직원 호출 and 계산 요청 (table-calls.js).
const calls = tableCalls({ api, session: () => ({ id: state.sessionId, total: state.sessionTotal }), onChange: () => render() });

function relogin() {
  if (!conf) return Promise.resolve(false);
  // A tablet set up with a QR code has no password: its device key renews its login,
  // until staff change the table's password or delete the table.
  if (!conf.password && !conf.device_key) {
    setup.show(t('setup.expired'));
    return Promise.resolve(false);
  }
  const again = () =>
    conf.password
      ? login(conf.store, conf.table, conf.password)
      : api.post('/api/v1/auth/table/renew', { device_key: conf.device_key }, { retried: true }).then((r) => adopt(r, null));
  relogging ??= again()
    .then(() => true)
    .catch((e) => {
      if (e.status === 401 || e.status === 404) setup.show(t(conf.password ? 'setup.rejected' : 'setup.expired'));
      return false;
    })
    .finally(() => (relogging = null));
  return relogging;
}

async function login(store, table, password) {
  const r = await api.post(
    '/api/v1/auth/table/login',
    { store_id: store, table_number: Number(table), password },
    { retried: true },
  );
  adopt(r, password);
}

// A setup QR code's one-time code: the same answer as a login, without a password.
async function loginWithCode(code) {
  adopt(await api.post('/api/v1/auth/table/setup', { code }, { retried: true }), null);
}

// Keeps a login answer; a tablet moved to another table or store starts afresh.
function adopt(r, password) {
  const store = r.store_id;
  const moved = !conf || conf.store !== store || conf.table_id !== r.table_id;
  const keepLang = !moved && conf.lang;
  const tz = r.timezone || (!moved && conf.tz) || undefined;
  const device_key = r.device_key || (!moved && !password && conf.device_key) || undefined;
  conf = { store, table: r.table_number, password, token: r.token, expires_at: r.expires_at, table_id: r.table_id, lang: keepLang || undefined, tz, device_key };
  save(CONF_KEY, conf);
  setTimeZone(tz);
  if (moved) {
    state.cart = [];
    state.menus = {};
    state.menu = null;
    save(CART_KEY, null);
    save(ATTEMPT_KEY, null);
    save(MENU_KEY, null);
    setGuestLang(null);
  }
}

// ---------- languages ----------

function setGuestLang(l) {
  state.guestLang = l && l !== state.storeLang ? l : null;
  save(GUEST_LANG_KEY, state.guestLang);
  setLang(state.guestLang || state.storeLang, { save: false });
}

// The UI text and the menu follow the language; a cached menu shows at once, then is checked.
function languageChanged() {
  state.menu = state.menus[lang()]?.menu ?? state.menu;
  forgetCards();
  $('.lang-label').textContent = LANG_NAMES[lang()];
  setConn($('#conn'), $('#conn').classList.contains('up'));
  render();
  sheet.refresh(menuItem);
  if (conf && conf.token) loadMenu();
}

function openLangMenu() {
  const d = $('#lang-menu');
  $('.lang-list', d).replaceChildren(
    ...LANGS.map((l) =>
      h(
        'button.lang-choice',
        {
          type: 'button',
          lang: l,
          'aria-pressed': String(l === lang()),
          dataset: { lang: l },
          onclick: () => {
            d.close();
            setGuestLang(l);
          },
        },
        LANG_NAMES[l],
      ),
    ),
  );
  if (!d.open) d.showModal();
}

// ---------- data ----------

// The menu in the current language. Without a guest's choice it asks for the store's own
// language and learns which one that is. Each language has its own ETag.
async function loadMenu() {
  const want = lang();
  const own = state.guestLang == null;
  const have = state.menus[want];
  try {
    const r = await api.get(own ? '/api/v1/menu' : `/api/v1/menu?lang=${want}`, {
      headers: have && have.menu && have.etag ? { 'If-None-Match': have.etag } : {},
      withResponse: true,
    });
    state.menuError = null;
    if (r !== NOT_MODIFIED) {
      const got = r.data.lang || want;
      const old = state.menus[got];
      // An older answer that arrives late never replaces a newer menu.
      if (!old || !old.menu || !(old.menu.version > r.data.version)) {
        state.menus[got] = { etag: r.res.headers.get('etag'), menu: r.data };
        state.flagged = noFlags();
        save(MENU_KEY, { store: conf.store, menus: state.menus });
      }
      if (own && got !== state.storeLang) {
        state.storeLang = got;
        conf.lang = got;
        save(CONF_KEY, conf);
      }
      if (r.data.timezone && r.data.timezone !== conf.tz) {
        conf.tz = r.data.timezone;
        save(CONF_KEY, conf);
        setTimeZone(conf.tz);
      }
    }
  } catch (e) {
    state.menuError = e;
  }
  if (state.guestLang == null && lang() !== state.storeLang) return setLang(state.storeLang, { save: false });
  if (lang() !== want) return; // the language changed meanwhile; its own load follows
  state.menu = state.menus[want]?.menu ?? state.menu;
  render();
  sheet.refresh(menuItem);
}

async function loadOrders() {
  try {
    const r = await api.get('/api/v1/orders');
    state.orders = r.orders || [];
    state.sessionId = r.session_id ?? null;
    state.sessionTotal = r.total || 0;
    state.guests = r.guests ?? null;
    state.askGuests = !!r.ask_guests;
    // A visit moved here from another table may be older than one that ended here: the box's
    // answer is what this table holds now, and its later events count.
    if (state.sessionId != null && state.sessionId <= state.endedUpTo) state.endedUpTo = state.sessionId - 1;
  } catch (e) {
    if (!e.network) toast(errorText(e), 'error');
  }
}

// Whether staff are on their way (an open call or bill request survives a reload).
const sync = createSync(() => Promise.all([loadMenu(), loadOrders(), calls.load()]), () => render());

function applyOrder(o) {
  if (o.session_id <= state.endedUpTo) return;
  if (state.sessionId == null || o.session_id > state.sessionId) {
    if (state.sessionId != null) state.orders = [];
    state.sessionId = o.session_id;
  }
  if (o.session_id !== state.sessionId) return;
  const i = state.orders.findIndex((x) => x.id === o.id);
  if (i >= 0) state.orders[i] = o;
  else state.orders.unshift(o);
  state.orders.sort((a, b) => b.id - a.id);
  state.sessionTotal = o.session
    ? o.session.total
    : state.orders.filter((x) => x.status !== 'cancelled').reduce((s, x) => s + x.total, 0);
}

// The guests leave: the next ones start with an empty cart, in the store's language.
function sessionEnded(d) {
  state.endedUpTo = Math.max(state.endedUpTo, d.session_id || 0);
  if (state.sessionId == null || d.session_id >= state.sessionId) {
    guestsLeft();
    toast(t('table.sessionEnded'), 'info', 6000);
  }
}

// The table is free again: the next guests start with an empty cart, in the store's language.
function guestsLeft() {
  state.orders = [];
  state.sessionId = null;
  state.sessionTotal = 0;
  state.guests = null;
  calls.clear();
  setCart([]);
  sheet.close();
  for (const id of ['#cart-sheet', '#lang-menu']) if ($(id).open) $(id).close();
  if (state.guestLang != null) setGuestLang(null);
}

// Staff moved the guests (이동, 합석) or one order to another table: both tablets read their
// orders again. The guests who left this table leave an empty one behind them.
function sessionMoved(d) {
  const mine = conf && conf.table_id;
  if (d.from_table_id === mine && d.order_id == null) {
    guestsLeft();
    toast(t('moved.away', { n: d.to_table_number }), 'info', 8000);
  } else if (d.to_table_id === mine) {
    if (d.session_id <= state.endedUpTo) state.endedUpTo = d.session_id - 1;
    toast(t('moved.here', { n: d.from_table_number }), 'info', 8000);
  }
  sync.reload();
}

function startStream() {
  if (stream) stream.stop();
  stream = openStream({
    url: (last) =>
      `/api/v1/events?token=${encodeURIComponent(conf.token)}` + (last ? `&last_event_id=${encodeURIComponent(last)}` : ''),
    onStatus: (up) => {
      const back = up && !state.up;
      state.up = up;
      setConn($('#conn'), up);
      if (back) resendUnknown();
    },
    beforeReconnect: async () => {
      // A refused stream is most often an expired token.
      if (!(await relogin())) throw new Error('login failed');
    },
    handlers: {
      hello: (d, { first }) => first && sync.reload(),
      resync: () => sync.reload(),
      order_created: sync.wrap(applyOrder),
      order_updated: sync.wrap(applyOrder),
      order_cancelled: sync.wrap(applyOrder),
      session_ended: sync.wrap(sessionEnded),
      session_moved: sync.wrap(sessionMoved),
      call_acked: sync.wrap((d) => calls.acked(d)),
      menu_changed: (d) => {
        loadMenu();
        // Whether guests are asked before the first order may have changed.
        if (d.change === 'settings_changed') loadOrders().then(render);
      },
    },
  });
}

// ---------- cart ----------

function setCart(lines) {
  state.cart = lines.filter((l) => l.qty > 0);
  save(CART_KEY, state.cart);
  state.orderError = null;
  state.flagged = noFlags();
  state.recheck = new Set([...state.recheck].filter((k) => state.cart.some((l) => l.key === k)));
}
const menuItem = (id) => {
  for (const c of state.menu?.categories || []) for (const it of c.items) if (it.id === id) return it;
  return null;
};

// Adds a line from the item sheet (or replaces the line it edited); the same item with the
// same options and note adds up on one line.
function addLine({ item, optionIds, note, qty, replaces }) {
  const key = lineKey(item.id, optionIds, note);
  const lines = state.cart.slice();
  let at = lines.length;
  if (replaces) {
    const i = lines.findIndex((l) => l.key === replaces);
    if (i >= 0) {
      at = i;
      lines.splice(i, 1);
    }
    state.recheck.delete(replaces);
  }
  const same = lines.find((l) => l.key === key);
  if (same) same.qty = Math.min(MAX_QTY, same.qty + qty);
  else {
    const options = optionIds.map((id) => {
      const o = findOption(item, id).option;
      return { id, name: o.name, price_delta: o.price_delta };
    });
    lines.splice(at, 0, { key, id: item.id, name: item.name, price: item.price, qty: Math.min(MAX_QTY, qty), options, note });
  }
  setCart(lines);
  render();
  bump();
}

const quickAdd = (item) => addLine({ item, optionIds: [], note: '', qty: 1, replaces: null });

function changeQty(key, delta) {
  const line = state.cart.find((l) => l.key === key);
  if (!line) return;
  line.qty = Math.min(MAX_QTY, line.qty + delta);
  setCart(state.cart);
  render();
}

// Cart lines with the menu's current names, prices and availability.
function cartView() {
  const opts = { menuLoaded: !!state.menu, flagged: state.flagged };
  return state.cart.map((l) => {
    const v = lineView(l, menuItem(l.id), opts);
    if (state.recheck.has(l.key) && !v.soldOut) v.recheck = true;
    return v;
  });
}
const qtyOf = (id) => state.cart.reduce((s, l) => s + (l.id === id ? l.qty : 0), 0);

function bump() {
  const el = $('.cart-icon');
  el.classList.remove('bump');
  void el.offsetWidth;
  el.classList.add('bump');
}

// ---------- ordering ----------

const orderLines = (lines) =>
  lines.map((l) => {
    const line = { menu_item_id: l.id, quantity: l.qty, option_ids: l.options.map((o) => o.id) };
    if (l.note) line.note = l.note;
    return line;
  });

// The connection is back while an order's fate is unknown: send the same attempt again (same
// key, so the server answers with the order it already has, or places it now) and the
// "could not confirm" message resolves itself. Only for the cart the guest sent.
function resendUnknown() {
  const e = state.orderError;
  if (!e || !e.retryable || !state.attempt || state.busy) return;
  if (state.attempt.sig !== JSON.stringify(orderLines(state.cart))) return;
  placeOrder();
}

// "몇 분이세요?" before a visit's first order, when the store asks it (once per attempt: a
// retry sends the same number). Resolves the number, undefined when not asked, null when the
// guests closed the question.
async function guestsForOrder(sig) {
  if (!state.askGuests || state.sessionId != null || state.guests) return undefined;
  if (state.attempt && state.attempt.sig === sig && state.attempt.guests) return state.attempt.guests;
  return askGuests({ okKey: 'guests.ok' });
}

async function placeOrder() {
  if (state.busy || !state.cart.length) return;
  const lines = state.cart.slice();
  const items = orderLines(lines);
  const sig = JSON.stringify(items);
  state.busy = true;
  const guests = await guestsForOrder(sig);
  if (guests === null) {
    state.busy = false;
    return;
  }
  // The same attempt (same cart) keeps its key, so a retry never makes a second order.
  if (!state.attempt || state.attempt.sig !== sig) state.attempt = { key: uuid(), sig };
  if (guests) state.attempt.guests = guests;
  save(ATTEMPT_KEY, state.attempt);
  state.orderError = null;
  render();
  try {
    const body = guests ? { items, guests } : { items };
    const order = await api.post('/api/v1/orders', body, { headers: { 'Idempotency-Key': state.attempt.key } });
    if (guests) state.guests = guests;
    state.attempt = null;
    save(ATTEMPT_KEY, null);
    setCart([]);
    applyOrder(order);
    showDone(order);
  } catch (e) {
    if (!e.retryable) {
      state.attempt = null;
      save(ATTEMPT_KEY, null);
    }
    state.orderError = e;
    if (e.code === 'item_unavailable') {
      state.flagged = { items: new Set(e.menuItemIds), options: new Set(e.optionIds) };
      loadMenu();
    }
    // "items[2].option_ids": that line's choices no longer fit the item (its groups changed).
    for (const f of Object.keys(e.fields || {})) {
      const m = /^items\[(\d+)\]/.exec(f);
      if (m && lines[Number(m[1])]) state.recheck.add(lines[Number(m[1])].key);
    }
  } finally {
    state.busy = false;
    render();
  }
}

let doneTimer = null;
function showDone(order) {
  $('#cart-sheet').close();
  $('#done-no').textContent = `#${order.order_no}`;
  const el = $('#done');
  el.hidden = false;
  const bar = $('.done-bar span', el);
  bar.style.animation = 'none';
  void bar.offsetWidth;
  bar.style.animation = '';
  clearTimeout(doneTimer);
  doneTimer = setTimeout(hideDone, 5000);
}
function hideDone() {
  clearTimeout(doneTimer);
  $('#done').hidden = true;
  $('#menu').scrollTo({ top: 0 });
}

// ---------- rendering ----------

// Orders keep the names copied when they were placed (the store's language); a guest reading
// another language sees the current menu's names where the item still exists.
function orderItemName(i) {
  if (lang() === state.storeLang) return i.name;
  return menuItem(i.menu_item_id)?.name ?? i.name;
}
function orderOptionNames(i) {
  const it = lang() === state.storeLang ? null : menuItem(i.menu_item_id);
  return (i.options || []).map((o) => (it && findOption(it, o.option_id)?.option.name) || o.name);
}

function render() {
  if (!conf) return;
  $('#table-label').textContent = t('table.label', { n: conf.table });
  $('#page-title').textContent = t('table.pageTitle', { n: conf.table });
  renderMenu({ state, qtyOf, openItem: (it) => sheet.open(it), quickAdd });
  const lines = cartView();
  // A line that went sold out cannot be ordered: it counts in neither the total nor the button.
  const orderable = lines.filter((l) => !l.soldOut);
  renderCart({
    state,
    lines,
    total: orderable.reduce((s, l) => s + l.unit * l.qty, 0),
    count: orderable.reduce((s, l) => s + l.qty, 0),
    changeQty,
    placeOrder,
    menuItem,
    canEdit: (l) => !!menuItem(l.id)?.available,
    editLine: (l) => sheet.open(menuItem(l.id), state.cart.find((x) => x.key === l.key)),
  });
  renderOrders({ state, itemName: orderItemName, optionNames: orderOptionNames });
  calls.render();
}

// ---------- screens ----------

function showKiosk() {
  $('#setup').hidden = true;
  $('#kiosk').hidden = false;
  render();
  sync.reload();
  startStream();
}

function openSheet(id) {
  const d = $(id);
  if (!d.open) d.showModal();
}

async function boot() {
  localStorage.removeItem('tableorder.menu'); // the one-language cache of earlier versions
  setLanguages(LANGS);
  setLang(state.guestLang || state.storeLang, { save: false });
  if (conf && conf.tz) setTimeZone(conf.tz);
  state.menu = state.menus[lang()]?.menu ?? null;
  fillIcons();
  applyI18n();
  setup = setupScreen({
    login,
    loginWithCode,
    conf: () => conf,
    leave: () => {
      if (stream) stream.stop();
      stream = null;
    },
    ready: showKiosk,
  });
  $('#btn-lang').addEventListener('click', openLangMenu);
  $('#btn-orders').addEventListener('click', () => {
    render();
    openSheet('#orders-sheet');
  });
  $('#btn-cart').addEventListener('click', () => openSheet('#cart-sheet'));
  $('#btn-order').addEventListener('click', () => openSheet('#cart-sheet'));
  $('#btn-place').addEventListener('click', placeOrder);
  $('#btn-clear').addEventListener('click', async () => {
    if (await confirmDialog(t('cart.clearConfirm'), { ok: t('cart.clear'), danger: true })) {
      setCart([]);
      render();
    }
  });
  $('#done').addEventListener('click', hideDone);
  fullscreenButton($('#btn-fullscreen'));
  for (const d of $$('dialog.sheet, dialog.lang-menu')) {
    d.addEventListener('click', (e) => {
      if (e.target === d || e.target.closest('[data-close]')) d.close();
    });
  }
  onLangChange(languageChanged);
  $('.lang-label').textContent = LANG_NAMES[lang()];
  setConn($('#conn'), false);

  if ((await setup.fromCode()) || (await setup.fromLink())) return;
  if (conf && conf.token) showKiosk();
  else setup.show();
}

boot();
