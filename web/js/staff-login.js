// The staff login of the dashboard and the kitchen display: one login per browser (kept in
// localStorage, so the kitchen display opened from the dashboard is logged in already), the
// login screen (drawn into the page's <main id="login">), and the API client that sends the
// token. A refused token or one that ran out brings the login back.
//
// A browser made a shared terminal (the counter PC, the kitchen tablet: the Terminals page)
// keeps the terminal's token besides the person's. Its login is a PIN pad (with a link to the
// password form); a PIN switches person, and after the store's `pin_idle_minutes` without a
// touch or a key the app locks back to the pad: the person's token is forgotten, the
// terminal's kept.
import { createApi, query } from './api.js';
import { h, $, icon, errorText } from './ui.js';
import { t } from './i18n.js';
import { pinPad } from './pinpad.js';
import { roleOf } from './roles.js';

const AUTH_KEY = 'tableorder.staff';
const TERMINAL_KEY = 'tableorder.terminal';
// The last touch or key on a terminal, shared by its pages (a reload after a long pause locks).
const ACTIVE_KEY = 'tableorder.staff.active';
const IDLE_CHECK_MS = 10_000;

function read(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || 'null');
  } catch {
    return null;
  }
}

// This browser's terminal ({id, name, token, store_id}) or null.
export const readTerminal = () => {
  const tm = read(TERMINAL_KEY);
  return tm && tm.token ? tm : null;
};

function loginForm() {
  const field = (key, attrs) => h('label.field', h('span', { 'data-i18n': key }), h('input', { required: true, ...attrs }));
  return h(
    'form#login-form.panel.login-card',
    { novalidate: true },
    h('h1', h('span.brand-mark', 'tableorder'), ' ', h('span', { 'data-i18n': 'login.title' })),
    field('login.store', { name: 'store_id', autocomplete: 'organization', autocapitalize: 'off', spellcheck: 'false' }),
    field('login.username', { name: 'username', autocomplete: 'username', autocapitalize: 'off', spellcheck: 'false' }),
    field('login.password', { name: 'password', type: 'password', autocomplete: 'current-password' }),
    h('p.form-error', { role: 'alert' }),
    h(
      'div.actions',
      h('button.ghost', { type: 'button', 'data-action': 'lang' }, icon('globe'), h('span.lang-label', 'EN')),
      h('span.spacer'),
      h('button.primary.big', { type: 'submit', 'data-i18n': 'login.submit' }),
    ),
    h('button.link-btn', { type: 'button', 'data-action': 'use-pin', hidden: true }, icon('key'), h('span', { 'data-i18n': 'pin.usePin' })),
  );
}

// The terminal's PIN screen: which terminal, the pad, what went wrong (a wrong PIN, too many
// tries with the seconds to wait, a locked terminal) and the way to the password form.
function pinScreen(pad) {
  return h(
    'section#pin-login.panel.pin-card',
    { 'aria-labelledby': 'pin-login-title' },
    h(
      'h1#pin-login-title',
      h('span.brand-mark', 'tableorder'),
      ' ',
      h('span', { 'data-i18n': 'login.title' }),
    ),
    h('p.pin-terminal', icon('terminal'), h('span.pin-terminal-name'), h('span.muted.pin-store')),
    h('p.pin-prompt', { 'data-i18n': 'pin.prompt' }),
    h(
      'div.pin-locked',
      { role: 'alert', hidden: true },
      icon('lock'),
      h('div', h('strong', { 'data-i18n': 'pin.locked' }), h('p', { 'data-i18n': 'pin.lockedHelp' })),
    ),
    pad.el,
    h(
      'div.actions.pin-links',
      h('button.ghost', { type: 'button', 'data-action': 'lang' }, icon('globe'), h('span.lang-label', 'EN')),
      h('span.spacer'),
      h('button.link-btn', { type: 'button', 'data-action': 'use-password' }, icon('user'), h('span', { 'data-i18n': 'pin.usePassword' })),
    ),
  );
}

// onLogin(): the page's app is shown, start it; onLogout(): stop what runs (streams, views)
// before the login comes back. idleLock(auth): whether a login on a terminal locks when idle
// (the kitchen display keeps a kitchen login on: it is watched, not touched). Call before
// applyI18n, which fills in the login's text.
export function staffLogin({ onLogin, onLogout = () => {}, idleLock = () => true }) {
  // {token, expires_at, store_id, username, timezone, store_name, role, staff_id,
  //  display_name, terminal_id, settings}
  let auth = read(AUTH_KEY);
  let terminal = readTerminal();
  let usePassword = false; // on a terminal: the password form was asked for
  let waitTimer = null;
  const form = loginForm();
  const pad = pinPad({ submit: pinLogin, submitKey: 'login.submit' });
  const pins = pinScreen(pad);
  $('#login').replaceChildren(form, pins);

  const save = () => localStorage.setItem(AUTH_KEY, JSON.stringify(auth));
  const loggedIn = () => !!(auth && auth.token && Date.parse(auth.expires_at) > Date.now() + 60_000);
  const api = createApi({
    token: () => auth && auth.token,
    relogin: async () => {
      logout(t('login.expired'));
      return false;
    },
  });

  function show() {
    $('#login').hidden = true;
    $('#app').hidden = false;
    touch();
    onLogin();
  }

  // Which of the two the login shows: the PIN pad on a terminal, else (or when asked) the form.
  function drawLogin(message = '') {
    const pin = !!terminal && !usePassword;
    form.hidden = pin;
    pins.hidden = !pin;
    $('[data-action=use-pin]', form).hidden = !terminal;
    if (pin) {
      $('.pin-locked', pins).hidden = true;
      $('.pin-terminal-name', pins).textContent = terminal.name || '';
      $('.pin-store', pins).textContent = terminal.store_id || '';
      pad.clear();
      pad.error(message);
      pad.focus();
    } else {
      $('.form-error', form).textContent = message;
      (form.elements.store_id.value ? form.elements.password : form.elements.store_id).focus();
    }
  }

  // The login again; the store and the username stay filled in, the person's token is
  // forgotten (a terminal's token stays).
  function logout(message = '') {
    onLogout();
    auth = auth ? { store_id: auth.store_id, username: auth.username, timezone: auth.timezone, settings: auth.settings } : null;
    save();
    usePassword = false;
    $('#app').hidden = true;
    $('#login').hidden = false;
    if (auth) {
      form.elements.store_id.value = auth.store_id || '';
      form.elements.username.value = auth.username || '';
    }
    form.elements.password.value = '';
    drawLogin(message);
  }

  function adopt(r) {
    auth = {
      token: r.token,
      expires_at: r.expires_at,
      store_id: r.store_id,
      username: r.username,
      timezone: r.timezone,
      store_name: r.store_name,
      role: r.role,
      staff_id: r.staff_id,
      display_name: r.display_name || r.username,
      terminal_id: r.terminal_id ?? null,
      settings: r.settings || (auth && auth.settings) || null,
    };
    save();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
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
      // `retried`: a refused login is an answer to show, not a session to end.
      adopt(await api.post('/api/v1/auth/admin/login', { ...f, store_id: f.store_id.trim() }, { retried: true }));
      form.elements.password.value = '';
      usePassword = false;
      show();
    } catch (x) {
      err.textContent = errorText(x, { unauthorized: t('login.rejected'), validation_failed: t('login.rejected') });
    } finally {
      btn.disabled = false;
    }
  });
  $('[data-action=use-pin]', form).addEventListener('click', () => {
    usePassword = false;
    drawLogin();
  });
  $('[data-action=use-password]', pins).addEventListener('click', () => {
    usePassword = true;
    drawLogin();
  });

  // A PIN on this terminal. Wrong PIN: try again; too many: the pad waits out the seconds the
  // box names; a locked terminal: said in words, until a manager unlocks it.
  async function pinLogin(pin) {
    const locked = $('.pin-locked', pins);
    locked.hidden = true;
    try {
      adopt(await api.post('/api/v1/auth/pin', { terminal_token: terminal.token, pin }, { retried: true }));
      pad.clear();
      show();
    } catch (x) {
      if (x.code === 'locked') {
        locked.hidden = false;
        throw new Error(t('pin.lockedShort'));
      }
      if (x.code === 'too_many_requests') {
        waitOut(x.retryAfter || 60);
        throw new Error(t('pin.wait', { s: x.retryAfter || 60 }));
      }
      throw new Error(errorText(x, { unauthorized: t('pin.wrong'), validation_failed: t('pin.wrong') }));
    }
  }

  // The pad rests while the box refuses tries, counting the seconds down.
  function waitOut(seconds) {
    clearInterval(waitTimer);
    let left = seconds;
    pad.disable(true);
    waitTimer = setInterval(() => {
      left -= 1;
      if (left > 0) return pad.error(t('pin.wait', { s: left }));
      clearInterval(waitTimer);
      pad.disable(false);
      pad.error('');
      pad.focus();
    }, 1000);
  }

  // ---- idle lock ----

  const idleMs = () => Math.max(1, Number(auth?.settings?.pin_idle_minutes) || 5) * 60_000;
  const watching = () => !!terminal && loggedIn() && !$('#app').hidden && idleLock(auth);
  function touch() {
    localStorage.setItem(ACTIVE_KEY, String(Date.now()));
  }
  const lastTouch = () => Number(localStorage.getItem(ACTIVE_KEY)) || 0;
  function checkIdle() {
    if (watching() && Date.now() - lastTouch() > idleMs()) logout(t('pin.idle'));
  }
  let touched = 0;
  for (const type of ['pointerdown', 'keydown']) {
    document.addEventListener(
      type,
      () => {
        // At most once a second to storage: a busy screen is touched often.
        const now = Date.now();
        if (now - touched < 1000) return;
        touched = now;
        if (watching()) touch();
      },
      { capture: true, passive: true },
    );
  }
  setInterval(checkIdle, IDLE_CHECK_MS);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && checkIdle());

  return {
    api,
    loggedIn,
    logout,
    auth: () => auth,
    role: () => roleOf(auth),
    // This browser's terminal, or null; setTerminal(t) after registering it here, (null)
    // when it was revoked.
    terminal: () => terminal,
    setTerminal(tm) {
      terminal = tm;
      if (tm) localStorage.setItem(TERMINAL_KEY, JSON.stringify(tm));
      else localStorage.removeItem(TERMINAL_KEY);
      touch();
    },
    // Back to the PIN pad for the next person.
    switchUser: () => logout(''),
    // What is learnt about the login later (the store's timezone, its settings), kept with it.
    remember(more) {
      if (!auth) return;
      Object.assign(auth, more);
      save();
    },
    // The store's settings as they are now (the idle minutes, whether guests are asked).
    async refreshSettings() {
      try {
        const settings = await api.get('/api/v1/admin/settings');
        if (auth && auth.token) {
          auth.settings = settings;
          save();
        }
        return settings;
      } catch {
        return auth && auth.settings;
      }
    },
    // The staff event stream's URL, resuming after `last`.
    streamUrl: (last) => `/api/v1/admin/events${query({ token: auth && auth.token, last_event_id: last })}`,
    // For openStream: a login that ran out while the stream was away brings the form back.
    async beforeReconnect() {
      if (!loggedIn()) {
        logout(t('login.expired'));
        throw new Error('logged out');
      }
    },
    // At boot: the app, or the login (saying so when the kept login ran out, or when a
    // terminal's person left it idle for longer than the store allows).
    start() {
      if (loggedIn() && terminal && idleLock(auth) && Date.now() - lastTouch() > idleMs()) logout(t('pin.idle'));
      else if (loggedIn()) show();
      else logout(auth && auth.token ? t('login.expired') : '');
    },
  };
}
