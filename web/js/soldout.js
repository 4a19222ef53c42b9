// Sold-out switches (품절): every menu item by category and every option by group, each with
// its switch. What servers and the kitchen may change of the menu (PUT …/available); the
// menu editor (menu-admin.js, options-admin.js) uses the same calls for its switches.
// The dashboard's 품절 page for staff who may not edit the menu, and the kitchen display's
// 품절 dialog.
import { h, $, won, delta, toast, errorText, debounce } from './ui.js';
import { t } from './i18n.js';
import { bySort } from './forms.js';

// Marks an item ('item') or an option ('option') sold out (false) or on sale (true).
export function setAvailable(api, kind, id, available) {
  const path = kind === 'item' ? `/api/v1/admin/menu-items/${id}/available` : `/api/v1/admin/options/${id}/available`;
  return api.put(path, { available });
}

// The switch of a row: "판매중" / "품절", said in words as well as by its knob.
export function availableSwitch(on, onclick, name) {
  return h(
    'button.switch',
    {
      type: 'button',
      role: 'switch',
      'aria-checked': String(on),
      'aria-label': name ? `${name}: ${on ? t('menu.onSale') : t('menu.soldOut')}` : null,
      'data-action': 'toggle-available',
      title: t('menu.availableHint'),
      onclick,
    },
    h('span.knob'),
    h('span', on ? t('menu.onSale') : t('menu.soldOut')),
  );
}

// The lists, drawn into `root` (an element already on the page). Returns {load, render}.
export function soldOutList({ api }) {
  let cats = [];
  let items = [];
  let groups = [];
  let root = null;
  let error = null;

  async function load() {
    try {
      const [c, i, g] = await Promise.all([
        api.get('/api/v1/admin/categories'),
        api.get('/api/v1/admin/menu-items'),
        api.get('/api/v1/admin/option-groups'),
      ]);
      cats = c.sort(bySort);
      items = i.sort(bySort);
      groups = g.sort(bySort);
      error = null;
    } catch (e) {
      error = e;
    }
    render();
  }

  async function toggle(kind, x) {
    try {
      await setAvailable(api, kind, x.id, !x.available);
      x.available = !x.available;
    } catch (e) {
      toast(errorText(e), 'error');
    }
    render();
  }

  function render() {
    if (!root) return;
    if (error) return root.replaceChildren(h('p.form-error', { role: 'alert' }, errorText(error)));
    const out = items.filter((i) => !i.available).length + groups.reduce((n, g) => n + g.options.filter((o) => !o.available).length, 0);
    root.replaceChildren(
      h('p.so-summary', { dataset: { soldOut: out } }, out ? t('so.count', { n: out }) : t('so.none')),
      h(
        'div.so-grid',
        ...cats
          .filter((c) => items.some((i) => i.category_id === c.id))
          .map((c) =>
            h(
              'section.panel.so-panel',
              { dataset: { categoryId: c.id } },
              h('h3', c.name),
              h(
                'ul.so-list',
                ...items
                  .filter((i) => i.category_id === c.id)
                  .map((it) =>
                    h(
                      'li.so-row',
                      { class: it.available ? '' : 'soldout', dataset: { itemId: it.id, name: it.name } },
                      h('span.so-name', it.name),
                      h('span.num.so-price', won(it.price)),
                      availableSwitch(it.available, () => toggle('item', it), it.name),
                    ),
                  ),
              ),
            ),
          ),
        ...groups
          .filter((g) => g.options.length)
          .map((g) =>
            h(
              'section.panel.so-panel.so-options',
              { dataset: { groupId: g.id } },
              h('h3', h('small.muted', t('so.option')), ' ', g.name),
              h(
                'ul.so-list',
                ...g.options
                  .slice()
                  .sort(bySort)
                  .map((o) =>
                    h(
                      'li.so-row',
                      { class: o.available ? '' : 'soldout', dataset: { optionId: o.id, name: o.name } },
                      h('span.so-name', o.name),
                      h('span.num.so-price', o.price_delta ? delta(o.price_delta) : ''),
                      availableSwitch(o.available, () => toggle('option', o), `${g.name} ${o.name}`),
                    ),
                  ),
              ),
            ),
          ),
      ),
    );
  }

  return {
    load,
    render,
    mount(el) {
      root = el;
      root.replaceChildren(h('p.empty', t('common.loading')));
      load();
    },
    unmount() {
      root = null;
    },
  };
}

// The dashboard's 품절 page.
export function soldOutView({ api }) {
  const list = soldOutList({ api });
  const later = debounce(() => list.load(), 150);
  return {
    mount(el) {
      el.replaceChildren(
        h('div.toolbar', h('h2', t('nav.soldout')), h('p.muted.so-help', t('so.help'))),
        h('div#so-root'),
      );
      list.mount($('#so-root', el));
    },
    unmount: () => list.unmount(),
    onEvent(type) {
      if (type === 'menu_changed' || type === 'resync') later();
    },
  };
}
