// The stored-script payloads of xss.mjs (the box) and hq-xss.mjs (the HQ page), and the checks
// both make on a page: nothing of them ran or became markup, and each shows literally.
import assert from 'node:assert/strict';

export const IMG = '<img src=x onerror="window.__xss=(window.__xss||0)+1">';
export const SCRIPT = '<script>window.__xss=(window.__xss||0)+1</script>';
export const SVG = '"><svg onload=window.__xss=1>';
export const JS = 'javascript:window.__xss=1';
const IMG_SHORT = '<img src=x onerror=window.__xss=1>'; // for names of at most 50 characters
const IMG_TINY = '<img src=x onerror=__xss=1>'; // a station's name: at most 30
const TPL = "{n} $& $'"; // what a text template could take for its own

// Each field's text (within its length limit), marked so that each is told apart on a screen.
export const F = {
  store: `${SCRIPT} 가게`, // 100
  category: `${SVG}분류`, // 50
  itemA: `${IMG}찌개`, // 100
  itemB: `${SCRIPT}전`,
  itemC: `${JS} 면 ${TPL}`,
  description: `${IMG} ${SCRIPT} ${SVG} ${JS} 설명`, // 1000
  group: `${SVG}맵기`, // 50
  opt1: `${IMG_SHORT}매운맛`, // 50
  opt2: `${JS}사리`,
  note: `${IMG} 덜 맵게`, // 100
  call: `${SCRIPT} ${IMG} 호출`, // 200
  station: `${IMG_TINY}주방`, // 30
  display: `${SVG}사장 ${TPL}`, // 50
  terminal: `${JS}카운터`, // 50
  discount: `${IMG}할인 ${TPL}`, // 100
  comp: `${SVG}서비스`,
  void: `${SCRIPT}취소`,
  refund: `${JS} 환불`,
  reference: `${SVG}승인`, // 50
};
// Not a text anyone types: a box's own words for why its last update failed, which the HQ page
// shows (hq.sh has box 3 record it; not in F, whose every field xss.mjs finds on the box's screens).
export const UPDATE_ERROR = `${IMG} ${SCRIPT} 새 버전 점검 실패 ${TPL}`;
const LIMIT = { store: 100, itemA: 100, itemB: 100, itemC: 100, description: 1000, note: 100, call: 200, station: 30, discount: 100, comp: 100, void: 100, refund: 100 };
for (const [k, v] of Object.entries(F)) assert.ok(v.length <= (LIMIT[k] ?? 50), `${k} is too long for its field`);

// For context.addInitScript: a payload that runs sets window.__xss, which this turns into a
// console error (so it is caught even when it runs after its screen's checks) and a count.
export function xssTrap() {
  let hits = 0;
  Object.defineProperty(window, '__xss', {
    configurable: false,
    get: () => (hits ? hits : undefined),
    set: () => {
      hits += 1;
      console.error('XSS: a stored payload ran');
    },
  });
}

export const norm = (s) => String(s).replace(/\s+/g, ' ');

// Nothing of the payloads ran or became markup on the page: window.__xss unset, no element with
// an on… attribute, no javascript: link, no <img src=x>, no inline script of a payload; and
// none of `dialogs` or `errors` (what the page opened and threw so far).
export async function harmless(page, label, { dialogs = [], errors = [] } = {}) {
  const r = await page.evaluate(() => {
    const all = [...document.querySelectorAll('*')];
    return {
      xss: window.__xss,
      on: all.flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `<${e.tagName.toLowerCase()} ${a.name}>`)).slice(0, 5),
      js: all.filter((e) => ['href', 'src', 'action', 'formaction', 'xlink:href'].some((a) => /^\s*javascript:/i.test(e.getAttribute(a) || ''))).map((e) => e.outerHTML.slice(0, 80)),
      img: document.querySelectorAll('img[src="x"]').length,
      scripts: [...document.scripts].filter((s) => s.textContent.includes('__xss')).length,
    };
  });
  assert.equal(r.xss, undefined, `${label}: a payload ran (window.__xss = ${r.xss})`);
  assert.deepEqual(r.on, [], `${label}: elements with event attributes`);
  assert.deepEqual(r.js, [], `${label}: javascript: links`);
  assert.equal(r.img, 0, `${label}: an <img src=x> was made`);
  assert.equal(r.scripts, 0, `${label}: a payload's <script> was made`);
  assert.deepEqual(dialogs, [], `${label}: dialogs`);
  assert.deepEqual(errors, [], `${label}: script errors`);
}

// Waits until the innerText under `root` holds each of `fields` (keys of F) literally; on a
// timeout says which are missing and what the screen reads.
export async function showsLiterally(page, label, fields, root = 'body', timeout = 10_000) {
  const want = fields.map((f) => norm(F[f]));
  try {
    await page.waitForFunction(
      ([sel, w]) => {
        const el = document.querySelector(sel);
        if (!el) return false;
        const text = el.innerText.replace(/\s+/g, ' ');
        return w.every((x) => text.includes(x));
      },
      [root, want],
      { timeout, polling: 100 },
    );
  } catch {
    const text = norm(await page.locator(root).first().innerText().catch(() => ''));
    const missing = fields.filter((f) => !text.includes(norm(F[f])));
    throw new Error(`${label}: not shown literally: ${missing.map((f) => `${f} ${JSON.stringify(F[f])}`).join(', ')}\n        the screen reads: ${JSON.stringify(text.slice(0, 1500))}`);
  }
}
