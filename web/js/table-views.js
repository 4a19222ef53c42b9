// What the tablet draws: the menu (category tabs and item cards), the cart sheet and My orders.
// table.js owns the state and passes it in with the actions the buttons call.
import { h, $, won, hm, icon, errorText, optionsLine, noteChip } from './ui.js';
import { t, lang } from './i18n.js';

// ---------- menu ----------

// ctx: {state, qtyOf(itemId), openItem(item), quickAdd(item)}
export function renderMenu(ctx) {
  const { state } = ctx;
  const cats = state.menu ? state.menu.categories.filter((c) => c.items.length) : [];
  if (!cats.some((c) => c.id === state.cat)) state.cat = cats[0]?.id ?? null;
  $('#cats').replaceChildren(
    ...cats.map((c) =>
      h(
        'button.cat',
        {
          type: 'button',
          'aria-current': c.id === state.cat ? 'true' : null,
          dataset: { categoryId: c.id },
          onclick: () => {
            state.cat = c.id;
            renderMenu(ctx);
            $('#menu').scrollTo({ top: 0 });
          },
        },
        h('span.cat-name', c.name),
        h('span.cat-count', c.items.length),
      ),
    ),
  );

  const status = $('#menu-status');
  if (!state.menu) {
    status.hidden = false;
    status.textContent = state.menuError ? errorText(state.menuError) : t('common.loading');
  } else if (!cats.length) {
    status.hidden = false;
    status.textContent = t('menu.empty');
  } else status.hidden = true;

  const cat = cats.find((c) => c.id === state.cat);
  const cards = (cat ? cat.items : []).map((it) => cachedCard(ctx, it, ctx.qtyOf(it.id)));
  const box = $('#items');
  if (cards.length !== box.children.length || cards.some((c, i) => c !== box.children[i])) box.replaceChildren(...cards);
}

// Cards are rebuilt only when what they show changes, so images do not flicker.
const cardCache = new Map();
export const forgetCards = () => cardCache.clear();
function cachedCard(ctx, it, qty) {
  const key = JSON.stringify([it, qty, lang()]);
  const hit = cardCache.get(it.id);
  if (hit && hit.key === key) return hit.el;
  const el = itemCard(ctx, it, qty);
  cardCache.set(it.id, { key, el });
  return el;
}

// Tapping a card opens the item sheet (photo, description, options, note). The add button
// adds an item without options in one tap; an item with options opens the sheet.
function itemCard(ctx, it, qty) {
  const soldOut = !it.available;
  const hasOptions = (it.option_groups || []).length > 0;
  // The box's 4:3 crop where it made one; the sheet shows the whole photo.
  const src = it.card_image_url || it.image_url;
  const thumb = src
    ? h('img', { src, alt: '', loading: 'lazy', decoding: 'async', onerror: (e) => e.target.replaceWith(placeholder()) })
    : placeholder();
  return h(
    'article.item',
    {
      class: (soldOut ? 'soldout' : '') + (qty ? ' in-cart' : '') + (hasOptions ? ' has-options' : ''),
      dataset: { itemId: it.id },
      onclick: () => ctx.openItem(it),
    },
    h('div.thumb', thumb, soldOut ? h('span.badge.soldout-badge', t('menu.soldOut')) : null, qty ? h('span.qty-badge', qty) : null),
    h(
      'div.info',
      h('h2.name', it.name),
      it.description ? h('p.desc', it.description) : null,
      h(
        'div.foot',
        h('span.price', won(it.price)),
        h(
          'button.add',
          {
            type: 'button',
            disabled: soldOut,
            'aria-label': `${it.name} ${t('menu.add')}`,
            onclick: (e) => {
              e.stopPropagation();
              if (hasOptions) ctx.openItem(it);
              else ctx.quickAdd(it);
            },
          },
          icon(hasOptions ? 'options' : 'plus'),
          h('span', soldOut ? t('menu.soldOut') : t('menu.add')),
        ),
      ),
    ),
  );
}
const placeholder = () => h('div.ph', icon('bowl'));

// ---------- cart ----------

// ctx: {state, lines (shown lines), total, count, changeQty(key, d), editLine(line), placeOrder()}
export function renderCart(ctx) {
  const { state, lines, total, count } = ctx;
  $('#cart-count').textContent = count;
  $('#cart-count').classList.toggle('zero', !count);
  $('#cart-total').textContent = won(total);
  $('#cart-caption').textContent = count ? t('cart.items', { n: count }) : lines.length ? t('cart.soldOutOnly') : t('cart.empty');
  // Sold-out lines alone still open the cart, where they are taken out.
  $('#btn-order').disabled = !lines.length;
  $('#btn-cart').disabled = !lines.length && !state.orderError;

  const body = $('#cart-lines');
  if (!lines.length) body.replaceChildren(h('p.empty', t('cart.empty')));
  else body.replaceChildren(...lines.map((l) => cartLine(ctx, l)));
  $('#sheet-total').textContent = won(total);
  const soldOut = lines.some((l) => l.soldOut);
  const recheck = lines.some((l) => l.recheck);
  const place = $('#btn-place');
  const e = state.orderError;
  // After a lost answer the one way on is to send the same order again (same key): the
  // error box's retry button; the place button steps aside meanwhile.
  const retrying = !!(e && e.retryable && state.attempt);
  place.hidden = retrying;
  place.disabled = !lines.length || state.busy || soldOut || recheck;
  place.textContent = state.busy ? t('cart.sending') : `${t('cart.place')} · ${won(total)}`;
  $('#btn-clear').disabled = !lines.length || state.busy;

  const err = $('#order-error');
  const hint = e ? '' : soldOut ? t('cart.removeSoldOut') : recheck ? t('cart.fixLines') : '';
  err.hidden = !e && !hint;
  if (e) {
    const unknown = e.network || e.status >= 500;
    // (replaceChildren would write a null as the text "null": only nodes go in.)
    err.replaceChildren(
      ...[
        h('span.order-error-text', unknown ? `${t('order.unknown')} ${errorText(e)}` : orderErrorText(e, lines, ctx.menuItem)),
        retrying && h('small.order-error-hint', t('order.autoRetry')),
        retrying && h('button.primary.big', { type: 'button', onclick: ctx.placeOrder, disabled: state.busy, 'data-action': 'retry' }, state.busy ? t('cart.sending') : t('order.retry')),
      ].filter(Boolean),
    );
  } else err.replaceChildren(hint);
}

function cartLine(ctx, l) {
  // A line whose options no longer fit (sold out, gone, a new required group) is chosen again in the sheet.
  const canEdit = ctx.canEdit(l);
  const about = [
    h('strong', l.name),
    optionsLine(l.optionNames),
    noteChip(l.note),
    l.soldOut ? h('span.badge.soldout-badge', [t('menu.soldOut'), ...l.goneOptions].join(' · ')) : null,
    l.recheck ? h('span.badge.recheck-badge', t('cart.recheck')) : null,
    h('small.muted.num', won(l.unit)),
  ];
  return h(
    'div.line',
    { class: (l.soldOut ? 'soldout' : '') + (l.recheck ? ' recheck' : ''), dataset: { itemId: l.id, key: l.key } },
    canEdit
      ? h('button.line-name.line-edit', { type: 'button', title: t('cart.edit'), onclick: () => ctx.editLine(l) }, ...about, h('span.sr-only', t('cart.edit')))
      : h('div.line-name', ...about),
    h(
      'div.stepper',
      h('button.icon-btn', { type: 'button', 'aria-label': t('cart.less'), disabled: l.qty <= 1, onclick: () => ctx.changeQty(l.key, -1) }, icon('minus')),
      h('span.qty', l.qty),
      h('button.icon-btn', { type: 'button', 'aria-label': t('cart.more'), disabled: l.qty >= 99, onclick: () => ctx.changeQty(l.key, 1) }, icon('plus')),
    ),
    h('span.line-total', won(l.unit * l.qty)),
    h('button.icon-btn.ghost.remove', { type: 'button', 'aria-label': t('cart.remove'), onclick: () => ctx.changeQty(l.key, -l.qty) }, icon('trash')),
  );
}

// The server's refusal in the guest's language, naming what is sold out: the items (and
// options) it named, as the menu on screen calls them, else the cart lines now marked.
function orderErrorText(e, lines, menuItem) {
  if (e.code === 'item_unavailable') {
    const names = [];
    for (const id of e.menuItemIds) {
      const name = menuItem(id)?.name ?? lines.find((l) => l.id === id)?.name;
      if (name) names.push(name);
    }
    // "김치찌개 (라면사리)" when an option is sold out.
    for (const l of lines) {
      if (!l.soldOut || e.menuItemIds.includes(l.id)) continue;
      names.push(l.goneOptions.length ? `${l.name} (${l.goneOptions.join(', ')})` : l.name);
    }
    return names.length ? t('order.unavailable', { names: [...new Set(names)].join(', ') }) : t('cart.removeSoldOut');
  }
  if (e.code === 'validation_failed') return t('order.invalid');
  return errorText(e);
}

// ---------- my orders ----------

const STATUS = ['pending', 'preparing', 'completed', 'cancelled'];

// ctx: {state, itemName(orderItem), optionNames(orderItem)}
export function renderOrders(ctx) {
  const { state } = ctx;
  const list = $('#orders-list');
  $('#orders-total').textContent = won(state.sessionTotal);
  if (!state.orders.length) {
    list.replaceChildren(h('p.empty', t('orders.none')));
    return;
  }
  list.replaceChildren(
    ...state.orders.map((o) =>
      h(
        'article.order',
        { class: 'st-' + o.status, dataset: { orderId: o.id, status: o.status } },
        h(
          'header',
          h('strong', t('orders.no', { n: o.order_no })),
          h('span.muted', hm(o.created_at)),
          h('span.spacer'),
          h('span.status', { class: 'st-' + (STATUS.includes(o.status) ? o.status : 'pending') }, t('status.' + o.status)),
        ),
        h(
          'ul',
          ...o.items.map((i) =>
            h(
              'li',
              h('div.oline', h('span', `${ctx.itemName(i)} × ${i.quantity}`), optionsLine(ctx.optionNames(i)), noteChip(i.note)),
              h('span.num', won(i.unit_price * i.quantity)),
            ),
          ),
        ),
        h('footer', h('span', t('cart.total')), h('strong', won(o.total))),
      ),
    ),
  );
}
