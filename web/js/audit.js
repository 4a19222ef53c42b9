// Dashboard: the audit trail (manager and owner) — who did what, when, with whose approval:
// cancels, moves, price and sold-out changes, staff and terminals, backups (and, as the box
// learns them, discounts, comps, voids, refunds and business days). By day range, person and
// kind; each row in words, with its table, amount and reason.
import { h, $, won, delta, dateTime, ymd, addDays, errorText } from './ui.js';
import { t, has } from './i18n.js';
import { roleName } from './roles.js';

const LIMIT = 200;
// The kinds the filter offers, in the order a manager thinks of them.
export const KINDS = [
  'order_cancelled',
  'order_moved',
  'table_moved',
  'tables_merged',
  'line_voided',
  'discount_added',
  'comp_added',
  'adjustment_removed',
  'payment_refunded',
  'session_forced_end',
  'price_changed',
  'item_sold_out',
  'staff_changed',
  'day_opened',
  'day_closed',
  'backup_downloaded',
  'update_applied',
  'settings_changed',
  'login_locked',
];
const kindName = (k) => (has('audit.kind.' + k) ? t('audit.kind.' + k) : k);
const tableN = (n) => t('dash.tableN', { n });
const status = (s) => (has('status.' + s) ? t('status.' + s) : s);

// What a row says beyond its columns, in words (the detail the box records per kind).
export function describe(e) {
  const d = e.detail || {};
  switch (e.kind) {
    case 'order_cancelled':
      return t('audit.d.cancelled', { n: d.order_no ?? '?', from: status(d.from) });
    case 'table_moved':
      return t('audit.d.moved', { from: d.from_table, to: d.to_table });
    case 'tables_merged':
      return t('audit.d.merged', { from: d.from_table, to: d.into_table });
    case 'order_moved':
      return t('audit.d.orderMoved', { n: d.order_no, from: d.from_table, to: d.to_table });
    case 'price_changed': {
      const money = d.option_id != null ? delta : won;
      return t('audit.d.price', { name: d.group ? `${d.group} · ${d.name}` : d.name, from: money(d.from), to: money(d.to) });
    }
    case 'item_sold_out':
      return t(d.available ? 'audit.d.onSale' : 'audit.d.soldOut', { name: d.group ? `${d.group} · ${d.name}` : d.name });
    case 'staff_changed':
      return staffChange(d);
    case 'backup_downloaded':
      return t('audit.d.backup', { name: d.name || '' });
    case 'update_applied': {
      const key = d.rollback ? 'audit.d.updateBack' : d.source === 'hub' ? 'audit.d.updateHub' : 'audit.d.update';
      return t(key, { from: d.from || '?', to: d.version || '?', when: has('sys.upd.when.' + d.when) ? t('sys.upd.when.' + d.when) : d.when || '' });
    }
    case 'login_locked':
      return t('audit.d.loginLocked', { name: d.account || '', address: d.address || '', until: d.until ? dateTime(d.until) : '' });
    default:
      return genericDetail(d);
  }
}

function staffChange(d) {
  if (d.change === 'created') return t('audit.d.staffCreated', { name: d.username, role: roleName(d.role) });
  if (d.change === 'terminal_created') return t('audit.d.terminalCreated', { name: d.terminal });
  if (d.change === 'terminal_revoked') return t('audit.d.terminalRevoked', { name: d.terminal });
  if (d.change === 'terminal_unlocked') return t('audit.d.terminalUnlocked', { name: d.terminal });
  const parts = (d.changes || []).map((c) =>
    c === 'role' ? t('audit.d.role', { from: roleName(d.role_before), to: roleName(d.role) }) : has('audit.change.' + c) ? t('audit.change.' + c) : c,
  );
  return t('audit.d.staffChanged', { name: d.username || '', what: parts.join(', ') || '–' });
}

// A kind this page has no words for yet: its facts as "key: value", never lost.
function genericDetail(d) {
  return Object.entries(d)
    .filter(([, v]) => v != null && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

export function auditView({ api, can }) {
  let root = null;
  let form = null;
  // Everyone seen acting or approving (and, for the owner, every account): the person filter.
  const people = new Map();

  async function learnStaff() {
    if (!can('owner')) return;
    try {
      for (const s of await api.get('/api/v1/admin/staff')) people.set(s.id, s.display_name || s.username);
      drawPeople();
    } catch {
      /* the names seen in the rows are enough */
    }
  }

  function drawPeople() {
    const sel = form.elements.staff_id;
    const value = sel.value;
    const list = [...people.entries()].sort((a, b) => a[1].localeCompare(b[1], 'ko'));
    // Two people of the same name are told apart by their number.
    const twice = (name) => list.filter(([, n]) => n === name).length > 1;
    sel.replaceChildren(
      h('option', { value: '' }, t('audit.everyone')),
      ...list.map(([id, name]) => h('option', { value: id }, twice(name) ? `${name} #${id}` : name)),
    );
    sel.value = people.has(Number(value)) ? value : '';
  }

  // Logins refused right now (an account locked for one address after wrong passwords).
  async function showLocks() {
    const box = $('#audit-locks', root);
    if (!box) return;
    try {
      const locks = await api.get('/api/v1/admin/login-locks');
      box.hidden = !locks.length;
      box.replaceChildren(
        h('strong', t('audit.locksNow')),
        h(
          'ul',
          ...locks.map((l) =>
            h('li', { dataset: { lockAddress: l.address } }, t('audit.lockLine', { name: l.name, address: l.address, until: dateTime(l.locked_until), n: l.refused })),
          ),
        ),
      );
    } catch {
      box.hidden = true;
    }
  }

  async function search() {
    const list = $('#audit-list', root);
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
    q.set('limit', String(LIMIT));
    list.replaceChildren(h('p.empty', t('common.loading')));
    try {
      const rows = await api.get(`/api/v1/admin/audit?${q}`);
      let learnt = false;
      const learn = (id, name) => {
        if (id == null || !name || people.has(id)) return;
        people.set(id, name);
        learnt = true;
      };
      for (const e of rows) {
        learn(e.staff_id, e.staff_name);
        learn(e.approver_id, e.approver_name);
      }
      if (learnt) drawPeople();
      if (!rows.length) return list.replaceChildren(h('p.empty', t('audit.none')));
      list.replaceChildren(
        h('p.history-sum', rows.length >= LIMIT ? t('audit.summaryMax', { n: rows.length }) : t('audit.summary', { n: rows.length })),
        h(
          'table.ttable.audit-table',
          h(
            'thead',
            h(
              'tr',
              h('th', t('audit.when')),
              h('th', t('audit.kind')),
              h('th', t('audit.who')),
              h('th', t('audit.approver')),
              h('th', t('audit.table')),
              h('th.num', t('audit.amount')),
              h('th', t('audit.what')),
            ),
          ),
          h('tbody', ...rows.map(row)),
        ),
      );
    } catch (e) {
      list.replaceChildren(h('p.form-error', { role: 'alert' }, errorText(e)));
    }
  }

  function row(e) {
    return h(
      'tr',
      { dataset: { auditId: e.id, kind: e.kind } },
      h('td.audit-when', dateTime(e.at)),
      h('td.audit-kind', h('span.kind-chip', { class: 'kind-' + e.kind }, kindName(e.kind))),
      h('td.audit-who', e.staff_name ? h('strong', e.staff_name) : h('span.muted', '–')),
      h('td.audit-approver', e.approver_name ? h('span.approver', h('span.sr-only', t('audit.approver') + ': '), e.approver_name) : null),
      h('td.audit-tableno', e.table_number != null ? tableN(e.table_number) : null),
      h('td.num.audit-amount', e.amount != null ? won(e.amount) : null),
      h('td.audit-what', h('span', describe(e)), e.reason ? h('small.audit-reason', t('audit.reason', { reason: e.reason })) : null),
    );
  }

  return {
    mount(el) {
      root = el;
      const today = ymd();
      form = h(
        'form.toolbar.audit-filters',
        { onsubmit: (e) => (e.preventDefault(), search()) },
        h('label.field.inline', h('span', t('history.from')), h('input', { type: 'date', name: 'from', value: addDays(today, -6) })),
        h('label.field.inline', h('span', t('history.to')), h('input', { type: 'date', name: 'to', value: today })),
        h('label.field.inline', h('span', t('audit.person')), h('select', { name: 'staff_id' })),
        h(
          'label.field.inline',
          h('span', t('audit.kind')),
          h('select', { name: 'kind' }, h('option', { value: '' }, t('audit.allKinds')), ...KINDS.map((k) => h('option', { value: k }, kindName(k)))),
        ),
        h('button.primary', { type: 'submit' }, t('history.search')),
      );
      el.replaceChildren(
        h('div.st-intro.audit-intro', h('h2', t('audit.title')), h('p.muted', t('audit.help'))),
        h('div#audit-locks.audit-locks', { role: 'status', hidden: true }),
        form,
        h('div#audit-list.panel.table-list.audit-list'),
      );
      showLocks();
      drawPeople();
      learnStaff();
      search();
    },
    unmount() {
      root = null;
    },
  };
}
