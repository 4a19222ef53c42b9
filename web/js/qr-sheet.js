// Setup QR codes: the box makes a one-time code per table (valid for an hour) and its QR
// image; this shows them as a sheet of cards — store name, table number, QR, until when it
// works — to print and put on the tables, or to show on screen for a tablet's camera. The
// code, not the table's password, is in the QR: a photo of it is useless once used or expired.
import { h, $, hm, icon, toast, errorText } from './ui.js';
import { t } from './i18n.js';

// tableIds: the tables to print (null: every table); storeName(): the store's name if known.
export async function showSetupCodes({ api, tableIds = null, storeName }) {
  const body = { base_url: location.origin };
  if (tableIds) body.table_ids = tableIds;
  let r;
  try {
    r = await api.post('/api/v1/admin/tables/setup-codes', body);
  } catch (e) {
    toast(errorText(e), 'error');
    return null;
  }
  const codes = (r.codes || []).slice().sort((a, b) => a.table_number - b.table_number);
  const store = r.store_name || storeName() || '';
  const until = hm(r.expires_at);
  const dlg = $('#qr-dialog');
  dlg.replaceChildren(
    h(
      'div.qr-bar',
      h('div.qr-bar-text', h('h2', t('qr.title', { n: codes.length })), h('p.muted', t('qr.help', { time: until }))),
      h('span.spacer'),
      h('button.primary', { type: 'button', 'data-action': 'print', onclick: () => window.print() }, icon('print'), t('tables.print')),
      h('button', { type: 'button', 'data-action': 'close', onclick: () => dlg.close() }, t('common.close')),
    ),
    h(
      'div.qr-sheet',
      ...codes.map((c) => {
        const qr = h('div.qr-code');
        qr.innerHTML = c.svg; // made by the box for this code; nothing typed by anyone
        const svg = qr.querySelector('svg');
        if (svg) svg.setAttribute('aria-hidden', 'true');
        return h(
          'article.qr-card',
          { dataset: { tableId: c.table_id, tableNumber: c.table_number, url: c.url } },
          store ? h('p.qr-store', store) : null,
          h('h3.qr-table', t('dash.tableN', { n: c.table_number })),
          qr,
          h('p.qr-how', t('qr.how')),
          h('p.qr-exp', icon('alert'), t('qr.expires', { time: until })),
        );
      }),
    ),
  );
  if (!dlg.open) dlg.showModal();
  dlg.scrollTop = 0;
  return r;
}
