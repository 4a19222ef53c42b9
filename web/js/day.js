// Dashboard: the business day (영업 · 마감), for managers and owners. No day open: 영업 시작
// with the cash in the drawer (counted by notes and coins; skipping it is fine: the first
// order opens the day by itself). A day open: since when and by whom, the figures so far (net
// sales, payments by method, the cash the drawer should hold), and 마감: count the drawer, see
// the difference, close. Tables still open are named (409 open_sessions); a manager may close
// anyway with a reason (those visits carry into the next day). The closed day's report opens
// on the Reports page (reports.js), and is printed on the receipt printer when asked.
import { h, $, won, dateTime, dayLabel, icon, toast, errorText, confirmDialog, showFieldErrors, clearFieldErrors } from './ui.js';
import { t } from './i18n.js';
import { fieldError } from './forms.js';
import { reasonField, REASON_MAX } from './check-dialogs.js';
import { cashCounter } from './cash-count.js';
import { METHOD_ICON } from './check-pay.js';
import { dayTabs, showReport, printReport } from './reports.js';

export function dayView({ api, state, openCheck }) {
  let root = null;
  let day = null; // the open day, or null
  let report = null; // its figures so far
  let error = null;
  let loaded = false;
  let blocked = null; // table numbers still open when the close was refused
  let closeCounter = null;
  let openCounter = null;
  let printAfter = true;
  let busy = false;
  let forceReason = '';
  let timer = null;

  async function load() {
    error = null;
    try {
      day = await api.get('/api/v1/admin/days/current');
    } catch (e) {
      day = null;
      if (e.status !== 404) error = e;
    }
    report = null;
    if (day) {
      try {
        report = await api.get(`/api/v1/admin/days/${day.id}/report`);
      } catch (e) {
        error = e;
      }
    }
    loaded = true;
    if (!day) blocked = null;
    render();
  }

  // Drawing again keeps the drawer counts (the counter is the same element) and the field
  // being typed in.
  function render() {
    if (!root) return;
    const body = $('#day-body', root);
    if (!loaded) return body.replaceChildren(h('p.empty', t('common.loading')));
    const a = document.activeElement;
    body.replaceChildren(error ? h('p.form-error', { role: 'alert' }, errorText(error)) : '', day ? openDay() : noDay());
    if (day) updateCloseSums();
    if (a && a.isConnected && root.contains(a) && document.activeElement !== a) a.focus({ preventScroll: true });
  }

  // ---------- no day open: 영업 시작 ----------

  function noDay() {
    openCounter ??= cashCounter({ prefix: 'open' });
    return h(
      'div.day-grid',
      h(
        'section.panel.day-card.day-none',
        h('div.day-state', icon('store', 'day-icon'), h('div', h('h3', t('day.none')), h('p.muted', t('day.noneHelp')))),
      ),
      h(
        'form.panel.day-card.day-open-form',
        { novalidate: true, onsubmit: openIt },
        h('h3', icon('coins'), t('day.openingCash')),
        h('p.muted', t('day.openingHelp')),
        openCounter.el,
        h('p.form-error', { role: 'alert' }),
        h('div.actions', h('button.primary.big', { type: 'submit', 'data-action': 'open-day', disabled: busy }, icon('store'), t('day.open'))),
      ),
    );
  }

  async function openIt(e) {
    e.preventDefault();
    const form = e.currentTarget;
    busy = true;
    try {
      const d = await api.post('/api/v1/admin/days/open', { opening_cash: openCounter.total() });
      toast(t('day.opened', { date: dayLabel(d.business_date), cash: won(d.opening_cash) }), 'ok');
      openCounter = null;
      await load();
    } catch (err) {
      busy = false;
      $('.form-error', form).textContent = errorText(err, { conflict: t('day.alreadyOpen') });
      load();
    } finally {
      busy = false;
    }
  }

  // ---------- a day open: its figures and 마감 ----------

  function openDay() {
    closeCounter ??= cashCounter({ prefix: 'close', onChange: updateCloseSums });
    const r = report;
    const fig = (key, value, cls = '') => h('div.day-fig', { class: cls, dataset: { fig: key } }, h('span', t('rep.f.' + key)), h('strong.num', value));
    return h(
      'div.day-grid',
      h(
        'section.panel.day-card.day-now',
        { dataset: { dayId: day.id } },
        h(
          'div.day-state',
          icon('store', 'day-icon open'),
          h(
            'div',
            h('h3', h('span.day-chip.open', t('day.openNow')), ' ', dayLabel(day.business_date)),
            h('p.muted', t('day.since', { time: dateTime(day.opened_at), who: day.opened_by || t('day.byItself') })),
            h('p.muted', t('day.openingWas', { cash: won(day.opening_cash) })),
          ),
        ),
        r
          ? h(
              'div.day-figs',
              fig('net', won(r.net), 'main'),
              fig('orders', t('rep.n', { n: r.orders })),
              fig('sessions', t('rep.teams', { n: r.sessions })),
              fig('expected', won(r.cash.expected)),
            )
          : null,
        r && r.payments.length
          ? h(
              'ul.day-methods',
              ...r.payments.map((p) => h('li', { dataset: { method: p.method } }, icon(METHOD_ICON[p.method] || 'coins'), h('span', t('pay.m.' + p.method)), h('span.muted', t('rep.n', { n: p.count })), h('strong.num', won(p.amount)))),
            )
          : null,
        h('p.day-note.muted', t('day.soFar')),
        h('a.button', { href: '#reports', onclick: () => showReport(day.id) }, icon('chart'), t('day.seeReport')),
      ),
      h(
        'form.panel.day-card.day-close-form',
        { novalidate: true, onsubmit: (e) => (e.preventDefault(), closeIt(false)) },
        h('h3', icon('lock'), t('day.closeTitle')),
        h('p.muted', t('day.closeHelp')),
        closeCounter.el,
        h(
          'dl.day-sums',
          h('div', h('dt', t('rep.cash.expected')), h('dd#day-expected.num', won(r ? r.cash.expected : 0))),
          h('div', h('dt', t('rep.cash.counted')), h('dd#day-counted.num', '–')),
          h('div.day-diff', h('dt', t('rep.cash.difference')), h('dd#day-diff.num', '–')),
        ),
        h('label.field.inline.check-row', h('input', { type: 'checkbox', name: 'print', checked: printAfter, onchange: (e) => (printAfter = e.target.checked) }), h('span', t('day.printAfter'))),
        blocked ? blockedBox() : null,
        h('p.form-error', { role: 'alert' }),
        h('div.actions', h('button.primary.big', { type: 'submit', 'data-action': 'close-day', disabled: busy }, icon('lock'), t('day.close'))),
      ),
    );
  }

  function updateCloseSums() {
    if (!root || !closeCounter || !report) return;
    const counted = $('#day-counted', root);
    const diff = $('#day-diff', root);
    if (!counted || !diff) return;
    if (!closeCounter.touched()) {
      counted.textContent = '–';
      diff.textContent = '–';
      diff.parentElement.dataset.sign = '';
      return;
    }
    const d = closeCounter.total() - report.cash.expected;
    counted.textContent = won(closeCounter.total());
    diff.textContent = (d > 0 ? '+' : '') + won(d);
    diff.parentElement.dataset.sign = d === 0 ? 'even' : d > 0 ? 'over' : 'short';
  }

  // The tables still open: each opens its check; or close anyway, with a reason.
  function blockedBox() {
    return h(
      'div.day-blocked',
      { role: 'alert' },
      h('p.day-blocked-head', icon('alert'), h('strong', t('day.openTables', { n: blocked.length }))),
      h(
        'div.day-tables',
        ...blocked.map((n) => {
          const tb = state.tables.find((x) => x.number === n);
          return h('button.small', { type: 'button', 'data-action': 'open-table-check', dataset: { tableNumber: n }, disabled: !tb || !tb.session, onclick: () => tb && openCheck(tb.id) }, icon('receipt'), t('dash.tableN', { n }));
        }),
      ),
      h('p.muted', t('day.openTablesHelp')),
      h('div.day-force', { oninput: (e) => e.target.name === 'reason' && (forceReason = e.target.value) }, reasonField('forceClose', forceReason), h('button.danger', { type: 'button', 'data-action': 'force-close', onclick: () => closeIt(true) }, t('day.forceClose'))),
    );
  }

  async function closeIt(force) {
    const form = $('form.day-close-form', root);
    clearFieldErrors(form);
    const counted = closeCounter.touched() ? closeCounter.total() : null;
    const body = {};
    if (counted != null) body.counted_cash = counted;
    if (force) {
      const reason = form.elements.reason.value.trim();
      if (!reason || reason.length > REASON_MAX) return showFieldErrors(form, fieldError({ reason: reason ? t('reason.maxChars', { n: REASON_MAX }) : t('v.required') }));
      body.force = true;
      body.reason = reason;
    } else {
      const expected = report ? report.cash.expected : 0;
      const detail =
        counted == null
          ? t('day.closeNoCount', { expected: won(expected) })
          : t('day.closeDetail', { counted: won(counted), expected: won(expected), diff: (counted - expected > 0 ? '+' : '') + won(counted - expected) });
      if (!(await confirmDialog(t('day.closeConfirm', { date: dayLabel(day.business_date) }), { ok: t('day.close'), detail }))) return;
    }
    busy = true;
    try {
      const r = await api.post('/api/v1/admin/days/close', body);
      toast(t('day.closed', { date: dayLabel(r.business_date), net: won(r.net) }), 'ok', 6000);
      blocked = null;
      closeCounter = null;
      if (printAfter) await printReport(api, r.id, { quiet: true });
      showReport(r.id);
      location.hash = '#reports';
    } catch (e) {
      busy = false;
      if (e.code === 'open_sessions') {
        blocked = e.tables || [];
        render();
        $('.day-blocked', root)?.scrollIntoView({ block: 'nearest' });
      } else showFieldErrors(form, e);
    } finally {
      busy = false;
    }
  }

  return {
    mount(el) {
      root = el;
      loaded = false;
      // The counts so far, with the words of the language now on screen.
      if (openCounter) openCounter = cashCounter({ prefix: 'open', from: openCounter.snapshot() });
      if (closeCounter) closeCounter = cashCounter({ prefix: 'close', onChange: updateCloseSums, from: closeCounter.snapshot() });
      el.replaceChildren(
        dayTabs('day'),
        h('div.st-intro.day-intro', h('h2', t('day.title')), h('p.muted', t('day.help'))),
        h('div#day-body', h('p.empty', t('common.loading'))),
      );
      load();
    },
    unmount() {
      root = null;
      clearTimeout(timer);
    },
    onEvent(type) {
      // A payment or a close elsewhere moves the figures.
      if (type === 'check_changed' || type === 'day_closed' || type === 'resync') {
        if (type === 'day_closed') blocked = null;
        clearTimeout(timer);
        timer = setTimeout(load, 300);
      }
    },
    render() {
      // The table list changed (a visit ended): the refused close's buttons follow.
      if (blocked && root) {
        const box = $('.day-blocked .day-tables', root);
        if (box) for (const b of box.children) b.disabled = !state.tables.find((x) => x.number === Number(b.dataset.tableNumber))?.session;
      }
    },
  };
}
