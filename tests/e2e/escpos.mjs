// A fake network receipt printer for the kitchen test, an ESC/POS decoder, and an HTML
// rendering of a decoded ticket (to look at what the kitchen gets on paper).
import net from 'node:net';

const ESC = 0x1b;
const GS = 0x1d;
const FS = 0x1c;
const DLE = 0x10;
const EOT = 0x04;
const LF = 0x0a;

// Answers to DLE EOT n, per mode. A healthy printer answers 0x12; out of paper, the paper
// sensor (n = 4) says 0x72 (roll end) and the offline cause (n = 2) 0x32 (paper end stop).
const ANSWERS = {
  ok: { 1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12 },
  paper_out: { 1: 0x1e, 2: 0x32, 3: 0x12, 4: 0x72 },
};

// A TCP server on 127.0.0.1 (a free port) that records every byte of every connection and
// answers real-time status requests. `mode` switches its answers ('ok' or 'paper_out').
export async function startFakePrinter() {
  const connections = []; // {bytes: Buffer, closed: boolean, at: ms}
  const printer = { mode: 'ok', connections, port: 0 };
  const server = net.createServer((sock) => {
    const conn = { bytes: Buffer.alloc(0), closed: false, at: Date.now() };
    connections.push(conn);
    let scanned = 0; // status requests before this offset are answered
    sock.on('data', (chunk) => {
      conn.bytes = Buffer.concat([conn.bytes, chunk]);
      const b = conn.bytes;
      // A request can arrive split over two chunks: stop before an incomplete one.
      while (scanned < b.length) {
        if (b[scanned] === DLE) {
          if (scanned + 2 >= b.length) break;
          if (b[scanned + 1] === EOT) {
            sock.write(Buffer.from([ANSWERS[printer.mode][b[scanned + 2]] ?? 0x12]));
            scanned += 3;
            continue;
          }
        }
        scanned += 1;
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => (conn.closed = true));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  printer.port = server.address().port;
  // Everything printed so far: each connection that carried a print (ESC @), decoded.
  printer.prints = () => connections.map((c) => ({ ...decode(c.bytes), raw: c.bytes, at: c.at })).filter((p) => p.started);
  printer.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.unref();
    });
  return printer;
}

// Decodes ESC/POS bytes into printed lines: {text, width, height, bold, align} (width and
// height are the magnification of GS !), plus paper cuts and the status requests seen.
// Text is CP949 (TextDecoder's 'euc-kr' is Windows code page 949) unless `encoding` says.
export function decode(bytes, encoding = 'euc-kr') {
  const dec = new TextDecoder(encoding);
  const out = { lines: [], cuts: 0, statusQueries: [], started: false, doubleByte: false };
  let text = [];
  let width = 1;
  let height = 1;
  let bold = false;
  let align = 'left';
  const flush = () => {
    out.lines.push({ text: dec.decode(Uint8Array.from(text)), width, height, bold, align });
    text = [];
  };
  const ALIGN = { 0: 'left', 1: 'center', 2: 'right', 48: 'left', 49: 'center', 50: 'right' };
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const arg = (k) => bytes[i + k] ?? 0;
    if (b === ESC) {
      const c = arg(1);
      if (c === 0x40) {
        // ESC @: initialise
        out.started = true;
        width = height = 1;
        bold = false;
        align = 'left';
        i += 2;
      } else if (c === 0x45) {
        bold = (arg(2) & 1) === 1;
        i += 3;
      } else if (c === 0x61) {
        align = ALIGN[arg(2)] ?? 'left';
        i += 3;
      } else if (c === 0x64) {
        // ESC d n: feed n lines
        if (text.length) flush();
        for (let k = 0; k < arg(2); k++) out.lines.push({ text: '', width: 1, height: 1, bold: false, align: 'left', feed: true });
        i += 3;
      } else i += 3;
    } else if (b === GS) {
      const c = arg(1);
      if (c === 0x21) {
        width = ((arg(2) >> 4) & 7) + 1;
        height = (arg(2) & 7) + 1;
        i += 3;
      } else if (c === 0x56) {
        out.cuts++;
        i += arg(2) === 65 || arg(2) === 66 ? 4 : 3;
      } else i += 3;
    } else if (b === FS) {
      if (arg(1) === 0x26) out.doubleByte = true; // FS &: Korean double-byte mode
      i += 2;
    } else if (b === DLE && arg(1) === EOT) {
      out.statusQueries.push(arg(2));
      i += 3;
    } else if (b === LF) {
      flush();
      i += 1;
    } else {
      text.push(b);
      i += 1;
    }
  }
  if (text.length) flush();
  return out;
}

const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

// A decoded print as a small HTML page: a box as wide as the printed lines (a ticket's rule
// is a full paper width of dashes; a coding font draws Hangul two columns wide, like the
// printer), magnified lines drawn larger, bold lines bold.
export function ticketHtml(print, { columns = 42, title = 'ticket' } = {}) {
  const rows = print.lines
    .map((l) => {
      const style = [`text-align:${l.align}`];
      if (l.bold) style.push('font-weight:800');
      const inner = l.width > 1 || l.height > 1 ? `<span class="mag" style="--w:${l.width};--h:${l.height}">${esc(l.text) || '&nbsp;'}</span>` : esc(l.text) || '&nbsp;';
      return `<div class="line${l.height > 1 ? ' tall' : ''}" style="${style.join(';')};--h:${l.height}">${inner}</div>`;
    })
    .join('\n');
  return `<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>${esc(title)}</title><style>
  body { margin: 0; padding: 24px; background: #8a8f98; font-family: "NanumGothicCoding", "D2Coding", "Noto Sans Mono CJK KR", ui-monospace, monospace; }
  .paper { width: max-content; min-width: ${columns / 2}em; background: #fffef8; color: #111; padding: 18px 16px 8px; box-shadow: 0 4px 18px rgb(0 0 0 / 35%); font-size: 15px; line-height: 1.35; }
  .line { white-space: pre; min-height: calc(1.35em * var(--h)); overflow: visible; }
  .mag { display: inline-block; transform: scale(var(--w), var(--h)); transform-origin: top center; }
  .line[style*="text-align:left"] .mag { transform-origin: top left; }
  .cut { margin: 10px -16px 0; border-top: 2px dashed #999; text-align: center; color: #777; font: 12px system-ui, sans-serif; padding-top: 4px; }
  h1 { font: 600 14px system-ui, sans-serif; color: #fff; margin: 0 0 10px; }
  </style></head><body><h1>${esc(title)}</h1><div class="paper">${rows}${print.cuts ? '<div class="cut">✂ cut</div>' : ''}</div></body></html>`;
}
