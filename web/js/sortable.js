// Lists staff put in order (categories, items, option groups and their options, stations, an
// item's groups): the up and down buttons of a row, and the order as the API's bulk order
// calls take it (PUT …/order with [{id, sort_order}], one call for the whole list).
import { h, icon } from './ui.js';
import { t } from './i18n.js';

// The list with row i moved d places (−1 up, 1 down).
export function moved(list, i, d) {
  const order = list.slice();
  [order[i], order[i + d]] = [order[i + d], order[i]];
  return order;
}

// The body of a bulk order call: every row numbered from 0 in its new place.
export const sortOrder = (list) => list.map((x, n) => ({ id: x.id, sort_order: n }));

// Row i's two buttons; `onMove(order)` gets the whole list in its new order.
export function moveButtons(list, i, onMove) {
  const button = (d, label, name) =>
    h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': label, title: label, disabled: i + d < 0 || i + d >= list.length, onclick: () => onMove(moved(list, i, d)) }, icon(name));
  return [button(-1, t('menu.up'), 'up'), button(1, t('menu.down'), 'down')];
}
