// What each staff role may do, as the apps see it: the box's table (src/http/roles.rs) in
// four levels. The apps hide what a role may not use; the box refuses it anyway (403).
//   kitchen: the kitchen display and sold-out toggles (every role)
//   floor:   the live board (server, manager, owner)
//   manager: menu, history, terminals, the audit trail (manager, owner)
//   owner:   staff accounts, tables, backups, settings
import { t } from './i18n.js';

export const ROLES = ['owner', 'manager', 'server', 'kitchen'];
const RANK = { kitchen: 0, server: 1, manager: 2, owner: 3 };
const NEEDS = { kitchen: 0, floor: 1, manager: 2, owner: 3 };

// A login kept from before roles existed has none: the box counts its token as an owner's.
export const roleOf = (auth) => (auth && RANK[auth.role] != null ? auth.role : 'owner');
export const can = (role, level) => (RANK[role] ?? 3) >= NEEDS[level];
export const roleName = (role) => t('role.' + role);
