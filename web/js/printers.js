// The dashboard's watch over the kitchen printers: the stations, each printer's state
// (fetched on load, then kept live from `printer_changed`), and the loud part: a red banner
// on every page and a chime while a printer cannot print, because its tickets wait unseen.
import { h, $, icon, toast } from './ui.js';
import { t } from './i18n.js';
import { bySort } from './forms.js';

const TROUBLE = new Set(['offline', 'paper_out', 'cover_open']);
// While a printer stays in trouble, the chime comes back this often.
const REMIND_MS = 60_000;
// A healthy printer with tickets waiting is about to print them, and the box reports no
// change when it does: look again this often, a few times.
const FOLLOW_MS = 1500;
const FOLLOW_TRIES = 20;

export const inTrouble = (st) => !!st && TROUBLE.has(st.state);

// api: the dashboard's client; chime(): the printer-trouble sound; onChange(): something
// the stations page shows changed.
export function createPrinters({ api, chime, onChange }) {
  let stations = [];
  const status = new Map(); // station id → {state, waiting, last_printed_at}
  let remind = null;
  let recheck = null;
  let reloading = null;
  const follow = new Map(); // station id → {timer, tries}

  const station = (id) => stations.find((s) => s.id === id);
  const troubled = () => stations.filter((s) => s.printer && inTrouble(status.get(s.id)));
  // "stationId:state" for each printer in trouble, to notice a new problem.
  const troubleKeys = () => new Set(troubled().map((s) => `${s.id}:${status.get(s.id).state}`));

  async function fetchStatus(id) {
    try {
      setStatus(id, (await api.get(`/api/v1/admin/stations/${id}/status`)).printer);
    } catch (e) {
      if (e.status === 404) status.delete(id);
    }
  }

  function setStatus(id, st) {
    status.set(id, st);
    const f = follow.get(id) || { timer: null, tries: 0 };
    clearTimeout(f.timer);
    if (st.state !== 'ok' || !st.waiting || f.tries >= FOLLOW_TRIES) return follow.delete(id);
    f.tries++;
    f.timer = setTimeout(async () => {
      const before = troubleKeys();
      await fetchStatus(id);
      changed(before);
    }, FOLLOW_MS);
    follow.set(id, f);
  }

  // The stations and every printer's state. Throws when the stations cannot be read.
  async function load() {
    const before = troubleKeys();
    const list = await api.get('/api/v1/admin/stations');
    stations = list.sort(bySort);
    for (const id of [...status.keys()]) if (!stations.some((s) => s.id === id && s.printer)) status.delete(id);
    await Promise.all(stations.filter((s) => s.printer).map((s) => fetchStatus(s.id)));
    changed(before);
  }

  // One reload at a time; a station's settings changed (possibly from another dashboard).
  function reload() {
    reloading ??= load()
      .catch(() => {})
      .finally(() => (reloading = null));
    return reloading;
  }

  // A `printer_changed` event.
  function apply(d) {
    const id = d.station_id;
    if (d.deleted) {
      const before = troubleKeys();
      stations = stations.filter((s) => s.id !== id);
      status.delete(id);
      clearTimeout(follow.get(id)?.timer);
      follow.delete(id);
      return changed(before);
    }
    if (d.configured || !station(id)) return reload();
    const before = troubleKeys();
    const was = status.get(id);
    const f = follow.get(id);
    if (f) f.tries = 0; // news from the box: follow it afresh
    setStatus(id, { state: d.state, waiting: d.waiting ?? 0, last_printed_at: d.last_printed_at ?? was?.last_printed_at ?? null });
    if (inTrouble(was) && d.state === 'ok') toast(t('printer.back', { station: station(id).name }), 'ok');
    changed(before);
  }

  // A new ticket at a printer in trouble waits too: count it now rather than at the
  // printer's next retry.
  function ticketCreated(tk) {
    if (!tk || !inTrouble(status.get(tk.station_id))) return;
    clearTimeout(recheck);
    recheck = setTimeout(async () => {
      const before = troubleKeys();
      await fetchStatus(tk.station_id);
      changed(before);
    }, 250);
  }

  function changed(before) {
    const now = troubleKeys();
    if ([...now].some((k) => !before.has(k))) chime();
    if (now.size && !remind) remind = setInterval(() => troubled().length && chime(), REMIND_MS);
    if (!now.size && remind) {
      clearInterval(remind);
      remind = null;
    }
    renderBanner();
    onChange();
  }

  function renderBanner() {
    const el = $('#printer-banner');
    if (!el) return;
    const bad = troubled();
    el.hidden = !bad.length;
    el.replaceChildren(
      ...bad.map((s) => {
        const st = status.get(s.id);
        return h(
          'div.pb-row',
          { dataset: { stationId: s.id, state: st.state } },
          icon('alert', 'pb-icon'),
          h(
            'div.pb-text',
            h(
              'strong.pb-title',
              t('printer.banner', { station: s.name, state: t('printer.' + st.state) }),
              st.waiting ? h('span.pb-waiting', ` · ${t('st.waiting', { n: st.waiting })}`) : null,
            ),
            h('small', t('printer.bannerHelp')),
          ),
          h('a.button.small.pb-fix', { href: '#stations' }, icon('print'), t('printer.fix')),
        );
      }),
    );
  }

  function clear() {
    stations = [];
    status.clear();
    for (const f of follow.values()) clearTimeout(f.timer);
    follow.clear();
    clearInterval(remind);
    remind = null;
    clearTimeout(recheck);
    renderBanner();
  }

  return {
    load,
    reload,
    apply,
    ticketCreated,
    clear,
    renderBanner,
    stations: () => stations,
    status: (id) => status.get(id) || null,
  };
}
