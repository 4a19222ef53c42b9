// The kitchen display (/kitchen): a station's open tickets, oldest first, live over SSE,
// with elapsed times, options and notes up front, a bump per ticket and an undo.
import './strings-kitchen.js';
import { openStream, createSync } from './api.js';
import { h, $, $$, toast, errorText, setConn } from './ui.js';
import { createChime } from './chime.js';
import { t, applyI18n, setLangKey, initLangSwitch, onLangChange } from './i18n.js';
import { staffLogin } from './staff-login.js';
import { roleOf, roleName } from './roles.js';
import { soldOutList } from './soldout.js';

const STATION_KEY = 'tableorder.kitchen.station';
const SOUND_KEY = 'tableorder.kitchen.sound';
const AMBER_MIN = 10;
const RED_MIN = 20;

// Korean unless someone switched here: kitchens read the store's language, whatever the
// dashboard on the same device shows.
setLangKey('tableorder.kitchen.lang');

// The dashboard's login: the display opened from the dashboard is logged in already. On a
// shared terminal a kitchen login stays on (the display is watched, not touched); anyone
// else's locks after the store's idle minutes like the dashboard's.
const login = staffLogin({
  onLogin: start,
  onLogout: () => {
    if (stream) stream.stop();
    stream = null;
    sound.show(false);
    const d = $('#soldout-dialog');
    if (d.open) d.close();
  },
  idleLock: (auth) => roleOf(auth) !== 'kitchen',
});
const api = login.api;
const soldOut = soldOutList({ api });

const state = {
  stations: [],
  station: localStorage.getItem(STATION_KEY) || '', // '' = every station
  tickets: new Map(), // id → ticket
  undo: [], // bumped ticket ids, newest last
  printers: new Map(), // station id → printer status, for the stations shown
  up: null, // the live stream: connected, down (false) or connecting (null)
};
let stream = null;

// ---------- sound: a chime made in the browser for new tickets ----------

// The dashboard's sounds and its large prompt when the browser holds sound back (chime.js),
// with the kitchen's own on/off choice.
const sound = createChime({ button: $('#btn-sound'), prompt: $('#sound-prompt'), key: SOUND_KEY });
const chime = () => sound.play('order');

// ---------- data ----------

const mine = (tk) => !state.station || String(tk.station_id) === String(state.station);

async function load() {
  state.stations = await api.get('/api/v1/admin/stations');
  if (state.station && !state.stations.some((s) => String(s.id) === String(state.station))) state.station = '';
  const q = state.station ? `?station_id=${encodeURIComponent(state.station)}&open=true` : '?open=true';
  const list = await api.get(`/api/v1/admin/tickets${q}`);
  state.tickets = new Map(list.map((tk) => [tk.id, tk]));
  await loadPrinter();
}

// The printers of the stations on screen (one, or every station's).
const shown = (id) => !state.station || String(id) === String(state.station);
async function loadPrinter() {
  const list = state.stations.filter((s) => s.printer && shown(s.id));
  const next = new Map();
  await Promise.all(
    list.map(async (s) => {
      try {
        next.set(s.id, (await api.get(`/api/v1/admin/stations/${s.id}/status`)).printer);
      } catch {
        /* shown as unknown */
      }
    }),
  );
  state.printers = next;
}

const sync = createSync(
  () => load().catch(() => {}),
  () => render(),
);

function startStream() {
  if (stream) stream.stop();
  stream = openStream({
    url: login.streamUrl,
    onStatus: (up) => {
      state.up = up;
      setConn($('#conn'), up);
      renderPrinter();
    },
    beforeReconnect: login.beforeReconnect,
    handlers: {
      hello: (d, { first }) => first && sync.reload(),
      resync: () => sync.reload(),
      ticket_created: sync.wrap((tk) => {
        if (!mine(tk)) return;
        const isNew = !state.tickets.has(tk.id);
        state.tickets.set(tk.id, tk);
        if (isNew) chime();
      }),
      ticket_bumped: sync.wrap((tk) => {
        state.tickets.delete(tk.id);
      }),
      // A visit ended: the box closes its open tickets; the screen reads what is still open.
      session_ended: () => sync.reload(),
      menu_changed: () => $('#soldout-dialog').open && soldOut.load(),
      printer_changed: (p) => {
        // A station added, renamed, removed or given another printer: read them again.
        if (p.configured || p.deleted) return sync.reload();
        if (!shown(p.station_id) || !state.printers.has(p.station_id)) return;
        state.printers.set(p.station_id, { state: p.state, waiting: p.waiting, last_printed_at: p.last_printed_at });
        render();
      },
    },
  });
}

// ---------- actions ----------

async function bump(tk, card) {
  card.classList.add('leaving');
  try {
    await api.post(`/api/v1/admin/tickets/${tk.id}/bump`, {});
    state.tickets.delete(tk.id);
    state.undo.push(tk.id);
    state.undo = state.undo.slice(-20);
  } catch (e) {
    card.classList.remove('leaving');
    toast(errorText(e));
  }
  render();
}

async function undo() {
  const id = state.undo.pop();
  if (!id) return;
  try {
    const tk = await api.post(`/api/v1/admin/tickets/${id}/unbump`, {});
    if (mine(tk)) state.tickets.set(tk.id, tk);
    toast(t('kds.undone'));
  } catch (e) {
    toast(errorText(e));
  }
  render();
}

// ---------- rendering ----------

// "12:05" (minutes and seconds) for the first hour, then "1시간 5분" / "1 h 5 min".
function elapsed(iso) {
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  if (s < 3600) return { s, text: `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` };
  const m = Math.floor(s / 60);
  return { s, text: t('kds.ageHm', { h: Math.floor(m / 60), m: m % 60 }) };
}

function card(tk) {
  const e = elapsed(tk.created_at);
  const age = e.s >= RED_MIN * 60 ? 'late' : e.s >= AMBER_MIN * 60 ? 'slow' : 'fresh';
  const cancel = tk.kind === 'cancel';
  // Every station's tickets on one screen: each says where it belongs.
  const where = !state.station && state.stations.length > 1 ? state.stations.find((s) => s.id === tk.station_id) : null;
  const c = h(
    'article',
    {
      class: `ticket ${age}${cancel ? ' cancel' : ''}`,
      'data-ticket-id': tk.id,
      'data-order-id': tk.order_id,
      'data-station-id': tk.station_id,
      'data-table-number': tk.table_number,
      'data-kind': tk.kind,
    },
    h(
      'header.ticket-head',
      h('strong.ticket-table', t('kds.table', { n: tk.table_number })),
      h('span.ticket-no', t('kds.order', { n: tk.order_no })),
      h('span.spacer'),
      h('time', { class: 'ticket-age', datetime: tk.created_at, 'data-created': tk.created_at }, e.text),
    ),
    where ? h('p.ticket-station', where.name) : null,
    cancel ? h('p.ticket-cancel', t('kds.cancel')) : null,
    h(
      'ul.ticket-lines',
      tk.lines.map((l) =>
        h(
          'li',
          h('span.qty', `${l.quantity}×`),
          h(
            'div.what',
            h('span.name', l.name),
            l.options && l.options.length ? h('span.opts', l.options.map((o) => o.name).join(' · ')) : null,
            l.note ? h('span.note', `“${l.note}”`) : null,
          ),
        ),
      ),
    ),
  );
  c.append(
    h('button', { type: 'button', class: 'bump primary', onclick: () => bump(tk, c), 'data-action': 'bump' }, cancel ? t('kds.ack') : t('kds.bump')),
  );
  return c;
}

function render() {
  const s = state.stations.find((x) => String(x.id) === String(state.station));
  $('#station-name').textContent = s ? s.name : t('kds.all');
  const list = [...state.tickets.values()].filter(mine).sort((a, b) => a.id - b.id);
  $('#tickets').replaceChildren(...list.map(card));
  $('#empty').hidden = list.length > 0;
  $('#empty').textContent = state.stations.length ? t('kds.empty') : t('kds.noStations');
  $('#count').textContent = t('kds.count', { n: list.length });
  $('#btn-undo').disabled = !state.undo.length;
  renderPrinter();
  sound.render();
}

// The printer chip: the station's printer; on the every-station screen, each printer in
// trouble by name (or one "OK" when all print).
function renderPrinter() {
  const chip = $('#printer');
  const list = [...state.printers.entries()];
  chip.hidden = !list.length;
  if (!list.length) return;
  // The box is out of reach: what the printer does now is not known (never a green "OK").
  if (state.up === false) {
    chip.className = 'printer-chip unknown';
    chip.dataset.state = 'unknown';
    chip.textContent = t('printer.unknownOffline');
    return;
  }
  delete chip.dataset.state;
  // Waiting tickets matter when the printer cannot print; a working one prints them at once.
  const text = (p) => t(`printer.${p.state}`) + (p.state !== 'ok' && p.waiting ? ` · ${t('printer.waiting', { n: p.waiting })}` : '');
  const bad = list.filter(([, p]) => p.state !== 'ok' && p.state !== 'none');
  chip.className = `printer-chip ${bad.length ? 'bad' : 'ok'}`;
  if (state.station) chip.textContent = text(list[0][1]);
  else if (!bad.length) chip.textContent = t('printer.ok');
  else chip.textContent = bad.map(([id, p]) => `${state.stations.find((s) => s.id === id)?.name ?? ''} ${text(p)}`).join(' / ');
}

// Elapsed times tick without re-rendering the cards.
setInterval(() => {
  for (const tm of $$('.ticket-age')) {
    const e = elapsed(tm.dataset.created);
    tm.textContent = e.text;
    const card = tm.closest('.ticket');
    card.classList.toggle('late', e.s >= RED_MIN * 60);
    card.classList.toggle('slow', e.s >= AMBER_MIN * 60 && e.s < RED_MIN * 60);
    card.classList.toggle('fresh', e.s < AMBER_MIN * 60);
  }
}, 1000);

function chooseStation() {
  const d = $('#station-dialog');
  const pick = (id) => {
    state.station = id;
    localStorage.setItem(STATION_KEY, id);
    d.close();
    state.tickets.clear();
    sync.reload();
  };
  $('#station-list').replaceChildren(
    h('button', { type: 'button', class: state.station === '' ? 'primary' : '', onclick: () => pick('') }, t('kds.all')),
    ...state.stations.map((s) =>
      h('button', { type: 'button', class: String(s.id) === String(state.station) ? 'primary' : '', onclick: () => pick(String(s.id)) }, s.name),
    ),
  );
  d.showModal();
}

// Who is logged in; the way for the next person on a shared terminal.
function renderWho() {
  const a = login.auth() || {};
  $('#who').textContent = `${a.display_name || a.username || ''} · ${roleName(login.role())}`;
  $('#btn-switch').hidden = !login.terminal();
}

// Sold-out switches for the kitchen: what ran out is marked here, where it is noticed.
function openSoldOut() {
  const d = $('#soldout-dialog');
  soldOut.mount($('#soldout-list'));
  if (!d.open) d.showModal();
}

function start() {
  renderWho();
  setConn($('#conn'), null);
  sound.show(true);
  render();
  sync.reload();
  startStream();
}

function boot() {
  applyI18n();
  initLangSwitch();
  onLangChange(() => {
    render();
    setConn($('#conn'), state.up);
    if (login.loggedIn()) renderWho();
    if ($('#soldout-dialog').open) soldOut.render();
  });
  $('#btn-undo').addEventListener('click', undo);
  $('#btn-station').addEventListener('click', chooseStation);
  $('#btn-soldout').addEventListener('click', openSoldOut);
  $('#btn-switch').addEventListener('click', () => login.switchUser());
  const so = $('#soldout-dialog');
  so.addEventListener('click', (e) => (e.target === so || e.target.closest('[data-close]')) && so.close());
  so.addEventListener('close', () => soldOut.unmount());
  $('#station-dialog').addEventListener('click', (e) => (e.target === e.currentTarget || e.target.closest('[data-close]')) && e.currentTarget.close());
  login.start();
}

boot();
