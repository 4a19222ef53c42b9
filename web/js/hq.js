// HQ page of the chain hub: login, stores, the live order feed over SSE, the sales report with
// net sales, payments by method and each store's closed days (hq-days.js), and the voids,
// discounts and refunds of the stores' audit trails (hq-audit.js).
// It speaks Korean and English with its own strings (strings-hq.js) and keeps its own choice.
import './strings-hq.js';
import { openStream, query } from './api.js';
import { $, $$, h, fillIcons, dayLabel, ymd, debounce, errorText, setConn } from './ui.js';
import { t, lang, applyI18n, setLangKey, initLangSwitch, onLangChange } from './i18n.js';
import { api, token, getSession, setSession, setUnauthorizedHandler } from './hq-session.js';
import { loadStores, render as renderStores } from './hq-stores.js';
import { initFeed, loadFeed, applyEvent, clearFeed, rerenderFeed } from './hq-feed.js';
import { initSales, loadSales, includesToday, renderCsv, rerenderSales } from './hq-sales.js';
import { initDays, loadDays, rerenderDays } from './hq-days.js';
import { initAudit, loadAudit, rerenderAudit } from './hq-audit.js';

const EVENT_TYPES = ['order_created', 'order_updated', 'order_cancelled', 'session_ended'];
const REFRESH_MS = 30_000;

let stream = null;
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
    // `retried`: a refused login is an answer to show, not a session to end.
    const res = await api.post('/hub/v1/auth/login', { username, password }, { retried: true });
    setSession({ token: res.token, expires_at: res.expires_at, username: res.username || username });
    start();
  } catch (err) {
    error.textContent = errorText(err, {
      unauthorized: t('login.rejected'),
      too_many_requests: (e) => (e.retryAfter ? t('login.rate', { s: e.retryAfter }) : t('login.rateNoTime')),
    });
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

const conn = () => $('#conn');
// The indicator's state as setConn took it: true, false, or null while connecting.
const connUp = () => ({ up: true, down: false })[conn().dataset.state] ?? null;

// Stores and today's figures follow the orders, at most about once a second.
const refreshSoon = debounce(() => {
  loadStores();
}, 800, 2500);
const refreshSalesSoon = debounce(() => {
  if (includesToday()) loadSales();
}, 2500, 8000);

function connect() {
  setConn(conn(), null);
  const handlers = {
    hello: () => {
      // Back after a gap: figures may have moved while we were away.
      if (wasDown) {
        wasDown = false;
        refreshSoon();
        refreshSalesSoon();
      }
    },
  };
  for (const type of EVENT_TYPES) {
    handlers[type] = (data) => {
      if (type !== 'session_ended') {
        applyEvent(type, data);
        refreshSalesSoon();
      }
      refreshSoon();
    };
  }
  stream = openStream({
    url: (last) => `/hub/v1/events${query({ token: token(), last_event_id: last })}`,
    handlers,
    onStatus: (up) => {
      setConn(conn(), up);
      if (!up) wasDown = true;
    },
    // The hub refused the stream: a 401 (the session ended) leads to the login form through
    // the API client; after anything else the stream is opened again.
    beforeReconnect: () =>
      api.get('/hub/v1/stores').then(
        () => {},
        (err) => {
          if (err.status === 401) throw err;
        },
      ),
  });
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
    initDays();
    initAudit();
  }
  renderToday();
  renderStores();
  renderCsv();
  $('#feed').replaceChildren(h('li.empty', t('common.loading')));
  connect(); // before the first load, so that nothing placed in between is missed
  loadStores();
  loadFeed();
  loadSales();
  loadDays();
  loadAudit();
  loadHealth();
  timers.push(
    setInterval(() => {
      loadStores();
      loadHealth();
      if (includesToday()) {
        loadSales();
        loadDays();
        loadAudit();
      }
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
  stream?.stop();
  stream = null;
  for (const id of timers) {
    clearInterval(id);
    clearTimeout(id);
  }
  timers = [];
  clearFeed();
}

/* ---------- Boot ---------- */

// The title and the language switch (labelled in the language it switches to) follow the
// language; applyI18n does the rest.
function applyPage() {
  document.title = `tableorder · ${t('app.title')}`;
  for (const b of $$('[data-action=lang]')) b.lang = lang() === 'ko' ? 'en' : 'ko';
}

setLangKey('tableorder.hq.lang');
applyI18n();
applyPage();
fillIcons();
setUnauthorizedHandler(() => {
  if (started || token()) logout(t('login.expired'));
});
$('#login-form').addEventListener('submit', submitLogin);
initLangSwitch();
$('#btn-logout').addEventListener('click', () => logout());
$('#btn-refresh').addEventListener('click', () => {
  loadStores();
  loadFeed();
  loadSales();
  loadDays();
  loadAudit();
  loadHealth();
});
onLangChange(() => {
  applyPage();
  if (!started) return;
  setConn(conn(), connUp());
  renderToday();
  renderStores();
  rerenderFeed();
  rerenderSales();
  rerenderDays();
  rerenderAudit();
  loadHealth();
});

if (token()) start();
else showLogin();
