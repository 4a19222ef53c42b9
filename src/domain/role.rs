//! Roles and what each may do (API.md, "Staff accounts, roles, PINs and the audit trail").
//!
//! Every staff route needs one [`Access`] level (the table in `http/roles.rs` says which);
//! a role has it or the route answers 403. Some actions of a server also need a manager's
//! approval PIN; the handlers that do them say when ([`needs_approval`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything: staff accounts, tables and their passwords, backups, updates, settings.
    Owner,
    /// What a server may, plus menu, options, stations, prices, discounts, comps, voids,
    /// refunds, opening and closing the day, history and reports, terminals.
    Manager,
    /// The live board: order status, cancelling a pending order, calls, sold-out toggles,
    /// guest counts, moving and merging tables, bills and payments (not refunds).
    Server,
    /// The kitchen display (tickets, bump, undo) and sold-out toggles.
    Kitchen,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Manager, Role::Server, Role::Kitchen];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Server => "server",
            Role::Kitchen => "kitchen",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role may use a route that needs `access`.
    pub fn may(self, access: Access) -> bool {
        use Role::*;
        match access {
            Access::Staff => true,
            Access::Kitchen => matches!(self, Owner | Manager | Server | Kitchen),
            Access::Floor => matches!(self, Owner | Manager | Server),
            Access::Manager => matches!(self, Owner | Manager),
            Access::Owner => self == Owner,
        }
    }

    /// Whether this role approves what needs a manager (its PIN is an approval PIN).
    pub fn approves(self) -> bool {
        self.may(Access::Manager)
    }
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any staff login (own password, the event stream, the system page, settings to read).
    Staff,
    /// The kitchen display and sold-out toggles: every role.
    Kitchen,
    /// The live board: servers, managers, owners.
    Floor,
    /// Managers and owners.
    Manager,
    /// Owners only.
    Owner,
}

/// Whether `role` needs a manager's approval to cancel an order that is `preparing` (a
/// `pending` order is the server's to cancel).
pub fn needs_approval(role: Role) -> bool {
    !role.approves()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_has_exactly_its_levels() {
        use Access::*;
        let table = [
            (Role::Owner, [true, true, true, true, true]),
            (Role::Manager, [true, true, true, true, false]),
            (Role::Server, [true, true, true, false, false]),
            (Role::Kitchen, [true, true, false, false, false]),
        ];
        for (role, may) in table {
            for (access, expect) in [Staff, Kitchen, Floor, Manager, Owner].into_iter().zip(may) {
                assert_eq!(role.may(access), expect, "{role:?} {access:?}");
            }
        }
        assert!(Role::Manager.approves() && Role::Owner.approves());
        assert!(!Role::Server.approves() && !Role::Kitchen.approves());
    }

    #[test]
    fn roles_read_back_from_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
