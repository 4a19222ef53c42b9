// What was taken off checks across the chain: voids, discounts, 서비스, refunds and cancelled
// orders from each store's audit trail (who did it, who approved it, how much, why), by store
// and kind, over the sales range. Times are each store's own.
import { $, h, won, icon, errorText } from './ui.js';
import { t, lang } from './i18n.js';
import { query } from './api.js';
import { api } from './hq-session.js';
import { stores, storeName, onStoresChange } from './hq-stores.js';
import { salesRange, onRangeChange } from './hq-sales.js';

export const AUDIT_KINDS = ['line_voided', 'discount_added', 'comp_added', 'payment_refunded', 'order_cancelled'];
const LIMIT = 500;

const state = { rows: null, store: '', kind: '', error: null };
let seq = 0;

export function initAudit() {
  $('#audit-store').addEventListener('change', (e) => {
    state.store = e.target.value;
    loadAudit();
  });
  $('#audit-kind').addEventListener('change', (e) => {
    state.kind = e.target.value;
    loadAudit();
  });
  onStoresChange(() => {
    renderSelects();
    renderRows();
  });
  onRangeChange(() => loadAudit());
  renderSelects();
}

export async function loadAudit() {
  const range = salesRange();
  if (!range) {
    state.rows = null;
    return renderRows();
  }
  const mine = ++seq;
  $('.audit-card').setAttribute('aria-busy', 'true');
  try {
    const rows = await api.get(`/hub/v1/audit${query({ store_id: state.store, kind: state.kind || AUDIT_KINDS.join(','), from: range.from, to: range.to, limit: LIMIT })}`);
    if (mine !== seq) return;
    state.rows = rows;
    state.error = null;
  } catch (e) {
    if (mine !== seq) return;
    state.error = e.status === 401 ? null : e;
  } finally {
    if (mine === seq) $('.audit-card').removeAttribute('aria-busy');
  }
  renderRows();
}

function renderSelects() {
  const sel = $('#audit-store');
  const ids = stores.list.map((x) => x.store_id);
  if (state.store && !ids.includes(state.store)) ids.push(state.store);
  sel.replaceChildren(h('option', { value: '' }, t('csv.allStores')), ...ids.map((id) => h('option', { value: id }, storeName(id) === id ? id : `${storeName(id)} (${id})`)));
  sel.value = state.store;
  const kind = $('#audit-kind');
  kind.replaceChildren(h('option', { value: '' }, t('audit.allKinds')), ...AUDIT_KINDS.map((k) => h('option', { value: k }, t('audit.kind.' + k))));
  kind.value = state.kind;
}

// "12/02 21:05" on the store's own clock.
function when(at, storeId) {
  const tz = stores.byId.get(storeId)?.timezone;
  try {
    return new Intl.DateTimeFormat(lang() === 'ko' ? 'ko-KR' : 'en-GB', { timeZone: tz || undefined, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(at));
  } catch {
    return at;
  }
}

// What an entry took off, in words.
function what(e) {
  const d = e.detail || {};
  const qty = d.quantity ? ` × ${d.quantity}` : '';
  switch (e.kind) {
    case 'line_voided':
    case 'comp_added':
      return `${d.item || ''}${qty}`;
    case 'discount_added':
      return `${d.item || t('audit.wholeCheck')}${d.percent ? ` ${d.percent}%` : ''}`;
    case 'payment_refunded':
      return d.method ? t('pay.m.' + d.method) : '';
    case 'order_cancelled':
      return d.order_no != null ? t('audit.order', { n: d.order_no }) : '';
    default:
      return '';
  }
}

function renderRows() {
  const box = $('#audit');
  $('#audit-error').textContent = state.error ? errorText(state.error) : '';
  if (!state.rows) return box.replaceChildren(h('p.empty', t('common.loading')));
  if (!state.rows.length) return box.replaceChildren(h('p.empty', t('audit.none')));
  const sum = state.rows.reduce((a, e) => a + (e.amount || 0), 0);
  box.replaceChildren(
    h('p.muted.small.audit-sum', state.rows.length >= LIMIT ? t('audit.summaryMax', { n: state.rows.length }) : t('audit.summary', { n: state.rows.length, amount: won(sum) })),
    h(
      'table.hq-cards.audit-table',
      h('caption.sr-only', t('audit.title')),
      h(
        'thead',
        h(
          'tr',
          h('th', { scope: 'col' }, t('audit.when')),
          h('th', { scope: 'col' }, t('audit.kind')),
          h('th', { scope: 'col' }, t('audit.what')),
          h('th', { scope: 'col' }, t('audit.who')),
          h('th.r', { scope: 'col' }, t('audit.amount')),
        ),
      ),
      h(
        'tbody',
        state.rows.map((e) =>
          h(
            'tr',
            { dataset: { store: e.store_id, kind: e.kind, auditId: e.id } },
            h('th.store-cell', { scope: 'row' }, h('div', h('strong.num', when(e.at, e.store_id)), h('span.muted.small', storeName(e.store_id)))),
            h('td', { 'data-label': t('audit.kind') }, h('span.kind-chip', { class: 'kind-' + e.kind }, t('audit.kind.' + e.kind))),
            h(
              'td',
              { 'data-label': t('audit.what') },
              h(
                'div.audit-what',
                h('span', [e.table_number != null ? t('feed.table', { n: e.table_number }) : null, what(e)].filter(Boolean).join(' · ')),
                e.reason ? h('small.muted', t('audit.reason', { reason: e.reason })) : null,
              ),
            ),
            h(
              'td',
              { 'data-label': t('audit.who') },
              h('div.audit-who', h('span', e.staff_name || '–'), e.approver_name ? h('small.approver', icon('check'), t('audit.approvedBy', { name: e.approver_name })) : null),
            ),
            h('td.r.num.money', { 'data-label': t('audit.amount') }, e.amount != null ? won(e.amount) : '–'),
          ),
        ),
      ),
    ),
  );
}

export function rerenderAudit() {
  renderSelects();
  renderRows();
}
