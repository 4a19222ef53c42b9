// The whole guest → staff → guest flow in two Chromium profiles against a demo server.
// usage: node flow.mjs http://127.0.0.1:PORT   (run.sh starts the server)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.argv[2] || '').replace(/\/$/, '');
if (!BASE) {
  console.error('usage: node flow.mjs <base-url>');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.E2E_SHOTS || fs.mkdtempSync(path.join(os.tmpdir(), 'tableorder-shots-'));
fs.mkdirSync(SHOTS, { recursive: true });
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const WAIT = 10_000;
const PRICE = /^\d{1,3}(,\d{3})*원$/;

// ---------- a small sequential runner: a failed step skips the rest ----------

const steps = [];
const step = (name, fn) => steps.push({ name, fn });

const profiles = [];
const pageErrors = [];

async function browser(name, viewport) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tableorder-e2e-${name}-`));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport,
    locale: 'ko-KR',
    timezoneId: 'Asia/Seoul',
  });
  profiles.push({ ctx, dir });
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  // Failed requests are logged by the browser itself (the test aborts one on purpose).
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && pageErrors.push(`${name} console: ${m.text()}`));
  return page;
}

async function noSidewaysScroll(page, label) {
  const [sw, iw] = await page.evaluate(() => [document.scrollingElement.scrollWidth, window.innerWidth]);
  assert.ok(sw <= iw, `${label}: page scrolls sideways (scrollWidth ${sw} > innerWidth ${iw})`);
}

// Waits for layout and for finite animations (sheets sliding in, pulses) to end.
async function settle(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.effect.getComputedTiming().iterations === Infinity || a.playState !== 'running'),
  );
}

async function shoot(page, name, width, height) {
  await page.setViewportSize({ width, height });
  await settle(page);
  await page.screenshot({ path: path.join(SHOTS, `${name}-${width}x${height}.png`) });
  await noSidewaysScroll(page, `${name} ${width}x${height}`);
}

// ---------- the flow ----------

let staff;
let tablet;
let orderId;
let orderNo;
let soldOutItemId;
let firstKey;
let optionsOrderId;

const card3 = () => staff.locator('.tcard[data-table-number="3"]');
const myOrder = (id) => tablet.locator(`#orders-list .order[data-order-id="${id}"]`);
const sheet = () => tablet.locator('#item-sheet');
// An option of the open item sheet by its exact name (매운맛, not 아주 매운맛).
const option = (name) => sheet().locator('.opt').filter({ has: tablet.locator('.opt-name', { hasText: new RegExp(`^${name}$`) }) });

step('staff logs in (admin / demo1234)', async () => {
  staff = await browser('staff', { width: 1280, height: 800 });
  await staff.goto(`${BASE}/staff`);
  const form = staff.locator('#login-form');
  await form.locator('[name=store_id]').fill('demo');
  await form.locator('[name=username]').fill('admin');
  await form.locator('[name=password]').fill('demo1234');
  await form.locator('button[type=submit]').click();
  await card3().waitFor();
  await staff.locator('#conn.up').waitFor();
  assert.equal(await staff.locator('.tcard').count(), 12, 'the demo store has 12 tables');
});

step('tablet sets itself up as table 3 from the setup link', async () => {
  tablet = await browser('tablet', { width: 1280, height: 800 });
  await tablet.goto(`${BASE}/table?store=demo&table=3&password=1234`);
  await tablet.locator('.item').first().waitFor();
  assert.match(await tablet.locator('#table-label').innerText(), /3/);
  assert.ok(!tablet.url().includes('password'), 'the password is removed from the address bar');
  const conf = await tablet.evaluate(() => JSON.parse(localStorage.getItem('tableorder.tablet')));
  assert.equal(conf.store, 'demo');
  assert.equal(conf.table, 3);
  await tablet.locator('#conn.up').waitFor();
});

step('tablet shows the menu with 9,000원 style prices', async () => {
  const prices = await tablet.locator('.item .price').allInnerTexts();
  assert.ok(prices.length > 0, 'prices are shown');
  for (const p of prices) assert.match(p.trim(), PRICE);
  await tablet.locator('.item', { hasText: '김치찌개' }).locator('.price', { hasText: '9,000원' }).waitFor();
  assert.ok((await tablet.locator('.cat').count()) >= 2, 'category tabs are shown');
});

step('tablet adds two items without options to the cart in one tap each', async () => {
  await tablet.locator('.cat', { hasText: '안주' }).click();
  await tablet.locator('.item', { hasText: '계란말이' }).locator('button.add').click();
  await tablet.locator('.cat', { hasText: '음료' }).click();
  await tablet.locator('.item', { hasText: '맥주' }).locator('button.add').click();
  await tablet.locator('#cart-count', { hasText: '2' }).waitFor();
  assert.ok(!(await sheet().isVisible()), 'no item sheet for items without options');
  assert.equal((await tablet.locator('#cart-total').innerText()).trim(), '12,000원');
  const saved = await tablet.evaluate(() => JSON.parse(localStorage.getItem('tableorder.cart')));
  assert.equal(saved.length, 2, 'the cart is kept in localStorage');
});

step('the cart survives a reload', async () => {
  await tablet.reload();
  await tablet.locator('.item').first().waitFor();
  await tablet.locator('#cart-count', { hasText: '2' }).waitFor();
  await tablet.locator('#conn.up').waitFor();
});

step('tablet places the order and sees its number; the cart empties', async () => {
  await staff.evaluate(() => (window.__noReload = true));
  await tablet.locator('#btn-order').click();
  const place = tablet.locator('#btn-place');
  await place.waitFor();
  assert.match(await place.innerText(), /12,000원/);
  const answer = tablet.waitForResponse((r) => r.url().endsWith('/api/v1/orders') && r.request().method() === 'POST');
  await place.click();
  const res = await answer;
  assert.equal(res.status(), 201);
  assert.ok(res.request().headers()['idempotency-key'], 'the order carries an Idempotency-Key');
  const order = await res.json();
  orderId = order.id;
  orderNo = order.order_no;
  await tablet.locator('#done').waitFor({ state: 'visible' });
  assert.equal((await tablet.locator('#done-no').innerText()).trim(), `#${orderNo}`);
  assert.equal((await tablet.locator('#cart-total').innerText()).trim(), '0원');
});

step('staff sees the order live on table 3 without reload, highlighted', async () => {
  const row = card3().locator(`.orow[data-order-id="${orderId}"]`);
  await row.waitFor();
  // New orders pulse for 3 s.
  await card3().locator(`.orow.fresh[data-order-id="${orderId}"]`).waitFor({ timeout: 2500 });
  assert.match(await row.innerText(), new RegExp(`#${orderNo}`));
  assert.match(await row.innerText(), /대기중/);
  assert.match(await card3().locator('.ttotal').innerText(), /12,000원/);
  assert.equal(await staff.evaluate(() => window.__noReload), true, 'the dashboard was not reloaded');
});

step('the order number shows for 5 s, then the menu returns', async () => {
  await tablet.locator('#done').waitFor({ state: 'hidden', timeout: 8000 });
  await tablet.locator('.item').first().waitFor();
});

step('tablet My orders lists the order as 대기중', async () => {
  await tablet.locator('#btn-orders').click();
  await myOrder(orderId).locator('.status', { hasText: '대기중' }).waitFor();
});

step('staff advances the order to 준비중; the tablet shows it live', async () => {
  await tablet.evaluate(() => (window.__noReload = true));
  await card3().click();
  const block = staff.locator(`#table-dialog .oblock[data-order-id="${orderId}"]`);
  await block.locator('[data-action=advance]').click();
  await staff.locator(`#table-dialog .oblock[data-order-id="${orderId}"][data-status="preparing"]`).waitFor();
  await card3().locator(`.orow[data-order-id="${orderId}"]`, { hasText: '준비중' }).waitFor();
  await myOrder(orderId).locator('.status', { hasText: '준비중' }).waitFor();
  assert.equal(await tablet.evaluate(() => window.__noReload), true, 'the tablet was not reloaded');
  await staff.locator('#table-dialog button', { hasText: '닫기' }).click();
});

step('screenshots at 768x1024 and 1280x800 without sideways scrolling', async () => {
  await tablet.locator('#orders-sheet [data-close]').first().click();
  await tablet.locator('.cat', { hasText: '안주' }).click();
  await tablet.locator('.item', { hasText: '해물파전' }).locator('button.add').click();
  for (const [w, hgt] of [[768, 1024], [1280, 800]]) {
    await shoot(tablet, 'table', w, hgt);
    // The cart bar sits below the menu, never over it.
    const menu = await tablet.locator('#menu').boundingBox();
    const bar = await tablet.locator('.cartbar').boundingBox();
    assert.ok(bar.y >= menu.y + menu.height - 1, `table ${w}x${hgt}: the cart bar overlaps the menu`);
    assert.ok(bar.y + bar.height <= hgt + 1, `table ${w}x${hgt}: the cart bar is off screen`);
    await shoot(staff, 'staff', w, hgt);
  }
  await tablet.locator('#btn-order').click();
  await shoot(tablet, 'table-cart', 768, 1024);
  await tablet.locator('#btn-clear').click();
  await tablet.locator('dialog.confirm [data-action=confirm]').click();
  await tablet.locator('#cart-sheet [data-close]').first().click();
  await tablet.setViewportSize({ width: 1280, height: 800 });
});

step('a lost answer is retried with the same Idempotency-Key and makes one order', async () => {
  // 비빔밥 has an optional group (곱빼기): its add button opens the sheet, which adds it as it is.
  await tablet.locator('.cat', { hasText: '식사' }).click();
  await tablet.locator('.item', { hasText: '비빔밥' }).locator('button.add').click();
  await sheet().locator('[data-action=add]:not([disabled])').click();
  await sheet().waitFor({ state: 'hidden' });
  await tablet.locator('#btn-order').click();
  // The first attempt reaches the server, but its answer is lost on the way back.
  await tablet.route('**/api/v1/orders', async (route) => {
    if (route.request().method() !== 'POST' || firstKey) return route.fallback();
    firstKey = route.request().headers()['idempotency-key'];
    await route.fetch();
    await route.abort('connectionreset');
  });
  await tablet.locator('#btn-place').click();
  const retry = tablet.locator('#order-error [data-action=retry]');
  await retry.waitFor();
  await tablet.unroute('**/api/v1/orders');
  assert.ok(firstKey, 'the lost attempt had a key');
  const answer = tablet.waitForResponse((r) => r.url().endsWith('/api/v1/orders') && r.request().method() === 'POST');
  await retry.click();
  const res = await answer;
  assert.equal(res.request().headers()['idempotency-key'], firstKey, 'the retry reuses the key');
  assert.equal(res.status(), 200, 'the server answers the repeated key with the first order');
  await tablet.locator('#done').waitFor({ state: 'visible' });
  await tablet.locator('#done').click();
  await tablet.locator('#btn-orders').click();
  await tablet.locator('#orders-list .order').nth(1).waitFor();
  assert.equal(await tablet.locator('#orders-list .order').count(), 2, 'exactly two orders in this session');
  await tablet.locator('#orders-sheet [data-close]').first().click();
  await card3().locator('.orow').nth(1).waitFor();
  assert.equal(await card3().locator('.orow').count(), 2, 'the dashboard shows two orders, not three');
});

step('the item sheet of 김치찌개: required spice, add-ons up to 2, price deltas, note', async () => {
  await tablet.locator('.item', { hasText: '김치찌개' }).locator('.thumb').click();
  await sheet().waitFor();
  assert.equal((await sheet().locator('.isheet-name').innerText()).trim(), '김치찌개');
  assert.match(await sheet().locator('.isheet-desc').innerText(), /두부/, 'the full description is shown');
  const spice = sheet().locator('.ogroup', { hasText: '맵기' });
  const extras = sheet().locator('.ogroup', { hasText: '사리 추가' });
  await spice.locator('.ogroup-tag', { hasText: '필수' }).waitFor();
  await extras.locator('.ogroup-tag', { hasText: '최대 2개' }).waitFor();
  assert.equal(await spice.locator('input[type=radio]').count(), 4, 'pick-one groups are radio buttons');
  assert.equal(await extras.locator('input[type=checkbox]').count(), 3, 'pick-several groups are checkboxes');
  assert.equal((await option('라면사리').locator('.opt-price').innerText()).trim(), '+1,500원');
  assert.equal((await option('아주 매운맛').locator('.opt-price').innerText()).trim(), '+500원');
  const add = sheet().locator('[data-action=add]');
  assert.ok(await add.isDisabled(), 'the add button waits for the required spice level');
  assert.match(await add.innerText(), /9,000원/);
  await option('매운맛').click();
  await tablet.locator('#item-sheet [data-action=add]:not([disabled])').waitFor();
  await option('라면사리').click();
  await option('떡사리').click();
  assert.ok(await option('치즈').locator('input').isDisabled(), 'a third add-on is refused (max 2)');
  await option('떡사리').click();
  assert.match(await add.innerText(), /10,500원/, 'the total follows the choices');
  await sheet().locator('[data-action=more]').click();
  assert.match(await add.innerText(), /21,000원/, 'the total follows the quantity');
  await sheet().locator('[data-action=less]').click();
  await sheet().locator('input[name=note]').fill('덜 맵게');
  assert.equal(await sheet().locator('input[name=note]').getAttribute('maxlength'), '100');
  assert.match(await sheet().locator('input[name=note]').getAttribute('placeholder'), /요청사항/);
  for (const [w, hgt] of [[1280, 800], [390, 844]]) {
    await shoot(tablet, 'sheet', w, hgt);
    const box = await sheet().boundingBox();
    assert.ok(box.x >= -1 && box.x + box.width <= w + 1, `sheet ${w}x${hgt}: the sheet is wider than the screen`);
    const btn = await add.boundingBox();
    assert.ok(btn.y + btn.height <= hgt + 1 && btn.x + btn.width <= w + 1, `sheet ${w}x${hgt}: the add button is cut off`);
    assert.ok(btn.height >= 44, `sheet ${w}x${hgt}: the add button is too small to tap`);
    for (const o of await sheet().locator('.opt').all()) assert.ok((await o.boundingBox()).height >= 44, `sheet ${w}x${hgt}: an option is too small to tap`);
  }
  await tablet.setViewportSize({ width: 1280, height: 800 });
  await add.click();
  await sheet().waitFor({ state: 'hidden' });
  await tablet.locator('#cart-count', { hasText: '1' }).waitFor();
});

step('the same item with other options is another cart line; the same choices add up', async () => {
  const kimchi = tablet.locator('.item', { hasText: '김치찌개' });
  await kimchi.locator('button.add').click();
  await option('순한맛').click();
  await sheet().locator('[data-action=add]').click();
  await kimchi.locator('button.add').click();
  await option('순한맛').click();
  await sheet().locator('[data-action=add]').click();
  await tablet.locator('#cart-count', { hasText: '3' }).waitFor();
  await tablet.locator('#btn-order').click();
  const lines = tablet.locator('#cart-lines .line');
  assert.equal(await lines.count(), 2, 'two lines: 매운맛 + 라면사리 with a note, and 순한맛 ×2');
  const first = lines.nth(0);
  assert.match(await first.locator('.line-opts').innerText(), /매운맛 · 라면사리/);
  assert.equal((await first.locator('.line-note').innerText()).trim(), '덜 맵게');
  assert.equal((await first.locator('.line-total').innerText()).trim(), '10,500원');
  assert.equal((await lines.nth(1).locator('.qty').innerText()).trim(), '2');
  await lines.nth(1).locator('.remove').click();
  assert.equal(await lines.count(), 1);
  assert.equal((await tablet.locator('#sheet-total').innerText()).trim(), '10,500원');
});

step('the order carries option_ids and the note; the answer prices the options', async () => {
  const answer = tablet.waitForResponse((r) => r.url().endsWith('/api/v1/orders') && r.request().method() === 'POST');
  await tablet.locator('#btn-place').click();
  const res = await answer;
  assert.equal(res.status(), 201);
  const line = res.request().postDataJSON().items[0];
  assert.equal(line.note, '덜 맵게');
  assert.equal(line.option_ids.length, 2);
  const order = await res.json();
  optionsOrderId = order.id;
  assert.equal(order.total, 10500);
  assert.deepEqual(order.items[0].options.map((o) => o.name).sort(), ['라면사리', '매운맛']);
  assert.equal(order.items[0].note, '덜 맵게');
  await tablet.locator('#done').waitFor({ state: 'visible' });
  await tablet.locator('#done').click();
});

step('staff see the options and the note live; the order dialog shows them too', async () => {
  const row = card3().locator(`.orow[data-order-id="${optionsOrderId}"]`);
  await row.waitFor();
  assert.match(await row.locator('.oitems').innerText(), /김치찌개 \(매운맛 · 라면사리\)/);
  assert.equal((await row.locator('.line-note').innerText()).trim(), '덜 맵게');
  await card3().click();
  const block = staff.locator(`#table-dialog .oblock[data-order-id="${optionsOrderId}"]`);
  assert.match(await block.locator('.line-opts').innerText(), /매운맛 · 라면사리/);
  assert.equal((await block.locator('.line-note').innerText()).trim(), '덜 맵게');
  await staff.locator('#table-dialog button', { hasText: '닫기' }).click();
  await shoot(staff, 'staff-notes', 1280, 800);
  await tablet.locator('#btn-orders').click();
  const mine = myOrder(optionsOrderId);
  await mine.waitFor();
  assert.match(await mine.locator('.line-opts').innerText(), /매운맛 · 라면사리/);
  assert.equal((await mine.locator('.line-note').innerText()).trim(), '덜 맵게');
  await tablet.locator('#orders-sheet [data-close]').first().click();
});

step('staff sell out an option: the open sheet and the cart line show it live', async () => {
  await staff.locator('.nav a[data-view=menu]').click();
  await staff.locator('.subnav a[href="#options"]').click();
  const spice = staff.locator('.ogcard[data-name="맵기"]');
  await spice.waitFor();
  assert.match(await spice.locator('.rule').innerText(), /필수/);
  const extras = staff.locator('.ogcard[data-name="사리 추가"]');
  assert.match(await extras.locator('.orow-opt[data-name="치즈"] .odelta').innerText(), /\+2,000원/);
  await shoot(staff, 'staff-options', 768, 1024);
  await shoot(staff, 'staff-options', 1280, 800);
  // A guest has 김치찌개 with cheese in the cart and looks at the sheet again.
  await tablet.locator('.cat', { hasText: '식사' }).click();
  const kimchi = tablet.locator('.item', { hasText: '김치찌개' });
  await kimchi.locator('button.add').click();
  await option('보통').click();
  await option('치즈').click();
  await sheet().locator('[data-action=add]').click();
  await kimchi.locator('button.add').click();
  await option('치즈').waitFor();
  await extras.locator('.orow-opt[data-name="치즈"] [data-action=toggle-option]').click();
  await staff.locator('.ogcard[data-name="사리 추가"] .orow-opt[data-name="치즈"] [aria-checked="false"]').waitFor();
  await option('치즈').locator('.soldout-badge', { hasText: '품절' }).waitFor();
  assert.ok(await option('치즈').locator('input').isDisabled(), 'a sold-out option cannot be chosen');
  await sheet().locator('[data-close]').first().click();
  await tablet.locator('#btn-order').click();
  await tablet.locator('#cart-lines .line.soldout').waitFor();
  assert.ok(await tablet.locator('#btn-place').isDisabled(), 'a line with a sold-out option cannot be ordered');
  await extras.locator('.orow-opt[data-name="치즈"] [data-action=toggle-option]').click();
  await tablet.locator('#cart-lines .line:not(.soldout)').waitFor();
  await tablet.locator('#cart-lines .line .remove').click();
  await tablet.locator('#cart-sheet [data-close]').first().click();
  // The item form lists the groups an item offers, in order.
  await staff.locator('.subnav a[href="#menu"]').click();
  await staff.locator('.irow[data-name="김치찌개"] [data-action=edit]').click();
  assert.deepEqual(await staff.locator('dialog .gpick-row .gpick-name strong').allInnerTexts(), ['맵기', '사리 추가']);
  await staff.locator('dialog[open]').getByRole('button', { name: '취소', exact: true }).click();
});

step('staff marks an item sold out; the tablet shows the badge live', async () => {
  await staff.locator('.nav a[data-view=menu]').click();
  const row = staff.locator('.irow', { hasText: '된장찌개' });
  await row.waitFor();
  soldOutItemId = await row.getAttribute('data-item-id');
  const toggle = row.locator('[data-action=toggle-available]');
  if ((await toggle.getAttribute('aria-checked')) === 'false') {
    await toggle.click();
    await staff.locator(`.irow[data-item-id="${soldOutItemId}"] [aria-checked="true"]`).waitFor();
  }
  await tablet.locator(`.item[data-item-id="${soldOutItemId}"]:not(.soldout)`).waitFor();
  await staff.locator(`.irow[data-item-id="${soldOutItemId}"] [data-action=toggle-available]`).click();
  await staff.locator(`.irow[data-item-id="${soldOutItemId}"] [aria-checked="false"]`).waitFor();
  const card = tablet.locator(`.item[data-item-id="${soldOutItemId}"]`);
  await card.locator('.soldout-badge', { hasText: '품절' }).waitFor();
  assert.ok(await card.locator('button.add').isDisabled(), 'a sold-out item cannot be added');
  assert.equal(await tablet.evaluate(() => window.__noReload), true, 'the tablet was not reloaded');
});

step('the tablet switches to English: UI and menu text, a menu and ETag per language', async () => {
  const asked = tablet.waitForResponse((r) => r.url().includes('/api/v1/menu?lang=en'));
  await tablet.locator('#btn-lang').click();
  const choices = (await tablet.locator('#lang-menu .lang-choice').allInnerTexts()).map((x) => x.trim());
  assert.deepEqual(choices, ['한국어', 'English', '日本語', '中文']);
  await tablet.locator('#lang-menu [data-lang=en]').click();
  const res = await asked;
  assert.match(res.headers().etag || '', /en/, 'the English menu has its own ETag');
  assert.equal(res.request().headers()['if-none-match'], undefined, 'the Korean ETag is never sent for the English menu');
  await tablet.locator('.cat', { hasText: 'Meals' }).click();
  await tablet.locator('.item', { hasText: 'Kimchi stew' }).waitFor();
  assert.equal((await tablet.locator('#btn-orders').innerText()).trim(), 'My orders');
  assert.equal(await tablet.evaluate(() => document.documentElement.lang), 'en');
  assert.equal((await tablet.locator('#btn-lang .lang-label').innerText()).trim(), 'English');
  const menus = await tablet.evaluate(() => Object.keys(JSON.parse(localStorage.getItem('tableorder.menus')).menus).sort());
  assert.deepEqual(menus, ['en', 'ko'], 'each language is cached on its own');
  // The item sheet speaks English too.
  await tablet.locator('.item', { hasText: 'Kimchi stew' }).locator('button.add').click();
  await sheet().locator('.ogroup-tag', { hasText: 'Required' }).waitFor();
  await sheet().locator('.opt-name', { hasText: 'Ramen noodles' }).waitFor();
  await sheet().locator('[data-close]').first().click();
});

step('staff ends table 3’s session; the tablet’s My orders empties and speaks Korean again', async () => {
  await staff.locator('.nav a[data-view=orders]').click();
  await card3().click();
  await staff.locator('#table-dialog [data-action=end-session]').click();
  await staff.locator('dialog.confirm [data-action=confirm]').click();
  await staff.locator('.tcard.idle[data-table-number="3"]').waitFor();
  await tablet.locator('#btn-orders').click();
  await tablet.locator('#orders-list .empty').waitFor();
  assert.equal(await tablet.locator('#orders-list .order').count(), 0);
  assert.equal((await tablet.locator('#orders-total').innerText()).trim(), '0원');
  await tablet.locator('#orders-sheet [data-close]').first().click();
  await tablet.locator('.item', { hasText: '김치찌개' }).waitFor();
  assert.equal(await tablet.locator('.item', { hasText: 'Kimchi stew' }).count(), 0, 'the menu is Korean again');
  assert.equal((await tablet.locator('#btn-orders').innerText()).trim(), '주문 내역');
  assert.equal((await tablet.locator('#btn-lang .lang-label').innerText()).trim(), '한국어');
});

step('history shows the ended session with its orders', async () => {
  await staff.locator('.nav a[data-view=history]').click();
  const entry = staff.locator('.hsession', { hasText: '3번 테이블' });
  await entry.waitFor();
  const text = await entry.innerText();
  assert.match(text, new RegExp(`#${orderNo}`));
  assert.match(text, /이용 완료/);
  assert.match(text, /매운맛 · 라면사리/);
  assert.equal((await entry.locator('.line-note').first().innerText()).trim(), '덜 맵게');
});

step('no script errors on either page', async () => {
  assert.deepEqual(pageErrors, []);
});

// ---------- run ----------

let passed = 0;
let failed = 0;
let skipped = 0;
for (const s of steps) {
  if (failed) {
    skipped++;
    console.log(`- skip  ${s.name}`);
    continue;
  }
  const t0 = Date.now();
  try {
    await s.fn();
    passed++;
    console.log(`✔ pass  ${s.name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`✘ FAIL  ${s.name}\n        ${String(e && e.stack ? e.stack : e).split('\n').slice(0, 6).join('\n        ')}`);
    for (const [name, page] of [['staff', staff], ['tablet', tablet]]) {
      if (page) await page.screenshot({ path: path.join(SHOTS, `failure-${name}.png`) }).catch(() => {});
    }
  }
}
for (const { ctx, dir } of profiles) {
  await ctx.close().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`screenshots: ${SHOTS}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
