// Stored scripts show as text, everywhere: a box of its own (its store's name is set at its first
// run) where every text staff or a guest can write holds markup and script — item names and
// descriptions, category, option group and option names, a line's note, a call's reason, the
// store's name, a station's name, a staff member's display name, a terminal's name, the reasons
// of a discount, a comp, a void and a refund, a payment's reference. Every screen that shows
// them — the tablet (menu, item sheet, cart, my orders, the call button), the dashboard (table
// cards, calls, the order dialog, the check, menu, options, stations, tables and their QR sheet,
// staff, terminals, history, audit, 마감 and its report) and the kitchen display — shows each
// literally (innerText), runs none of it (window.__xss stays unset, no on… attribute, no
// injected element, no dialog, no script error), and the fake printer's kitchen ticket, bill
// and day report carry each literally. Words that look like the screens' own placeholders
// ({n}, $&, $') come through as they are too.
// usage: node xss.mjs BINARY   (run.sh passes its server binary)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startFakePrinter } from './escpos.mjs';
import { client, tabletConf, runner, sleep } from './lib.mjs';
import { F, xssTrap, harmless as harmlessIn, showsLiterally } from './xss-payloads.mjs';

const BIN = process.argv[2] || process.env.TABLEORDER_BIN || '';
if (!BIN || !fs.existsSync(BIN)) {
  console.error('usage: node xss.mjs <server-binary>');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.E2E_SHOTS || fs.mkdtempSync(path.join(os.tmpdir(), 'tableorder-shots-'));
fs.mkdirSync(SHOTS, { recursive: true });
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WAIT = 10_000;
const { step, run } = runner();

// ---------- the box, the browser ----------

let box; // {proc, dir, base, log}
let api;
let printer;
let browser;
let ownerTk;
let owner; // the owner's dashboard
let tablet;
let kds;
const ids = {}; // what the test made: ids by name
const pageErrors = [];
const dialogs = [];
const refused = []; // fields the box refused with 422
const covered = []; // [screen, fields]

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
async function waitFor(fn, what, ms = WAIT) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}
const own = async (method, url, body, want = [200, 201, 202, 204]) => {
  const r = await api.call(method, url, { token: ownerTk.token, body });
  assert.ok(want.includes(r.status), `${method} ${url}: ${r.status} ${JSON.stringify(r.data)}`);
  return r.data;
};
// A write that holds one of the payloads: a 422 is noted (the field then holds no payload).
async function write(field, method, url, body) {
  const r = await api.call(method, url, { token: ownerTk.token, body });
  if (r.status === 422) {
    refused.push(`${field}: ${method} ${url} → 422 ${JSON.stringify(r.data?.error?.fields || r.data)}`);
    return null;
  }
  assert.ok([200, 201].includes(r.status), `${field}: ${method} ${url}: ${r.status} ${JSON.stringify(r.data)}`);
  return r.data;
}

async function newPage(name, storage = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ko-KR', timezoneId: 'Asia/Seoul' });
  await ctx.addInitScript(
    ([entries, once]) => {
      if (sessionStorage.getItem(once)) return;
      sessionStorage.setItem(once, '1');
      for (const [k, v] of entries) localStorage.setItem(k, v);
    },
    [Object.entries(storage), `e2e-init-${name}`],
  );
  await ctx.addInitScript(xssTrap);
  const page = await ctx.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource|EventSource/.test(m.text()) && pageErrors.push(`${name} console: ${m.text()}`));
  page.on('dialog', (d) => {
    dialogs.push(`${name}: ${d.type()} ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  return page;
}

const harmless = (page, label) => harmlessIn(page, label, { dialogs, errors: pageErrors });

// The screen shows every one of `fields` literally (its innerText, under `root`), then harmless().
async function shows(page, label, fields, root = 'body') {
  try {
    await showsLiterally(page, label, fields, root, WAIT);
  } catch (e) {
    await page.screenshot({ path: path.join(SHOTS, `xss-fail-${label.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
    throw e;
  }
  await harmless(page, label);
  covered.push([label, fields]);
  await page.screenshot({ path: path.join(SHOTS, `xss-${label.replace(/[^\w]+/g, '-')}.png`) });
}

// Printed text with its line breaks and the wrapping's indents taken out (a long name wraps
// where it must; CP949 holds every character used here).
const flat = (s) => s.replace(/\s+/g, '');
function printed(label, print, fields) {
  const text = flat(print.lines.map((l) => l.text).join('\n'));
  const missing = fields.filter((f) => !text.includes(flat(F[f])));
  if (missing.length) console.log(`        ${label}: the paper reads:\n${print.lines.map((l) => `          | ${l.text}`).join('\n')}`);
  assert.deepEqual(missing, [], `${label}: not printed literally`);
  assert.ok(!print.lines.some((l) => /&lt;|&gt;|&quot;|&amp;|\?\?/.test(l.text)), `${label}: escaped or lost characters on paper`);
  covered.push([label, fields]);
}

async function go(page, view) {
  await page.evaluate((v) => (location.hash = v), `#${view}`);
  await page.locator(`#view[data-view="${view}"]`).waitFor();
}

// ---------- the test ----------

step('a box of its own whose store name is a script; its menu, options, station, staff and terminal hold payloads', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tableorder-xss-'));
  const port = await freePort();
  const log = [];
  const proc = spawn(BIN, ['serve', '--no-mdns', '--listen', `127.0.0.1:${port}`, '--data-dir', path.join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [proc.stdout, proc.stderr]) s.on('data', (d) => log.push(String(d)));
  box = { proc, dir, base: `http://127.0.0.1:${port}`, log };
  api = client(box.base);
  const code = await waitFor(() => /setup_code=(\w+)/.exec(log.join(''))?.[1], 'the setup code in the log');
  const s = await api.call('POST', '/api/v1/setup', { body: { code, store_id: 'xss', store_name: F.store, username: 'owner', password: 'xss-owner-1' } });
  assert.equal(s.status, 201, `setup with the store name ${JSON.stringify(F.store)}: ${s.status} ${JSON.stringify(s.data)}`);

  ownerTk = await api.login('/api/v1/auth/admin/login', { store_id: 'xss', username: 'owner', password: 'xss-owner-1' });
  const me = (await own('GET', '/api/v1/admin/staff')).find((x) => x.username === 'owner');
  await write('display', 'PATCH', `/api/v1/admin/staff/${me.id}`, { display_name: F.display });
  for (const n of [1, 2]) ids[`table${n}`] = (await own('POST', '/api/v1/admin/tables', { number: n, password: '1234' })).id;

  printer = await startFakePrinter();
  const st = await write('station', 'POST', '/api/v1/admin/stations', { name: F.station, printer: { host: '127.0.0.1', port: printer.port, encoding: 'cp949', columns: 42 } });
  ids.station = st.id;
  // The store's only station prints the bills too.
  for (const x of await own('GET', '/api/v1/admin/stations')) if (x.id !== st.id) await own('DELETE', `/api/v1/admin/stations/${x.id}`);
  await own('PATCH', `/api/v1/admin/stations/${st.id}`, { receipt: true });

  const cat = await write('category', 'POST', '/api/v1/admin/categories', { name: F.category, station_id: st.id });
  ids.category = cat.id;
  const group = await write('group', 'POST', '/api/v1/admin/option-groups', {
    name: F.group,
    min: 1,
    max: 2,
    options: [
      { name: F.opt1, price_delta: 500 },
      { name: F.opt2, price_delta: 1000 },
    ],
  });
  ids.group = group.id;
  ids.opt1 = group.options.find((o) => o.name === F.opt1).id;
  ids.opt2 = group.options.find((o) => o.name === F.opt2).id;
  ids.itemA = (await write('itemA', 'POST', '/api/v1/admin/menu-items', { category_id: cat.id, name: F.itemA, price: 9000, description: F.description, option_group_ids: [group.id] })).id;
  ids.itemB = (await write('itemB', 'POST', '/api/v1/admin/menu-items', { category_id: cat.id, name: F.itemB, price: 15000 })).id;
  ids.itemC = (await write('itemC', 'POST', '/api/v1/admin/menu-items', { category_id: cat.id, name: F.itemC, price: 7000 })).id;
  const term = await write('terminal', 'POST', '/api/v1/admin/terminals', { name: F.terminal });
  ids.terminal = term.id;
  // The owner logs in again: the login's answer names them by the new display name.
  ownerTk = await api.login('/api/v1/auth/admin/login', { store_id: 'xss', username: 'owner', password: 'xss-owner-1' });
  assert.equal(ownerTk.display_name, F.display);
  assert.deepEqual(refused, [], 'the box refused payloads within the limits');

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
});

step('the tablet: menu, item sheet, cart (a note typed in), my orders and the call button show every text as text', async () => {
  ids.tk1 = await api.login('/api/v1/auth/table/login', { store_id: 'xss', table_number: 1, password: '1234' });
  tablet = await newPage('tablet', { 'tableorder.tablet': JSON.stringify(tabletConf(ids.tk1)) });
  await tablet.goto(`${box.base}/table`);
  await tablet.locator(`.item[data-item-id="${ids.itemA}"]`).waitFor();
  await tablet.locator('#conn.up').waitFor();
  await shows(tablet, 'tablet menu', ['category', 'itemA', 'itemB', 'itemC', 'description']);
  // The item sheet: its description, its group and options; a note typed in.
  await tablet.locator(`.item[data-item-id="${ids.itemA}"] button.add`).click();
  const sheet = tablet.locator('#item-sheet[open]');
  await sheet.waitFor();
  await shows(tablet, 'tablet item sheet', ['itemA', 'description', 'group', 'opt1', 'opt2'], '#item-sheet');
  await sheet.locator('.opt', { hasText: F.opt1 }).click();
  await sheet.locator('.opt', { hasText: F.opt2 }).click();
  await sheet.locator('input[name=note]').fill(F.note);
  await sheet.locator('[data-action=add]:not([disabled])').click();
  await tablet.locator(`.item[data-item-id="${ids.itemB}"] button.add`).click();
  await tablet.locator('#btn-order').click();
  await tablet.locator('#cart-sheet[open]').waitFor();
  await shows(tablet, 'tablet cart', ['itemA', 'opt1', 'opt2', 'note', 'itemB'], '#cart-sheet');
  const sent = tablet.waitForResponse((r) => r.url().endsWith('/api/v1/orders') && r.request().method() === 'POST');
  await tablet.locator('#btn-place').click();
  const res = await sent;
  assert.equal(res.status(), 201, await res.text());
  const o = await res.json();
  ids.order1 = o.id;
  assert.equal(o.items.find((i) => i.menu_item_id === ids.itemA).note, F.note, 'the note went as typed');
  await tablet.locator('#done').waitFor({ state: 'visible' });
  await tablet.locator('#done').click();
  // A second order (item C) and a call with a reason of its own, through the API.
  const r = await api.call('POST', '/api/v1/orders', { token: ids.tk1.token, body: { items: [{ menu_item_id: ids.itemC, quantity: 2 }] }, headers: { 'Idempotency-Key': `xss-${crypto.randomUUID()}` } });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  ids.order2 = r.data.id;
  const c = await api.call('POST', '/api/v1/calls', { token: ids.tk1.token, body: { reason: F.call } });
  if (c.status === 422) refused.push(`call: POST /api/v1/calls → 422 ${JSON.stringify(c.data)}`);
  else assert.equal(c.status, 201, JSON.stringify(c.data));
  await tablet.locator('#btn-orders').click();
  await tablet.locator('#orders-sheet[open]').waitFor();
  await shows(tablet, 'tablet my orders', ['itemA', 'opt1', 'opt2', 'note', 'itemB', 'itemC'], '#orders-sheet');
  await tablet.locator('#orders-sheet [data-close]').first().click();
  // The open call, once the tablet hears of it (a reload asks the box).
  await tablet.reload();
  await tablet.locator('#conn.up').waitFor();
  await shows(tablet, 'tablet call button', ['call']);
  await tablet.locator('#btn-call').click();
  await tablet.locator('#call-sheet[open]').waitFor();
  await shows(tablet, 'tablet call sheet', ['call'], '#call-sheet');
  await tablet.locator('#call-sheet[open] [data-close]').click();
});

step('the kitchen display shows the tickets’ names, options and note, and its station, as text; the printed ticket carries them', async () => {
  kds = await newPage('kds', { 'tableorder.staff': JSON.stringify(ownerTk), 'tableorder.kitchen.station': String(ids.station) });
  await kds.goto(`${box.base}/kitchen`);
  await kds.locator('#conn.up').waitFor();
  await kds.locator(`.ticket[data-order-id="${ids.order1}"]`).first().waitFor();
  await shows(kds, 'kitchen tickets', ['station', 'itemA', 'opt1', 'opt2', 'note', 'itemB', 'itemC']);
  await kds.locator('#btn-station').click();
  await kds.locator('#station-dialog[open]').waitFor();
  await shows(kds, 'kitchen station picker', ['station'], '#station-dialog');
  await kds.locator('#station-dialog[open]').press('Escape');
  const ticket = await waitFor(() => printer.prints().find((p) => p.cuts && flat(p.lines.map((l) => l.text).join('')).includes(flat(F.note))), 'the kitchen ticket of the first order on the fake printer');
  printed('printed kitchen ticket', ticket, ['store', 'station', 'itemA', 'opt1', 'opt2', 'note', 'itemB']);
  const second = await waitFor(() => printer.prints().find((p) => p.cuts && flat(p.lines.map((l) => l.text).join('')).includes(flat(F.itemC))), 'the second ticket');
  printed('printed kitchen ticket 2', second, ['store', 'station', 'itemC']);
});

step('the dashboard: table card, calls, the order dialog', async () => {
  owner = await newPage('owner', { 'tableorder.staff': JSON.stringify(ownerTk), 'tableorder.filter': 'all', 'tableorder.sound': 'off' });
  await owner.goto(`${box.base}/staff#orders`);
  await owner.locator('#conn.up').waitFor();
  const card = owner.locator('.tcard[data-table-number="1"]');
  await card.locator(`.orow[data-order-id="${ids.order2}"]`).waitFor();
  await shows(owner, 'dashboard board', ['itemA', 'opt1', 'opt2', 'note', 'itemB', 'itemC', 'call', 'display']);
  await card.click();
  await owner.locator('#table-dialog[open] .oblock').first().waitFor();
  await shows(owner, 'dashboard order dialog', ['itemA', 'opt1', 'opt2', 'note', 'itemB', 'itemC'], '#table-dialog');
  await owner.locator('#table-dialog[open]').press('Escape');
});

step('the check: a discount, a comp and a void with reasons, a payment with a reference; the bill on paper', async () => {
  const session = (await own('GET', '/api/v1/admin/tables')).find((x) => x.number === 1).session;
  ids.session = session.id;
  const check = await own('GET', `/api/v1/admin/sessions/${session.id}/check`);
  const line = (item) => check.lines.find((l) => l.name === F[item]);
  for (const [field, body] of [
    ['discount', { kind: 'discount', reason: F.discount, order_item_id: line('itemA').order_item_id, percent: 10 }],
    ['comp', { kind: 'comp', reason: F.comp, order_item_id: line('itemB').order_item_id }],
    ['void', { kind: 'void', reason: F.void, order_item_id: line('itemC').order_item_id, quantity: 1 }],
  ])
    await write(field, 'POST', `/api/v1/admin/sessions/${session.id}/adjustments`, body);
  const r = await api.call('POST', `/api/v1/admin/sessions/${session.id}/payments`, {
    token: ownerTk.token,
    body: { method: 'card', amount: 5000, reference: F.reference },
    headers: { 'Idempotency-Key': `xss-${crypto.randomUUID()}` },
  });
  if (r.status === 422) refused.push(`reference: POST payments → 422 ${JSON.stringify(r.data)}`);
  else assert.equal(r.status, 201, JSON.stringify(r.data));
  ids.payment = r.data.payments[0].id;
  await owner.locator('.tcard[data-table-number="1"]').click();
  await owner.locator('#table-dialog[open] [data-action=check]').click();
  const dlg = owner.locator('#check-dialog[open]');
  await dlg.locator('.ck-line').first().waitFor();
  await shows(owner, 'check screen', ['itemA', 'opt1', 'opt2', 'itemB', 'itemC', 'discount', 'comp', 'void', 'reference', 'display'], '#check-dialog');
  // The adjust dialog of a line names it.
  await dlg.locator('.ck-line', { hasText: F.itemA }).locator('[data-action=adjust-line]').click();
  await owner.locator('dialog.adj-dialog[open]').waitFor();
  await shows(owner, 'adjust dialog', ['itemA'], 'dialog.adj-dialog[open]');
  await owner.locator('dialog.adj-dialog[open]').press('Escape');
  const before = printer.prints().length;
  await dlg.locator('[data-action=print-bill]').click();
  const bill = await waitFor(() => printer.prints().slice(before).find((p) => p.cuts && p.lines.some((l) => l.text.includes('계산서'))), 'the bill on the fake printer');
  // A comp or a void prints as 서비스 / 취소 under its line, without its reason.
  printed('printed bill', bill, ['store', 'itemA', 'opt1', 'opt2', 'itemB', 'itemC', 'discount']);
  await owner.locator('#check-dialog [data-action=close-check]').first().click();
});

step('menu editor, options, stations, tables and their QR sheet, staff and terminals', async () => {
  await go(owner, 'menu');
  await owner.locator(`.irow[data-item-id="${ids.itemA}"]`).waitFor();
  await shows(owner, 'menu editor', ['category', 'itemA', 'itemB', 'itemC']);
  await owner.locator(`.irow[data-item-id="${ids.itemA}"] [data-action=edit]`).click();
  await owner.locator('dialog[open]').waitFor();
  await harmless(owner, 'item edit dialog');
  assert.equal(await owner.locator('dialog[open] [name=name]').inputValue(), F.itemA, 'the edit form holds the name as it is');
  await owner.locator('dialog[open]').press('Escape');
  await owner.locator(`.irow[data-item-id="${ids.itemB}"] button[aria-label="삭제"]`).click();
  await owner.locator('dialog.confirm[open]').waitFor();
  await shows(owner, 'delete confirm', ['itemB'], 'dialog.confirm[open]');
  await owner.locator('dialog.confirm[open] button[value=no]').click();
  await go(owner, 'options');
  await shows(owner, 'options page', ['group', 'opt1', 'opt2']);
  await go(owner, 'stations');
  await shows(owner, 'stations page', ['station', 'category']);
  await go(owner, 'tables');
  await owner.locator('.ttable tr[data-table-id]').first().waitFor();
  await harmless(owner, 'tables page');
  await owner.locator('[data-action=print-qr]').click();
  await owner.locator('#qr-dialog[open] .qr-card').first().waitFor();
  await shows(owner, 'QR sheet', ['store'], '#qr-dialog');
  await owner.locator('#qr-dialog [data-action=close]').click();
  await go(owner, 'staff');
  await shows(owner, 'staff page', ['display']);
  await go(owner, 'terminals');
  await shows(owner, 'terminals page', ['terminal']);
});

step('a refund, the item sold out, the visit ended: history and the audit page', async () => {
  await write('refund', 'POST', `/api/v1/admin/payments/${ids.payment}/refund`, { reason: F.refund, amount: 1000 });
  await own('PUT', `/api/v1/admin/menu-items/${ids.itemA}/available`, { available: false });
  await own('PUT', `/api/v1/admin/menu-items/${ids.itemA}/available`, { available: true });
  await own('POST', `/api/v1/admin/tables/${ids.table1}/end-session`, {});
  await go(owner, 'history');
  await owner.locator('.hsession').first().waitFor();
  await shows(owner, 'history', ['itemA', 'opt1', 'opt2', 'note', 'itemB', 'itemC']);
  await go(owner, 'audit');
  await shows(owner, 'audit page', ['itemA', 'itemB', 'itemC', 'discount', 'comp', 'void', 'refund', 'display']);
});

step('마감: the day closed, its report on screen and on paper', async () => {
  const before = printer.prints().length;
  const day = await own('POST', '/api/v1/admin/days/close', {});
  ids.day = day.id;
  await go(owner, 'day');
  await harmless(owner, '마감 page');
  await go(owner, 'reports');
  await shows(owner, 'day report', ['category']);
  // The top items' chart fits each name to its label column ("…"): the bar's title holds all.
  const chart = await owner.locator('#rep-items svg').evaluate((svg) => ({
    titles: [...svg.querySelectorAll('title')].map((x) => x.textContent),
    labels: [...svg.querySelectorAll('text.chart-label')].map((x) => x.textContent),
  }));
  for (const f of ['itemA', 'itemB', 'itemC']) {
    assert.ok(chart.titles.some((x) => x.startsWith(F[f])), `the report chart's titles name ${f} literally: ${JSON.stringify(chart.titles)}`);
    assert.ok(chart.labels.some((x) => F[f].startsWith(x.replace(/…$/, ''))), `a chart label starts ${f} literally: ${JSON.stringify(chart.labels)}`);
  }
  covered.push(['day report chart (titles, fitted labels)', ['itemA', 'itemB', 'itemC']]);
  await own('POST', `/api/v1/admin/days/${day.id}/print`, {});
  const paper = await waitFor(() => printer.prints().slice(before).find((p) => p.cuts && p.lines.some((l) => l.text.includes('마감 정산'))), 'the day report on paper');
  printed('printed day report', paper, ['store', 'itemA', 'itemB', 'itemC']);
});

step('the tablet after the visit, and every page a while later: nothing ran, no dialog, no script error', async () => {
  await sleep(1000);
  for (const [p, label] of [[tablet, 'tablet'], [owner, 'dashboard'], [kds, 'kitchen']]) await harmless(p, `${label} at the end`);
  const screens = covered.length;
  const pairs = covered.reduce((a, [, f]) => a + f.length, 0);
  const fields = new Set(covered.flatMap(([, f]) => f));
  console.log(`        ${fields.size} fields of ${Object.keys(F).length} on ${screens} screens and prints: ${pairs} field×screen checks`);
  for (const [s, f] of covered) console.log(`          ${s}: ${f.join(', ')}`);
  assert.deepEqual(
    Object.keys(F).filter((k) => !fields.has(k)),
    [],
    'fields shown nowhere',
  );
  if (refused.length) console.log(`        refused: ${refused.join(' | ')}`);
});

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (printer) await printer.close();
  if (box) {
    box.proc.kill();
    await new Promise((r) => (box.proc.exitCode != null ? r() : box.proc.once('exit', r)));
    fs.rmSync(box.dir, { recursive: true, force: true });
  }
}

const ok = await run(async () => {
  if (box) console.log(`        box log:\n${box.log.join('').split('\n').slice(-10).join('\n')}`);
  for (const e of pageErrors) console.log(`        page error: ${e}`);
  for (const d of dialogs) console.log(`        dialog: ${d}`);
  if (refused.length) console.log(`        refused: ${refused.join(' | ')}`);
});
await cleanup().catch((e) => console.log(`cleanup: ${e.message}`));
console.log(`screenshots: ${SHOTS}`);
process.exit(ok ? 0 : 1);
