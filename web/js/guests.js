// "몇 분이세요?": the number of guests at a table, picked with large buttons 1–8 and a − / +
// for bigger parties (up to 99). The tablet asks it before a visit's first order (when the
// store wants to know), staff set it from a table's dialog.
import { h, icon } from './ui.js';
import { t } from './i18n.js';

export const MAX_GUESTS = 99;
// "4명" / "4 guests"; nothing when nobody said.
export const guestsText = (n) => (n ? t('guests.n', { n }) : '');

// Resolves with the number chosen, or null when cancelled.
//   title, help: what the dialog says; okKey: the i18n key of the confirm button ({n} = guests)
//   initial: the number shown first (none chosen when null)
export function askGuests({ title = t('guests.title'), help = '', okKey = 'guests.ok', initial = null, cls = '' } = {}) {
  return new Promise((resolve) => {
    let n = initial && initial >= 1 ? Math.min(MAX_GUESTS, initial) : null;
    let result = null;
    const quick = [1, 2, 3, 4, 5, 6, 7, 8].map((k) =>
      h('button.guest-key', { type: 'button', dataset: { guests: k }, onclick: () => set(k) }, String(k)),
    );
    const value = h('output.guest-value', { 'aria-live': 'polite' });
    const less = h('button.guest-step', { type: 'button', 'data-action': 'less', 'aria-label': t('guests.less'), onclick: () => set(Math.max(1, (n || 1) - 1)) }, icon('minus'));
    const more = h('button.guest-step', { type: 'button', 'data-action': 'more', 'aria-label': t('guests.more'), onclick: () => set(Math.min(MAX_GUESTS, (n || 0) + 1)) }, icon('plus'));
    const ok = h('button.primary.big.guest-ok', { type: 'submit', value: 'ok', 'data-action': 'guests-ok' });
    const dlg = h(
      'dialog.dialog.guests-dialog',
      { class: cls, 'aria-labelledby': 'guests-title' },
      h(
        'form.dialog-body',
        { method: 'dialog' },
        h('h2#guests-title.guests-title', icon('users'), h('span', title)),
        help ? h('p.muted', help) : null,
        h('div.guest-keys', { role: 'group', 'aria-label': title }, ...quick),
        h('div.guest-stepper', less, value, more),
        h('div.actions', h('button.big', { type: 'submit', value: 'cancel', 'data-action': 'guests-cancel' }, t('common.cancel')), ok),
      ),
    );
    function set(k) {
      n = k;
      draw();
    }
    function draw() {
      for (const b of quick) b.setAttribute('aria-pressed', String(Number(b.dataset.guests) === n));
      value.textContent = n ? t('guests.n', { n }) : '–';
      ok.textContent = n ? t(okKey, { n }) : t(okKey, { n: '–' });
      ok.disabled = !n;
      less.disabled = !n || n <= 1;
      more.disabled = n >= MAX_GUESTS;
    }
    dlg.addEventListener('close', () => {
      if (dlg.returnValue === 'ok' && n) result = n;
      dlg.remove();
      resolve(result);
    });
    draw();
    document.body.append(dlg);
    dlg.showModal();
  });
}
