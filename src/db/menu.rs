//! Categories and menu items. Every write bumps the store's `menu_version` and
//! records `menu_changed`, which is also what invalidates the menu cache.

use crate::db::events::{EventType, NewEvent};
use crate::db::options::parse_translations;
use crate::db::writer::WriteCtx;
use crate::error::{AppError, AppResult, on_constraint};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryDto {
    pub id: i64,
    pub name: String,
    pub sort_order: i64,
    pub item_count: i64,
    /// `{"en": {"name"}, "ja": {…}, "zh": {…}}`
    #[schema(value_type = Object)]
    pub translations: Value,
    /// The kitchen station its items go to (unless an item names its own).
    pub station_id: Option<i64>,
}

/// A menu item as staff manage it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MenuItemDto {
    pub id: i64,
    pub category_id: i64,
    pub name: String,
    pub description: String,
    pub price: i64,
    /// The photo as uploaded.
    pub image_url: Option<String>,
    /// The photo cropped to 4:3 (640×480 JPEG), for menu cards.
    pub card_image_url: Option<String>,
    pub available: bool,
    pub sort_order: i64,
    /// The option groups it offers, in order.
    pub option_group_ids: Vec<i64>,
    /// `{"en": {"name", "description"}, "ja": {…}, "zh": {…}}`
    #[schema(value_type = Object)]
    pub translations: Value,
    /// Its own kitchen station (None: its category's, else the store's first).
    pub station_id: Option<i64>,
}

/// An option as guests see it (in their language).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GuestOption {
    pub id: i64,
    pub name: String,
    pub price_delta: i64,
    pub available: bool,
}

/// An option group as guests see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GuestGroup {
    pub id: i64,
    pub name: String,
    pub min: i64,
    pub max: i64,
    pub options: Vec<GuestOption>,
}

/// A menu item as guests see it (in their language).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GuestItem {
    pub id: i64,
    pub category_id: i64,
    pub name: String,
    pub description: String,
    pub price: i64,
    /// The photo as uploaded (for the item's own sheet).
    pub image_url: Option<String>,
    /// The photo cropped to 4:3 (640×480 JPEG), for menu cards.
    pub card_image_url: Option<String>,
    pub available: bool,
    pub sort_order: i64,
    pub option_groups: Vec<GuestGroup>,
}

/// A category with its items, as tablets see the menu.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MenuCategory {
    pub id: i64,
    pub name: String,
    pub sort_order: i64,
    pub items: Vec<GuestItem>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MenuDto {
    pub version: i64,
    /// The language of the names and descriptions.
    pub lang: String,
    /// The store's timezone (IANA name): tablets show times in it.
    pub timezone: String,
    pub categories: Vec<MenuCategory>,
}

pub fn image_url(image_id: Option<i64>) -> Option<String> {
    image_id.map(|id| format!("/api/v1/images/{id}"))
}

pub fn card_image_url(image_id: Option<i64>) -> Option<String> {
    image_id.map(|id| format!("/api/v1/images/{id}/card"))
}

const ITEM_COLS: &str =
    "id, category_id, name, description, price, image_id, available, sort_order, translations, station_id";

fn item_row(r: &rusqlite::Row) -> rusqlite::Result<MenuItemDto> {
    Ok(MenuItemDto {
        id: r.get(0)?,
        category_id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        price: r.get(4)?,
        image_url: image_url(r.get(5)?),
        card_image_url: card_image_url(r.get(5)?),
        available: r.get::<_, i64>(6)? != 0,
        sort_order: r.get(7)?,
        option_group_ids: Vec::new(),
        translations: parse_translations(&r.get::<_, String>(8)?),
        station_id: r.get(9)?,
    })
}

/// The text of `field` in `lang`, or `own` when there is no translation.
fn tr(translations: &Value, lang: &str, field: &str, own: &str) -> String {
    translations
        .get(lang)
        .and_then(|t| t.get(field))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or(own)
        .to_string()
}

/// The store's own language.
pub fn store_language(conn: &Connection, store_id: &str) -> AppResult<String> {
    conn.prepare_cached("SELECT language FROM stores WHERE id = ?1")?
        .query_row([store_id], |r| r.get(0))
        .optional()?
        .ok_or(AppError::NotFound("store"))
}

pub fn version(conn: &Connection, store_id: &str) -> AppResult<i64> {
    conn.prepare_cached("SELECT menu_version FROM stores WHERE id = ?1")?
        .query_row([store_id], |r| r.get(0))
        .optional()?
        .ok_or(AppError::NotFound("store"))
}

/// Bumps the menu version and records `menu_changed` with `detail`.
pub(crate) fn changed(ctx: &mut WriteCtx, store_id: &str, detail: serde_json::Value) -> AppResult<i64> {
    let v: i64 = ctx.conn.query_row(
        "UPDATE stores SET menu_version = menu_version + 1 WHERE id = ?1 RETURNING menu_version",
        [store_id],
        |r| r.get(0),
    )?;
    let mut detail = match detail {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    let change = match detail.remove("change") {
        Some(serde_json::Value::String(c)) => c,
        _ => String::new(),
    };
    ctx.emit(NewEvent::new(
        store_id,
        None,
        EventType::MenuChanged,
        crate::wire::MenuChanged { change, version: v, detail },
    ))?;
    Ok(v)
}

/// The whole menu of a store in `lang` (None: the store's own), categories and items in
/// their sort order, each item with the option groups it offers.
pub fn full(conn: &Connection, store_id: &str, lang: Option<&str>) -> AppResult<MenuDto> {
    let version = version(conn, store_id)?;
    let own = store_language(conn, store_id)?;
    let lang = lang.unwrap_or(&own).to_string();
    let mut cats: Vec<MenuCategory> = conn
        .prepare_cached(
            "SELECT id, name, sort_order, translations FROM categories WHERE store_id = ?1 ORDER BY sort_order, id",
        )?
        .query_map([store_id], |r| {
            let t = parse_translations(&r.get::<_, String>(3)?);
            let name: String = r.get(1)?;
            Ok(MenuCategory {
                id: r.get(0)?,
                name: tr(&t, &lang, "name", &name),
                sort_order: r.get(2)?,
                items: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let groups: std::collections::HashMap<i64, GuestGroup> = crate::db::options::groups(conn, store_id)?
        .into_iter()
        .map(|g| {
            let options = g
                .options
                .iter()
                .map(|o| GuestOption {
                    id: o.id,
                    name: tr(&o.translations, &lang, "name", &o.name),
                    price_delta: o.price_delta,
                    available: o.available,
                })
                .collect();
            (
                g.id,
                GuestGroup {
                    id: g.id,
                    name: tr(&g.translations, &lang, "name", &g.name),
                    min: g.min,
                    max: g.max,
                    options,
                },
            )
        })
        .collect();
    let mut attached = crate::db::options::all_item_group_ids(conn, store_id)?;
    let items: Vec<MenuItemDto> = conn
        .prepare_cached(&format!(
            "SELECT {ITEM_COLS} FROM menu_items WHERE store_id = ?1 ORDER BY category_id, sort_order, id"
        ))?
        .query_map([store_id], item_row)?
        .collect::<Result<_, _>>()?;
    for it in items {
        let option_groups =
            attached.remove(&it.id).unwrap_or_default().iter().filter_map(|g| groups.get(g).cloned()).collect();
        let guest = GuestItem {
            id: it.id,
            category_id: it.category_id,
            name: tr(&it.translations, &lang, "name", &it.name),
            description: tr(&it.translations, &lang, "description", &it.description),
            price: it.price,
            image_url: it.image_url,
            card_image_url: it.card_image_url,
            available: it.available,
            sort_order: it.sort_order,
            option_groups,
        };
        if let Some(c) = cats.iter_mut().find(|c| c.id == guest.category_id) {
            c.items.push(guest);
        }
    }
    let timezone = crate::db::stores::timezone_name(conn, store_id)?;
    Ok(MenuDto { version, lang, timezone, categories: cats })
}

// ---- categories -------------------------------------------------------------------------

fn category_row(r: &rusqlite::Row) -> rusqlite::Result<CategoryDto> {
    Ok(CategoryDto {
        id: r.get(0)?,
        name: r.get(1)?,
        sort_order: r.get(2)?,
        item_count: r.get(3)?,
        translations: parse_translations(&r.get::<_, String>(4)?),
        station_id: r.get(5)?,
    })
}

pub fn categories(conn: &Connection, store_id: &str) -> AppResult<Vec<CategoryDto>> {
    Ok(conn
        .prepare_cached(
            "SELECT c.id, c.name, c.sort_order, (SELECT count(*) FROM menu_items m WHERE m.store_id = c.store_id AND m.category_id = c.id),
                    c.translations, c.station_id
             FROM categories c WHERE c.store_id = ?1 ORDER BY c.sort_order, c.id",
        )?
        .query_map([store_id], category_row)?
        .collect::<Result<_, _>>()?)
}

pub fn category(conn: &Connection, store_id: &str, id: i64) -> AppResult<CategoryDto> {
    conn.prepare_cached(
        "SELECT c.id, c.name, c.sort_order, (SELECT count(*) FROM menu_items m WHERE m.store_id = c.store_id AND m.category_id = c.id),
                c.translations, c.station_id
         FROM categories c WHERE c.store_id = ?1 AND c.id = ?2",
    )?
    .query_row(params![store_id, id], category_row)
    .optional()?
    .ok_or(AppError::NotFound("category"))
}

pub fn create_category(
    ctx: &mut WriteCtx,
    store_id: &str,
    name: &str,
    sort_order: Option<i64>,
    translations: Option<&str>,
    station_id: Option<i64>,
    max: u64,
) -> AppResult<CategoryDto> {
    if let Some(sid) = station_id {
        crate::db::kitchen::check_station(ctx.conn, store_id, "station_id", sid)?;
    }
    let (count, next): (i64, i64) = ctx.conn.query_row(
        "SELECT count(*), coalesce(max(sort_order) + 1, 0) FROM categories WHERE store_id = ?1",
        [store_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if max > 0 && count as u64 >= max {
        return Err(AppError::LimitReached { limit: "max_categories", value: max });
    }
    let sort_order = sort_order.unwrap_or(next.min(1_000_000));
    ctx.conn
        .execute(
            "INSERT INTO categories (store_id, name, sort_order, translations, created_at, station_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![store_id, name, sort_order, translations.unwrap_or("{}"), ctx.now_ms, station_id],
        )
        .map_err(|e| on_constraint(e, "a category with this name exists already"))?;
    let c = category(ctx.conn, store_id, ctx.conn.last_insert_rowid())?;
    changed(ctx, store_id, json!({ "change": "category_created", "category": c }))?;
    Ok(c)
}

pub fn update_category(
    ctx: &mut WriteCtx,
    store_id: &str,
    id: i64,
    name: Option<&str>,
    sort_order: Option<i64>,
    translations: Option<&str>,
    station_id: Option<Option<i64>>,
) -> AppResult<CategoryDto> {
    category(ctx.conn, store_id, id)?;
    if let Some(Some(sid)) = station_id {
        crate::db::kitchen::check_station(ctx.conn, store_id, "station_id", sid)?;
    }
    if let Some(sid) = station_id {
        ctx.conn.execute(
            "UPDATE categories SET station_id = ?3 WHERE store_id = ?1 AND id = ?2",
            params![store_id, id, sid],
        )?;
    }
    ctx.conn
        .execute(
            "UPDATE categories SET name = coalesce(?3, name), sort_order = coalesce(?4, sort_order),
                 translations = coalesce(?5, translations)
             WHERE store_id = ?1 AND id = ?2",
            params![store_id, id, name, sort_order, translations],
        )
        .map_err(|e| on_constraint(e, "a category with this name exists already"))?;
    let c = category(ctx.conn, store_id, id)?;
    changed(ctx, store_id, json!({ "change": "category_updated", "category": c }))?;
    Ok(c)
}

pub fn delete_category(ctx: &mut WriteCtx, store_id: &str, id: i64) -> AppResult<()> {
    let c = category(ctx.conn, store_id, id)?;
    if c.item_count > 0 {
        return Err(AppError::Conflict(format!(
            "the category still holds {} menu item(s); move or delete them first",
            c.item_count
        )));
    }
    ctx.conn.execute("DELETE FROM categories WHERE store_id = ?1 AND id = ?2", params![store_id, id])?;
    changed(ctx, store_id, json!({ "change": "category_deleted", "category_id": id }))?;
    Ok(())
}

// ---- items ----------------------------------------------------------------------------

pub fn items(conn: &Connection, store_id: &str, category_id: Option<i64>) -> AppResult<Vec<MenuItemDto>> {
    let mut attached = crate::db::options::all_item_group_ids(conn, store_id)?;
    let mut items: Vec<MenuItemDto> = conn
        .prepare_cached(&format!(
            "SELECT {ITEM_COLS} FROM menu_items WHERE store_id = ?1 AND (?2 IS NULL OR category_id = ?2)
             ORDER BY category_id, sort_order, id"
        ))?
        .query_map(params![store_id, category_id], item_row)?
        .collect::<Result<_, _>>()?;
    for it in &mut items {
        it.option_group_ids = attached.remove(&it.id).unwrap_or_default();
    }
    Ok(items)
}

pub fn item(conn: &Connection, store_id: &str, id: i64) -> AppResult<MenuItemDto> {
    let mut it = conn
        .prepare_cached(&format!("SELECT {ITEM_COLS} FROM menu_items WHERE store_id = ?1 AND id = ?2"))?
        .query_row(params![store_id, id], item_row)
        .optional()?
        .ok_or(AppError::NotFound("menu item"))?;
    it.option_group_ids = crate::db::options::item_group_ids(conn, store_id, id)?;
    Ok(it)
}

/// Fields of a new or edited item; `None` keeps the current value.
#[derive(Debug, Default, Clone)]
pub struct ItemFields {
    pub category_id: Option<i64>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<i64>,
    pub available: Option<bool>,
    pub sort_order: Option<i64>,
    /// Checked translations as JSON text.
    pub translations: Option<String>,
    pub option_group_ids: Option<Vec<i64>>,
    /// `Some(None)` clears the item's own station.
    pub station_id: Option<Option<i64>>,
}

fn check_category(conn: &Connection, store_id: &str, category_id: i64) -> AppResult<()> {
    match category(conn, store_id, category_id) {
        Ok(_) => Ok(()),
        Err(AppError::NotFound(_)) => Err(AppError::validation("category_id", "no such category in this store")),
        Err(e) => Err(e),
    }
}

pub fn create_item(ctx: &mut WriteCtx, store_id: &str, f: &ItemFields, max: u64) -> AppResult<MenuItemDto> {
    let category_id = f.category_id.ok_or_else(|| AppError::validation("category_id", "is required"))?;
    check_category(ctx.conn, store_id, category_id)?;
    let (count, next): (i64, i64) = ctx.conn.query_row(
        "SELECT (SELECT count(*) FROM menu_items WHERE store_id = ?1),
                (SELECT coalesce(max(sort_order) + 1, 0) FROM menu_items WHERE store_id = ?1 AND category_id = ?2)",
        params![store_id, category_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if max > 0 && count as u64 >= max {
        return Err(AppError::LimitReached { limit: "max_menu_items", value: max });
    }
    ctx.conn.execute(
        "INSERT INTO menu_items (store_id, category_id, name, description, price, available, sort_order, created_at, updated_at, translations)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
        params![
            store_id,
            category_id,
            f.name.as_deref().unwrap_or_default(),
            f.description.as_deref().unwrap_or_default(),
            f.price.unwrap_or(0),
            f.available.unwrap_or(true),
            f.sort_order.unwrap_or(next.min(1_000_000)),
            ctx.now_ms,
            f.translations.as_deref().unwrap_or("{}")
        ],
    )?;
    let id = ctx.conn.last_insert_rowid();
    if let Some(groups) = &f.option_group_ids {
        crate::db::options::set_item_groups(ctx.conn, store_id, id, groups)?;
    }
    set_item_station(ctx.conn, store_id, id, f.station_id)?;
    let it = item(ctx.conn, store_id, id)?;
    changed(ctx, store_id, json!({ "change": "item_created", "item": it }))?;
    Ok(it)
}

pub fn update_item(ctx: &mut WriteCtx, store_id: &str, id: i64, f: &ItemFields) -> AppResult<MenuItemDto> {
    item(ctx.conn, store_id, id)?;
    if let Some(c) = f.category_id {
        check_category(ctx.conn, store_id, c)?;
    }
    ctx.conn.execute(
        "UPDATE menu_items SET category_id = coalesce(?3, category_id), name = coalesce(?4, name),
             description = coalesce(?5, description), price = coalesce(?6, price),
             available = coalesce(?7, available), sort_order = coalesce(?8, sort_order), updated_at = ?9,
             translations = coalesce(?10, translations)
         WHERE store_id = ?1 AND id = ?2",
        params![
            store_id,
            id,
            f.category_id,
            f.name,
            f.description,
            f.price,
            f.available,
            f.sort_order,
            ctx.now_ms,
            f.translations
        ],
    )?;
    if let Some(groups) = &f.option_group_ids {
        crate::db::options::set_item_groups(ctx.conn, store_id, id, groups)?;
    }
    set_item_station(ctx.conn, store_id, id, f.station_id)?;
    let it = item(ctx.conn, store_id, id)?;
    changed(ctx, store_id, json!({ "change": "item_updated", "item": it }))?;
    Ok(it)
}

pub fn delete_item(ctx: &mut WriteCtx, store_id: &str, id: i64) -> AppResult<()> {
    let it = item(ctx.conn, store_id, id)?;
    ctx.conn
        .execute("DELETE FROM item_option_groups WHERE store_id = ?1 AND menu_item_id = ?2", params![store_id, id])?;
    ctx.conn.execute("DELETE FROM menu_items WHERE store_id = ?1 AND id = ?2", params![store_id, id])?;
    if let Some(img) = image_id_of(&it) {
        ctx.conn.execute("DELETE FROM images WHERE store_id = ?1 AND id = ?2", params![store_id, img])?;
    }
    changed(ctx, store_id, json!({ "change": "item_deleted", "item_id": id, "category_id": it.category_id }))?;
    Ok(())
}

fn set_item_station(conn: &Connection, store_id: &str, id: i64, station: Option<Option<i64>>) -> AppResult<()> {
    let Some(station) = station else { return Ok(()) };
    if let Some(sid) = station {
        crate::db::kitchen::check_station(conn, store_id, "station_id", sid)?;
    }
    conn.execute(
        "UPDATE menu_items SET station_id = ?3 WHERE store_id = ?1 AND id = ?2",
        params![store_id, id, station],
    )?;
    Ok(())
}

fn image_id_of(it: &MenuItemDto) -> Option<i64> {
    it.image_url.as_deref()?.rsplit('/').next()?.parse().ok()
}

/// Stores a new image for an item, replacing (and deleting) the old one.
pub fn set_image(
    ctx: &mut WriteCtx,
    store_id: &str,
    id: i64,
    content_type: &str,
    data: &[u8],
    card: &[u8],
) -> AppResult<MenuItemDto> {
    let before = item(ctx.conn, store_id, id)?;
    ctx.conn.execute(
        "INSERT INTO images (store_id, content_type, data, card, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![store_id, content_type, data, card, ctx.now_ms],
    )?;
    let image_id = ctx.conn.last_insert_rowid();
    ctx.conn.execute(
        "UPDATE menu_items SET image_id = ?3, updated_at = ?4 WHERE store_id = ?1 AND id = ?2",
        params![store_id, id, image_id, ctx.now_ms],
    )?;
    if let Some(old) = image_id_of(&before) {
        ctx.conn.execute("DELETE FROM images WHERE store_id = ?1 AND id = ?2", params![store_id, old])?;
    }
    let it = item(ctx.conn, store_id, id)?;
    changed(ctx, store_id, json!({ "change": "item_updated", "item": it }))?;
    Ok(it)
}

/// An image's card (None: made before cards existed) and, for making one, the original.
pub fn image_card(conn: &Connection, id: i64) -> AppResult<Result<Vec<u8>, Vec<u8>>> {
    let (card, data): (Option<Vec<u8>>, Option<Vec<u8>>) = conn
        .prepare_cached("SELECT card, CASE WHEN card IS NULL THEN data END FROM images WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(AppError::NotFound("image"))?;
    Ok(card.ok_or_else(|| data.unwrap_or_default()))
}

pub fn image_exists(conn: &Connection, id: i64) -> AppResult<()> {
    conn.prepare_cached("SELECT 1 FROM images WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .ok_or(AppError::NotFound("image"))
}

/// Keeps a card made later for an image uploaded before cards existed.
pub fn store_card(conn: &Connection, id: i64, card: &[u8]) -> rusqlite::Result<()> {
    conn.execute("UPDATE images SET card = ?2 WHERE id = ?1 AND card IS NULL", params![id, card])?;
    Ok(())
}

/// Image bytes by id (public: menu images are shown to every guest).
pub fn image(conn: &Connection, id: i64) -> AppResult<(String, Vec<u8>)> {
    conn.prepare_cached("SELECT content_type, data FROM images WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(AppError::NotFound("image"))
}
