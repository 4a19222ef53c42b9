// UI text: the language engine plus the tablet's Korean (default) and English strings.
// Japanese and Chinese tablet strings live in strings-ja.js and strings-zh.js, the
// dashboard's in strings-staff.js. Static markup uses data-i18n (text),
// data-i18n-placeholder and data-i18n-aria.

const ko = {
  'common.ok': '확인',
  'common.cancel': '취소',
  'common.close': '닫기',
  'common.save': '저장',
  'common.delete': '삭제',
  'common.edit': '수정',
  'common.add': '추가',
  'common.loading': '불러오는 중…',
  'common.refresh': '새로고침',
  'common.saved': '저장했습니다',
  'common.none': '없음',
  'conn.up': '연결됨',
  'conn.down': '연결 끊김',
  'err.network': '서버에 연결할 수 없습니다. 와이파이를 확인하세요.',
  'err.rate': '요청이 너무 많습니다. 잠시 후 다시 시도하세요.',
  'err.generic': '문제가 발생했습니다.',
  'status.pending': '대기중',
  'status.preparing': '준비중',
  'status.completed': '완료',
  'status.cancelled': '취소',

  'setup.title': '태블릿 설정',
  'setup.help': '매장 ID, 테이블 번호, 테이블 비밀번호를 입력하세요.',
  'setup.store': '매장 ID',
  'setup.table': '테이블 번호',
  'setup.password': '비밀번호',
  'setup.connect': '연결',
  'setup.rejected': '매장 ID, 테이블 번호 또는 비밀번호가 맞지 않습니다.',
  'setup.required': '모든 항목을 입력하세요.',

  'table.label': '테이블 {n}',
  'table.myOrders': '주문 내역',
  'table.call': '직원 호출',
  'table.sessionEnded': '이용해 주셔서 감사합니다.',
  'menu.soldOut': '품절',
  'menu.add': '담기',
  'menu.empty': '준비된 메뉴가 없습니다.',
  'cart.title': '장바구니',
  'cart.items': '{n}개 담음',
  'cart.empty': '담은 메뉴가 없습니다',
  'cart.order': '주문하기',
  'cart.place': '주문하기',
  'cart.sending': '주문 보내는 중…',
  'cart.clear': '비우기',
  'cart.clearConfirm': '장바구니를 비울까요?',
  'cart.total': '합계',
  'cart.less': '하나 빼기',
  'cart.more': '하나 더',
  'cart.remove': '삭제',
  'cart.removeSoldOut': '품절된 메뉴를 빼고 주문해 주세요.',
  'order.unknown': '주문이 전달되었는지 확인하지 못했습니다.',
  'order.retry': '다시 시도',
  'orders.none': '아직 주문이 없습니다.',
  'orders.no': '주문 #{n}',
  'orders.sessionTotal': '총 주문 금액',
  'done.title': '주문이 접수되었습니다',
  'done.number': '주문번호',
  'done.hint': '잠시 후 메뉴 화면으로 돌아갑니다',
  'call.sent': '직원을 호출했습니다. 잠시만 기다려 주세요.',
  'call.waiting': '호출 중…',
  'call.acked': '직원이 호출을 확인했습니다.',
  'lang.choose': '언어 선택',
  'menu.details': '자세히 보기',
  'sheet.required': '필수',
  'sheet.upTo': '최대 {n}개',
  'sheet.atLeast': '{n}개 이상',
  'sheet.quantity': '수량',
  'sheet.note': '요청사항',
  'sheet.notePlaceholder': '요청사항 (예: 덜 맵게)',
  'sheet.add': '담기 · {price}',
  'sheet.update': '변경 · {price}',
  'sheet.chooseRequired': '필수 옵션을 선택해 주세요',
  'cart.edit': '옵션 변경',
  'cart.recheck': '옵션을 다시 선택해 주세요',
  'cart.fixLines': '표시된 메뉴의 옵션을 다시 선택해 주세요.',
  'order.unavailable': '품절된 메뉴나 옵션이 있습니다: {names}',
  'order.invalid': '주문 내용을 다시 확인해 주세요.',
};

const en = {
  'common.ok': 'OK',
  'common.cancel': 'Cancel',
  'common.close': 'Close',
  'common.save': 'Save',
  'common.delete': 'Delete',
  'common.edit': 'Edit',
  'common.add': 'Add',
  'common.loading': 'Loading…',
  'common.refresh': 'Refresh',
  'common.saved': 'Saved',
  'common.none': 'None',
  'conn.up': 'Live',
  'conn.down': 'Offline',
  'err.network': 'Cannot reach the server. Check the Wi-Fi.',
  'err.rate': 'Too many requests. Try again in a moment.',
  'err.generic': 'Something went wrong.',
  'status.pending': 'Pending',
  'status.preparing': 'Preparing',
  'status.completed': 'Completed',
  'status.cancelled': 'Cancelled',

  'setup.title': 'Tablet setup',
  'setup.help': 'Enter the store id, table number and table password.',
  'setup.store': 'Store id',
  'setup.table': 'Table number',
  'setup.password': 'Password',
  'setup.connect': 'Connect',
  'setup.rejected': 'Store id, table number or password is wrong.',
  'setup.required': 'Fill in every field.',

  'table.label': 'Table {n}',
  'table.myOrders': 'My orders',
  'table.call': 'Call staff',
  'table.sessionEnded': 'Thank you for visiting.',
  'menu.soldOut': 'Sold out',
  'menu.add': 'Add',
  'menu.empty': 'No menu items yet.',
  'cart.title': 'Cart',
  'cart.items': '{n} in cart',
  'cart.empty': 'Your cart is empty',
  'cart.order': 'Order',
  'cart.place': 'Place order',
  'cart.sending': 'Sending order…',
  'cart.clear': 'Clear',
  'cart.clearConfirm': 'Empty the cart?',
  'cart.total': 'Total',
  'cart.less': 'One less',
  'cart.more': 'One more',
  'cart.remove': 'Remove',
  'cart.removeSoldOut': 'Remove the sold-out items to order.',
  'order.unknown': 'We could not confirm the order.',
  'order.retry': 'Try again',
  'orders.none': 'No orders yet.',
  'orders.no': 'Order #{n}',
  'orders.sessionTotal': 'Total ordered',
  'done.title': 'Order received',
  'done.number': 'Order number',
  'done.hint': 'Back to the menu in a moment',
  'call.sent': 'Staff have been called. Please wait a moment.',
  'call.waiting': 'Calling…',
  'call.acked': 'Staff saw your call.',
  'lang.choose': 'Language',
  'menu.details': 'Details',
  'sheet.required': 'Required',
  'sheet.upTo': 'Up to {n}',
  'sheet.atLeast': 'At least {n}',
  'sheet.quantity': 'Quantity',
  'sheet.note': 'Request',
  'sheet.notePlaceholder': 'Request (e.g. less spicy)',
  'sheet.add': 'Add · {price}',
  'sheet.update': 'Update · {price}',
  'sheet.chooseRequired': 'Please make the required choices',
  'cart.edit': 'Change options',
  'cart.recheck': 'Please choose the options again',
  'cart.fixLines': 'Choose the options of the marked items again.',
  'order.unavailable': 'Sold out: {names}',
  'order.invalid': 'Please check your order.',
};

// Languages the tablet offers, each named in itself.
export const LANGS = ['ko', 'en', 'ja', 'zh'];
export const LANG_NAMES = { ko: '한국어', en: 'English', ja: '日本語', zh: '中文' };

const dicts = { ko, en, ja: {}, zh: {} };
const LANG_KEY = 'tableorder.lang';
// The dashboard speaks Korean and English; the tablet widens this with setLanguages.
let supported = ['ko', 'en'];
const pick = (l) => (supported.includes(l) ? l : 'ko');
let current = pick(localStorage.getItem(LANG_KEY));
const listeners = [];

export const lang = () => current;
export const setLanguages = (langs) => (supported = langs.slice());

// Japanese and Chinese fall back to English, which tourists read more often than Korean.
export function t(key, vars) {
  let s = dicts[current][key] ?? (current === 'ko' ? undefined : en[key]) ?? ko[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, v);
  return s;
}

export function applyI18n(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAria));
    el.title = t(el.dataset.i18nAria);
  }
}

// `save: false` changes the language without remembering it (the tablet keeps its own
// choice, which resets when the guests leave).
export function setLang(l, { save = true } = {}) {
  const next = pick(l);
  const changed = next !== current;
  current = next;
  if (save) localStorage.setItem(LANG_KEY, current);
  applyI18n();
  if (changed || save) for (const fn of listeners) fn(current);
}
export const toggleLang = () => setLang(current === 'ko' ? 'en' : 'ko');
export const onLangChange = (fn) => listeners.push(fn);
export const addStrings = (more) => {
  for (const [l, strings] of Object.entries(more)) Object.assign((dicts[l] ??= {}), strings);
};
