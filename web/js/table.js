// The guest tablet: menu, cart, order placement, my orders, staff call.
import { createApi, openStream, createSync, uuid, NOT_MODIFIED } from './api.js';
import { h, $, won, hm, icon, fillIcons, toast, errorText, setConn, confirmDialog, showFieldErrors, clearFieldErrors } from './ui.js';
import { t, applyI18n, toggleLang, onLangChange, lang } from './i18n.js';

const CONF_KEY = 'tableorder.tablet';
const CART_KEY = 'tableorder.cart';
const ATTEMPT_KEY = 'tableorder.attempt';
const MENU_KEY = 'tableorder.menu';

const load = (k) => {
  try {
    return JSON.parse(localStorage.getItem(k) || 'null');
  } catch {
    return null;
  }
};
const save = (k, v) => (v == null ? localStorage.removeItem(k) : localStorage.setItem(k, JSON.stringify(v)));

let conf = load(CONF_KEY); // {store, table, password, token, expires_at, table_id}
const cached = load(MENU_KEY);
const state = {
  menu: cached && conf && cached.store === conf.store ? cached.menu : null,
  etag: cached && conf && cached.store === conf.store ? cached.etag : null,
  menuError: null,
  cat: null,
  orders: [],
  sessionId: null,
  sessionTotal: 0,
  endedUpTo: 0,
  cart: load(CART_KEY) || [], // [{id, name, price, qty}]
  attempt: load(ATTEMPT_KEY), // {key, sig}: the order attempt whose answer is unknown
  busy: false,
  orderError: null,
  calling: false,
};
let stream = null;

// ---------- API and login ----------

let relogging = null;
const api = createApi({ token: () => conf && conf.token, relogin });

function relogin() {
  if (!conf) return Promise.resolve(false);
  relogging ??= login(conf.store, conf.table, conf.password)
    .then(() => true)
    .catch((e) => {
      if (e.status === 401 || e.status === 404) showSetup(t('setup.rejected'));
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
  const moved = !conf || conf.store !== store || conf.table_id !== r.table_id;
  conf = { store, table: r.table_number, password, token: r.token, expires_at: r.expires_at, table_id: r.table_id };
  save(CONF_KEY, conf);
  if (moved) {
    state.cart = [];
    state.menu = null;
    state.etag = null;
    save(CART_KEY, null);
    save(ATTEMPT_KEY, null);
    save(MENU_KEY, null);
  }
}

// ---------- data ----------

async function loadMenu() {
  try {
    const r = await api.get('/api/v1/menu', {
      headers: state.etag && state.menu ? { 'If-None-Match': state.etag } : {},
      withResponse: true,
    });
    state.menuError = null;
    if (r === NOT_MODIFIED) return;
    state.menu = r.data;
    state.etag = r.res.headers.get('etag');
    save(MENU_KEY, { store: conf.store, etag: state.etag, menu: state.menu });
  } catch (e) {
    state.menuError = e;
  }
  render();
}

async function loadOrders() {
  try {
    const r = await api.get('/api/v1/orders');
    state.orders = r.orders || [];
    state.sessionId = r.session_id ?? null;
    state.sessionTotal = r.total || 0;
  } catch (e) {
    if (!e.network) toast(errorText(e), 'error');
  }
}

const sync = createSync(() => Promise.all([loadMenu(), loadOrders()]), () => render());

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

function startStream() {
  if (stream) stream.stop();
  stream = openStream({
    url: (last) =>
      `/api/v1/events?token=${encodeURIComponent(conf.token)}` + (last ? `&last_event_id=${encodeURIComponent(last)}` : ''),
    onStatus: (up) => setConn($('#conn'), up),
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
      session_ended: sync.wrap((d) => {
        state.endedUpTo = Math.max(state.endedUpTo, d.session_id || 0);
        if (state.sessionId == null || d.session_id >= state.sessionId) {
          state.orders = [];
          state.sessionId = null;
          state.sessionTotal = 0;
          state.calling = false;
          setCart([]);
          toast(t('table.sessionEnded'), 'info', 6000);
        }
      }),
      call_acked: sync.wrap(() => {
        if (state.calling) toast(t('call.acked'), 'ok', 6000);
        state.calling = false;
      }),
      menu_changed: () => loadMenu(),
    },
  });
}

// ---------- cart ----------

function setCart(lines) {
  state.cart = lines.filter((l) => l.qty > 0);
  save(CART_KEY, state.cart);
  state.orderError = null;
}
const menuItem = (id) => {
  for (const c of state.menu?.categories || []) for (const it of c.items) if (it.id === id) return it;
  return null;
};
function addToCart(item) {
  const line = state.cart.find((l) => l.id === item.id);
  if (line) {
    if (line.qty >= 99) return;
    line.qty++;
  } else state.cart.push({ id: item.id, name: item.name, price: item.price, qty: 1 });
  setCart(state.cart);
  render();
  bump();
}
function changeQty(id, delta) {
  const line = state.cart.find((l) => l.id === id);
  if (!line) return;
  line.qty = Math.min(99, line.qty + delta);
  setCart(state.cart);
  render();
}
// Cart lines with the menu's current name, price and availability.
function cartView() {
  return state.cart.map((l) => {
    const it = menuItem(l.id);
    const name = it ? it.name : l.name;
    const price = it ? it.price : l.price;
    return { ...l, name, price, soldOut: state.menu ? !it || !it.available : false };
  });
}
const cartCount = () => state.cart.reduce((s, l) => s + l.qty, 0);
const cartTotal = () => cartView().reduce((s, l) => s + l.price * l.qty, 0);

function bump() {
  const el = $('.cart-icon');
  el.classList.remove('bump');
  void el.offsetWidth;
  el.classList.add('bump');
}

// ---------- ordering ----------

async function placeOrder() {
  if (state.busy || !state.cart.length) return;
  const items = state.cart.map((l) => ({ menu_item_id: l.id, quantity: l.qty }));
  const sig = JSON.stringify(items);
  // The same attempt (same cart) keeps its key, so a retry never makes a second order.
  if (!state.attempt || state.attempt.sig !== sig) {
    state.attempt = { key: uuid(), sig };
    save(ATTEMPT_KEY, state.attempt);
  }
  state.busy = true;
  state.orderError = null;
  render();
  try {
    const order = await api.post('/api/v1/orders', { items }, { headers: { 'Idempotency-Key': state.attempt.key } });
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
    if (e.code === 'item_unavailable') loadMenu();
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

async function callStaff() {
  const btn = $('#btn-call');
  btn.disabled = true;
  try {
    await api.post('/api/v1/calls', {});
    state.calling = true;
    toast(t('call.sent'), 'ok', 6000);
  } catch (e) {
    toast(errorText(e), 'error');
  } finally {
    btn.disabled = false;
    render();
  }
}

// ---------- rendering ----------

function render() {
  if (!conf) return;
  $('#table-label').textContent = t('table.label', { n: conf.table });
  renderMenu();
  renderCart();
  renderOrders();
  const call = $('#btn-call');
  call.classList.toggle('active', state.calling);
  $('.call-label', call).textContent = state.calling ? t('call.waiting') : t('table.call');
}

function renderMenu() {
  const cats = state.menu ? state.menu.categories.filter((c) => c.items.length) : [];
  if (!cats.some((c) => c.id === state.cat)) state.cat = cats[0]?.id ?? null;
  const nav = $('#cats');
  nav.replaceChildren(
    ...cats.map((c) =>
      h(
        'button.cat',
        {
          type: 'button',
          role: 'tab',
          'aria-selected': String(c.id === state.cat),
          onclick: () => {
            state.cat = c.id;
            renderMenu();
            $('#menu').scrollTo({ top: 0 });
          },
        },
        h('span.cat-name', c.name),
        h('span.cat-count', c.items.length),
      ),
    ),
  );

  const status = $('#menu-status');
  if (!state.menu) {
    status.hidden = false;
    status.textContent = state.menuError ? errorText(state.menuError) : t('common.loading');
  } else if (!cats.length) {
    status.hidden = false;
    status.textContent = t('menu.empty');
  } else status.hidden = true;

  const cat = cats.find((c) => c.id === state.cat);
  const inCart = new Map(state.cart.map((l) => [l.id, l.qty]));
  const cards = (cat ? cat.items : []).map((it) => cachedCard(it, inCart.get(it.id) || 0));
  const box = $('#items');
  if (cards.length !== box.children.length || cards.some((c, i) => c !== box.children[i])) box.replaceChildren(...cards);
}

// Cards are rebuilt only when what they show changes, so images do not flicker.
const cardCache = new Map();
function cachedCard(it, qty) {
  const key = JSON.stringify([it.name, it.description, it.price, it.image_url, it.available, qty, lang()]);
  const hit = cardCache.get(it.id);
  if (hit && hit.key === key) return hit.el;
  const el = itemCard(it, qty);
  cardCache.set(it.id, { key, el });
  return el;
}

function itemCard(it, qty) {
  const soldOut = !it.available;
  const thumb = it.image_url
    ? h('img', { src: it.image_url, alt: '', loading: 'lazy', decoding: 'async', onerror: (e) => e.target.replaceWith(placeholder()) })
    : placeholder();
  return h(
    'article.item',
    {
      class: (soldOut ? 'soldout' : '') + (qty ? ' in-cart' : ''),
      dataset: { itemId: it.id },
      onclick: () => !soldOut && addToCart(it),
    },
    h('div.thumb', thumb, soldOut ? h('span.badge.soldout-badge', t('menu.soldOut')) : null, qty ? h('span.qty-badge', qty) : null),
    h(
      'div.info',
      h('h3.name', it.name),
      it.description ? h('p.desc', it.description) : null,
      h(
        'div.foot',
        h('span.price', won(it.price)),
        h(
          'button.add',
          {
            type: 'button',
            disabled: soldOut,
            'aria-label': `${it.name} ${t('menu.add')}`,
          },
          icon('plus'),
          h('span', soldOut ? t('menu.soldOut') : t('menu.add')),
        ),
      ),
    ),
  );
}
const placeholder = () => h('div.ph', icon('bowl'));

function renderCart() {
  const count = cartCount();
  const total = cartTotal();
  $('#cart-count').textContent = count;
  $('#cart-count').classList.toggle('zero', !count);
  $('#cart-total').textContent = won(total);
  $('#cart-caption').textContent = count ? t('cart.items', { n: count }) : t('cart.empty');
  $('#btn-order').disabled = !count;
  $('#btn-cart').disabled = !count && !state.orderError;

  const lines = cartView();
  const body = $('#cart-lines');
  if (!lines.length) body.replaceChildren(h('p.empty', t('cart.empty')));
  else
    body.replaceChildren(
      ...lines.map((l) =>
        h(
          'div.line',
          { class: l.soldOut ? 'soldout' : '', dataset: { itemId: l.id } },
          h('div.line-name', h('strong', l.name), l.soldOut ? h('span.badge.soldout-badge', t('menu.soldOut')) : null, h('small.muted', won(l.price))),
          h(
            'div.stepper',
            h('button.icon-btn', { type: 'button', 'aria-label': t('cart.less'), disabled: l.qty <= 1, onclick: () => changeQty(l.id, -1) }, icon('minus')),
            h('span.qty', l.qty),
            h('button.icon-btn', { type: 'button', 'aria-label': t('cart.more'), disabled: l.qty >= 99, onclick: () => changeQty(l.id, 1) }, icon('plus')),
          ),
          h('span.line-total', won(l.price * l.qty)),
          h('button.icon-btn.ghost.remove', { type: 'button', 'aria-label': t('cart.remove'), onclick: () => changeQty(l.id, -l.qty) }, icon('trash')),
        ),
      ),
    );
  $('#sheet-total').textContent = won(total);
  const soldOut = lines.some((l) => l.soldOut);
  const place = $('#btn-place');
  place.disabled = !lines.length || state.busy || soldOut;
  place.textContent = state.busy ? t('cart.sending') : `${t('cart.place')} · ${won(total)}`;
  $('#btn-clear').disabled = !lines.length || state.busy;

  const err = $('#order-error');
  const e = state.orderError;
  const hint = soldOut && !e ? t('cart.removeSoldOut') : '';
  err.hidden = !e && !hint;
  if (e) {
    const unknown = e.network || e.status >= 500;
    err.replaceChildren(
      h('span', unknown ? `${t('order.unknown')} ${errorText(e)}` : errorText(e)),
      e.retryable && state.attempt ? h('button.primary', { type: 'button', onclick: placeOrder, 'data-action': 'retry' }, t('order.retry')) : null,
    );
  } else err.replaceChildren(hint);
}

const STATUS = ['pending', 'preparing', 'completed', 'cancelled'];
function renderOrders() {
  const list = $('#orders-list');
  $('#orders-total').textContent = won(state.sessionTotal);
  if (!state.orders.length) {
    list.replaceChildren(h('p.empty', t('orders.none')));
    return;
  }
  list.replaceChildren(
    ...state.orders.map((o) =>
      h(
        'article.order',
        { class: 'st-' + o.status, dataset: { orderId: o.id, status: o.status } },
        h(
          'header',
          h('strong', t('orders.no', { n: o.order_no })),
          h('span.muted', hm(o.created_at)),
          h('span.spacer'),
          h('span.status', { class: 'st-' + (STATUS.includes(o.status) ? o.status : 'pending') }, t('status.' + o.status)),
        ),
        h('ul', ...o.items.map((i) => h('li', h('span', `${i.name} × ${i.quantity}`), h('span', won(i.unit_price * i.quantity))))),
        h('footer', h('span', t('cart.total')), h('strong', won(o.total))),
      ),
    ),
  );
}

// ---------- screens ----------

function showSetup(message = '', cancellable = false) {
  if (stream) stream.stop();
  stream = null;
  $('#kiosk').hidden = true;
  $('#setup').hidden = false;
  const form = $('#setup-form');
  clearFieldErrors(form);
  if (conf) {
    form.elements.store.value = conf.store;
    form.elements.table.value = conf.table;
  }
  form.elements.password.value = '';
  $('.form-error', form).textContent = message;
  $('#setup-cancel').hidden = !cancellable;
}

function showKiosk() {
  $('#setup').hidden = true;
  $('#kiosk').hidden = false;
  render();
  sync.reload();
  startStream();
}

async function submitSetup(e) {
  e.preventDefault();
  const form = e.target;
  const f = Object.fromEntries(new FormData(form));
  clearFieldErrors(form);
  if (!f.store || !f.table || !f.password) {
    $('.form-error', form).textContent = t('setup.required');
    return;
  }
  const btn = $('button[type=submit]', form);
  btn.disabled = true;
  try {
    await login(f.store.trim(), f.table, f.password);
    showKiosk();
  } catch (err) {
    if (err.status === 401) $('.form-error', form).textContent = t('setup.rejected');
    else showFieldErrors(form, err);
  } finally {
    btn.disabled = false;
  }
}

// Long press on the table label opens the setup screen for staff.
function longPress(el, ms, fn) {
  let timer = null;
  const stop = () => clearTimeout(timer);
  el.addEventListener('pointerdown', () => {
    stop();
    timer = setTimeout(fn, ms);
  });
  for (const ev of ['pointerup', 'pointerleave', 'pointercancel']) el.addEventListener(ev, stop);
  el.addEventListener('contextmenu', (e) => e.preventDefault());
}

function openSheet(id) {
  const d = $(id);
  if (!d.open) d.showModal();
}

async function boot() {
  fillIcons();
  applyI18n();
  $('#setup-form').addEventListener('submit', submitSetup);
  $('#setup-cancel').addEventListener('click', () => conf && showKiosk());
  $('#btn-lang').addEventListener('click', toggleLang);
  $('#btn-call').addEventListener('click', callStaff);
  $('#btn-orders').addEventListener('click', () => {
    renderOrders();
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
  for (const d of document.querySelectorAll('dialog.sheet')) {
    d.addEventListener('click', (e) => {
      if (e.target === d || e.target.closest('[data-close]')) d.close();
    });
  }
  longPress($('#table-label'), 1500, () => showSetup('', true));
  onLangChange(() => {
    $('.lang-label').textContent = lang() === 'ko' ? 'EN' : '한국어';
    render();
    setConn($('#conn'), $('#conn').classList.contains('up'));
  });
  $('.lang-label').textContent = lang() === 'ko' ? 'EN' : '한국어';
  setConn($('#conn'), false);

  // A setup link: /table?store=…&table=…&password=…
  const q = new URLSearchParams(location.search);
  if (q.has('store') || q.has('table') || q.has('password')) {
    history.replaceState(null, '', location.pathname);
    const [store, table, password] = [q.get('store'), q.get('table'), q.get('password')];
    if (store && table && password) {
      try {
        await login(store, table, password);
        return showKiosk();
      } catch (err) {
        showSetup(err.status === 401 ? t('setup.rejected') : errorText(err));
        const form = $('#setup-form');
        form.elements.store.value = store;
        form.elements.table.value = table;
        return;
      }
    }
    showSetup();
    const form = $('#setup-form');
    if (store) form.elements.store.value = store;
    if (table) form.elements.table.value = table;
    return;
  }
  if (conf && conf.token) showKiosk();
  else showSetup();
}

boot();
