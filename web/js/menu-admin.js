// Dashboard: menu management (categories and items, with their translations and the option
// groups each item offers). Option groups themselves: options-admin.js.
import { h, $, won, icon, toast, errorText, confirmDialog } from './ui.js';
import { t } from './i18n.js';
import { formDialog, fieldError, changeThen, addByName, checkPrice, bySort, MAX_PRICE, translationsBody, missingChip } from './forms.js';
import { MAX_IMAGE, shrinkPhoto } from './photo.js';
import { moveButtons, sortOrder } from './sortable.js';
import { setAvailable } from './soldout.js';

// The tabs above the menu pages: items and categories, option groups, stations and
// printers; and the way to the kitchen display.
export function menuTabs(active) {
  const tab = (view, label) => h('a', { href: '#' + view, class: active === view ? 'active' : '', 'aria-current': active === view ? 'page' : null }, label);
  return h(
    'nav.subnav',
    { 'aria-label': t('nav.menu') },
    tab('menu', t('menu.tabItems')),
    tab('options', t('menu.tabOptions')),
    tab('stations', t('menu.tabStations')),
    h('a.subnav-ext', { href: '/kitchen', target: '_blank', rel: 'noopener', 'data-action': 'open-kitchen' }, icon('external'), t('menu.kitchenLink')),
  );
}

// The station picker of the category and item forms. `inherit` names what an empty choice
// means ("기본 스테이션 (주방)", "카테고리 따름 (바)"); returns the select's options.
function stationOptions(stations, inherit) {
  return [['', inherit], ...stations.map((s) => [s.id, s.name])];
}
const stationId = (v) => (v === '' || v == null ? null : Number(v));

// How a group's rule reads: "필수 · 1개", "선택 · 최대 2개".
export function groupRule(g) {
  const need = g.min >= 1 ? t('og.required') : t('og.optional');
  const count = g.max === 1 ? t('og.one') : g.min > 1 ? t('og.range', { min: g.min, max: g.max }) : t('og.upTo', { n: g.max });
  return `${need} · ${count}`;
}
export function menuView({ api, printers }) {
  let cats = [];
  let items = [];
  let groups = [];
  let stations = [];
  let sel = null;
  let root = null;
  let timer = null;

  // Whether the menu ever came (a failed first load says so instead of "add a category").
  let loaded = false;
  let loadError = null;
  let retry = null;

  async function load() {
    clearTimeout(retry);
    try {
      const [c, i, g, st] = await Promise.all([
        api.get('/api/v1/admin/categories'),
        api.get('/api/v1/admin/menu-items'),
        api.get('/api/v1/admin/option-groups'),
        api.get('/api/v1/admin/stations'),
      ]);
      cats = c.sort(bySort);
      items = i.sort(bySort);
      groups = g.sort(bySort);
      stations = st.sort(bySort);
      loaded = true;
      loadError = null;
    } catch (e) {
      loadError = e;
      if (loaded) toast(errorText(e), 'error');
      // Tried again until the box answers (the page fills in by itself).
      else if (root) retry = setTimeout(load, 4000);
    }
    render();
  }

  const stationName = (id) => stations.find((s) => s.id === id)?.name ?? null;
  // Where a category's tickets go: its own station, else the store's first.
  const catStation = (c) => (c && stationName(c.station_id)) || stations[0]?.name || t('menu.stationNone');
  const defaultStation = () => t('menu.stationDefault', { name: stations[0]?.name || t('menu.stationNone') });

  function render() {
    if (!root) return;
    if (!loaded) {
      // Not "no categories": the menu could not be read (the box is away, or still answering).
      const msg = loadError
        ? h('div.load-failed', { role: 'alert', dataset: { state: loadError.network ? 'offline' : 'error' } }, icon('alert'), h('span', loadError.network ? t('menu.offline') : errorText(loadError)), h('button.small', { type: 'button', 'data-action': 'retry', onclick: load }, icon('refresh'), t('common.retry')))
        : h('p.empty', t('common.loading'));
      $('#cat-panel', root).replaceChildren(h('h2', t('menu.categories')));
      $('#item-panel', root).replaceChildren(msg);
      return;
    }
    if (!cats.some((c) => c.id === sel)) sel = cats[0]?.id ?? null;
    renderCats();
    renderItems();
  }

  // `overrides`: what an error code means here (errorText), e.g. a conflict on delete.
  const run = changeThen(load);

  function renderCats() {
    const panel = $('#cat-panel', root);
    const count = (id) => items.filter((i) => i.category_id === id).length;
    const addForm = h(
      'form.add-row',
      {
        novalidate: true,
        onsubmit: addByName(async (name) => {
          sel = (await api.post('/api/v1/admin/categories', { name, sort_order: cats.length })).id;
        }, load),
      },
      h('label.field', h('input', { name: 'name', placeholder: t('menu.newCategory'), 'aria-label': t('menu.newCategory'), maxlength: 50 })),
      h('button.primary', { type: 'submit' }, icon('plus'), t('common.add')),
      h('p.form-error'),
    );
    panel.replaceChildren(
      h('h2', t('menu.categories')),
      h(
        'ul.clist',
        ...cats.map((c, i) =>
          h(
            'li.crow',
            { class: c.id === sel ? 'selected' : '', dataset: { categoryId: c.id } },
            h(
              'button.cname.ghost',
              { type: 'button', onclick: () => ((sel = c.id), render()) },
              h('span.cname-text', h('span', c.name), stations.length > 1 ? h('small.cstation', { dataset: { stationId: c.station_id ?? '' } }, icon('print'), catStation(c)) : null, missingChip(c.translations)),
              h('span.badge.soft', count(c.id)),
            ),
            ...moveButtons(cats, i, (order) => run(() => api.put('/api/v1/admin/categories/order', sortOrder(order)))),
            h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('menu.editCategory'), title: t('menu.editCategory'), 'data-action': 'edit-category', onclick: () => renameCat(c) }, icon('edit')),
            h(
              'button.small.ghost.icon-btn',
              {
                type: 'button',
                'aria-label': t('common.delete'),
                title: count(c.id) ? t('menu.catNotEmpty') : t('common.delete'),
                disabled: count(c.id) > 0,
                onclick: () => deleteCat(c),
              },
              icon('trash'),
            ),
          ),
        ),
      ),
      addForm,
    );
  }

  async function renameCat(c) {
    const r = await formDialog({
      title: t('menu.editCategory'),
      fields: [
        { name: 'name', label: t('menu.name'), value: c.name, required: true, maxlength: 50 },
        { name: 'station_id', label: t('menu.station'), type: 'select', value: c.station_id ?? '', options: stationOptions(stations, defaultStation()), hint: t('menu.stationHint') },
        { name: 'translations', type: 'translations', value: c.translations },
      ],
      submit: (v) => {
        const errs = {};
        if (!v.name) errs.name = t('v.required');
        const translations = translationsBody(v.translations, errs);
        if (Object.keys(errs).length) throw fieldError(errs);
        return api.patch(`/api/v1/admin/categories/${c.id}`, { name: v.name, station_id: stationId(v.station_id), translations });
      },
    });
    if (r) load();
  }
  async function deleteCat(c) {
    if (await confirmDialog(t('menu.deleteCatConfirm', { name: c.name }), { ok: t('common.delete'), danger: true }))
      run(() => api.del(`/api/v1/admin/categories/${c.id}`), { conflict: t('menu.catNotEmpty') });
  }

  function renderItems() {
    const panel = $('#item-panel', root);
    const cat = cats.find((c) => c.id === sel);
    if (!cat) return panel.replaceChildren(h('p.empty', t('menu.noCategories')));
    const list = items.filter((i) => i.category_id === cat.id);
    panel.replaceChildren(
      h('header.panel-head', h('h2', cat.name), h('span.spacer'), h('button.primary', { type: 'button', 'data-action': 'new-item', onclick: () => editItem(null) }, icon('plus'), t('menu.newItem'))),
      list.length
        ? h('ul.ilist', ...list.map((it, i) => itemRow(it, i, list)))
        : h('p.empty', t('menu.noItems')),
    );
  }

  function itemRow(it, i, list) {
    return h(
      'li.irow',
      { class: it.available ? '' : 'soldout', dataset: { itemId: it.id, name: it.name } },
      h('div.ithumb', it.image_url ? h('img', { src: it.card_image_url || it.image_url, alt: '', loading: 'lazy' }) : icon('image')),
      h(
        'div.iname',
        h('strong', it.name),
        it.description ? h('small.muted', it.description) : null,
        missingChip(it.translations),
        groupChips(it),
        it.station_id != null && stationName(it.station_id)
          ? h('small.cstation', { dataset: { stationId: it.station_id }, title: t('menu.station') }, icon('print'), stationName(it.station_id))
          : null,
      ),
      h('span.iprice.num', won(it.price)),
      h(
        'button.switch',
        {
          type: 'button',
          role: 'switch',
          'aria-checked': String(it.available),
          'data-action': 'toggle-available',
          title: t('menu.availableHint'),
          onclick: () => run(() => setAvailable(api, 'item', it.id, !it.available)),
        },
        h('span.knob'),
        h('span', it.available ? t('menu.onSale') : t('menu.soldOut')),
      ),
      h(
        'div.irow-actions',
        ...moveButtons(list, i, (order) => run(() => api.put('/api/v1/admin/menu-items/order', sortOrder(order)))),
        h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('common.edit'), title: t('common.edit'), 'data-action': 'edit', onclick: () => editItem(it) }, icon('edit')),
        h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('common.delete'), title: t('common.delete'), onclick: () => deleteItem(it) }, icon('trash')),
      ),
    );
  }

  // The option groups an item offers, in its order.
  function groupChips(it) {
    const names = (it.option_group_ids || []).map((id) => groups.find((g) => g.id === id)).filter(Boolean);
    if (!names.length) return null;
    return h('span.ichips', icon('options'), ...names.map((g) => h('span.chip', { dataset: { groupId: g.id } }, g.name)));
  }

  async function deleteItem(it) {
    if (await confirmDialog(t('menu.deleteItemConfirm', { name: it.name }), { ok: t('common.delete'), danger: true }))
      run(() => api.del(`/api/v1/admin/menu-items/${it.id}`));
  }

  async function editItem(it) {
    let id = it ? it.id : null; // set once created, so a failed image upload never creates twice
    const picker = groupPicker(groups, it ? it.option_group_ids || [] : []);
    const station = stationPicker(it ? it.station_id : null);
    const r = await formDialog({
      title: it ? t('menu.editItem') : t('menu.newItem'),
      fields: [
        {
          type: 'row',
          fields: [
            { name: 'category_id', label: t('menu.category'), type: 'select', value: it ? it.category_id : sel, options: cats.map((c) => [c.id, c.name]) },
            station.field,
          ],
        },
        { name: 'name', label: t('menu.name'), value: it?.name, required: true },
        { name: 'price', label: t('menu.price'), type: 'number', min: 0, max: MAX_PRICE, step: 1, value: it?.price, required: true },
        { name: 'description', label: t('menu.description'), type: 'textarea', value: it?.description },
        { name: 'available', label: t('menu.available'), type: 'checkbox', value: it ? it.available : true },
        picker.field,
        { name: 'translations', type: 'translations', value: it?.translations, description: true, maxlength: 100 },
        {
          name: 'image',
          label: t('menu.image'),
          type: 'file',
          accept: 'image/jpeg,image/png,image/webp',
          hint: t('menu.imageHint'),
          preview: it?.image_url ? h('img.preview', { src: it.image_url, alt: '' }) : null,
        },
      ],
      submit: async (v) => {
        const errs = {};
        if (!v.name) errs.name = t('v.required');
        const price = checkPrice(v.price, errs);
        // A phone's photo is made smaller here first; the box's limit stays what it is.
        if (v.image) v.image = await shrinkPhoto(v.image);
        if (v.image && v.image.size > MAX_IMAGE) errs.image = t('v.imageSize');
        const translations = translationsBody(v.translations, errs);
        if (Object.keys(errs).length) throw fieldError(errs);
        const body = {
          category_id: Number(v.category_id),
          name: v.name,
          price,
          description: v.description,
          available: v.available,
          option_group_ids: v.option_group_ids,
          station_id: stationId(v.station_id),
          translations,
        };
        const saved = id ? await api.patch(`/api/v1/admin/menu-items/${id}`, body) : await api.post('/api/v1/admin/menu-items', body);
        id = saved.id;
        if (v.image) {
          try {
            await api.put(`/api/v1/admin/menu-items/${id}/image`, v.image, { headers: { 'Content-Type': v.image.type || 'application/octet-stream' }, timeout: 60000 });
          } catch (e) {
            load();
            // The photo's own problem, said next to the photo field.
            throw fieldError({ image: errorText(e, { unsupported_media_type: t('v.imageType'), payload_too_large: t('v.imageSize'), validation_failed: t('v.imageType') }) });
          }
        }
        return saved;
      },
    });
    if (r || id) {
      sel = r ? r.category_id : sel;
      load();
    }
  }

  // The item form's station: "카테고리 따름 (주방)" names the station of the category chosen
  // in the same form, and follows it when the category changes.
  function stationPicker(value) {
    const select = h('select', { name: 'station_id' }, ...stationOptions(stations, '').map(([v, label]) => h('option', { value: v, selected: String(v) === String(value ?? '') }, label)));
    const follow = select.options[0];
    const el = h('label.field', h('span', t('menu.station')), select);
    const update = () => {
      const form = select.form;
      const catId = form ? Number(form.elements.category_id.value) : sel;
      follow.textContent = t('menu.stationFollow', { name: catStation(cats.find((c) => c.id === catId)) });
    };
    update();
    queueMicrotask(() => {
      update();
      select.form?.elements.category_id.addEventListener('change', update);
    });
    return { field: { name: 'station_id', type: 'custom', el, read: () => select.value } };
  }

  return {
    mount(el) {
      root = el;
      // What this page showed before may be long gone: it says "loading" until the box answers.
      loaded = false;
      el.replaceChildren(
        menuTabs('menu'),
        h('div.menu-admin', h('aside#cat-panel.panel.mpanel'), h('section#item-panel.panel.mpanel', h('p.empty', t('common.loading')))),
      );
      load();
    },
    unmount() {
      root = null;
      clearTimeout(retry);
    },
    onEvent(type) {
      // A station renamed, added or removed elsewhere: the pickers and chips follow.
      if (type === 'printers' && printers) {
        const next = printers.stations();
        const key = (l) => l.map((x) => `${x.id}:${x.name}`).join();
        if (next.length && key(next) !== key(stations)) {
          stations = next.slice();
          render();
        }
        return;
      }
      if (type === 'menu_changed' || type === 'resync') {
        clearTimeout(timer);
        timer = setTimeout(load, 150);
      }
    },
  };
}


// The item form's option groups: the attached ones in order (move, remove) and a list to
// attach more from. `read()` gives the ids in order.
function groupPicker(all, initial) {
  let ids = initial.filter((id) => all.some((g) => g.id === id));
  const list = h('ol.gpick-list');
  const add = h('select.gpick-add', { 'aria-label': t('menu.attachGroup') });
  const box = h(
    'div.field.gpick',
    { role: 'group', 'aria-label': t('menu.optionGroups') },
    h('span', t('menu.optionGroups')),
    list,
    add,
    h('span.field', h('input', { type: 'hidden', name: 'option_group_ids' })),
    all.length ? null : h('small.muted', t('menu.noGroupsYet')),
  );
  function draw() {
    list.replaceChildren(
      ...ids.map((id, i) => {
        const g = all.find((x) => x.id === id);
        return h(
          'li.gpick-row',
          { dataset: { groupId: id } },
          h('span.gpick-name', h('strong', g.name), h('small.muted', groupRule(g))),
          ...moveButtons(ids, i, (order) => ((ids = order), draw())),
          h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('menu.detachGroup'), title: t('menu.detachGroup'), onclick: () => ((ids = ids.filter((x) => x !== id)), draw()) }, icon('x')),
        );
      }),
    );
    const free = all.filter((g) => !ids.includes(g.id));
    add.replaceChildren(h('option', { value: '' }, free.length ? t('menu.attachGroup') : t('menu.allAttached')), ...free.map((g) => h('option', { value: g.id }, `${g.name} (${groupRule(g)})`)));
    add.disabled = !free.length;
    add.hidden = !all.length;
  }
  add.addEventListener('change', () => {
    if (add.value) ids.push(Number(add.value));
    draw();
  });
  draw();
  return { field: { name: 'option_group_ids', type: 'custom', el: box, read: () => ids.slice() } };
}
