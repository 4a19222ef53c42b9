//! Option groups (맵기, 곱빼기, drink sizes) and their options; which items offer which
//! groups; and the checks and prices of the options chosen on an order line.
//!
//! Every change goes through [`crate::db::menu::changed`]: the menu version moves on,
//! `menu_changed` is recorded and the cached guest menus (every language) are dropped.

use crate::db::menu::changed;
use crate::db::writer::WriteCtx;
use crate::error::{AppError, AppResult};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct OptionDto {
    pub id: i64,
    pub name: String,
    pub price_delta: i64,
    pub available: bool,
    pub sort_order: i64,
    /// `{"en": {"name"}, "ja": {…}, "zh": {…}}`
    #[schema(value_type = Object)]
    pub translations: Value,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct GroupDto {
    pub id: i64,
    pub name: String,
    /// Fewest options a guest must choose (0: optional).
    pub min: i64,
    /// Most options a guest may choose.
    pub max: i64,
    pub sort_order: i64,
    #[schema(value_type = Object)]
    pub translations: Value,
    pub options: Vec<OptionDto>,
}

/// Limits per store (configurable; 0 = none).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub groups: u64,
    pub options_per_group: u64,
}

pub fn parse_translations(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| json!({}))
}

fn option_row(r: &rusqlite::Row) -> rusqlite::Result<(i64, OptionDto)> {
    Ok((
        r.get(0)?,
        OptionDto {
            id: r.get(1)?,
            name: r.get(2)?,
            price_delta: r.get(3)?,
            available: r.get::<_, i64>(4)? != 0,
            sort_order: r.get(5)?,
            translations: parse_translations(&r.get::<_, String>(6)?),
        },
    ))
}

/// Every group of the store with its options, in their order.
pub fn groups(conn: &Connection, store_id: &str) -> AppResult<Vec<GroupDto>> {
    let mut groups: Vec<GroupDto> = conn
        .prepare_cached(
            "SELECT id, name, min_choices, max_choices, sort_order, translations FROM option_groups
             WHERE store_id = ?1 ORDER BY sort_order, id",
        )?
        .query_map([store_id], |r| {
            Ok(GroupDto {
                id: r.get(0)?,
                name: r.get(1)?,
                min: r.get(2)?,
                max: r.get(3)?,
                sort_order: r.get(4)?,
                translations: parse_translations(&r.get::<_, String>(5)?),
                options: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut by_group: HashMap<i64, Vec<OptionDto>> = HashMap::new();
    let rows = conn
        .prepare_cached(
            "SELECT group_id, id, name, price_delta, available, sort_order, translations FROM options
             WHERE store_id = ?1 ORDER BY group_id, sort_order, id",
        )?
        .query_map([store_id], option_row)?
        .collect::<Result<Vec<_>, _>>()?;
    for (g, o) in rows {
        by_group.entry(g).or_default().push(o);
    }
    for g in &mut groups {
        g.options = by_group.remove(&g.id).unwrap_or_default();
    }
    Ok(groups)
}

pub fn group(conn: &Connection, store_id: &str, id: i64) -> AppResult<GroupDto> {
    let mut g: GroupDto = conn
        .prepare_cached(
            "SELECT id, name, min_choices, max_choices, sort_order, translations FROM option_groups
             WHERE store_id = ?1 AND id = ?2",
        )?
        .query_row(params![store_id, id], |r| {
            Ok(GroupDto {
                id: r.get(0)?,
                name: r.get(1)?,
                min: r.get(2)?,
                max: r.get(3)?,
                sort_order: r.get(4)?,
                translations: parse_translations(&r.get::<_, String>(5)?),
                options: Vec::new(),
            })
        })
        .optional()?
        .ok_or(AppError::NotFound("option group"))?;
    g.options = conn
        .prepare_cached(
            "SELECT group_id, id, name, price_delta, available, sort_order, translations FROM options
             WHERE store_id = ?1 AND group_id = ?2 ORDER BY sort_order, id",
        )?
        .query_map(params![store_id, id], option_row)?
        .map(|r| r.map(|(_, o)| o))
        .collect::<Result<_, _>>()?;
    Ok(g)
}

/// A new option, checked.
#[derive(Debug, Clone)]
pub struct NewOption {
    pub name: String,
    pub price_delta: i64,
    pub available: bool,
    pub sort_order: Option<i64>,
    pub translations: String,
}

/// Fields of a group; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct GroupFields {
    pub name: Option<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub sort_order: Option<i64>,
    pub translations: Option<String>,
}

/// `0 ≤ min ≤ max ≤ options`, `max ≥ 1`, as per-field errors.
fn check_bounds(min: i64, max: i64, options: usize) -> AppResult<()> {
    let mut e = BTreeMap::new();
    if max < 1 {
        e.insert("max".to_string(), "must be at least 1".to_string());
    } else if max as usize > options {
        e.insert("max".to_string(), format!("must not exceed the number of options ({options})"));
    }
    if min < 0 {
        e.insert("min".to_string(), "must not be negative".to_string());
    } else if min > max {
        e.insert("min".to_string(), "must not exceed max".to_string());
    }
    if e.is_empty() { Ok(()) } else { Err(AppError::Validation(e)) }
}

fn insert_option(ctx: &WriteCtx, store_id: &str, group_id: i64, o: &NewOption, sort: i64) -> AppResult<i64> {
    ctx.conn.execute(
        "INSERT INTO options (store_id, group_id, name, price_delta, available, sort_order, translations, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            store_id,
            group_id,
            o.name,
            o.price_delta,
            o.available,
            o.sort_order.unwrap_or(sort),
            o.translations,
            ctx.now_ms
        ],
    )?;
    Ok(ctx.conn.last_insert_rowid())
}

pub fn create_group(
    ctx: &mut WriteCtx,
    store_id: &str,
    f: &GroupFields,
    options: &[NewOption],
    limits: Limits,
) -> AppResult<GroupDto> {
    let name = f.name.as_deref().ok_or_else(|| AppError::validation("name", "is required"))?;
    if options.is_empty() {
        return Err(AppError::validation("options", "needs at least one option"));
    }
    if limits.options_per_group > 0 && options.len() as u64 > limits.options_per_group {
        return Err(AppError::LimitReached { limit: "max_options_per_group", value: limits.options_per_group });
    }
    let (min, max) = (f.min.unwrap_or(0), f.max.unwrap_or(1));
    check_bounds(min, max, options.len())?;
    let (count, next): (i64, i64) = ctx.conn.query_row(
        "SELECT count(*), coalesce(max(sort_order) + 1, 0) FROM option_groups WHERE store_id = ?1",
        [store_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if limits.groups > 0 && count as u64 >= limits.groups {
        return Err(AppError::LimitReached { limit: "max_option_groups", value: limits.groups });
    }
    ctx.conn.execute(
        "INSERT INTO option_groups (store_id, name, min_choices, max_choices, sort_order, translations, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            store_id,
            name,
            min,
            max,
            f.sort_order.unwrap_or(next.min(1_000_000)),
            f.translations.as_deref().unwrap_or("{}"),
            ctx.now_ms
        ],
    )?;
    let id = ctx.conn.last_insert_rowid();
    for (i, o) in options.iter().enumerate() {
        insert_option(ctx, store_id, id, o, i as i64)?;
    }
    let g = group(ctx.conn, store_id, id)?;
    changed(ctx, store_id, json!({ "change": "option_group_created", "option_group": g }))?;
    Ok(g)
}

pub fn update_group(ctx: &mut WriteCtx, store_id: &str, id: i64, f: &GroupFields) -> AppResult<GroupDto> {
    let before = group(ctx.conn, store_id, id)?;
    let (min, max) = (f.min.unwrap_or(before.min), f.max.unwrap_or(before.max));
    check_bounds(min, max, before.options.len())?;
    ctx.conn.execute(
        "UPDATE option_groups SET name = coalesce(?3, name), min_choices = ?4, max_choices = ?5,
             sort_order = coalesce(?6, sort_order), translations = coalesce(?7, translations)
         WHERE store_id = ?1 AND id = ?2",
        params![store_id, id, f.name, min, max, f.sort_order, f.translations],
    )?;
    let g = group(ctx.conn, store_id, id)?;
    changed(ctx, store_id, json!({ "change": "option_group_updated", "option_group": g }))?;
    Ok(g)
}

/// Deletes a group: it is detached from every item (past orders keep their copies).
pub fn delete_group(ctx: &mut WriteCtx, store_id: &str, id: i64) -> AppResult<()> {
    group(ctx.conn, store_id, id)?;
    ctx.conn.execute("DELETE FROM item_option_groups WHERE store_id = ?1 AND group_id = ?2", params![store_id, id])?;
    ctx.conn.execute("DELETE FROM options WHERE store_id = ?1 AND group_id = ?2", params![store_id, id])?;
    ctx.conn.execute("DELETE FROM option_groups WHERE store_id = ?1 AND id = ?2", params![store_id, id])?;
    changed(ctx, store_id, json!({ "change": "option_group_deleted", "option_group_id": id }))?;
    Ok(())
}

pub fn add_option(
    ctx: &mut WriteCtx,
    store_id: &str,
    group_id: i64,
    o: &NewOption,
    limits: Limits,
) -> AppResult<GroupDto> {
    let g = group(ctx.conn, store_id, group_id)?;
    if limits.options_per_group > 0 && g.options.len() as u64 >= limits.options_per_group {
        return Err(AppError::LimitReached { limit: "max_options_per_group", value: limits.options_per_group });
    }
    let next = g.options.iter().map(|o| o.sort_order + 1).max().unwrap_or(0).min(1_000_000);
    insert_option(ctx, store_id, group_id, o, next)?;
    let g = group(ctx.conn, store_id, group_id)?;
    changed(ctx, store_id, json!({ "change": "option_group_updated", "option_group": g }))?;
    Ok(g)
}

/// Fields of an option; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct OptionFields {
    pub name: Option<String>,
    pub price_delta: Option<i64>,
    pub available: Option<bool>,
    pub sort_order: Option<i64>,
    pub translations: Option<String>,
}

pub fn group_of_option(conn: &Connection, store_id: &str, id: i64) -> AppResult<i64> {
    conn.prepare_cached("SELECT group_id FROM options WHERE store_id = ?1 AND id = ?2")?
        .query_row(params![store_id, id], |r| r.get(0))
        .optional()?
        .ok_or(AppError::NotFound("option"))
}

pub fn update_option(ctx: &mut WriteCtx, store_id: &str, id: i64, f: &OptionFields) -> AppResult<GroupDto> {
    let group_id = group_of_option(ctx.conn, store_id, id)?;
    ctx.conn.execute(
        "UPDATE options SET name = coalesce(?3, name), price_delta = coalesce(?4, price_delta),
             available = coalesce(?5, available), sort_order = coalesce(?6, sort_order),
             translations = coalesce(?7, translations)
         WHERE store_id = ?1 AND id = ?2",
        params![store_id, id, f.name, f.price_delta, f.available, f.sort_order, f.translations],
    )?;
    let g = group(ctx.conn, store_id, group_id)?;
    changed(ctx, store_id, json!({ "change": "option_updated", "option_group": g, "option_id": id }))?;
    Ok(g)
}

/// Deletes an option. The group's bounds shrink with it when needed; the last option of a
/// group cannot go (delete the group instead).
pub fn delete_option(ctx: &mut WriteCtx, store_id: &str, id: i64) -> AppResult<()> {
    let group_id = group_of_option(ctx.conn, store_id, id)?;
    let g = group(ctx.conn, store_id, group_id)?;
    let left = g.options.len() as i64 - 1;
    if left < 1 {
        return Err(AppError::Conflict("the last option of a group cannot be deleted; delete the group".into()));
    }
    ctx.conn.execute("DELETE FROM options WHERE store_id = ?1 AND id = ?2", params![store_id, id])?;
    let max = g.max.min(left);
    ctx.conn.execute(
        "UPDATE option_groups SET max_choices = ?3, min_choices = min(min_choices, ?3) WHERE store_id = ?1 AND id = ?2",
        params![store_id, group_id, max],
    )?;
    let g = group(ctx.conn, store_id, group_id)?;
    changed(ctx, store_id, json!({ "change": "option_deleted", "option_group": g, "option_id": id }))?;
    Ok(())
}

/// The groups an item offers, in order.
pub fn item_group_ids(conn: &Connection, store_id: &str, item_id: i64) -> rusqlite::Result<Vec<i64>> {
    conn.prepare_cached(
        "SELECT group_id FROM item_option_groups WHERE store_id = ?1 AND menu_item_id = ?2 ORDER BY sort_order",
    )?
    .query_map(params![store_id, item_id], |r| r.get(0))?
    .collect()
}

/// Every item's groups, in order (item id → group ids).
pub fn all_item_group_ids(conn: &Connection, store_id: &str) -> rusqlite::Result<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT menu_item_id, group_id FROM item_option_groups WHERE store_id = ?1 ORDER BY menu_item_id, sort_order",
    )?;
    let rows = stmt.query_map([store_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (item, g) = row?;
        out.entry(item).or_default().push(g);
    }
    Ok(out)
}

/// Attaches `group_ids` to an item in that order, replacing what it had. Ids that are
/// not groups of this store answer 422 on `option_group_ids`.
pub fn set_item_groups(conn: &Connection, store_id: &str, item_id: i64, group_ids: &[i64]) -> AppResult<()> {
    let mut seen = std::collections::HashSet::new();
    for g in group_ids {
        if !seen.insert(*g) {
            return Err(AppError::validation("option_group_ids", format!("option group {g} is listed twice")));
        }
        let exists = conn
            .prepare_cached("SELECT 1 FROM option_groups WHERE store_id = ?1 AND id = ?2")?
            .query_row(params![store_id, g], |_| Ok(()))
            .optional()?
            .is_some();
        if !exists {
            return Err(AppError::validation("option_group_ids", format!("no option group {g} in this store")));
        }
    }
    conn.execute(
        "DELETE FROM item_option_groups WHERE store_id = ?1 AND menu_item_id = ?2",
        params![store_id, item_id],
    )?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO item_option_groups (store_id, menu_item_id, group_id, sort_order) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (i, g) in group_ids.iter().enumerate() {
        stmt.execute(params![store_id, item_id, g, i as i64])?;
    }
    Ok(())
}

pub use crate::domain::pricing::{ChoiceError, Offer, OfferedGroup, OfferedOption, choose};

/// Loads what item `item_id` offers (store-scoped), in one query.
pub fn offer(conn: &Connection, store_id: &str, item_id: i64) -> rusqlite::Result<Offer> {
    let mut offer = Offer::default();
    let mut stmt = conn.prepare_cached(
        "SELECT g.id, g.name, g.min_choices, g.max_choices, o.id, o.name, o.price_delta, o.available
         FROM item_option_groups ig
         JOIN option_groups g ON g.store_id = ig.store_id AND g.id = ig.group_id
         JOIN options o ON o.store_id = ig.store_id AND o.group_id = ig.group_id
         WHERE ig.store_id = ?1 AND ig.menu_item_id = ?2 ORDER BY ig.sort_order",
    )?;
    let mut rows = stmt.query(params![store_id, item_id])?;
    while let Some(r) = rows.next()? {
        let gid: i64 = r.get(0)?;
        if offer.groups.last().is_none_or(|g| g.id != gid) {
            offer.groups.push(OfferedGroup { id: gid, name: r.get(1)?, min: r.get(2)?, max: r.get(3)? });
        }
        offer.options.insert(
            r.get(4)?,
            OfferedOption {
                group_id: gid,
                name: r.get(5)?,
                price_delta: r.get(6)?,
                available: r.get::<_, i64>(7)? != 0,
            },
        );
    }
    Ok(offer)
}

/// A menu item as an order needs it: name, price, availability and what it offers.
#[derive(Debug, Clone)]
pub struct Sellable {
    pub name: String,
    pub price: i64,
    pub available: bool,
    pub offer: Offer,
}

/// Per store: the menu version and the items remembered for it.
type SellableCache = HashMap<String, (i64, HashMap<i64, std::rc::Rc<Sellable>>)>;

thread_local! {
    /// Sellable items, per store, valid for one menu version. Only the writer thread places
    /// orders, so this lives there; a batch that does not commit drops it
    /// ([`forget_offers`]), since what it read inside that transaction may never have been.
    static SELLABLE: std::cell::RefCell<SellableCache> = std::cell::RefCell::new(HashMap::new());
}

/// The item `item_id` of the store (None when it has none), remembered for the store's
/// current `menu_version`: every menu change moves the version on, so what is remembered
/// is never older than the menu.
pub fn sellable(
    conn: &Connection,
    store_id: &str,
    menu_version: i64,
    item_id: i64,
) -> rusqlite::Result<Option<std::rc::Rc<Sellable>>> {
    let hit = SELLABLE.with(|c| {
        let c = c.borrow();
        c.get(store_id).filter(|(v, _)| *v == menu_version).and_then(|(_, m)| m.get(&item_id).cloned())
    });
    if let Some(s) = hit {
        return Ok(Some(s));
    }
    let row: Option<(String, i64, bool)> = conn
        .prepare_cached("SELECT name, price, available FROM menu_items WHERE store_id = ?1 AND id = ?2")?
        .query_row(params![store_id, item_id], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0)))
        .optional()?;
    let Some((name, price, available)) = row else { return Ok(None) };
    let s = std::rc::Rc::new(Sellable { name, price, available, offer: offer(conn, store_id, item_id)? });
    SELLABLE.with(|c| {
        let mut c = c.borrow_mut();
        let entry = c.entry(store_id.to_string()).or_insert_with(|| (menu_version, HashMap::new()));
        if entry.0 != menu_version {
            *entry = (menu_version, HashMap::new());
        }
        entry.1.insert(item_id, s.clone());
    });
    Ok(Some(s))
}

/// Drops every remembered item (a write batch did not commit).
pub fn forget_offers() {
    SELLABLE.with(|c| c.borrow_mut().clear());
}

pub use crate::wire::ChosenOption;
