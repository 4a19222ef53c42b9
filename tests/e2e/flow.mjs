// The whole guest → staff → guest flow in two Chromium profiles against a demo server.
// usage: node flow.mjs http://127.0.0.1:PORT   (run.sh starts the server)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { client, png, seoulHm, seoulDate, runner } from './lib.mjs';

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
const api = client(BASE);

// ---------- a small sequential runner: a failed step skips the rest ----------

const { step, run } = runner();

const profiles = [];
const pageErrors = [];

async function browser(name, viewport, timezoneId = 'Asia/Seoul') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tableorder-e2e-${name}-`));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport,
    locale: 'ko-KR',
    timezoneId,
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
const staffToken = () => staff.evaluate(() => JSON.parse(localStorage.getItem('tableorder.staff')).token);
const tabletToken = () => tablet.evaluate(() => JSON.parse(localStorage.getItem('tableorder.tablet')).token);
const closeProfile = async (page) => {
  const i = profiles.findIndex((p) => p.ctx === page.context());
  if (i < 0) return;
  const [{ ctx, dir }] = profiles.splice(i, 1);
  await ctx.close().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
};
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

step('after a reload the dashboard asks for sound in a large prompt; one tap turns it on and the choice is kept', async () => {
  // The login was a tap: the chime plays, nothing to ask.
  assert.ok(await staff.locator('#sound-prompt').isHidden(), 'no prompt right after logging in');
  const prompt = staff.locator('#sound-prompt');
  const enable = prompt.locator('[data-action=sound-on]');
  for (const round of [1, 2]) {
    await staff.reload();
    await card3().waitFor();
    // The browser keeps audio off until a tap on the page; the dashboard says so loudly.
    await enable.waitFor();
    assert.match(await enable.innerText(), /소리 켜기/);
    const box = await enable.boundingBox();
    assert.ok(box.height >= 56 && box.width >= 600, `the prompt is large (${Math.round(box.width)}×${Math.round(box.height)})`);
    // The setting is still "on" (kept from the login's tap, then from the prompt's): only the
    // browser's autoplay rule blocks the sound.
    assert.equal(await staff.evaluate(() => localStorage.getItem('tableorder.sound')), 'on', `round ${round}: the setting was lost`);
    assert.equal(await staff.locator('#btn-sound').getAttribute('aria-pressed'), 'true');
    await enable.click();
    await prompt.waitFor({ state: 'hidden' });
    assert.equal(await staff.evaluate(() => localStorage.getItem('tableorder.sound')), 'on');
  }
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

step('the tablet is a kiosk: a web app manifest for full screen and a full-screen button', async () => {
  const href = await tablet.locator('link[rel=manifest]').getAttribute('href');
  const res = await fetch(BASE + href);
  assert.equal(res.status, 200, `${href} is served`);
  const manifest = await res.json();
  assert.equal(manifest.display, 'fullscreen');
  assert.equal(manifest.start_url, '/table');
  for (const icon of manifest.icons) assert.equal((await fetch(BASE + icon.src)).status, 200, `${icon.src} is served`);
  const btn = tablet.locator('#btn-fullscreen');
  await btn.click();
  await tablet.waitForFunction(() => document.fullscreenElement === document.documentElement);
  await btn.waitFor({ state: 'hidden' });
  await tablet.evaluate(() => document.exitFullscreen());
  await btn.waitFor();
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

step('photos of other shapes: every card picture is the same 4:3 box; prices and 담기 stay in view', async () => {
  const token = await staffToken();
  const items = (await api.call('GET', '/api/v1/admin/menu-items', { token })).data;
  const idOf = (name) => items.find((i) => i.name === name).id;
  // A portrait (3:4) photo and a very tall one, side by side in 식사.
  for (const [name, w, hgt] of [['김치찌개', 600, 800], ['된장찌개', 300, 1200]]) {
    const r = await api.call('PUT', `/api/v1/admin/menu-items/${idOf(name)}/image`, { token, raw: png(w, hgt), headers: { 'Content-Type': 'image/png' } });
    assert.equal(r.status, 200, JSON.stringify(r.data));
  }
  const menu = (await api.call('GET', '/api/v1/menu', { token: await tabletToken() })).data;
  const stew = menu.categories.flatMap((c) => c.items).find((i) => i.name === '된장찌개');
  assert.ok(stew.card_image_url && stew.card_image_url !== stew.image_url, 'the box made a card picture');
  const pictures = () => tablet.waitForFunction(() => [...document.querySelectorAll('.item .thumb img')].filter((i) => i.complete && i.naturalWidth).length >= 2);
  // In the first row of 식사 at each screen size: the pictures as high as each other, 4:3, and
  // each card's price and add button inside its card and on screen.
  async function sameBoxes(what) {
    for (const [w, hgt] of [[1280, 800], [800, 1280], [390, 844]]) {
      const at = `${w}x${hgt} ${what}`;
      await tablet.setViewportSize({ width: w, height: hgt });
      await settle(tablet);
      const view = await tablet.locator('#menu').boundingBox();
      const cards = await tablet.locator('.item').evaluateAll((els) =>
        els.map((e) => {
          const box = (sel) => (sel ? e.querySelector(sel) : e).getBoundingClientRect().toJSON();
          return { name: e.querySelector('.name').textContent, card: box(null), thumb: box('.thumb'), price: box('.price'), add: box('button.add') };
        }),
      );
      const row = cards.filter((c) => Math.abs(c.card.top - cards[0].card.top) < 1);
      assert.ok(row.some((c) => c.name === '김치찌개') && row.some((c) => c.name === '된장찌개'), `${at}: both photos in the first row`);
      for (const c of row) {
        assert.ok(Math.abs(c.thumb.height - row[0].thumb.height) <= 1, `${at}: ${c.name}'s picture is ${c.thumb.height}px high, ${row[0].name}'s ${row[0].thumb.height}px`);
        assert.ok(Math.abs(c.thumb.height - (c.thumb.width * 3) / 4) <= 1.5, `${at}: ${c.name}'s picture is not 4:3 (${c.thumb.width}×${c.thumb.height})`);
        for (const part of ['price', 'add']) {
          assert.ok(c[part].bottom <= c.card.bottom + 0.5, `${at}: ${c.name}'s ${part} sticks out of its card`);
          assert.ok(c[part].bottom <= view.y + view.height, `${at}: ${c.name}'s ${part} is below the screen`);
        }
      }
    }
    await tablet.setViewportSize({ width: 1280, height: 800 });
  }
  await tablet.locator('.cat', { hasText: '식사' }).click();
  const cardImg = tablet.locator(`.item[data-item-id="${stew.id}"] .thumb img`);
  await cardImg.waitFor();
  assert.equal(await cardImg.getAttribute('src'), stew.card_image_url, 'the card shows the 4:3 picture');
  await pictures();
  await sameBoxes('with the box’s 4:3 pictures');
  // A menu without card pictures (photos from before the box made them): the cards show the
  // originals, and the page crops them to the same 4:3 box.
  await tablet.route('**/api/v1/menu*', async (route) => {
    const res = await route.fetch();
    if (res.status() !== 200) return route.fulfill({ response: res });
    const json = await res.json();
    for (const c of json.categories) for (const i of c.items) i.card_image_url = null;
    await route.fulfill({ response: res, json });
  });
  await tablet.evaluate(() => localStorage.removeItem('tableorder.menus'));
  await tablet.reload();
  await tablet.locator('.cat', { hasText: '식사' }).click();
  await tablet.locator(`.item[data-item-id="${stew.id}"] .thumb img[src="${stew.image_url}"]`).waitFor();
  await pictures();
  await sameBoxes('with the original photos');
  await tablet.unroute('**/api/v1/menu*');
  await tablet.evaluate(() => localStorage.removeItem('tableorder.menus'));
  await tablet.reload();
  await tablet.locator(`.item[data-item-id="${stew.id}"] .thumb img[src="${stew.card_image_url}"]`).waitFor();
  await tablet.locator('#conn.up').waitFor();
  // From here on the tablet is not reloaded again until the language steps (checked there).
  await tablet.evaluate(() => (window.__noReload = true));
  // The item sheet shows the whole photo, not the crop.
  await tablet.locator(`.item[data-item-id="${stew.id}"] .thumb`).click();
  assert.equal(await sheet().locator('.isheet-photo img').getAttribute('src'), stew.image_url);
  await sheet().locator('[data-close]').first().click();
  await sheet().waitFor({ state: 'hidden' });
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

step('offline: both apps say so in a banner; an order sent meanwhile offers one retry and confirms itself when the network is back', async () => {
  const token = await tabletToken();
  const count = async () => (await api.call('GET', '/api/v1/orders', { token })).data.orders.length;
  const before = await count();
  for (const page of [staff, tablet]) await page.context().setOffline(true);
  for (const page of [staff, tablet]) {
    const banner = page.locator('#conn-banner');
    await banner.waitFor({ timeout: 5000 });
    assert.match(await banner.innerText(), /서버와 연결이 끊겼습니다/);
    const box = await banner.boundingBox();
    assert.ok(box.height >= 44 && box.width >= 700, `the banner is large (${Math.round(box.width)}×${Math.round(box.height)})`);
  }
  await tablet.locator('.cat', { hasText: '음료' }).click();
  await tablet.locator('.item', { hasText: '맥주' }).locator('button.add').click();
  await tablet.locator('#btn-order').click();
  await tablet.locator('#btn-place').click();
  const box = tablet.locator('#order-error');
  await box.locator('[data-action=retry]').waitFor();
  assert.match(await box.innerText(), /주문이 전달되었는지 확인하지 못했습니다/);
  assert.doesNotMatch(await box.innerText(), /null|undefined/);
  assert.equal(await box.locator('button').count(), 1, 'one action in the error box');
  assert.ok(await tablet.locator('#btn-place').isHidden(), 'no second order button beside the retry');
  await shoot(tablet, 'table-offline', 1280, 800);
  for (const page of [staff, tablet]) await page.context().setOffline(false);
  for (const page of [staff, tablet]) await page.locator('#conn-banner').waitFor({ state: 'hidden', timeout: 15000 });
  // The same attempt goes again by itself: the order number shows, the message is gone.
  await tablet.locator('#done').waitFor({ state: 'visible' });
  assert.ok(await box.isHidden(), 'the "could not confirm" message went away');
  await tablet.locator('#done').click();
  assert.equal(await count(), before + 1, 'exactly one order');
  assert.equal((await tablet.locator('#cart-total').innerText()).trim(), '0원');
  await tablet.locator('.cat', { hasText: '식사' }).click();
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

step('staff see Korean messages for a taken table number and for a file that is not a photo', async () => {
  await staff.locator('.nav a[data-view=tables]').click();
  const form = staff.locator('form.add-table');
  await form.locator('[name=number]').fill('3');
  await form.locator('[name=password]').fill('abcd');
  await form.locator('button[type=submit]').click();
  await form.locator('.field-error').waitFor();
  assert.equal((await form.locator('.field-error').innerText()).trim(), '3번 테이블이 이미 있습니다');
  // The server's reason for a password it refuses, in Korean.
  await staff.locator('.ttable tr[data-table-id]').filter({ hasText: '12번 테이블' }).getByRole('button', { name: '비밀번호 변경' }).click();
  const pw = staff.locator('dialog[open]');
  await pw.locator('[name=password]').fill('abc');
  await pw.locator('button[type=submit]').click();
  await pw.locator('.field-error').waitFor();
  assert.equal((await pw.locator('.field-error').innerText()).trim(), '4자 이상 입력하세요');
  await pw.getByRole('button', { name: '취소', exact: true }).click();
  await staff.locator('.nav a[data-view=menu]').click();
  await staff.locator('.irow[data-name="김치찌개"] [data-action=edit]').click();
  const dlg = staff.locator('dialog[open]');
  await dlg.locator('input[type=file]').setInputFiles({ name: 'menu.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') });
  await dlg.locator('button[type=submit]').click();
  const err = dlg.locator('.field-error');
  await err.waitFor();
  assert.equal((await err.innerText()).trim(), 'JPEG, PNG, WebP 사진만 올릴 수 있습니다');
  await dlg.getByRole('button', { name: '취소', exact: true }).click();
});

step('an item sold out while the tablet was cut off: the refusal names it in English and in Korean, never "null"', async () => {
  // 된장찌개 on sale again, and the tablet sees it.
  const toggle = staff.locator(`.irow[data-item-id="${soldOutItemId}"] [data-action=toggle-available]`);
  await toggle.click();
  await staff.locator(`.irow[data-item-id="${soldOutItemId}"] [aria-checked="true"]`).waitFor();
  const stew = tablet.locator(`.item[data-item-id="${soldOutItemId}"]`);
  await tablet.locator('.cat', { hasText: 'Meals' }).click();
  await tablet.locator(`.item[data-item-id="${soldOutItemId}"]:not(.soldout)`).waitFor();
  // The tablet loses its live stream, so what staff change next never reaches it.
  await tablet.route('**/api/v1/events**', (r) => r.abort());
  await tablet.context().setOffline(true);
  await tablet.locator('#conn-banner').waitFor();
  await tablet.context().setOffline(false);
  await stew.locator('button.add').click();
  await sheet().locator('.ogroup').first().locator('.opt').nth(1).click();
  await sheet().locator('[data-action=add]').click();
  await tablet.locator('#cart-count', { hasText: '1' }).waitFor();
  await toggle.click();
  await staff.locator(`.irow[data-item-id="${soldOutItemId}"] [aria-checked="false"]`).waitFor();
  assert.ok(!(await stew.evaluate((e) => e.classList.contains('soldout'))), 'the tablet still shows it on sale');
  await tablet.locator('#btn-order').click();
  const answer = tablet.waitForResponse((r) => r.url().endsWith('/api/v1/orders') && r.request().method() === 'POST');
  await tablet.locator('#btn-place').click();
  assert.equal((await answer).status(), 409);
  const box = tablet.locator('#order-error');
  await box.filter({ hasText: 'Soybean paste stew' }).waitFor();
  const en = (await box.innerText()).trim();
  assert.equal(en, 'Sold out: Soybean paste stew');
  await tablet.locator('#cart-sheet [data-close]').first().click();
  await tablet.locator('#btn-lang').click();
  await tablet.locator('#lang-menu [data-lang=ko]').click();
  await tablet.locator('#btn-cart').click();
  await box.filter({ hasText: '된장찌개' }).waitFor();
  const ko = (await box.innerText()).trim();
  assert.equal(ko, '품절되어 주문할 수 없습니다: 된장찌개');
  for (const text of [en, ko]) assert.doesNotMatch(text, /null|undefined|is sold out|not available/i);
  assert.ok(await tablet.locator('#btn-place').isDisabled(), 'the sold-out line cannot be ordered');
  await tablet.locator('#cart-lines .line .remove').click();
  await tablet.locator('#cart-sheet [data-close]').first().click();
  // Live again (the network comes back), and English again for the next guests' step.
  await tablet.unroute('**/api/v1/events**');
  await tablet.context().setOffline(true);
  await tablet.context().setOffline(false);
  await tablet.locator('#conn-banner').waitFor({ state: 'hidden', timeout: 15000 });
  await tablet.locator('#btn-lang').click();
  await tablet.locator('#lang-menu [data-lang=en]').click();
  await tablet.locator('.cat', { hasText: 'Meals' }).waitFor();
});

step('a staff call: the table card says so with a bell; the tablet still shows it after a reload; acknowledging clears both', async () => {
  await staff.locator('.nav a[data-view=orders]').click();
  await tablet.locator('#btn-call').click();
  // 직원 호출 asks what is needed; "just staff" is a call without a reason.
  await tablet.locator('#call-sheet [data-reason=""]').click();
  await tablet.locator('#btn-call.active').waitFor();
  const badge = card3().locator('.tcard-call');
  await badge.waitFor();
  assert.match(await badge.innerText(), /직원 호출 중/);
  assert.equal(await badge.locator('svg').count(), 1, 'a bell beside the words');
  assert.ok(await card3().evaluate((e) => e.classList.contains('calling')));
  await tablet.reload();
  await tablet.locator('.item').first().waitFor();
  await tablet.locator('#btn-call.active').waitFor();
  assert.equal((await tablet.locator('#btn-call').innerText()).trim(), 'Calling…');
  await staff.locator('#calls-panel [data-action=ack]').click();
  await tablet.locator('#btn-call:not(.active)').waitFor();
  await badge.waitFor({ state: 'detached' });
  assert.ok(!(await card3().evaluate((e) => e.classList.contains('calling'))));
  // Called again, and the guests leave before anyone comes (the next step ends the session).
  await tablet.locator('#btn-call').click();
  await tablet.locator('#call-sheet [data-reason=""]').click();
  await badge.waitFor();
});

step('staff ends table 3’s session; the tablet’s My orders empties and speaks Korean again', async () => {
  await staff.locator('.nav a[data-view=orders]').click();
  await card3().click();
  await staff.locator('#table-dialog [data-action=end-session]').click();
  // Orders still open are completed first (the confirm names them).
  await staff.locator('dialog.confirm [data-action=confirm], .end-dialog [data-action=end-complete-all]').click();
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
  // The open call ended with the session: neither the card nor the tablet shows it.
  assert.equal(await card3().locator('.tcard-call').count(), 0, 'the card no longer shows a call');
  await tablet.locator('#btn-call:not(.active)').waitFor();
  assert.deepEqual((await api.call('GET', '/api/v1/calls', { token: await tabletToken() })).data.calls, []);
  // The next guests start in Korean, also after a reload.
  assert.equal(await tablet.evaluate(() => localStorage.getItem('tableorder.guestLang')), null);
  await tablet.reload();
  await tablet.locator('.item', { hasText: '김치찌개' }).waitFor();
  assert.equal(await tablet.evaluate(() => document.documentElement.lang), 'ko');
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

step('setup QR codes: a sheet of every table; a tablet that opens one is set up, a second one is told the code is used', async () => {
  await staff.locator('.nav a[data-view=tables]').click();
  const minted = staff.waitForResponse((r) => r.url().endsWith('/api/v1/admin/tables/setup-codes'));
  await staff.locator('[data-action=print-qr]').click();
  const res = await minted;
  assert.equal(res.status(), 201);
  const sheetAnswer = await res.json();
  const dlg = staff.locator('#qr-dialog');
  const cards = dlg.locator('.qr-card');
  await cards.first().waitFor();
  const tables = (await api.call('GET', '/api/v1/admin/tables', { token: await staffToken() })).data.map((x) => x.number).sort((a, b) => a - b);
  assert.deepEqual(await cards.evaluateAll((els) => els.map((e) => Number(e.dataset.tableNumber))), tables, 'one card per table, in order');
  for (const c of await cards.all()) {
    const n = await c.getAttribute('data-table-number');
    assert.equal(await c.locator('.qr-code svg').count(), 1, `table ${n}: one QR code`);
    assert.equal((await c.locator('.qr-table').innerText()).trim(), `${n}번 테이블`);
    assert.equal(await c.getAttribute('data-url'), sheetAnswer.codes.find((x) => String(x.table_number) === n).url);
  }
  assert.match(await cards.first().locator('.qr-exp').innerText(), new RegExp(`^${seoulHm(sheetAnswer.expires_at)}까지 사용 가능`));
  // On paper only the cards: no dashboard, no buttons.
  await staff.emulateMedia({ media: 'print' });
  assert.ok(await dlg.locator('.qr-bar').isHidden(), 'the sheet’s buttons do not print');
  assert.ok(await staff.locator('#app').isHidden(), 'the dashboard does not print');
  assert.ok(await cards.first().isVisible(), 'the cards print');
  await staff.emulateMedia({ media: 'screen' });
  await dlg.locator('[data-action=close]').click();
  // One table's code from its row.
  const one = staff.waitForResponse((r) => r.url().endsWith('/api/v1/admin/tables/setup-codes'));
  await staff.locator('.ttable tr[data-table-id]').filter({ hasText: '7번 테이블' }).locator('[data-action=setup-qr]').click();
  assert.deepEqual((await one).request().postDataJSON().table_ids.length, 1);
  await cards.first().waitFor();
  assert.equal(await cards.count(), 1);
  const url = await cards.first().getAttribute('data-url');
  assert.match(url, /\/table#setup=/);
  await dlg.locator('[data-action=close]').click();
  // A new tablet opens the code's address (what its camera reads): it is table 7, logged in.
  const first = await browser('tablet-qr', { width: 1280, height: 800 });
  await first.goto(url);
  await first.locator('.item').first().waitFor();
  assert.equal((await first.locator('#table-label').innerText()).trim(), '테이블 7');
  assert.ok(!first.url().includes('setup='), 'the code leaves the address bar');
  const conf = await first.evaluate(() => JSON.parse(localStorage.getItem('tableorder.tablet')));
  assert.equal(conf.table, 7);
  assert.ok(conf.device_key && !conf.password, 'a device key, never a password, on a QR-set-up tablet');
  await first.locator('#conn.up').waitFor();
  // The next morning its login has expired (here: a token the box refuses): the tablet
  // renews it with its device key and stays table 7, with no setup screen.
  await first.evaluate(() => {
    const c = JSON.parse(localStorage.getItem('tableorder.tablet'));
    c.token = 'expired.token.value';
    localStorage.setItem('tableorder.tablet', JSON.stringify(c));
  });
  const renewed = first.waitForResponse((r) => r.url().endsWith('/api/v1/auth/table/renew') && r.status() === 200);
  await first.reload();
  await renewed;
  await first.locator('#conn.up').waitFor();
  assert.equal((await first.locator('#table-label').innerText()).trim(), '테이블 7');
  assert.ok(await first.locator('#setup').isHidden(), 'no setup screen');
  const after = await first.evaluate(() => JSON.parse(localStorage.getItem('tableorder.tablet')));
  assert.notEqual(after.token, 'expired.token.value');
  assert.ok(after.device_key, 'the renewed device key is kept');
  // The same code again on another tablet: used, said so, and the normal setup form.
  const second = await browser('tablet-qr2', { width: 1280, height: 800 });
  await second.goto(url);
  const msg = second.locator('#setup .form-error');
  await msg.filter({ hasText: '이미 사용했거나 만료되었습니다' }).waitFor();
  assert.ok(await second.locator('#setup-form [name=password]').isVisible(), 'the password setup is offered');
  assert.ok(await second.locator('#kiosk').isHidden());
  await closeProfile(first);
  await closeProfile(second);
});

step('a device set to New York time shows the store’s (Seoul) times and dates', async () => {
  const auth = await staff.evaluate(() => localStorage.getItem('tableorder.staff'));
  const ny = await browser('staff-ny', { width: 1280, height: 800 }, 'America/New_York');
  assert.equal(await ny.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), 'America/New_York');
  await ny.goto(`${BASE}/staff`);
  await ny.evaluate((a) => localStorage.setItem('tableorder.staff', a), auth);
  // An order now: the grid shows its time on the restaurant's clock.
  const token = await tabletToken();
  const menu = (await api.call('GET', '/api/v1/menu', { token })).data;
  const beer = menu.categories.flatMap((c) => c.items).find((i) => i.name === '맥주');
  const placed = await api.call('POST', '/api/v1/orders', { token, body: { items: [{ menu_item_id: beer.id, quantity: 1 }] }, headers: { 'Idempotency-Key': `ny-${Date.now()}` } });
  assert.equal(placed.status, 201);
  const o = placed.data;
  await ny.reload();
  const row = ny.locator(`.tcard[data-table-number="3"] .orow[data-order-id="${o.id}"]`);
  await row.waitFor();
  assert.equal((await row.locator('.otime').innerText()).trim(), seoulHm(o.created_at));
  // History: the dates default to Seoul's today and the week before; the session ended a
  // minute ago is listed, its orders at Seoul times.
  await ny.locator('.nav a[data-view=history]').click();
  const to = ny.locator('.toolbar input[name=to]');
  assert.equal(await to.inputValue(), seoulDate());
  const ended = (await api.call('GET', `/api/v1/admin/history?table_id=${o.table_id}&from=${seoulDate()}&to=${seoulDate()}`, { token: await staffToken() })).data[0];
  const entry = ny.locator('.hsession', { hasText: '3번 테이블' }).first();
  await entry.waitFor();
  assert.match(await entry.innerText(), new RegExp(`#${orderNo}`));
  const first = ended.orders.find((x) => x.order_no === orderNo);
  assert.equal((await entry.locator('tbody tr').filter({ hasText: `#${orderNo}` }).locator('td').nth(1).innerText()).trim(), seoulHm(first.created_at));
  await closeProfile(ny);
  // Table 3 is free again for whatever runs next.
  const end = await api.call('POST', `/api/v1/admin/tables/${o.table_id}/end-session`, { token: await staffToken() });
  assert.equal(end.status, 200);
});

step('no script errors on either page', async () => {
  assert.deepEqual(pageErrors, []);
});

// ---------- run ----------

const ok = await run(async () => {
  for (const [name, page] of [['staff', staff], ['tablet', tablet]]) {
    if (page) await page.screenshot({ path: path.join(SHOTS, `failure-${name}.png`) }).catch(() => {});
  }
});
for (const { ctx, dir } of profiles) {
  await ctx.close().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`screenshots: ${SHOTS}`);
process.exit(ok ? 0 : 1);
