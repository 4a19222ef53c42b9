// Sales report: a date range, a group-by switch, a table with totals and net sales (the
// closed business days' figures after discounts, 서비스, voids and refunds), a bar chart and the
// CSV export of the range's orders. The payments, closed days and audit cards (hq-days.js,
// hq-audit.js) follow the same range (onRangeChange).
import { $, $$, h, won, count, ymd, addDays, parseDay, dayLabel, shortDay, errorText, drawChart } from './ui.js';
import { t } from './i18n.js';
import { query } from './api.js';
import { api, token } from './hq-session.js';
import { stores, storeName, onStoresChange } from './hq-stores.js';

const CHART_TOP = 12; // stores and items beyond these are in the table only
const MAX_FILL_DAYS = 93; // days without sales are drawn as 0 up to this range

const state = { from: '', to: '', group: 'store', rows: [], shown: null, csvStore: '' };
const rangeListeners = [];
// The range the report is of, for the cards that follow it.
export const salesRange = () => (validRange() ? { from: state.from, to: state.to } : null);
export const onRangeChange = (fn) => rangeListeners.push(fn);
let lastRange = '';
let seq = 0;
let chartWidth = 0;

export function initSales() {
  const form = $('#sales-form');
  const saved = sessionStorage.getItem('tableorder.hq.group');
  if (['store', 'item', 'day'].includes(saved)) state.group = saved;
  form.elements.group_by.value = state.group;
  setRange(6);
  // The cards that follow the range load themselves at the start (hq.js); later changes tell them.
  lastRange = `${state.from}|${state.to}`;
  form.addEventListener('change', (e) => {
    if (e.target.name === 'group_by') {
      state.group = e.target.value;
      sessionStorage.setItem('tableorder.hq.group', state.group);
    } else {
      state.from = form.elements.from.value;
      state.to = form.elements.to.value;
    }
    loadSales();
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  for (const b of $$('[data-preset]', form)) {
    b.addEventListener('click', () => {
      setRange(Number(b.dataset.preset));
      loadSales();
    });
  }
  $('#csv-store').addEventListener('change', (e) => {
    state.csvStore = e.target.value;
    renderCsv();
  });
  onStoresChange(() => {
    renderCsvStores();
    if (state.group === 'store') renderResult();
  });
  renderCsvStores();
  // Redraw the chart when its box changes width (rotation, window resize).
  new ResizeObserver(() => {
    const w = Math.floor($('#sales-chart').clientWidth);
    if (w && w !== chartWidth) {
      chartWidth = w;
      renderChart();
    }
  }).observe($('#sales-chart'));
}

// The last n+1 days up to today.
function setRange(back) {
  const today = ymd();
  state.to = today;
  state.from = addDays(today, -back);
  const form = $('#sales-form');
  form.elements.from.value = state.from;
  form.elements.to.value = state.to;
  for (const b of $$('[data-preset]', form)) b.setAttribute('aria-pressed', String(Number(b.dataset.preset) === back));
}

function markPreset() {
  const today = ymd();
  for (const b of $$('[data-preset]')) {
    b.setAttribute('aria-pressed', String(state.to === today && state.from === addDays(today, -Number(b.dataset.preset))));
  }
}

const validRange = () => parseDay(state.from) && parseDay(state.to) && state.from <= state.to;
// Whether the report can change as orders arrive.
export const includesToday = () => validRange() && state.to >= addDays(ymd(), -1);

export async function loadSales() {
  markPreset();
  renderRange();
  renderCsv();
  const key = validRange() ? `${state.from}|${state.to}` : '';
  if (key !== lastRange) {
    lastRange = key;
    for (const fn of rangeListeners) fn(salesRange());
  }
  const err = $('#sales-error');
  if (!validRange()) {
    err.textContent = parseDay(state.from) && parseDay(state.to) ? t('sales.badRange') : '';
    state.shown = null;
    renderResult();
    return;
  }
  const mine = ++seq;
  const want = { from: state.from, to: state.to, group: state.group };
  $('.sales-card').setAttribute('aria-busy', 'true');
  try {
    const rows = await api.get(`/hub/v1/sales${query({ from: want.from, to: want.to, group_by: want.group })}`);
    if (mine !== seq) return;
    err.textContent = '';
    state.rows = Array.isArray(rows) ? rows : [];
    state.shown = want;
    renderResult();
  } catch (e) {
    if (mine === seq && e.status !== 401) err.textContent = errorText(e);
  } finally {
    if (mine === seq) $('.sales-card').removeAttribute('aria-busy');
  }
}

function renderRange() {
  $('#sales-range').textContent = validRange()
    ? t('sales.range', { from: dayLabel(state.from), to: dayLabel(state.to) })
    : '';
}

// Rows as shown: stores by name, days filled in and in order, stores and items by sales.
function displayRows() {
  const shown = state.shown;
  if (!shown) return [];
  let rows = state.rows.map((r) => ({ ...r }));
  if (shown.group === 'day') {
    const byDay = new Map(rows.map((r) => [r.key, r]));
    const from = parseDay(shown.from);
    const to = parseDay(shown.to);
    const days = Math.round((to - from) / 86400000) + 1;
    if (days <= MAX_FILL_DAYS) {
      rows = [];
      for (let i = 0; i < days; i++) {
        const d = addDays(shown.from, i);
        rows.push(byDay.get(d) || { key: d, orders: 0, quantity: 0, total: 0 });
      }
    } else rows.sort((a, b) => a.key.localeCompare(b.key));
  } else rows.sort((a, b) => b.total - a.total || String(a.key).localeCompare(String(b.key)));
  return rows;
}

function keyLabel(group, key) {
  if (group === 'store') return storeName(key);
  if (group === 'day') return dayLabel(key);
  return key;
}

function renderResult() {
  renderRange();
  renderTable();
  renderChart();
}

function renderTable() {
  const box = $('#sales-table');
  const shown = state.shown;
  if (!shown) {
    box.replaceChildren();
    return;
  }
  const rows = displayRows();
  const group = shown.group;
  if (!rows.some((r) => r.total || r.orders)) {
    box.replaceChildren(h('p.empty', t('sales.none')));
    return;
  }
  const sum = rows.reduce((a, r) => ({ orders: a.orders + r.orders, quantity: a.quantity + r.quantity, total: a.total + r.total, net: a.net + (r.net || 0) }), { orders: 0, quantity: 0, total: 0, net: 0 });
  // Net sales come from closed business days (by store and day; none by item).
  const withNet = group !== 'item';
  const net = (v) => (v == null ? h('span.muted', { title: t('sales.netNone') }, '–') : won(v));
  const share = (v) => (sum.total ? `${((v / sum.total) * 100).toFixed(1)}%` : '');
  const today = ymd();
  // Days without sales are in the chart (as gaps) but not in the table.
  const listed = group === 'day' ? rows.filter((r) => r.orders || r.total) : rows;
  box.replaceChildren(h('table.sales-table',
    h('caption.sr-only', `${t('sales.title')} · ${t('sales.range', { from: dayLabel(shown.from), to: dayLabel(shown.to) })}`),
    h('thead', h('tr',
      h('th', { scope: 'col' }, t(`sales.key.${group}`)),
      h('th.r', { scope: 'col' }, t('sales.orders')),
      h('th.r', { scope: 'col' }, t('sales.quantity')),
      h('th.r', { scope: 'col' }, t('sales.total')),
      withNet ? h('th.r', { scope: 'col', title: t('sales.netHelp') }, t('sales.net')) : null,
      h('th.r.share', { scope: 'col' }, t('sales.share')))),
    h('tbody', listed.map((r) => h('tr', { class: group === 'day' && r.key === today ? 'is-today' : null },
      h('th', { scope: 'row' }, h('span.key', keyLabel(group, r.key)), group === 'store' && storeName(r.key) !== r.key ? h('span.muted.small.key-id', r.key) : null),
      h('td.r.num', count(r.orders)),
      h('td.r.num', count(r.quantity)),
      h('td.r.num.money', won(r.total)),
      withNet ? h('td.r.num.net', { dataset: { net: r.net ?? '' } }, net(r.net)) : null,
      h('td.r.num.share.muted', share(r.total))))),
    h('tfoot', h('tr',
      h('th', { scope: 'row' }, t('sales.sum')),
      group === 'item' ? h('td.r.muted', { title: t('sales.ordersNA') }, '–') : h('td.r.num', count(sum.orders)),
      h('td.r.num', count(sum.quantity)),
      h('td.r.num.money', won(sum.total)),
      withNet ? h('td.r.num.net', net(listed.some((r) => r.net != null) ? sum.net : null)) : null,
      h('td.r.share')))));
}

function renderChart() {
  const fig = $('#sales-chart');
  const shown = state.shown;
  const rows = displayRows();
  if (!shown || !rows.some((r) => r.total)) {
    fig.replaceChildren();
    fig.hidden = true;
    return;
  }
  fig.hidden = false;
  const width = Math.floor(fig.clientWidth) || chartWidth || 600;
  chartWidth = width;
  const group = shown.group;
  const today = ymd();
  const kind = group === 'day' ? 'columns' : 'bars';
  const pick = kind === 'bars' ? rows.slice(0, CHART_TOP) : rows;
  const data = pick.map((r) => ({
    label: group === 'day' ? shortDay(r.key) : keyLabel(group, r.key),
    title: keyLabel(group, r.key),
    value: r.total,
    highlight: group === 'day' && r.key === today,
  }));
  const groupName = t(`sales.key.${group}`);
  const summary = pick.slice(0, 5).map((r) => `${keyLabel(group, r.key)} ${won(r.total)}`).join(', ');
  const svg = drawChart({ rows: data, kind, width, format: won });
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('sales.chart', { group: groupName, summary }));
  const cap = kind === 'bars' && rows.length > CHART_TOP ? h('figcaption.muted.small', t('sales.chartTop', { n: CHART_TOP })) : null;
  fig.replaceChildren(svg, cap || '');
}

function renderCsvStores() {
  const sel = $('#csv-store');
  const ids = stores.list.map((x) => x.store_id);
  if (state.csvStore && !ids.includes(state.csvStore)) ids.push(state.csvStore);
  sel.replaceChildren(
    h('option', { value: '' }, t('csv.allStores')),
    ...ids.map((id) => h('option', { value: id }, storeName(id) === id ? id : `${storeName(id)} (${id})`)),
  );
  sel.value = state.csvStore;
}

export function renderCsv() {
  const a = $('#csv-link');
  const ok = validRange() && token();
  $('#csv-help').textContent = validRange()
    ? `${t('sales.range', { from: dayLabel(state.from), to: dayLabel(state.to) })} · ${t('csv.help')}`
    : t('csv.help');
  if (!ok) {
    a.removeAttribute('href');
    a.setAttribute('aria-disabled', 'true');
    return;
  }
  a.removeAttribute('aria-disabled');
  a.href = `/hub/v1/orders.csv${query({ token: token(), store_id: state.csvStore, from: state.from, to: state.to })}`;
  a.download = `orders_${state.csvStore ? state.csvStore + '_' : ''}${state.from}_${state.to}.csv`;
}

// Language changed: labels, store names and the chart's text.
export function rerenderSales() {
  renderCsvStores();
  renderCsv();
  renderResult();
}
