// UI text: the language engine, the Korean (default) and English strings every page shares
// (common words, connection, errors, the staff login, times ago), and the tablet's own.
// Japanese and Chinese tablet strings live in strings-ja.js and strings-zh.js, the other
// apps' in strings-staff.js, strings-kitchen.js and strings-hq.js. Static markup uses
// data-i18n (text), data-i18n-placeholder, data-i18n-aria and data-i18n-title.

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
  'conn.connecting': '연결 중…',
  'err.network': '서버에 연결할 수 없습니다. 와이파이를 확인하세요.',
  'err.rate': '요청이 너무 많습니다. 잠시 후 다시 시도하세요.',
  'err.rateIn': '요청이 너무 많습니다. {s}초 후에 다시 시도하세요.',
  'err.generic': '문제가 발생했습니다.',
  'err.server': '서버에서 문제가 생겼습니다. 잠시 후 다시 시도하세요.',
  'err.unauthorized': '로그인 정보가 맞지 않거나 만료되었습니다.',
  'err.forbidden': '이 작업을 할 수 있는 권한이 없습니다.',
  'err.notFound': '찾을 수 없습니다. 이미 삭제되었을 수 있습니다.',
  'err.conflict': '지금은 할 수 없는 작업입니다. 화면을 새로 고쳐 확인하세요.',
  'err.transition': '주문 상태가 이미 바뀌었습니다.',
  'err.validation': '입력한 내용을 확인하세요.',
  'err.badRequest': '요청을 처리할 수 없습니다.',
  'err.itemUnavailable': '품절된 메뉴가 있습니다.',
  'err.tooLarge': '보낸 내용이 너무 큽니다.',
  'err.mediaType': '지원하지 않는 파일 형식입니다.',
  'err.unavailable': '서버가 지금 저장하지 못했습니다. 잠시 후 다시 시도하세요.',
  'err.storage': '저장 공간이 부족합니다.',
  'err.limit': '허용된 한도에 도달했습니다.',
  'err.limitOf': '한도에 도달했습니다: {limit} 최대 {value}',
  'reason.required': '필수 항목입니다',
  'reason.minChars': '{n}자 이상 입력하세요',
  'reason.maxChars': '{n}자 이하로 입력하세요',
  'reason.chars': '{min}–{max}자로 입력하세요',
  'reason.slug': '영문 소문자, 숫자, 하이픈(-)으로 1–32자',
  'reason.int': '{min}부터 {max} 사이의 정수로 입력하세요',
  'reason.atLeast': '{n} 이상이어야 합니다',
  'reason.control': '줄바꿈 같은 제어 문자는 쓸 수 없습니다',
  'reason.host': 'IP 주소나 호스트 이름을 입력하세요',
  'reason.date': '날짜(YYYY-MM-DD)를 입력하세요',
  'reason.dateOrder': '종료일보다 늦을 수 없습니다',
  'reason.notAboveMax': '최대값보다 클 수 없습니다',
  'reason.maxOptions': '옵션 수({n}개)보다 클 수 없습니다',
  'reason.lines': '한 번에 1–{n}줄까지 주문할 수 있습니다',
  'reason.timezone': '알 수 없는 시간대입니다',
  'reason.currentPassword': '현재 비밀번호가 맞지 않습니다',
  'reason.invalid': '올바르지 않은 값입니다',
  'limit.max_tables': '테이블 수',
  'limit.max_menu_items': '메뉴 수',
  'limit.max_categories': '카테고리 수',
  'limit.max_active_orders': '처리 중인 주문 수',
  'limit.max_active_orders_per_table': '테이블당 처리 중인 주문 수',
  'limit.max_staff_streams': '직원 화면 실시간 연결 수',
  'limit.max_streams': '전체 실시간 연결 수',
  'limit.orders_per_minute': '테이블당 분당 주문 수',
  'limit.logins_per_minute': '주소당 분당 로그인 시도',
  'limit.box_logins_per_minute': '기기 전체 분당 로그인 시도',
  'limit.pins_per_minute': '단말기·주소당 분당 틀린 PIN',
  'limit.max_connections_per_address': '주소당 동시 연결 수',
  'limit.max_option_groups': '옵션 그룹 수',
  'limit.max_options_per_group': '그룹당 옵션 수',
  'limit.event_retention_days': '이벤트 보관 기간 (일)',
  'conn.lost': '서버와 연결이 끊겼습니다. 다시 연결하는 중…',
  'status.pending': '대기중',
  'status.preparing': '준비중',
  'status.completed': '완료',
  'status.cancelled': '취소',
  'ago.now': '방금 전',
  'ago.sec': '{n}초 전',
  'ago.min': '{n}분 전',
  'ago.hour': '{n}시간 전',
  'ago.day': '{n}일 전',

  // The staff login (dashboard and kitchen display: staff-login.js).
  'login.store': '매장 ID',
  'login.username': '아이디',
  'login.password': '비밀번호',
  'login.submit': '로그인',
  'login.logout': '로그아웃',
  'login.expired': '로그인이 만료되었습니다. 다시 로그인하세요.',
  'login.required': '모든 항목을 입력하세요.',
  'login.rejected': '매장 ID, 아이디 또는 비밀번호가 맞지 않습니다.',

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
  'order.autoRetry': '연결이 돌아오면 저절로 다시 확인합니다. 두 번 주문되지 않습니다.',
  'orders.none': '아직 주문이 없습니다.',
  'orders.no': '주문 #{n}',
  'orders.sessionTotal': '총 주문 금액',
  'done.title': '주문이 접수되었습니다',
  'done.number': '주문번호',
  'done.hint': '잠시 후 메뉴 화면으로 돌아갑니다',
  'call.sent': '직원을 호출했습니다. 잠시만 기다려 주세요.',
  'call.waiting': '호출 중…',
  'call.acked': '직원이 호출을 확인했습니다.',
  'table.bill': '계산 요청',
  'bill.confirm': '계산을 요청할까요?',
  'bill.detail': '총 주문 금액 {total} · 직원이 자리로 찾아갑니다.',
  'bill.ok': '계산 요청',
  'bill.sent': '계산을 요청했습니다. 직원이 곧 자리로 갑니다.',
  'bill.waiting': '계산 요청됨',
  'bill.acked': '직원이 계산 요청을 확인했습니다.',
  'bill.noOrders': '아직 주문한 메뉴가 없습니다.',
  'staffCheck.title': '직원 확인',
  'staffCheck.help': '태블릿 설정을 바꾸려면 직원 아이디와 비밀번호를 입력하세요.',
  'staffCheck.username': '직원 아이디',
  'staffCheck.password': '비밀번호',
  'staffCheck.ok': '확인',
  'staffCheck.required': '아이디와 비밀번호를 모두 입력하세요.',
  'staffCheck.wrong': '아이디나 비밀번호가 맞지 않습니다.',
  'cart.soldOutOnly': '품절된 메뉴만 담겨 있음',
  'call.pickTitle': '무엇을 가져다 드릴까요?',
  'call.reason.water': '물',
  'call.reason.plates': '앞접시',
  'call.reason.cutlery': '수저',
  'call.reason.wipes': '물티슈',
  'call.justStaff': '직원만 부르기',
  'call.waitingFor': '{what} 요청 중',
  'call.sentFor': '{what}{을:what} 요청했습니다. 잠시만 기다려 주세요.',
  'call.already': '이미 부른 직원이 오는 중입니다: {what}',
  'call.stillOpen': '이미 부른 직원이 오는 중입니다 ({what}). 오면 함께 말씀해 주세요.',
  'call.alreadyPlain': '부른 직원이 오는 중입니다.',
  'call.stillOpenPlain': '이미 부른 직원이 오는 중입니다. 오면 함께 말씀해 주세요.',
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
  'order.unavailable': '품절되어 주문할 수 없습니다: {names}',
  'table.pageTitle': '테이블 {n} 주문',
  'kiosk.fullscreen': '전체 화면',
  'menu.categories': '카테고리',
  'setup.codeUsed': '이 QR 코드는 이미 사용했거나 만료되었습니다. 직원 화면에서 새로 인쇄하거나 아래에 직접 입력하세요.',
  'setup.expired': '로그인이 만료되었습니다. 테이블 비밀번호를 입력하거나 새 QR 코드로 다시 설정하세요.',
  'order.invalid': '주문 내용을 다시 확인해 주세요.',

  // The PIN pad of a shared terminal (staff-login.js, pinpad.js) and the staff roles.
  'pin.label': 'PIN',
  'pin.ok': '확인',
  'pin.back': '한 자리 지우기',
  'pin.format': 'PIN은 {min}–{max}자리 숫자입니다.',
  'pin.prompt': 'PIN을 입력하세요',
  'pin.usePassword': '아이디와 비밀번호로 로그인',
  'pin.usePin': 'PIN으로 로그인',
  'pin.wrong': 'PIN이 맞지 않습니다.',
  'pin.wait': 'PIN을 너무 많이 입력했습니다. {s}초 후에 다시 입력하세요.',
  'pin.locked': '이 단말기는 잠겼습니다',
  'pin.lockedHelp': 'PIN이 10번 연속 틀렸습니다. 매니저가 아이디와 비밀번호로 로그인해 [직원 › 단말기] 화면에서 잠금을 풀어 주세요.',
  'pin.lockedShort': '단말기가 잠겨 PIN으로 로그인할 수 없습니다.',
  'pin.idle': '한동안 사용하지 않아 잠겼습니다. PIN을 입력하세요.',
  'role.owner': '사장',
  'role.manager': '매니저',
  'role.server': '홀 직원',
  'role.kitchen': '주방',
  'who.switch': '사용자 전환',
  'reason.digits': '{min}–{max}자리 숫자로 입력하세요',
  'reason.minutes': '{min}부터 {max}분 사이로 입력하세요',
  'reason.hour': '0부터 23시 사이로 입력하세요',

  // Guests (인원): the tablet asks before a visit's first order; staff set it (guests.js).
  'guests.title': '몇 분이세요?',
  'guests.n': '{n}명',
  'guests.less': '한 명 빼기',
  'guests.more': '한 명 더',
  'guests.ok': '{n}명 · 주문하기',
  'moved.away': '주문 내역이 {n}번 테이블로 옮겨졌습니다.',
  'moved.here': '{n}번 테이블의 주문이 이 테이블로 옮겨졌습니다.',

  // Sold-out switches (soldout.js: the dashboard and the kitchen display).
  'so.help': '다 떨어진 메뉴와 옵션을 품절로 바꾸면 손님 태블릿에 바로 "품절"로 나옵니다.',
  'so.count': '지금 품절 {n}개',
  'so.none': '품절된 메뉴가 없습니다.',
  'so.option': '옵션',
  'menu.onSale': '판매중',
  'menu.availableHint': '판매중 / 품절 전환',
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
  'conn.connecting': 'Connecting…',
  'err.network': 'Cannot reach the server. Check the Wi-Fi.',
  'err.rate': 'Too many requests. Try again in a moment.',
  'err.rateIn': 'Too many attempts. Try again in {s} s.',
  'err.generic': 'Something went wrong.',
  'err.server': 'The server ran into a problem. Try again in a moment.',
  'err.unauthorized': 'The sign-in is wrong or has expired.',
  'err.forbidden': 'You are not allowed to do this.',
  'err.notFound': 'Not found. It may have been deleted.',
  'err.conflict': 'This cannot be done right now. Refresh and check.',
  'err.transition': 'The order’s status has changed already.',
  'err.validation': 'Please check what you entered.',
  'err.badRequest': 'The request could not be handled.',
  'err.itemUnavailable': 'Something is sold out.',
  'err.tooLarge': 'What was sent is too large.',
  'err.mediaType': 'This file type is not supported.',
  'err.unavailable': 'The server could not save this just now. Try again in a moment.',
  'err.storage': 'Not enough free disk space.',
  'err.limit': 'A limit has been reached.',
  'err.limitOf': 'Limit reached: {limit}, at most {value}',
  'reason.required': 'Required',
  'reason.minChars': 'At least {n} characters',
  'reason.maxChars': 'At most {n} characters',
  'reason.chars': '{min} to {max} characters',
  'reason.slug': '1–32 characters: a–z, 0–9 and -',
  'reason.int': 'A whole number from {min} to {max}',
  'reason.atLeast': 'At least {n}',
  'reason.control': 'Line breaks and control characters are not allowed',
  'reason.host': 'An IP address or a host name',
  'reason.date': 'A date (YYYY-MM-DD)',
  'reason.dateOrder': 'Must not be after the end date',
  'reason.notAboveMax': 'At most the maximum',
  'reason.maxOptions': 'At most the number of options ({n})',
  'reason.lines': '1 to {n} lines per order',
  'reason.timezone': 'Unknown timezone',
  'reason.currentPassword': 'Not your current password',
  'reason.invalid': 'Invalid value',
  'limit.max_tables': 'Tables',
  'limit.max_menu_items': 'Menu items',
  'limit.max_categories': 'Categories',
  'limit.max_active_orders': 'Open orders',
  'limit.max_active_orders_per_table': 'Open orders per table',
  'limit.max_staff_streams': 'Live staff screens',
  'limit.max_streams': 'Live connections in all',
  'limit.orders_per_minute': 'Orders per minute per table',
  'limit.logins_per_minute': 'Login attempts per minute per address',
  'limit.box_logins_per_minute': 'Login attempts per minute in all',
  'limit.pins_per_minute': 'Wrong PINs per minute per terminal and address',
  'limit.max_connections_per_address': 'Connections per address',
  'limit.max_option_groups': 'Option groups',
  'limit.max_options_per_group': 'Options per group',
  'limit.event_retention_days': 'Events kept (days)',
  'conn.lost': 'Connection to the server lost. Reconnecting…',
  'status.pending': 'Pending',
  'status.preparing': 'Preparing',
  'status.completed': 'Completed',
  'status.cancelled': 'Cancelled',
  'ago.now': 'just now',
  'ago.sec': '{n} s ago',
  'ago.min': '{n} min ago',
  'ago.hour': '{n} h ago',
  'ago.day': '{n} d ago',

  'login.store': 'Store id',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Log in',
  'login.logout': 'Log out',
  'login.expired': 'Your session expired. Please log in again.',
  'login.required': 'Fill in every field.',
  'login.rejected': 'Store id, username or password is wrong.',

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
  'order.autoRetry': 'It is checked again by itself once the connection is back; it is never ordered twice.',
  'orders.none': 'No orders yet.',
  'orders.no': 'Order #{n}',
  'orders.sessionTotal': 'Total ordered',
  'done.title': 'Order received',
  'done.number': 'Order number',
  'done.hint': 'Back to the menu in a moment',
  'call.sent': 'Staff have been called. Please wait a moment.',
  'call.waiting': 'Calling…',
  'call.acked': 'Staff saw your call.',
  'table.bill': 'Ask for the bill',
  'bill.confirm': 'Ask for the bill?',
  'bill.detail': 'Total ordered {total}. Staff will come to your table.',
  'bill.ok': 'Ask for the bill',
  'bill.sent': 'We asked for your bill. Staff will be with you shortly.',
  'bill.waiting': 'Bill asked',
  'bill.acked': 'Staff saw your request for the bill.',
  'bill.noOrders': 'Nothing has been ordered yet.',
  'staffCheck.title': 'Staff only',
  'staffCheck.help': 'To change this tablet’s setup, enter a staff username and password.',
  'staffCheck.username': 'Staff username',
  'staffCheck.password': 'Password',
  'staffCheck.ok': 'Continue',
  'staffCheck.required': 'Enter both the username and the password.',
  'staffCheck.wrong': 'The username or password is wrong.',
  'cart.soldOutOnly': 'Only sold-out items',
  'call.pickTitle': 'What can we bring you?',
  'call.reason.water': 'Water',
  'call.reason.plates': 'Plates',
  'call.reason.cutlery': 'Cutlery',
  'call.reason.wipes': 'Wet wipes',
  'call.justStaff': 'Just call staff',
  'call.waitingFor': '{what} coming',
  'call.sentFor': 'Asked for: {what}. Please wait a moment.',
  'call.already': 'Staff are on their way: {what}',
  'call.stillOpen': 'Staff are already on their way ({what}). Please tell them when they come.',
  'call.alreadyPlain': 'Staff are on their way.',
  'call.stillOpenPlain': 'Staff are already on their way. Please tell them when they come.',
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
  'table.pageTitle': 'Table {n} ordering',
  'kiosk.fullscreen': 'Full screen',
  'menu.categories': 'Categories',
  'setup.codeUsed': 'This QR code was used already or has expired. Print a new one from the staff dashboard, or enter the details below.',
  'setup.expired': 'The login has expired. Enter the table password, or set the tablet up again with a new QR code.',
  'order.invalid': 'Please check your order.',

  'pin.label': 'PIN',
  'pin.ok': 'OK',
  'pin.back': 'Delete a digit',
  'pin.format': 'A PIN is {min} to {max} digits.',
  'pin.prompt': 'Enter your PIN',
  'pin.usePassword': 'Log in with username and password',
  'pin.usePin': 'Log in with a PIN',
  'pin.wrong': 'Wrong PIN.',
  'pin.wait': 'Too many PINs. Try again in {s} s.',
  'pin.locked': 'This terminal is locked',
  'pin.lockedHelp': 'Ten wrong PINs in a row. A manager logs in with username and password and unlocks it on the Staff › Terminals page.',
  'pin.lockedShort': 'The terminal is locked: PIN logins are refused.',
  'pin.idle': 'Locked after a while without use. Enter your PIN.',
  'role.owner': 'Owner',
  'role.manager': 'Manager',
  'role.server': 'Server',
  'role.kitchen': 'Kitchen',
  'who.switch': 'Switch user',
  'reason.digits': '{min} to {max} digits',
  'reason.minutes': 'From {min} to {max} minutes',
  'reason.hour': 'An hour from 0 to 23',

  'guests.title': 'How many guests?',
  'guests.n': '{n} guests',
  'guests.n.one': '1 guest',
  'guests.less': 'One fewer',
  'guests.more': 'One more',
  'guests.ok': '{n} · Place order',
  'moved.away': 'Your orders moved to table {n}.',
  'moved.here': 'The orders of table {n} moved to this table.',

  'so.help': 'Items and options marked sold out show as "Sold out" on the guests’ tablets at once.',
  'so.count': '{n} sold out now',
  'so.none': 'Nothing is sold out.',
  'so.option': 'Option',
  'menu.onSale': 'On sale',
  'menu.availableHint': 'On sale / sold out',
};

// Languages the tablet offers, each named in itself.
export const LANGS = ['ko', 'en', 'ja', 'zh'];
export const LANG_NAMES = { ko: '한국어', en: 'English', ja: '日本語', zh: '中文' };

const dicts = { ko, en, ja: {}, zh: {} };
// Where the choice is kept: one for the dashboard, the tablet and /setup; the kitchen display
// and the HQ page keep their own (setLangKey), so a kitchen can read Korean whatever the
// dashboard on the same device shows.
let langKey = 'tableorder.lang';
// The dashboard speaks Korean and English; the tablet widens this with setLanguages.
let supported = ['ko', 'en'];
const pick = (l) => (supported.includes(l) ? l : 'ko');
let current = pick(localStorage.getItem(langKey));
const listeners = [];

// Called once, before the page shows anything.
export function setLangKey(key) {
  langKey = key;
  current = pick(localStorage.getItem(key));
}

export const lang = () => current;
// Whether the current language (or the fallbacks t() uses) has a text for the key.
export const has = (key) => (dicts[current][key] ?? en[key] ?? ko[key]) != null;
export const setLanguages = (langs) => (supported = langs.slice());

// Japanese and Chinese fall back to English, which tourists read more often than Korean.
// Plurals: with {n} = 1 a language's "<key>.one" wins where it has one ("1 session"). Korean
// particles follow the word before them: "{을:name}" becomes 을 or 를 as the value of {name}
// ends (also 이/가, 은/는, 과/와, 으로/로), so no string needs "을(를)".
export function t(key, vars) {
  const one = vars && Number(vars.n) === 1 ? text(key + '.one') : undefined;
  let s = one ?? text(key) ?? key;
  if (vars) {
    s = s.replace(/\{(을|를|이|가|은|는|과|와|으로|로):(\w+)\}/g, (m, p, k) => (k in vars ? particle(String(vars[k]), p) : m));
    // One pass, each value put in as it is: a name holding "{n}" or "$&" is not read as a
    // placeholder or a replacement pattern.
    s = s.replace(/\{(\w+)\}/g, (m, k) => (Object.hasOwn(vars, k) ? String(vars[k]) : m));
  }
  return s;
}
const text = (key) => dicts[current][key] ?? (current === 'ko' ? undefined : en[key]) ?? ko[key];

// Which particle fits after a word: by its last Hangul syllable's final consonant, or how its
// last digit or Latin letter is read (1 일, 2 이; …l, …m, …n end in a consonant).
const PAIRS = { 을: ['을', '를'], 를: ['을', '를'], 이: ['이', '가'], 가: ['이', '가'], 은: ['은', '는'], 는: ['은', '는'], 과: ['과', '와'], 와: ['과', '와'], 으로: ['으로', '로'], 로: ['으로', '로'] };
export function particle(word, p) {
  const [closed, open] = PAIRS[p] || [p, p];
  const w = word.replace(/[\s"'”’)\]」』.]+$/u, '');
  const c = w.slice(-1);
  const code = c.charCodeAt(0);
  let jong = -1; // 0 = no final consonant, 8 = ㄹ
  if (code >= 0xac00 && code <= 0xd7a3) jong = (code - 0xac00) % 28;
  else if (/[0-9]/.test(c)) jong = [1, 8, 0, 16, 0, 0, 1, 8, 8, 0][Number(c)];
  else if (/[a-z]/i.test(c)) jong = /l/i.test(c) ? 8 : /[mn]/i.test(c) ? 4 : 0;
  else jong = 0;
  if (closed === '으로') return jong === 0 || jong === 8 ? open : closed;
  return jong === 0 ? open : closed;
}

export function applyI18n(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAria));
    el.title = t(el.dataset.i18nAria);
  }
  // A hint only: the element's own text stays its accessible name.
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

// `save: false` changes the language without remembering it (the tablet keeps its own
// choice, which resets when the guests leave).
export function setLang(l, { save = true } = {}) {
  const next = pick(l);
  const changed = next !== current;
  current = next;
  if (save) localStorage.setItem(langKey, current);
  applyI18n();
  if (changed || save) for (const fn of listeners) fn(current);
}
export const toggleLang = () => setLang(current === 'ko' ? 'en' : 'ko');
export const onLangChange = (fn) => listeners.push(fn);

// The Korean/English switch of the staff pages: every [data-action=lang] button toggles, and
// its .lang-label names the language it switches to.
export function initLangSwitch() {
  const label = () => {
    for (const x of document.querySelectorAll('.lang-label')) x.textContent = current === 'ko' ? 'EN' : '한국어';
  };
  for (const b of document.querySelectorAll('[data-action=lang]')) b.addEventListener('click', toggleLang);
  label();
  onLangChange(label);
}

export const addStrings = (more) => {
  for (const [l, strings] of Object.entries(more)) Object.assign((dicts[l] ??= {}), strings);
};
