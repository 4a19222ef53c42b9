// Dashboard: shared terminals (manager and owner) — the counter PC, the kitchen tablet: this
// browser made one (its token kept in localStorage, shown nowhere), the store's terminals
// with who made them, locked ones unlocked, any revoked.
import { h, $, dateTime, icon, toast, errorText, confirmDialog } from './ui.js';
import { t } from './i18n.js';
import { formDialog, fieldError } from './forms.js';
import { staffTabs } from './people-admin.js';

const NAME_MAX = 50;

// onTerminal(): this browser became a terminal or stopped being one (the top bar follows).
export function terminalsView({ api, login, can, onTerminal = () => {} }) {
  let root = null;
  let list = null; // null while the first answer is awaited

  async function load() {
    try {
      list = await api.get('/api/v1/admin/terminals');
      // Revoked elsewhere: this browser is no terminal any more.
      const mine = login.terminal();
      if (mine && mine.store_id === login.auth()?.store_id && !list.some((x) => x.id === mine.id)) forget();
      render();
    } catch (e) {
      if (root) $('#term-list', root).replaceChildren(h('p.form-error', { role: 'alert' }, errorText(e)));
    }
  }

  function forget() {
    login.setTerminal(null);
    onTerminal();
  }

  function render() {
    if (!root) return;
    const mine = login.terminal();
    const idle = login.auth()?.settings?.pin_idle_minutes || 5;
    $('#term-this', root).replaceChildren(
      mine
        ? h(
            'div.term-this.is-terminal',
            h('span.term-icon', icon('terminal')),
            h(
              'div.term-text',
              h('strong', t('term.thisIs', { name: mine.name })),
              h('p.muted', t('term.thisHelp', { n: idle })),
            ),
            h('button', { type: 'button', 'data-action': 'forget-terminal', onclick: () => revoke((list || []).find((x) => x.id === mine.id) || mine, true) }, icon('x'), t('term.unregister')),
          )
        : h(
            'div.term-this',
            h('span.term-icon', icon('terminal')),
            h('div.term-text', h('strong', t('term.notYet')), h('p.muted', t('term.registerHelp'))),
            h('button.primary', { type: 'button', 'data-action': 'register-terminal', onclick: register }, icon('plus'), t('term.register')),
          ),
    );
    const box = $('#term-list', root);
    if (!list) return box.replaceChildren(h('p.empty', t('common.loading')));
    if (!list.length) return box.replaceChildren(h('p.empty', t('term.none')));
    box.replaceChildren(
      h(
        'table.ttable.term-table',
        h('thead', h('tr', h('th', t('term.name')), h('th', t('term.made')), h('th', t('term.state')), h('th', h('span.sr-only', t('tables.actions'))))),
        h(
          'tbody',
          ...list.map((x) =>
            h(
              'tr',
              { class: x.locked ? 'locked' : '', dataset: { terminalId: x.id, locked: String(x.locked) } },
              h('td', h('strong', x.name), mine && mine.id === x.id ? h('span.me-chip', t('term.thisBrowser')) : null),
              h('td', h('span', dateTime(x.created_at)), h('small.muted.term-by', t('term.by', { name: x.created_by }))),
              h(
                'td',
                x.locked
                  ? h('span.status.term-locked', icon('lock'), t('term.locked'))
                  : h('span.status.st-completed', t('term.ok')),
                !x.locked && x.failed_pins ? h('small.muted.term-fails', t('term.fails', { n: x.failed_pins })) : null,
              ),
              h(
                'td',
                h(
                  'div.row-actions',
                  x.locked ? h('button.small.primary', { type: 'button', 'data-action': 'unlock', onclick: () => unlock(x) }, icon('key'), t('term.unlock')) : null,
                  h('button.small.ghost', { type: 'button', 'data-action': 'revoke', onclick: () => revoke(x, false) }, icon('trash'), t('term.revoke')),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  // This browser becomes a terminal: its token is kept here and never shown.
  async function register() {
    const r = await formDialog({
      title: t('term.register'),
      fields: [{ name: 'name', label: t('term.name'), required: true, maxlength: NAME_MAX, hint: t('term.nameHint') }],
      submitText: t('term.registerOk'),
      submit: (v) => {
        if (!v.name) throw fieldError({ name: t('v.required') });
        return api.post('/api/v1/admin/terminals', { name: v.name });
      },
    });
    if (!r) return;
    login.setTerminal({ id: r.id, name: r.name, token: r.terminal_token, store_id: login.auth()?.store_id });
    onTerminal();
    toast(t('term.registered', { name: r.name }), 'ok', 6000);
    load();
  }

  async function unlock(x) {
    try {
      await api.post(`/api/v1/admin/terminals/${x.id}/unlock`, {});
      toast(t('term.unlocked', { name: x.name }), 'ok');
    } catch (e) {
      toast(errorText(e), 'error');
    }
    load();
  }

  // Revoked: its token opens nothing any more; when it is this browser, it forgets it too.
  async function revoke(x, here) {
    const mine = login.terminal();
    const isMine = !!mine && mine.id === x.id;
    const ok = await confirmDialog(t(here ? 'term.unregisterConfirm' : 'term.revokeConfirm', { name: x.name }), {
      ok: here ? t('term.unregister') : t('term.revoke'),
      danger: true,
      detail: isMine ? t('term.revokeMine') : t('term.revokeDetail'),
    });
    if (!ok) return;
    try {
      await api.del(`/api/v1/admin/terminals/${x.id}`);
    } catch (e) {
      // Gone already: nothing to revoke; anything else stops here.
      if (e.code !== 'not_found') {
        toast(errorText(e), 'error');
        return load();
      }
    }
    if (isMine) forget();
    toast(t('term.revoked', { name: x.name }), 'ok');
    load();
  }

  return {
    mount(el) {
      root = el;
      list = null;
      el.replaceChildren(
        staffTabs('terminals', can),
        h('div.toolbar', h('div.st-intro', h('h2', t('term.title')), h('p.muted', t('term.help')))),
        h('section#term-this.panel.term-panel'),
        h('div#term-list.panel.table-list', h('p.empty', t('common.loading'))),
      );
      render();
      load();
    },
    unmount() {
      root = null;
    },
  };
}
