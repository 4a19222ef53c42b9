// HQ page helpers: language, DOM building, formatting, icons and the hub API client.
// The hub serves only the hq* files, so this page shares no module with the box's pages.
import { ko, en } from './strings-hq.js';

/* ---------- Language ---------- */

const LANG_KEY = 'tableorder.hq.lang';
const dicts = { ko, en };
let current = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'ko';
const langListeners = [];

export const lang = () => current;
export const locale = () => (current === 'ko' ? 'ko-KR' : 'en-GB');

export function t(key, vars) {
  let s = dicts[current][key] ?? ko[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, v);
  return s;
}

// Static markup: data-i18n (text), data-i18n-aria (aria-label and title), data-i18n-title (title).
export function applyI18n(root = document) {
  document.documentElement.lang = current;
  document.title = `tableorder · ${t('app.title')}`;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAria));
    el.title = t(el.dataset.i18nAria);
  }
  // A hint only: the element's own text stays its accessible name.
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  // The language switch is labelled in the language it switches to.
  for (const el of root.querySelectorAll('[data-action=lang]')) el.lang = current === 'ko' ? 'en' : 'ko';
}

export function toggleLang() {
  current = current === 'ko' ? 'en' : 'ko';
  localStorage.setItem(LANG_KEY, current);
  applyI18n();
  for (const fn of langListeners) fn(current);
}
export const onLangChange = (fn) => langListeners.push(fn);

/* ---------- DOM ---------- */

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
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// SVG elements (the chart); attributes only, children as nodes or text.
const SVG_NS = 'http://www.w3.org/2000/svg';
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) el.setAttribute(k, v);
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : String(c));
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/* ---------- Formatting ---------- */

// 1,234,000원 in Korean; ₩1,234,000 in English.
export function won(n) {
  const v = Math.round(Number(n) || 0);
  const str = Math.abs(v).toLocaleString('ko-KR');
  const sign = v < 0 ? '−' : '';
  return current === 'ko' ? `${sign}${str}원` : `${sign}₩${str}`;
}
export const count = (n) => (Number(n) || 0).toLocaleString('ko-KR');

const pad = (n) => String(n).padStart(2, '0');
// A local calendar day as YYYY-MM-DD.
export const ymd = (d = new Date()) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
export function addDays(day, n) {
  const [y, m, d] = day.split('-').map(Number);
  return ymd(new Date(y, m - 1, d + n));
}
export function parseDay(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
}
// "11월 26일 (목)" / "Thu 26 Nov"; the year only when it is not this year.
export function dayLabel(day, { weekday = true, year = null } = {}) {
  const d = parseDay(day);
  if (!d) return day;
  const withYear = year ?? d.getFullYear() !== new Date().getFullYear();
  return new Intl.DateTimeFormat(locale(), {
    year: withYear ? 'numeric' : undefined,
    month: current === 'ko' ? 'long' : 'short',
    day: 'numeric',
    weekday: weekday ? 'short' : undefined,
  }).format(d);
}
// "11/26" for chart axes.
export function shortDay(day) {
  const d = parseDay(day);
  return d ? `${d.getMonth() + 1}/${d.getDate()}` : day;
}
export function hm(iso) {
  const d = new Date(iso);
  return isNaN(d) ? '' : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
export function hms(d = new Date()) {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
// "방금 전", "3분 전", "2시간 전".
export function ago(iso, now = Date.now()) {
  const ms = now - new Date(iso).getTime();
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

/* ---------- Icons (24×24, stroke = currentColor) ---------- */

const P = {
  globe: '<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18"/>',
  logout: '<path d="M15 4h4v16h-4M10 8l-4 4 4 4M6 12h11"/>',
  refresh: '<path d="M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7"/>',
  download: '<path d="M12 4v11M7 10l5 5 5-5M5 20h14"/>',
  store: '<path d="M4 9l1.5-5h13L20 9M4 9v11h16V9M4 9h16M9 20v-6h6v6"/>',
  receipt: '<path d="M6 3h12v18l-3-2-3 2-3-2-3 2z"/><path d="M9 8h6M9 12h6"/>',
  coins: '<ellipse cx="12" cy="6" rx="7" ry="3"/><path d="M5 6v6c0 1.7 3.1 3 7 3s7-1.3 7-3V6M5 12v6c0 1.7 3.1 3 7 3s7-1.3 7-3v-6"/>',
  upload: '<path d="M12 20V9M7 14l5-5 5 5M5 4h14"/>',
  note: '<path d="M5 3h10l4 4v14H5z"/><path d="M9 11h6M9 15h4"/>',
};
export function icon(name, cls = '') {
  const span = document.createElement('span');
  span.className = ('icon ' + cls).trim();
  span.setAttribute('aria-hidden', 'true');
  span.innerHTML = `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${P[name] || ''}</svg>`;
  return span;
}
export function fillIcons(root = document) {
  for (const el of $$('[data-icon]', root)) if (!el.firstChild) el.replaceWith(icon(el.dataset.icon, el.className));
}

/* ---------- Hub API ---------- */

const TOKEN_KEY = 'tableorder.hq.session';
let session = null;
try {
  session = JSON.parse(localStorage.getItem(TOKEN_KEY) || 'null');
} catch {
  session = null;
}
if (session && (!session.token || (session.expires_at && Date.parse(session.expires_at) <= Date.now()))) session = null;

export const getSession = () => session;
export const token = () => session?.token || '';
export function setSession(s) {
  session = s;
  if (s) localStorage.setItem(TOKEN_KEY, JSON.stringify(s));
  else localStorage.removeItem(TOKEN_KEY);
}

// Called when the hub refuses the token (401): the page goes back to the login form.
let onUnauthorized = () => {};
export const setUnauthorizedHandler = (fn) => (onUnauthorized = fn);

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code || (status ? 'http_' + status : 'network');
    this.network = status === 0;
    this.retryAfter = retryAfter;
  }
}

export async function api(path, { method = 'GET', body, auth = true } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth && token()) headers.authorization = `Bearer ${token()}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new ApiError(0, null);
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data, Number(res.headers.get('retry-after')) || 0);
    if (res.status === 401 && auth) onUnauthorized();
    throw err;
  }
  return data;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') q.set(k, v);
  const str = q.toString();
  return str ? `?${str}` : '';
}

export function errorText(err) {
  if (!err) return '';
  if (err.network) return t('err.network');
  if (err.status === 429) return t('err.rate');
  return err.message || t('err.generic');
}

// Runs `fn` once calls have stopped for `wait` ms, and at least every `maxWait` ms while
// they keep coming (a steady stream of orders must not postpone the refresh forever).
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
