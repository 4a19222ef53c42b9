// Helpers shared by the browser tests: the API as a script sees it, logins that wait out the
// rate limit, PNG pictures made here, the axe-core audit, and layout checks.
import assert from 'node:assert/strict';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const AXE = path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------- the API ----------

export function client(base) {
  async function call(method, url, { token, body, raw, headers = {} } = {}) {
    const h = { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    const res = await fetch(base + url, { method, headers: h, body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined) });
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    return { status: res.status, data, headers: res.headers };
  }
  // Logins are limited per address (5 a minute): wait out a 429 instead of failing.
  async function login(url, body) {
    for (let i = 0; i < 6; i++) {
      const r = await call('POST', url, { body });
      if (r.status === 429) {
        const s = Number(r.headers.get('retry-after') || 15);
        console.log(`        (login rate limit: waiting ${s} s)`);
        await sleep(s * 1000 + 200);
        continue;
      }
      assert.equal(r.status, 200, `login ${url}: ${JSON.stringify(r.data)}`);
      return r.data;
    }
    throw new Error(`login ${url}: still rate limited`);
  }
  return { call, login };
}

// What the tablet keeps after its setup, for a browser that should start set up.
export const tabletConf = (tk, password = '1234') => ({
  store: tk.store_id,
  table: tk.table_number,
  password,
  token: tk.token,
  expires_at: tk.expires_at,
  table_id: tk.table_id,
  tz: tk.timezone,
});
// What the dashboard keeps after a login.
export const staffAuth = (tk) => ({ token: tk.token, expires_at: tk.expires_at, store_id: tk.store_id, username: tk.username, timezone: tk.timezone });

// ---------- times ----------

// "14:05" of a moment on the store's clock (Seoul), whatever this machine's zone.
export function seoulHm(iso) {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((x) => [x.type, x.value]),
  );
  return `${p.hour}:${p.minute}`;
}
export const seoulDate = (d = new Date()) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul' }).format(d);

// ---------- pictures ----------

// A w×h PNG: a colour gradient with a dark frame, so a crop or a stretch shows.
export function png(w, h) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      const edge = x < 6 || y < 6 || x >= w - 6 || y >= h - 6;
      raw[o] = edge ? 30 : 120 + Math.round((x / w) * 120);
      raw[o + 1] = edge ? 30 : 80 + Math.round((y / h) * 140);
      raw[o + 2] = edge ? 30 : 90;
    }
  }
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
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// ---------- checks ----------

// axe-core on the page as it is: no violation of impact serious or critical.
export async function axeCheck(page, label) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(found, [], `${label}: axe-core finds serious problems`);
}

export async function noSidewaysScroll(page, label) {
  const [sw, iw] = await page.evaluate(() => [document.scrollingElement.scrollWidth, window.innerWidth]);
  assert.ok(sw <= iw, `${label}: page scrolls sideways (scrollWidth ${sw} > innerWidth ${iw})`);
}

// Every visible button's (and link button's) text fits inside it, and it lies within the
// screen's width.
export async function buttonsFit(page, label) {
  const bad = await page.evaluate(() => {
    const out = [];
    const vw = window.innerWidth;
    for (const b of document.querySelectorAll('button, a.button, .nav a, .subnav a')) {
      if (!b.offsetParent && getComputedStyle(b).position !== 'fixed') continue;
      const r = b.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      const name = (b.innerText || b.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ').slice(0, 30);
      if (b.scrollWidth > b.clientWidth + 1) out.push(`"${name}" text ${b.scrollWidth}px in a ${b.clientWidth}px button`);
      // Scrolled-sideways strips (category tabs, nav bars) may hold buttons beyond the edge.
      const strip = b.closest('.cats, .subnav, .nav');
      if (!strip && (r.left < -1 || r.right > vw + 1)) out.push(`"${name}" lies outside the screen (${Math.round(r.left)}…${Math.round(r.right)})`);
    }
    return out;
  });
  assert.deepEqual(bad, [], `${label}: buttons overflow`);
}

// Waits for layout and for finite animations (sheets sliding in, pulses) to end.
export async function settle(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.effect.getComputedTiming().iterations === Infinity || a.playState !== 'running'),
  );
}

// ---------- a small sequential runner: a failed step skips the rest ----------

export function runner() {
  const steps = [];
  return {
    step: (name, fn) => steps.push({ name, fn }),
    async run(onFail) {
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
          console.log(`✘ FAIL  ${s.name}\n        ${String(e && e.stack ? e.stack : e).split('\n').slice(0, 8).join('\n        ')}`);
          await onFail().catch(() => {});
        }
      }
      console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
      return failed === 0;
    },
  };
}
