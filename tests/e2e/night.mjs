// An evening's rough edges in Chromium against the demo server (run.sh, last), and a fresh
// box of its own for the first run: the tablet's quick picks for a call (물, 앞접시, 수저,
// 물티슈, 계산 요청) and their reasons on the dashboard, in Korean, Japanese and Chinese; a line
// that went sold out in the cart counts nowhere; table cards show every line of an order in
// type readable from a metre; 30 tables fit at 1280×800; ending a visit names the orders not
// finished and completes or cancels them first, and the kitchen display drops their tickets;
// the kitchen display in an outage (a full-width banner, no green printer chip), ages past an
// hour, English labels, the station picker and the sound prompt; the menu page while the box is
// away; buttons of 44 px and toasts clear of the tabs on a phone; missing translations, English
// plurals and Korean particles; a large phone photo made smaller before it is sent; the long
// press that reopens the tablet's setup asks a staff member first; /setup's field errors all
// at once and a new store's dashboard saying what to do next. Each screen: axe-core, and
// screenshots at 1280×800, 800×1280 and 390×844.
// usage: node night.mjs http://127.0.0.1:PORT [BINARY]   (run.sh passes its server binary)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { startFakePrinter } from './escpos.mjs';
import { client, tabletConf, axeCheck, noSidewaysScroll, buttonsFit, settle, runner, sleep } from './lib.mjs';

const BASE = (process.argv[2] || '').replace(/\/$/, '');
const BIN = process.argv[3] || process.env.TABLEORDER_BIN || '';
if (!BASE) {
  console.error('usage: node night.mjs <base-url> [server-binary]');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.E2E_SHOTS || fs.mkdtempSync(path.join(os.tmpdir(), 'tableorder-shots-'));
fs.mkdirSync(SHOTS, { recursive: true });
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SIZES = [[1280, 800], [800, 1280], [390, 844]];
const WAIT = 10_000;
const api = client(BASE);
const { step, run } = runner();
const pageErrors = [];

let browser;
let owner; // the owner's dashboard
let tablet; // table 4's tablet
let kds; // the kitchen display
let printer; // a fake network printer for 주방
let ownerTk;
let menu;
let kitchenId;
let kitchenPrinterBefore = null;
const tk = {}; // table number → table login
const tableId = {};
const added = []; // ids of the tables this test adds
let nightItem = null; // a menu item made here (no translations, a photo)
let fresh = null; // the first-run box: {proc, base, dir, log}
let lastLogin = 0; // logins are limited per address: 5 a minute

// ---------- helpers ----------

async function newPage(name, { storage = {}, viewport = { width: 1280, height: 800 }, clockAt = null } = {}) {
  const ctx = await browser.newContext({ viewport, locale: 'ko-KR', timezoneId: 'Asia/Seoul' });
  if (clockAt) await ctx.clock.install({ time: clockAt });
  await ctx.addInitScript(
    ([entries, once]) => {
      if (sessionStorage.getItem(once)) return;
      sessionStorage.setItem(once, '1');
      for (const [k, v] of entries) localStorage.setItem(k, v);
    },
    [Object.entries(storage), `e2e-init-${name}`],
  );
  const page = await ctx.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message} (${String(e.stack || '').split('\n')[1]?.trim() || ''})`));
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource|ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|EventSource/.test(m.text()) && pageErrors.push(`${name} console: ${m.text()}`));
  return page;
}

async function shoot(page, name, width, height) {
  await page.setViewportSize({ width, height });
  await settle(page);
  await page.screenshot({ path: path.join(SHOTS, `${name}-${width}x${height}.png`) });
  await noSidewaysScroll(page, `${name} ${width}x${height}`);
  if (width < 600) await buttonsFit(page, `${name} ${width}x${height}`);
}
// The audit, then a screenshot at each size; the page goes back to the size it had.
async function check(page, name) {
  const size = page.viewportSize();
  await settle(page);
  await axeCheck(page, name);
  for (const [w, h] of SIZES) await shoot(page, name, w, h);
  await page.setViewportSize(size);
  await settle(page);
}

async function login(url, body) {
  const r = await api.login(url, body);
  lastLogin = Date.now();
  return r;
}
// Waits until a login made in the browser cannot meet the per-address limit.
async function loginRoom() {
  const wait = lastLogin + 61_000 - Date.now();
  if (wait > 0) {
    console.log(`        (login rate limit: waiting ${Math.round(wait / 1000)} s)`);
    await sleep(wait);
  }
}

const own = (method, url, body) => api.call(method, url, { token: ownerTk.token, body });
const items = () => menu.categories.flatMap((c) => c.items);
const simple = () => items().filter((i) => i.available && !(i.option_groups || []).length);
// An order line of any item: the first options of each group that needs a choice.
const lineOf = (it, quantity) => ({
  menu_item_id: it.id,
  quantity,
  option_ids: (it.option_groups || []).flatMap((g) => g.options.filter((o) => o.available).slice(0, g.min).map((o) => o.id)),
});
const wonText = (n) => `${n.toLocaleString('ko-KR')}원`;
async function order(n, lines) {
  const r = await api.call('POST', '/api/v1/orders', { token: tk[n].token, body: { items: lines }, headers: { 'Idempotency-Key': `night-${crypto.randomUUID()}` } });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  return r.data;
}
async function endIfOpen(n) {
  const tb = (await own('GET', '/api/v1/admin/tables')).data.find((x) => x.number === n);
  if (tb && tb.session) await own('POST', `/api/v1/admin/tables/${tb.id}/end-session`, { force: true, reason: 'e2e' });
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
const card = (page, n) => page.locator(`.tcard[data-table-number="${n}"]`);
const box = (loc) => loc.evaluate((e) => e.getBoundingClientRect().toJSON());

// A w×h PNG of noise (as a phone photo compresses: hardly), over 2 MB for 1100×900.
function noisePng(w, h) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  crypto.randomFillSync(raw);
  for (let y = 0; y < h; y++) raw[y * (w * 3 + 1)] = 0;
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0))]);
}

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });

// ---------- the evening ----------

step('the store for the test: tables 4–6 free, 주방 on a fake printer, the owner’s dashboard', async () => {
  ownerTk = await login('/api/v1/auth/admin/login', { store_id: 'demo', username: 'admin', password: 'demo1234' });
  await own('PATCH', '/api/v1/admin/settings', { checkout: 'off', end_when_paid: false, ask_guests: false });
  for (const tb of (await own('GET', '/api/v1/admin/tables')).data) tableId[tb.number] = tb.id;
  for (const n of [4, 5, 6]) {
    await endIfOpen(n);
    tk[n] = await login('/api/v1/auth/table/login', { store_id: 'demo', table_number: n, password: '1234' });
  }
  for (const c of (await own('GET', '/api/v1/admin/calls?open=true')).data) await own('POST', `/api/v1/admin/calls/${c.id}/ack`, {});
  for (const it of (await own('GET', '/api/v1/admin/menu-items')).data) if (!it.available) await own('PUT', `/api/v1/admin/menu-items/${it.id}/available`, { available: true });
  menu = (await api.call('GET', '/api/v1/menu', { token: tk[4].token })).data;
  assert.ok(simple().length >= 3 && items().length >= 5, 'items for the orders');
  printer = await startFakePrinter();
  const stations = (await own('GET', '/api/v1/admin/stations')).data;
  const kitchen = stations.find((s) => s.name === '주방');
  kitchenId = kitchen.id;
  kitchenPrinterBefore = kitchen.printer;
  const p = await own('PATCH', `/api/v1/admin/stations/${kitchenId}`, { printer: { host: '127.0.0.1', port: printer.port, encoding: 'cp949', columns: 42 } });
  assert.equal(p.status, 200, JSON.stringify(p.data));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  owner = await newPage('owner', { storage: { 'tableorder.staff': JSON.stringify(ownerTk), 'tableorder.filter': 'all', 'tableorder.sound': 'off' } });
  await owner.goto(`${BASE}/staff#orders`);
  await owner.locator('#conn.up').waitFor();
  tablet = await newPage('tablet', { storage: { 'tableorder.tablet': JSON.stringify(tabletConf(tk[4])) } });
  await tablet.goto(`${BASE}/table`);
  await tablet.locator('#conn.up').waitFor();
  await tablet.locator('.item').first().waitFor();
});

step('직원 호출 asks what is needed: 물 goes as the reason and the dashboard names it, with a 44 px 확인', async () => {
  await tablet.locator('#btn-call').click();
  const sheet = tablet.locator('#call-sheet[open]');
  await sheet.waitFor();
  const picks = (await sheet.locator('.call-pick').allInnerTexts()).map((s) => s.trim());
  assert.deepEqual(picks, ['물', '앞접시', '수저', '물티슈', '계산 요청', '직원만 부르기']);
  await check(tablet, 'night-call-sheet');
  const sent = tablet.waitForResponse((r) => r.url().endsWith('/api/v1/calls') && r.request().method() === 'POST');
  await sheet.locator('[data-reason=water]').click();
  const res = await sent;
  assert.deepEqual(JSON.parse(res.request().postData()), { reason: 'water' });
  await tablet.locator('.toast', { hasText: '물을 요청했습니다' }).waitFor();
  await tablet.locator('#btn-call.active', { hasText: '물' }).waitFor();
  await check(tablet, 'night-call-sent');
  const open = (await own('GET', '/api/v1/admin/calls?open=true')).data.filter((c) => c.table_number === 4);
  assert.deepEqual(open.map((c) => c.reason), ['water']);
  // The dashboard: the calls panel and the card say what the table asked for.
  const call = owner.locator('#calls-panel .call[data-table-number="4"]');
  await call.waitFor();
  assert.equal((await call.locator('.call-reason').innerText()).trim(), '물');
  assert.equal((await card(owner, 4).locator('.tcard-call strong').innerText()).trim(), '직원 호출 중 · 물');
  await owner.locator('.toast', { hasText: '4번 테이블: 물 부탁드려요' }).waitFor();
  const ack = call.locator('[data-action=ack]');
  assert.ok((await ack.boundingBox()).height >= 44, 'the call’s 확인 is at least 44 px high');
  await check(owner, 'night-call-board');
  // The sheet again: it says staff are coming for water.
  await tablet.locator('#btn-call').click();
  await tablet.locator('#call-sheet[open] .call-sheet-open', { hasText: '물' }).waitFor();
  await tablet.locator('#call-sheet[open] [data-close]').click();
  await ack.click();
  await tablet.locator('#btn-call:not(.active)').waitFor();
});

step('계산 요청 among the picks: before any order the tablet says there is nothing to bill (the box answers 409 too)', async () => {
  const r = await api.call('POST', '/api/v1/bill-request', { token: tk[4].token, body: {} });
  assert.equal(r.status, 409, `bill request without a visit: ${r.status} ${JSON.stringify(r.data)}`);
  await tablet.locator('#btn-call').click();
  await tablet.locator('#call-sheet[open] [data-reason=bill]').click();
  await tablet.locator('.toast', { hasText: '아직 주문한 메뉴가 없습니다' }).waitFor();
  assert.equal((await own('GET', '/api/v1/admin/calls?open=true')).data.filter((c) => c.table_number === 4).length, 0);
});

step('the quick picks in Japanese and Chinese (Noto CJK)', async () => {
  for (const [l, water, title] of [['ja', 'お水', '何をお持ちしましょうか？'], ['zh', '水', '需要什么？']]) {
    await tablet.locator('#btn-lang').click();
    await tablet.locator(`#lang-menu [data-lang=${l}]`).click();
    await tablet.waitForFunction((x) => document.documentElement.lang === x, l);
    await tablet.locator('#btn-call').click();
    const sheet = tablet.locator('#call-sheet[open]');
    await sheet.waitFor();
    assert.equal((await sheet.locator('h2').innerText()).trim(), title);
    assert.equal((await sheet.locator('[data-reason=water]').innerText()).trim(), water);
    await check(tablet, `night-call-sheet-${l}`);
    await sheet.locator('[data-close]').click();
  }
  await tablet.locator('#btn-lang').click();
  await tablet.locator('#lang-menu [data-lang=ko]').click();
  await tablet.waitForFunction(() => document.documentElement.lang === 'ko');
});

step('a line that went sold out in the cart counts in neither the total nor the button', async () => {
  const [a, b] = simple();
  for (const it of [a, b]) {
    const cat = menu.categories.find((c) => c.items.some((x) => x.id === it.id));
    await tablet.locator('.cat', { hasText: cat.name }).click();
    await tablet.locator(`.item[data-item-id="${it.id}"] button.add`).click();
  }
  await tablet.waitForFunction((t) => document.querySelector('#cart-total').textContent === t, wonText(a.price + b.price));
  assert.equal((await own('PUT', `/api/v1/admin/menu-items/${b.id}/available`, { available: false })).status, 200);
  await tablet.waitForFunction((t) => document.querySelector('#cart-total').textContent === t, wonText(a.price));
  assert.equal((await tablet.locator('#cart-count').innerText()).trim(), '1');
  await tablet.locator('#btn-cart').click();
  await tablet.locator(`#cart-lines .line.soldout[data-item-id="${b.id}"]`).waitFor();
  assert.equal((await tablet.locator('#sheet-total').innerText()).trim(), wonText(a.price));
  assert.match(await tablet.locator('#btn-place').innerText(), new RegExp(`${wonText(a.price)}$`));
  await check(tablet, 'night-cart-soldout');
  // Only the sold-out line left: the cart still opens, to take it out.
  await tablet.locator(`#cart-lines .line[data-item-id="${a.id}"] .remove`).click();
  assert.equal((await tablet.locator('#sheet-total').innerText()).trim(), '0원');
  await tablet.locator('#cart-sheet [data-close]').first().click();
  assert.ok(await tablet.locator('#btn-cart').isEnabled(), 'the cart with a sold-out line opens');
  assert.equal((await tablet.locator('#cart-caption').innerText()).trim(), '품절된 메뉴만 담겨 있음');
  await own('PUT', `/api/v1/admin/menu-items/${b.id}/available`, { available: true });
  await tablet.locator('#btn-cart').click();
  await tablet.locator(`#cart-lines .line[data-item-id="${b.id}"] .remove`).click();
  await tablet.locator('#cart-sheet [data-close]').first().click();
});

let firstOrder;
step('30 tables fit on the first screen at 1280×800: free tables are one line and never stretch to their row', async () => {
  // Every other table free; table 4 with a small order, beside the free table 3.
  for (const tb of (await own('GET', '/api/v1/admin/tables')).data) if (tb.number !== 4) await endIfOpen(tb.number);
  firstOrder = await order(4, [{ menu_item_id: simple()[0].id, quantity: 1 }]);
  await card(owner, 4).locator(`.orow[data-order-id="${firstOrder.id}"]`).waitFor();
  for (let n = 13; n <= 30; n++) {
    const r = await own('POST', '/api/v1/admin/tables', { number: n, password: '1234' });
    if (r.status === 201) added.push(r.data.id);
  }
  await owner.setViewportSize({ width: 1280, height: 800 });
  await owner.waitForFunction(() => document.querySelectorAll('.tcard').length === 30);
  await settle(owner);
  // Measured in one go, once the board has drawn every table (each new table redraws it).
  await sleep(500);
  const [busy, idle] = await owner.evaluate(() => [4, 3].map((n) => document.querySelector(`.tcard[data-table-number="${n}"]`).getBoundingClientRect().toJSON()));
  assert.ok(idle.height < 70, `a free table's card is ${Math.round(idle.height)} px high`);
  assert.ok(idle.height < busy.height, `the free card beside a busy one keeps its own height (${Math.round(idle.height)} vs ${Math.round(busy.height)})`);
  const lowest = await owner.evaluate(() => Math.max(...[...document.querySelectorAll('.tcard')].map((e) => e.getBoundingClientRect().bottom)));
  assert.ok(lowest <= 800, `the last card ends at ${Math.round(lowest)} px, below the first screen`);
  await owner.screenshot({ path: path.join(SHOTS, 'night-30-tables-1280x800.png') });
  await shoot(owner, 'night-30-tables', 800, 1280);
  await shoot(owner, 'night-30-tables', 390, 844);
  await owner.setViewportSize({ width: 1280, height: 800 });
  for (const id of added.splice(0)) await own('DELETE', `/api/v1/admin/tables/${id}`);
  await owner.waitForFunction(() => document.querySelectorAll('.tcard').length === 12);
});

let bigOrder;
step('a table card shows every line of an order (name × quantity), in type readable from a metre', async () => {
  const five = items().filter((i) => i.available).slice(0, 5);
  bigOrder = await order(4, five.map((it, i) => lineOf(it, i + 1)));
  const row = card(owner, 4).locator(`.orow[data-order-id="${bigOrder.id}"]`);
  await row.waitFor();
  const lines = (await row.locator('.oi').allInnerTexts()).map((s) => s.replace(/\s+/g, ' ').trim());
  const opts = (i) => (i.options.length ? ` (${i.options.map((o) => o.name).join(' · ')})` : '');
  assert.deepEqual(lines, bigOrder.items.map((i) => `${i.name}${opts(i)} × ${i.quantity}`));
  assert.equal(lines.length, 5);
  // Nothing cut: every line lies inside the card and its box shows all of its text.
  const cut = await card(owner, 4).evaluate((c) => {
    const cr = c.getBoundingClientRect();
    const out = [];
    for (const e of c.querySelectorAll('.oi, .oitems')) {
      const r = e.getBoundingClientRect();
      if (r.bottom > cr.bottom + 0.5 || r.right > cr.right + 0.5) out.push(`${e.className} outside the card`);
      if (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1) out.push(`${e.className} "${e.textContent}" clipped`);
      const fs = parseFloat(getComputedStyle(e).fontSize);
      if (fs < 15) out.push(`${e.className} at ${fs}px`);
    }
    return out;
  });
  assert.deepEqual(cut, []);
  await check(owner, 'night-card-lines');
});

step('ending a visit names its unfinished orders; 모두 완료하고 종료 completes them, and the kitchen drops their tickets', async () => {
  kds = await newPage('kds', { storage: { 'tableorder.staff': JSON.stringify(ownerTk), 'tableorder.kitchen.station': '' } });
  await kds.goto(`${BASE}/kitchen`);
  await kds.locator('#conn.up').waitFor();
  await kds.locator(`.ticket[data-order-id="${bigOrder.id}"]`).first().waitFor();
  // One of them is being prepared already.
  const second = await order(4, [{ menu_item_id: simple()[0].id, quantity: 1 }]);
  await own('PATCH', `/api/v1/admin/orders/${second.id}`, { status: 'preparing' });
  await card(owner, 4).locator(`.orow[data-order-id="${second.id}"][data-status=preparing]`).waitFor();
  await card(owner, 4).click();
  await owner.locator('#table-dialog[open] [data-action=end-session]').click();
  const dlg = owner.locator('.end-dialog[open]');
  await dlg.waitFor();
  assert.match(await dlg.locator('.end-unfinished').innerText(), /아직 끝나지 않은 주문이 3건 있습니다/);
  const named = await dlg.locator('.end-orders li').evaluateAll((ls) => ls.map((l) => [Number(l.dataset.orderId), l.querySelector('.status').textContent]));
  assert.deepEqual(named, [[firstOrder.id, '대기중'], [bigOrder.id, '대기중'], [second.id, '준비중']]);
  assert.match(await dlg.locator(`li[data-order-id="${bigOrder.id}"]`).innerText(), new RegExp(`#${bigOrder.order_no}`));
  await check(owner, 'night-end-unfinished');
  await dlg.locator('[data-action=end-complete-all]').click();
  await card(owner, 4).and(owner.locator('.idle')).waitFor();
  const h = (await own('GET', `/api/v1/admin/history?table_id=${tableId[4]}`)).data.find((s) => s.orders.some((o) => o.id === bigOrder.id));
  assert.ok(h && h.ended_at, 'the visit ended');
  assert.deepEqual(h.orders.map((o) => o.status), ['completed', 'completed', 'completed']);
  for (const o of [firstOrder, bigOrder, second]) await kds.locator(`.ticket[data-order-id="${o.id}"]`).first().waitFor({ state: 'detached' });
});

step('모두 취소하고 종료 cancels the orders first; history keeps none of them pending', async () => {
  const a = await order(5, [{ menu_item_id: simple()[1].id, quantity: 2 }]);
  const b = await order(5, [{ menu_item_id: simple()[2].id, quantity: 1 }]);
  await card(owner, 5).locator(`.orow[data-order-id="${b.id}"]`).waitFor();
  await card(owner, 5).click();
  await owner.locator('#table-dialog[open] [data-action=end-session]').click();
  const dlg = owner.locator('.end-dialog[open]');
  await dlg.waitFor();
  assert.equal(await dlg.locator('.end-orders li').count(), 2);
  await dlg.locator('[data-action=end-cancel-all]').click();
  await card(owner, 5).and(owner.locator('.idle')).waitFor();
  const h = (await own('GET', `/api/v1/admin/history?table_id=${tableId[5]}`)).data.find((s) => s.orders.some((o) => o.id === a.id));
  assert.deepEqual(h.orders.map((o) => o.status), ['cancelled', 'cancelled']);
  // Their tickets, the cancel slips too, leave the kitchen display with the visit.
  for (const o of [a, b]) await kds.locator(`.ticket[data-order-id="${o.id}"]`).first().waitFor({ state: 'detached' });
  // Back out, nothing changes: a visit with an order still open stays open.
  const c = await order(5, [{ menu_item_id: simple()[0].id, quantity: 1 }]);
  await card(owner, 5).locator(`.orow[data-order-id="${c.id}"]`).waitFor();
  await card(owner, 5).click();
  await owner.locator('#table-dialog[open] [data-action=end-session]').click();
  await owner.locator('.end-dialog[open] button[value=back]').click();
  await owner.locator('.end-dialog').waitFor({ state: 'detached' });
  assert.ok((await own('GET', '/api/v1/admin/tables')).data.find((x) => x.number === 5).session, 'still open');
  await owner.locator('#table-dialog[open]').press('Escape');
  // Ended elsewhere (a script, another screen) with the order still waiting: the display drops
  // its ticket all the same, no ticket of an ended visit stays up.
  await kds.locator(`.ticket[data-order-id="${c.id}"]`).first().waitFor();
  await endIfOpen(5);
  await kds.locator(`.ticket[data-order-id="${c.id}"]`).first().waitFor({ state: 'detached' });
});

step('the kitchen display in an outage: a full-width banner in words, and no green printer chip', async () => {
  await kds.close();
  kds = await newPage('kds2', { storage: { 'tableorder.staff': JSON.stringify(ownerTk), 'tableorder.kitchen.station': String(kitchenId) } });
  await kds.goto(`${BASE}/kitchen`);
  await kds.locator('#conn.up').waitFor();
  await kds.locator('#printer.ok').waitFor();
  await kds.context().setOffline(true);
  const banner = kds.locator('#conn-banner');
  await banner.waitFor({ timeout: 15000 });
  assert.match(await banner.innerText(), /서버와 연결이 끊겼습니다/);
  const b = await banner.boundingBox();
  assert.ok(b.width >= 1279 && b.height >= 44, `the banner is ${Math.round(b.width)}×${Math.round(b.height)}`);
  await kds.locator('#printer.unknown', { hasText: '프린터 상태 모름' }).waitFor();
  assert.equal(await kds.locator('#printer.ok').count(), 0, 'no "프린터 정상" while the box is away');
  assert.match(await kds.locator('#conn').innerText(), /연결 끊김/);
  await check(kds, 'night-kds-outage');
  await kds.context().setOffline(false);
  await banner.waitFor({ state: 'hidden', timeout: 20000 });
  await kds.locator('#printer.ok').waitFor();
});

step('kitchen: the large sound prompt, the padded station picker with its close button', async () => {
  // Opened without a tap: the browser holds sound back, and the display says so in large.
  const enable = kds.locator('#sound-prompt [data-action=sound-on]');
  await enable.waitFor();
  const e = await enable.boundingBox();
  assert.ok(e.height >= 56 && e.width >= 600, `the prompt is ${Math.round(e.width)}×${Math.round(e.height)}`);
  await enable.click();
  await kds.locator('#sound-prompt').waitFor({ state: 'hidden' });
  await kds.locator('#btn-station').click();
  const dlg = kds.locator('#station-dialog[open]');
  await dlg.waitFor();
  const pad = await dlg.locator('.dialog-body').evaluate((x) => parseFloat(getComputedStyle(x).paddingLeft));
  assert.ok(pad >= 16, `the picker's padding is ${pad}px`);
  await check(kds, 'night-kds-stations');
  await dlg.locator('[data-close]').click();
  await dlg.waitFor({ state: 'hidden' });
});

step('kitchen: a ticket past an hour reads in hours and minutes; English labels are never cut', async () => {
  const o = await order(6, [{ menu_item_id: simple()[0].id, quantity: 1 }]);
  // A display whose clock runs 65 minutes ahead sees the ticket 65 minutes old.
  const late = await newPage('kds-late', {
    storage: { 'tableorder.staff': JSON.stringify(ownerTk), 'tableorder.kitchen.station': '', 'tableorder.kitchen.lang': 'ko' },
    clockAt: new Date(Date.now() + 65 * 60_000),
  });
  await late.goto(`${BASE}/kitchen`);
  const age = late.locator(`.ticket[data-order-id="${o.id}"] .ticket-age`).first();
  await age.waitFor();
  await late.waitForFunction((id) => /시간/.test(document.querySelector(`.ticket[data-order-id="${id}"] .ticket-age`)?.textContent || ''), o.id);
  assert.match(await age.innerText(), /^1시간 [4-6]분$/);
  await late.locator('.kds-bar [data-action=lang]').click();
  await late.waitForFunction(() => document.documentElement.lang === 'en');
  assert.match(await age.innerText(), /^1 h [4-6] min$/);
  for (const [w, h] of [[800, 1280], [390, 844], [1280, 800]]) {
    await late.setViewportSize({ width: w, height: h });
    await settle(late);
    await buttonsFit(late, `kitchen (en) ${w}x${h}`);
    const cut = await late.evaluate(() =>
      [...document.querySelectorAll('.kds-bar > *, .ticket-head > *')]
        .filter((e) => e.offsetParent && (e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > e.closest('.kds-bar, .ticket').getBoundingClientRect().right + 1))
        .map((e) => e.textContent.trim()),
    );
    assert.deepEqual(cut, [], `${w}x${h}: labels cut`);
    await late.screenshot({ path: path.join(SHOTS, `night-kds-en-${w}x${h}.png`) });
  }
  await late.context().close();
  await own('PATCH', `/api/v1/admin/orders/${o.id}`, { status: 'preparing' });
});

step('staff buttons during service are at least 44 px: an order’s actions, the menu’s and the tables’ rows', async () => {
  await card(owner, 6).click();
  const dlg = owner.locator('#table-dialog[open]');
  await dlg.locator('.oblock').first().waitFor();
  // The order's buttons follow its status, which may still be arriving on a busy machine.
  await dlg.locator('.oblock .actions button').first().waitFor();
  const small = async (sel, label) => {
    const hs = await owner.locator(sel).evaluateAll((bs) => bs.filter((b) => b.offsetParent).map((b) => [b.textContent.trim() || b.getAttribute('aria-label'), b.getBoundingClientRect().height]));
    assert.ok(hs.length, `${label}: no buttons found`);
    const low = hs.filter(([, h]) => h < 44);
    assert.deepEqual(low, [], `${label}: buttons under 44 px`);
  };
  await small('#table-dialog .oblock .actions button', 'order actions');
  await small('#table-dialog .dlg-actions button', 'dialog actions');
  await dlg.press('Escape');
  await owner.locator('.nav a[data-view=menu]').click();
  await owner.locator('.irow').first().waitFor();
  await small('.irow-actions button', 'menu item rows');
  await small('.crow button', 'category rows');
  await owner.locator('.nav a[data-view=tables]').click();
  await owner.locator('.row-actions').first().waitFor();
  await small('.row-actions button', 'table rows');
  await owner.locator('.nav a[data-view=orders]').click();
});

step('a toast never covers the tabs, on a phone or a tablet', async () => {
  for (const [w, h, reason, word] of [[390, 844, 'wipes', '물티슈'], [800, 1280, 'plates', '앞접시']]) {
    await owner.setViewportSize({ width: w, height: h });
    await settle(owner);
    await api.call('POST', '/api/v1/calls', { token: tk[6].token, body: { reason } });
    const t = owner.locator('.toast', { hasText: `6번 테이블: ${word} 부탁드려요` });
    await t.waitFor();
    const [tb, nav] = [await t.boundingBox(), await owner.locator('.topbar').boundingBox()];
    assert.ok(tb.y >= nav.y + nav.height, `${w}x${h}: the toast (${Math.round(tb.y)}…) lies over the top bar (…${Math.round(nav.y + nav.height)})`);
    await owner.screenshot({ path: path.join(SHOTS, `night-toast-${w}x${h}.png`) });
    for (const c of (await own('GET', '/api/v1/admin/calls?open=true')).data) await own('POST', `/api/v1/admin/calls/${c.id}/ack`, {});
  }
  await owner.setViewportSize({ width: 1280, height: 800 });
  for (const c of (await own('GET', '/api/v1/admin/calls?open=true')).data) await own('POST', `/api/v1/admin/calls/${c.id}/ack`, {});
});

step('the menu page while the box is away says so (not "add a category"), and fills in once it is back', async () => {
  await owner.route('**/api/v1/admin/**', (r) => r.abort('connectionrefused'));
  await owner.locator('.nav a[data-view=menu]').click();
  const failed = owner.locator('#item-panel .load-failed');
  await failed.waitFor();
  assert.match(await failed.innerText(), /서버에 연결할 수 없어 메뉴를 불러오지 못했습니다/);
  assert.equal(await owner.getByText('먼저 카테고리를 추가하세요').count(), 0);
  await check(owner, 'night-menu-offline');
  await owner.unroute('**/api/v1/admin/**');
  await owner.locator('.crow').first().waitFor({ timeout: 15000 });
  await owner.locator('#conn.up').waitFor({ timeout: 20000 });
});

step('missing translations are flagged; Korean particles follow the word; English plurals are right', async () => {
  const cat = (await own('GET', '/api/v1/admin/categories')).data[0];
  const r = await own('POST', '/api/v1/admin/menu-items', { category_id: cat.id, name: '야간 메뉴', price: 1000 });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  nightItem = r.data;
  await owner.locator(`.crow[data-category-id="${cat.id}"] .cname`).click();
  const row = owner.locator(`.irow[data-item-id="${nightItem.id}"]`);
  await row.waitFor();
  assert.equal((await row.locator('.missing-tr').innerText()).trim(), '번역 없음: EN · JA · ZH');
  const full = (await own('GET', '/api/v1/admin/menu-items')).data.find((it) => ['en', 'ja', 'zh'].every((l) => it.translations?.[l]?.name));
  if (full) assert.equal(await owner.locator(`.irow[data-item-id="${full.id}"] .missing-tr`).count(), 0, 'a translated item is not flagged');
  await check(owner, 'night-menu-missing');
  // "야간 메뉴를", never "을(를)".
  await row.locator('button[aria-label="삭제"]').click();
  assert.equal((await owner.locator('dialog.confirm .confirm-text').innerText()).trim(), '메뉴 "야간 메뉴"를 삭제할까요?');
  await owner.locator('dialog.confirm button[value=no]').click();
  const said = await owner.evaluate(async () => {
    const { t, particle } = await import('/js/i18n.js');
    return [t('menu.deleteCatConfirm', { name: '국밥' }), particle('김치찌개', '을'), particle('7', '로'), particle('1', '로')];
  });
  assert.deepEqual(said, ['카테고리 "국밥"을 삭제할까요?', '를', '로', '로']);
  // English: table 6's card holds one order.
  await owner.locator('.nav a[data-view=orders]').click();
  await owner.locator('.topbar [data-action=lang]').click();
  await owner.waitForFunction(() => document.documentElement.lang === 'en');
  await card(owner, 6).locator('.tcard-foot', { hasText: '1 order' }).waitFor();
  assert.doesNotMatch(await card(owner, 6).locator('.tcard-foot').innerText(), /1 orders/);
  const en = await owner.evaluate(async () => {
    const { t } = await import('/js/i18n.js');
    return [t('history.summary', { n: 1, total: '₩1' }), t('history.summary', { n: 2, total: '₩2' }), t('guests.n', { n: 1 }), t('audit.summary', { n: 1 })];
  });
  assert.deepEqual(en, ['1 session · total ₩1', '2 sessions · total ₩2', '1 guest', '1 entry']);
  await owner.locator('.topbar [data-action=lang]').click();
  await owner.waitForFunction(() => document.documentElement.lang === 'ko');
});

step('a phone photo over 2 MB is made smaller in the browser and accepted', async () => {
  const big = noisePng(1100, 900);
  assert.ok(big.length > 2 * 1024 * 1024, `the photo is ${big.length} bytes`);
  await owner.locator('.nav a[data-view=menu]').click();
  const row = owner.locator(`.irow[data-item-id="${nightItem.id}"]`);
  await row.waitFor();
  await row.locator('[data-action=edit]').click();
  const dlg = owner.locator('dialog[open]');
  await dlg.locator('input[type=file]').setInputFiles({ name: 'phone.png', mimeType: 'image/png', buffer: big });
  // What the page hands to fetch (a blob body's size is not in the browser's request record).
  await owner.evaluate(() => {
    const f = window.fetch;
    window.__sent = [];
    window.fetch = (u, o = {}) => {
      if (o.body instanceof Blob) window.__sent.push([String(u), o.body.size, o.body.type]);
      return f(u, o);
    };
  });
  const put = owner.waitForResponse((r) => r.url().endsWith(`/menu-items/${nightItem.id}/image`), { timeout: 60_000 });
  await dlg.locator('button[type=submit]').click();
  const res = await put;
  assert.equal(res.status(), 200, await res.text());
  const [[url, sent, type]] = await owner.evaluate(() => window.__sent);
  assert.ok(url.endsWith(`/menu-items/${nightItem.id}/image`), url);
  assert.ok(sent > 0 && sent <= 2 * 1024 * 1024, `sent ${sent} bytes`);
  assert.equal(type, 'image/jpeg');
  await dlg.waitFor({ state: 'detached', timeout: 20_000 });
  const it = (await own('GET', '/api/v1/admin/menu-items')).data.find((x) => x.id === nightItem.id);
  assert.ok(it.image_url, 'the item has its photo');
  await own('DELETE', `/api/v1/admin/menu-items/${nightItem.id}`);
  nightItem = null;
});

step('the long press on the table label asks a staff member’s username and password before the setup', async () => {
  await loginRoom();
  const label = tablet.locator('#table-label');
  const press = async () => {
    await label.hover();
    await tablet.mouse.down();
    await sleep(1700);
    await tablet.mouse.up();
  };
  await press();
  const dlg = tablet.locator('#staff-check[open]');
  await dlg.waitFor();
  assert.ok(await tablet.locator('#setup').isHidden(), 'no setup before the check');
  await check(tablet, 'night-staff-check');
  await dlg.locator('[name=username]').fill('admin');
  await dlg.locator('[name=password]').fill('wrong-password');
  await dlg.locator('[data-action=staff-check-ok]').click();
  await dlg.locator('.form-error', { hasText: '아이디나 비밀번호가 맞지 않습니다' }).waitFor();
  assert.ok(await tablet.locator('#setup').isHidden());
  await dlg.locator('[data-action=staff-check-cancel]').click();
  await dlg.waitFor({ state: 'detached' });
  assert.ok(await tablet.locator('#kiosk').isVisible(), 'the guests’ screen stays');
  await press();
  await dlg.waitFor();
  await dlg.locator('[name=username]').fill('admin');
  await dlg.locator('[name=password]').fill('demo1234');
  await dlg.locator('[data-action=staff-check-ok]').click();
  await tablet.locator('#setup').waitFor();
  await tablet.locator('#setup-cancel').click();
  await tablet.locator('#kiosk').waitFor();
  await tablet.locator('#conn.up').waitFor();
});

// ---------- a box's first run ----------

step('a fresh box: /setup shows every field’s problem at once and names the store with the right particle', async () => {
  assert.ok(BIN && fs.existsSync(BIN), `the server binary (argument 2 or TABLEORDER_BIN): ${BIN || 'not given'}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tableorder-night-'));
  const port = await freePort();
  const log = [];
  const proc = spawn(BIN, ['serve', '--no-mdns', '--listen', `127.0.0.1:${port}`, '--data-dir', path.join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [proc.stdout, proc.stderr]) s.on('data', (d) => log.push(String(d)));
  fresh = { proc, dir, base: `http://127.0.0.1:${port}`, log };
  const code = await waitFor(() => /setup_code=(\w+)/.exec(log.join(''))?.[1], 'the setup code in the log');
  const page = await newPage('setup');
  fresh.page = page;
  await page.goto(`${fresh.base}/setup`);
  const form = page.locator('#setup-form');
  await form.waitFor();
  await form.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.querySelectorAll('#setup-form .field-error').length === 5);
  assert.equal((await form.locator('.form-error').innerText()).trim(), '고칠 곳이 5군데 있습니다.');
  await check(page, 'night-setup-errors');
  await form.locator('[name=code]').fill(code);
  await form.locator('[name=store_id]').fill('Night Store');
  await form.locator('[name=store_name]').fill('한강집');
  await form.locator('[name=username]').fill('owner');
  await form.locator('[name=password]').fill('short');
  await form.locator('button[type=submit]').click();
  await page.waitForFunction(() => document.querySelectorAll('#setup-form .field-error').length === 2);
  assert.deepEqual((await form.locator('.field-error').allInnerTexts()).map((s) => s.trim()), ['영문 소문자, 숫자, 하이픈(-)으로 1–32자', '8자 이상 입력하세요']);
  await form.locator('[name=store_id]').fill('night-store');
  await form.locator('[name=password]').fill('night-pass-1');
  await form.locator('button[type=submit]').click();
  const done = page.locator('#setup-status .ok');
  await done.waitFor();
  assert.equal((await done.innerText()).trim(), '매장 "한강집"을 만들었습니다.');
  await check(page, 'night-setup-done');
});

step('the new store’s dashboard says what to do next, with the way to the menu and the tables', async () => {
  const page = fresh.page;
  await page.locator('#setup-status a.button').click();
  const form = page.locator('#login-form');
  await form.waitFor();
  await form.locator('[name=store_id]').fill('night-store');
  await form.locator('[name=username]').fill('owner');
  await form.locator('[name=password]').fill('night-pass-1');
  await form.locator('button[type=submit]').click();
  const steps = page.locator('.first-steps');
  await steps.waitFor();
  assert.equal((await steps.locator('h2').innerText()).trim(), '시작하기');
  assert.deepEqual(await steps.locator('a.button').evaluateAll((as) => as.map((a) => a.getAttribute('href'))), ['#menu', '#tables']);
  assert.equal(await steps.locator('li').count(), 3);
  await check(page, 'night-first-steps');
  await steps.locator('a[href="#tables"]').click();
  await page.locator('#view[data-view=tables]').waitFor();
});

step('no script errors on any page', async () => {
  assert.deepEqual(pageErrors, []);
});

async function cleanup() {
  if (fresh) {
    fresh.proc.kill();
    await new Promise((r) => (fresh.proc.exitCode != null ? r() : fresh.proc.once('exit', r)));
    fs.rmSync(fresh.dir, { recursive: true, force: true });
  }
  if (ownerTk) {
    for (const id of added) await own('DELETE', `/api/v1/admin/tables/${id}`).catch(() => {});
    if (nightItem) await own('DELETE', `/api/v1/admin/menu-items/${nightItem.id}`).catch(() => {});
    for (const n of [4, 5, 6]) await endIfOpen(n).catch(() => {});
    for (const c of (await own('GET', '/api/v1/admin/calls?open=true')).data || []) await own('POST', `/api/v1/admin/calls/${c.id}/ack`, {}).catch(() => {});
    if (kitchenId) await own('PATCH', `/api/v1/admin/stations/${kitchenId}`, { printer: kitchenPrinterBefore }).catch(() => {});
  }
  if (printer) printer.close();
  if (browser) await browser.close();
}

const ok = await run(async () => {
  if (fresh && fresh.log) console.log(`        first-run box log:\n${fresh.log.join('').split('\n').slice(-10).join('\n')}`);
  for (const e of pageErrors) console.log(`        page error: ${e}`);
});
await cleanup().catch((e) => console.log(`cleanup: ${e.message}`));
console.log(`screenshots: ${SHOTS}`);
process.exit(ok ? 0 : 1);
