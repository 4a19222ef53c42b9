// Dashboard: kitchen stations (주방, 바) and their network printers — add, rename, reorder,
// delete; connect or disconnect a printer, print a test page, which printer is the receipt
// printer (bills, receipts and day reports: one station, else the first with a printer), and
// each printer's live state (kept by printers.js from the event stream).
import { h, $, hm, ymd, dateTime, icon, toast, errorText, confirmDialog, clearFieldErrors } from './ui.js';
import { t } from './i18n.js';
import { formDialog, fieldError, changeThen, addByName, bySort } from './forms.js';
import { menuTabs } from './menu-admin.js';
import { moveButtons, sortOrder } from './sortable.js';

const HOST = /^[A-Za-z0-9.:\[\]-]{1,253}$/;
const COLUMNS = [42, 32];

// "14:05" today, "2030-06-14 14:05" on another day.
const when = (iso) => (iso ? (ymd(iso) === ymd() ? hm(iso) : dateTime(iso)) : '');

export function stationsView({ api, printers }) {
  let root = null;
  let cats = [];
  let items = [];
  const tests = new Map(); // station id → {printed, state, at}: the last test print
  const testing = new Set(); // station ids with a test print under way
  let timer = null;

  async function load() {
    try {
      const [c, i] = await Promise.all([api.get('/api/v1/admin/categories'), api.get('/api/v1/admin/menu-items'), printers.load()]);
      cats = c.sort(bySort);
      items = i.sort(bySort);
    } catch (e) {
      toast(errorText(e), 'error');
    }
    render();
  }

  // `overrides`: what an error code means here (errorText), e.g. a conflict on delete.
  const run = changeThen(load);

  // The categories and the items (with a station of their own) that come to each station.
  function routes(list) {
    const first = list[0]?.id;
    const catStation = new Map(cats.map((c) => [c.id, c.station_id ?? first]));
    return (id) => ({
      cats: cats.filter((c) => catStation.get(c.id) === id).map((c) => c.name),
      items: items.filter((i) => i.station_id === id && catStation.get(i.category_id) !== id).map((i) => i.name),
    });
  }

  function render() {
    if (!root) return;
    const list = printers.stations();
    const route = routes(list);
    $('#st-list', root).replaceChildren(
      ...(list.length ? list.map((s, i) => card(s, i, list, route(s.id))) : [h('p.empty', t('st.none'))]),
    );
  }

  function card(s, i, list, r) {
    const first = i === 0;
    return h(
      'article.stcard.panel',
      { dataset: { stationId: s.id, name: s.name } },
      h(
        'header.stcard-head',
        h(
          'div.stcard-title',
          h('h3', s.name),
          first ? h('span.rule.required', { title: t('st.defaultHint') }, t('st.default')) : null,
        ),
        ...moveButtons(list, i, (order) => run(() => api.put('/api/v1/admin/stations/order', sortOrder(order)))),
        h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('st.rename'), title: t('st.rename'), 'data-action': 'rename', onclick: () => rename(s) }, icon('edit')),
        h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('common.delete'), title: t('common.delete'), 'data-action': 'delete', onclick: () => remove(s) }, icon('trash')),
      ),
      h(
        'p.st-routes.muted',
        r.cats.length ? h('span', t('st.routes', { names: r.cats.join(', ') })) : null,
        r.items.length ? h('span', t('st.routeItems', { names: r.items.join(', ') })) : null,
        !r.cats.length && !r.items.length ? h('span', first ? t('st.defaultHint') : t('st.noRoutes')) : null,
      ),
      s.printer ? printerBox(s) : noPrinter(s),
    );
  }

  function noPrinter(s) {
    return h(
      'div.st-printer.none',
      h('span.st-pinfo.muted', icon('print'), t('st.noPrinter')),
      h('span.spacer'),
      h('button.small', { type: 'button', 'data-action': 'edit-printer', onclick: () => editPrinter(s) }, icon('plus'), t('st.setPrinter')),
    );
  }

  // Bills, receipts and day reports print at the station marked receipt, else at the first
  // station with a printer.
  function receiptRow(s) {
    const list = printers.stations();
    const chosen = list.some((x) => x.receipt);
    const byDefault = !chosen && list.find((x) => x.printer)?.id === s.id;
    return h(
      'div.st-receipt',
      h(
        'button.switch.receipt-switch',
        { type: 'button', role: 'switch', 'aria-checked': String(!!s.receipt), 'data-action': 'toggle-receipt', onclick: () => setReceipt(s, !s.receipt) },
        h('span.knob'),
        h('span', t('st.receipt')),
      ),
      h('small.muted', s.receipt ? t('st.receiptOn') : byDefault ? t('st.receiptDefault') : t('st.receiptOff')),
    );
  }

  async function setReceipt(s, on) {
    await run(() => api.patch(`/api/v1/admin/stations/${s.id}`, { receipt: on }));
    toast(on ? t('st.receiptSet', { name: s.name }) : t('common.saved'), 'ok');
  }

  function printerBox(s) {
    const p = s.printer;
    const st = printers.status(s.id);
    const state = st ? st.state : 'unknown';
    const test = tests.get(s.id);
    const busy = testing.has(s.id);
    return h(
      'div.st-printer',
      h(
        'div.st-pinfo',
        icon('print'),
        h('strong.mono', `${p.host}:${p.port}`),
        h('span.muted', `${p.encoding.toUpperCase()} · ${columnsLabel(p.columns)}`),
      ),
      h(
        'div.st-status',
        { dataset: { state } },
        h('span.pstate', { class: 'ps-' + state }, h('span.dot'), t('printer.' + state)),
        st && st.waiting ? h('span.st-waiting', t('st.waiting', { n: st.waiting })) : null,
        h('span.muted', st && st.last_printed_at ? t('st.lastPrinted', { time: when(st.last_printed_at) }) : t('st.neverPrinted')),
      ),
      receiptRow(s),
      test
        ? h(
            'p.test-result',
            { class: test.printed ? 'ok' : 'bad', dataset: { printed: String(test.printed), state: test.state } },
            icon(test.printed ? 'check' : 'alert'),
            test.printed ? t('st.test.printed', { time: hm(test.at) }) : t('st.test.failed', { state: t('printer.' + test.state), time: hm(test.at) }),
          )
        : null,
      h(
        'div.st-actions',
        h('button.small.primary', { type: 'button', 'data-action': 'test-print', disabled: busy, onclick: () => testPrint(s) }, icon('print'), busy ? t('st.testing') : t('st.testPrint')),
        h('button.small', { type: 'button', 'data-action': 'edit-printer', onclick: () => editPrinter(s) }, icon('edit'), t('st.editPrinter')),
        h('span.spacer'),
        h('button.small.ghost', { type: 'button', 'data-action': 'remove-printer', onclick: () => removePrinter(s) }, icon('x'), t('st.removePrinter')),
      ),
    );
  }

  const columnsLabel = (n) => (COLUMNS.includes(n) ? t(`st.cols.${n}`) : t('st.cols.n', { n }));

  // A taken name is a 409: shown beside the name field.
  const nameConflict = (e) => (e.status === 409 && e.code === 'conflict' ? fieldError({ name: t('st.duplicate') }) : e);

  const addStation = addByName(
    (name) =>
      api.post('/api/v1/admin/stations', { name }).catch((e) => {
        throw nameConflict(e);
      }),
    load,
  );

  async function rename(s) {
    const r = await formDialog({
      title: t('st.rename'),
      fields: [{ name: 'name', label: t('st.name'), value: s.name, required: true, maxlength: 30 }],
      submit: async (v) => {
        if (!v.name) throw fieldError({ name: t('v.required') });
        try {
          return await api.patch(`/api/v1/admin/stations/${s.id}`, { name: v.name });
        } catch (e) {
          throw nameConflict(e);
        }
      },
    });
    if (r) load();
  }

  async function remove(s) {
    if (await confirmDialog(t('st.deleteConfirm', { name: s.name }), { ok: t('common.delete'), danger: true, detail: t('st.deleteDetail') }))
      run(() => api.del(`/api/v1/admin/stations/${s.id}`));
  }

  async function editPrinter(s) {
    const p = s.printer || { host: '', port: 9100, encoding: 'cp949', columns: 42 };
    const columns = COLUMNS.includes(p.columns) ? COLUMNS : [...COLUMNS, p.columns];
    const r = await formDialog({
      title: t('st.printerTitle', { name: s.name }),
      fields: [
        { type: 'custom', name: '_help', el: h('p.muted', t('st.printerHelp')), read: () => null },
        { name: 'printer.host', label: t('st.host'), value: p.host, required: true, maxlength: 253, hint: t('st.hostHint') },
        {
          type: 'row',
          fields: [
            { name: 'printer.port', label: t('st.port'), type: 'number', min: 1, max: 65535, step: 1, value: p.port },
            { name: 'printer.columns', label: t('st.columns'), type: 'select', value: p.columns, options: columns.map((n) => [n, columnsLabel(n)]) },
          ],
        },
        { name: 'printer.encoding', label: t('st.encoding'), type: 'select', value: p.encoding, options: ['cp949', 'utf-8'].map((x) => [x, t(`st.enc.${x}`)]) },
      ],
      submit: (v) => {
        const errs = {};
        const host = v['printer.host'];
        if (!host) errs['printer.host'] = t('v.required');
        else if (!HOST.test(host)) errs['printer.host'] = t('st.vHost');
        const port = v['printer.port'] === '' ? 9100 : Number(v['printer.port']);
        if (!Number.isInteger(port) || port < 1 || port > 65535) errs['printer.port'] = t('st.vPort');
        if (Object.keys(errs).length) throw fieldError(errs);
        const printer = { host, port, encoding: v['printer.encoding'], columns: Number(v['printer.columns']) };
        return api.patch(`/api/v1/admin/stations/${s.id}`, { printer });
      },
    });
    if (r) {
      tests.delete(s.id);
      toast(t('common.saved'), 'ok');
      load();
    }
  }

  async function removePrinter(s) {
    if (!(await confirmDialog(t('st.removePrinterConfirm', { name: s.name }), { ok: t('st.removePrinter'), danger: true, detail: t('st.removePrinterDetail') }))) return;
    tests.delete(s.id);
    run(() => api.patch(`/api/v1/admin/stations/${s.id}`, { printer: null }));
  }

  async function testPrint(s) {
    testing.add(s.id);
    render();
    try {
      const r = await api.post(`/api/v1/admin/stations/${s.id}/test-print`, {}, { timeout: 30000 });
      tests.set(s.id, { printed: r.printed, state: r.state, at: new Date().toISOString() });
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      testing.delete(s.id);
    }
    render();
  }

  return {
    mount(el) {
      root = el;
      el.replaceChildren(
        menuTabs('stations'),
        h(
          'div.toolbar.st-toolbar',
          h('div.st-intro', h('h2', t('st.title')), h('p.muted', t('st.help'))),
          h(
            'form.add-row.st-add',
            { novalidate: true, onsubmit: addStation, oninput: (e) => clearFieldErrors(e.currentTarget) },
            h('label.field', h('input', { name: 'name', placeholder: t('st.new'), 'aria-label': t('st.new'), maxlength: 30 })),
            h('button.primary', { type: 'submit', 'data-action': 'add-station' }, icon('plus'), t('common.add')),
            h('p.form-error'),
          ),
        ),
        h('div#st-list.st-list', h('p.empty', t('common.loading'))),
      );
      load();
    },
    unmount() {
      root = null;
      clearTimeout(timer);
    },
    onEvent(type) {
      if (type === 'printers') render();
      else if (type === 'menu_changed' || type === 'resync') {
        clearTimeout(timer);
        timer = setTimeout(load, 150);
      }
    },
  };
}
