// Dashboard: the Reports page (매출 보고서), for managers and owners — the business days of a date
// range, day by day with their net sales, and a day's report (마감 정산): orders, tables,
// guests, gross to net, the average per guest, payments by method, the cash drawer (expected
// against counted), unpaid checks, cancellations, sales by hour and the top items as charts
// drawn in the page (ui.js drawChart, as on the HQ page), categories; its CSV and a print on the receipt
// printer. Times on the store's clock. A closed day's report never changes; the open day's
// follows the payments.
import { h, $, won, hm, dateTime, dayLabel, ymd, addDays, icon, toast, errorText, drawChart } from './ui.js';
import { t } from './i18n.js';
import { METHOD_ICON } from './check-pay.js';

const TOP_ITEMS = 10;
const RANGE_DAYS = 30;

// The tabs of the 마감 page: the day (day.js) and the reports.
export function dayTabs(active) {
  const tab = (view, label) => h('a', { href: '#' + view, class: active === view ? 'active' : '', 'aria-current': active === view ? 'page' : null }, label);
  return h('nav.subnav', { 'aria-label': t('nav.day') }, tab('day', t('day.tab')), tab('reports', t('rep.tab')));
}

// The day to show when the Reports page opens next (the day just closed, the day on screen).
let pending = null;
export const showReport = (id) => {
  pending = id;
};

// A day's report on the receipt printer. A box without one says so (409).
export async function printReport(api, id, { quiet = false } = {}) {
  try {
    await api.post(`/api/v1/admin/days/${id}/print`, {});
    toast(t('rep.printing'), 'ok');
    return true;
  } catch (e) {
    toast(e.status === 409 ? t('rep.noPrinter') : errorText(e), quiet ? 'warn' : 'error', 7000);
    return false;
  }
}

const signed = (n) => (n > 0 ? '+' : '') + won(n);

export function reportsView({ api }) {
  let root = null;
  let form = null;
  let days = [];
  const reports = new Map(); // day id → report (a closed day's never changes)
  let selected = null;
  let listError = null;
  let reportError = null;
  let seq = 0;
  let timer = null;
  let observer = null;
  let chartWidth = 0;

  const dayOf = (id) => days.find((d) => d.id === id);

  async function load() {
    const mine = ++seq;
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
    listError = null;
    try {
      days = await api.get(`/api/v1/admin/days?${q}`);
    } catch (e) {
      if (mine !== seq) return;
      days = [];
      listError = e;
    }
    if (mine !== seq) return;
    if (pending != null) selected = pending;
    pending = null;
    if (selected == null || (!dayOf(selected) && !reports.has(selected))) selected = days[0]?.id ?? selected;
    renderList();
    if (selected != null) select(selected, { keep: true });
    else renderReport();
    // Every listed day's figures, a few at a time (a closed day's once).
    const todo = days.filter((d) => !reports.has(d.id) || !d.closed_at).map((d) => d.id);
    const next = async () => {
      for (let id = todo.shift(); id != null; id = todo.shift()) {
        if (mine !== seq) return;
        await fetchReport(id).catch(() => {});
        if (mine === seq) renderList();
      }
    };
    await Promise.all([next(), next(), next()]);
  }

  async function fetchReport(id) {
    const r = await api.get(`/api/v1/admin/days/${id}/report`);
    reports.set(id, r);
    return r;
  }

  async function select(id, { keep = false } = {}) {
    selected = id;
    renderList();
    const known = reports.get(id);
    if (known && known.closed_at) return renderReport(known);
    if (!keep || !known) renderReport(known || null, true);
    try {
      const r = await fetchReport(id);
      reportError = null;
      if (selected === id) renderReport(r);
    } catch (e) {
      reportError = e;
      if (selected === id) renderReport(null);
    }
    renderList();
  }

  // ---------- the days ----------

  function renderList() {
    if (!root) return;
    const box = $('#rep-days', root);
    if (listError) return box.replaceChildren(h('p.form-error', { role: 'alert' }, errorText(listError)));
    if (!days.length) return box.replaceChildren(h('p.empty', t('rep.noDays')));
    box.replaceChildren(
      h('h3.sr-only', t('rep.days')),
      h(
        'ul.rep-day-list',
        ...days.map((d) => {
          const r = reports.get(d.id);
          return h(
            'li',
            h(
              'button.rep-day',
              { type: 'button', 'aria-pressed': String(d.id === selected), dataset: { dayId: d.id, date: d.business_date }, onclick: () => select(d.id) },
              h('span.rep-day-date', dayLabel(d.business_date)),
              h('span.rep-day-time.muted', `${hm(d.opened_at)}–${d.closed_at ? hm(d.closed_at) : ''}`, d.closed_at ? null : h('span.day-chip.open', t('day.openNow'))),
              h('strong.rep-day-net.num', r ? won(r.net) : '…'),
              h('small.rep-day-orders.muted', r ? t('rep.ordersN', { n: r.orders }) : ''),
            ),
          );
        }),
      ),
    );
  }

  // ---------- a day's report ----------

  function renderReport(r, loading = false) {
    if (!root) return;
    const box = $('#rep-view', root);
    if (!r) {
      box.replaceChildren(
        reportError ? h('p.form-error', { role: 'alert' }, errorText(reportError)) : h('p.empty', loading ? t('common.loading') : days.length ? t('rep.pick') : ''),
      );
      return;
    }
    const closed = !!r.closed_at;
    const kpi = (key, value, cls = '') => h('div.rep-kpi', { class: cls, dataset: { kpi: key } }, h('span', t('rep.f.' + key)), h('strong.num', value));
    // A deduction of nothing reads plainly (0원), not as a red minus.
    const row = (key, v, cls = '') => h('div', { class: cls, dataset: { row: key } }, h('dt', t('rep.f.' + key)), h('dd.num', won(v)));
    const minus = (key, v) => row(key, -v, v ? 'minus' : 'zero');
    const cashRow = (key, v, cls = '') => h('div', { class: cls, dataset: { row: key } }, h('dt', t('rep.cash.' + key)), h('dd.num', v));
    const paySum = r.payments.reduce((s, p) => s + p.amount, 0);
    const diff = r.cash.difference;
    box.replaceChildren(
      h(
        'article.rep',
        { dataset: { dayId: r.id, closed: String(closed) } },
        h(
          'header.rep-head',
          h(
            'div.rep-title',
            h('h3', dayLabel(r.business_date, { year: true }), ' ', closed ? h('span.day-chip', t('rep.closed')) : h('span.day-chip.open', t('day.openNow'))),
            h(
              'p.muted',
              t('rep.opened', { time: dateTime(r.opened_at), who: r.opened_by || t('day.byItself') }),
              ' · ',
              closed ? t('rep.closedAt', { time: dateTime(r.closed_at), who: r.closed_by || t('day.byItself') }) : t('rep.stillOpen'),
            ),
          ),
          h('span.spacer'),
          h('div.rep-actions', h('button', { type: 'button', 'data-action': 'csv', onclick: (e) => csv(r, e.currentTarget) }, icon('download'), t('rep.csv')), h('button', { type: 'button', 'data-action': 'print-report', onclick: () => printReport(api, r.id) }, icon('print'), t('rep.print'))),
        ),
        h(
          'div.rep-kpis',
          kpi('net', won(r.net), 'main'),
          kpi('gross', won(r.gross)),
          kpi('orders', t('rep.n', { n: r.orders })),
          kpi('sessions', t('rep.teams', { n: r.sessions })),
          kpi('guests', t('rep.people', { n: r.guests })),
          kpi('average', r.guests ? won(r.average_per_guest) : '–'),
        ),
        h(
          'div.rep-grid',
          h(
            'section.panel.rep-box',
            { 'aria-labelledby': 'rep-sales-h' },
            h('h4#rep-sales-h', t('rep.sales')),
            h(
              'dl.rep-dl',
              row('gross', r.gross),
              minus('discounts', r.discounts),
              minus('comps', r.comps),
              minus('voids', r.voids),
              minus('refunds', r.refunds),
              row('net', r.net, 'sum'),
            ),
          ),
          h(
            'section.panel.rep-box',
            { 'aria-labelledby': 'rep-pay-h' },
            h('h4#rep-pay-h', t('rep.payments')),
            r.payments.length
              ? h(
                  'table.ttable.rep-table',
                  h('thead', h('tr', h('th', { scope: 'col' }, t('rep.method')), h('th.num', { scope: 'col' }, t('rep.count')), h('th.num', { scope: 'col' }, t('rep.amount')))),
                  h(
                    'tbody',
                    ...r.payments.map((p) =>
                      h('tr', { dataset: { method: p.method } }, h('th', { scope: 'row' }, icon(METHOD_ICON[p.method] || 'coins'), ' ', t('pay.m.' + p.method)), h('td.num', t('rep.n', { n: p.count })), h('td.num', won(p.amount))),
                    ),
                  ),
                  h('tfoot', h('tr', h('th', { scope: 'row' }, t('rep.sum')), h('td.num', t('rep.n', { n: r.payments.reduce((s, p) => s + p.count, 0) })), h('td.num', won(paySum)))),
                )
              : h('p.muted', t('rep.noPayments')),
          ),
          h(
            'section.panel.rep-box',
            { 'aria-labelledby': 'rep-cash-h' },
            h('h4#rep-cash-h', t('rep.cash')),
            h(
              'dl.rep-dl',
              cashRow('opening', won(r.cash.opening)),
              cashRow('sales', won(r.cash.sales)),
              cashRow('refunds', won(-r.cash.refunds), r.cash.refunds ? 'minus' : 'zero'),
              cashRow('expected', won(r.cash.expected), 'sum'),
              cashRow('counted', r.cash.counted == null ? t('rep.notCounted') : won(r.cash.counted)),
              diff == null ? null : cashRow('difference', signed(diff), 'diff ' + (diff === 0 ? 'even' : diff > 0 ? 'over' : 'short')),
            ),
          ),
          h(
            'section.panel.rep-box',
            { 'aria-labelledby': 'rep-unpaid-h' },
            h('h4#rep-unpaid-h', t('rep.unpaid')),
            r.unpaid.length
              ? h('ul.rep-unpaid', ...r.unpaid.map((u) => h('li', { dataset: { sessionId: u.session_id } }, h('span', t('dash.tableN', { n: u.table_number })), h('strong.num', won(u.balance)))))
              : h('p.muted', t('rep.noUnpaid')),
            h('p.rep-cancelled', { dataset: { cancelled: r.cancelled.orders } }, t('rep.cancelled', { n: r.cancelled.orders, amount: won(r.cancelled.amount) })),
          ),
        ),
        h('section.panel.rep-box.rep-chart-box', { 'aria-labelledby': 'rep-hours-h' }, h('h4#rep-hours-h', icon('chart'), t('rep.byHour')), h('figure#rep-hours.chart')),
        h('section.panel.rep-box.rep-chart-box', { 'aria-labelledby': 'rep-items-h' }, h('h4#rep-items-h', icon('chart'), t('rep.topItems', { n: TOP_ITEMS })), h('figure#rep-items.chart')),
        r.by_category.length
          ? h(
              'section.panel.rep-box',
              { 'aria-labelledby': 'rep-cat-h' },
              h('h4#rep-cat-h', t('rep.byCategory')),
              h(
                'table.ttable.rep-table',
                h('thead', h('tr', h('th', { scope: 'col' }, t('rep.category')), h('th.num', { scope: 'col' }, t('rep.quantity')), h('th.num', { scope: 'col' }, t('rep.f.net')))),
                h('tbody', ...r.by_category.map((c) => h('tr', h('th', { scope: 'row' }, c.category), h('td.num', c.quantity), h('td.num', won(c.net))))),
              ),
            )
          : null,
      ),
    );
    drawCharts(r);
  }

  // Hours in the order the day ran (an evening past midnight: 17 … 23, 0, 1), the gaps as 0.
  function hourRows(r) {
    if (!r.by_hour.length) return [];
    const start = Number(hm(r.opened_at).slice(0, 2)) || 0;
    const pos = (hr) => (hr - start + 24) % 24;
    const by = new Map(r.by_hour.map((x) => [x.hour, x]));
    const sorted = [...r.by_hour].sort((a, b) => pos(a.hour) - pos(b.hour));
    const out = [];
    for (let p = pos(sorted[0].hour); p <= pos(sorted[sorted.length - 1].hour); p++) {
      const hr = (start + p) % 24;
      const x = by.get(hr) || { hour: hr, orders: 0, net: 0 };
      out.push({ label: t('rep.hour', { h: hr }), value: Math.max(0, x.net), title: t('rep.hourTitle', { h: hr, n: x.orders }) });
    }
    return out;
  }

  function drawCharts(r) {
    const hours = $('#rep-hours', root);
    const items = $('#rep-items', root);
    if (!hours || !items) return;
    const width = Math.floor(hours.clientWidth) || chartWidth || 600;
    chartWidth = width;
    const place = (fig, rows, kind, label) => {
      if (!rows.length) return fig.replaceChildren(h('p.muted', t('rep.noSales')));
      const svg = drawChart({ rows, kind, width, format: won });
      svg.setAttribute('role', 'img');
      svg.setAttribute('aria-label', label);
      fig.replaceChildren(svg);
    };
    const hr = hourRows(r);
    place(hours, hr, 'columns', t('rep.byHourChart', { summary: hr.filter((x) => x.value).map((x) => `${x.label} ${won(x.value)}`).join(', ') }));
    const top = [...r.by_item].sort((a, b) => b.net - a.net).slice(0, TOP_ITEMS);
    place(
      items,
      top.map((i) => ({ label: i.name, value: Math.max(0, i.net), title: t('rep.itemTitle', { name: i.name, n: i.quantity }) })),
      'bars',
      t('rep.topItemsChart', { summary: top.slice(0, 5).map((i) => `${i.name} ${won(i.net)}`).join(', ') }),
    );
  }

  // The CSV (with a BOM, so that Excel reads the Korean): the box wants its token in a header,
  // so the file comes through the API and is saved from here.
  async function csv(r, btn) {
    btn.disabled = true;
    try {
      const blob = await api.get(`/api/v1/admin/days/${r.id}/report?format=csv`, { blob: true, timeout: 60000 });
      const head = new Uint8Array(await blob.slice(0, 3).arrayBuffer());
      const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
      const file = bom ? blob : new Blob(['\ufeff', blob], { type: 'text/csv;charset=utf-8' });
      const url = URL.createObjectURL(file);
      const a = h('a', { href: url, download: `day_${r.business_date}${days.filter((d) => d.business_date === r.business_date).length > 1 ? `_${r.id}` : ''}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      btn.disabled = false;
    }
  }

  return {
    mount(el) {
      root = el;
      const today = ymd();
      form = h(
        'form.toolbar.rep-filters',
        { onsubmit: (e) => (e.preventDefault(), load()) },
        h('label.field.inline', h('span', t('history.from')), h('input', { type: 'date', name: 'from', value: addDays(today, -RANGE_DAYS) })),
        h('label.field.inline', h('span', t('history.to')), h('input', { type: 'date', name: 'to', value: today })),
        h('button.primary', { type: 'submit' }, t('history.search')),
      );
      el.replaceChildren(
        dayTabs('reports'),
        h('div.st-intro.day-intro', h('h2', t('rep.title')), h('p.muted', t('rep.help'))),
        form,
        h('div.rep-layout', h('aside#rep-days.panel.rep-days', { 'aria-label': t('rep.days') }, h('p.empty', t('common.loading'))), h('section#rep-view.rep-view', { 'aria-live': 'polite' })),
      );
      observer = new ResizeObserver(() => {
        const fig = $('#rep-hours', root || document);
        const w = fig ? Math.floor(fig.clientWidth) : 0;
        if (w && w !== chartWidth && reports.get(selected)) drawCharts(reports.get(selected));
      });
      observer.observe($('#rep-view', el));
      load();
    },
    unmount() {
      root = null;
      clearTimeout(timer);
      if (observer) observer.disconnect();
      observer = null;
    },
    onEvent(type) {
      if (type === 'day_closed' || type === 'resync') {
        clearTimeout(timer);
        timer = setTimeout(load, 200);
      } else if (type === 'check_changed') {
        // The open day's figures move with its payments.
        const d = dayOf(selected);
        if (d && !d.closed_at) {
          clearTimeout(timer);
          timer = setTimeout(() => select(selected, { keep: true }), 400);
        }
      }
    },
  };
}
