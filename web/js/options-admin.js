// Dashboard: option groups (맵기, 사리 추가, 사이즈 …) and their options: create, edit
// name/min/max and translations, reorder, price changes, sold-out per option, delete.
// Which items offer a group is set in the item form (menu-admin.js).
import { h, $, delta, icon, toast, errorText, confirmDialog } from './ui.js';
import { t } from './i18n.js';
import { formDialog, fieldError, changeThen, bySort, MAX_PRICE, translationsBody, translationsLine, missingChip } from './forms.js';
import { menuTabs, groupRule } from './menu-admin.js';
import { moveButtons, sortOrder } from './sortable.js';
import { setAvailable } from './soldout.js';

const NAME_MAX = 50;

export function optionsView({ api }) {
  let groups = [];
  let items = [];
  let root = null;
  let timer = null;
  let loaded = false;

  async function load() {
    try {
      const [g, i] = await Promise.all([api.get('/api/v1/admin/option-groups'), api.get('/api/v1/admin/menu-items')]);
      groups = g.sort(bySort).map((x) => ({ ...x, options: x.options.slice().sort(bySort) }));
      items = i;
      loaded = true;
    } catch (e) {
      toast(errorText(e), 'error');
    }
    render();
  }

  // `overrides`: what an error code means here (errorText), e.g. a conflict on delete.
  const run = changeThen(load);

  const usedBy = (g) => items.filter((it) => (it.option_group_ids || []).includes(g.id));

  function render() {
    if (!root) return;
    const list = $('#og-list', root);
    if (!loaded) return list.replaceChildren(h('p.empty', t('common.loading')));
    if (!groups.length) return list.replaceChildren(h('p.empty.panel', t('og.none')));
    list.replaceChildren(...groups.map(groupCard));
  }

  function groupCard(g, gi) {
    const users = usedBy(g);
    return h(
      'section.ogcard.panel',
      { dataset: { groupId: g.id, name: g.name } },
      h(
        'header.ogcard-head',
        h(
          'div.ogcard-title',
          h('h3', g.name),
          h('span.rule', { class: g.min >= 1 ? 'required' : '' }, groupRule(g)),
          translationsLine(g.translations),
          missingChip(g.translations),
          h('small.muted.og-users', users.length ? t('og.usedBy', { n: users.length, names: users.map((x) => x.name).join(', ') }) : t('og.unused')),
        ),
        h(
          'div.irow-actions',
          ...moveButtons(groups, gi, (order) => run(() => api.put('/api/v1/admin/option-groups/order', sortOrder(order)))),
          h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('common.edit'), title: t('common.edit'), 'data-action': 'edit-group', onclick: () => editGroup(g) }, icon('edit')),
          h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('common.delete'), title: t('common.delete'), 'data-action': 'delete-group', onclick: () => deleteGroup(g) }, icon('trash')),
        ),
      ),
      h('ul.olist', ...g.options.map((o, i) => optionRow(g, o, i))),
      h('footer', h('button.small', { type: 'button', 'data-action': 'add-option', onclick: () => editOption(g, null) }, icon('plus'), t('og.addOption'))),
    );
  }

  function optionRow(g, o, i) {
    const last = g.options.length === 1;
    return h(
      'li.orow-opt',
      { class: o.available ? '' : 'soldout', dataset: { optionId: o.id, name: o.name } },
      h('div.iname', h('strong', o.name), translationsLine(o.translations), missingChip(o.translations)),
      h('span.num.odelta', { class: o.price_delta < 0 ? 'minus' : o.price_delta ? '' : 'zero', title: o.price_delta ? null : t('og.noCharge') }, delta(o.price_delta)),
      h(
        'button.switch',
        {
          type: 'button',
          role: 'switch',
          'aria-checked': String(o.available),
          'data-action': 'toggle-option',
          title: t('menu.availableHint'),
          onclick: () => run(() => setAvailable(api, 'option', o.id, !o.available)),
        },
        h('span.knob'),
        h('span', o.available ? t('menu.onSale') : t('menu.soldOut')),
      ),
      h(
        'div.irow-actions',
        ...moveButtons(g.options, i, (order) => run(() => api.put(`/api/v1/admin/option-groups/${g.id}/options/order`, sortOrder(order)))),
        h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('common.edit'), title: t('common.edit'), 'data-action': 'edit-option', onclick: () => editOption(g, o) }, icon('edit')),
        h(
          'button.small.ghost.icon-btn',
          { type: 'button', 'aria-label': t('common.delete'), title: last ? t('og.lastOption') : t('common.delete'), disabled: last, onclick: () => deleteOption(g, o) },
          icon('trash'),
        ),
      ),
    );
  }

  // Bounds as the server checks them: 0 ≤ min ≤ max ≤ number of options, max ≥ 1.
  function checkBounds(v, count, errs) {
    const min = Number(v.min);
    const max = Number(v.max);
    if (v.min === '' || !Number.isInteger(min) || min < 0) errs.min = t('og.vMin');
    if (v.max === '' || !Number.isInteger(max) || max < 1) errs.max = t('og.vMax');
    else if (count && max > count) errs.max = t('og.vMaxCount', { n: count });
    if (!errs.min && !errs.max && min > max) errs.min = t('og.vMinMax');
    return { min, max };
  }

  const boundFields = (g) => [
    {
      type: 'row',
      fields: [
        { name: 'min', label: t('og.min'), type: 'number', min: 0, step: 1, value: g ? g.min : 0, hint: t('og.minHint') },
        { name: 'max', label: t('og.max'), type: 'number', min: 1, step: 1, value: g ? g.max : 1, hint: t('og.maxHint') },
      ],
    },
  ];

  async function newGroup() {
    const rows = optionRows();
    const r = await formDialog({
      title: t('og.new'),
      wide: true,
      fields: [
        { name: 'name', label: t('og.name'), required: true, maxlength: NAME_MAX, hint: t('og.nameHint') },
        ...boundFields(null),
        rows.field,
        { name: 'translations', type: 'translations', maxlength: NAME_MAX },
      ],
      submit: (v) => {
        const errs = {};
        if (!v.name) errs.name = t('v.required');
        const options = rows.check(v.options, errs);
        const { min, max } = checkBounds(v, options.length, errs);
        const translations = translationsBody(v.translations, errs);
        if (Object.keys(errs).length) throw fieldError(errs);
        return api.post('/api/v1/admin/option-groups', { name: v.name, min, max, options, translations }).catch((e) => {
          throw rows.remap(e);
        });
      },
    });
    if (r) {
      toast(t('og.created', { name: r.name }), 'ok');
      load();
    }
  }

  async function editGroup(g) {
    const r = await formDialog({
      title: t('og.edit'),
      fields: [
        { name: 'name', label: t('og.name'), value: g.name, required: true, maxlength: NAME_MAX },
        ...boundFields(g),
        { name: 'translations', type: 'translations', value: g.translations, maxlength: NAME_MAX },
      ],
      submit: (v) => {
        const errs = {};
        if (!v.name) errs.name = t('v.required');
        const { min, max } = checkBounds(v, g.options.length, errs);
        const translations = translationsBody(v.translations, errs);
        if (Object.keys(errs).length) throw fieldError(errs);
        return api.patch(`/api/v1/admin/option-groups/${g.id}`, { name: v.name, min, max, translations });
      },
    });
    if (r) load();
  }

  async function deleteGroup(g) {
    const users = usedBy(g);
    const ok = await confirmDialog(t('og.deleteConfirm', { name: g.name }), {
      ok: t('common.delete'),
      danger: true,
      detail: users.length ? t('og.deleteDetail', { n: users.length }) : t('og.deleteDetailUnused'),
    });
    if (ok) run(() => api.del(`/api/v1/admin/option-groups/${g.id}`));
  }

  async function editOption(g, o) {
    const r = await formDialog({
      title: o ? t('og.editOption') : t('og.addOptionTo', { name: g.name }),
      fields: [
        { name: 'name', label: t('og.optionName'), value: o?.name, required: true, maxlength: NAME_MAX },
        { name: 'price_delta', label: t('og.delta'), type: 'number', step: 1, min: -MAX_PRICE, max: MAX_PRICE, value: o ? o.price_delta : 0, hint: t('og.deltaHint') },
        { name: 'available', label: t('menu.available'), type: 'checkbox', value: o ? o.available : true },
        { name: 'translations', type: 'translations', value: o?.translations, maxlength: NAME_MAX },
      ],
      submit: (v) => {
        const errs = {};
        if (!v.name) errs.name = t('v.required');
        const d = checkDelta(v.price_delta, errs, 'price_delta');
        const translations = translationsBody(v.translations, errs);
        if (Object.keys(errs).length) throw fieldError(errs);
        const body = { name: v.name, price_delta: d, available: v.available, translations };
        return o ? api.patch(`/api/v1/admin/options/${o.id}`, body) : api.post(`/api/v1/admin/option-groups/${g.id}/options`, { ...body, sort_order: g.options.length });
      },
    });
    if (r) load();
  }

  async function deleteOption(g, o) {
    if (await confirmDialog(t('og.deleteOptionConfirm', { name: o.name, group: g.name }), { ok: t('common.delete'), danger: true }))
      run(() => api.del(`/api/v1/admin/options/${o.id}`), { conflict: t('og.lastOption') });
  }

  return {
    mount(el) {
      root = el;
      el.replaceChildren(
        menuTabs('options'),
        h(
          'div.toolbar',
          h('div.st-intro', h('h2', t('menu.tabOptions')), h('p.muted.og-help', t('og.help'))),
          h('span.spacer'),
          h('button.primary', { type: 'button', 'data-action': 'new-group', onclick: newGroup }, icon('plus'), t('og.new')),
        ),
        h('div#og-list.og-list'),
      );
      render();
      load();
    },
    unmount() {
      root = null;
    },
    onEvent(type) {
      if (type === 'menu_changed' || type === 'resync') {
        clearTimeout(timer);
        timer = setTimeout(load, 150);
      }
    },
  };
}

function checkDelta(raw, errs, name) {
  const n = Number(raw);
  if (raw === '' || !Number.isInteger(n) || Math.abs(n) > MAX_PRICE) errs[name] = t('og.vDelta');
  return n;
}

// The first options of a new group: rows of name and price change, named like the API's
// fields ("options[0].name") so that its reasons land beside them.
function optionRows() {
  const list = h('ol.orows-edit');
  let n = 0;
  let sent = []; // the rows' field prefixes, in the order they were sent
  const addRow = (focus) => {
    const i = n++;
    const row = h(
      'li.orow-edit',
      h('label.field', h('span', t('og.optionName')), h('input', { name: `options[${i}].name`, maxlength: NAME_MAX, autocomplete: 'off' })),
      h('label.field', h('span', t('og.delta')), h('input', { name: `options[${i}].price_delta`, type: 'number', step: 1, value: 0, inputmode: 'text' })),
      h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('common.delete'), title: t('common.delete'), onclick: () => list.children.length > 1 && row.remove() }, icon('x')),
    );
    list.append(row);
    if (focus) $('input', row).focus();
  };
  addRow(false);
  addRow(false);
  const box = h(
    'div.field.orows-field',
    h('span', t('og.options')),
    list,
    h('button.small', { type: 'button', 'data-action': 'add-row', onclick: () => addRow(true) }, icon('plus'), t('og.addOption')),
    h('span.field', h('input', { type: 'hidden', name: 'options' })),
  );
  return {
    field: {
      name: 'options',
      type: 'custom',
      el: box,
      // Rows as typed; empty rows are skipped.
      read: () =>
        [...list.children].map((row) => {
          const [name, d] = row.querySelectorAll('input');
          return { name: name.value.trim(), price_delta: d.value.trim(), field: name.name.replace(/\.name$/, '') };
        }),
    },
    check(rows, errs) {
      const out = [];
      sent = [];
      for (const r of rows) {
        if (!r.name && (r.price_delta === '' || r.price_delta === '0')) continue;
        if (!r.name) errs[`${r.field}.name`] = t('v.required');
        const d = checkDelta(r.price_delta, errs, `${r.field}.price_delta`);
        out.push({ name: r.name, price_delta: d, sort_order: out.length });
        sent.push(r.field);
      }
      if (!out.length) errs.options = t('og.vOptions');
      return out;
    },
    // Empty rows are not sent: the server's "options[1].name" is the second row sent.
    remap(e) {
      if (!e.fields) return e;
      const fields = {};
      for (const [k, v] of Object.entries(e.fields)) {
        const m = /^options\[(\d+)\](.*)$/.exec(k);
        fields[m && sent[Number(m[1])] ? sent[Number(m[1])] + m[2] : k] = v;
      }
      e.fields = fields;
      return e;
    },
  };
}

