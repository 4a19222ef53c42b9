// The live feed: the latest orders across stores, newest on top, kept up to date by the
// hub's event stream. Orders are keyed by store and the box's order id.
import { $, h, won, hm, ymd, shortDay, noteChip, errorText } from './ui.js';
import { t } from './i18n.js';
import { query } from './api.js';
import { api } from './hq-session.js';
import { stores, storeName, onStoresChange } from './hq-stores.js';

const MAX = 100;
const orders = new Map(); // key → order
const els = new Map(); // key → <li>
let filter = ''; // store id, or '' for every store
let loaded = false;

const keyOf = (o) => `${o.store_id}:${o.id}`;
const newer = (a, b) => Date.parse(a.updated_at || a.created_at) >= Date.parse(b.updated_at || b.created_at);
const byNewest = (a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id;

export function initFeed() {
  $('#feed-store').addEventListener('change', (e) => {
    filter = e.target.value;
    loadFeed();
  });
  onStoresChange(() => {
    renderFilter();
    // Lines drawn before the stores arrived (or renamed since) name their store again.
    if (orders.size) redraw();
  });
  renderFilter();
}

function redraw() {
  $('#feed').replaceChildren();
  els.clear();
  render();
}

function renderFilter() {
  const sel = $('#feed-store');
  const ids = stores.list.map((s) => s.store_id);
  if (filter && !ids.includes(filter)) ids.push(filter);
  sel.replaceChildren(
    h('option', { value: '' }, t('feed.allStores')),
    ...ids.map((id) => h('option', { value: id }, storeName(id))),
  );
  sel.value = filter;
}

// The latest orders from the hub; events that arrived meanwhile are kept when newer.
export async function loadFeed() {
  const want = filter;
  try {
    const list = await api.get(`/hub/v1/orders${query({ store_id: want, limit: MAX })}`);
    if (want !== filter) return;
    const fresh = new Map((list || []).map((o) => [keyOf(o), o]));
    for (const [k, o] of orders) {
      if ((!want || o.store_id === want) && (!fresh.has(k) || newer(o, fresh.get(k)))) fresh.set(k, o);
    }
    orders.clear();
    for (const [k, o] of fresh) orders.set(k, o);
    loaded = true;
    $('#feed').replaceChildren();
    els.clear();
    render();
  } catch (err) {
    if (err.status !== 401) $('#feed').replaceChildren(h('li.empty.form-error', errorText(err)));
  }
}

export function clearFeed() {
  orders.clear();
  els.clear();
  loaded = false;
  $('#feed').replaceChildren();
}

// An event from the stream. Returns true when it concerned an order.
export function applyEvent(type, o) {
  if (!o || o.id == null || !o.store_id || !Array.isArray(o.items)) return false;
  if (filter && o.store_id !== filter) return true;
  const k = keyOf(o);
  const old = orders.get(k);
  if (old && !newer(o, old)) return true;
  orders.set(k, o);
  render({ fresh: old ? null : k, changed: old && old.status !== o.status ? k : null });
  return true;
}

// Incremental: existing lines are updated in place, new ones inserted at their place, the
// oldest beyond MAX dropped. Flashes mark new orders and status changes.
function render({ fresh = null, changed = null } = {}) {
  const list = $('#feed');
  const sorted = [...orders.values()].sort(byNewest);
  for (const o of sorted.slice(MAX)) {
    orders.delete(keyOf(o));
    els.get(keyOf(o))?.remove();
    els.delete(keyOf(o));
  }
  const keep = sorted.slice(0, MAX);
  $('#feed-count').textContent = keep.length ? t('feed.count', { n: keep.length }) : '';
  list.querySelector('.empty')?.remove();
  if (!keep.length) {
    if (loaded) list.replaceChildren(h('li.empty', t('feed.none')));
    return;
  }
  let prev = null;
  for (const o of keep) {
    const k = keyOf(o);
    let el = els.get(k);
    const sig = `${o.status}|${o.updated_at}|${o.total}`;
    if (!el || el.dataset.sig !== sig) {
      const next = line(o);
      if (el) el.replaceWith(next);
      el = next;
      els.set(k, el);
    }
    el.dataset.sig = sig;
    const want = prev ? prev.nextSibling : list.firstChild;
    if (want !== el) list.insertBefore(el, want);
    prev = el;
    if (k === fresh) flash(el, 'fresh');
    if (k === changed) flash(el, 'changed');
  }
}

function flash(el, cls) {
  el.classList.remove(cls);
  void el.offsetWidth; // restart the animation
  el.classList.add(cls);
  setTimeout(() => el.classList.remove(cls), 3000);
}

function itemsText(o) {
  return o.items.map((i, n) => {
    const opts = (i.options || []).map((x) => x.name).filter(Boolean);
    return h('span.fo-item',
      n ? ', ' : '',
      h('span.fo-name', i.name),
      opts.length ? h('span.fo-opts', ` (${opts.join(' · ')})`) : null,
      i.quantity > 1 ? h('span.fo-qty', ` ×${i.quantity}`) : null);
  });
}

// "14:05" today, "11/26 14:05" on another day.
function when(iso) {
  const day = ymd(iso);
  if (!day) return '';
  return day === ymd() ? hm(iso) : `${shortDay(day)} ${hm(iso)}`;
}

function line(o) {
  const st = ['pending', 'preparing', 'completed', 'cancelled'].includes(o.status) ? o.status : 'pending';
  const notes = o.items.filter((i) => i.note);
  return h('li.fo', { class: `fo-${st}`, dataset: { key: keyOf(o) } },
    h('div.fo-head',
      h('strong.fo-store', storeName(o.store_id)),
      h('span.fo-table', t('feed.table', { n: o.table_number })),
      h('span.fo-when.muted', h('span.fo-no', `#${o.order_no}`), ' · ', h('time.fo-time', { datetime: o.created_at }, when(o.created_at)))),
    h('span.status', { class: `st-${st}` }, t(`status.${st}`)),
    h('p.fo-items', itemsText(o)),
    h('strong.fo-total.num', won(o.total)),
    notes.length
      ? h('div.fo-notes', notes.map((i) => noteChip(o.items.length > 1 ? `${i.name}: ${i.note}` : i.note)))
      : null);
}

// Language or store names changed: every line again.
export function rerenderFeed() {
  renderFilter();
  redraw();
}
