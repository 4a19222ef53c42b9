// Draws the app icons under web/icons/ (PNG, no dependencies): an orange rounded square with a
// white bowl and steam, the same picture as web/icons/icon.svg. Run: node scripts/make-icons.mjs
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const OUT = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'web', 'icons');
const ORANGE = [0xc2, 0x41, 0x0c];
const WHITE = [0xff, 0xff, 0xff];

// Coverage of the picture at (x, y) in a 0–1 square: 0 outside, 1 = background, 2 = white.
function paint(x, y, maskable) {
  // Maskable icons fill the square (the platform cuts its own shape); others are rounded.
  const r = maskable ? 0 : 0.18;
  const dx = Math.max(r - x, 0, x - (1 - r));
  const dy = Math.max(r - y, 0, y - (1 - r));
  if (r && dx * dx + dy * dy > r * r) return 0;
  // The picture sits in the middle 60 % of a maskable icon (its safe zone).
  const s = maskable ? 0.62 : 0.8;
  const u = (x - 0.5) / s + 0.5;
  const v = (y - 0.5) / s + 0.5;
  // Bowl: the lower half of a circle under a rim.
  const bx = u - 0.5;
  const by = v - 0.52;
  if (by >= 0 && bx * bx + by * by <= 0.34 * 0.34) return 2;
  if (v >= 0.49 && v <= 0.54 && Math.abs(bx) <= 0.38) return 2;
  // Three strokes of steam, slightly wavy.
  for (const cx of [0.36, 0.5, 0.64]) {
    const w = cx + 0.025 * Math.sin((v - 0.18) * 18);
    if (v >= 0.17 && v <= 0.42 && Math.abs(u - w) <= 0.032) return 2;
  }
  return 1;
}

function png(size, maskable) {
  const SS = 4; // samples per pixel side, for smooth edges
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let py = 0; py < size; py++) {
    raw[py * (size * 4 + 1)] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      let a = 0;
      let white = 0;
      for (let sy = 0; sy < SS; sy++)
        for (let sx = 0; sx < SS; sx++) {
          const c = paint((px + (sx + 0.5) / SS) / size, (py + (sy + 0.5) / SS) / size, maskable);
          if (c) a++;
          if (c === 2) white++;
        }
      const n = SS * SS;
      const o = py * (size * 4 + 1) + 1 + px * 4;
      const f = a ? white / a : 0;
      for (let i = 0; i < 3; i++) raw[o + i] = Math.round(ORANGE[i] * (1 - f) + WHITE[i] * f);
      raw[o + 3] = Math.round((a / n) * 255);
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
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

fs.mkdirSync(OUT, { recursive: true });
for (const [name, size, maskable] of [['icon-192.png', 192, false], ['icon-512.png', 512, false], ['icon-maskable-512.png', 512, true]]) {
  fs.writeFileSync(path.join(OUT, name), png(size, maskable));
  console.log(`web/icons/${name}`);
}
