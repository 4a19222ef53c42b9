// The chain hub's HQ page in Chromium, against hub process 2 while box 1 sends to hub
// process 1 (so box 1's orders reach the page's live feed through Redis); then box 1 takes
// payments and closes its day, and the page shows net sales, payments by method, the closed
// day (and its CSV) and the discount in the audit list; the stores table shows the version each
// box runs, and a release rolled out to box 2's store: due there, then refused by box 2 (it does
// not trust the key that signed it), which halts the rollout.
// usage: tests/e2e/hq.sh (starts PostgreSQL, Redis, two hub processes and two boxes, then this)
//
//   HQ_HUB          the hub process the page is opened on
//   HQ_BOX1         box 1 (the demo store, sending to the other hub process)
//   HQ_BOX2         box 2 (store HQ_STORE2, made by `store create`, sending to HQ_HUB)
//   HQ_USER, HQ_PASSWORD   the HQ login; HQ_BOX_PASSWORD the boxes' admin password
//   HQ_BIN, HQ_DATABASE_URL   the binary and the hub's database (for `hub rollout`)
//   HQ_RELEASE      the version of the release hq.sh stored at the hub, signed with a key no box trusts
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { axeCheck as axeAudit, runner } from './lib.mjs';

const env = (k) => {
  const v = process.env[k];
  if (!v) {
    console.error(`hq.mjs: ${k} is not set (run tests/e2e/hq.sh)`);
    process.exit(2);
  }
  return v.replace(/\/$/, '');
};
const HUB = env('HQ_HUB');
const BOX1 = env('HQ_BOX1');
const BOX2 = env('HQ_BOX2');
const STORE2 = env('HQ_STORE2');
const HQ_USER = env('HQ_USER');
const HQ_PASSWORD = env('HQ_PASSWORD');
const BOX_PASSWORD = env('HQ_BOX_PASSWORD');
const BIN = env('HQ_BIN');
const DATABASE_URL = env('HQ_DATABASE_URL');
const RELEASE = env('HQ_RELEASE');
const STORE1 = 'demo';
const STORE1_NAME = '데모 식당 (Demo)';
const STORE2_NAME = '강남점';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.E2E_SHOTS || fs.mkdtempSync(path.join(os.tmpdir(), 'tableorder-hq-shots-'));
fs.mkdirSync(SHOTS, { recursive: true });
const WAIT = 10_000;
const LIVE_MS = 5_000; // an order on a box is in the page's live feed within this
const SIZES = [
  [1280, 800],
  [800, 1280],
  [390, 844],
];
const HANGUL = /[\uac00-\ud7a3]/;

// ---------- the boxes' API ----------

async function call(base, method, url, { token, body, headers = {} } = {}) {
  const h = { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(base + url, { method, headers: h, body: body !== undefined ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  return { status: res.status, data };
}
async function ok(base, method, url, opts, want = [200, 201]) {
  const r = await call(base, method, url, opts);
  assert.ok(want.includes(r.status), `${method} ${base}${url}: ${r.status} ${JSON.stringify(r.data)}`);
  return r.data;
}
const adminLogin = async (base, store) =>
  (await ok(base, 'POST', '/api/v1/auth/admin/login', { body: { store_id: store, username: 'admin', password: BOX_PASSWORD } })).token;
const tableLogin = async (base, store, n) =>
  (await ok(base, 'POST', '/api/v1/auth/table/login', { body: { store_id: store, table_number: n, password: '1234' } })).token;

// Every order the test placed: "store:id" → the box's latest answer for it.
const placed = new Map();
const keyOf = (store, id) => `${store}:${id}`;
let keySeq = 0;
async function order(b, table, items) {
  const o = await ok(b.base, 'POST', '/api/v1/orders', {
    token: b.tables[table],
    body: { items },
    headers: { 'Idempotency-Key': `hq-e2e-${process.pid}-${++keySeq}` },
  }, [201]);
  assert.equal(o.items.length, items.length, 'the order answer holds every line');
  assert.equal(o.total, o.items.reduce((a, i) => a + i.unit_price * i.quantity, 0), 'the order total is the sum of its lines');
  placed.set(keyOf(b.store, o.id), { store: b.store, ...o });
  return o;
}
async function setStatus(b, id, status) {
  const o =
    status === 'cancelled'
      ? await ok(b.base, 'DELETE', `/api/v1/admin/orders/${id}`, { token: b.admin }, [200])
      : await ok(b.base, 'PATCH', `/api/v1/admin/orders/${id}`, { token: b.admin, body: { status } }, [200]);
  assert.equal(o.status, status);
  placed.set(keyOf(b.store, o.id), { store: b.store, ...o });
  return o;
}

// Waits until both boxes have everything acknowledged by the hub (their System page's figure).
async function uploaded(label) {
  const deadline = Date.now() + 15_000;
  let last;
  for (;;) {
    last = await Promise.all([box1, box2].map((b) => ok(b.base, 'GET', '/api/v1/admin/system', { token: b.admin }).then((s) => s.hub)));
    if (last.every((h) => h.state === 'ok' && h.backlog === 0)) return;
    assert.ok(Date.now() < deadline, `${label}: the boxes did not upload to the hub within 15 s: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// What the hub must show, computed from the boxes' answers (cancelled orders are no sale).
const live = () => [...placed.values()].filter((o) => o.status !== 'cancelled');
const storeSums = (store) => {
  const l = live().filter((o) => o.store === store);
  return { orders: l.length, total: l.reduce((a, o) => a + o.total, 0) };
};
const itemSums = () => {
  const m = new Map();
  for (const o of live()) for (const i of o.items) m.set(i.name, (m.get(i.name) || 0) + i.unit_price * i.quantity);
  return m;
};
const allSum = () => live().reduce((a, o) => a + o.total, 0);

// The page's formats: 12,345원 / ₩12,345, 3건.
const grouped = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const won = (n, lang = 'ko') => (lang === 'ko' ? `${grouped(n)}원` : `₩${grouped(n)}`);
const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul' }).format(new Date());

// ---------- the browser ----------

let ctx;
let page;
let profileDir;
const pageErrors = [];
const foreign = []; // requests that left the hub's origin
const failures = []; // responses ≥ 400
const HUB_ORIGIN = new URL(HUB).origin;

// Readers of the page's state, in the page (waitForFunction cannot call functions of this file).
function pageHelpers() {
  const text = (el) => (el ? el.textContent.replace(/\s+/g, ' ').trim() : null);
  window.__hq = {
    storeRows: () =>
      [...document.querySelectorAll('.stores-table tbody tr')].map((tr) => ({
        store: tr.dataset.store,
        name: text(tr.querySelector('.store-name')),
        state: text(tr.querySelector('.state strong')),
        orders: text(tr.children[3]),
        sales: text(tr.children[4]),
      })),
    // The version column: what each cell shows (the words for screen readers left out).
    versions: () =>
      [...document.querySelectorAll('.stores-table tbody tr')].map((tr) => {
        const c = tr.querySelector('td.ver-cell');
        const seen = (el) => {
          if (!el) return null;
          const x = el.cloneNode(true);
          x.querySelectorAll('.sr-only').forEach((n) => n.remove());
          return text(x);
        };
        return {
          store: tr.dataset.store,
          version: seen(c?.querySelector('.ver-num')),
          due: seen(c?.querySelector('.ver-due')),
          older: text(c?.querySelector('.ver-tag')),
          state: c?.dataset.updateState ?? null,
          label: text(c?.querySelector('.ver-state')),
          why: text(c?.querySelector('.ver-why')),
          error: text(c?.querySelector('.ver-raw')),
          title: c?.querySelector('.ver-state')?.getAttribute('title') ?? null,
        };
      }),
    kpis: () => [...document.querySelectorAll('#kpis .kpi')].map((k) => [text(k.querySelector('.kpi-label')), text(k.querySelector('.kpi-value'))]),
    feed: () =>
      [...document.querySelectorAll('#feed li.fo')].map((li) => ({
        key: li.dataset.key,
        cls: [...li.classList].find((c) => /^fo-(pending|preparing|completed|cancelled)$/.test(c)),
        store: text(li.querySelector('.fo-store')),
        table: text(li.querySelector('.fo-table')),
        status: text(li.querySelector('.status')),
        total: text(li.querySelector('.fo-total')),
      })),
    sales: () => {
      const t = document.querySelector('#sales-table table');
      if (!t || document.querySelector('.sales-card').getAttribute('aria-busy') === 'true') return null;
      return {
        head: text(t.querySelector('thead th')),
        rows: [...t.querySelectorAll('tbody tr')].map((tr) => [text(tr.querySelector('th .key')), text(tr.querySelector('td.money'))]),
        sum: text(t.querySelector('tfoot td.money')),
        today: [...t.querySelectorAll('tbody tr.is-today')].map((tr) => text(tr.querySelector('th .key'))),
      };
    },
    chart: () => {
      const svg = document.querySelector('#sales-chart:not([hidden]) svg');
      if (!svg) return null;
      const box = (r) => ({ w: Number(r.getAttribute('width')), h: Number(r.getAttribute('height')), hi: r.classList.contains('bar-hi') });
      return {
        label: svg.getAttribute('aria-label'),
        role: svg.getAttribute('role'),
        rows: [...svg.querySelectorAll('g.bar-row, g.col')].map((g) => ({
          title: text(g.querySelector('title')),
          bar: box(g.querySelector('rect.bar')),
          track: g.querySelector('rect.bar-track') ? Number(g.querySelector('rect.bar-track').getAttribute('width')) : null,
        })),
        drawn: svg.getBoundingClientRect().width,
      };
    },
  };
}

async function launch() {
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tableorder-hq-e2e-'));
  ctx = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
    locale: 'ko-KR',
    timezoneId: 'Asia/Seoul',
    acceptDownloads: true,
  });
  await ctx.addInitScript(pageHelpers);
  ctx.on('request', (r) => {
    const u = r.url();
    if (u.startsWith('data:') || u.startsWith('blob:')) return;
    if (new URL(u).origin !== HUB_ORIGIN) foreign.push(u);
  });
  ctx.on('response', (r) => {
    if (r.status() >= 400) failures.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // Failed loads are counted from the responses above.
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && pageErrors.push(`console: ${m.text()}`));
}

// waitForFunction, and on a timeout what the page shows instead.
async function until(label, fn, arg, show, timeout = WAIT) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  } catch (e) {
    const now = show ? await show().catch((x) => `(cannot read: ${x.message})`) : '';
    throw new Error(`${label}: not within ${timeout} ms${show ? `; the page shows ${JSON.stringify(now)}` : ''}\n${e.message.split('\n')[0]}`);
  }
}
const read = (name) => page.evaluate((n) => window.__hq[n](), name);

const axeCheck = (label) => axeAudit(page, label);

async function settle() {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.effect.getComputedTiming().iterations === Infinity || a.playState !== 'running'),
  );
}

async function noSidewaysScroll(label) {
  const r = await page.evaluate(() => {
    const iw = window.innerWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > iw + 0.5 && e.getClientRects().length)
      .slice(0, 4)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${[...e.classList].join('.')} → ${Math.round(e.getBoundingClientRect().right)}`);
    return { sw: document.scrollingElement.scrollWidth, iw, wide };
  });
  assert.ok(r.sw <= r.iw, `${label}: the page scrolls sideways (scrollWidth ${r.sw} > innerWidth ${r.iw}): ${r.wide.join(', ')}`);
}

async function shoot(name, width, height, { full = false } = {}) {
  await page.setViewportSize({ width, height });
  await settle();
  await noSidewaysScroll(`${name} ${width}×${height}`);
  await page.screenshot({ path: path.join(SHOTS, `hq-${name}-${width}x${height}.png`) });
  // The whole page too (the sales report and the CSV export are below the fold).
  if (full) await page.screenshot({ path: path.join(SHOTS, `hq-${name}-full-${width}x${height}.png`), fullPage: true });
}

const loginShown = () => page.locator('#login-form').isVisible();
const appShown = () => page.locator('#app').isVisible();

// ---------- a small sequential runner: a failed step skips the rest ----------

const { step, run } = runner();

// ---------- the test ----------

const box1 = { base: BOX1, store: STORE1, tables: {} };
const box2 = { base: BOX2, store: STORE2, tables: {} };
let plain1; // box 1 items
let stew1;
let items2; // box 2 items by name

step('box 2 gets tables, a category and items through the staff API', async () => {
  box2.admin = await adminLogin(BOX2, STORE2);
  for (const n of [1, 2, 3]) await ok(BOX2, 'POST', '/api/v1/admin/tables', { token: box2.admin, body: { number: n, password: '1234' } });
  const cat = await ok(BOX2, 'POST', '/api/v1/admin/categories', { token: box2.admin, body: { name: '식사' } });
  for (const [name, price] of [['국밥', 9500], ['순대국', 10000], ['수육', 28000]]) {
    await ok(BOX2, 'POST', '/api/v1/admin/menu-items', { token: box2.admin, body: { category_id: cat.id, name, price } });
  }
  box1.admin = await adminLogin(BOX1, STORE1);
  for (const b of [box1, box2]) for (const n of [1, 2, 3]) b.tables[n] = await tableLogin(b.base, b.store, n);
  const menu = async (b) => (await ok(b.base, 'GET', '/api/v1/menu', { token: b.tables[1] })).categories.flatMap((c) => c.items);
  const m1 = await menu(box1);
  plain1 = m1.find((i) => i.name === '해물파전');
  stew1 = m1.find((i) => i.name === '김치찌개');
  assert.ok(plain1 && stew1, 'the demo menu has 해물파전 and 김치찌개');
  assert.equal(plain1.option_groups.length, 0);
  items2 = Object.fromEntries((await menu(box2)).map((i) => [i.name, i]));
  assert.deepEqual(Object.keys(items2).sort(), ['국밥', '수육', '순대국']);
});

step('orders placed on both boxes reach the hub (before HQ logs in)', async () => {
  // 김치찌개 with 아주 매운맛 (+500) and 라면사리 (+1,500): the hub's item sales include options.
  const hot = stew1.option_groups[0].options.find((o) => o.name === '아주 매운맛');
  const ramen = stew1.option_groups[1].options.find((o) => o.name === '라면사리');
  assert.ok(hot && ramen, 'the demo stew has 아주 매운맛 and 라면사리');
  const o = await order(box1, 1, [
    { menu_item_id: plain1.id, quantity: 2 },
    { menu_item_id: stew1.id, quantity: 1, option_ids: [hot.id, ramen.id], note: '덜 짜게' },
  ]);
  assert.equal(o.total, 2 * 15000 + 9000 + 500 + 1500);
  await order(box1, 2, [{ menu_item_id: plain1.id, quantity: 1 }]);
  await order(box2, 1, [{ menu_item_id: items2['국밥'].id, quantity: 2 }, { menu_item_id: items2['수육'].id, quantity: 1 }]);
  await order(box2, 2, [{ menu_item_id: items2['순대국'].id, quantity: 1 }]);
  await uploaded('the first orders');
});

step('the login screen in Korean and English: no serious axe-core violation, no sideways scroll at three sizes', async () => {
  await launch();
  await page.goto(`${HUB}/hq`);
  await page.locator('#login-form').waitFor();
  assert.equal(await appShown(), false, 'the app is hidden before a login');
  assert.equal(await page.getAttribute('html', 'lang'), 'ko');
  assert.equal(await page.locator('#login-form h1').innerText().then((s) => s.replace(/\s+/g, ' ')), 'tableorder 본사 로그인');
  assert.equal(await page.locator('#login-form button[type=submit]').innerText(), '로그인');
  await axeCheck('login (ko)');
  for (const [w, h] of SIZES) await shoot('login', w, h);
  await page.setViewportSize({ width: 1280, height: 800 });
  // English and back.
  await page.locator('#login [data-action=lang]').click();
  await until('the login screen in English', () => document.documentElement.lang === 'en', null, () => page.getAttribute('html', 'lang'));
  assert.equal(await page.locator('#login-form button[type=submit]').innerText(), 'Sign in');
  assert.equal(await page.locator('#login-form label.field span').first().innerText(), 'Username');
  assert.equal(await page.title(), 'tableorder · Chain overview');
  await axeCheck('login (en)');
  await noSidewaysScroll('login (en) 1280×800');
  await page.locator('#login [data-action=lang]').click();
  await until('the login screen in Korean again', () => document.documentElement.lang === 'ko', null, () => page.getAttribute('html', 'lang'));
  assert.equal(await page.locator('#login-form button[type=submit]').innerText(), '로그인');
});

step('a login without a password or with a wrong one says so in Korean', async () => {
  const form = page.locator('#login-form');
  const error = form.locator('.form-error');
  assert.equal(await error.getAttribute('role'), 'alert', 'the error is announced');
  await form.locator('[name=username]').fill(HQ_USER);
  await form.locator('button[type=submit]').click();
  await until('the missing password is reported', () => document.querySelector('#login-form .form-error').textContent !== '', null, () => error.textContent());
  assert.equal(await error.innerText(), '아이디와 비밀번호를 입력하세요.');
  await form.locator('[name=password]').fill('not-the-password');
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/hub/v1/auth/login')),
    form.locator('button[type=submit]').click(),
  ]);
  assert.equal(res.status(), 401);
  await until(
    'the wrong password is reported',
    (before) => !['', before].includes(document.querySelector('#login-form .form-error').textContent),
    '아이디와 비밀번호를 입력하세요.',
    () => error.textContent(),
  );
  const msg = await error.innerText();
  assert.equal(msg, '아이디 또는 비밀번호가 맞지 않습니다.');
  assert.ok(HANGUL.test(msg) && !/[A-Za-z]/.test(msg), `the message is Korean, not the hub's English: ${msg}`);
  assert.equal(await appShown(), false, 'still logged out');
  assert.equal(await page.evaluate(() => localStorage.getItem('tableorder.hq.session')), null);
  assert.equal(await form.locator('button[type=submit]').innerText(), '로그인', 'the button is back from 로그인 중…');
});

step('HQ logs in: the app, the username and the live connection', async () => {
  const form = page.locator('#login-form');
  // The page loads the stores and the latest orders at once. Hold the stores back until the
  // feed has drawn its lines, so the feed must name the stores once they arrive (the order
  // that happens to be the slower one in the field).
  await page.route('**/hub/v1/stores', async (route) => {
    await page.waitForFunction(() => document.querySelector('#feed li.fo'), null, { timeout: WAIT }).catch(() => {});
    await route.continue();
  }, { times: 1 });
  await form.locator('[name=password]').fill(HQ_PASSWORD);
  await form.locator('button[type=submit]').click();
  await page.locator('#app').waitFor();
  assert.equal(await loginShown(), false, 'the login form is gone');
  assert.equal(await page.locator('#who').innerText(), HQ_USER);
  await page.locator('#conn[data-state=up]').waitFor();
  assert.equal(await page.locator('#conn').innerText(), '실시간 연결됨');
  const session = await page.evaluate(() => JSON.parse(localStorage.getItem('tableorder.hq.session')));
  assert.ok(session?.token && session.username === HQ_USER, 'the session is kept');
  // The footer's health line: the hub's PostgreSQL and Redis.
  await until('the health line', () => /DB 정상/.test(document.querySelector('#health').textContent) && /Redis 정상/.test(document.querySelector('#health').textContent), null, () => page.locator('#health').innerText());
});

// The stores table and the summary tiles as they must be now.
function expectedStores(lang = 'ko') {
  const on = lang === 'ko' ? '온라인' : 'Online';
  const n = (x) => (lang === 'ko' ? `${grouped(x)}건` : grouped(x));
  const row = (store, name) => ({ store, name, state: on, orders: n(storeSums(store).orders), sales: won(storeSums(store).total, lang) });
  // Sorted by store id, as the hub lists them.
  return [row(STORE1, STORE1_NAME), row(STORE2, STORE2_NAME)].sort((a, b) => a.store.localeCompare(b.store));
}
function expectedKpis(lang = 'ko') {
  const count = live().length;
  return lang === 'ko'
    ? [['연결된 매장', '2 / 2'], ['오늘 주문', `${grouped(count)}건`], ['오늘 매출', won(allSum())], ['전송 대기', '0건']]
    : [['Stores online', '2 / 2'], ['Orders today', grouped(count)], ['Sales today', won(allSum(), 'en')], ['Waiting to upload', '0']];
}
async function storesAre(label, lang = 'ko') {
  const want = { rows: expectedStores(lang), kpis: expectedKpis(lang) };
  await until(
    label,
    (w) => JSON.stringify({ rows: window.__hq.storeRows(), kpis: window.__hq.kpis() }) === JSON.stringify(w),
    want,
    async () => ({ rows: await read('storeRows'), kpis: await read('kpis'), want }),
  );
}

const storeName = (id) => ({ [STORE1]: STORE1_NAME, [STORE2]: STORE2_NAME })[id];
// Every line of the feed names its store (not its id).
async function feedNamesStores(label) {
  await until(
    label,
    (names) => window.__hq.feed().every((l) => l.store === names[l.key.split(':')[0]]),
    { [STORE1]: STORE1_NAME, [STORE2]: STORE2_NAME },
    () => read('feed'),
  );
}

step("both stores are listed online with today's orders and sales as placed", async () => {
  await storesAre('the stores table and tiles');
  assert.equal(await page.locator('.stores-table tbody tr').count(), 2);
  await until('the feed lists every order placed', (n) => window.__hq.feed().length === n, placed.size, () => read('feed'));
  await feedNamesStores('the feed names the stores, drawn before the stores arrived');
});

// A store's version cell as window.__hq.versions() reads it (its keys in that order); `quiet`:
// nothing under way.
const cell = (c) => ({ store: c.store, version: c.version, due: null, older: null, state: 'idle', label: null, why: null, error: null, title: null, ...c });
const quiet = (store, version) => cell({ store, version });
const byStore = (rows) => [...rows].sort((a, b) => a.store.localeCompare(b.store));
const boxVersion = async (b) => (await ok(b.base, 'GET', '/healthz')).version;

step('the stores table shows the version each box runs (as the box itself says), nothing under way', async () => {
  const want = byStore([quiet(STORE1, await boxVersion(box1)), quiet(STORE2, await boxVersion(box2))]);
  assert.match(want[0].version, /^\d+\.\d+\.\d+/, 'a box says its version');
  await until('each store with its version', (w) => JSON.stringify(window.__hq.versions()) === JSON.stringify(w), want, () => read('versions'));
  assert.equal(await page.locator('.stores-table thead th').last().innerText(), '버전');
});

step('an order on box 1 (hub process 1) is in the live feed of hub process 2 within seconds; status changes update its line', async () => {
  const t0 = Date.now();
  const o = await order(box1, 3, [{ menu_item_id: plain1.id, quantity: 3 }]);
  const key = keyOf(STORE1, o.id);
  const line = page.locator(`#feed li.fo[data-key="${key}"]`);
  await until(`order ${key} in the live feed`, (k) => !!document.querySelector(`#feed li.fo[data-key="${k}"]`), key, () => read('feed'), LIVE_MS);
  console.log(`        (box 1 → hub 1 → Redis → hub 2 → page: ${Date.now() - t0} ms)`);
  const first = (await read('feed'))[0];
  assert.deepEqual(first, { key, cls: 'fo-pending', store: STORE1_NAME, table: '3번 테이블', status: '대기중', total: won(o.total) }, 'the new order is on top');
  assert.equal(await line.locator('.fo-items').innerText(), `해물파전 ×3`);
  // The staff dashboard's status changes, from the box's staff API.
  for (const [status, label] of [['preparing', '준비중'], ['completed', '완료']]) {
    const t1 = Date.now();
    await setStatus(box1, o.id, status);
    await until(
      `order ${key} shows ${status}`,
      ([k, cls, text]) => {
        const li = document.querySelector(`#feed li.fo[data-key="${k}"]`);
        return li && li.classList.contains(cls) && li.querySelector('.status').textContent === text;
      },
      [key, `fo-${status}`, label],
      () => read('feed'),
      LIVE_MS,
    );
    console.log(`        (${status}: ${Date.now() - t1} ms)`);
  }
  assert.equal(await page.locator(`#feed li.fo[data-key="${key}"]`).count(), 1, 'one line per order');
  // Box 2 (this hub process): a new order, and a cancelled one struck through.
  const o2 = await order(box2, 3, [{ menu_item_id: items2['순대국'].id, quantity: 2 }]);
  const gone = [...placed.values()].find((x) => x.store === STORE2 && x.table_number === 2);
  await setStatus(box2, gone.id, 'cancelled');
  await until(
    'box 2 orders in the feed',
    ([k2, kc]) => {
      const a = document.querySelector(`#feed li.fo[data-key="${k2}"]`);
      const c = document.querySelector(`#feed li.fo[data-key="${kc}"]`);
      return a && c && c.classList.contains('fo-cancelled') && c.querySelector('.status').textContent === '취소';
    },
    [keyOf(STORE2, o2.id), keyOf(STORE2, gone.id)],
    () => read('feed'),
    LIVE_MS,
  );
  const feed = await read('feed');
  assert.deepEqual(feed.map((l) => l.key).sort(), [...placed.keys()].sort(), 'the feed holds each placed order once');
  for (const l of feed) {
    const p = placed.get(l.key);
    assert.equal(l.store, storeName(p.store), `${l.key} store`);
    assert.equal(l.cls, `fo-${p.status}`, `${l.key} status`);
    assert.equal(l.total, won(p.total), `${l.key} total`);
  }
  // The stores table and the tiles follow the orders (the cancelled one no longer counts).
  await storesAre('the stores table after the live orders');
});

// Sales by store, item and day as the page must show them.
function expectedSales(group) {
  if (group === 'store') {
    // By sales, then by store id (as the page sorts them).
    const rows = [[STORE1, STORE1_NAME], [STORE2, STORE2_NAME]]
      .map(([id, name]) => [id, name, storeSums(id).total])
      .sort((a, b) => b[2] - a[2] || a[0].localeCompare(b[0]));
    return { rows: rows.map(([, name, total]) => [name, total]), sum: allSum() };
  }
  if (group === 'item') return { rows: [...itemSums()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])), sum: allSum() };
  return { rows: [[today(), allSum()]], sum: allSum() };
}

async function groupBy(group, head) {
  await page.locator(`#sales-form .seg-row label:has(input[value=${group}])`).click();
  assert.equal(await page.locator(`#sales-form input[value=${group}]`).isChecked(), true);
  await until(`the sales table by ${group}`, (hd) => window.__hq.sales()?.head === hd, head, () => read('sales'));
}

// The table's rows and sum, and a chart with a bar for each row in proportion to its sales.
async function salesAre(group, head) {
  const want = expectedSales(group);
  // The day table lists only days with sales, by their label: its row is checked below.
  const shown = { head, rows: group === 'day' ? null : want.rows.map(([k, v]) => [k, won(v)]), sum: won(want.sum) };
  await until(
    `sales by ${group}`,
    (w) => {
      const s = window.__hq.sales();
      return !!s && s.head === w.head && s.sum === w.sum && (w.rows === null || JSON.stringify(s.rows) === JSON.stringify(w.rows));
    },
    shown,
    async () => ({ table: await read('sales'), want: shown }),
  );
  const s = await read('sales');
  assert.equal(s.head, head);
  assert.equal(s.sum, won(want.sum), `sales by ${group}: the total`);
  const chart = await read('chart');
  assert.ok(chart, `sales by ${group}: a chart is drawn`);
  assert.equal(chart.role, 'img');
  assert.ok(chart.drawn > 100, `sales by ${group}: the chart has a width (${chart.drawn})`);
  if (group === 'day') {
    // Seven days (the default range), today's column the only one with sales.
    assert.equal(s.rows.length, 1, 'one day with sales in the table');
    assert.equal(s.rows[0][1], won(want.sum));
    assert.equal(s.today.length, 1, "today's row is marked");
    assert.equal(chart.rows.length, 7, 'a column for each of the 7 days');
    const tall = chart.rows.filter((r) => r.bar.h > 0);
    assert.equal(tall.length, 1, 'one column with sales');
    assert.ok(tall[0].bar.hi, "today's column is highlighted");
    assert.ok(tall[0].title.endsWith(`: ${won(want.sum)}`), tall[0].title);
    assert.ok(chart.rows.at(-1).bar.hi, 'today is the last column');
  } else {
    assert.deepEqual(s.rows, want.rows.map(([k, v]) => [k, won(v)]), `sales by ${group}: the rows`);
    assert.equal(chart.rows.length, want.rows.length, `sales by ${group}: a bar for each row`);
    const max = Math.max(...want.rows.map((r) => r[1]));
    chart.rows.forEach((r, i) => {
      const [k, v] = want.rows[i];
      assert.equal(r.title, `${k}: ${won(v)}`, `bar ${i}`);
      const expect = Math.max(3, (v / max) * r.track);
      assert.ok(Math.abs(r.bar.w - expect) < 0.6, `bar ${k}: ${r.bar.w} px wide, expected ${expect.toFixed(1)} of ${r.track}`);
    });
  }
  await settle();
  // The card from a full-page picture (an element screenshot would put the sticky top bar over it).
  const clip = await page.locator('.sales-card').evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height };
  });
  await page.screenshot({ path: path.join(SHOTS, `hq-sales-${group}-1280x800.png`), fullPage: true, clip });
}
step('the sales report by store, item and day: totals as placed, a bar chart drawn', async () => {
  await page.locator('.sales-card').scrollIntoViewIfNeeded();
  assert.equal(await page.locator('[data-preset="6"]').getAttribute('aria-pressed'), 'true', 'the last 7 days by default');
  await until('the sales table', () => window.__hq.sales() !== null, null, () => read('sales'));
  await salesAre('store', '매장');
  await groupBy('item', '메뉴');
  await salesAre('item', '메뉴');
  // 김치찌개's line was 11,000원 (9,000 + options 2,000) ×1: options count as the item's sales.
  const stew = (await read('sales')).rows.find((r) => r[0] === '김치찌개');
  assert.deepEqual(stew, ['김치찌개', won(11000)]);
  await groupBy('day', '일자');
  await salesAre('day', '일자');
  await groupBy('store', '매장');
  await salesAre('store', '매장');
});

function parseCsv(buf) {
  assert.deepEqual([...buf.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the CSV starts with a UTF-8 BOM (for Excel)');
  const text = buf.subarray(3).toString('utf8');
  assert.ok(!text.includes('\ufffd'), 'the CSV is valid UTF-8');
  const lines = text.split('\n');
  assert.equal(lines.at(-1), '', 'the CSV ends with a newline');
  const [head, ...rows] = lines.slice(0, -1);
  assert.equal(head, 'store_id,order_id,order_no,created_at,table_number,status,total,items');
  return rows.map((l) => {
    const [store, id, orderNo, created, table, status, total] = l.split(',');
    return { key: keyOf(store, Number(id)), store, orderNo: Number(orderNo), created, table: Number(table), status, total: Number(total), line: l };
  });
}

async function download() {
  const link = page.locator('#csv-link');
  assert.equal(await link.getAttribute('aria-disabled'), null, 'the download link is enabled');
  // Every order of the range: the page asks for no cut-off.
  assert.doesNotMatch(await link.getAttribute('href'), /[?&]limit=/, 'the CSV link asks for every order');
  const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const file = await dl.path();
  assert.ok(file, `the download finished (${await dl.failure()})`);
  return { name: dl.suggestedFilename(), rows: parseCsv(fs.readFileSync(file)) };
}

step('CSV export downloads exactly the orders placed, once each, with a UTF-8 BOM', async () => {
  await page.locator('.csv-row').scrollIntoViewIfNeeded();
  const all = await download();
  // The hub names the file after the range (and the store, when one is chosen).
  assert.match(all.name, /^orders_\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.csv$/);
  const keys = all.rows.map((r) => r.key);
  assert.equal(new Set(keys).size, keys.length, `no order twice: ${keys.join(' ')}`);
  assert.deepEqual([...keys].sort(), [...placed.keys()].sort(), 'every order placed, and no other');
  for (const r of all.rows) {
    const p = placed.get(r.key);
    assert.equal(r.status, p.status, `${r.key} status`);
    assert.equal(r.total, p.total, `${r.key} total`);
    assert.equal(r.table, p.table_number, `${r.key} table`);
    assert.equal(r.orderNo, p.order_no, `${r.key} order number`);
  }
  // Korean item names and options survive (UTF-8), e.g. the stew's line with its options.
  assert.ok(all.rows.some((r) => r.line.includes('김치찌개 x1 (아주 매운맛/라면사리)')), 'options in the items column');
  // One store only.
  await page.locator('#csv-store').selectOption(STORE2);
  const one = await download();
  assert.match(one.name, new RegExp(`^orders_${STORE2}_\\d{4}-\\d{2}-\\d{2}_\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  assert.deepEqual(one.rows.map((r) => r.key).sort(), [...placed.keys()].filter((k) => k.startsWith(`${STORE2}:`)).sort());
  await page.locator('#csv-store').selectOption('');
});

step('the main screen in Korean: no serious axe-core violation, no sideways scroll at three sizes', async () => {
  await page.evaluate(() => window.scrollTo(0, 0));
  await axeCheck('main (ko)');
  for (const [w, h] of SIZES) await shoot('main', w, h, { full: true });
  await page.setViewportSize({ width: 1280, height: 800 });
});

step('the language switch shows English labels (and the chart in English)', async () => {
  await page.locator('#app [data-action=lang]').click();
  await until('English', () => document.documentElement.lang === 'en', null, () => page.getAttribute('html', 'lang'));
  assert.equal(await page.title(), 'tableorder · Chain overview');
  assert.equal(await page.locator('.page-head h1').innerText(), 'Chain overview');
  assert.equal(await page.locator('#stores-h').innerText(), 'Stores');
  assert.equal(await page.locator('#feed-h').innerText(), 'Live orders');
  assert.equal(await page.locator('#sales-h').innerText(), 'Sales report');
  assert.equal(await page.locator('#conn').innerText(), 'Live');
  assert.equal(await page.locator('#btn-logout').getAttribute('aria-label'), 'Sign out');
  await storesAre('the stores table in English', 'en');
  const feed = await read('feed');
  for (const l of feed) {
    const p = placed.get(l.key);
    assert.equal(l.status, { pending: 'Pending', preparing: 'Preparing', completed: 'Completed', cancelled: 'Cancelled' }[p.status]);
    assert.match(l.table, /^Table \d+$/);
    assert.equal(l.total, won(p.total, 'en'));
  }
  const s = await read('sales');
  assert.equal(s.head, 'Store');
  assert.equal(s.sum, won(allSum(), 'en'));
  assert.match((await read('chart')).label, /^Bar chart of sales by Store: /);
  // No Korean left in the page's own words (store and item names are data; the switch back says 한국어).
  assert.equal(await page.locator('#app [data-action=lang]').innerText(), '한국어');
  const korean = await page.evaluate((re) => {
    const hangul = new RegExp(re);
    return [...document.querySelectorAll('#app [data-i18n], #app th[scope=col], #app legend, #app .kpi-label, #app .fo-table, #app .status, #health span')]
      .filter((e) => e.offsetParent !== null && !e.closest('[data-action=lang]') && hangul.test(e.textContent))
      .map((e) => e.textContent.trim());
  }, HANGUL.source);
  assert.deepEqual(korean, [], 'Korean labels left in English');
  await axeCheck('main (en)');
  for (const [w, h] of SIZES) await shoot('main-en', w, h);
  await page.setViewportSize({ width: 1280, height: 800 });
});

step('a reload keeps the login (and the language)', async () => {
  await page.reload();
  await page.locator('#app').waitFor();
  assert.equal(await loginShown(), false, 'no login form after a reload');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.locator('#conn[data-state=up]').waitFor();
  await storesAre('the stores table after the reload', 'en');
  await until('the feed after the reload', (n) => window.__hq.feed().length === n, placed.size, () => read('feed'));
  // Back to Korean for the rest.
  await page.locator('#app [data-action=lang]').click();
  await until('Korean', () => document.documentElement.lang === 'ko', null, () => page.getAttribute('html', 'lang'));
  assert.equal(await page.locator('.page-head h1').innerText(), '본사 현황');
});

// What box 1 took and closed, as the HQ page must show it.
let closed;
const methods = {};
step('box 1 takes payments (10 % off one check first) and closes its day: HQ shows net sales, payments by method, the closed day, the discount', async () => {
  const admin = box1.admin;
  const open = (await ok(BOX1, 'GET', '/api/v1/admin/tables', { token: admin })).filter((tb) => tb.session);
  assert.ok(open.length >= 2, 'box 1 has open checks');
  for (const tb of open) {
    const sid = tb.session.id;
    if (tb.number === 1) await ok(BOX1, 'POST', `/api/v1/admin/sessions/${sid}/adjustments`, { token: admin, body: { kind: 'discount', percent: 10, reason: '단골 할인' } }, [201]);
    const c = await ok(BOX1, 'GET', `/api/v1/admin/sessions/${sid}/check`, { token: admin });
    const pays = tb.number === 1 ? [['cash', 20000, 50000], ['card', c.total - 20000]] : [['transfer', c.total]];
    for (const [method, amount, tendered] of pays) {
      const body = { method, amount, ...(tendered ? { tendered } : {}) };
      await ok(BOX1, 'POST', `/api/v1/admin/sessions/${sid}/payments`, { token: admin, body, headers: { 'Idempotency-Key': `hq-e2e-pay-${process.pid}-${sid}-${method}` } }, [201]);
      methods[method] ??= { count: 0, amount: 0 };
      methods[method].count += 1;
      methods[method].amount += amount;
    }
    await ok(BOX1, 'POST', `/api/v1/admin/tables/${tb.id}/end-session`, { token: admin, body: {} }, [200]);
  }
  closed = await ok(BOX1, 'POST', '/api/v1/admin/days/close', { token: admin, body: { counted_cash: methods.cash.amount } }, [200]);
  assert.equal(closed.cash.difference, 0);
  await uploaded('the payments and the closed day');
  await page.locator('#btn-refresh').click();

  // Net sales beside the sales, by store: the closed day's.
  await page.locator('.sales-card').scrollIntoViewIfNeeded();
  await until(
    'the net sales of box 1 in the sales report',
    ([name, net]) => [...document.querySelectorAll('#sales-table tbody tr')].some((tr) => tr.querySelector('.key')?.textContent === name && tr.querySelector('td.net')?.textContent === net),
    [STORE1_NAME, won(closed.net)],
    () => page.locator('#sales-table').innerText(),
  );
  assert.equal(await page.locator('#sales-table thead th', { hasText: '순매출' }).count(), 1);
  // Payments by method: what was taken, by method.
  const payRows = () => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#payments tbody tr')].map((tr) => [tr.dataset.method, [tr.children[1].textContent, tr.querySelector('.money').textContent]])));
  const wantPay = Object.fromEntries(Object.entries(methods).map(([m, x]) => [m, [String(x.count), won(x.amount)]]));
  await until('the payments by method', (w) => JSON.stringify(Object.fromEntries([...document.querySelectorAll('#payments tbody tr')].map((tr) => [tr.dataset.method, [tr.children[1].textContent, tr.querySelector('.money').textContent]]))) === JSON.stringify(w), wantPay, payRows);
  assert.match(await page.locator('#payments tr[data-method="cash"] th').innerText(), /현금/);
  assert.match(await page.locator('#payments tr[data-method="transfer"] th').innerText(), /계좌이체/);
  // Each store's closed days: box 1's, with its figures.
  const day = page.locator(`#days tr[data-store="${STORE1}"][data-day-id="${closed.id}"]`);
  await day.waitFor();
  assert.equal((await day.locator('td.money').innerText()).trim(), won(closed.net));
  assert.match(await day.innerText(), new RegExp(STORE1_NAME.replace(/[()]/g, '\\$&')));
  assert.equal(await page.locator(`#days tr[data-store="${STORE2}"]`).count(), 0, 'box 2 closed no day');
  // The discount and box 2's cancelled order in the audit list, with who did it and why.
  const disc = page.locator(`#audit tr[data-store="${STORE1}"][data-kind="discount_added"]`).first();
  await disc.waitFor();
  assert.match(await disc.innerText(), /할인[\s\S]*1번 테이블[\s\S]*전체 10%[\s\S]*사유: 단골 할인[\s\S]*admin/);
  await page.locator(`#audit tr[data-store="${STORE2}"][data-kind="order_cancelled"]`).first().waitFor();
  // One kind, one store.
  await page.locator('#audit-kind').selectOption('discount_added');
  await until('the audit list of discounts only', () => [...document.querySelectorAll('#audit tbody tr')].length > 0 && [...document.querySelectorAll('#audit tbody tr')].every((tr) => tr.dataset.kind === 'discount_added'), null, () => page.locator('#audit').innerText());
  await page.locator('#audit-kind').selectOption('');
  // The closed days as CSV.
  const link = page.locator('#days-csv');
  assert.match(await link.getAttribute('href'), /^\/hub\/v1\/days\.csv\?/);
  const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const buf = fs.readFileSync(await dl.path());
  assert.deepEqual([...buf.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a BOM for Excel');
  const lines = buf.subarray(3).toString('utf8').trim().split('\n');
  assert.match(lines[0], /^store_id,business_date,orders,/);
  const row = lines.find((l) => l.startsWith(`${STORE1},${closed.business_date},`));
  assert.ok(row, `box 1's day in the CSV: ${lines.join(' | ')}`);
  assert.ok(row.split(',').includes(String(closed.net)), `its net in the CSV: ${row}`);
  // The new cards: axe-core, three sizes (the whole page), English.
  await axeCheck('payments, days and audit (ko)');
  for (const [w, h] of SIZES) await shoot('money', w, h, { full: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.locator('#app [data-action=lang]').click();
  await until('English', () => document.documentElement.lang === 'en', null, () => page.getAttribute('html', 'lang'));
  await page.locator('#pay-h', { hasText: 'Payments by method' }).waitFor();
  assert.match(await page.locator('#payments tr[data-method="card"] th').innerText(), /Card/);
  assert.match(await disc.innerText(), /Discount[\s\S]*Table 1[\s\S]*Whole check 10%[\s\S]*Reason: 단골 할인/);
  await axeCheck('payments, days and audit (en)');
  await shoot('money-en', 390, 844, { full: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.locator('#app [data-action=lang]').click();
  await until('Korean', () => document.documentElement.lang === 'ko', null, () => page.getAttribute('html', 'lang'));
});

// The stores card alone, from a full-page picture (an element screenshot would put the sticky top
// bar over it).
async function shootCard(name, width, height) {
  await page.setViewportSize({ width, height });
  await settle();
  const clip = await page.locator('.stores-card').evaluate((el) => {
    const r = el.getBoundingClientRect();
    return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height };
  });
  await page.screenshot({ path: path.join(SHOTS, `hq-${name}-${width}x${height}.png`), fullPage: true, clip });
}

// Polls `probe` (async; a value other than null ends it) every half second, up to `ms`.
async function eventually(label, probe, ms, show) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v != null) return v;
    if (Date.now() > deadline) throw new Error(`${label}: not within ${ms / 1000} s${show ? `: ${JSON.stringify(await show())}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
// What the page shows after its refresh button (it refreshes by itself every 30 s).
async function refreshedUntil(label, fn, arg, show, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    await page.locator('#btn-refresh').click();
    try {
      await page.waitForFunction(fn, arg, { timeout: 2000, polling: 100 });
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${label}: not within ${ms / 1000} s; the page shows ${JSON.stringify(await show())}\n${e.message.split('\n')[0]}`);
    }
  }
}

step('a release rolled out to box 2’s store: due there; box 2 refuses it (a key it does not trust) and the rollout halts; the table says so in words, box 1’s store untouched', async () => {
  const hq = await page.evaluate(() => JSON.parse(localStorage.getItem('tableorder.hq.session')).token);
  const hubStores = async () => Object.fromEntries((await ok(HUB, 'GET', '/hub/v1/stores', { token: hq })).map((x) => [x.store_id, x]));
  const hub = (...args) => execFileSync(BIN, ['hub', ...args, '--database-url', DATABASE_URL], { encoding: 'utf8', env: { ...process.env, TABLEORDER_LOG: 'warn' } });
  const updateOf = (x) => ({ version: x.version, update_state: x.update_state, update_error: x.update_error, assigned_version: x.assigned_version });
  const before = await hubStores();
  const [v1, v2] = [await boxVersion(box1), await boxVersion(box2)];
  assert.deepEqual(updateOf(before[STORE1]), { version: v1, update_state: 'idle', update_error: null, assigned_version: null });
  assert.deepEqual(updateOf(before[STORE2]), { version: v2, update_state: 'idle', update_error: null, assigned_version: null });
  const rows = () => read('versions');

  console.log(`        ${hub('rollout', RELEASE, '--stores', STORE2).trim()}`);
  // A box hears of its release in the hub's answer to its next upload: within 30 s, or at once
  // when it has an event to send (a new category here).
  await ok(BOX2, 'POST', '/api/v1/admin/categories', { token: box2.admin, body: { name: '음료' } });
  const assigned = await eventually('the hub assigns box 2 the release', async () => {
    const x = await hubStores();
    return x[STORE2].assigned_version === RELEASE ? x : null;
  }, 60_000, hubStores);
  assert.equal(assigned[STORE1].assigned_version, null, 'box 1 is not assigned the release');
  // Due (or, had box 2 taken it, waiting for an idle moment).
  await refreshedUntil(
    'the release due at box 2’s store',
    ([st, v]) => {
      const r = window.__hq.versions().find((x) => x.store === st);
      return !!r && (r.due === `→ ${v}` || r.label === `${v} 대기`);
    },
    [STORE2, RELEASE],
    rows,
  );
  const due = byStore(await rows());
  assert.deepEqual(due[0], quiet(STORE1, v1), 'box 1’s store: its version, nothing under way');
  assert.equal(due[1].version, v2, 'box 2’s store still shows the version it runs');
  await shootCard('stores-due', 1280, 800);

  // Box 2 fetches the release and checks it with its own keys: not signed by one it trusts.
  const refused = await eventually('box 2 refuses the release', async () => {
    const u = await ok(BOX2, 'GET', '/api/v1/admin/system/update', { token: box2.admin });
    return u.state === 'failed' ? u : null;
  }, 60_000, () => ok(BOX2, 'GET', '/api/v1/admin/system/update', { token: box2.admin }));
  assert.match(refused.last_error, /release refused: not signed by a trusted key/);
  // It tells the hub with its next upload (another event: at once), and the rollout halts.
  await ok(BOX2, 'POST', '/api/v1/admin/categories', { token: box2.admin, body: { name: '후식' } });
  const after = await eventually('the hub hears of the refusal', async () => {
    const x = await hubStores();
    return x[STORE2].update_state === 'failed' ? x : null;
  }, 60_000, hubStores);
  assert.deepEqual(updateOf(after[STORE2]), { version: v2, update_state: 'failed', update_error: refused.last_error, assigned_version: null }, 'box 2: refused, no longer assigned it');
  assert.deepEqual(updateOf(after[STORE1]), updateOf(before[STORE1]), 'box 1 untouched');
  const listed = hub('release', 'list').split('\n').find((l) => l.startsWith(`${RELEASE}\t`));
  assert.match(listed ?? '', /release refused/, `the rollout is halted, with the reason: ${listed}`);

  // The page: the failure in words at box 2's store, the box's own words in the line and tooltip.
  const want = byStore([
    quiet(STORE1, v1),
    cell({
      store: STORE2, version: v2, state: 'failed', label: '업데이트 실패',
      why: '믿을 수 있는 키로 서명되지 않았거나 서명 뒤 파일이 바뀌어 설치하지 않았습니다.',
      error: refused.last_error, title: refused.last_error,
    }),
  ]);
  await refreshedUntil('the refusal at box 2’s store', (w) => JSON.stringify(window.__hq.versions()) === JSON.stringify(w), want, async () => ({ now: await rows(), want }));
  await storesAre('the other columns as before');
  await page.evaluate(() => window.scrollTo(0, 0));
  await axeCheck('stores with a failed update (ko)');
  for (const [w, h] of SIZES) {
    await shoot('stores-failed', w, h);
    await shootCard('stores-failed-card', w, h);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  // In English.
  await page.locator('#app [data-action=lang]').click();
  await until('English', () => document.documentElement.lang === 'en', null, () => page.getAttribute('html', 'lang'));
  assert.equal(await page.locator('.stores-table thead th').last().innerText(), 'Version');
  const en = (await rows()).find((r) => r.store === STORE2);
  assert.equal(en.label, 'Update failed');
  assert.equal(en.why, 'Not installed: not signed by a trusted key, or changed after it was signed.');
  await axeCheck('stores with a failed update (en)');
  await shoot('stores-failed-en', 390, 844);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.locator('#app [data-action=lang]').click();
  await until('Korean', () => document.documentElement.lang === 'ko', null, () => page.getAttribute('html', 'lang'));
});

step('what no box here reaches (an older version, waiting, being checked, rolled back) as the page draws it from the hub’s answer, altered in the browser', async () => {
  // Every box of this test runs the same binary: the version fields of the hub's real answer
  // are changed on their way to the page.
  let alter = null;
  await page.route('**/hub/v1/stores', async (route) => {
    const res = await route.fetch();
    const list = await res.json();
    for (const x of list) Object.assign(x, alter?.[x.store_id] ?? {});
    await route.fulfill({ response: res, json: list });
  });
  const show = async (label, changes, want) => {
    alter = changes;
    await refreshedUntil(label, (w) => JSON.stringify(window.__hq.versions()) === JSON.stringify(w), want, async () => ({ now: await read('versions'), want }));
  };
  await show(
    'an older version waiting for a newer one; a new version being checked',
    { [STORE1]: { version: '0.0.9', update_state: 'pending', update_error: null, assigned_version: '0.1.0' }, [STORE2]: { version: '0.1.0', update_state: 'probation', update_error: null, assigned_version: null } },
    byStore([
      cell({ store: STORE1, version: '0.0.9', older: '이전 버전', state: 'pending', label: '0.1.0 대기', title: '새 버전을 받아 두었습니다. 열린 테이블이 없거나 마감한 뒤 적용합니다.' }),
      cell({ store: STORE2, version: '0.1.0', state: 'probation', label: '새 버전 확인 중', title: '새 버전이 정상으로 동작하는지 확인하는 중입니다. 문제가 있으면 스스로 이전 버전으로 돌아갑니다.' }),
    ]),
  );
  await shootCard('stores-pending', 1280, 800);
  const why = 'the new release did not answer its health check';
  await show(
    'a store gone back by itself; 0.9.1 older than 0.10.0, and due for it',
    { [STORE1]: { version: '0.10.0', update_state: 'rolled_back', update_error: why, assigned_version: null }, [STORE2]: { version: '0.9.1', update_state: null, update_error: null, assigned_version: '0.10.0' } },
    byStore([
      cell({ store: STORE1, version: '0.10.0', state: 'rolled_back', label: '되돌림', why: '새 버전이 상태 점검에 응답하지 않아 이전 버전으로 돌아갔습니다.', error: why, title: why }),
      cell({ store: STORE2, version: '0.9.1', due: '→ 0.10.0', older: '이전 버전' }),
    ]),
  );
  await axeCheck('stores with older versions and a rollback (ko)');
  await shootCard('stores-rolled-back', 1280, 800);
  await shootCard('stores-rolled-back', 390, 844);
  await page.setViewportSize({ width: 1280, height: 800 });
  await show(
    'a box that has not said its version yet',
    { [STORE1]: { version: null, update_state: null, update_error: null, assigned_version: null }, [STORE2]: { version: '0.1.0', update_state: 'idle', update_error: null, assigned_version: null } },
    byStore([quiet(STORE1, '—'), quiet(STORE2, '0.1.0')]),
  );
  await page.unroute('**/hub/v1/stores');
  await page.locator('#btn-refresh').click();
});

step('logout returns to the login form, for good', async () => {
  await page.locator('#btn-logout').click();
  await page.locator('#login-form').waitFor();
  assert.equal(await appShown(), false, 'the app is hidden');
  assert.equal(await page.evaluate(() => localStorage.getItem('tableorder.hq.session')), null, 'the session is gone');
  assert.equal(await page.locator('#login-form .form-error').innerText(), '', 'no error after a logout');
  await page.reload();
  await page.locator('#login-form').waitFor();
  assert.equal(await appShown(), false, 'still logged out after a reload');
});

step('nothing left the hub (no CDN), no failed request but the wrong password, no script error', async () => {
  assert.deepEqual(foreign, [], 'requests to other origins');
  assert.deepEqual(failures, ['401 POST /hub/v1/auth/login'], 'responses ≥ 400');
  assert.deepEqual(pageErrors, [], 'errors in the page');
});

step('a box’s own System page shows its hub: connected, nothing waiting, when it last sent', async () => {
  const tk = await ok(BOX1, 'POST', '/api/v1/auth/admin/login', { body: { store_id: STORE1, username: 'admin', password: BOX_PASSWORD } });
  const auth = JSON.stringify({ token: tk.token, expires_at: tk.expires_at, store_id: tk.store_id, username: tk.username, timezone: tk.timezone });
  const sys = await ctx.newPage();
  sys.setDefaultTimeout(WAIT);
  await sys.addInitScript((a) => localStorage.setItem('tableorder.staff', a), auth);
  await sys.goto(`${BOX1}/staff`);
  await sys.locator('.nav a[data-view=system]').click();
  const hub = sys.locator('#sys-hub');
  await hub.locator('[data-hub-state="ok"]').waitFor();
  await hub.locator('[data-hub-backlog="0"]').waitFor({ timeout: 15000 });
  const text = await hub.innerText();
  assert.match(text, /본사 연결/);
  assert.match(text, /연결됨/);
  assert.doesNotMatch(text, /아직 없음/, 'the last upload has a time');
  await axeAudit(sys, 'box system page with a hub');
  await sys.screenshot({ path: path.join(SHOTS, 'box-system-hub-1280x800.png') });
  await sys.close();
});

// ---------- run ----------

const t0 = Date.now();
const passed = await run(async () => {
  if (page) await page.screenshot({ path: path.join(SHOTS, 'hq-failure.png'), fullPage: true }).catch(() => {});
  if (pageErrors.length) console.log(`        page errors: ${pageErrors.join(' | ')}`);
});
console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${SHOTS}`);
if (ctx) await ctx.close().catch(() => {});
if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
process.exit(passed ? 0 : 1);
