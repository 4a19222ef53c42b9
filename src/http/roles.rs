//! Which role each staff route needs: the one place that says it. The [`AdminUser`]
//! extractor looks the route up here (method and route pattern) and answers 403 when the
//! caller's role lacks the level; a route missing from the table needs an owner (closed by
//! default), and a test checks that every staff route of the OpenAPI document is listed.
//!
//! Some actions of a server need a manager's approval PIN on top (cancelling an order that
//! is being prepared, a discount, a comp, a void): the route lets servers in, and the
//! handler asks for the approval where the contract says so.
//!
//! [`AdminUser`]: crate::http::extract::AdminUser

use crate::domain::Access::{self, Floor, Kitchen, Manager, Owner, Staff};

/// (method, route pattern as the router knows it, what it needs).
pub const ROUTES: &[(&str, &str, Access)] = &[
    // Anyone logged in: their own password, the live stream, the system page, the settings.
    ("POST", "/api/v1/admin/password", Staff),
    ("GET", "/api/v1/admin/events", Staff),
    ("GET", "/api/v1/admin/system", Staff),
    ("GET", "/api/v1/admin/settings", Staff),
    // The kitchen display and sold-out toggles: every role.
    ("GET", "/api/v1/admin/stations", Kitchen),
    ("GET", "/api/v1/admin/stations/{id}/status", Kitchen),
    ("GET", "/api/v1/admin/tickets", Kitchen),
    ("POST", "/api/v1/admin/tickets/{id}/bump", Kitchen),
    ("POST", "/api/v1/admin/tickets/{id}/unbump", Kitchen),
    ("POST", "/api/v1/admin/orders/{id}/reprint", Kitchen),
    ("GET", "/api/v1/admin/categories", Kitchen),
    ("GET", "/api/v1/admin/menu-items", Kitchen),
    ("GET", "/api/v1/admin/option-groups", Kitchen),
    ("PUT", "/api/v1/admin/menu-items/{id}/available", Kitchen),
    ("PUT", "/api/v1/admin/options/{id}/available", Kitchen),
    // The live board.
    ("GET", "/api/v1/admin/tables", Floor),
    ("POST", "/api/v1/admin/tables/{id}/end-session", Floor),
    ("POST", "/api/v1/admin/tables/{id}/move", Floor),
    ("POST", "/api/v1/admin/tables/{id}/merge", Floor),
    ("PATCH", "/api/v1/admin/sessions/{id}", Floor),
    ("GET", "/api/v1/admin/orders", Floor),
    ("PATCH", "/api/v1/admin/orders/{id}", Floor),
    ("DELETE", "/api/v1/admin/orders/{id}", Floor),
    ("POST", "/api/v1/admin/orders/{id}/move", Floor),
    ("GET", "/api/v1/admin/sessions/{id}/check", Floor),
    ("POST", "/api/v1/admin/sessions/{id}/adjustments", Floor),
    ("POST", "/api/v1/admin/sessions/{id}/payments", Floor),
    ("POST", "/api/v1/admin/sessions/{id}/print-bill", Floor),
    ("GET", "/api/v1/admin/days/current", Floor),
    ("GET", "/api/v1/admin/calls", Floor),
    ("POST", "/api/v1/admin/calls/{id}/ack", Floor),
    // Managers: the menu and its prices, stations, history, terminals, the audit trail.
    ("POST", "/api/v1/admin/categories", Manager),
    ("PUT", "/api/v1/admin/categories/order", Manager),
    ("PATCH", "/api/v1/admin/categories/{id}", Manager),
    ("DELETE", "/api/v1/admin/categories/{id}", Manager),
    ("POST", "/api/v1/admin/menu-items", Manager),
    ("PUT", "/api/v1/admin/menu-items/order", Manager),
    ("PATCH", "/api/v1/admin/menu-items/{id}", Manager),
    ("DELETE", "/api/v1/admin/menu-items/{id}", Manager),
    ("PUT", "/api/v1/admin/menu-items/{id}/image", Manager),
    ("POST", "/api/v1/admin/option-groups", Manager),
    ("PUT", "/api/v1/admin/option-groups/order", Manager),
    ("PATCH", "/api/v1/admin/option-groups/{id}", Manager),
    ("DELETE", "/api/v1/admin/option-groups/{id}", Manager),
    ("POST", "/api/v1/admin/option-groups/{id}/options", Manager),
    ("PUT", "/api/v1/admin/option-groups/{id}/options/order", Manager),
    ("PATCH", "/api/v1/admin/options/{id}", Manager),
    ("DELETE", "/api/v1/admin/options/{id}", Manager),
    ("POST", "/api/v1/admin/stations", Manager),
    ("PUT", "/api/v1/admin/stations/order", Manager),
    ("PATCH", "/api/v1/admin/stations/{id}", Manager),
    ("DELETE", "/api/v1/admin/stations/{id}", Manager),
    ("POST", "/api/v1/admin/stations/{id}/test-print", Manager),
    ("POST", "/api/v1/admin/tables/setup-codes", Manager),
    ("GET", "/api/v1/admin/history", Manager),
    ("GET", "/api/v1/admin/terminals", Manager),
    ("POST", "/api/v1/admin/terminals", Manager),
    ("DELETE", "/api/v1/admin/terminals/{id}", Manager),
    ("POST", "/api/v1/admin/terminals/{id}/unlock", Manager),
    ("GET", "/api/v1/admin/audit", Manager),
    ("GET", "/api/v1/admin/login-locks", Manager),
    ("DELETE", "/api/v1/admin/adjustments/{id}", Manager),
    ("POST", "/api/v1/admin/payments/{id}/refund", Manager),
    ("POST", "/api/v1/admin/days/open", Manager),
    ("POST", "/api/v1/admin/days/close", Manager),
    ("GET", "/api/v1/admin/days", Manager),
    ("GET", "/api/v1/admin/days/{id}/report", Manager),
    ("POST", "/api/v1/admin/days/{id}/print", Manager),
    // Owners: staff accounts, tables and their passwords, backups, settings.
    ("GET", "/api/v1/admin/staff", Owner),
    ("POST", "/api/v1/admin/staff", Owner),
    ("PATCH", "/api/v1/admin/staff/{id}", Owner),
    ("POST", "/api/v1/admin/tables", Owner),
    ("PATCH", "/api/v1/admin/tables/{id}", Owner),
    ("DELETE", "/api/v1/admin/tables/{id}", Owner),
    ("GET", "/api/v1/admin/system/update", Owner),
    ("POST", "/api/v1/admin/system/update", Owner),
    ("POST", "/api/v1/admin/system/update/rollback", Owner),
    ("GET", "/api/v1/admin/backups", Owner),
    ("POST", "/api/v1/admin/backups", Owner),
    ("GET", "/api/v1/admin/backups/{name}", Owner),
    ("PATCH", "/api/v1/admin/settings", Owner),
];

/// What a route needs; `None` for a route not in the table (then only owners pass).
pub fn required(method: &str, route: &str) -> Option<Access> {
    ROUTES.iter().find(|(m, r, _)| *m == method && *r == route).map(|(_, _, a)| *a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_staff_route_of_the_api_is_in_the_table_once() {
        let (_, doc) = crate::http::api().split_for_parts();
        let mut missing = Vec::new();
        for (path, item) in doc.paths.paths.iter().filter(|(p, _)| p.starts_with("/api/v1/admin/")) {
            let methods = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ];
            for (m, present) in methods {
                if present && required(m, path).is_none() {
                    missing.push(format!("{m} {path}"));
                }
            }
        }
        assert!(missing.is_empty(), "staff routes without a role in http/roles.rs: {missing:?}");
        for (i, (m, r, _)) in ROUTES.iter().enumerate() {
            assert!(!ROUTES[i + 1..].iter().any(|(m2, r2, _)| m2 == m && r2 == r), "{m} {r} listed twice");
        }
    }
}
