// Dashboard: staff accounts (owner) — who works here, their role and PIN: add, edit the
// display name, role, password or PIN, stop and restart an account. The tabs above it lead
// to the terminals (terminals-admin.js).
import { h, $, icon, toast, errorText, confirmDialog } from './ui.js';
import { t } from './i18n.js';
import { formDialog, fieldError } from './forms.js';
import { ROLES, roleName } from './roles.js';
import { validPin, PIN_MIN, PIN_MAX } from './pinpad.js';

const NAME_MAX = 50;
const USER_MAX = 64;
const PASSWORD_MIN = 8;
const PASSWORD_MAX = 128;

// The tabs of the staff pages; a manager sees only the terminals.
export function staffTabs(active, can) {
  const tab = (view, label) => h('a', { href: '#' + view, class: active === view ? 'active' : '', 'aria-current': active === view ? 'page' : null }, label);
  return h('nav.subnav', { 'aria-label': t('nav.staff') }, can('owner') ? tab('staff', t('people.title')) : null, tab('terminals', t('term.title')));
}

export const roleChip = (role) => h('span.role-chip', { class: 'role-' + role, dataset: { role } }, roleName(role));
const shownName = (s) => s.display_name || s.username;

// The role picker with a line on what each role may do.
function roleField(value) {
  const select = h('select', { name: 'role' }, ...ROLES.map((r) => h('option', { value: r, selected: r === value }, roleName(r))));
  const el = h(
    'div.field.role-field',
    h('label.field', h('span', t('people.role')), select),
    h('dl.role-guide', ...ROLES.flatMap((r) => [h('dt', roleName(r)), h('dd', t('people.can.' + r))])),
  );
  return { name: 'role', type: 'custom', el, read: () => select.value };
}

export function peopleView({ api, login, can }) {
  let root = null;
  let staff = [];

  async function load() {
    try {
      staff = await api.get('/api/v1/admin/staff');
      render();
    } catch (e) {
      if (root) $('#people-list', root).replaceChildren(h('p.form-error', { role: 'alert' }, errorText(e)));
    }
  }

  function render() {
    if (!root) return;
    const me = login.auth()?.staff_id;
    const list = $('#people-list', root);
    if (!staff.length) return list.replaceChildren(h('p.empty', t('common.loading')));
    list.replaceChildren(
      h(
        'table.ttable.people-table',
        h('thead', h('tr', h('th', t('people.name')), h('th', t('people.role')), h('th', t('people.pin')), h('th', t('people.state')), h('th', h('span.sr-only', t('tables.actions'))))),
        h(
          'tbody',
          ...staff.map((s) =>
            h(
              'tr',
              { class: s.active ? '' : 'inactive', dataset: { staffId: s.id, username: s.username } },
              h(
                'td.people-name',
                h('strong', shownName(s)),
                s.id === me ? h('span.me-chip', t('people.me')) : null,
                h('small.mono.muted', s.username),
              ),
              h('td', roleChip(s.role)),
              h('td', s.has_pin ? h('span.pin-state.on', icon('key'), t('people.pinSet')) : h('span.muted', t('people.pinNone'))),
              h('td', s.active ? h('span.status.st-completed', t('people.active')) : h('span.status.st-cancelled', t('people.inactive'))),
              h(
                'td',
                h(
                  'div.row-actions',
                  h('button.small', { type: 'button', 'data-action': 'edit-staff', onclick: () => edit(s) }, icon('edit'), t('common.edit')),
                  s.active
                    ? h('button.small.ghost', { type: 'button', 'data-action': 'deactivate', onclick: () => setActive(s, false) }, t('people.deactivate'))
                    : h('button.small', { type: 'button', 'data-action': 'activate', onclick: () => setActive(s, true) }, t('people.activate')),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  // What the browser can say before asking the box; errs is filled by field name.
  function check(v, { creating }) {
    const errs = {};
    if (creating) {
      if (!v.username) errs.username = t('v.required');
      else if (v.username.length > USER_MAX) errs.username = t('reason.maxChars', { n: USER_MAX });
      else if (staff.some((s) => s.username === v.username)) errs.username = t('people.usernameTaken');
    }
    if (v.display_name.length > NAME_MAX) errs.display_name = t('reason.maxChars', { n: NAME_MAX });
    if (creating || v.password) {
      if (!v.password) errs.password = t('v.required');
      else if (v.password.length < PASSWORD_MIN || v.password.length > PASSWORD_MAX) errs.password = t('reason.chars', { min: PASSWORD_MIN, max: PASSWORD_MAX });
    }
    if (v.pin && !validPin(v.pin)) errs.pin = t('reason.digits', { min: PIN_MIN, max: PIN_MAX });
    if (Object.keys(errs).length) throw fieldError(errs);
  }

  async function add() {
    const r = await formDialog({
      title: t('people.add'),
      fields: [
        { name: 'username', label: t('people.username'), required: true, maxlength: USER_MAX, hint: t('people.usernameHint') },
        { name: 'display_name', label: t('people.displayName'), maxlength: NAME_MAX, hint: t('people.displayNameHint') },
        roleField('server'),
        { name: 'password', label: t('people.password'), type: 'password', required: true, hint: t('people.passwordHint') },
        { name: 'pin', label: t('people.pinOptional'), maxlength: PIN_MAX, hint: t('people.pinHint') },
      ],
      submitText: t('people.addOk'),
      submit: async (v) => {
        check(v, { creating: true });
        const body = { username: v.username, role: v.role, password: v.password };
        if (v.display_name) body.display_name = v.display_name;
        if (v.pin) body.pin = v.pin;
        try {
          return await api.post('/api/v1/admin/staff', body);
        } catch (e) {
          // Taken: the username when someone has it, else the PIN (unique among active staff).
          if (e.code === 'conflict') throw fieldError(v.pin ? { pin: t('people.pinTaken') } : { username: t('people.usernameTaken') });
          throw e;
        }
      },
    });
    if (r) {
      toast(t('people.added', { name: shownName(r) }), 'ok');
      load();
    }
  }

  async function edit(s) {
    const fields = [
      { name: 'display_name', label: t('people.displayName'), value: s.display_name, maxlength: NAME_MAX, hint: t('people.displayNameHint') },
      roleField(s.role),
      { name: 'password', label: t('people.newPassword'), type: 'password', hint: t('people.keepHint') },
      { name: 'pin', label: s.has_pin ? t('people.newPin') : t('people.pinOptional'), maxlength: PIN_MAX, hint: s.has_pin ? t('people.keepHint') : t('people.pinHint') },
    ];
    if (s.has_pin) fields.push({ name: 'remove_pin', label: t('people.removePin'), type: 'checkbox' });
    const r = await formDialog({
      title: t('people.edit', { name: shownName(s) }),
      fields,
      submit: async (v) => {
        check(v, { creating: false });
        const body = {};
        if (v.display_name !== s.display_name) body.display_name = v.display_name;
        if (v.role !== s.role) body.role = v.role;
        if (v.password) body.password = v.password;
        if (v.remove_pin) body.pin = null;
        else if (v.pin) body.pin = v.pin;
        if (!Object.keys(body).length) return s;
        try {
          return await api.patch(`/api/v1/admin/staff/${s.id}`, body);
        } catch (e) {
          if (e.code === 'conflict') {
            if (body.role && s.role === 'owner') throw fieldError({ role: t('people.lastOwner') });
            throw fieldError({ pin: t('people.pinTaken') });
          }
          throw e;
        }
      },
    });
    if (r) {
      toast(t('common.saved'), 'ok');
      load();
    }
  }

  async function setActive(s, active) {
    const ok = await confirmDialog(t(active ? 'people.activateConfirm' : 'people.deactivateConfirm', { name: shownName(s) }), {
      ok: active ? t('people.activate') : t('people.deactivate'),
      danger: !active,
      detail: active ? '' : t('people.deactivateDetail'),
    });
    if (!ok) return;
    try {
      await api.patch(`/api/v1/admin/staff/${s.id}`, { active });
      toast(t(active ? 'people.activated' : 'people.deactivated', { name: shownName(s) }), 'ok');
    } catch (e) {
      toast(errorText(e, { conflict: active ? t('people.pinTakenReactivate') : t('people.lastOwner') }), 'error');
    }
    load();
  }

  return {
    mount(el) {
      root = el;
      el.replaceChildren(
        staffTabs('staff', can),
        h(
          'div.toolbar.people-toolbar',
          h('div.st-intro', h('h2', t('people.title')), h('p.muted', t('people.help'))),
          h('button.primary', { type: 'button', 'data-action': 'add-staff', onclick: add }, icon('plus'), t('people.add')),
        ),
        h('div#people-list.panel.table-list', h('p.empty', t('common.loading'))),
      );
      load();
    },
    unmount() {
      root = null;
    },
  };
}
