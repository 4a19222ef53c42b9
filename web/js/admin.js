// Dashboard management pages: menu, tables, system.
import { h, $, won, bytes, duration, dateTime, icon, toast, errorText, confirmDialog, showFieldErrors, clearFieldErrors } from './ui.js';
import { t } from './i18n.js';

const MAX_PRICE = 10_000_000;
const MAX_IMAGE = 2 * 1024 * 1024;
const bySort = (a, b) => a.sort_order - b.sort_order || a.id - b.id;
const fieldError = (fields) => Object.assign(new Error(''), { fields });

// A modal form. `submit(values)` may throw an API error; its field reasons appear
// beside the fields. Resolves with submit's result, or null when cancelled.
export function formDialog({ title, fields, submit, submitText = t('common.save') }) {
  return new Promise((resolve) => {
    let result = null;
    const form = h(
      'form',
      { novalidate: true },
      h('h2', title),
      ...fields.map(fieldEl),
      h('p.form-error', { role: 'alert' }),
      h(
        'div.actions',
        h('button', { type: 'button', onclick: () => dlg.close() }, t('common.cancel')),
        h('button.primary', { type: 'submit' }, submitText),
      ),
    );
    const dlg = h('dialog.dialog', form);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const btn = $('button[type=submit]', form);
      btn.disabled = true;
      try {
        result = await submit(values(form, fields), form);
        dlg.close();
      } catch (err) {
        showFieldErrors(form, err);
      } finally {
        btn.disabled = false;
      }
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(result);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

function fieldEl(f) {
  const attrs = { name: f.name, required: f.required, autocomplete: 'off' };
  if (f.type === 'select')
    return h('label.field', h('span', f.label), h('select', attrs, ...f.options.map(([v, label]) => h('option', { value: v, selected: String(v) === String(f.value) }, label))));
  if (f.type === 'textarea') return h('label.field', h('span', f.label), h('textarea', { ...attrs, maxlength: 500 }, f.value || ''));
  if (f.type === 'checkbox') return h('label.field.inline', h('input', { ...attrs, type: 'checkbox', checked: !!f.value }), h('span', f.label));
  if (f.type === 'file')
    return h('label.field', h('span', f.label), f.preview || null, h('input', { ...attrs, type: 'file', accept: f.accept }), f.hint ? h('small.muted', f.hint) : null);
  return h(
    'label.field',
    h('span', f.label),
    h('input', { ...attrs, type: f.type || 'text', value: f.value ?? '', min: f.min, max: f.max, step: f.step, inputmode: f.type === 'number' ? 'numeric' : undefined }),
  );
}

function values(form, fields) {
  const v = {};
  for (const f of fields) {
    const el = form.elements[f.name];
    if (f.type === 'checkbox') v[f.name] = el.checked;
    else if (f.type === 'file') v[f.name] = el.files[0] || null;
    else v[f.name] = el.value.trim();
  }
  return v;
}

function checkPrice(raw, fields) {
  const n = Number(raw);
  if (raw === '' || !Number.isInteger(n) || n < 0 || n > MAX_PRICE) fields.price = t('v.price');
  return n;
}

// ---------- menu ----------

export function menuView({ api }) {
  let cats = [];
  let items = [];
  let sel = null;
  let root = null;
  let timer = null;

  async function load() {
    try {
      const [c, i] = await Promise.all([api.get('/api/v1/admin/categories'), api.get('/api/v1/admin/menu-items')]);
      cats = c.sort(bySort);
      items = i.sort(bySort);
    } catch (e) {
      toast(errorText(e), 'error');
    }
    render();
  }

  function render() {
    if (!root) return;
    if (!cats.some((c) => c.id === sel)) sel = cats[0]?.id ?? null;
    renderCats();
    renderItems();
  }

  async function run(fn) {
    try {
      await fn();
    } catch (e) {
      toast(errorText(e), 'error');
    }
    await load();
  }

  function renderCats() {
    const panel = $('#cat-panel', root);
    const count = (id) => items.filter((i) => i.category_id === id).length;
    const addForm = h(
      'form.add-row',
      {
        novalidate: true,
        onsubmit: async (e) => {
          e.preventDefault();
          const form = e.target;
          clearFieldErrors(form);
          const name = form.elements.name.value.trim();
          if (!name) return showFieldErrors(form, fieldError({ name: t('v.required') }));
          try {
            const c = await api.post('/api/v1/admin/categories', { name, sort_order: cats.length });
            sel = c.id;
            form.reset();
            await load();
          } catch (err) {
            showFieldErrors(form, err);
          }
        },
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
            h('button.cname.ghost', { type: 'button', onclick: () => ((sel = c.id), render()) }, h('span', c.name), h('span.badge.soft', count(c.id))),
            h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('menu.up'), title: t('menu.up'), disabled: i === 0, onclick: () => moveCat(i, -1) }, icon('up')),
            h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('menu.down'), title: t('menu.down'), disabled: i === cats.length - 1, onclick: () => moveCat(i, 1) }, icon('down')),
            h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('menu.rename'), title: t('menu.rename'), onclick: () => renameCat(c) }, icon('edit')),
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

  function moveCat(i, d) {
    const order = cats.slice();
    [order[i], order[i + d]] = [order[i + d], order[i]];
    run(() => api.put('/api/v1/admin/categories/order', order.map((c, n) => ({ id: c.id, sort_order: n }))));
  }
  async function renameCat(c) {
    const r = await formDialog({
      title: t('menu.rename'),
      fields: [{ name: 'name', label: t('menu.name'), value: c.name, required: true }],
      submit: (v) => {
        if (!v.name) throw fieldError({ name: t('v.required') });
        return api.patch(`/api/v1/admin/categories/${c.id}`, { name: v.name });
      },
    });
    if (r) load();
  }
  async function deleteCat(c) {
    if (await confirmDialog(t('menu.deleteCatConfirm', { name: c.name }), { ok: t('common.delete'), danger: true }))
      run(() => api.del(`/api/v1/admin/categories/${c.id}`));
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
      h('div.ithumb', it.image_url ? h('img', { src: it.image_url, alt: '', loading: 'lazy' }) : icon('image')),
      h('div.iname', h('strong', it.name), it.description ? h('small.muted', it.description) : null),
      h('span.iprice.num', won(it.price)),
      h(
        'button.switch',
        {
          type: 'button',
          role: 'switch',
          'aria-checked': String(it.available),
          'data-action': 'toggle-available',
          title: t('menu.availableHint'),
          onclick: () => run(() => api.patch(`/api/v1/admin/menu-items/${it.id}`, { available: !it.available })),
        },
        h('span.knob'),
        h('span', it.available ? t('menu.onSale') : t('menu.soldOut')),
      ),
      h(
        'div.irow-actions',
        h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('menu.up'), title: t('menu.up'), disabled: i === 0, onclick: () => moveItem(list, i, -1) }, icon('up')),
        h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('menu.down'), title: t('menu.down'), disabled: i === list.length - 1, onclick: () => moveItem(list, i, 1) }, icon('down')),
        h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('common.edit'), title: t('common.edit'), 'data-action': 'edit', onclick: () => editItem(it) }, icon('edit')),
        h('button.small.ghost.icon-btn', { type: 'button', 'aria-label': t('common.delete'), title: t('common.delete'), onclick: () => deleteItem(it) }, icon('trash')),
      ),
    );
  }

  function moveItem(list, i, d) {
    const order = list.slice();
    [order[i], order[i + d]] = [order[i + d], order[i]];
    run(() => api.put('/api/v1/admin/menu-items/order', order.map((it, n) => ({ id: it.id, sort_order: n }))));
  }

  async function deleteItem(it) {
    if (await confirmDialog(t('menu.deleteItemConfirm', { name: it.name }), { ok: t('common.delete'), danger: true }))
      run(() => api.del(`/api/v1/admin/menu-items/${it.id}`));
  }

  async function editItem(it) {
    let id = it ? it.id : null; // set once created, so a failed image upload never creates twice
    const r = await formDialog({
      title: it ? t('menu.editItem') : t('menu.newItem'),
      fields: [
        { name: 'category_id', label: t('menu.category'), type: 'select', value: it ? it.category_id : sel, options: cats.map((c) => [c.id, c.name]) },
        { name: 'name', label: t('menu.name'), value: it?.name, required: true },
        { name: 'price', label: t('menu.price'), type: 'number', min: 0, max: MAX_PRICE, step: 1, value: it?.price, required: true },
        { name: 'description', label: t('menu.description'), type: 'textarea', value: it?.description },
        { name: 'available', label: t('menu.available'), type: 'checkbox', value: it ? it.available : true },
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
        if (v.image && v.image.size > MAX_IMAGE) errs.image = t('v.imageSize');
        if (Object.keys(errs).length) throw fieldError(errs);
        const body = { category_id: Number(v.category_id), name: v.name, price, description: v.description, available: v.available };
        const saved = id ? await api.patch(`/api/v1/admin/menu-items/${id}`, body) : await api.post('/api/v1/admin/menu-items', body);
        id = saved.id;
        if (v.image) {
          try {
            await api.put(`/api/v1/admin/menu-items/${id}/image`, v.image, { headers: { 'Content-Type': v.image.type || 'application/octet-stream' }, timeout: 60000 });
          } catch (e) {
            load();
            throw fieldError({ image: errorText(e) });
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

  return {
    mount(el) {
      root = el;
      el.replaceChildren(h('div.menu-admin', h('aside#cat-panel.panel.mpanel'), h('section#item-panel.panel.mpanel', h('p.empty', t('common.loading')))));
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

// ---------- tables ----------

export function tablesView({ api, state, store }) {
  let root = null;

  function setupUrl(number, password) {
    const q = new URLSearchParams({ store: store(), table: String(number) });
    if (password) q.set('password', password);
    return `${location.origin}/table?${q}`;
  }

  function render() {
    if (!root) return;
    const list = $('#table-list', root);
    if (!state.tables.length) return list.replaceChildren(h('p.empty', t('dash.noTables')));
    list.replaceChildren(
      h(
        'table.ttable',
        h('thead', h('tr', h('th', t('tables.number')), h('th', t('tables.status')), h('th.num', t('history.total')), h('th', ''))),
        h(
          'tbody',
          ...state.tables.map((tb) =>
            h(
              'tr',
              { dataset: { tableId: tb.id } },
              h('td', h('strong', t('dash.tableN', { n: tb.number }))),
              h('td', tb.session ? h('span.status.st-preparing', t('tables.inUse')) : h('span.muted', t('dash.free'))),
              h('td.num', tb.session ? won(tb.session.total) : ''),
              h(
                'td',
                h(
                'div.row-actions',
                h('button.small', { type: 'button', 'data-action': 'setup-link', onclick: () => showLink(tb, '') }, icon('link'), t('tables.link')),
                h('button.small', { type: 'button', onclick: () => resetPassword(tb) }, icon('key'), t('tables.resetPassword')),
                h(
                  'button.small.ghost',
                  { type: 'button', disabled: !!tb.session, title: tb.session ? t('tables.busyDelete') : t('common.delete'), onclick: () => removeTable(tb) },
                  icon('trash'),
                  t('common.delete'),
                ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  async function addTable(e) {
    e.preventDefault();
    const form = e.target;
    clearFieldErrors(form);
    const number = form.elements.number.value.trim();
    const password = form.elements.password.value;
    const errs = {};
    if (!/^\d+$/.test(number) || Number(number) < 1) errs.number = t('v.tableNumber');
    if (!password) errs.password = t('v.required');
    if (Object.keys(errs).length) return showFieldErrors(form, fieldError(errs));
    try {
      const tb = await api.post('/api/v1/admin/tables', { number: Number(number), password });
      form.reset();
      if (!state.tables.some((x) => x.id === tb.id)) state.tables.push({ ...tb, session: null });
      state.tables.sort((a, b) => a.number - b.number);
      render();
      showLink(tb, password);
    } catch (err) {
      showFieldErrors(form, err);
    }
  }

  async function resetPassword(tb) {
    const r = await formDialog({
      title: t('tables.resetTitle', { n: tb.number }),
      fields: [{ name: 'password', label: t('tables.newPassword'), type: 'text', required: true }],
      submit: async (v) => {
        if (!v.password) throw fieldError({ password: t('v.required') });
        await api.patch(`/api/v1/admin/tables/${tb.id}`, { password: v.password });
        return v.password;
      },
    });
    if (r) {
      toast(t('common.saved'), 'ok');
      showLink(tb, r);
    }
  }

  async function removeTable(tb) {
    if (!(await confirmDialog(t('tables.deleteConfirm', { n: tb.number }), { ok: t('common.delete'), danger: true }))) return;
    try {
      await api.del(`/api/v1/admin/tables/${tb.id}`);
      state.tables = state.tables.filter((x) => x.id !== tb.id);
      render();
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  // The tablet's setup link; with the password it configures the tablet in one step.
  function showLink(tb, password) {
    const out = h('input.link-out', { readonly: true, 'aria-label': t('tables.link') });
    const pw = h('input', { value: password, autocomplete: 'off', placeholder: t('tables.passwordOptional') });
    const update = () => (out.value = setupUrl(tb.number, pw.value));
    pw.addEventListener('input', update);
    update();
    const copy = async () => {
      try {
        await navigator.clipboard.writeText(out.value);
      } catch {
        out.select();
        document.execCommand('copy');
      }
      toast(t('tables.copied'), 'ok');
    };
    const print = () => {
      const area = $('#print-area');
      area.replaceChildren(
        h(
          'div.print-card',
          h('h1', t('dash.tableN', { n: tb.number })),
          h('p', t('tables.printHelp')),
          h('p.print-url', out.value),
          h('dl', h('dt', t('setup.store')), h('dd', store()), h('dt', t('setup.table')), h('dd', tb.number)),
        ),
      );
      window.print();
    };
    const dlg = h(
      'dialog.dialog',
      h(
        'div.dialog-body',
        h('h2', t('tables.linkTitle', { n: tb.number })),
        h('p.muted', t('tables.linkHelp')),
        h('label.field', h('span', t('setup.password')), pw),
        h('label.field', h('span', t('tables.link')), out),
        h(
          'div.actions',
          h('button', { type: 'button', onclick: copy }, icon('link'), t('tables.copy')),
          h('button', { type: 'button', onclick: print }, icon('print'), t('tables.print')),
          h('button.primary', { type: 'button', onclick: () => dlg.close() }, t('common.close')),
        ),
      ),
    );
    dlg.addEventListener('close', () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
  }

  return {
    mount(el) {
      root = el;
      el.replaceChildren(
        h(
          'form.toolbar.panel.add-table',
          { novalidate: true, onsubmit: addTable },
          h('h2', t('tables.add')),
          h('label.field', h('span', t('tables.number')), h('input', { name: 'number', type: 'number', min: 1, step: 1, inputmode: 'numeric' })),
          h('label.field', h('span', t('setup.password')), h('input', { name: 'password', autocomplete: 'off' })),
          h('button.primary', { type: 'submit' }, icon('plus'), t('common.add')),
          h('p.form-error'),
        ),
        h('div#table-list.panel.table-list'),
      );
      render();
    },
    unmount() {
      root = null;
    },
    render,
    onEvent: render,
  };
}

// ---------- system ----------

export function systemView({ api }) {
  let root = null;
  let timer = null;

  async function load() {
    if (!root) return;
    try {
      const [sys, backups] = await Promise.all([api.get('/api/v1/admin/system'), api.get('/api/v1/admin/backups')]);
      if (root) render(sys, backups);
    } catch (e) {
      if (root) $('#sys-error', root).textContent = errorText(e);
    }
  }

  function render(s, backups) {
    $('#sys-error', root).textContent = '';
    const stat = (label, value, sub) => h('div.stat.panel', h('span.muted', label), h('strong', value), sub ? h('small.muted', sub) : null);
    $('#sys-stats', root).replaceChildren(
      stat(t('sys.version'), s.version),
      stat(t('sys.uptime'), duration(s.uptime_s)),
      stat(t('sys.db'), bytes(s.db_bytes)),
      stat(t('sys.pool'), `${s.pool.in_use} / ${s.pool.max}`, t('sys.poolDetail', { open: s.pool.open, idle: s.pool.idle })),
      stat(t('sys.sse'), `${s.sse.staff + s.sse.table}`, t('sys.sseDetail', { staff: s.sse.staff, table: s.sse.table })),
      s.sse.events_sent != null ? stat(t('sys.events'), s.sse.events_sent.toLocaleString(), t('sys.dropped', { n: s.sse.dropped_lagging ?? 0 })) : null,
    );
    $('#sys-limits', root).replaceChildren(
      ...Object.entries(s.limits || {}).map(([k, v]) => h('div', h('dt', k), h('dd.num', v === 0 ? '∞' : v.toLocaleString()))),
    );
    const list = (backups || []).slice().sort((a, b) => b.name.localeCompare(a.name));
    $('#sys-backups', root).replaceChildren(
      list.length
        ? h(
            'table.ttable',
            h('thead', h('tr', h('th', t('sys.backupName')), h('th', t('sys.backupTime')), h('th.num', t('sys.backupSize')), h('th', ''))),
            h(
              'tbody',
              ...list.map((b) =>
                h('tr', h('td.mono', b.name), h('td', dateTime(b.created_at)), h('td.num', bytes(b.bytes)), h('td', h('button.small', { type: 'button', onclick: () => download(b.name) }, icon('download'), t('sys.download')))),
              ),
            ),
          )
        : h('p.empty', t('sys.noBackups')),
    );
  }

  async function createBackup(e) {
    const btn = e.currentTarget;
    btn.disabled = true;
    try {
      const b = await api.post('/api/v1/admin/backups', {}, { timeout: 120000 });
      toast(t('sys.backupDone', { name: b.name }), 'ok');
      load();
    } catch (err) {
      toast(errorText(err), 'error');
    } finally {
      btn.disabled = false;
    }
  }

  async function download(name) {
    try {
      const blob = await api.get(`/api/v1/admin/backups/${encodeURIComponent(name)}`, { blob: true, timeout: 300000 });
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  return {
    mount(el) {
      root = el;
      el.replaceChildren(
        h('div.toolbar', h('h2', t('nav.system')), h('span.spacer'), h('button', { type: 'button', onclick: load }, icon('refresh'), t('common.refresh'))),
        h('p#sys-error.form-error'),
        h('div#sys-stats.stats-grid'),
        h(
          'section.panel.sys-section',
          h('header.panel-head', h('h2', t('sys.backups')), h('span.spacer'), h('button.primary', { type: 'button', onclick: createBackup }, icon('plus'), t('sys.backupNow'))),
          h('div#sys-backups'),
        ),
        h('section.panel.sys-section', h('h2', t('sys.limits')), h('dl#sys-limits.limits')),
      );
      load();
      timer = setInterval(load, 10000);
    },
    unmount() {
      root = null;
      clearInterval(timer);
    },
  };
}
