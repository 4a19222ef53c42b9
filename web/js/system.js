// Dashboard: the System page — version, uptime, database, connections, the chain hub, backups (listed by
// when they were made, on the store's clock) and the configured limits in words.
import { h, $, bytes, dateTime, icon, toast, errorText } from './ui.js';
import { t } from './i18n.js';
import { limitName } from './errors.js';

// "2일 3시간 4분" / "2 d 3 h 4 min"; under a minute "35초" / "35 s".
export function uptime(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  if (!d && !hh && !mm) return t('dur.s', { n: s });
  const parts = [];
  if (d) parts.push(t('dur.d', { n: d }));
  if (d || hh) parts.push(t('dur.h', { n: hh }));
  parts.push(t('dur.min', { n: mm }));
  return parts.join(' ');
}

// A limit's value: 0 means none.
const limitValue = (v) => (v === 0 ? t('sys.unlimited') : Number(v).toLocaleString());

export function systemView({ api, can }) {
  let root = null;
  let timer = null;

  async function load() {
    if (!root) return;
    try {
      // Backups are the owner's (the box's data of every store); a manager sees the rest.
      const [sys, backups] = await Promise.all([api.get('/api/v1/admin/system'), can('owner') ? api.get('/api/v1/admin/backups') : null]);
      if (root) render(sys, backups);
    } catch (e) {
      if (root) $('#sys-error', root).textContent = errorText(e);
    }
  }

  function render(s, backups) {
    $('#sys-error', root).textContent = '';
    const stat = (label, value, sub) => h('div.stat.panel', h('span.muted', label), h('strong', value), sub ? h('small.muted', sub) : null);
    const stats = [
      stat(t('sys.version'), s.version),
      stat(t('sys.uptime'), h('span', { dataset: { seconds: s.uptime_s } }, uptime(s.uptime_s))),
      stat(t('sys.db'), bytes(s.db_bytes)),
      stat(t('sys.pool'), `${s.pool.in_use} / ${s.pool.max}`, t('sys.poolDetail', { open: s.pool.open, idle: s.pool.idle })),
      stat(t('sys.sse'), `${s.sse.staff + s.sse.table}`, t('sys.sseDetail', { staff: s.sse.staff, table: s.sse.table })),
    ];
    if (s.sse.events_sent != null) stats.push(stat(t('sys.events'), s.sse.events_sent.toLocaleString(), t('sys.dropped', { n: s.sse.dropped_lagging ?? 0 })));
    $('#sys-stats', root).replaceChildren(...stats);
    // Known limits by name; one this page has no words for keeps its key rather than vanish.
    $('#sys-limits', root).replaceChildren(
      ...Object.entries(s.limits || {}).map(([k, v]) =>
        h('div', { dataset: { limit: k } }, h('dt', limitName(k) ?? h('span.mono', k)), h('dd.num', limitValue(v))),
      ),
    );
    // The chain hub, on a box that is linked to one.
    const hub = s.hub && s.hub.state !== 'off' ? s.hub : null;
    const hubEl = $('#sys-hub', root);
    hubEl.hidden = !hub;
    if (hub) {
      const ok = hub.state === 'ok';
      const row = (label, value, cls) => h('div', cls ? { class: cls } : {}, h('dt', label), h('dd', value));
      hubEl.replaceChildren(
        h('header.panel-head', h('h2', t('sys.hub')), h('span.spacer'), h('span.pstate', { class: ok ? 'ps-ok' : 'ps-offline', dataset: { hubState: hub.state } }, h('span.dot'), t('sys.hubState.' + (ok ? 'ok' : 'offline')))),
        h(
          'dl.limits.hub-facts',
          row('URL', h('span.mono', hub.url || '')),
          row(t('sys.hubBacklog'), h('span.num', { dataset: { hubBacklog: hub.backlog } }, t('sys.hubBacklogN', { n: Number(hub.backlog || 0).toLocaleString() }))),
          row(t('sys.hubLastUpload'), hub.last_upload_at ? dateTime(hub.last_upload_at) : t('sys.hubNever')),
          !ok && hub.last_error ? row(t('sys.hubError'), h('span.mono.hub-error', hub.last_error), 'hub-error-row') : null,
          // Stores of this box the hub is not bound to: their orders wait at the hub.
          hub.refused_stores && hub.refused_stores.length
            ? row(t('sys.hubRefused'), h('span.hub-error', { dataset: { hubRefused: hub.refused_stores.join(',') } }, t('sys.hubRefusedN', { stores: hub.refused_stores.join(', ') })), 'hub-error-row')
            : null,
        ),
        h('p.muted.hub-help', t('sys.hubHelp')),
      );
    }
    if (!backups) return;
    // Newest first; each named by when it was made (the file name in small type below).
    const list = (backups || []).slice().sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)) || b.name.localeCompare(a.name));
    $('#sys-backups', root).replaceChildren(
      list.length
        ? h(
            'table.ttable.backups-table',
            h('thead', h('tr', h('th', t('sys.backupTime')), h('th.num', t('sys.backupSize')), h('th', h('span.sr-only', t('sys.download'))))),
            h(
              'tbody',
              ...list.map((b) =>
                h(
                  'tr',
                  { dataset: { name: b.name } },
                  h('td', h('strong.backup-time', dateTime(b.created_at)), h('small.mono.muted.backup-name', b.name)),
                  h('td.num', bytes(b.bytes)),
                  h('td', h('button.small', { type: 'button', onclick: () => download(b.name) }, icon('download'), t('sys.download'))),
                ),
              ),
            ),
          )
        : h('p.empty', t('sys.noBackups')),
    );
  }

  async function createBackup(e) {
    const btn = e.currentTarget;
    btn.disabled = true;
    try {
      const b = await api.post('/api/v1/admin/backups', {}, { timeout: 120000 });
      toast(t('sys.backupDone', { time: dateTime(b.created_at || Date.now()) }), 'ok');
      load();
    } catch (err) {
      toast(errorText(err, { conflict: t('sys.backupBusy') }), 'error');
    } finally {
      btn.disabled = false;
    }
  }

  async function download(name) {
    try {
      const blob = await api.get(`/api/v1/admin/backups/${encodeURIComponent(name)}`, { blob: true, timeout: 300000 });
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  return {
    mount(el) {
      root = el;
      el.replaceChildren(
        h('div.toolbar', h('h2', t('nav.system')), h('span.spacer'), h('button', { type: 'button', onclick: load }, icon('refresh'), t('common.refresh'))),
        h('p#sys-error.form-error', { role: 'alert' }),
        h('div#sys-stats.stats-grid'),
        h('section#sys-hub.panel.sys-section', { hidden: true }),
        can('owner')
          ? h(
              'section.panel.sys-section',
              h('header.panel-head', h('h2', t('sys.backups')), h('span.spacer'), h('button.primary', { type: 'button', onclick: createBackup }, icon('plus'), t('sys.backupNow'))),
              h('div#sys-backups'),
            )
          : null,
        h('section.panel.sys-section', h('h2', t('sys.limits')), h('dl#sys-limits.limits')),
      );
      load();
      timer = setInterval(load, 10000);
    },
    unmount() {
      root = null;
      clearInterval(timer);
    },
  };
}
