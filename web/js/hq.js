// HQ page of the chain hub: login, stores, the live order feed over SSE and the sales report.
import {
  $, $$, h, t, api, query, token, getSession, setSession, setUnauthorizedHandler, applyI18n, fillIcons,
  toggleLang, onLangChange, dayLabel, ymd, debounce, errorText,
} from './hq-util.js';
import { loadStores, render as renderStores } from './hq-stores.js';
import { initFeed, loadFeed, applyEvent, clearFeed, rerenderFeed } from './hq-feed.js';
import { initSales, loadSales, includesToday, renderCsv, rerenderSales } from './hq-sales.js';

const EVENT_TYPES = ['order_created', 'order_updated', 'order_cancelled', 'session_ended'];
const REFRESH_MS = 30_000;

let es = null; // the EventSource
let lastEventId = ''; // for a stream we have to open again ourselves
let retryTimer = null;
let retryDelay = 1000;
let timers = [];
let started = false;
let initialised = false;
let wasDown = false; // the stream dropped since the last hello

/* ---------- Login ---------- */

function showLogin(message = '') {
  $('#app').hidden = true;
  $('#login').hidden = false;
  const form = $('#login-form');
  $('.form-error', form).textContent = message;
  form.elements.password.value = '';
  (form.elements.username.value ? form.elements.password : form.elements.username).focus();
}

async function submitLogin(e) {
  e.preventDefault();
  const form = e.currentTarget;
  const error = $('.form-error', form);
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  if (!username || !password) {
    error.textContent = t('login.required');
    return;
  }
  const btn = $('button[type=submit]', form);
  btn.disabled = true;
  btn.textContent = t('login.sending');
  error.textContent = '';
  try {
    const res = await api('/hub/v1/auth/login', { method: 'POST', body: { username, password }, auth: false });
    setSession({ token: res.token, expires_at: res.expires_at, username: res.username || username });
    start();
  } catch (err) {
    if (err.status === 401) error.textContent = t('login.rejected');
    else if (err.status === 429) error.textContent = err.retryAfter ? t('login.rate', { s: err.retryAfter }) : t('login.rateNoTime');
    else error.textContent = errorText(err);
  } finally {
    btn.disabled = false;
    btn.textContent = t('login.submit');
  }
}

function logout(message = '') {
  stop();
  setSession(null);
  showLogin(message);
}

/* ---------- Live stream ---------- */

function setConn(stateName) {
  const el = $('#conn');
  el.className = `conn ${stateName === 'up' ? 'up' : stateName === 'down' ? 'down' : 'connecting'}`;
  el.dataset.state = stateName;
  const label = t(stateName === 'up' ? 'conn.up' : stateName === 'down' ? 'conn.down' : 'conn.connecting');
  el.title = label;
  el.replaceChildren(h('span.dot', { 'aria-hidden': 'true' }), h('span.conn-label', label));
}

// Stores and today's figures follow the orders, at most about once a second.
const refreshSoon = debounce(() => {
  loadStores();
}, 800, 2500);
const refreshSalesSoon = debounce(() => {
  if (includesToday()) loadSales();
}, 2500, 8000);

function connect() {
  clearTimeout(retryTimer);
  es?.close();
  setConn('connecting');
  // The browser resumes with Last-Event-ID by itself; a stream we open again ourselves
  // (after the hub refused one) says where to resume in the query.
  es = new EventSource(`/hub/v1/events${query({ token: token(), last_event_id: lastEventId })}`);
  es.addEventListener('open', () => {
    retryDelay = 1000;
    setConn('up');
  });
  es.addEventListener('hello', (e) => {
    if (e.lastEventId) lastEventId = e.lastEventId;
    setConn('up');
    // Back after a gap: figures may have moved while we were away.
    if (wasDown) {
      wasDown = false;
      refreshSoon();
      refreshSalesSoon();
    }
  });
  for (const type of EVENT_TYPES) {
    es.addEventListener(type, (e) => {
      if (e.lastEventId) lastEventId = e.lastEventId;
      let data = null;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      if (type !== 'session_ended') applyEvent(type, data);
      refreshSoon();
      if (type !== 'session_ended') refreshSalesSoon();
    });
  }
  es.addEventListener('error', () => {
    setConn('down');
    wasDown = true;
    if (es.readyState !== EventSource.CLOSED) return; // the browser retries by itself
    // Refused (not a network error): a 401 sends us to the login form; anything else, retry.
    es.close();
    api('/hub/v1/stores')
      .then(() => scheduleReconnect())
      .catch((err) => {
        if (err.status !== 401) scheduleReconnect();
      });
  });
}

function scheduleReconnect() {
  if (!started) return;
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, retryDelay);
  retryDelay = Math.min(retryDelay * 2, 30_000);
}

/* ---------- Health ---------- */

async function loadHealth() {
  const el = $('#health');
  try {
    const res = await fetch('/healthz', { cache: 'no-store' });
    const hz = await res.json();
    const word = (v) => t(v === 'ok' ? 'health.ok' : v === 'off' ? 'health.off' : 'health.error');
    el.replaceChildren(
      h('span', t('health.label', { version: hz.version || '' })),
      h('span', { class: hz.db === 'ok' ? '' : 'bad' }, t('health.db', { state: word(hz.db) })),
      h('span', { class: hz.redis === 'error' ? 'bad' : '' }, t('health.redis', { state: word(hz.redis) })));
  } catch {
    el.replaceChildren(h('span.bad', t('err.network')));
  }
}

/* ---------- Start and stop ---------- */

function renderToday() {
  $('#today').textContent = dayLabel(ymd(), { year: true });
}

function start() {
  if (started) return;
  started = true;
  const session = getSession();
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#who').textContent = session?.username || '';
  if (!initialised) {
    initialised = true;
    initFeed();
    initSales();
  }
  renderToday();
  renderStores();
  renderCsv();
  $('#feed').replaceChildren(h('li.empty', t('common.loading')));
  lastEventId = '';
  connect(); // before the first load, so that nothing placed in between is missed
  loadStores();
  loadFeed();
  loadSales();
  loadHealth();
  timers.push(
    setInterval(() => {
      loadStores();
      loadHealth();
      if (includesToday()) loadSales();
      renderToday();
    }, REFRESH_MS),
    // "최근 연결 20초 전" and the online dots move with the clock, between refreshes.
    setInterval(renderStores, 10_000),
  );
  if (session?.expires_at) {
    const left = Date.parse(session.expires_at) - Date.now();
    if (left > 0 && left < 2 ** 31 - 1) timers.push(setTimeout(() => logout(t('login.expired')), left));
  }
}

function stop() {
  started = false;
  es?.close();
  es = null;
  clearTimeout(retryTimer);
  for (const id of timers) {
    clearInterval(id);
    clearTimeout(id);
  }
  timers = [];
  clearFeed();
}

/* ---------- Boot ---------- */

applyI18n();
fillIcons();
setUnauthorizedHandler(() => {
  if (started || token()) logout(t('login.expired'));
});
$('#login-form').addEventListener('submit', submitLogin);
for (const b of $$('[data-action=lang]')) b.addEventListener('click', toggleLang);
$('#btn-logout').addEventListener('click', () => logout());
$('#btn-refresh').addEventListener('click', () => {
  loadStores();
  loadFeed();
  loadSales();
  loadHealth();
});
onLangChange(() => {
  if (!started) return;
  setConn($('#conn').dataset.state || 'connecting');
  renderToday();
  renderStores();
  rerenderFeed();
  rerenderSales();
  loadHealth();
});

if (token()) start();
else showLogin();
