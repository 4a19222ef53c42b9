// The tablet's two ways to get staff to the table: 직원 호출 (a call) and 계산 요청 (the bill,
// a call with reason "bill" that the dashboard shows as such). Each button says it was sent
// until staff acknowledge it (call_acked), also after a reload (GET /calls); the guests'
// running total on the tablet stays what they ordered.
import { $, won, toast, errorText, confirmDialog } from './ui.js';
import { t } from './i18n.js';

// api: the tablet's client; session(): {id, total} of the visit (id null before the first
// order); onChange(): draw the tablet again.
export function tableCalls({ api, session, onChange }) {
  // The open call behind each button, by id. A staff call made while the bill call is open is
  // answered with that call (the box keeps one open call per table): both buttons then wait
  // for the same acknowledgement.
  const open = { call: null, bill: null };

  // What the box holds open for this table (a reload keeps "호출 중" and "계산 요청됨").
  async function load() {
    try {
      const r = await api.get('/api/v1/calls');
      const calls = r.calls || [];
      open.bill = calls.find((c) => c.reason === 'bill')?.id ?? null;
      open.call = calls.find((c) => c.reason !== 'bill')?.id ?? (open.call != null && open.call === open.bill ? open.bill : null);
    } catch {
      /* unknown: keep what the screen shows */
    }
  }

  // Staff acknowledged a call (or the visit ended): its button is free again.
  function acked(d) {
    if (d.id != null && d.id === open.bill) {
      open.bill = null;
      toast(t('bill.acked'), 'ok', 6000);
      if (open.call === d.id) open.call = null;
    } else if (open.call != null && (d.id == null || d.id === open.call)) {
      open.call = null;
      toast(t('call.acked'), 'ok', 6000);
    }
  }

  function clear() {
    open.call = null;
    open.bill = null;
  }

  async function callStaff() {
    const btn = $('#btn-call');
    btn.disabled = true;
    try {
      const c = await api.post('/api/v1/calls', {});
      open.call = c.id;
      if (c.reason === 'bill') open.bill = c.id;
      toast(t('call.sent'), 'ok', 6000);
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      btn.disabled = false;
      onChange();
    }
  }

  // The bill: asked once more with the total ordered so far, then said to be on its way.
  async function askBill() {
    const s = session();
    if (s.id == null) return toast(t('bill.noOrders'), 'info', 5000);
    if (open.bill != null) return toast(t('bill.sent'), 'ok', 5000);
    const ok = await confirmDialog(t('bill.confirm'), { ok: t('bill.ok'), detail: t('bill.detail', { total: won(s.total) }) });
    if (!ok) return;
    const btn = $('#btn-bill');
    btn.disabled = true;
    try {
      const c = await api.post('/api/v1/bill-request', {});
      open.bill = c.id;
      toast(t('bill.sent'), 'ok', 8000);
    } catch (e) {
      toast(errorText(e), 'error');
    } finally {
      btn.disabled = false;
      onChange();
    }
  }

  function render() {
    const call = $('#btn-call');
    call.classList.toggle('active', open.call != null);
    $('.call-label', call).textContent = open.call != null ? t('call.waiting') : t('table.call');
    const bill = $('#btn-bill');
    bill.classList.toggle('active', open.bill != null);
    $('.bill-label', bill).textContent = open.bill != null ? t('bill.waiting') : t('table.bill');
  }

  $('#btn-call').addEventListener('click', callStaff);
  $('#btn-bill').addEventListener('click', askBill);
  return { load, acked, clear, render };
}
