//! Orders: placing (idempotent), status changes, lists and history.

use crate::db::events::{EventType, NewEvent};
use crate::db::options::{self, ChosenOption};
use crate::db::rfc3339;
use crate::db::tables::{self, SessionSummary};
use crate::db::writer::WriteCtx;
use crate::domain::{OrderStatus, pricing};
use crate::error::{AppError, AppResult};
use crate::wire::OrderEvent;
use rusqlite::{Connection, OptionalExtension, ToSql, params, params_from_iter};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

pub use crate::wire::{OrderDto, OrderItemDto};

/// A new order of a table (its lines checked): the idempotency key, and the guests the
/// tablet asked for (kept on the visit when it has none yet).
#[derive(Debug, Clone, Copy)]
pub struct OrderRequest<'a> {
    pub table_id: i64,
    pub key: &'a str,
    pub lines: &'a [Line],
    pub guests: Option<i64>,
    pub max_active: u64,
    /// The most of them one table may have (its share, so one table cannot use them all).
    pub max_active_per_table: u64,
}

/// A line of a new order (quantity and note already checked).
#[derive(Debug, Clone)]
pub struct Line {
    pub menu_item_id: i64,
    pub quantity: i64,
    pub option_ids: Vec<i64>,
    pub note: String,
}

/// Orders of the store matching `cond` (SQL over `o`, the order, and `s`, its session;
/// parameters from ?2), newest first. An order is at its session's table: a party that
/// moves takes its orders along, while `orders.table_id` stays where it was placed (the
/// scope of its idempotency key).
fn load(conn: &Connection, store_id: &str, cond: &str, args: &[&dyn ToSql]) -> rusqlite::Result<Vec<OrderDto>> {
    let mut all: Vec<&dyn ToSql> = vec![&store_id];
    all.extend_from_slice(args);
    let mut orders: Vec<OrderDto> = conn
        .prepare_cached(&format!(
            "SELECT o.id, o.order_no, s.table_id, t.number, o.session_id, o.status, o.total, o.created_at, o.updated_at
             FROM orders o JOIN table_sessions s ON s.id = o.session_id JOIN tables t ON t.id = s.table_id
             WHERE o.store_id = ?1 AND {cond} ORDER BY o.id DESC"
        ))?
        .query_map(params_from_iter(all.iter()), |r| {
            let status: String = r.get(5)?;
            Ok(OrderDto {
                id: r.get(0)?,
                order_no: r.get(1)?,
                table_id: r.get(2)?,
                table_number: r.get(3)?,
                session_id: r.get(4)?,
                status: OrderStatus::parse(&status).unwrap_or(OrderStatus::Pending),
                total: r.get(6)?,
                created_at: rfc3339(r.get(7)?),
                updated_at: rfc3339(r.get(8)?),
                items: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    if orders.is_empty() {
        return Ok(orders);
    }
    let mut items: HashMap<i64, Vec<OrderItemDto>> = HashMap::new();
    // The lines of exactly those orders: written as IN so that SQLite looks them up by
    // (store_id, order_id) instead of walking every line of the store.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT oi.order_id, oi.menu_item_id, oi.name, oi.unit_price, oi.quantity, oi.note, oi.options
         FROM order_items oi
         WHERE oi.store_id = ?1 AND oi.order_id IN
             (SELECT o.id FROM orders o JOIN table_sessions s ON s.id = o.session_id WHERE o.store_id = ?1 AND {cond})
         ORDER BY oi.id"
    ))?;
    let mut rows = stmt.query(params_from_iter(all.iter()))?;
    while let Some(r) = rows.next()? {
        let options: String = r.get(6)?;
        items.entry(r.get(0)?).or_default().push(OrderItemDto {
            menu_item_id: r.get(1)?,
            name: r.get(2)?,
            unit_price: r.get(3)?,
            quantity: r.get(4)?,
            note: r.get(5)?,
            options: if options == "[]" { Vec::new() } else { serde_json::from_str(&options).unwrap_or_default() },
        });
    }
    for o in &mut orders {
        o.items = items.remove(&o.id).unwrap_or_default();
    }
    Ok(orders)
}

pub fn get(conn: &Connection, store_id: &str, id: i64) -> AppResult<OrderDto> {
    load(conn, store_id, "o.id = ?2", &[&id])?.pop().ok_or(AppError::NotFound("order"))
}

/// Orders of open sessions, optionally for one table and/or status.
pub fn open_orders(
    conn: &Connection,
    store_id: &str,
    table_id: Option<i64>,
    status: Option<OrderStatus>,
) -> AppResult<Vec<OrderDto>> {
    let status = status.map(|s| s.as_str());
    Ok(load(
        conn,
        store_id,
        "o.session_id IN (SELECT id FROM table_sessions WHERE store_id = ?1 AND ended_at IS NULL)
         AND (?2 IS NULL OR s.table_id = ?2) AND (?3 IS NULL OR o.status = ?3)",
        &[&table_id, &status],
    )?)
}

pub fn session_orders(conn: &Connection, store_id: &str, session_id: i64) -> AppResult<Vec<OrderDto>> {
    Ok(load(conn, store_id, "o.session_id = ?2", &[&session_id])?)
}

/// What placing an order produced: the order, and whether it is new.
pub struct Placed {
    pub order: OrderDto,
    pub created: bool,
}

/// The event payload for an order: the order plus its session's summary.
fn order_event(ctx: &mut WriteCtx, store_id: &str, kind: EventType, order: &OrderDto) -> AppResult<()> {
    let session: Option<SessionSummary> = tables::session_summary(ctx.conn, store_id, order.session_id)?;
    ctx.emit(NewEvent::new(store_id, Some(order.table_id), kind, OrderEvent { order: order.clone(), session }))
}

/// Places an order for a table, all in the caller's transaction: idempotency, menu checks,
/// active-order limit, session, daily number, event. Its kitchen tickets are written by
/// [`crate::db::flows::place_order`], which is what handlers call.
pub fn place(
    ctx: &mut WriteCtx,
    store_id: &str,
    new: &OrderRequest,
    rate_limit: impl FnOnce() -> AppResult<()>,
) -> AppResult<Placed> {
    let OrderRequest { table_id, key, lines, guests, max_active, max_active_per_table } = *new;
    let conn = ctx.conn;
    let existing: Option<i64> = conn
        .prepare_cached("SELECT id FROM orders WHERE store_id = ?1 AND table_id = ?2 AND idempotency_key = ?3")?
        .query_row(params![store_id, table_id, key], |r| r.get(0))
        .optional()?;
    if let Some(id) = existing {
        return Ok(Placed { order: get(conn, store_id, id)?, created: false });
    }
    // Only a new order counts toward the table's rate: a retry always gets its answer.
    rate_limit()?;
    let table_number = tables::live_number(conn, store_id, table_id)?;

    // Menu checks: every item of this store, and available (as of the current menu version).
    let menu_version = crate::db::menu::version(conn, store_id)?;
    let mut menu: HashMap<i64, std::rc::Rc<options::Sellable>> = HashMap::new();
    for l in lines {
        if menu.contains_key(&l.menu_item_id) {
            continue;
        }
        if let Some(s) = options::sellable(conn, store_id, menu_version, l.menu_item_id)? {
            menu.insert(l.menu_item_id, s);
        }
    }
    let mut bad: Vec<i64> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    for l in lines {
        if bad.contains(&l.menu_item_id) {
            continue;
        }
        match menu.get(&l.menu_item_id) {
            None => {
                bad.push(l.menu_item_id);
                reasons.push(format!("menu item {} is not on the menu", l.menu_item_id));
            }
            Some(s) if !s.available => {
                bad.push(l.menu_item_id);
                reasons.push(format!("{} is sold out", s.name));
            }
            Some(_) => {}
        }
    }
    if !bad.is_empty() {
        return Err(AppError::ItemUnavailable { message: reasons.join("; "), ids: bad, option_ids: Vec::new() });
    }

    // Options: every attached group's min/max, options of that item only, availability;
    // the line's unit price is the item's plus the deltas, never below 0.
    let mut chosen: Vec<(Vec<ChosenOption>, i64)> = Vec::with_capacity(lines.len());
    let mut invalid = std::collections::BTreeMap::new();
    let (mut sold_ids, mut sold_names) = (Vec::new(), Vec::new());
    for (i, l) in lines.iter().enumerate() {
        let item = &menu[&l.menu_item_id];
        let base = item.price;
        match pricing::choose(&item.offer, &l.option_ids) {
            Ok(c) => {
                let unit = pricing::unit_price(base, &c).unwrap_or_else(|| {
                    invalid.insert(
                        format!("items[{i}].option_ids"),
                        "the price with these options is over 10000000".to_string(),
                    );
                    crate::domain::MAX_PRICE
                });
                chosen.push((c, unit));
            }
            Err(pricing::ChoiceError::Invalid(m)) => {
                invalid.insert(format!("items[{i}].option_ids"), m);
            }
            Err(pricing::ChoiceError::SoldOut(ids, names)) => {
                for (id, name) in ids.into_iter().zip(names) {
                    if !sold_ids.contains(&id) {
                        sold_ids.push(id);
                        sold_names.push(format!("{name} is sold out"));
                    }
                }
            }
        }
    }
    if !invalid.is_empty() {
        return Err(AppError::Validation(invalid));
    }
    if !sold_ids.is_empty() {
        return Err(AppError::ItemUnavailable {
            message: sold_names.join("; "),
            ids: Vec::new(),
            option_ids: sold_ids,
        });
    }

    if max_active > 0 || max_active_per_table > 0 {
        let (active, mine): (i64, i64) = conn
            // From the open sessions outwards (CROSS JOIN fixes the order): orders left pending
            // in ended sessions pile up over months and must not be walked on every order.
            .prepare_cached(
                "SELECT count(*), coalesce(sum(s.table_id = ?2), 0)
                 FROM table_sessions s CROSS JOIN orders o ON o.store_id = s.store_id AND o.session_id = s.id
                 WHERE s.store_id = ?1 AND s.ended_at IS NULL AND o.status IN ('pending', 'preparing')",
            )?
            .query_row(params![store_id, table_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if max_active_per_table > 0 && mine as u64 >= max_active_per_table {
            return Err(AppError::LimitReached { limit: "max_active_orders_per_table", value: max_active_per_table });
        }
        if max_active > 0 && active as u64 >= max_active {
            return Err(AppError::LimitReached { limit: "max_active_orders", value: max_active });
        }
    }

    let session_id = match tables::open_session_id(conn, store_id, table_id)? {
        None => {
            conn.prepare_cached(
                "INSERT INTO table_sessions (store_id, table_id, started_at, guests) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![store_id, table_id, ctx.now_ms, guests])?;
            conn.last_insert_rowid()
        }
        Some(id) => {
            if let Some(g) = guests {
                tables::guests_if_unknown(conn, store_id, id, g)?;
            }
            id
        }
    };

    let tz = crate::db::stores::timezone(conn, store_id)?;
    let day =
        jiff::Timestamp::from_millisecond(ctx.now_ms).map_err(AppError::internal)?.to_zoned(tz).date().to_string();
    let order_no: i64 = conn
        .prepare_cached(
            "INSERT INTO order_counters (store_id, day, last_no) VALUES (?1, ?2, 1)
             ON CONFLICT (store_id, day) DO UPDATE SET last_no = last_no + 1 RETURNING last_no",
        )?
        .query_row(params![store_id, day], |r| r.get(0))?;

    let total: i64 = lines.iter().zip(&chosen).map(|(l, (_, unit))| unit * l.quantity).sum();
    conn.prepare_cached(
        "INSERT INTO orders (store_id, table_id, session_id, business_day, order_no, status, total, idempotency_key, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7, ?8, ?8)",
    )?
    .execute(params![store_id, table_id, session_id, day, order_no, total, key, ctx.now_ms])?;
    let order_id = conn.last_insert_rowid();
    let mut items = Vec::with_capacity(lines.len());
    {
        let mut stmt = conn.prepare_cached(
            "INSERT INTO order_items (store_id, order_id, menu_item_id, name, unit_price, quantity, note, options)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (l, (options, unit)) in lines.iter().zip(chosen) {
            let name = &menu[&l.menu_item_id].name;
            let copies = if options.is_empty() {
                "[]".to_string()
            } else {
                serde_json::to_string(&options).map_err(AppError::internal)?
            };
            stmt.execute(params![store_id, order_id, l.menu_item_id, name, unit, l.quantity, l.note, copies])?;
            items.push(OrderItemDto {
                menu_item_id: l.menu_item_id,
                name: name.clone(),
                unit_price: unit,
                quantity: l.quantity,
                note: l.note.clone(),
                options,
            });
        }
    }
    let at = rfc3339(ctx.now_ms);
    let order = OrderDto {
        id: order_id,
        order_no,
        table_id,
        table_number,
        session_id,
        status: OrderStatus::Pending,
        total,
        created_at: at.clone(),
        updated_at: at,
        items,
    };
    order_event(ctx, store_id, EventType::OrderCreated, &order)?;
    Ok(Placed { order, created: true })
}

/// Whether the session an order belongs to is still open (orders of ended sessions no
/// longer change).
pub fn session_open(conn: &Connection, store_id: &str, session_id: i64) -> AppResult<bool> {
    Ok(conn.query_row(
        "SELECT ended_at IS NULL FROM table_sessions WHERE store_id = ?1 AND id = ?2",
        params![store_id, session_id],
        |r| r.get(0),
    )?)
}

/// Writes an order's new status and its event (the caller checked the transition:
/// [`crate::db::flows`]).
pub fn record_status(ctx: &mut WriteCtx, store_id: &str, order: &mut OrderDto, to: OrderStatus) -> AppResult<()> {
    ctx.conn.execute(
        "UPDATE orders SET status = ?3, updated_at = ?4 WHERE store_id = ?1 AND id = ?2",
        params![store_id, order.id, to.as_str(), ctx.now_ms],
    )?;
    order.status = to;
    order.updated_at = rfc3339(ctx.now_ms);
    let kind = if to == OrderStatus::Cancelled { EventType::OrderCancelled } else { EventType::OrderUpdated };
    order_event(ctx, store_id, kind, order)
}

/// An order moved to another table or session: its `order_updated` (status and times as
/// they were), so that screens and the chain hub see where it is.
pub fn record_moved(ctx: &mut WriteCtx, store_id: &str, order: &OrderDto) -> AppResult<()> {
    order_event(ctx, store_id, EventType::OrderUpdated, order)
}

/// One ended session with its orders (history).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub session_id: i64,
    pub table_id: i64,
    pub table_number: i64,
    pub started_at: String,
    pub ended_at: String,
    pub total: i64,
    pub order_count: i64,
    /// Guests at the table, when someone said.
    pub guests: Option<i64>,
    pub orders: Vec<OrderDto>,
}

/// Ended sessions whose end falls in [from_ms, to_ms), newest first.
pub fn history(
    conn: &Connection,
    store_id: &str,
    table_id: Option<i64>,
    from_ms: i64,
    to_ms: i64,
    limit: i64,
) -> AppResult<Vec<HistoryEntry>> {
    type Row = (i64, i64, i64, i64, i64, Option<i64>);
    let sessions: Vec<Row> = conn
        .prepare_cached(
            "SELECT s.id, s.table_id, t.number, s.started_at, s.ended_at, s.guests FROM table_sessions s JOIN tables t ON t.id = s.table_id
             WHERE s.store_id = ?1 AND s.ended_at IS NOT NULL AND s.merged_into IS NULL AND s.ended_at >= ?2 AND s.ended_at < ?3
               AND (?4 IS NULL OR s.table_id = ?4)
             ORDER BY s.ended_at DESC, s.id DESC LIMIT ?5",
        )?
        .query_map(params![store_id, from_ms, to_ms, table_id, limit], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(sessions.len());
    for (sid, tid, number, started, ended, guests) in sessions {
        let orders = session_orders(conn, store_id, sid)?;
        let live = orders.iter().filter(|o| o.status != OrderStatus::Cancelled);
        out.push(HistoryEntry {
            session_id: sid,
            table_id: tid,
            table_number: number,
            started_at: rfc3339(started),
            ended_at: rfc3339(ended),
            total: live.clone().map(|o| o.total).sum(),
            order_count: live.count() as i64,
            guests,
            orders,
        });
    }
    Ok(out)
}
