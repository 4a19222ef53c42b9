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

const card3 = () => staff.locator('.tcard[data-table-number="3"]');
const myOrder = (id) => tablet.locator(`#orders-list .order[data-order-id="${id}"]`);

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

step('tablet adds two items to the cart', async () => {
  await tablet.locator('.item', { hasText: '김치찌개' }).locator('button.add').click();
  await tablet.locator('.cat', { hasText: '음료' }).click();
  await tablet.locator('.item', { hasText: '콜라' }).locator('button.add').click();
  await tablet.locator('#cart-count', { hasText: '2' }).waitFor();
  assert.equal((await tablet.locator('#cart-total').innerText()).trim(), '11,000원');
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
  assert.match(await place.innerText(), /11,000원/);
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
  assert.match(await card3().locator('.ttotal').innerText(), /11,000원/);
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
  await tablet.locator('.cat', { hasText: '식사' }).click();
  await tablet.locator('.item', { hasText: '불고기' }).locator('button.add').click();
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
  await tablet.locator('.item', { hasText: '비빔밥' }).locator('button.add').click();
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

step('staff ends table 3’s session; the tablet’s My orders empties', async () => {
  await staff.locator('.nav a[data-view=orders]').click();
  await card3().click();
  await staff.locator('#table-dialog [data-action=end-session]').click();
  await staff.locator('dialog.confirm [data-action=confirm]').click();
  await staff.locator('.tcard.idle[data-table-number="3"]').waitFor();
  await tablet.locator('#btn-orders').click();
  await tablet.locator('#orders-list .empty').waitFor();
  assert.equal(await tablet.locator('#orders-list .order').count(), 0);
  assert.equal((await tablet.locator('#orders-total').innerText()).trim(), '0원');
});

step('history shows the ended session with its orders', async () => {
  await staff.locator('.nav a[data-view=history]').click();
  const entry = staff.locator('.hsession', { hasText: '3번 테이블' });
  await entry.waitFor();
  const text = await entry.innerText();
  assert.match(text, new RegExp(`#${orderNo}`));
  assert.match(text, /이용 완료/);
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
