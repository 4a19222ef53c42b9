//! Reordering a list in one atomic change: categories, menu items, option groups, the
//! options of a group, stations. Every id must be the store's (and the group's), or nothing
//! changes (404); the list's one event tells every dashboard.

use crate::db::writer::WriteCtx;
use crate::error::{AppError, AppResult};
use rusqlite::params;
use serde_json::json;

/// What is being put in order.
#[derive(Debug, Clone, Copy)]
pub enum Sorted {
    Categories,
    Items,
    OptionGroups,
    /// The options of one group.
    Options {
        group_id: i64,
    },
    Stations,
}

impl Sorted {
    /// (table, what follows `SET sort_order = ?3` and `WHERE store_id = ?1 AND id = ?2`,
    /// using ?4 when there is a fourth parameter; the thing's name for a 404; the change)
    fn parts(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Sorted::Categories => ("categories", "", "category", "categories_reordered"),
            // Items carry their own change time.
            Sorted::Items => {
                ("menu_items", ", updated_at = ?4 WHERE store_id = ?1 AND id = ?2", "menu item", "items_reordered")
            }
            Sorted::OptionGroups => ("option_groups", "", "option group", "option_groups_reordered"),
            Sorted::Options { .. } => {
                ("options", " WHERE store_id = ?1 AND id = ?2 AND group_id = ?4", "option", "options_reordered")
            }
            Sorted::Stations => {
                ("stations", " WHERE store_id = ?1 AND id = ?2 AND deleted_at IS NULL", "station", "stations_reordered")
            }
        }
    }
}

/// Sets `sort_order` for each `(id, sort_order)`; one `menu_changed` (the menu's order, and
/// for stations which one is the store's first, where unrouted lines print).
pub fn reorder(ctx: &mut WriteCtx, store_id: &str, what: Sorted, order: &[(i64, i64)]) -> AppResult<()> {
    let (table, rest, name, change) = what.parts();
    let rest = if rest.is_empty() { " WHERE store_id = ?1 AND id = ?2" } else { rest };
    let fourth = match what {
        Sorted::Options { group_id } => {
            crate::db::options::group(ctx.conn, store_id, group_id)?;
            Some(group_id)
        }
        Sorted::Items => Some(ctx.now_ms),
        _ => None,
    };
    let mut stmt = ctx.conn.prepare_cached(&format!("UPDATE {table} SET sort_order = ?3{rest}"))?;
    for (id, sort) in order {
        let n = match fourth {
            Some(v) => stmt.execute(params![store_id, id, sort, v])?,
            None => stmt.execute(params![store_id, id, sort])?,
        };
        if n == 0 {
            return Err(AppError::NotFound(name));
        }
    }
    drop(stmt);
    let detail = match what {
        Sorted::Options { group_id } => json!({ "change": change, "option_group_id": group_id }),
        _ => json!({ "change": change }),
    };
    crate::db::menu::changed(ctx, store_id, detail)?;
    Ok(())
}
