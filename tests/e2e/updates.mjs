// The System page's Updates section, on a box of its own that trusts a minisign key made here
// (--update-public-keys) and keeps a new release on probation for 3 s: the box owner sees the
// running version (the one /healthz reports) and that it is up to date; releases signed by
// another key, made for another kind of board, or not newer are refused in words with the box's
// reason below, and nothing changes; a valid release that exits at its start, sent "now", shows
// as waiting or being checked and then, by itself, as rolled back with the reason in words, and
// the box serves on (the dashboard works after); going back with nothing to go back to says so;
// a box that trusts no key says so and takes no upload; a manager does not see the section.
// Releases are small shell scripts that say "tableorder VERSION" to --version, signed with
// scripts/sign-release.sh (SIGN_ONLY). Screenshots of the section in Korean go to E2E_SHOTS.
// usage: node updates.mjs BINARY   (run.sh passes its server binary; needs minisign)
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { client, runner, sleep, axeCheck, buttonsFit, noSidewaysScroll } from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const BIN = path.resolve(process.argv[2] || process.env.TABLEORDER_BIN || '');
if (!process.argv[2] && !process.env.TABLEORDER_BIN) {
  console.error('usage: node updates.mjs <server-binary>');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.E2E_SHOTS || fs.mkdtempSync(path.join(os.tmpdir(), 'tableorder-shots-'));
fs.mkdirSync(SHOTS, { recursive: true });
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WAIT = 10_000;
const PROBATION_SECS = 3;
// This machine's kind of board, and another one.
const ARCH = { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7' }[process.arch] || process.arch;
const HERE_TARGET = `${ARCH}-unknown-linux-gnu`;
const OTHER_TARGET = ARCH === 'aarch64' ? 'x86_64-unknown-linux-gnu' : 'aarch64-unknown-linux-gnu';
const { step, run } = runner();

let box; // {proc, dir, base, log}
let api;
let browser;
let admin; // login answers
let manager;
let page; // the owner's dashboard
let running; // the version /healthz reports
let table; // table 5's login: its visit keeps the box from being idle
const rel = {}; // releases by name: {binary, signature}
const pageErrors = [];

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr || r.stdout || r.error}`);
  return r.stdout;
}

// A minisign key pair without a password: [public key (base64), secret key file].
function keypair(dir, name) {
  const pub = path.join(dir, `${name}.pub`);
  const key = path.join(dir, `${name}.key`);
  sh('minisign', ['-G', '-W', '-p', pub, '-s', key]);
  return [fs.readFileSync(pub, 'utf8').trim().split('\n').pop().trim(), key];
}

// A "release": a shell script that says `says` to --version and runs `body` otherwise, signed
// with `key` as VERSION `version` for TARGET `target` by scripts/sign-release.sh.
function release(dir, name, { says, version = says, target = HERE_TARGET, key, body = 'exit 0' }) {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  const script = path.join(d, 'tableorder');
  fs.writeFileSync(script, `#!/bin/sh\nif [ "$1" = --version ]; then echo "tableorder ${says}"; exit 0; fi\n${body}\n`, { mode: 0o755 });
  const out = sh(path.join(ROOT, 'scripts', 'sign-release.sh'), [key, path.join(d, 'out')], {
    env: { ...process.env, SIGN_ONLY: script, TARGET: target, VERSION: version },
  })
    .trim()
    .split('\n')
    .pop();
  assert.ok(fs.existsSync(out) && fs.existsSync(`${out}.minisig`), `signed release ${out}`);
  return { binary: out, signature: `${out}.minisig` };
}

async function waitFor(fn, what, ms = WAIT) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

const healthz = async () => (await api.call('GET', '/healthz')).data;
const status = async () => {
  const r = await api.call('GET', '/api/v1/admin/system/update', { token: admin.token });
  assert.equal(r.status, 200, JSON.stringify(r.data));
  return r.data;
};

async function newPage(name, storage) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ko-KR', timezoneId: 'Asia/Seoul' });
  await ctx.addInitScript(
    ([entries, once]) => {
      if (sessionStorage.getItem(once)) return;
      sessionStorage.setItem(once, '1');
      for (const [k, v] of entries) localStorage.setItem(k, v);
    },
    [Object.entries(storage), `e2e-init-${name}`],
  );
  const p = await ctx.newPage();
  p.setDefaultTimeout(WAIT);
  p.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  // While the box switches releases a request or the event stream may fail for a moment.
  p.on('console', (m) => m.type() === 'error' && !/^Failed to load resource|EventSource|net::ERR/.test(m.text()) && pageErrors.push(`${name} console: ${m.text()}`));
  return p;
}

async function go(p, view) {
  await p.evaluate((v) => (location.hash = v), `#${view}`);
  await p.locator(`#view[data-view="${view}"]`).waitFor();
}

const text = async (sel) => (await page.locator(sel).innerText()).trim();
const section = () => page.locator('#sys-update');

// Chooses the release's two files and presses Upload.
async function send(r) {
  const form = page.locator('#upd-form');
  await form.locator('input[name=binary]').setInputFiles(r.binary);
  await form.locator('input[name=signature]').setInputFiles(r.signature);
  await page.locator('#upd-upload').click();
}

// ---------- the test ----------

step('a box of its own that trusts a key made here; releases signed by it and by a stranger', async () => {
  assert.ok(fs.existsSync(BIN), `no server binary at ${BIN}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tableorder-updates-'));
  const keys = path.join(dir, 'keys');
  const rels = path.join(dir, 'releases');
  fs.mkdirSync(keys);
  fs.mkdirSync(rels);
  const [pub, key] = keypair(keys, 'release');
  const [, stranger] = keypair(keys, 'stranger');
  rel.stranger = release(rels, 'stranger', { says: '9.0.0', key: stranger });
  rel.otherBoard = release(rels, 'other-board', { says: '9.0.0', target: OTHER_TARGET, key });
  rel.older = release(rels, 'older', { says: '0.0.1', key });
  rel.exits = release(rels, 'exits', { says: '9.0.0', key, body: 'exit 3' });
  rel.later = release(rels, 'later', { says: '9.1.0', key, body: 'exit 3' });

  const port = await freePort();
  const log = [];
  // Its own process group: the probation guard and the releases it runs end with it.
  const proc = spawn(
    BIN,
    ['serve', '--demo', '--no-mdns', '--listen', `127.0.0.1:${port}`, '--data-dir', path.join(dir, 'data'), '--update-public-keys', pub, '--update-probation-secs', String(PROBATION_SECS)],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  for (const s of [proc.stdout, proc.stderr]) s.on('data', (d) => log.push(String(d)));
  box = { proc, dir, base: `http://127.0.0.1:${port}`, log };
  api = client(box.base);
  running = (await waitFor(healthz, 'the box to answer /healthz')).version;
  assert.match(running, /^\d+\.\d+\.\d+/);
  admin = await api.login('/api/v1/auth/admin/login', { store_id: 'demo', username: 'admin', password: 'demo1234' });
  manager = await api.login('/api/v1/auth/admin/login', { store_id: 'demo', username: 'manager', password: 'demo1234' });
  assert.equal(manager.role, 'manager');
  const st = await status();
  assert.deepEqual([st.state, st.current, st.previous, st.keys], ['idle', running, null, true]);

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
});

step('the owner’s System page: the running version, up to date in words, nothing to go back to', async () => {
  page = await newPage('owner', { 'tableorder.staff': JSON.stringify(admin), 'tableorder.lang': 'ko' });
  await page.goto(`${box.base}/staff`);
  await page.locator('#conn.up').waitFor();
  await go(page, 'system');
  await section().locator('#upd-state[data-state="idle"]').waitFor();
  assert.ok(await section().isVisible(), 'the box owner sees Updates');
  assert.equal(await text('#sys-update h2'), '업데이트');
  assert.equal(await text('#upd-state'), '최신 상태');
  assert.equal(await text('[data-upd=current] dd'), running, 'the version /healthz reports');
  assert.equal(await text('[data-upd=previous] dd'), '없음');
  assert.equal(await text('#upd-says'), `아직 설치한 업데이트가 없습니다. 지금 ${running} 버전으로 운영 중입니다.`);
  assert.ok(await page.locator('#upd-nokeys').isHidden(), 'the box trusts a key: no warning');
  assert.ok(await page.locator('#upd-reason').isHidden());
  // Going back: nothing to go back to, said beside the button.
  assert.ok(await page.locator('#upd-rollback').isDisabled(), 'Roll back is off with nothing to go back to');
  assert.equal(await text('#upd-back-hint'), '되돌아갈 이전 버전이 없습니다.');
  // "When idle" is chosen until the owner picks "now".
  assert.equal(await page.locator('[data-when=idle]').getAttribute('aria-pressed'), 'true');
  assert.equal(await page.locator('[data-when=now]').getAttribute('aria-pressed'), 'false');
  assert.equal(await text('#upd-when-hint'), '모든 테이블의 이용이 끝나거나 영업을 마감하면 바뀝니다.');
  await page.locator('[data-when=now]').click();
  assert.equal(await page.locator('[data-when=now]').getAttribute('aria-pressed'), 'true');
  assert.equal(await text('#upd-when-hint'), '몇 초 안에 바뀝니다. 화면이 잠깐 다시 연결됩니다.');
  await page.locator('[data-when=idle]').click();
  // Buttons of 44 px.
  for (const sel of ['#upd-upload', '#upd-rollback', '[data-when=idle]', '[data-when=now]']) {
    const b = await page.locator(sel).boundingBox();
    assert.ok(b.height >= 44, `${sel} is ${b.height}px high`);
  }
  await axeCheck(page, 'system page with updates');
  await section().scrollIntoViewIfNeeded();
  await section().screenshot({ path: path.join(SHOTS, 'updates-idle-ko.png') });
});

step('going back with nothing to go back to: the box’s 409 in words', async () => {
  // The button is off; a page that still offers it (the state changed meanwhile) hears the box.
  await page.locator('#upd-rollback').evaluate((b) => (b.disabled = false));
  await page.locator('#upd-rollback').click();
  const dlg = page.locator('dialog.confirm[open]');
  await dlg.waitFor();
  assert.match(await dlg.innerText(), /버전으로 되돌릴까요\?/);
  await dlg.locator('[data-action=confirm]').click();
  await page.locator('#toasts .toast.error', { hasText: '되돌아갈 이전 버전이 없습니다.' }).waitFor();
  assert.equal((await status()).state, 'idle');
  await page.locator('#upd-rollback:disabled').waitFor();
});

step('refused releases: another key, another board, not newer — each in words, the box’s reason below; nothing changes', async () => {
  // Both files are needed.
  await page.locator('#upd-form input[name=binary]').setInputFiles(rel.stranger.binary);
  await page.locator('#upd-upload').click();
  assert.equal(await text('#upd-error'), '릴리스 파일과 서명 파일(.minisig)을 모두 고르세요.');
  await page.locator('#upd-form input[name=binary]').setInputFiles([]);

  // While a release is on its way the button is off and says so (the box's answer held back here).
  let release = null;
  const held = new Promise((r) => (release = r));
  await page.route('**/api/v1/admin/system/update', async (route) => {
    if (route.request().method() === 'POST') await held;
    await route.continue();
  });
  await send(rel.stranger);
  await page.locator('#upd-upload:disabled').waitFor();
  assert.equal(await text('#upd-upload'), '올리는 중…');
  assert.match(await text('#upd-progress'), /^\d+(\.\d)? (B|KB) 보내고 확인하는 중…$/);
  release();
  await page.locator('#upd-error:not(:empty)').waitFor();
  await page.unroute('**/api/v1/admin/system/update');
  await page.locator('#upd-upload:enabled').waitFor();
  assert.equal(await text('#upd-progress'), '');

  const cases = [
    [rel.stranger, '설치하지 않았습니다: 이 기기가 믿는 키로 서명되지 않았거나, 서명한 뒤 파일이 바뀌었거나, 서명에 적힌 버전이 아닙니다.'],
    [rel.otherBoard, '설치하지 않았습니다: 다른 종류의 기기용으로 만든 릴리스입니다.'],
    [rel.older, '설치하지 않았습니다: 지금 실행 중인 버전보다 새 버전이 아닙니다.'],
  ];
  for (const [r, words] of cases) {
    await page.locator('#upd-error').evaluate((e) => (e.textContent = ''));
    await send(r);
    await page.locator('#upd-error:not(:empty)').waitFor();
    assert.equal(await text('#upd-error'), words);
    assert.match(await text('#upd-detail'), /^release refused: /, 'the box’s own reason below');
    await page.locator('#upd-upload:enabled').waitFor();
  }
  await page.screenshot({ path: path.join(SHOTS, 'updates-refused-ko.png'), fullPage: true });
  // Nothing changed.
  const st = await status();
  assert.deepEqual([st.state, st.current, st.previous, st.pending ?? null], ['idle', running, null, null]);
  assert.equal((await healthz()).version, running);
  assert.equal(await text('#upd-state'), '최신 상태');
});

step('a release that exits at its start, sent "now": waiting or checked, then rolled back by itself with the reason; the box serves on', async () => {
  // Every state the section shows, as it shows it.
  await page.evaluate(() => {
    window.__updStates = [];
    const pill = document.querySelector('#upd-state');
    new MutationObserver(() => window.__updStates.push(pill.dataset.state)).observe(pill, { attributes: true, attributeFilter: ['data-state'] });
  });
  await page.locator('#upd-error').evaluate((e) => (e.textContent = ''));
  await page.locator('[data-when=now]').click();
  const t0 = Date.now();
  await send(rel.exits);
  await page.locator('#toasts .toast.ok', { hasText: '9.0.0 버전을 설치했습니다' }).waitFor();
  assert.equal(await text('#upd-error'), '', 'no refusal');
  await section().locator('#upd-state[data-state="rolled_back"]').waitFor({ timeout: 15_000 });
  console.log(`        rolled back ${Date.now() - t0} ms after the upload; states shown: ${(await page.evaluate(() => window.__updStates)).join(' → ')}`);
  const seen = await page.evaluate(() => window.__updStates);
  assert.ok(seen.includes('pending') || seen.includes('probation'), `the page showed the update under way (${seen.join(', ')})`);
  assert.equal(await text('#upd-state'), '되돌아감');
  assert.equal(await text('#upd-says'), `새 버전이 제대로 작동하지 않아 기기가 저절로 이전 버전으로 돌아갔습니다. 지금 ${running} 버전으로 운영 중입니다.`);
  assert.ok(await page.locator('#upd-reason').isVisible(), 'the reason is shown');
  assert.equal(await text('#upd-reason strong'), '이유');
  assert.equal(await text('#upd-reason .upd-reason-words'), '새 버전이 시작한 뒤 곧 멈췄습니다.');
  assert.match(await text('#upd-reason .upd-reason-raw'), /exited/);
  assert.equal(await text('[data-upd=current] dd'), running);
  assert.equal((await page.locator('[data-upd=previous] dt').innerText()).trim(), '실패한 버전');
  assert.equal(await text('[data-upd=previous] dd'), '9.0.0');
  // Going back again is not offered: the box is back already.
  assert.ok(await page.locator('#upd-rollback').isDisabled());
  assert.equal(await text('#upd-back-hint'), '이미 이전 버전으로 돌아와 있습니다.');
  const st = await status();
  assert.equal(st.state, 'rolled_back');
  assert.match(st.last_error, /exited/);
  assert.equal((await healthz()).version, running, 'the box runs what it ran');
  await section().scrollIntoViewIfNeeded();
  await section().screenshot({ path: path.join(SHOTS, 'updates-rolled-back-ko.png') });
  await buttonsFit(page, 'system page, rolled back');

  // The box serves on: the dashboard's board, live again, and a new order arrives on it.
  await go(page, 'orders');
  await page.locator('#conn.up').waitFor({ timeout: 15_000 });
  await page.locator('.tcard').first().waitFor();
  table = await api.login('/api/v1/auth/table/login', { store_id: 'demo', table_number: 5, password: '1234' });
  const menu = (await api.call('GET', '/api/v1/menu', { token: table.token })).data;
  const item = menu.categories.flatMap((c) => c.items).find((i) => i.name === '해물파전');
  const o = await api.call('POST', '/api/v1/orders', { token: table.token, body: { items: [{ menu_item_id: item.id, quantity: 1 }] }, headers: { 'Idempotency-Key': `updates-${Date.now()}` } });
  assert.equal(o.status, 201, JSON.stringify(o.data));
  await page.locator('.tcard[data-table-number="5"] .ttotal').waitFor();
});

step('in English: the same state in English words', async () => {
  await go(page, 'system');
  await section().locator('#upd-state[data-state="rolled_back"]').waitFor();
  await page.locator('.topbar [data-action=lang]').click();
  await page.locator('#upd-state', { hasText: 'Rolled back' }).waitFor();
  assert.equal(await text('#upd-says'), `The new release did not work, so the box went back to the previous release by itself. It runs ${running}.`);
  assert.equal(await text('#upd-reason .upd-reason-words'), 'The new release stopped soon after it started.');
  assert.equal(await text('#sys-update h2'), 'Updates');
  await page.locator('.topbar [data-action=lang]').click();
  await page.locator('#upd-state', { hasText: '되돌아감' }).waitFor();
});

step('a box that trusts no release key says so and takes no upload', async () => {
  // The box's answer as a box without keys gives it.
  await page.route('**/api/v1/admin/system/update', async (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    const res = await route.fetch();
    await route.fulfill({ response: res, json: { ...(await res.json()), keys: false } });
  });
  await go(page, 'orders');
  await go(page, 'system');
  await page.locator('#upd-nokeys:visible').waitFor();
  assert.match(await text('#upd-nokeys'), /^이 기기에는 업데이트 서명 키가 없습니다\. .*update_public_keys/);
  assert.ok(await page.locator('#upd-upload').isDisabled(), 'no upload without a key');
  await section().screenshot({ path: path.join(SHOTS, 'updates-no-keys-ko.png') });
  await page.unroute('**/api/v1/admin/system/update');
  await go(page, 'orders');
  await go(page, 'system');
  // The page may draw what it knew first; the box's fresh answer (it has a key) follows.
  await section().locator('#upd-state[data-state="rolled_back"]').waitFor();
  await page.locator('#upd-nokeys').waitFor({ state: 'hidden', timeout: 5000 });
  await page.locator('#upd-upload:enabled').waitFor({ timeout: 5000 });
});

step('a phone: the section fits the screen', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await section().locator('#upd-state').waitFor();
  await noSidewaysScroll(page, 'system page 390');
  await buttonsFit(page, 'system page 390');
  await section().screenshot({ path: path.join(SHOTS, 'updates-phone-ko.png') });
  await page.setViewportSize({ width: 1280, height: 900 });
});

step('a release for an idle moment waits while table 5 has an open visit, in words; it starts when the visit ends', async () => {
  await page.locator('[data-when=idle]').click();
  await send(rel.later);
  await page.locator('#toasts .toast.ok', { hasText: '9.1.0 버전을 설치했습니다' }).waitFor();
  await section().locator('#upd-state[data-state="pending"]').waitFor();
  assert.equal(await text('#upd-state'), '적용 대기');
  assert.equal(await text('#upd-says'), '9.1.0 버전이 설치되었습니다. 모든 테이블의 이용이 끝나거나 영업을 마감하면 바뀝니다.');
  assert.equal(await text('[data-upd=pending] dd'), '9.1.0 · 손님이 없을 때');
  assert.ok(await page.locator('#upd-reason').isHidden(), 'no old reason while a new update waits');
  assert.ok(await page.locator('#upd-rollback').isDisabled());
  assert.equal(await text('#upd-back-hint'), '업데이트가 끝난 뒤에 할 수 있습니다.');
  // Still waiting a few polls later: the table's visit is open.
  await sleep(3000);
  assert.equal(await page.locator('#upd-state').getAttribute('data-state'), 'pending');
  assert.equal((await status()).state, 'pending');
  await section().screenshot({ path: path.join(SHOTS, 'updates-pending-ko.png') });
  // The last visit ends: the box switches, the release exits, the box goes back by itself, and
  // the page (asking every 2 s) says so.
  const end = await api.call('POST', `/api/v1/admin/tables/${table.table_id}/end-session`, { token: admin.token });
  assert.equal(end.status, 200, JSON.stringify(end.data));
  await section().locator('#upd-state[data-state="rolled_back"]').waitFor({ timeout: 30_000 });
  assert.equal(await text('[data-upd=previous] dd'), '9.1.0');
  assert.equal(await text('#upd-reason .upd-reason-words'), '새 버전이 시작한 뒤 곧 멈췄습니다.');
  assert.equal((await healthz()).version, running);
});

step('the audit trail: each update the owner asked for, by whom, from which version to which and when', async () => {
  await go(page, 'audit');
  const rows = page.locator('#view tr[data-kind="update_applied"]');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 2, 'the two uploads that were applied; the refused ones are not there');
  // Newest first.
  assert.equal((await rows.nth(0).locator('.audit-what').innerText()).trim(), `${running} → 9.1.0 버전 설치 (손님이 없을 때)`);
  assert.equal((await rows.nth(1).locator('.audit-what').innerText()).trim(), `${running} → 9.0.0 버전 설치 (지금 바로)`);
  assert.equal((await rows.nth(0).locator('.audit-kind').innerText()).trim(), '업데이트');
  assert.notEqual((await rows.nth(0).locator('.audit-who').innerText()).trim(), '–', 'the owner who asked is named');
});

step('a manager sees the System page without Updates; the box refuses them its update API', async () => {
  const m = await newPage('manager', { 'tableorder.staff': JSON.stringify(manager), 'tableorder.lang': 'ko' });
  await m.goto(`${box.base}/staff`);
  await m.locator('#conn.up').waitFor();
  await go(m, 'system');
  await m.locator('.limits div').first().waitFor();
  assert.equal(await m.locator('#sys-update').count(), 0, 'no Updates section for a manager');
  assert.doesNotMatch(await m.locator('#view').innerText(), /업데이트/);
  assert.equal((await api.call('GET', '/api/v1/admin/system/update', { token: manager.token })).status, 403);
  await m.context().close();
});

step('no script errors on any page', async () => {
  assert.deepEqual(pageErrors, []);
});

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (box) {
    // The whole group: the box, its probation guard, a release it runs.
    try {
      process.kill(-box.proc.pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
    if (box.proc.exitCode == null && box.proc.signalCode == null) await new Promise((r) => box.proc.once('exit', r));
    fs.rmSync(box.dir, { recursive: true, force: true });
  }
}

const ok = await run(async () => {
  if (box) console.log(`        box log:\n${box.log.join('').split('\n').slice(-15).join('\n')}`);
  for (const e of pageErrors) console.log(`        page error: ${e}`);
  if (page) await page.screenshot({ path: path.join(SHOTS, 'updates-fail.png'), fullPage: true }).catch(() => {});
});
await cleanup().catch((e) => console.log(`cleanup: ${e.message}`));
console.log(`screenshots: ${SHOTS}`);
process.exit(ok ? 0 : 1);
