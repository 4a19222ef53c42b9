// The kitchen in Chromium against a demo server, with a fake network printer in this
// process: stations and the printer set up through the dashboard, a test print, tickets on
// the kitchen display within a second and on paper in CP949, bumps completing the order on
// the tablet, undo, a printer out of paper shown loudly on the dashboard, reprints.
// usage: node kitchen.mjs http://127.0.0.1:PORT   (run.sh starts the server, after flow.mjs)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startFakePrinter, ticketHtml } from './escpos.mjs';
import { client, sleep, runner } from './lib.mjs';

const BASE = (process.argv[2] || '').replace(/\/$/, '');
if (!BASE) {
  console.error('usage: node kitchen.mjs <base-url>');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.E2E_SHOTS || fs.mkdtempSync(path.join(os.tmpdir(), 'tableorder-shots-'));
fs.mkdirSync(SHOTS, { recursive: true });
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WAIT = 10_000;
const TABLE_A = 4;
// The dishes and options this test orders.
const USED = {
  items: ['김치찌개', '콜라', '계란말이', '해물파전', '불고기 정식', '맥주', '비빔밥'],
  options: ['매운맛', '라면사리', '큰 사이즈', '곱빼기', '아주 매운맛', '떡사리', '치즈'],
};
const TABLE_B = 9;

// ---------- a small sequential runner: a failed step skips the rest ----------

const { step, run } = runner();
const pageErrors = [];
let ctx;
let profileDir;

function watch(page, name) {
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  // The browser logs every 4xx itself; the test causes a few on purpose (a taken name).
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && pageErrors.push(`${name} console: ${m.text()}`));
  return page;
}

async function settle(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.effect.getComputedTiming().iterations === Infinity || a.playState !== 'running'),
  );
}

async function noSidewaysScroll(page, label) {
  const [sw, iw] = await page.evaluate(() => [document.scrollingElement.scrollWidth, window.innerWidth]);
  assert.ok(sw <= iw, `${label}: page scrolls sideways (scrollWidth ${sw} > innerWidth ${iw})`);
}

async function shoot(page, name, width, height) {
  await page.setViewportSize({ width, height });
  await settle(page);
  await page.screenshot({ path: path.join(SHOTS, `${name}-${width}x${height}.png`) });
  await noSidewaysScroll(page, `${name} ${width}x${height}`);
}

// Every element matching `selector` lies inside the viewport (nothing cut off at the edges).
async function allInside(page, selector, label) {
  const vp = page.viewportSize();
  for (const box of await page.locator(selector).evaluateAll((els) => els.filter((e) => e.offsetParent).map((e) => e.getBoundingClientRect().toJSON()))) {
    assert.ok(box.x >= 0 && box.x + box.width <= vp.width + 0.5, `${label}: ${selector} is cut off at x=${box.x}…${box.x + box.width}`);
  }
}

// ---------- the API as the tablets and the test see it ----------

const { call, login } = client(BASE);

let menu; // the guest menu: item and option ids by name
const item = (name) => menu.categories.flatMap((c) => c.items).find((i) => i.name === name);
function line(name, quantity, optionNames = [], note) {
  const it = item(name);
  assert.ok(it, `the demo menu has ${name}`);
  const option_ids = optionNames.map((o) => {
    const opt = it.option_groups.flatMap((g) => g.options).find((x) => x.name === o);
    assert.ok(opt, `${name} has the option ${o}`);
    return opt.id;
  });
  return { menu_item_id: it.id, quantity, option_ids, ...(note ? { note } : {}) };
}
let keyN = 0;
async function placeOrder(tableToken, items) {
  const r = await call('POST', '/api/v1/orders', { token: tableToken, body: { items }, headers: { 'Idempotency-Key': `kitchen-e2e-${Date.now()}-${keyN++}` } });
  assert.equal(r.status, 201, `order: ${JSON.stringify(r.data)}`);
  return r.data;
}
async function orderStatus(tableToken, id) {
  const r = await call('GET', '/api/v1/orders', { token: tableToken });
  return r.data.orders.find((o) => o.id === id)?.status;
}
async function waitFor(fn, what, ms = WAIT) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

// ---------- the flow ----------

const printer = await startFakePrinter();
let staff; // the dashboard
let kds; // the kitchen display, station 주방
let bar; // a second kitchen display, station 바
let adminToken;
let tableA;
let tableB;
let stations;
let kitchenId;
let barId;
let first; // the first order: 김치찌개 ×2 with options and a note, and a 콜라 for the bar
let trouble = []; // orders placed while the printer is out of paper
let barOnly;
let latency;

const card = (page, name) => page.locator(`.stcard[data-name="${name}"]`);
const ticketOf = (page, orderId) => page.locator(`.ticket[data-order-id="${orderId}"]`);
const printsOf = (orderNo, table) =>
  printer.prints().filter((p) => p.lines.some((l) => l.text === `테이블 ${table}`) && p.lines.some((l) => l.text.startsWith(`주문 #${orderNo} `)));

step('the kitchen display asks for a login; staff opens the dashboard: stations & printers lists 주방 (default) and 바', async () => {
  const auth = await login('/api/v1/auth/admin/login', { store_id: 'demo', username: 'admin', password: 'demo1234' });
  adminToken = auth.token;
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tableorder-e2e-kitchen-'));
  ctx = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
    locale: 'ko-KR',
    timezoneId: 'Asia/Seoul',
  });
  // Which sounds the pages make: each oscillator's waveform as it starts (the printer
  // chime is the one square wave).
  await ctx.addInitScript(() => {
    window.__tones = [];
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (...a) {
      window.__tones.push(this.type);
      return start.apply(this, a);
    };
  });
  staff = watch(ctx.pages()[0] || (await ctx.newPage()), 'staff');
  // Not logged in yet, the kitchen display asks for the staff login (a card, like the dashboard's).
  await staff.goto(`${BASE}/kitchen`);
  const loginCard = staff.locator('#login:not([hidden]) .login-card');
  await loginCard.waitFor();
  assert.ok((await loginCard.boundingBox()).width >= 320, 'the kitchen login is a styled card');
  await shoot(staff, 'kds-login', 1280, 800);
  // The login form is flow.mjs's; this browser starts logged in (the kitchen display shares it).
  await staff.goto(`${BASE}/staff`);
  await staff.evaluate((a) => localStorage.setItem('tableorder.staff', JSON.stringify(a)), auth);
  await staff.reload();
  await staff.locator('.nav a[data-view=menu]').click();
  await staff.locator('.subnav a[href="#stations"]').click();
  await card(staff, '바').waitFor();
  assert.deepEqual(await staff.locator('.stcard').evaluateAll((els) => els.map((e) => e.dataset.name)), ['주방', '바']);
  await card(staff, '주방').locator('.rule', { hasText: '기본' }).waitFor();
  assert.match(await card(staff, '바').locator('.st-routes').innerText(), /음료/);
  assert.match(await card(staff, '주방').locator('.st-printer').innerText(), /프린터 없음/);
  assert.equal(await staff.locator('.nav a.active').getAttribute('data-view'), 'menu', 'the page lives under the menu tab');
  stations = (await call('GET', '/api/v1/admin/stations', { token: adminToken })).data;
  // Whatever the guest flow sold out before, the dishes and options ordered here are on sale.
  for (const it of (await call('GET', '/api/v1/admin/menu-items', { token: adminToken })).data)
    if (!it.available && USED.items.includes(it.name)) assert.equal((await call('PATCH', `/api/v1/admin/menu-items/${it.id}`, { token: adminToken, body: { available: true } })).status, 200);
  for (const g of (await call('GET', '/api/v1/admin/option-groups', { token: adminToken })).data)
    for (const o of g.options)
      if (!o.available && USED.options.includes(o.name)) assert.equal((await call('PATCH', `/api/v1/admin/options/${o.id}`, { token: adminToken, body: { available: true } })).status, 200);
  kitchenId = stations.find((s) => s.name === '주방').id;
  barId = stations.find((s) => s.name === '바').id;
});

step('staff adds, renames, reorders and deletes a station; a taken name is refused', async () => {
  const add = staff.locator('form.st-add');
  await add.locator('input[name=name]').fill('튀김');
  await add.locator('button[type=submit]').click();
  await card(staff, '튀김').waitFor();
  await add.locator('input[name=name]').fill('바');
  await add.locator('button[type=submit]').click();
  await add.locator('.field-error', { hasText: '같은 이름의 스테이션이 있습니다' }).waitFor();
  await add.locator('input[name=name]').fill('');
  assert.equal(await add.locator('.field-error').count(), 0, 'typing clears the reason');
  await card(staff, '튀김').locator('[data-action=rename]').click();
  const dlg = staff.locator('dialog[open]');
  await dlg.locator('input[name=name]').fill('튀김기');
  await dlg.locator('button[type=submit]').click();
  await card(staff, '튀김기').waitFor();
  await card(staff, '튀김기').getByRole('button', { name: '위로' }).click();
  await staff.waitForFunction(() => [...document.querySelectorAll('.stcard')].map((e) => e.dataset.name).join() === '주방,튀김기,바');
  const order = (await call('GET', '/api/v1/admin/stations', { token: adminToken })).data.map((s) => s.name);
  assert.deepEqual(order, ['주방', '튀김기', '바'], 'the new order is saved');
  await card(staff, '튀김기').locator('[data-action=delete]').click();
  await staff.locator('dialog.confirm [data-action=confirm]').click();
  await card(staff, '튀김기').waitFor({ state: 'detached' });
  assert.equal(await staff.locator('.stcard').count(), 2);
});

step('staff connects 주방’s printer (the fake printer: 127.0.0.1, cp949, 42 columns) in the dashboard', async () => {
  await card(staff, '주방').locator('[data-action=edit-printer]').click();
  const dlg = staff.locator('dialog[open]');
  assert.equal(await dlg.locator('[name="printer.port"]').inputValue(), '9100', 'port 9100 by default');
  await dlg.locator('[name="printer.host"]').fill('127.0.0.1');
  await dlg.locator('[name="printer.port"]').fill('70000');
  await dlg.locator('button[type=submit]').click();
  await dlg.locator('.field-error', { hasText: '65535' }).waitFor();
  await dlg.locator('[name="printer.port"]').fill(String(printer.port));
  await dlg.locator('[name="printer.encoding"]').selectOption('cp949');
  await dlg.locator('[name="printer.columns"]').selectOption('42');
  await dlg.locator('button[type=submit]').click();
  await dlg.waitFor({ state: 'detached' });
  const box = card(staff, '주방').locator('.st-printer');
  await box.locator('.st-pinfo', { hasText: `127.0.0.1:${printer.port}` }).waitFor();
  assert.match(await box.locator('.st-pinfo').innerText(), /CP949 · 80 mm/);
  await box.locator('.st-status[data-state="ok"] .pstate', { hasText: '정상' }).waitFor();
  const saved = (await call('GET', '/api/v1/admin/stations', { token: adminToken })).data.find((s) => s.id === kitchenId);
  assert.deepEqual(saved.printer, { host: '127.0.0.1', port: printer.port, encoding: 'cp949', columns: 42 });
});

step('the test print button prints a test page: the result shows as printed', async () => {
  const before = printer.prints().length;
  await card(staff, '주방').locator('[data-action=test-print]').click();
  const result = card(staff, '주방').locator('.test-result');
  await result.waitFor();
  assert.equal(await result.getAttribute('data-printed'), 'true', await result.innerText());
  assert.match(await result.innerText(), /테스트 인쇄 완료/);
  const page = printer.prints().slice(before).find((p) => p.lines.some((l) => l.text === '테스트 인쇄'));
  assert.ok(page, 'the fake printer got the test page');
  assert.ok(page.lines.some((l) => l.text.includes('가나다라마바사')), 'Korean sample text decodes from CP949');
  assert.equal(page.cuts, 1);
  await shoot(staff, 'staff-stations', 1280, 800);
  await shoot(staff, 'staff-stations', 768, 1024);
  await allInside(staff, '.stcard button', 'stations 768');
  await staff.setViewportSize({ width: 1280, height: 800 });
});

step('category and item forms route to a station (item: 카테고리 따름 or its own)', async () => {
  await staff.locator('.subnav a[href="#menu"]').click();
  // A category's station.
  await staff.locator('.crow', { hasText: '안주' }).locator('[data-action=edit-category]').click();
  let dlg = staff.locator('dialog[open]');
  const catSel = dlg.locator('select[name=station_id]');
  assert.equal(await catSel.locator('option').first().innerText(), '기본 스테이션 (주방)');
  await catSel.selectOption(String(barId));
  await dlg.locator('button[type=submit]').click();
  await staff.locator('.crow', { hasText: '안주' }).locator('.cstation', { hasText: '바' }).waitFor();
  let cats = (await call('GET', '/api/v1/admin/categories', { token: adminToken })).data;
  assert.equal(cats.find((c) => c.name === '안주').station_id, barId);
  await staff.locator('.crow', { hasText: '안주' }).locator('[data-action=edit-category]').click();
  dlg = staff.locator('dialog[open]');
  await dlg.locator('select[name=station_id]').selectOption('');
  await dlg.locator('button[type=submit]').click();
  await staff.locator('.crow', { hasText: '안주' }).locator('.cstation', { hasText: '주방' }).waitFor();
  cats = (await call('GET', '/api/v1/admin/categories', { token: adminToken })).data;
  assert.equal(cats.find((c) => c.name === '안주').station_id, null);
  // An item's own station beats its category's.
  await staff.locator('.crow', { hasText: '안주' }).locator('.cname').click();
  await staff.locator('.irow[data-name="계란말이"] [data-action=edit]').click();
  dlg = staff.locator('dialog[open]');
  const itemSel = dlg.locator('select[name=station_id]');
  assert.equal(await itemSel.locator('option').first().innerText(), '카테고리 따름 (주방)');
  await dlg.locator('select[name=category_id]').selectOption({ label: '음료' });
  assert.equal(await itemSel.locator('option').first().innerText(), '카테고리 따름 (바)', 'the choice follows the category in the form');
  await dlg.locator('select[name=category_id]').selectOption({ label: '안주' });
  await itemSel.selectOption(String(barId));
  await dlg.locator('button[type=submit]').click();
  await staff.locator('.irow[data-name="계란말이"] .cstation', { hasText: '바' }).waitFor();
  let items = (await call('GET', '/api/v1/admin/menu-items', { token: adminToken })).data;
  assert.equal(items.find((i) => i.name === '계란말이').station_id, barId);
  await staff.locator('.subnav a[href="#stations"]').click();
  await card(staff, '바').locator('.st-routes', { hasText: '메뉴: 계란말이' }).waitFor();
  await staff.locator('.subnav a[href="#menu"]').click();
  await staff.locator('.crow', { hasText: '안주' }).locator('.cname').click();
  await staff.locator('.irow[data-name="계란말이"] [data-action=edit]').click();
  dlg = staff.locator('dialog[open]');
  await dlg.locator('select[name=station_id]').selectOption('');
  await dlg.locator('button[type=submit]').click();
  await staff.locator('.irow[data-name="계란말이"]:not(:has(.cstation))').waitFor();
  items = (await call('GET', '/api/v1/admin/menu-items', { token: adminToken })).data;
  assert.equal(items.find((i) => i.name === '계란말이').station_id, null);
});

step('the kitchen display opens from the dashboard’s link, logged in, on station 주방 (1280×800)', async () => {
  const [popup] = await Promise.all([ctx.waitForEvent('page'), staff.locator('.subnav a[data-action=open-kitchen]').click()]);
  kds = watch(popup, 'kitchen');
  await kds.setViewportSize({ width: 1280, height: 800 });
  await kds.waitForURL(/\/kitchen$/);
  await kds.locator('#app:not([hidden])').waitFor();
  await kds.locator('#btn-station').click();
  await kds.locator('#station-list button', { hasText: /^주방$/ }).click();
  await kds.locator('#station-name', { hasText: '주방' }).waitFor();
  await kds.locator('#conn.up').waitFor();
  await kds.locator('#printer.ok', { hasText: '프린터 정상' }).waitFor();
  // A second display for the bar, like a tablet behind the counter.
  bar = watch(await ctx.newPage(), 'bar');
  await bar.goto(`${BASE}/kitchen`);
  await bar.locator('#btn-station').click();
  await bar.locator('#station-list button', { hasText: /^바$/ }).click();
  await bar.locator('#station-name', { hasText: '바' }).waitFor();
  await bar.locator('#conn.up').waitFor();
  await staff.bringToFront();
  await staff.locator('.nav a[data-view=orders]').click();
});

step('a table orders 김치찌개 ×2 with options and a note, and a 콜라: the ticket is on the display within 1 s', async () => {
  tableA = await login('/api/v1/auth/table/login', { store_id: 'demo', table_number: TABLE_A, password: '1234' });
  menu = (await call('GET', '/api/v1/menu', { token: tableA.token })).data;
  // Note the moment each ticket first appears, in the page itself.
  await kds.evaluate(() => {
    window.__seen = {};
    const note = () => {
      for (const el of document.querySelectorAll('.ticket[data-order-id]')) window.__seen[el.dataset.orderId] ??= Date.now();
    };
    new MutationObserver(note).observe(document.getElementById('tickets'), { childList: true, subtree: true });
  });
  const t0 = Date.now();
  first = await placeOrder(tableA.token, [line('김치찌개', 2, ['매운맛', '라면사리'], '덜 맵게 해주세요'), line('콜라', 1, ['큰 사이즈'])]);
  const seen = await kds.waitForFunction((id) => window.__seen[id], String(first.id), { timeout: 5000 });
  latency = (await seen.jsonValue()) - t0;
  console.log(`        ticket on the kitchen display ${latency} ms after the order was sent`);
  assert.ok(latency < 1000, `the ticket took ${latency} ms to appear (limit 1000 ms)`);
});

step('the ticket shows the table number, the options and the note; the 콜라 goes to the bar', async () => {
  const tk = ticketOf(kds, first.id);
  assert.equal((await tk.locator('.ticket-table').innerText()).trim(), `테이블 ${TABLE_A}`);
  assert.equal((await tk.locator('.ticket-no').innerText()).trim(), `주문 #${first.order_no}`);
  const lines = tk.locator('.ticket-lines li');
  assert.equal(await lines.count(), 1, 'only the kitchen’s line');
  assert.equal((await lines.locator('.qty').innerText()).trim(), '2×');
  assert.equal((await lines.locator('.name').innerText()).trim(), '김치찌개');
  assert.equal((await lines.locator('.opts').innerText()).trim(), '매운맛 · 라면사리');
  assert.equal((await lines.locator('.note').innerText()).trim(), '“덜 맵게 해주세요”');
  const drink = ticketOf(bar, first.id);
  await drink.waitFor();
  assert.match(await drink.locator('.ticket-lines').innerText(), /콜라[\s\S]*큰 사이즈/);
  assert.doesNotMatch(await drink.innerText(), /김치찌개/);
});

step('the fake printer gets the 주방 ticket in CP949: table number large, order, lines, options, note, cut', async () => {
  const print = await waitFor(() => printsOf(first.order_no, TABLE_A)[0], 'the printed ticket', 5000);
  const texts = print.lines.map((l) => l.text);
  const table = print.lines.find((l) => l.text === `테이블 ${TABLE_A}`);
  assert.ok(table.width === 2 && table.height === 2, 'the table number is printed double size');
  assert.ok(texts.includes('[주방]'), 'the station is named');
  assert.ok(texts.some((x) => new RegExp(`^주문 #${first.order_no}  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d$`).test(x)), `the order line: ${texts.join(' | ')}`);
  assert.ok(texts.includes('2 x 김치찌개'), 'quantity and item');
  assert.ok(texts.includes('  + 매운맛, 라면사리'), 'the options');
  const note = print.lines.find((l) => l.text === '  * 덜 맵게 해주세요');
  assert.ok(note && note.bold, 'the note, in bold');
  assert.ok(!texts.some((x) => x.includes('콜라')), 'the drink is not on the kitchen’s ticket');
  assert.equal(print.cuts, 1, 'one cut');
  assert.ok(print.doubleByte, 'Korean double-byte mode (FS &)');
  assert.ok(print.raw.includes(Buffer.from([0xc5, 0xd7])), '테 in CP949');
  assert.ok(!print.raw.includes(Buffer.from('테이블')), 'no UTF-8 text');
  for (const l of print.lines.filter((x) => x.width === 1)) {
    const cols = [...l.text].reduce((n, c) => n + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(c) ? 2 : 1), 0);
    assert.ok(cols <= 42, `"${l.text}" is wider than 42 columns`);
  }
  // The ticket as it comes out of the printer, to look at.
  const html = path.join(SHOTS, 'ticket-print.html');
  fs.writeFileSync(html, ticketHtml(print, { columns: 42, title: `주방 · 테이블 ${TABLE_A} · 주문 #${first.order_no}` }));
  const view = watch(await ctx.newPage(), 'ticket');
  await view.setViewportSize({ width: 520, height: 640 });
  await view.goto('file://' + html);
  await view.locator('.paper').screenshot({ path: path.join(SHOTS, 'ticket-print.png') });
  await view.close();
});

step('bumping on both displays completes the order on the tablet; undo brings a ticket back', async () => {
  // Each display is in front while used, as on its own tablet (background tabs run slowly).
  await kds.bringToFront();
  await ticketOf(kds, first.id).locator('[data-action=bump]').click();
  await ticketOf(kds, first.id).waitFor({ state: 'detached' });
  await waitFor(async () => (await orderStatus(tableA.token, first.id)) === 'preparing', 'the order preparing after the first bump');
  await bar.bringToFront();
  await ticketOf(bar, first.id).locator('[data-action=bump]').click();
  await ticketOf(bar, first.id).waitFor({ state: 'detached' });
  await waitFor(async () => (await orderStatus(tableA.token, first.id)) === 'completed', 'the order completed on the tablet');
  // The bar's bump was a mistake: undo, and the ticket and the order come back.
  // (The bump's own answer may come after the stream's ticket_bumped removed the card.)
  await bar.locator('#btn-undo:not([disabled])').click();
  await ticketOf(bar, first.id).waitFor();
  await waitFor(async () => (await orderStatus(tableA.token, first.id)) === 'preparing', 'the order back to preparing');
  await ticketOf(bar, first.id).locator('[data-action=bump]').click();
  await ticketOf(bar, first.id).waitFor({ state: 'detached' });
  await waitFor(async () => (await orderStatus(tableA.token, first.id)) === 'completed', 'the order completed again');
  // The dashboard follows.
  await staff.bringToFront();
  await staff.locator(`.tcard[data-table-number="${TABLE_A}"] .orow[data-order-id="${first.id}"][data-status="completed"]`).waitFor();
});

step('printer out of paper: the dashboard shows a red banner with the waiting count, also after a reload', async () => {
  printer.mode = 'paper_out';
  tableB = await login('/api/v1/auth/table/login', { store_id: 'demo', table_number: TABLE_B, password: '1234' });
  trouble.push(await placeOrder(tableB.token, [line('계란말이', 1)]));
  const banner = staff.locator(`#printer-banner .pb-row[data-station-id="${kitchenId}"][data-state="paper_out"]`);
  await banner.waitFor({ timeout: 15000 });
  assert.match(await banner.locator('.pb-title').innerText(), /^주방 프린터: 용지 없음 · 1장 대기$/);
  // The printer chime (square waves), possibly right after the new order's chime.
  await staff.waitForFunction(() => window.__tones.includes('square'), null, { timeout: 3000 });
  trouble.push(await placeOrder(tableB.token, [line('해물파전', 1), line('불고기 정식', 2, ['곱빼기'], '밥 많이')]));
  await banner.locator('.pb-waiting', { hasText: '2장 대기' }).waitFor();
  await kds.locator('#printer.bad', { hasText: '프린터 용지 없음 · 2장 대기' }).waitFor();
  assert.equal(printsOf(trouble[0].order_no, TABLE_B).length, 0, 'nothing printed while out of paper');
  // Visible above any page, and on a fresh load too.
  const box = await staff.locator('#printer-banner').boundingBox();
  assert.ok(box && box.y < 120 && box.height >= 40, 'the banner sits at the top');
  await shoot(staff, 'staff-printer-banner', 1280, 800);
  await staff.reload();
  await banner.locator('.pb-waiting', { hasText: '2장 대기' }).waitFor();
  await shoot(staff, 'staff-printer-banner', 768, 1024);
  await allInside(staff, '#printer-banner a, .topbar button', 'banner 768');
  await staff.setViewportSize({ width: 1280, height: 800 });
  await staff.locator('.topbar [data-action=lang]').click();
  await banner.locator('.pb-title', { hasText: '주방 printer: out of paper · 2 waiting' }).waitFor();
  await staff.locator('.topbar [data-action=lang]').click();
  await banner.locator('.pb-title', { hasText: '주방 프린터: 용지 없음' }).waitFor();
});

step('the banner leads to the printer settings: state, waiting count; a test print says out of paper', async () => {
  await staff.locator('#printer-banner .pb-fix').click();
  const box = card(staff, '주방').locator('.st-printer');
  await box.locator('.st-status[data-state="paper_out"] .pstate', { hasText: '용지 없음' }).waitFor();
  assert.match(await box.locator('.st-waiting').innerText(), /2장 대기/);
  await box.locator('[data-action=test-print]').click();
  const result = box.locator('.test-result[data-printed="false"]');
  await result.waitFor();
  assert.equal(await result.getAttribute('data-state'), 'paper_out');
  assert.match(await result.innerText(), /테스트 인쇄 실패: 용지 없음/);
  await shoot(staff, 'staff-stations-trouble', 1280, 800);
  await staff.locator('.nav a[data-view=orders]').click();
});

step('paper back: the waiting tickets print in order and the banner goes away', async () => {
  printer.mode = 'ok';
  await staff.locator('#printer-banner').waitFor({ state: 'hidden', timeout: 45000 });
  await staff.locator('.toast', { hasText: '주방 프린터 정상' }).waitFor();
  const a = await waitFor(() => printsOf(trouble[0].order_no, TABLE_B)[0], 'the first waiting ticket', 5000);
  const b = await waitFor(() => printsOf(trouble[1].order_no, TABLE_B)[0], 'the second waiting ticket', 5000);
  assert.ok(a.lines.some((l) => l.text === '1 x 계란말이'));
  assert.ok(b.lines.some((l) => l.text === '2 x 불고기 정식'));
  assert.ok(b.lines.some((l) => l.text === '  * 밥 많이' && l.bold));
  assert.ok(a.at <= b.at, 'printed in order');
  await kds.locator('#printer.ok').waitFor();
  const st = (await call('GET', `/api/v1/admin/stations/${kitchenId}/status`, { token: adminToken })).data.printer;
  assert.equal(st.state, 'ok');
  assert.equal(st.waiting, 0);
});

step('reprint from the order dialog: "1장 재출력 요청", printed marked 재출력; a bar-only order has nothing to print', async () => {
  barOnly = await placeOrder(tableB.token, [line('맥주', 2)]);
  await staff.locator(`.tcard[data-table-number="${TABLE_B}"] .orow[data-order-id="${barOnly.id}"]`).waitFor();
  await staff.locator(`.tcard[data-table-number="${TABLE_B}"]`).click();
  const before = printer.prints().length;
  await staff.locator(`#table-dialog .oblock[data-order-id="${trouble[0].id}"] [data-action=reprint]`).click();
  await staff.locator('.toast', { hasText: '1장 재출력 요청' }).waitFor();
  const again = await waitFor(() => printer.prints().slice(before).find((p) => p.lines.some((l) => l.text === '1 x 계란말이')), 'the reprint', 8000);
  assert.ok(again.lines[0].text.includes('재출력') && again.lines[0].bold, 'the reprint says so first');
  await staff.locator(`#table-dialog .oblock[data-order-id="${barOnly.id}"] [data-action=reprint]`).click();
  await staff.locator('.toast', { hasText: '인쇄할 주문표가 없습니다' }).waitFor();
  await staff.locator('#table-dialog button', { hasText: '닫기' }).click();
});

step('the kitchen display at 1280×800 with a few tickets: nothing cut off or overlapping', async () => {
  await placeOrder(tableA.token, [line('비빔밥', 1, ['곱빼기'], '나물 빼고 고추장 따로, 계란은 완숙으로 부탁드려요'), line('김치찌개', 1, ['아주 매운맛', '떡사리', '치즈'])]);
  await kds.bringToFront();
  await kds.locator('.ticket').nth(2).waitFor();
  await shoot(kds, 'kds', 1280, 800);
  await allInside(kds, '.kds-bar button, .kds-bar .printer-chip', 'kitchen bar');
  const boxes = await kds.locator('.ticket').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
  for (const [i, a] of boxes.entries())
    for (const b of boxes.slice(i + 1)) {
      const overlap = a.x < b.x + b.width - 1 && b.x < a.x + a.width - 1 && a.y < b.y + b.height - 1 && b.y < a.y + a.height - 1;
      assert.ok(!overlap, 'two tickets overlap');
    }
  for (const h of await kds.locator('.ticket .bump').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height))) assert.ok(h >= 56, 'bump buttons are big enough to hit');
  const headerH = (await kds.locator('.kds-bar').boundingBox()).height;
  assert.ok(headerH <= 72, `the header stays one row (${headerH} px)`);
  // Everything at once: each ticket names its station.
  await bar.bringToFront();
  await bar.locator('#btn-station').click();
  await bar.locator('#station-list button', { hasText: /^전체$/ }).click();
  await bar.locator(`.ticket[data-order-id="${barOnly.id}"] .ticket-station`, { hasText: '바' }).waitFor();
  await shoot(bar, 'kds-all', 1280, 800);
});

step('elapsed times turn amber after 10 minutes and red after 20', async () => {
  const late = watch(await ctx.newPage(), 'kitchen-clock');
  await late.clock.install();
  await late.goto(`${BASE}/kitchen`);
  await late.locator('#btn-station').click();
  await late.locator('#station-list button', { hasText: /^주방$/ }).click();
  const tk = ticketOf(late, trouble[0].id);
  await tk.waitFor();
  assert.ok(await tk.evaluate((e) => e.classList.contains('fresh')));
  await late.clock.fastForward('10:05');
  await late.locator(`.ticket.slow[data-order-id="${trouble[0].id}"]`).waitFor();
  await late.clock.fastForward('10:00');
  await late.locator(`.ticket.late[data-order-id="${trouble[0].id}"]`).waitFor();
  assert.match(await tk.locator('.ticket-age').innerText(), /^2\d:\d\d$/);
  await shoot(late, 'kds-late', 1280, 800);
  await late.close();
});

step('staff disconnect the printer: tickets for the screen only; the display stops showing a printer', async () => {
  await staff.bringToFront();
  await staff.locator('.nav a[data-view=menu]').click();
  await staff.locator('.subnav a[href="#stations"]').click();
  await card(staff, '주방').locator('[data-action=remove-printer]').click();
  await staff.locator('dialog.confirm [data-action=confirm]').click();
  await card(staff, '주방').locator('.st-printer.none', { hasText: '프린터 없음' }).waitFor();
  assert.equal((await call('GET', '/api/v1/admin/stations', { token: adminToken })).data.find((s) => s.id === kitchenId).printer, null);
  await kds.locator('#printer').waitFor({ state: 'hidden' });
});

step('no script errors on any page', async () => {
  assert.deepEqual(pageErrors, []);
});

// ---------- run ----------

const ok = await run(async () => {
  for (const [name, page] of [['staff', staff], ['kitchen', kds], ['bar', bar]]) {
    if (page && !page.isClosed()) await page.screenshot({ path: path.join(SHOTS, `failure-kitchen-${name}.png`) }).catch(() => {});
  }
});
if (ctx) await ctx.close().catch(() => {});
if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
await printer.close();
if (latency != null) console.log(`ticket latency (order sent → on the kitchen display): ${latency} ms`);
console.log(`screenshots: ${SHOTS}`);
process.exit(ok ? 0 : 1);
