// The check's payments: how it splits (equally among N people, the remainder on the first
// part, shown part by part with what is still open; or by the lines one guest had, ticked on
// the check), the method, the amount and, for cash, what was handed over — quick buttons for
// exactly and the next notes up, one tap takes the payment — with the change; a card with its
// approval number; transfer, voucher, other with a note. Each payment attempt keeps one
// Idempotency-Key across retries (and a reload of the page), so a second press or a lost
// answer never takes it twice.
import { h, $, won, icon, errorText } from './ui.js';
import { uuid } from './api.js';
import { t } from './i18n.js';
import { reasonText } from './errors.js';

export const METHODS = ['cash', 'card', 'transfer', 'voucher', 'other'];
export const METHOD_ICON = { cash: 'cash', card: 'card', transfer: 'transfer', voucher: 'gift', other: 'more' };
export const MAX_PARTS = 50;
const ATTEMPT_KEY = 'tableorder.payAttempt';

// The check's query for its split: what each part, or the chosen lines, come to.
export function splitQuery(cur) {
  const s = cur.split;
  if (s.kind === 'equal') return `?split=equal&parts=${s.parts}`;
  if (s.kind === 'items' && s.items.size) return `?split=items&order_item_ids=${[...s.items].join(',')}`;
  return '';
}

// Lines a guest paid for by themselves (an items split): not offered again.
export const paidLines = (c) => new Set(c.payments.filter((p) => p.refunded < p.amount).flatMap((p) => p.split_items || []));

// What the next payment is for unless typed: the split's next part (or the chosen lines), else
// the balance.
export function defaultAmount(cur) {
  const c = cur.check;
  if (!c || c.balance <= 0) return 0;
  if (cur.split.kind === 'equal') return c.split ? Math.min(c.split.next_amount, c.balance) : 0;
  if (cur.split.kind === 'items') return c.split && cur.split.items.size ? Math.min(c.split.next_amount, c.balance) : 0;
  return c.balance;
}
const typed = (cur) => cur.pay.amount !== '';
export const amountOf = (cur) => (typed(cur) ? Number(cur.pay.amount) : defaultAmount(cur));

// Cash handed over: exactly, then the next round sums up (to 1,000, 10,000, 50,000 and
// 100,000 won), at most four buttons.
export function quickTenders(amount) {
  if (!(amount > 0)) return [];
  const out = [amount];
  for (const step of [1000, 10000, 50000, 100000]) {
    const v = Math.ceil(amount / step) * step;
    if (v > out[out.length - 1]) out.push(v);
  }
  return out.slice(0, 4);
}

export const resetPay = (cur) => {
  cur.pay = { method: cur.pay.method, amount: '', tendered: '', reference: '' };
  cur.payError = '';
};

// ---------- drawing ----------

// ck: {cur, render(), reload(), setSplit(patch), pay(extra)}
export function splitSection(ck) {
  const { cur } = ck;
  const c = cur.check;
  if (!c || cur.ended || c.balance <= 0) return null;
  const seg = (kind, ic) =>
    h('button.seg-btn', { type: 'button', 'aria-pressed': String(cur.split.kind === kind), dataset: { split: kind }, onclick: () => ck.setSplit({ kind }) }, icon(ic), t('split.' + kind));
  return h(
    'section.ck-split',
    { 'aria-labelledby': 'ck-split-h' },
    h('h3#ck-split-h', icon('split'), t('split.title')),
    h('div.seg.ck-seg', { role: 'group', 'aria-labelledby': 'ck-split-h' }, seg('none', 'receipt'), seg('equal', 'users'), seg('items', 'list')),
    cur.split.kind === 'equal' ? equalParts(ck) : null,
    cur.split.kind === 'items' ? chosenLines(ck) : null,
  );
}

function equalParts(ck) {
  const { cur } = ck;
  const c = cur.check;
  const s = c.split && c.split.kind === 'equal' ? c.split : null;
  const n = cur.split.parts;
  const started = !!(s && s.parts_paid > 0);
  const less = h('button.guest-step', { type: 'button', 'data-action': 'fewer-parts', 'aria-label': t('split.fewer'), disabled: started || n <= 2, onclick: () => ck.setSplit({ parts: n - 1 }) }, icon('minus'));
  const more = h('button.guest-step', { type: 'button', 'data-action': 'more-parts', 'aria-label': t('split.more'), disabled: started || n >= MAX_PARTS, onclick: () => ck.setSplit({ parts: n + 1 }) }, icon('plus'));
  return h(
    'div.ck-equal',
    h('div.guest-stepper.ck-parts-n', less, h('output.ck-n', { 'aria-live': 'polite' }, t('split.people', { n })), more),
    s
      ? h(
          'ol.ck-parts',
          ...s.parts.map((amount, i) => {
            const st = i < s.parts_paid ? 'paid' : i === s.parts_paid ? 'next' : 'open';
            return h(
              'li.ck-part',
              { class: st, dataset: { part: i + 1, state: st } },
              h('span.ck-part-name', t('split.part', { i: i + 1, n })),
              h('strong.num', won(amount)),
              h('span.ck-part-state', st === 'paid' ? [icon('check'), t('split.paid')] : st === 'next' ? t('split.next') : ''),
            );
          }),
        )
      : h('p.muted', t('common.loading')),
    s ? h('p.ck-open', { dataset: { open: Math.max(0, s.parts.length - s.parts_paid) } }, t('split.stillOpen', { n: Math.max(0, s.parts.length - s.parts_paid), amount: won(c.balance) })) : null,
  );
}

function chosenLines(ck) {
  const { cur } = ck;
  const n = cur.split.items.size;
  return h(
    'div.ck-items',
    h('p.ck-hint', icon('check'), n ? t('split.chosen', { n, amount: won(defaultAmount(cur)) }) : t('split.pick')),
    n ? h('button.small.ghost', { type: 'button', 'data-action': 'clear-lines', onclick: () => ck.setSplit({ items: new Set() }) }, t('split.clear')) : null,
  );
}

export function paySection(ck) {
  const { cur } = ck;
  const c = cur.check;
  if (!c || cur.ended || c.balance <= 0) return null;
  const m = cur.pay.method;
  const methodBtn = (x) =>
    h('button.ck-method', { type: 'button', 'aria-pressed': String(m === x), dataset: { method: x }, onclick: () => ck.setMethod(x) }, icon(METHOD_ICON[x]), h('span', t('pay.m.' + x)));
  const amount = h('input', {
    name: 'amount',
    type: 'number',
    inputmode: 'numeric',
    min: 1,
    max: c.balance,
    step: 1,
    autocomplete: 'off',
    value: typed(cur) ? cur.pay.amount : String(defaultAmount(cur) || ''),
    oninput: (e) => {
      cur.pay.amount = e.target.value.trim() === String(defaultAmount(cur)) ? '' : e.target.value.trim();
      patchPay(ck);
    },
  });
  return h(
    'section.ck-pay',
    { 'aria-labelledby': 'ck-pay-h', dataset: { method: m } },
    h('h3#ck-pay-h', icon('coins'), t('pay.title')),
    h('div.ck-methods', { role: 'group', 'aria-label': t('pay.method') }, ...METHODS.map(methodBtn)),
    h('label.field.ck-amount', h('span', t('pay.amount')), h('span.num-unit', amount, h('span', t('pay.won')))),
    m === 'cash' ? cashPart(ck) : refPart(ck),
    h('p#ck-pay-error.form-error', { role: 'alert' }, cur.payError || ''),
  );
}

function cashPart(ck) {
  const { cur } = ck;
  const amount = amountOf(cur);
  const quick = quickTenders(amount);
  const tendered = h('input', {
    name: 'tendered',
    type: 'number',
    inputmode: 'numeric',
    min: 1,
    step: 100,
    autocomplete: 'off',
    value: cur.pay.tendered,
    oninput: (e) => {
      cur.pay.tendered = e.target.value.trim();
      patchPay(ck);
    },
  });
  return h(
    'div.ck-cash',
    h('p.ck-label', t('pay.tendered')),
    h(
      'div#ck-quick.ck-quick',
      { role: 'group', 'aria-label': t('pay.tendered') },
      ...quick.map((v, i) =>
        h(
          'button.ck-tender',
          { type: 'button', class: i === 0 ? 'exact' : '', 'data-action': 'tender', dataset: { tendered: v }, disabled: cur.busy, onclick: () => ck.pay({ tendered: v }) },
          i === 0 ? [h('span', t('pay.exact')), h('strong.num', won(v))] : h('strong.num', won(v)),
        ),
      ),
    ),
    h(
      'div.ck-tender-row',
      h('label.field', h('span', t('pay.tenderedOther')), h('span.num-unit', tendered, h('span', t('pay.won')))),
      h('button#ck-take-cash.primary', { type: 'button', 'data-action': 'take-cash', disabled: cur.busy || !amount, onclick: () => ck.pay({ tendered: cur.pay.tendered === '' ? amount : Number(cur.pay.tendered) }) }, t('pay.takeCash')),
    ),
    h('p#ck-change.ck-change', { 'aria-live': 'polite' }, changeText(cur)),
  );
}

function changeText(cur) {
  const amount = amountOf(cur);
  if (cur.pay.tendered === '' || !amount) return '';
  const got = Number(cur.pay.tendered);
  if (!Number.isFinite(got)) return '';
  return got < amount ? t('pay.short', { amount: won(amount - got) }) : t('pay.changePreview', { change: won(got - amount) });
}

function refPart(ck) {
  const { cur } = ck;
  const m = cur.pay.method;
  const amount = amountOf(cur);
  return h(
    'div.ck-ref',
    h(
      'label.field',
      h('span', m === 'card' ? t('pay.approvalNo') : t('pay.memo')),
      h('input', { name: 'reference', maxlength: 50, autocomplete: 'off', inputmode: m === 'card' ? 'numeric' : undefined, value: cur.pay.reference, oninput: (e) => (cur.pay.reference = e.target.value) }),
    ),
    h('button#ck-pay-btn.primary.big.ck-pay-btn', { type: 'button', 'data-action': 'pay', disabled: cur.busy || !amount, onclick: () => ck.pay({}) }, payLabel(cur)),
  );
}
const payLabel = (cur) => t('pay.payWith', { method: t('pay.m.' + cur.pay.method), amount: won(amountOf(cur)) });

// What follows a typed amount or cash figure, without drawing the check again (the field
// keeps its caret): the quick buttons, the pay button, the change.
function patchPay(ck) {
  const { cur } = ck;
  const amount = amountOf(cur);
  const btn = $('#ck-pay-btn');
  if (btn) {
    btn.textContent = payLabel(cur);
    btn.disabled = cur.busy || !(amount > 0);
  }
  const change = $('#ck-change');
  if (change) change.textContent = changeText(cur);
  const take = $('#ck-take-cash');
  if (take) take.disabled = cur.busy || !(amount > 0);
  const quick = $('#ck-quick');
  if (quick) {
    const values = quickTenders(amount);
    quick.replaceChildren(
      ...values.map((v, i) =>
        h(
          'button.ck-tender',
          { type: 'button', class: i === 0 ? 'exact' : '', 'data-action': 'tender', dataset: { tendered: v }, onclick: () => ck.pay({ tendered: v }) },
          i === 0 ? [h('span', t('pay.exact')), h('strong.num', won(v))] : h('strong.num', won(v)),
        ),
      ),
    );
  }
  const err = $('#ck-pay-error');
  if (err) err.textContent = '';
  cur.payError = '';
}

// The last payment taken here, said large: the change to hand back, and what is left.
export function resultBox(ck) {
  const r = ck.cur.result;
  if (!r) return null;
  const cash = r.method === 'cash' && r.tendered != null;
  return h(
    'div.ck-result',
    { role: 'status', dataset: { method: r.method, change: r.change, balance: r.balance } },
    icon('check', 'ck-result-icon'),
    h(
      'div.ck-result-text',
      cash
        ? [h('span', t('pay.gotCash', { tendered: won(r.tendered), amount: won(r.amount) })), h('strong.ck-change-big', t('pay.changeIs', { change: won(r.change) }))]
        : h('strong', t('pay.done', { method: t('pay.m.' + r.method), amount: won(r.amount) })),
      h('span.ck-result-left', r.balance === 0 ? t('pay.allPaid') : t('pay.left', { amount: won(r.balance) })),
    ),
    h('button.ghost.icon-btn', { type: 'button', 'aria-label': t('common.close'), onclick: () => ((ck.cur.result = null), ck.render()) }, icon('x')),
  );
}

// ---------- taking a payment ----------

function loadAttempt() {
  try {
    return JSON.parse(sessionStorage.getItem(ATTEMPT_KEY) || 'null');
  } catch {
    return null;
  }
}
function saveAttempt(a) {
  if (a) sessionStorage.setItem(ATTEMPT_KEY, JSON.stringify(a));
  else sessionStorage.removeItem(ATTEMPT_KEY);
}

// Takes a payment of the amount shown (or the split's next part). `extra.tendered`: the cash
// handed over. The same request again (a second press, a retry after a lost answer) keeps its
// key, so the box takes it once.
export async function takePayment(ck, extra = {}) {
  const { cur, api } = ck;
  const c = cur.check;
  if (!c || cur.busy) return;
  const method = cur.pay.method;
  const amount = amountOf(cur);
  const fail = (msg) => {
    cur.payError = msg;
    ck.render();
  };
  if (!Number.isInteger(amount) || amount < 1 || amount > c.balance) return fail(t('pay.vAmount', { max: won(c.balance) }));
  const body = { method };
  if (cur.split.kind === 'equal') body.split = { kind: 'equal', parts: cur.split.parts };
  else if (cur.split.kind === 'items') body.split = { kind: 'items', order_item_ids: [...cur.split.items] };
  if (typed(cur) || !body.split) body.amount = amount;
  if (method === 'cash' && extra.tendered != null) {
    if (!(extra.tendered >= amount)) return fail(t('pay.short', { amount: won(amount - (extra.tendered || 0)) }));
    body.tendered = extra.tendered;
  }
  const ref = cur.pay.reference.trim();
  if (ref && method !== 'cash') body.reference = ref;
  const sig = JSON.stringify([cur.sessionId, body]);
  let attempt = loadAttempt();
  if (!attempt || attempt.sig !== sig) attempt = { key: uuid(), sig };
  saveAttempt(attempt);
  const before = new Set(c.payments.map((p) => p.id));
  cur.busy = true;
  cur.payError = '';
  ck.render();
  try {
    const check = await api.post(`/api/v1/admin/sessions/${cur.sessionId}/payments`, body, { headers: { 'Idempotency-Key': attempt.key } });
    saveAttempt(null);
    const p = check.payments.find((x) => !before.has(x.id)) || check.payments[check.payments.length - 1];
    cur.result = p ? { method: p.method, amount: p.amount, tendered: p.tendered, change: p.change, balance: check.balance } : null;
    cur.check = { ...check, split: cur.check.split };
    if (cur.split.kind === 'items') cur.split.items = new Set();
    resetPay(cur);
    ck.reload();
  } catch (e) {
    if (!e.retryable) saveAttempt(null);
    cur.payError = e.retryable
      ? t('pay.unknown')
      : e.fields && e.fields.amount
        ? t('pay.vAmount', { max: won(c.balance) })
        : e.fields && e.fields.reference
          ? `${method === 'card' ? t('pay.approvalNo') : t('pay.memo')}: ${reasonText(e.fields.reference)}`
          : errorText(e, { not_found: t('dash.noSession'), conflict: t('pay.conflict') });
    if (!e.retryable) ck.reload();
  } finally {
    cur.busy = false;
    ck.render();
  }
}
