// The money side of the sales range: payments by method across the chain (by the business day
// each was taken in), and each store's closed business days with their frozen reports (orders,
// guests, gross to net, the cash drawer's difference), one store or all, and their CSV.
import { $, h, won, count, dayLabel, icon, errorText } from './ui.js';
import { t } from './i18n.js';
import { query } from './api.js';
import { api, token } from './hq-session.js';
import { stores, storeName, onStoresChange } from './hq-stores.js';
import { salesRange, onRangeChange } from './hq-sales.js';

const METHODS = ['cash', 'card', 'transfer', 'voucher', 'other'];
const METHOD_ICON = { cash: 'cash', card: 'card', transfer: 'transfer', voucher: 'gift', other: 'more' };
const methodName = (m) => (METHODS.includes(m) ? t('pay.m.' + m) : m);

const state = { payments: null, days: null, store: '', payError: null, daysError: null };
let seq = 0;

export function initDays() {
  $('#days-store').addEventListener('change', (e) => {
    state.store = e.target.value;
    loadDays();
  });
  onStoresChange(() => {
    renderStoreSelect();
    renderDays();
  });
  onRangeChange(() => loadDays());
  renderStoreSelect();
}

export async function loadDays() {
  const range = salesRange();
  renderCsv();
  if (!range) {
    state.payments = null;
    state.days = null;
    return render();
  }
  const mine = ++seq;
  $('.days-card').setAttribute('aria-busy', 'true');
  const [pay, days] = await Promise.allSettled([
    api.get(`/hub/v1/payments${query({ from: range.from, to: range.to, group_by: 'method' })}`),
    api.get(`/hub/v1/days${query({ store_id: state.store, from: range.from, to: range.to })}`),
  ]);
  if (mine !== seq) return;
  $('.days-card').removeAttribute('aria-busy');
  state.payments = pay.status === 'fulfilled' ? pay.value : state.payments;
  state.payError = pay.status === 'rejected' && pay.reason.status !== 401 ? pay.reason : null;
  state.days = days.status === 'fulfilled' ? days.value : state.days;
  state.daysError = days.status === 'rejected' && days.reason.status !== 401 ? days.reason : null;
  render();
}

function render() {
  renderPayments();
  renderDays();
  renderCsv();
}

// ---------- payments by method ----------

function renderPayments() {
  const box = $('#payments');
  const range = salesRange();
  $('#pay-range').textContent = range ? t('sales.range', { from: dayLabel(range.from), to: dayLabel(range.to) }) : '';
  $('#payments-error').textContent = state.payError ? errorText(state.payError) : '';
  const rows = [...(state.payments || [])].sort((a, b) => METHODS.indexOf(a.key) - METHODS.indexOf(b.key));
  if (!state.payments) return box.replaceChildren(h('p.empty', t('common.loading')));
  if (!rows.length) return box.replaceChildren(h('p.empty', t('pay.none')));
  const sum = rows.reduce((a, r) => ({ count: a.count + r.count, amount: a.amount + r.amount, refunded: a.refunded + r.refunded }), { count: 0, amount: 0, refunded: 0 });
  const max = Math.max(1, ...rows.map((r) => r.amount));
  box.replaceChildren(
    h(
      'table.sales-table.pay-table',
      h('caption.sr-only', t('pay.title')),
      h(
        'thead',
        h(
          'tr',
          h('th', { scope: 'col' }, t('pay.method')),
          h('th.r', { scope: 'col' }, t('pay.count')),
          h('th.r', { scope: 'col' }, t('pay.amount')),
          h('th.r', { scope: 'col' }, t('pay.refunded')),
          h('th.share', { scope: 'col' }, h('span.sr-only', t('sales.share'))),
        ),
      ),
      h(
        'tbody',
        rows.map((r) =>
          h(
            'tr',
            { dataset: { method: r.key } },
            h('th', { scope: 'row' }, h('span.pay-method', icon(METHOD_ICON[r.key] || 'coins'), h('span.key', methodName(r.key)))),
            h('td.r.num', count(r.count)),
            h('td.r.num.money', won(r.amount)),
            h('td.r.num', r.refunded ? won(-r.refunded) : h('span.muted', '–')),
            h('td.share', h('span.pay-bar', { style: { width: `${Math.round((r.amount / max) * 100)}%` } })),
          ),
        ),
      ),
      h(
        'tfoot',
        h('tr', h('th', { scope: 'row' }, t('sales.sum')), h('td.r.num', count(sum.count)), h('td.r.num.money', won(sum.amount)), h('td.r.num', sum.refunded ? won(-sum.refunded) : '–'), h('td.share')),
      ),
    ),
  );
}

// ---------- closed days ----------

function renderStoreSelect() {
  const sel = $('#days-store');
  const ids = stores.list.map((x) => x.store_id);
  if (state.store && !ids.includes(state.store)) ids.push(state.store);
  sel.replaceChildren(h('option', { value: '' }, t('csv.allStores')), ...ids.map((id) => h('option', { value: id }, storeName(id) === id ? id : `${storeName(id)} (${id})`)));
  sel.value = state.store;
}

function renderDays() {
  const box = $('#days');
  $('#days-error').textContent = state.daysError ? errorText(state.daysError) : '';
  if (!state.days) return box.replaceChildren(h('p.empty', t('common.loading')));
  if (!state.days.length) return box.replaceChildren(h('p.empty', t('days.none')));
  const head = (key, cls = 'r') => h('th', { scope: 'col', class: cls }, t('days.' + key));
  const cell = (key, v, extra = '') => h('td.r.num', { class: extra, 'data-label': t('days.' + key) }, v);
  const cashDiff = (d) => {
    const v = d.cash && d.cash.difference;
    if (v == null) return h('span.muted', t('days.notCounted'));
    return h('span', { class: v < 0 ? 'short' : v > 0 ? 'over' : 'even' }, (v > 0 ? '+' : '') + won(v));
  };
  box.replaceChildren(
    h(
      'table.hq-cards.days-table',
      h('caption.sr-only', t('days.title')),
      h('thead', h('tr', head('day', ''), head('orders'), head('guests'), head('gross'), head('off'), head('refunds'), head('net'), head('cashDiff'))),
      h(
        'tbody',
        state.days.map((d) =>
          h(
            'tr',
            { dataset: { store: d.store_id, date: d.business_date, dayId: d.id } },
            h('th.store-cell', { scope: 'row' }, h('div', h('strong.store-name', dayLabel(d.business_date)), h('span.muted.small', storeName(d.store_id)))),
            cell('orders', count(d.orders)),
            cell('guests', count(d.guests)),
            cell('gross', won(d.gross)),
            cell('off', d.discounts + d.comps + d.voids ? won(-(d.discounts + d.comps + d.voids)) : '–'),
            cell('refunds', d.refunds ? won(-d.refunds) : '–'),
            cell('net', won(d.net), 'money'),
            cell('cashDiff', cashDiff(d), 'cash-diff'),
          ),
        ),
      ),
    ),
  );
}

function renderCsv() {
  const a = $('#days-csv');
  const range = salesRange();
  if (!range || !token()) {
    a.removeAttribute('href');
    a.setAttribute('aria-disabled', 'true');
    return;
  }
  a.removeAttribute('aria-disabled');
  a.href = `/hub/v1/days.csv${query({ token: token(), store_id: state.store, from: range.from, to: range.to })}`;
  a.download = `days_${state.store ? state.store + '_' : ''}${range.from}_${range.to}.csv`;
}

// Language changed.
export function rerenderDays() {
  renderStoreSelect();
  render();
}
