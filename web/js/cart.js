// The guest's cart model: a line is one item with its chosen options and note, so the same
// item with other options or another note is another line. Prices and availability always
// come from the current menu; the names and prices kept on a line are only a fallback.
//   line: {key, id, name, price, qty, options: [{id, name, price_delta}], note}

export const MAX_QTY = 99;
export const NOTE_MAX = 100;

// The server refuses control characters (a pasted newline) and notes over 100 characters.
export const cleanNote = (s) =>
  String(s || '')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .trim()
    .slice(0, NOTE_MAX);

const sortIds = (ids) => [...ids].map(Number).sort((a, b) => a - b);
export const lineKey = (id, optionIds, note) => `${id}|${sortIds(optionIds).join(',')}|${note}`;

// Lines saved before options existed have no key and no options.
export function normalizeLines(saved) {
  if (!Array.isArray(saved)) return [];
  return saved
    .filter((l) => l && Number.isInteger(l.id) && l.qty > 0)
    .map((l) => {
      const options = Array.isArray(l.options) ? l.options : [];
      const note = cleanNote(l.note);
      return { ...l, options, note, key: lineKey(l.id, options.map((o) => o.id), note) };
    });
}

export function findOption(item, optionId) {
  for (const g of item.option_groups || []) {
    const o = g.options.find((x) => x.id === optionId);
    if (o) return { group: g, option: o };
  }
  return null;
}

// The item's price plus the chosen options' deltas, never below 0 (as the server counts it).
export function unitPrice(item, optionIds) {
  let p = item.price;
  for (const id of optionIds) p += findOption(item, id)?.option.price_delta || 0;
  return Math.max(0, p);
}

// How many options are chosen in each group.
export const countIn = (group, optionIds) => group.options.filter((o) => optionIds.includes(o.id)).length;

// True when every group's min/max holds and every option belongs to the item.
export function choicesOk(item, optionIds) {
  if (optionIds.some((id) => !findOption(item, id))) return false;
  return (item.option_groups || []).every((g) => {
    const n = countIn(g, optionIds);
    return n >= g.min && n <= g.max;
  });
}

// A line as shown: the current menu's names and prices (in the tablet's language), and
// whether it can be ordered. `flagged` holds the ids a refused order named as unavailable.
export function lineView(l, item, { menuLoaded, flagged }) {
  const ids = l.options.map((o) => o.id);
  if (!item) {
    const unit = Math.max(0, l.price + l.options.reduce((s, o) => s + (o.price_delta || 0), 0));
    return { ...l, unit, optionNames: l.options.map((o) => o.name), soldOut: menuLoaded, recheck: false, goneOptions: [] };
  }
  const itemGone = !item.available || flagged.items.has(l.id);
  const goneOptions = []; // names of the chosen options that are sold out or gone
  const optionNames = l.options.map((o) => {
    const found = findOption(item, o.id);
    const name = found ? found.option.name : o.name;
    if (!found || !found.option.available || flagged.options.has(o.id)) goneOptions.push(name);
    return name;
  });
  const soldOut = itemGone || goneOptions.length > 0;
  const recheck = !soldOut && !choicesOk(item, ids);
  return { ...l, name: item.name, unit: unitPrice(item, ids), optionNames, soldOut, recheck, goneOptions: itemGone ? [] : goneOptions };
}
