// The first-run page (/setup): the one-time code from the server log creates the first store
// and its admin. On a box that is set up already it says so and leads to the dashboard.
import './strings-staff.js';
import { createApi } from './api.js';
import { h, $, fillIcons, showFieldErrors, clearFieldErrors } from './ui.js';
import { t, applyI18n, initLangSwitch, onLangChange } from './i18n.js';

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
  const btn = $('button[type=submit]', form);
  btn.disabled = true;
  try {
    await api.post('/api/v1/setup', v);
    created = v.store_id;
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
