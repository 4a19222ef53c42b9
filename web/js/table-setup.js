// The tablet's setup screen: store id, table number and table password, typed in by staff,
// taken from a setup link (/table?store=…&table=…&password=…), or a setup QR code's one-time
// code (/table#setup=…, printed from the dashboard's Tables page). A long press on the table
// label brings it back.
import { $, errorText, showFieldErrors, clearFieldErrors } from './ui.js';
import { t } from './i18n.js';

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

  form.addEventListener('submit', submit);
  $('#setup-cancel').addEventListener('click', () => conf() && ready());
  longPress($('#table-label'), 1500, () => show('', true));
  // A code opened while the page is already up (the address changed only after the #).
  window.addEventListener('hashchange', fromCode);
  return { show, fromLink, fromCode };
}
