// The tablet's setup screen: store id, table number and table password, typed in by staff,
// taken from a setup link (/table?store=…&table=…&password=…), or a setup QR code's one-time
// code (/table#setup=…, printed from the dashboard's Tables page). A long press on the table
// label brings it back, once a staff member of the store has given their username and
// password (checked by the staff login; the token it answers is not kept).
import { h, $, icon, errorText, showFieldErrors, clearFieldErrors } from './ui.js';
import { t } from './i18n.js';
import { createApi } from './api.js';

// The staff check's own client: a refused password must not make the tablet log in again.
const staffApi = createApi({ token: () => null });

// The API's field names → the form's.
const NAMES = { store_id: 'store', table_number: 'table' };

// login(store, table, password) and loginWithCode(code) → resolve once the tablet holds a
// token; conf() → the saved setup or null; leave() → stop the kiosk (its stream);
// ready() → show the kiosk.
export function setupScreen({ login, loginWithCode, conf, leave, ready }) {
  const form = $('#setup-form');

  function show(message = '', cancellable = false) {
    leave();
    $('#kiosk').hidden = true;
    $('#setup').hidden = false;
    clearFieldErrors(form);
    const c = conf();
    if (c) {
      form.elements.store.value = c.store;
      form.elements.table.value = c.table;
    }
    form.elements.password.value = '';
    $('.form-error', form).textContent = message;
    $('#setup-cancel').hidden = !cancellable;
  }

  async function submit(e) {
    e.preventDefault();
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
      ready();
    } catch (err) {
      showFieldErrors(form, err, { names: NAMES, overrides: { unauthorized: t('setup.rejected'), not_found: t('setup.rejected') } });
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

  // A setup QR code opens /table#setup=<code>: the code logs the tablet in once and leaves
  // the address at once (it cannot be used twice anyway). Resolves true when there was one.
  async function fromCode() {
    const m = /(?:^#|&)setup=([^&]+)/.exec(location.hash);
    if (!m) return false;
    history.replaceState(null, '', location.pathname + location.search);
    try {
      await loginWithCode(decodeURIComponent(m[1]));
      ready();
    } catch (err) {
      show(errorText(err, { unauthorized: t('setup.codeUsed'), not_found: t('setup.codeUsed') }));
    }
    return true;
  }

  // A setup link sets the tablet up in one step; the password leaves the address bar at once.
  // Resolves true when the address was a setup link (handled either way).
  async function fromLink() {
    const q = new URLSearchParams(location.search);
    if (!(q.has('store') || q.has('table') || q.has('password'))) return false;
    history.replaceState(null, '', location.pathname);
    const [store, table, password] = [q.get('store'), q.get('table'), q.get('password')];
    if (store && table && password) {
      try {
        await login(store, table, password);
        ready();
      } catch (err) {
        show(errorText(err, { unauthorized: t('setup.rejected'), not_found: t('setup.rejected'), validation_failed: t('setup.rejected') }));
        form.elements.store.value = store;
        form.elements.table.value = table;
      }
      return true;
    }
    show();
    if (store) form.elements.store.value = store;
    if (table) form.elements.table.value = table;
    return true;
  }

  // Guests must not reach the setup: a staff member of this store logs in first. Resolves true
  // once the box accepted the username and password.
  function staffCheck(c) {
    if (!c || !c.store) return Promise.resolve(true);
    const old = $('#staff-check');
    if (old) old.remove();
    return new Promise((resolve) => {
      let ok = false;
      const error = h('p.form-error', { role: 'alert' });
      const submitBtn = h('button.primary', { type: 'submit', 'data-action': 'staff-check-ok' }, t('staffCheck.ok'));
      const f = h(
        'form.dialog-body',
        { novalidate: true },
        h('header.staff-check-head', icon('lock'), h('h2#staff-check-title', t('staffCheck.title'))),
        h('p.muted', t('staffCheck.help')),
        h('label.field', h('span', t('staffCheck.username')), h('input', { name: 'username', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', required: true })),
        h('label.field', h('span', t('staffCheck.password')), h('input', { name: 'password', type: 'password', autocomplete: 'off', required: true })),
        error,
        h('div.actions', h('button', { type: 'button', 'data-action': 'staff-check-cancel', onclick: () => dlg.close() }, t('common.cancel')), submitBtn),
      );
      const dlg = h('dialog#staff-check.dialog.staff-check', { 'aria-labelledby': 'staff-check-title' }, f);
      f.addEventListener('submit', async (e) => {
        e.preventDefault();
        const username = f.elements.username.value.trim();
        const password = f.elements.password.value;
        if (!username || !password) {
          error.textContent = t('staffCheck.required');
          return;
        }
        submitBtn.disabled = true;
        error.textContent = '';
        try {
          await staffApi.post('/api/v1/auth/admin/login', { store_id: c.store, username, password });
          ok = true;
          dlg.close();
        } catch (err) {
          f.elements.password.value = '';
          error.textContent = errorText(err, { unauthorized: t('staffCheck.wrong'), forbidden: t('staffCheck.wrong') });
          f.elements.password.focus();
        } finally {
          submitBtn.disabled = false;
        }
      });
      dlg.addEventListener('close', () => {
        dlg.remove();
        resolve(ok);
      });
      document.body.append(dlg);
      dlg.showModal();
      f.elements.username.focus();
    });
  }

  form.addEventListener('submit', submit);
  $('#setup-cancel').addEventListener('click', () => conf() && ready());
  longPress($('#table-label'), 1500, async () => {
    if (await staffCheck(conf())) show('', true);
  });
  // A code opened while the page is already up (the address changed only after the #).
  window.addEventListener('hashchange', fromCode);
  return { show, fromLink, fromCode };
}
