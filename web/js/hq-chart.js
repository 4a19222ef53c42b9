// A bar chart drawn as SVG, sized to its box in CSS pixels (so the text stays readable at any
// width): horizontal bars for stores and items, columns for days.
import { s } from './ui.js';
import { lang } from './i18n.js';

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
