// Dashboard: history of ended sessions per table, with a date filter.
import { h, $, won, hm, ymd, addDays, dateTime, errorText, orderItemsEl, orderNotesEl } from './ui.js';
import { t } from './i18n.js';
import { guestsText } from './guests.js';

const statusChip = (s) => h('span.status', { class: 'st-' + s }, t('status.' + s));

export function historyView({ api, state }) {
  return {
    mount(el) {
      // The store's today and the six days before (the server reads dates in its zone too).
      const today = ymd();
      const weekAgo = addDays(today, -6);
      const form = h(
        'form.toolbar',
        { onsubmit: (e) => (e.preventDefault(), this.search()) },
        h('label.field.inline', h('span', t('dash.filter')), h('select', { name: 'table_id' })),
        h('label.field.inline', h('span', t('history.from')), h('input', { type: 'date', name: 'from', value: weekAgo })),
        h('label.field.inline', h('span', t('history.to')), h('input', { type: 'date', name: 'to', value: today })),
        h('button.primary', { type: 'submit' }, t('history.search')),
      );
      this.form = form;
      el.replaceChildren(form, h('div#history-list.history-list'));
      this.render();
      this.search();
    },
    // The table list may arrive after the page opened.
    render() {
      const sel = this.form.elements.table_id;
      const key = state.tables.map((tb) => tb.id).join();
      if (sel.dataset.key === key) return;
      sel.dataset.key = key;
      const value = sel.value;
      sel.replaceChildren(h('option', { value: '' }, t('dash.all')), ...state.tables.map((tb) => h('option', { value: tb.id }, t('dash.tableN', { n: tb.number }))));
      sel.value = value;
    },
    async search() {
      const list = $('#history-list');
      const q = new URLSearchParams();
      for (const [k, v] of new FormData(this.form)) if (v) q.set(k, v);
      list.replaceChildren(h('p.empty', t('common.loading')));
      try {
        const sessions = await api.get(`/api/v1/admin/history?${q}`);
        if (!sessions.length) return list.replaceChildren(h('p.empty', t('history.none')));
        const sum = sessions.reduce((s, x) => s + x.total, 0);
        list.replaceChildren(
          h('p.history-sum', t('history.summary', { n: sessions.length, total: won(sum) })),
          ...sessions.map(historyEntry),
        );
      } catch (e) {
        list.replaceChildren(h('p.form-error', { role: 'alert' }, errorText(e)));
      }
    },
  };
}

function historyEntry(s) {
  return h(
    'section.hsession.panel',
    h(
      'header',
      h('strong', t('dash.tableN', { n: s.table_number })),
      h('span.muted', t('history.span', { start: dateTime(s.started_at), end: ymd(s.started_at) === ymd(s.ended_at) ? hm(s.ended_at) : dateTime(s.ended_at) })),
      h('span.muted', t('dash.count', { n: s.orders.length })),
      s.guests ? h('span.muted.hguests', { dataset: { guests: s.guests } }, guestsText(s.guests)) : null,
      h('span.spacer'),
      h('strong', won(s.total)),
    ),
    h(
      'table.htable',
      h('thead', h('tr', h('th', t('history.no')), h('th', t('history.time')), h('th', t('history.items')), h('th.num', t('history.total')), h('th', t('history.status')))),
      h(
        'tbody',
        ...s.orders.map((o) =>
          h('tr', { class: 'st-' + o.status }, h('td', `#${o.order_no}`), h('td', hm(o.created_at)), h('td.hitems', orderItemsEl(o), orderNotesEl(o)), h('td.num', won(o.total)), h('td', statusChip(o.status))),
        ),
      ),
    ),
  );
}
