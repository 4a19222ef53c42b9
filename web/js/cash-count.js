// Counting the cash drawer: how many of each note and coin (50,000 down to 100 won), plus any
// other amount (coins of 50 and 10 won), and the total as it is counted. The business day's
// opening cash and its close (day.js) use it.
import { h, won, icon } from './ui.js';
import { t } from './i18n.js';

export const DENOMS = [50000, 10000, 5000, 1000, 500, 100];
const MAX_COUNT = 9999;

// prefix: names the fields ("open", "close"); onChange(total) after every change; from: the
// snapshot() of a counter to go on from (the page drawn again in another language).
// Returns {el, total(), touched(), snapshot()}.
export function cashCounter({ prefix, onChange = () => {}, from = null }) {
  const counts = new Map(DENOMS.map((d) => [d, from ? from.counts[d] || 0 : 0]));
  let other = from ? from.other : 0;
  let touched = from ? from.touched : false;
  const total = () => DENOMS.reduce((s, d) => s + d * counts.get(d), 0) + other;
  const totalEl = h('output.cc-total-value.num', { 'aria-live': 'polite' });
  const subs = new Map();

  function changed() {
    touched = true;
    for (const [d, el] of subs) el.textContent = won(d * counts.get(d));
    totalEl.textContent = won(total());
    onChange(total());
  }
  const clampCount = (v) => Math.max(0, Math.min(MAX_COUNT, Math.floor(Number(v) || 0)));

  const rows = DENOMS.map((d) => {
    const input = h('input.cc-count', {
      name: `${prefix}-${d}`,
      type: 'number',
      inputmode: 'numeric',
      min: 0,
      max: MAX_COUNT,
      step: 1,
      value: counts.get(d) ? String(counts.get(d)) : '',
      placeholder: '0',
      autocomplete: 'off',
      'aria-label': t('cc.count', { denom: won(d) }),
      oninput: () => {
        counts.set(d, clampCount(input.value));
        changed();
      },
    });
    const step = (by) => {
      counts.set(d, clampCount(counts.get(d) + by));
      input.value = counts.get(d) ? String(counts.get(d)) : '';
      changed();
    };
    const sub = h('span.cc-sub.num', won(d * counts.get(d)));
    subs.set(d, sub);
    return h(
      'div.cc-row',
      { dataset: { denom: d } },
      h('span.cc-denom', { class: d >= 1000 ? 'note' : 'coin' }, won(d)),
      h(
        'span.cc-stepper',
        h('button.cc-step', { type: 'button', 'aria-label': t('cc.less', { denom: won(d) }), onclick: () => step(-1) }, icon('minus')),
        input,
        h('button.cc-step', { type: 'button', 'aria-label': t('cc.more', { denom: won(d) }), onclick: () => step(1) }, icon('plus')),
      ),
      sub,
    );
  });
  const otherInput = h('input', {
    name: `${prefix}-other`,
    type: 'number',
    inputmode: 'numeric',
    min: 0,
    step: 10,
    value: other ? String(other) : '',
    placeholder: '0',
    autocomplete: 'off',
    oninput: () => {
      other = Math.max(0, Math.floor(Number(otherInput.value) || 0));
      changed();
    },
  });
  totalEl.textContent = won(total());
  const el = h(
    'div.cash-counter',
    { role: 'group', 'aria-label': t('cc.title') },
    ...rows,
    h('label.cc-row.cc-other', h('span.cc-denom', t('cc.other')), h('span.num-unit', otherInput, h('span', t('pay.won')))),
    h('div.cc-total', h('span', t('cc.total')), totalEl),
  );
  return {
    el,
    total,
    touched: () => touched,
    snapshot: () => ({ counts: Object.fromEntries(counts), other, touched }),
  };
}
