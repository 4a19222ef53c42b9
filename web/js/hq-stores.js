// Stores: online state, upload backlog, today's figures and the version each box runs (with how
// its updates stand), plus the summary tiles above them.
import { $, h, won, count, ago, hms, icon, errorText } from './ui.js';
import { t } from './i18n.js';
import { api } from './hq-session.js';

// Boxes say hello every 30 s; a box unheard of for two minutes is offline.
const ONLINE_MS = 2 * 60 * 1000;

export const stores = { list: [], byId: new Map(), loadedAt: null };
const listeners = [];
export const onStoresChange = (fn) => listeners.push(fn);

export const storeName = (id) => stores.byId.get(id)?.name || id;
export const isOnline = (s, now = Date.now()) => !!s.last_seen_at && now - Date.parse(s.last_seen_at) < ONLINE_MS;

let loading = null;
export function loadStores() {
  // One request at a time: a burst of orders must not pile up requests.
  loading ??= api.get('/hub/v1/stores')
    .then((list) => {
      const before = stores.list.map((s) => `${s.store_id}:${s.name}`).join('|');
      stores.list = Array.isArray(list) ? list : [];
      stores.byId = new Map(stores.list.map((s) => [s.store_id, s]));
      stores.loadedAt = new Date();
      $('#stores-error').textContent = '';
      render();
      if (before !== stores.list.map((s) => `${s.store_id}:${s.name}`).join('|')) for (const fn of listeners) fn();
    })
    .catch((err) => {
      if (err.status !== 401) $('#stores-error').textContent = errorText(err);
    })
    .finally(() => (loading = null));
  return loading;
}

export function render() {
  renderKpis();
  renderTable();
  $('#stores-updated').textContent = stores.loadedAt ? t('common.updated', { time: hms(stores.loadedAt) }) : '';
}

function renderKpis() {
  const now = Date.now();
  const list = stores.list;
  const online = list.filter((s) => isOnline(s, now)).length;
  const orders = list.reduce((a, s) => a + (s.orders_today || 0), 0);
  const sales = list.reduce((a, s) => a + (s.sales_today || 0), 0);
  const backlog = list.reduce((a, s) => a + (s.backlog || 0), 0);
  const tile = (cls, ic, label, value, extra = '') =>
    h('div.kpi', { class: cls }, icon(ic, 'kpi-icon'), h('div.kpi-text', h('span.kpi-label', label), h('strong.kpi-value.num', value), extra));
  $('#kpis').setAttribute('aria-label', t('kpi.title'));
  $('#kpis').replaceChildren(
    tile(list.length && online < list.length ? 'kpi-warn' : '', 'store', t('kpi.online'), t('kpi.onlineValue', { n: online, total: list.length })),
    tile('', 'receipt', t('kpi.orders'), t('kpi.ordersValue', { n: count(orders) })),
    tile('kpi-main', 'coins', t('kpi.sales'), won(sales)),
    tile(backlog > 0 ? 'kpi-warn' : '', 'upload', t('kpi.backlog'), t('kpi.backlogValue', { n: count(backlog) })),
  );
}

function stateCell(s, now) {
  const on = isOnline(s, now);
  const seen = s.last_seen_at ? t('stores.lastSeen', { ago: ago(s.last_seen_at, now) }) : t('stores.never');
  return h('div.state', { class: on ? 'on' : 'off', title: s.last_seen_at ? new Date(s.last_seen_at).toLocaleString() : '' },
    h('span.dot', { 'aria-hidden': 'true' }),
    h('span.state-text', h('strong', on ? t('stores.online') : t('stores.offline')), h('span.muted.small', seen)));
}

// Dotted versions, as the boxes compare them: 0.10.0 after 0.9.1, a pre-release (0.5.0-rc1)
// before its release.
export function compareVersions(a, b) {
  const parse = (v) => {
    const [main, pre] = String(v).split(/-(.*)/s);
    return [main.split('.').map((p) => Number.parseInt(p, 10) || 0), pre === undefined];
  };
  const [x, xr] = parse(a);
  const [y, yr] = parse(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] || 0) - (y[i] || 0);
    if (d) return Math.sign(d);
  }
  return xr === yr ? 0 : xr ? 1 : -1;
}

// The newest version among the stores (null when none has said).
function newestVersion(list) {
  return list.reduce((best, s) => (s.version && (!best || compareVersions(s.version, best) > 0) ? s.version : best), null);
}

// Why an update failed, in words, from the box's own (English) reason; null when not known.
const WHY = [
  [/not signed by a trusted key/, 'stores.why.notSigned'],
  [/signature file cannot be read|does not name a tableorder release/, 'stores.why.badSignature'],
  [/signature names version .* but the binary/, 'stores.why.notThatVersion'],
  [/the release is for .*, this box is/, 'stores.why.wrongTarget'],
  [/is not newer than/, 'stores.why.notNewer'],
  [/health check/, 'stores.why.health'],
  [/exited|stopped during its probation/, 'stores.why.exited'],
  [/ is missing /, 'stores.why.missing'],
];
const whyWords = (reason) => {
  const hit = WHY.find(([re]) => re.test(reason));
  return hit ? t(hit[1]) : null;
};

const UPDATE_CLASS = { pending: 'upd-wait', probation: 'upd-wait', rolled_back: 'upd-bad', failed: 'upd-bad' };

// The version cell: the version the box runs, the release the chain assigned it (→ 0.5.0), a tag
// when another store runs a newer one, and the update's state in words when it is not plain idle
// (a failure with its reason).
function versionCell(s, newest) {
  const state = UPDATE_CLASS[s.update_state] ? s.update_state : 'idle';
  const assigned = s.assigned_version && s.assigned_version !== s.version ? s.assigned_version : null;
  const line = h('div.ver-line',
    s.version
      ? h('strong.ver-num.num', s.version)
      : h('span.ver-num.muted', { title: t('stores.versionUnknown') }, h('span', { 'aria-hidden': 'true' }, '—'), h('span.sr-only', t('stores.versionUnknown'))),
    assigned && state !== 'pending'
      ? h('span.ver-due.num', { title: t('stores.versionDueHelp', { version: assigned }) },
        h('span.sr-only', t('stores.versionDueSr')), h('span', { 'aria-hidden': 'true' }, '→ '), assigned)
      : null,
    s.version && newest && compareVersions(s.version, newest) < 0
      ? h('span.ver-tag', { title: t('stores.versionOldHelp', { version: newest }) }, t('stores.versionOld'))
      : null);
  const parts = [line];
  if (state !== 'idle') {
    const error = s.update_error ? String(s.update_error) : '';
    const bad = UPDATE_CLASS[state] === 'upd-bad';
    const label = state === 'pending' && s.assigned_version
      ? t('stores.upd.pendingOf', { version: s.assigned_version })
      : t(`stores.upd.${state}`);
    parts.push(h('span.ver-state', { class: UPDATE_CLASS[state], title: bad && error ? error : t(`stores.upd.${state}Help`) }, label));
    if (bad && error) {
      const words = whyWords(error);
      if (words) parts.push(h('span.ver-why', words));
      parts.push(h('small.ver-raw.muted', { title: error }, error));
    }
  }
  return h('td.ver-cell', { 'data-label': t('stores.version'), dataset: { updateState: state } }, h('div.ver', parts));
}

function renderTable() {
  const box = $('#stores');
  if (!stores.list.length) {
    box.replaceChildren(h('p.empty', stores.loadedAt ? t('stores.none') : t('common.loading')));
    return;
  }
  const now = Date.now();
  const head = h('thead', h('tr',
    h('th', { scope: 'col' }, t('stores.store')),
    h('th', { scope: 'col' }, t('stores.state')),
    h('th.r', { scope: 'col', title: t('stores.backlogHelp') }, t('stores.backlog')),
    h('th.r', { scope: 'col' }, t('stores.ordersToday')),
    h('th.r', { scope: 'col' }, t('stores.salesToday')),
    h('th', { scope: 'col' }, t('stores.version'))));
  const newest = newestVersion(stores.list);
  const rows = stores.list.map((s) => h('tr', { class: isOnline(s, now) ? '' : 'is-off', dataset: { store: s.store_id } },
    h('th.store-cell', { scope: 'row' }, h('div', h('strong.store-name', s.name || s.store_id), h('span.store-id.muted.small', s.store_id))),
    h('td', { 'data-label': t('stores.state') }, stateCell(s, now)),
    h('td.r', { 'data-label': t('stores.backlog') },
      s.backlog > 0
        ? h('span.backlog', { title: t('stores.backlogHelp') }, t('stores.backlogN', { n: count(s.backlog) }))
        : h('span.muted', t('stores.backlogNone'))),
    h('td.r.num', { 'data-label': t('stores.ordersToday') }, t('stores.ordersN', { n: count(s.orders_today) })),
    h('td.r.num.money', { 'data-label': t('stores.salesToday') }, won(s.sales_today)),
    versionCell(s, newest)));
  box.replaceChildren(h('table.stores-table', head, h('tbody', rows)));
}
