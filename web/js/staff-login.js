// The staff login of the dashboard and the kitchen display: one login per browser (kept in
// localStorage, so the kitchen display opened from the dashboard is logged in already), the
// login form (drawn into the page's <main id="login">), and the API client that sends the
// token. A refused token or one that ran out brings the form back.
import { createApi, query } from './api.js';
import { h, $, icon, errorText } from './ui.js';
import { t } from './i18n.js';

const AUTH_KEY = 'tableorder.staff';

function read() {
  try {
    return JSON.parse(localStorage.getItem(AUTH_KEY) || 'null');
  } catch {
    return null;
  }
}

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
  );
}

// onLogin(): the page's app is shown, start it; onLogout(): stop what runs (streams, views)
// before the login form comes back. Call before applyI18n, which fills in the form's text.
export function staffLogin({ onLogin, onLogout = () => {} }) {
  let auth = read(); // {token, expires_at, store_id, username, timezone, store_name}
  const form = loginForm();
  $('#login').replaceChildren(form);

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
    onLogin();
  }

  // The form again; the store and the username stay filled in, the token is forgotten.
  function logout(message = '') {
    onLogout();
    auth = auth ? { store_id: auth.store_id, username: auth.username, timezone: auth.timezone } : null;
    save();
    $('#app').hidden = true;
    $('#login').hidden = false;
    if (auth) {
      form.elements.store_id.value = auth.store_id || '';
      form.elements.username.value = auth.username || '';
    }
    $('.form-error', form).textContent = message;
    (form.elements.store_id.value ? form.elements.password : form.elements.store_id).focus();
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
      const r = await api.post('/api/v1/auth/admin/login', { ...f, store_id: f.store_id.trim() }, { retried: true });
      auth = { token: r.token, expires_at: r.expires_at, store_id: r.store_id, username: r.username, timezone: r.timezone, store_name: r.store_name };
      save();
      form.elements.password.value = '';
      show();
    } catch (x) {
      err.textContent = errorText(x, { unauthorized: t('login.rejected'), validation_failed: t('login.rejected') });
    } finally {
      btn.disabled = false;
    }
  });

  return {
    api,
    loggedIn,
    logout,
    auth: () => auth,
    // What is learnt about the login later (the store's timezone), kept with it.
    remember(more) {
      if (!auth) return;
      Object.assign(auth, more);
      save();
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
    // At boot: the app, or the form (saying so when the kept login ran out).
    start() {
      if (loggedIn()) show();
      else logout(auth && auth.token ? t('login.expired') : '');
    },
  };
}
