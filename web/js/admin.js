// Dashboard: the Tables page — add and remove tables, passwords, setup links and setup QR
// codes (qr-sheet.js). (System: system.js; menu: menu-admin.js, options-admin.js.)
import { h, $, won, icon, toast, errorText, confirmDialog, showFieldErrors, clearFieldErrors } from './ui.js';
import { t } from './i18n.js';
import { formDialog, fieldError } from './forms.js';
import { showSetupCodes } from './qr-sheet.js';

// ---------- tables ----------

// Managers print setup codes and links; adding, removing and passwords are the owner's.
export function tablesView({ api, state, store, storeName, can }) {
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
        'table.ttable.tables-table',
        h('thead', h('tr', h('th', t('tables.number')), h('th', t('tables.status')), h('th.num', t('history.total')), h('th', h('span.sr-only', t('tables.actions'))))),
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
                h('button.small', { type: 'button', 'data-action': 'setup-qr', title: t('tables.qrOne'), onclick: () => showSetupCodes({ api, tableIds: [tb.id], storeName }) }, icon('qr'), t('tables.qr')),
                h('button.small', { type: 'button', 'data-action': 'setup-link', onclick: () => showLink(tb, '') }, icon('link'), t('tables.link')),
                can('owner') ? h('button.small', { type: 'button', onclick: () => resetPassword(tb) }, icon('key'), t('tables.resetPassword')) : null,
                can('owner')
                  ? h(
                      'button.small.ghost',
                      { type: 'button', disabled: !!tb.session, title: tb.session ? t('tables.busyDelete') : t('common.delete'), onclick: () => removeTable(tb) },
                      icon('trash'),
                      t('common.delete'),
                    )
                  : null,
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
      // A taken number is the number's problem; a full store says which limit.
      if (err.code === 'conflict') showFieldErrors(form, fieldError({ number: t('tables.taken', { n: number }) }));
      else showFieldErrors(form, err);
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
      toast(errorText(e, { conflict: t('tables.busyDelete') }), 'error');
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
          'section.panel.qr-panel',
          h('div.qr-panel-text', h('h2', t('tables.qrTitle')), h('p.muted', t('tables.qrHelp'))),
          h('button.primary', { type: 'button', 'data-action': 'print-qr', onclick: () => showSetupCodes({ api, storeName }) }, icon('qr'), t('tables.qrAll')),
        ),
        !can('owner') ? null : h(
          'form.toolbar.panel.add-table',
          { novalidate: true, onsubmit: addTable },
          h('h2', t('tables.add')),
          h('label.field', h('span', t('tables.number')), h('input', { name: 'number', type: 'number', min: 1, step: 1, inputmode: 'numeric' })),
          h('label.field', h('span', t('setup.password')), h('input', { name: 'password', autocomplete: 'off' })),
          h('button.primary', { type: 'submit' }, icon('plus'), t('common.add')),
          h('p.form-error', { role: 'alert' }),
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
