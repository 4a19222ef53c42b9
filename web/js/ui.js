// Small DOM, formatting and dialog helpers shared by the pages (the box's and the hub's HQ
// page, which the hub serves with this module), and the bar charts both draw (the HQ sales
// report, the dashboard's day reports): the box serves no HQ file and the hub only this one of
// the shared modules, so the charts live here.
import { t, lang } from './i18n.js';
import { errorText, reasonText } from './errors.js';

export { errorText };

// h('button#id.primary', {onclick, type: 'button'}, 'text', child…)
export function h(spec, attrs, ...children) {
  if (attrs == null || typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs)) {
    if (attrs != null) children.unshift(attrs);
    attrs = {};
  }
  const [head, ...classes] = spec.split('.');
  const [tag, id] = head.split('#');
  const el = document.createElement(tag || 'div');
  if (id) el.id = id;
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className += (el.className ? ' ' : '') + v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'html') el.innerHTML = v; // only for the constant icon strings below
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

// SVG elements (charts): s('rect', {x, y, width}, child…); attributes only.
const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) el.setAttribute(k, v);
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : String(c));
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

// 9,000원 in Korean; ₩9,000 in the other languages; a real minus sign before either.
export function won(n) {
  const v = Math.round(Number(n) || 0);
  const s = Math.abs(v).toLocaleString('ko-KR');
  const sign = v < 0 ? '−' : '';
  return lang() === 'ko' ? `${sign}${s}원` : `${sign}₩${s}`;
}
// A count with thousands separators: 1,234.
export const count = (n) => (Number(n) || 0).toLocaleString('ko-KR');
// An option's price change: +1,500원, −1,000원 (a real minus sign).
export function delta(n) {
  const v = Math.round(Number(n) || 0);
  return (v < 0 ? '−' : '+') + won(Math.abs(v));
}

// Times are the store's: a tablet or phone set to another zone still shows the restaurant's
// clock, and "today" is the store's day (the server filters history by it too).
let zone; // IANA name from the server; undefined = the device's zone until it is known
let fmt = null;
export function setTimeZone(tz) {
  if (!tz || tz === zone) return;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    return; // a name this browser does not know: keep what we have
  }
  zone = tz;
  fmt = null;
}
function parts(when) {
  const d = when instanceof Date ? when : new Date(when);
  if (isNaN(d)) return null;
  fmt ??= new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  });
  const p = {};
  for (const x of fmt.formatToParts(d)) p[x.type] = x.value;
  return p;
}
// "14:05" in the store's zone.
export function hm(when) {
  const p = parts(when);
  return p ? `${p.hour}:${p.minute}` : '';
}
// "14:05:09": when something was last brought up to date (now by default).
export function hms(when = new Date()) {
  const p = parts(when);
  return p ? `${p.hour}:${p.minute}:${p.second}` : '';
}
// "2030-06-14": the store's date of a moment (now by default).
export function ymd(when = new Date()) {
  const p = parts(when);
  return p ? `${p.year}-${p.month}-${p.day}` : '';
}
export function dateTime(when) {
  const p = parts(when);
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : '';
}
// A calendar date n days from "YYYY-MM-DD" (no zone involved: dates are dates).
export function addDays(date, n) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}
// "YYYY-MM-DD" as midnight UTC (null when it is not a date), for counting days and labels.
export function parseDay(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
}
const LOCALES = { ko: 'ko-KR', en: 'en-GB', ja: 'ja-JP', zh: 'zh-CN' };
// "11월 26일 (목)" / "Thu 26 Nov"; the year only when it is not this year.
export function dayLabel(day, { weekday = true, year = null } = {}) {
  const d = parseDay(day);
  if (!d) return day;
  const withYear = year ?? day.slice(0, 4) !== ymd().slice(0, 4);
  return new Intl.DateTimeFormat(LOCALES[lang()] || 'en-GB', {
    timeZone: 'UTC',
    year: withYear ? 'numeric' : undefined,
    month: lang() === 'ko' ? 'long' : 'short',
    day: 'numeric',
    weekday: weekday ? 'short' : undefined,
  }).format(d);
}
// "11/26" for chart axes.
export function shortDay(day) {
  const d = parseDay(day);
  return d ? `${d.getUTCMonth() + 1}/${d.getUTCDate()}` : day;
}
// "방금 전", "3분 전", "2시간 전".
export function ago(when, now = Date.now()) {
  const ms = now - new Date(when).getTime();
  if (!isFinite(ms)) return '';
  const sec = Math.max(0, Math.round(ms / 1000));
  if (sec < 10) return t('ago.now');
  if (sec < 60) return t('ago.sec', { n: sec });
  const min = Math.floor(sec / 60);
  if (min < 60) return t('ago.min', { n: min });
  const hr = Math.floor(min / 60);
  if (hr < 48) return t('ago.hour', { n: hr });
  return t('ago.day', { n: Math.floor(hr / 24) });
}
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// Inline SVG icons (24×24, stroke = currentColor).
const P = {
  cart: '<circle cx="9" cy="20" r="1.5"/><circle cx="18" cy="20" r="1.5"/><path d="M2 3h3l2.4 12.2a1 1 0 0 0 1 .8h9.8a1 1 0 0 0 1-.8L21 7H6"/>',
  bell: '<path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9"/><path d="M10.3 21a1.9 1.9 0 0 0 3.4 0"/>',
  list: '<path d="M8 6h13M8 12h13M8 18h13"/><circle cx="3.5" cy="6" r="1"/><circle cx="3.5" cy="12" r="1"/><circle cx="3.5" cy="18" r="1"/>',
  plus: '<path d="M12 5v14M5 12h14"/>',
  minus: '<path d="M5 12h14"/>',
  x: '<path d="M6 6l12 12M18 6L6 18"/>',
  trash: '<path d="M3 6h18M8 6V4h8v2M6 6l1 14h10l1-14"/>',
  edit: '<path d="M4 20h4L19 9l-4-4L4 16v4z"/>',
  up: '<path d="M12 19V5M6 11l6-6 6 6"/>',
  down: '<path d="M12 5v14M6 13l6 6 6-6"/>',
  check: '<path d="M5 12l5 5L20 7"/>',
  sound: '<path d="M4 9h4l5-4v14l-5-4H4z"/><path d="M16 9a4 4 0 0 1 0 6M19 6a8 8 0 0 1 0 12"/>',
  mute: '<path d="M4 9h4l5-4v14l-5-4H4z"/><path d="M17 9l5 6M22 9l-5 6"/>',
  globe: '<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18"/>',
  logout: '<path d="M15 4h4v16h-4M10 8l-4 4 4 4M6 12h11"/>',
  bowl: '<path d="M3 11h18a9 9 0 0 1-18 0z"/><path d="M8 7c0-2 2-2 2-4M12 7c0-2 2-2 2-4M16 7c0-2 2-2 2-4"/>',
  image: '<rect x="3" y="4" width="18" height="16" rx="2"/><circle cx="9" cy="10" r="2"/><path d="M21 17l-6-6-9 9"/>',
  refresh: '<path d="M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7"/>',
  print: '<path d="M7 9V3h10v6M7 17H4v-7h16v7h-3M7 14h10v7H7z"/>',
  link: '<path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"/>',
  download: '<path d="M12 4v11M7 10l5 5 5-5M5 20h14"/>',
  key: '<circle cx="8" cy="15" r="4"/><path d="M11 12l9-9M17 6l3 3"/>',
  note: '<path d="M5 3h10l4 4v14H5z"/><path d="M9 11h6M9 15h4"/>',
  options: '<path d="M4 7h10M18 7h2M4 17h4M12 17h8"/><circle cx="16" cy="7" r="2"/><circle cx="10" cy="17" r="2"/>',
  external: '<path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"/>',
  alert: '<path d="M12 3l10 18H2z"/><path d="M12 10v5M12 18v.01"/>',
  expand: '<path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5"/>',
  qr: '<rect x="3" y="3" width="7" height="7" rx="1"/><rect x="14" y="3" width="7" height="7" rx="1"/><rect x="3" y="14" width="7" height="7" rx="1"/><path d="M14 14h3v3h-3zM20 14v.01M14 20h.01M17 17h3v3h-3"/>',
  store: '<path d="M4 9l1.5-5h13L20 9M4 9v11h16V9M4 9h16M9 20v-6h6v6"/>',
  receipt: '<path d="M6 3h12v18l-3-2-3 2-3-2-3 2z"/><path d="M9 8h6M9 12h6"/>',
  coins: '<ellipse cx="12" cy="6" rx="7" ry="3"/><path d="M5 6v6c0 1.7 3.1 3 7 3s7-1.3 7-3V6M5 12v6c0 1.7 3.1 3 7 3s7-1.3 7-3v-6"/>',
  upload: '<path d="M12 20V9M7 14l5-5 5 5M5 4h14"/>',
  backspace: '<path d="M21 5H9l-6 7 6 7h12z"/><path d="M17 9l-6 6M11 9l6 6"/>',
  user: '<circle cx="12" cy="8" r="4"/><path d="M4 21a8 8 0 0 1 16 0"/>',
  users: '<circle cx="9" cy="8" r="3.5"/><path d="M2 20a7 7 0 0 1 14 0"/><path d="M16 4.5a3.5 3.5 0 0 1 0 7M18 14a7 7 0 0 1 4 6"/>',
  lock: '<rect x="4" y="11" width="16" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0v4"/>',
  move: '<path d="M4 12h15M14 6l6 6-6 6"/>',
  merge: '<path d="M6 3v4a6 6 0 0 0 6 6 6 6 0 0 0 6-6V3"/><path d="M12 13v8M8.5 17.5 12 21l3.5-3.5"/>',
  switchUser: '<circle cx="9" cy="8" r="3.5"/><path d="M2 20a7 7 0 0 1 12-5"/><path d="M16 13h6M19 10l3 3-3 3M22 19h-6M19 22l-3-3 3-3"/>',
  history: '<path d="M3 12a9 9 0 1 0 3-6.7L3 8"/><path d="M3 3v5h5M12 7v5l3 3"/>',
  terminal: '<rect x="3" y="4" width="18" height="12" rx="2"/><path d="M8 20h8M12 16v4"/>',
  card: '<rect x="2" y="5" width="20" height="14" rx="2"/><path d="M2 10h20M6 15h4"/>',
  cash: '<rect x="2" y="6" width="20" height="12" rx="2"/><circle cx="12" cy="12" r="2.5"/><path d="M6 12h.01M18 12h.01"/>',
  transfer: '<path d="M4 8h14M14 4l4 4-4 4M20 16H6M10 12l-4 4 4 4"/>',
  gift: '<rect x="3" y="8" width="18" height="13" rx="1"/><path d="M3 12h18M12 8v13M12 8c-2-4-7-4-6 0M12 8c2-4 7-4 6 0"/>',
  more: '<circle cx="5" cy="12" r="1.3"/><circle cx="12" cy="12" r="1.3"/><circle cx="19" cy="12" r="1.3"/>',
  percent: '<path d="M19 5L5 19"/><circle cx="7" cy="7" r="2.5"/><circle cx="17" cy="17" r="2.5"/>',
  split: '<path d="M12 3v6M12 9l-6 6v6M12 9l6 6v6"/>',
  chart: '<path d="M4 20V4M4 20h16M8 16v-4M12 16V8M16 16v-6"/>',
  calendar: '<rect x="3" y="5" width="18" height="16" rx="2"/><path d="M3 10h18M8 3v4M16 3v4"/>',
  undo: '<path d="M9 14l-5-5 5-5"/><path d="M4 9h10a6 6 0 0 1 0 12h-3"/>',
  water: '<path d="M6 3h12l-1.5 17a1 1 0 0 1-1 1h-7a1 1 0 0 1-1-1z"/><path d="M6.6 9h10.8"/>',
  plate: '<circle cx="12" cy="12" r="9"/><circle cx="12" cy="12" r="5"/>',
  cutlery: '<path d="M7 3v18M4 3v5a3 3 0 0 0 6 0V3M17 21V3c-2 1-3 4-3 8h3"/>',
  wipe: '<rect x="4" y="6" width="16" height="13" rx="2"/><path d="M9 6c0-2 6-2 6 0M8 12c2 1 6 1 8 0"/>',
};
export function icon(name, cls = '') {
  const span = document.createElement('span');
  span.className = 'icon ' + cls;
  span.setAttribute('aria-hidden', 'true');
  span.innerHTML = `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${P[name] || ''}</svg>`;
  return span;
}
// Fills static `<span data-icon="name">` placeholders.
export function fillIcons(root = document) {
  for (const el of $$('[data-icon]', root)) {
    if (!el.firstChild) el.replaceWith(icon(el.dataset.icon, el.className));
  }
}

// An order line's chosen options ("매운맛 · 라면사리") and its note, highlighted for the kitchen.
export const optionsLine = (names) => (names.length ? h('span.line-opts', names.join(' · ')) : null);
export const noteChip = (note) => (note ? h('span.line-note', icon('note'), h('span', note)) : null);

// An order's lines in a line of text for the dashboard: "김치찌개 (매운맛 · 라면사리) ×2, 콜라".
export function orderItemsEl(o) {
  const out = [];
  o.items.forEach((i, n) => {
    if (n) out.push(', ');
    const opts = (i.options || []).map((x) => x.name);
    out.push(h('span.oi', i.name, opts.length ? h('span.oopts', ` (${opts.join(' · ')})`) : null, i.quantity > 1 ? `×${i.quantity}` : null));
  });
  return out;
}
// The order's notes, each after its item's name when the order has several lines.
export function orderNotesEl(o) {
  const notes = o.items.filter((i) => i.note);
  if (!notes.length) return null;
  return h('span.onotes', ...notes.map((i) => noteChip(o.items.length > 1 ? `${i.name}: ${i.note}` : i.note)));
}

// Toasts: short notices at the top of the screen.
export function toast(message, kind = 'info', ms = 4000) {
  let box = $('#toasts');
  if (!box) {
    box = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  const el = h('div.toast', { class: kind }, message);
  box.append(el);
  setTimeout(() => el.classList.add('out'), ms);
  setTimeout(() => el.remove(), ms + 400);
  return el;
}

// A modal confirmation; resolves true or false.
export function confirmDialog(message, { ok = t('common.ok'), danger = false, detail = '' } = {}) {
  return new Promise((resolve) => {
    const dlg = h(
      'dialog.dialog.confirm',
      h('form', { method: 'dialog' },
        h('p.confirm-text', message),
        detail ? h('p.muted', detail) : null,
        h('div.actions',
          h('button', { value: 'no', type: 'submit' }, t('common.cancel')),
          h('button', { value: 'yes', type: 'submit', class: danger ? 'danger' : 'primary', 'data-action': 'confirm' }, ok),
        ),
      ),
    );
    dlg.addEventListener('close', () => {
      resolve(dlg.returnValue === 'yes');
      dlg.remove();
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

// Shows a 422 answer's field reasons next to the form's fields (`name` attributes), in the
// UI's language. Reasons made in the browser (fieldError in forms.js) are already text; the
// server's are translated. `names` maps the API's field names to the form's where they differ;
// `overrides` go to errorText for the message above the buttons.
export function showFieldErrors(form, err, { names = {}, overrides } = {}) {
  clearFieldErrors(form);
  const fields = (err && err.fields) || {};
  const fromServer = err && err.status > 0;
  let shown = false;
  for (const [name, reason] of Object.entries(fields)) {
    const input = form.elements[names[name] || name];
    if (!input) continue;
    const field = input.closest('label, .field') || input.parentElement;
    field.classList.add('invalid');
    field.append(h('small.field-error', fromServer ? reasonText(reason) : reason));
    shown = true;
  }
  const general = $('.form-error', form);
  if (general) general.textContent = shown ? '' : errorText(err, overrides);
}
export function clearFieldErrors(form) {
  for (const e of $$('.field-error', form)) e.remove();
  for (const e of $$('.invalid', form)) e.classList.remove('invalid');
  const general = $('.form-error', form);
  if (general) general.textContent = '';
}

// Connection indicator: <span class="conn"> with a dot and a label, and the page's banner
// (#conn-banner) that says so in words when the live stream is down for more than a moment
// (a reconnect that succeeds at once shows nothing). `up` is true, false, or null while a
// first connection is being made; `data-state` says which (up, down, connecting).
const BANNER_AFTER_MS = 1500;
let bannerTimer = null;
export function setConn(el, up) {
  if (!el) return;
  const state = up == null ? 'connecting' : up ? 'up' : 'down';
  for (const s of ['up', 'down', 'connecting']) el.classList.toggle(s, s === state);
  el.dataset.state = state;
  el.title = t(`conn.${state}`);
  el.replaceChildren(h('span.dot'), h('span.conn-label', t(`conn.${state}`)));
  const banner = $('#conn-banner');
  if (!banner) return;
  banner.replaceChildren(icon('alert'), h('span', t('conn.lost')));
  if (up !== false) {
    clearTimeout(bannerTimer);
    bannerTimer = null;
    banner.hidden = true;
  } else if (banner.hidden && !bannerTimer) {
    bannerTimer = setTimeout(() => {
      bannerTimer = null;
      banner.hidden = !el.classList.contains('down');
    }, BANNER_AFTER_MS);
  }
}

// Runs `fn` once calls have stopped for `wait` ms, and at least every `maxWait` ms while
// they keep coming (a steady stream of orders must not postpone a refresh forever).
export function debounce(fn, wait, maxWait = wait * 4) {
  let timer = null;
  let first = 0;
  return () => {
    const now = Date.now();
    if (!timer) first = now;
    clearTimeout(timer);
    const delay = Math.max(0, Math.min(wait, first + maxWait - now));
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, delay);
  };
}

// ---------- charts ----------

// A bar chart drawn as SVG, sized to its box in CSS pixels (so the text stays readable at any
// width): horizontal bars for stores and items, columns for days and hours.
const FONT = '13px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic", sans-serif';
let measureCtx = null;
function textWidth(str) {
  measureCtx ??= document.createElement('canvas').getContext('2d');
  measureCtx.font = FONT;
  return measureCtx.measureText(str).width;
}
// Cuts a label to fit `max` pixels, ending it with "…".
function fit(str, max) {
  if (textWidth(str) <= max) return str;
  let lo = 0;
  let hi = str.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (textWidth(str.slice(0, mid) + '…') <= max) lo = mid;
    else hi = mid - 1;
  }
  return str.slice(0, lo) + '…';
}

// 1,234,000 → "123만" / "1.2M": axis and column labels.
export function compact(n) {
  return new Intl.NumberFormat(lang() === 'ko' ? 'ko-KR' : 'en', { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

// A round step for about `ticks` grid lines up to `max`.
function niceStep(max, ticks) {
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

/**
 * rows: [{label, value, title, highlight}]; kind: 'bars' | 'columns'; width in px.
 * `format` renders a full value (the bars' end labels and the tooltips).
 */
export function drawChart({ rows, kind, width, format }) {
  return kind === 'columns' ? columns(rows, width, format) : bars(rows, width, format);
}

function bars(rows, width, format) {
  const rowH = 30;
  const gap = 8;
  const labelW = Math.min(Math.max(90, width * 0.3), 200);
  const valueW = Math.min(120, Math.max(80, width * 0.2));
  const barMax = Math.max(40, width - labelW - valueW - 16);
  const max = Math.max(1, ...rows.map((r) => r.value));
  const height = rows.length * (rowH + gap) - gap + 4;
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'chart-svg' });
  rows.forEach((r, i) => {
    const y = i * (rowH + gap);
    const w = Math.max(r.value > 0 ? 3 : 0, (r.value / max) * barMax);
    svg.append(s('g', { class: 'bar-row' },
      s('title', {}, `${r.title || r.label}: ${format(r.value)}`),
      s('text', { x: labelW - 10, y: y + rowH / 2, class: 'chart-label', 'text-anchor': 'end', 'dominant-baseline': 'central' }, fit(r.label, labelW - 14)),
      s('rect', { x: labelW, y, width: barMax, height: rowH, rx: 6, class: 'bar-track' }),
      s('rect', { x: labelW, y, width: w, height: rowH, rx: 6, class: r.highlight ? 'bar bar-hi' : 'bar' }),
      s('text', { x: labelW + w + 8, y: y + rowH / 2, class: 'chart-value', 'dominant-baseline': 'central' }, format(r.value))));
  });
  return svg;
}

function columns(rows, width, format) {
  const height = 240;
  const top = 22;
  const bottom = 28;
  const left = 52;
  const right = 8;
  const plotW = Math.max(40, width - left - right);
  const plotH = height - top - bottom;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const step = niceStep(max, 4);
  const axisMax = Math.ceil(max / step) * step;
  const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'chart-svg' });
  for (let v = 0; v <= axisMax + step / 2; v += step) {
    const y = top + plotH - (v / axisMax) * plotH;
    svg.append(
      s('line', { x1: left, x2: width - right, y1: y, y2: y, class: v ? 'grid' : 'axis' }),
      s('text', { x: left - 8, y, class: 'chart-tick', 'text-anchor': 'end', 'dominant-baseline': 'central' }, compact(v)));
  }
  const slot = plotW / Math.max(1, rows.length);
  const colW = Math.max(2, Math.min(48, slot * 0.7));
  // Day labels: as many as fit without touching, counted back from the latest day.
  const every = Math.max(1, Math.ceil(44 / slot));
  const showValues = slot >= 46;
  rows.forEach((r, i) => {
    const x = left + i * slot + (slot - colW) / 2;
    const hgt = (r.value / axisMax) * plotH;
    const y = top + plotH - hgt;
    const g = s('g', { class: 'col' }, s('title', {}, `${r.title || r.label}: ${format(r.value)}`),
      s('rect', { x, y, width: colW, height: Math.max(r.value > 0 ? 2 : 0, hgt), rx: Math.min(5, colW / 3), class: r.highlight ? 'bar bar-hi' : 'bar' }));
    if (showValues && r.value > 0) {
      g.append(s('text', { x: x + colW / 2, y: y - 6, class: 'chart-value', 'text-anchor': 'middle' }, compact(r.value)));
    }
    if ((rows.length - 1 - i) % every === 0) {
      g.append(s('text', { x: x + colW / 2, y: height - 8, class: 'chart-tick', 'text-anchor': 'middle' }, r.label));
    }
    svg.append(g);
  });
  return svg;
}
