// The first-run page (/setup): the one-time code from the server log creates the first store
// and its admin. On a box that is set up already it says so and leads to the dashboard.
import './strings-staff.js';
import { createApi } from './api.js';
import { h, $, fillIcons, showFieldErrors, clearFieldErrors } from './ui.js';
import { t, applyI18n, initLangSwitch, onLangChange } from './i18n.js';
import { fieldError } from './forms.js';

const api = createApi({ token: () => null });
const form = $('#setup-form');
const status = $('#setup-status');
let shown = 'checking'; // checking | form | done | already
let created = null;

function alreadySetUp() {
  shown = 'already';
  render();
}

function render() {
  form.hidden = shown !== 'form';
  status.hidden = shown === 'form';
  if (shown === 'checking') status.replaceChildren(t('first.checking'));
  if (shown === 'already' || shown === 'done') {
    status.className = 'done-box';
    status.replaceChildren(
      shown === 'done' ? h('p.ok', t('first.done', { store: created })) : h('p.ok', t('first.already')),
      ...(shown === 'already' ? [h('p.muted', t('first.alreadyHelp'))] : []),
      h('a.button.primary.big', { href: '/staff' }, t('first.toStaff')),
    );
  }
  document.title = `tableorder · ${t('first.title')}`;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearFieldErrors(form);
  const v = Object.fromEntries(new FormData(form));
  // Everything that is missing or malformed is said at once, next to its field.
  const errs = check(v);
  if (Object.keys(errs).length) {
    showFieldErrors(form, fieldError(errs));
    $('.form-error', form).textContent = t('first.fix', { n: Object.keys(errs).length });
    form.elements[Object.keys(errs)[0]].focus();
    return;
  }
  const btn = $('button[type=submit]', form);
  btn.disabled = true;
  try {
    await api.post('/api/v1/setup', { ...v, store_id: v.store_id.trim(), store_name: v.store_name.trim(), username: v.username.trim() });
    created = v.store_name.trim() || v.store_id.trim();
    shown = 'done';
    render();
  } catch (err) {
    // 403: a wrong code, or someone else finished the setup meanwhile.
    if (err.code === 'forbidden' && !(await needed())) return alreadySetUp();
    showFieldErrors(form, err, { overrides: { forbidden: t('first.wrongCode') } });
  } finally {
    btn.disabled = false;
  }
});

// The rules the box applies, checked here first so that every field's problem shows together.
function check(v) {
  const errs = {};
  for (const k of ['code', 'store_id', 'store_name', 'username', 'password']) if (!String(v[k] || '').trim()) errs[k] = t('v.required');
  const id = String(v.store_id || '').trim();
  if (id && !/^[a-z0-9-]{1,32}$/.test(id)) errs.store_id = t('reason.slug');
  if (v.password && v.password.length < 8) errs.password = t('reason.minChars', { n: 8 });
  return errs;
}

async function needed() {
  try {
    return (await api.get('/api/v1/setup')).needed !== false;
  } catch {
    return true; // unknown: the form, and the server decides
  }
}

fillIcons();
applyI18n();
initLangSwitch();
onLangChange(() => {
  render();
  if (!form.hidden) {
    const general = $('.form-error', form);
    if (general.textContent) clearFieldErrors(form);
  }
});
render();
shown = (await needed()) ? 'form' : 'already';
render();
