// Dashboard: the store's settings (owner) — whether the tablets ask how many guests before a
// visit's first order, how long a shared terminal stays with a person before it locks, and
// the check and the business day: whether a visit must be paid before it ends (checkout),
// whether the last payment ends it by itself (end_when_paid, with checkout on), and the hour
// at which a business day nobody closed ends (day_cutoff_hour).
import { h, $, icon, toast, errorText, showFieldErrors, clearFieldErrors } from './ui.js';
import { t } from './i18n.js';
import { fieldError } from './forms.js';

const IDLE_MIN = 1;
const IDLE_MAX = 240;

export function settingsView({ api, login }) {
  let root = null;

  async function load() {
    try {
      const s = await api.get('/api/v1/admin/settings');
      if (root) render(s);
    } catch (e) {
      if (root) $('#settings-body', root).replaceChildren(h('p.form-error', { role: 'alert' }, errorText(e)));
    }
  }

  function render(s) {
    const form = h(
      'form.settings-form',
      { novalidate: true, onsubmit: save },
      h(
        'section.panel.sys-section.settings-section',
        h('h3', icon('users'), t('settings.guests')),
        h('label.field.inline.check-row', h('input', { type: 'checkbox', name: 'ask_guests', checked: !!s.ask_guests }), h('span', t('settings.askGuests'))),
        h('p.muted.settings-help', t('settings.askGuestsHelp')),
      ),
      h(
        'section.panel.sys-section.settings-section',
        h('h3', icon('terminal'), t('settings.terminals')),
        h(
          'label.field.settings-num',
          h('span', t('settings.idle')),
          h('span.num-unit', h('input', { type: 'number', name: 'pin_idle_minutes', min: IDLE_MIN, max: IDLE_MAX, step: 1, inputmode: 'numeric', value: s.pin_idle_minutes }), h('span', t('settings.minutes'))),
        ),
        h('p.muted.settings-help', t('settings.idleHelp')),
      ),
      h(
        'section.panel.sys-section.settings-section',
        h('h3', icon('receipt'), t('settings.checkout')),
        h(
          'fieldset.settings-checkout',
          h('legend.sr-only', t('settings.checkout')),
          h(
            'label.field.settings-num',
            h('span', t('settings.checkoutMode')),
            h(
              'select',
              { name: 'checkout', onchange: (e) => (e.target.form.elements.end_when_paid.disabled = e.target.value !== 'on') },
              ...['off', 'on'].map((v) => h('option', { value: v, selected: s.checkout === v }, t('settings.checkout.' + v))),
            ),
          ),
          h('p.muted.settings-help', t('settings.checkoutHelp')),
          h('label.field.inline.check-row', h('input', { type: 'checkbox', name: 'end_when_paid', checked: !!s.end_when_paid, disabled: s.checkout !== 'on' }), h('span', t('settings.endWhenPaid'))),
          h('p.muted.settings-help', t('settings.endWhenPaidHelp')),
          h(
            'label.field.settings-num',
            h('span', t('settings.cutoff')),
            h('span.num-unit', h('input', { type: 'number', name: 'day_cutoff_hour', min: 0, max: 23, step: 1, inputmode: 'numeric', value: s.day_cutoff_hour }), h('span', t('settings.hour'))),
          ),
          h('p.muted.settings-help', t('settings.cutoffHelp')),
        ),
      ),
      h('p.form-error', { role: 'alert' }),
      h('div.actions', h('button.primary', { type: 'submit', 'data-action': 'save-settings' }, t('common.save'))),
    );
    $('#settings-body', root).replaceChildren(form);
  }

  async function save(e) {
    e.preventDefault();
    const form = e.target;
    clearFieldErrors(form);
    const raw = form.elements.pin_idle_minutes.value.trim();
    const idle = Number(raw);
    const errs = {};
    if (!/^\d+$/.test(raw) || idle < IDLE_MIN || idle > IDLE_MAX) errs.pin_idle_minutes = t('reason.int', { min: IDLE_MIN, max: IDLE_MAX });
    const rawHour = form.elements.day_cutoff_hour.value.trim();
    const hour = Number(rawHour);
    if (!/^\d+$/.test(rawHour) || hour > 23) errs.day_cutoff_hour = t('reason.hour');
    if (Object.keys(errs).length) return showFieldErrors(form, fieldError(errs));
    const checkout = form.elements.checkout.value;
    const btn = $('button[type=submit]', form);
    btn.disabled = true;
    try {
      const s = await api.patch('/api/v1/admin/settings', {
        ask_guests: form.elements.ask_guests.checked,
        pin_idle_minutes: idle,
        checkout,
        end_when_paid: checkout === 'on' && form.elements.end_when_paid.checked,
        day_cutoff_hour: hour,
      });
      login.remember({ settings: s });
      toast(t('common.saved'), 'ok');
    } catch (err) {
      showFieldErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  }

  return {
    mount(el) {
      root = el;
      el.replaceChildren(
        h('div.toolbar', h('div.st-intro', h('h2', t('settings.title')), h('p.muted', t('settings.help')))),
        h('div#settings-body', h('p.empty', t('common.loading'))),
      );
      load();
    },
    unmount() {
      root = null;
    },
  };
}
