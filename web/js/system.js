// Dashboard: the System page — version, uptime, database, connections, the chain hub, backups (listed by
// when they were made, on the store's clock), updates (the box owner's: what runs, how the last update
// went, a signed release to install, going back) and the configured limits in words.
import { h, $, bytes, dateTime, icon, toast, errorText, confirmDialog } from './ui.js';
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

// ---------- updates ----------

const UPDATE = '/api/v1/admin/system/update';
// While a release waits for its moment or is on probation the page asks every 2 s; a switch
// takes a second, during which a request may fail (the answer after it says how it went).
const BUSY = new Set(['pending', 'probation']);
const PILL = { idle: 'ps-ok', pending: 'ps-wait', probation: 'ps-wait', rolled_back: 'ps-offline', failed: 'ps-offline' };
const POLL_MS = 2000;
// Why a release was refused (422 error.code), in words.
const REFUSED = { bad_signature: 'sys.upd.badSignature', wrong_target: 'sys.upd.wrongTarget', not_newer: 'sys.upd.notNewer' };

// Why the box went back (or could not), in words, from the box's own (English) reason.
function failureWords(reason) {
  const r = String(reason || '');
  if (/watchdog/.test(r)) return t('sys.upd.why.watchdog');
  if (/health check/.test(r)) return t('sys.upd.why.health');
  if (/exited|killed by signal|stopped during its probation|ended during its probation/.test(r)) return t('sys.upd.why.exited');
  if (/ is missing /.test(r)) return t('sys.upd.why.missing');
  return null;
}

// The Updates section: a status part drawn from GET …/system/update and a form kept as it is
// between redraws (the files chosen stay chosen). `onSettled` runs when an update has ended (the
// page's version and uptime change).
function updatesSection({ api, onSettled }) {
  let el = null; // the section, while the page shows
  let st = null; // the last status
  let timer = null;
  let asking = null; // the status request under way
  let uploading = null; // {size} while a release is being sent (kept across language changes)
  let when = 'idle';
  let changed = 0; // bumped by an upload or a rollback: an answer asked for before it is stale

  const busy = () => !!st && BUSY.has(st.state);

  function poll() {
    clearTimeout(timer);
    timer = el && busy() ? setTimeout(refresh, POLL_MS) : null;
  }

  // The status, again; a failed request changes nothing while an update is under way.
  async function refresh() {
    if (!el || asking) return asking;
    const asked = changed;
    let stale = false;
    asking = (async () => {
      try {
        const s = await api.get(UPDATE, { timeout: 5000 });
        stale = asked !== changed;
        if (stale) return;
        const was = st && st.state;
        st = s;
        if (el) draw();
        if (BUSY.has(was) && !busy()) onSettled();
      } catch (e) {
        if (el && !st) $('#upd-says', el).textContent = errorText(e);
      } finally {
        asking = null;
        if (stale) refresh();
        else poll();
      }
    })();
    return asking;
  }

  function draw() {
    const s = st;
    const pill = $('#upd-state', el);
    pill.className = 'pstate ' + (PILL[s.state] || '');
    pill.dataset.state = s.state;
    pill.replaceChildren(h('span.dot'), t('sys.upd.state.' + s.state));

    $('#upd-nokeys', el).hidden = s.keys !== false;

    const row = (key, label, value) => h('div', { dataset: { upd: key } }, h('dt', label), h('dd', value));
    const failedOne = s.state === 'rolled_back';
    // What ran before (after a rollback by itself: the release that failed); while a release
    // waits it says nothing about the update to come, so it is left out.
    const facts = [row('current', t('sys.upd.current'), h('span.num', s.current))];
    if (s.state !== 'pending') facts.push(row('previous', t(failedOne ? 'sys.upd.failedVersion' : 'sys.upd.previous'), s.previous ? h('span.num', s.previous) : t('sys.upd.noPrevious')));
    if (s.pending) facts.push(row('pending', t('sys.upd.pending'), t('sys.upd.pendingValue', { version: s.pending, when: t('sys.upd.when.' + (s.when || 'idle')) })));
    if (s.changed_at > 0 && (s.previous || s.state !== 'idle')) facts.push(row('changed', t('sys.upd.changed'), dateTime(s.changed_at)));
    $('#upd-facts', el).replaceChildren(...facts);

    let says;
    if (s.state === 'pending') says = t(s.when === 'now' ? 'sys.upd.says.pendingNow' : 'sys.upd.says.pendingIdle', { version: s.pending || '' });
    else if (s.state === 'probation') says = t('sys.upd.says.probation', { version: s.current, n: s.probation_secs });
    else if (s.state === 'idle') says = t(s.previous ? 'sys.upd.says.idle' : 'sys.upd.says.never', { current: s.current });
    else says = t('sys.upd.says.' + s.state, { current: s.current });
    $('#upd-says', el).textContent = says;

    // Why the last update went wrong: in words where the box's reason is a known one, and the
    // box's own words below.
    const reason = $('#upd-reason', el);
    const bad = s.last_error && (s.state === 'rolled_back' || s.state === 'failed');
    reason.hidden = !bad;
    if (bad) {
      const words = failureWords(s.last_error);
      reason.replaceChildren(
        ...[h('strong', t('sys.upd.reason')), words ? h('span.upd-reason-words', words) : null, h('span.mono.upd-reason-raw', s.last_error)].filter(Boolean),
      );
    }

    // Going back: to what ran before, when there is one and no update is under way (after a
    // rollback by itself "previous" is the release that failed).
    const back = $('#upd-rollback', el);
    const hint = busy() ? 'sys.upd.backBusy' : s.state === 'rolled_back' ? 'sys.upd.backAlready' : !s.previous || s.previous === s.current ? 'sys.upd.backNone' : null;
    back.disabled = !!hint;
    $('#upd-back-hint', el).textContent = hint ? t(hint) : t('sys.upd.backTo', { version: s.previous });

    drawUpload();
  }

  function drawUpload() {
    const btn = $('#upd-upload', el);
    btn.disabled = !!uploading || (!!st && st.keys === false);
    $('.upd-upload-label', btn).textContent = uploading ? t('sys.upd.uploading') : t('sys.upd.upload');
    $('#upd-progress', el).textContent = uploading ? t('sys.upd.progress', { size: bytes(uploading.size) }) : '';
    for (const b of el.querySelectorAll('[data-when]')) b.setAttribute('aria-pressed', String(b.dataset.when === when));
    $('#upd-when-hint', el).textContent = t('sys.upd.whenHint.' + when);
  }

  function showRefusal(text, detail) {
    $('#upd-error', el).textContent = text;
    const d = $('#upd-detail', el);
    d.textContent = detail || '';
    d.hidden = !detail;
  }

  async function upload(e) {
    e.preventDefault();
    if (uploading) return;
    const form = e.currentTarget;
    const binary = form.elements.binary.files[0];
    const signature = form.elements.signature.files[0];
    showRefusal('');
    if (!binary || !signature) return showRefusal(t('sys.upd.chooseBoth'));
    const body = new FormData();
    body.append('binary', binary, binary.name);
    body.append('signature', signature, signature.name);
    body.append('when', when);
    uploading = { size: binary.size + signature.size };
    if (el) drawUpload();
    try {
      const r = await api.post(UPDATE, body, { timeout: 600000 });
      toast(t('sys.upd.installed', { version: r.version }), 'ok');
      if (el) {
        const f = $('#upd-form', el);
        f.elements.binary.value = '';
        f.elements.signature.value = '';
      }
      changed++;
      st = { ...(st || {}), state: r.state || 'pending', pending: r.version, when: r.when };
    } catch (err) {
      if (el) {
        const own = REFUSED[err.code];
        showRefusal(
          own ? t(own) : errorText(err, { payload_too_large: t('sys.upd.tooLarge'), conflict: t('sys.upd.uploadBusy') }),
          own ? err.message : '',
        );
      }
    } finally {
      uploading = null;
      if (el) {
        if (st) draw();
        else drawUpload();
      }
      refresh();
    }
  }

  async function rollback() {
    if (!st) return;
    const ok = await confirmDialog(t('sys.upd.backConfirm', { version: st.previous || '' }), {
      ok: t('sys.upd.back'),
      danger: true,
      detail: t('sys.upd.backDetail'),
    });
    if (!ok) return;
    const btn = el && $('#upd-rollback', el);
    if (btn) btn.disabled = true;
    try {
      const s = await api.post(`${UPDATE}/rollback`, {});
      changed++;
      st = s;
      toast(t('sys.upd.goingBack', { version: st.pending || st.previous || '' }), 'ok');
      if (el) draw();
    } catch (err) {
      toast(errorText(err, { conflict: t('sys.upd.backNone') }), 'error');
      if (el && st) draw();
    } finally {
      refresh();
    }
  }

  function build() {
    const whenBtn = (value) =>
      h('button.seg-btn', { type: 'button', dataset: { when: value }, onclick: () => ((when = value), drawUpload()) }, t('sys.upd.when.' + value));
    return h(
      'section#sys-update.panel.sys-section',
      { hidden: true, 'aria-labelledby': 'upd-title' },
      h('header.panel-head', h('h2#upd-title', t('sys.upd.title')), h('span.spacer'), h('span#upd-state.pstate')),
      h('p#upd-nokeys.upd-warn', { hidden: true }, icon('alert'), h('span', t('sys.upd.noKeys'))),
      h('dl#upd-facts.limits.upd-facts'),
      h('p#upd-says.upd-says', { 'aria-live': 'polite' }),
      h('p#upd-reason.upd-reason', { hidden: true }),
      h('div.upd-back', h('button#upd-rollback', { type: 'button', disabled: true, onclick: rollback }, icon('undo'), t('sys.upd.back')), h('small#upd-back-hint.muted')),
      h(
        'form#upd-form.upd-form',
        { novalidate: true, onsubmit: upload },
        h('h3', t('sys.upd.install')),
        h('p.muted.upd-help', t('sys.upd.help')),
        h(
          'div.field-row',
          h('label.field', h('span', t('sys.upd.binary')), h('input', { type: 'file', name: 'binary' })),
          h('label.field', h('span', t('sys.upd.signature')), h('input', { type: 'file', name: 'signature', accept: '.minisig' })),
        ),
        h(
          'div.field.upd-when',
          h('span#upd-when-label', t('sys.upd.whenLabel')),
          h('div.seg', { role: 'group', 'aria-labelledby': 'upd-when-label' }, whenBtn('idle'), whenBtn('now')),
          h('small#upd-when-hint.muted'),
        ),
        h(
          'div.upd-actions',
          h('button#upd-upload.primary', { type: 'submit' }, icon('upload'), h('span.upd-upload-label', t('sys.upd.upload'))),
          h('span#upd-progress.muted', { role: 'status' }),
        ),
        h('p#upd-error.form-error', { role: 'alert' }),
        h('p#upd-detail.mono.muted.upd-detail', { hidden: true }),
      ),
    );
  }

  return {
    busy,
    // The section for a page being drawn.
    mount() {
      el = build();
      drawUpload();
      if (st) draw();
      return el;
    },
    // Shown to the box owner only (others are refused the API); its status asked again unless
    // the 2 s poll does it already.
    async load(boxOwner) {
      if (!el) return;
      el.hidden = !boxOwner;
      if (boxOwner && !timer) await refresh();
    },
    unmount() {
      el = null;
      clearTimeout(timer);
      timer = null;
    },
  };
}

export function systemView({ api, can }) {
  let root = null;
  let timer = null;
  const updates = updatesSection({ api, onSettled: () => load() });

  async function load() {
    if (!root) return;
    try {
      // Backups are the owner's (the box's data of every store); a manager sees the rest.
      const [sys, backups] = await Promise.all([api.get('/api/v1/admin/system'), can('owner') ? api.get('/api/v1/admin/backups') : null]);
      if (!root) return;
      render(sys, backups);
      if (can('owner')) updates.load(!!sys.box_owner);
    } catch (e) {
      // While the box switches releases a request may find it between the two: said by the
      // update's status, not here.
      if (root && !(updates.busy() && e.retryable)) $('#sys-error', root).textContent = errorText(e);
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
        can('owner') ? updates.mount() : null,
        h('section.panel.sys-section', h('h2', t('sys.limits')), h('dl#sys-limits.limits')),
      );
      load();
      timer = setInterval(load, 10000);
    },
    unmount() {
      root = null;
      clearInterval(timer);
      updates.unmount();
    },
  };
}
