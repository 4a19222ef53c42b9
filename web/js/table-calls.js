// The tablet's two ways to get staff to the table: 직원 호출 (a call) and 계산 요청 (the bill,
// a call with reason "bill" that the dashboard shows as such). 직원 호출 first asks what is
// needed — 물, 앞접시, 수저, 물티슈 (sent as the call's reason: water, plates, cutlery, wipes,
// which the dashboard names in its own language), 계산 요청, or just staff. Each button says
// it was sent until staff acknowledge it (call_acked), also after a reload (GET /calls); the
// guests' running total on the tablet stays what they ordered.
import { h, $, won, icon, toast, errorText, confirmDialog } from './ui.js';
import { t } from './i18n.js';

// api: the tablet's client; session(): {id, total} of the visit (id null before the first
// order); onChange(): draw the tablet again.
export function tableCalls({ api, session, onChange }) {
  // The open call behind each button, by id. A staff call made while the bill call is open is
  // answered with that call (the box keeps one open call per table): both buttons then wait
  // for the same acknowledgement.
  const open = { call: null, bill: null };
  let openReason = null; // the open call's reason (a quick pick's code), when it has one

  // What the box holds open for this table (a reload keeps "호출 중" and "계산 요청됨").
  async function load() {
    try {
      const r = await api.get('/api/v1/calls');
      const calls = r.calls || [];
      open.bill = calls.find((c) => c.reason === 'bill')?.id ?? null;
      const call = calls.find((c) => c.reason !== 'bill');
      open.call = call?.id ?? (open.call != null && open.call === open.bill ? open.bill : null);
      openReason = call?.reason || null;
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
      openReason = null;
      toast(t('call.acked'), 'ok', 6000);
    }
  }

  function clear() {
    open.call = null;
    open.bill = null;
    openReason = null;
    const d = $('#call-sheet');
    if (d && d.open) d.close();
  }

  // What the guests need: a large button each; the bill goes the bill's way.
  function pickReason() {
    let d = $('#call-sheet');
    if (!d) {
      d = h('dialog#call-sheet.dialog.call-sheet', { 'aria-labelledby': 'call-sheet-title' });
      d.addEventListener('click', (e) => (e.target === d || e.target.closest('[data-close]')) && d.close());
      document.body.append(d);
    }
    const pick = (reason, iconName, label, cls = '') =>
      h(
        'button.call-pick',
        {
          type: 'button',
          class: cls,
          dataset: { reason: reason ?? '' },
          onclick: () => {
            d.close();
            if (reason === 'bill') askBill();
            else callStaff(reason);
          },
        },
        icon(iconName),
        h('span', label),
      );
    d.replaceChildren(
      h(
        'div.dialog-body',
        h(
          'header.call-sheet-head',
          h('h2#call-sheet-title', t('call.pickTitle')),
          h('button.ghost.icon-btn', { type: 'button', 'data-close': '', 'aria-label': t('common.close') }, icon('x')),
        ),
        open.call != null ? h('p.call-sheet-open', icon('bell'), openReason ? t('call.already', { what: reasonName(openReason) }) : t('call.alreadyPlain')) : null,
        h(
          'div.call-picks',
          ...REASONS.map((r) => pick(r, REASON_ICON[r], t('call.reason.' + r))),
          pick('bill', 'receipt', open.bill != null ? t('bill.waiting') : t('table.bill'), 'bill'),
          pick(null, 'bell', t('call.justStaff'), 'plain'),
        ),
      ),
    );
    if (!d.open) d.showModal();
  }

  const oneName = (r) => (REASONS.includes(r) ? t('call.reason.' + r) : r);
  // A call the table added to carries its reasons joined: "water, plates".
  const reasonName = (r) => (r ? r.split(', ').map(oneName).join(', ') : t('call.justStaff'));

  async function callStaff(reason) {
    const btn = $('#btn-call');
    btn.disabled = true;
    try {
      const c = await api.post('/api/v1/calls', reason ? { reason } : {});
      const before = open.call;
      open.call = c.id;
      if (c.reason === 'bill') open.bill = c.id;
      else openReason = c.reason || null;
      // The box keeps one open call per table: another need joins it (its reasons joined);
      // a plain call while one is open is answered with that one.
      const joined = !!reason && (c.reason || '').split(', ').includes(reason);
      if (before === c.id && !joined && (c.reason || null) !== (reason || null)) toast(c.reason ? t('call.stillOpen', { what: reasonName(c.reason) }) : t('call.stillOpenPlain'), 'info', 8000);
      else toast(reason ? t('call.sentFor', { what: reasonName(reason) }) : t('call.sent'), 'ok', 6000);
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
      // No open visit (nothing ordered, or it just ended): nothing to bill.
      toast(e.status === 409 ? t('bill.noOrders') : errorText(e), e.status === 409 ? 'info' : 'error', 6000);
    } finally {
      btn.disabled = false;
      onChange();
    }
  }

  function render() {
    const call = $('#btn-call');
    call.classList.toggle('active', open.call != null);
    $('.call-label', call).textContent = open.call != null ? (openReason ? t('call.waitingFor', { what: reasonName(openReason) }) : t('call.waiting')) : t('table.call');
    const bill = $('#btn-bill');
    bill.classList.toggle('active', open.bill != null);
    $('.bill-label', bill).textContent = open.bill != null ? t('bill.waiting') : t('table.bill');
  }

  $('#btn-call').addEventListener('click', pickReason);
  $('#btn-bill').addEventListener('click', askBill);
  return { load, acked, clear, render };
}

// The quick picks' reasons as the box keeps them (the dashboard names them in its language).
export const REASONS = ['water', 'plates', 'cutlery', 'wipes'];
const REASON_ICON = { water: 'water', plates: 'plate', cutlery: 'cutlery', wipes: 'wipe' };
