// What went wrong, in the UI's language: an API error's `code` and fields become text here.
// The server's own `message` is English and meant for logs and scripts; it is never shown.
import { t, has } from './i18n.js';

const CODES = {
  network: 'err.network',
  unauthorized: 'err.unauthorized',
  forbidden: 'err.forbidden',
  not_found: 'err.notFound',
  conflict: 'err.conflict',
  invalid_transition: 'err.transition',
  validation_failed: 'err.validation',
  bad_request: 'err.badRequest',
  item_unavailable: 'err.itemUnavailable',
  payload_too_large: 'err.tooLarge',
  unsupported_media_type: 'err.mediaType',
  unavailable: 'err.unavailable',
  insufficient_storage: 'err.storage',
  method_not_allowed: 'err.badRequest',
  internal: 'err.server',
};

// The name of a limit ("테이블 수"), or null when this UI has no words for it.
export const limitName = (key) => (has(`limit.${key}`) ? t(`limit.${key}`) : null);

// errorText(err, {conflict: '…', unauthorized: (e) => '…'}): a caller that knows what a code
// means where it happened (a taken table number) says so; every other code reads the same
// everywhere.
export function errorText(err, overrides = {}) {
  if (!err) return '';
  const code = err.network ? 'network' : err.code;
  const own = overrides[code];
  if (own != null) return typeof own === 'function' ? own(err) : own;
  if (code === 'too_many_requests') return err.retryAfter ? t('err.rateIn', { s: err.retryAfter }) : t('err.rate');
  if (code === 'limit_reached') {
    const name = limitName(err.limit);
    if (name && err.value != null) return t('err.limitOf', { limit: name, value: Number(err.value).toLocaleString() });
    return t('err.limit');
  }
  if (CODES[code]) return t(CODES[code]);
  return err.status >= 500 ? t('err.server') : t('err.generic');
}

// A field's reason from a 422 answer (`fields: {name: "must be at most 50 characters"}`), in
// the UI's language. Reasons this UI does not know read as "invalid value", never English.
const n = (s) => Number(s).toLocaleString();
const REASONS = [
  [/^is required$/, () => t('reason.required')],
  [/^must be at least (\d+) characters?$/, (m) => t('reason.minChars', { n: m[1] })],
  [/^must be at most (\d+) characters?$/, (m) => t('reason.maxChars', { n: m[1] })],
  [/^must be (\d+) to (\d+) characters$/, (m) => t('reason.chars', { min: m[1], max: m[2] })],
  [/^must be 1–32 characters of a–z, 0–9 and '-'$/, () => t('reason.slug')],
  [/^must be (?:a whole number )?from (-?\d+) to (-?\d+)$/, (m) => t('reason.int', { min: n(m[1]), max: n(m[2]) })],
  [/^must be at least (\d+)$/, (m) => t('reason.atLeast', { n: n(m[1]) })],
  [/^must not be negative$/, () => t('reason.atLeast', { n: 0 })],
  [/^must not contain control characters$/, () => t('reason.control')],
  [/^must be an IP address or a host name$/, () => t('reason.host')],
  [/^must be a date YYYY-MM-DD$/, () => t('reason.date')],
  [/^must not be after to$/, () => t('reason.dateOrder')],
  [/^must not exceed max$/, () => t('reason.notAboveMax')],
  [/^must not exceed the number of options \((\d+)\)$/, (m) => t('reason.maxOptions', { n: m[1] })],
  [/^must hold 1 to (\d+) lines$/, (m) => t('reason.lines', { n: m[1] })],
  [/^is not a known IANA timezone$/, () => t('reason.timezone')],
  [/^is not your current password$/, () => t('reason.currentPassword')],
  [/^must be (\d+) to (\d+) digits$/, (m) => t('reason.digits', { min: m[1], max: m[2] })],
  [/^must be from (\d+) to (\d+) minutes$/, (m) => t('reason.minutes', { min: m[1], max: m[2] })],
  [/^must be an hour from 0 to 23$/, () => t('reason.hour')],
];
export function reasonText(reason) {
  const s = String(reason ?? '').trim();
  for (const [re, fn] of REASONS) {
    const m = re.exec(s);
    if (m) return fn(m);
  }
  return t('reason.invalid');
}
