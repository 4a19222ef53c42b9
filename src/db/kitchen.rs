//! Stations and tickets in SQLite. Tickets are an outbox: written in the transaction of the
//! order (or cancellation) they describe, printed later by the station's printer task, and
//! marked printed once the printer took them.

use crate::db::events::{EventType, NewEvent};
use crate::db::orders::OrderDto;
use crate::db::rfc3339;
use crate::db::writer::WriteCtx;
use crate::domain::OrderStatus;
use crate::error::{AppError, AppResult};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PrinterDto {
    pub host: String,
    pub port: i64,
    /// `cp949` (Korean printers) or `utf-8`.
    pub encoding: String,
    /// Characters per line of the paper (42 on 80 mm paper, 32 on 58 mm).
    pub columns: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct StationDto {
    pub id: i64,
    pub name: String,
    pub sort_order: i64,
    pub printer: Option<PrinterDto>,
    /// Bills, receipts and day reports print here (else at the first station with a printer).
    pub receipt: bool,
}

const STATION_COLS: &str =
    "id, name, sort_order, printer_host, printer_port, printer_encoding, printer_columns, receipt";

fn station_row(r: &rusqlite::Row) -> rusqlite::Result<StationDto> {
    let host: Option<String> = r.get(3)?;
    Ok(StationDto {
        id: r.get(0)?,
        name: r.get(1)?,
        sort_order: r.get(2)?,
        printer: match host {
            Some(host) => Some(PrinterDto { host, port: r.get(4)?, encoding: r.get(5)?, columns: r.get(6)? }),
            None => None,
        },
        receipt: r.get::<_, i64>(7)? != 0,
    })
}

pub fn stations(conn: &Connection, store_id: &str) -> AppResult<Vec<StationDto>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {STATION_COLS} FROM stations WHERE store_id = ?1 AND deleted_at IS NULL ORDER BY sort_order, id"
        ))?
        .query_map([store_id], station_row)?
        .collect::<Result<_, _>>()?)
}

pub fn station(conn: &Connection, store_id: &str, id: i64) -> AppResult<StationDto> {
    conn.prepare_cached(&format!(
        "SELECT {STATION_COLS} FROM stations WHERE store_id = ?1 AND id = ?2 AND deleted_at IS NULL"
    ))?
    .query_row(params![store_id, id], station_row)
    .optional()?
    .ok_or(AppError::NotFound("station"))
}

/// Every station with a printer, on the whole box: (store id, station).
pub fn printer_stations(conn: &Connection) -> rusqlite::Result<Vec<(String, StationDto)>> {
    conn.prepare_cached(&format!(
        "SELECT {STATION_COLS}, store_id FROM stations WHERE deleted_at IS NULL AND printer_host IS NOT NULL"
    ))?
    .query_map([], |r| Ok((r.get(8)?, station_row(r)?)))?
    .collect()
}

/// Fields of a station; `printer: Some(None)` removes the printer.
#[derive(Debug, Clone, Default)]
pub struct StationFields {
    pub name: Option<String>,
    pub sort_order: Option<i64>,
    pub printer: Option<Option<PrinterDto>>,
    pub receipt: Option<bool>,
}

fn on_name(e: rusqlite::Error) -> AppError {
    if crate::error::is_unique_violation(&e) {
        AppError::Conflict("a station with this name exists already".into())
    } else {
        e.into()
    }
}

pub fn create_station(ctx: &mut WriteCtx, store_id: &str, f: &StationFields) -> AppResult<StationDto> {
    let name = f.name.as_deref().ok_or_else(|| AppError::validation("name", "is required"))?;
    let (count, next): (i64, i64) = ctx.conn.query_row(
        "SELECT count(*), coalesce(max(sort_order) + 1, 0) FROM stations WHERE store_id = ?1 AND deleted_at IS NULL",
        [store_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if count >= 20 {
        return Err(AppError::LimitReached { limit: "max_stations", value: 20 });
    }
    let p = f.printer.clone().flatten();
    ctx.conn
        .execute(
            "INSERT INTO stations (store_id, name, sort_order, printer_host, printer_port, printer_encoding, printer_columns, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                store_id,
                name,
                f.sort_order.unwrap_or(next.min(1_000_000)),
                p.as_ref().map(|p| &p.host),
                p.as_ref().map_or(9100, |p| p.port),
                p.as_ref().map_or("cp949", |p| p.encoding.as_str()),
                p.as_ref().map_or(42, |p| p.columns),
                ctx.now_ms
            ],
        )
        .map_err(on_name)?;
    let id = ctx.conn.last_insert_rowid();
    set_receipt(ctx.conn, store_id, id, f.receipt)?;
    let s = station(ctx.conn, store_id, id)?;
    printer_changed(ctx, store_id, &s)?;
    Ok(s)
}

/// Makes a station the receipt station (only one is).
fn set_receipt(conn: &Connection, store_id: &str, id: i64, receipt: Option<bool>) -> AppResult<()> {
    match receipt {
        Some(true) => {
            conn.execute("UPDATE stations SET receipt = (id = ?2) WHERE store_id = ?1", params![store_id, id])?;
        }
        Some(false) => {
            conn.execute("UPDATE stations SET receipt = 0 WHERE store_id = ?1 AND id = ?2", params![store_id, id])?;
        }
        None => {}
    }
    Ok(())
}

pub fn update_station(ctx: &mut WriteCtx, store_id: &str, id: i64, f: &StationFields) -> AppResult<StationDto> {
    station(ctx.conn, store_id, id)?;
    ctx.conn
        .execute(
            "UPDATE stations SET name = coalesce(?3, name), sort_order = coalesce(?4, sort_order) WHERE store_id = ?1 AND id = ?2",
            params![store_id, id, f.name, f.sort_order],
        )
        .map_err(on_name)?;
    if let Some(p) = &f.printer {
        ctx.conn.execute(
            "UPDATE stations SET printer_host = ?3, printer_port = ?4, printer_encoding = ?5, printer_columns = ?6
             WHERE store_id = ?1 AND id = ?2",
            params![
                store_id,
                id,
                p.as_ref().map(|p| &p.host),
                p.as_ref().map_or(9100, |p| p.port),
                p.as_ref().map_or("cp949", |p| p.encoding.as_str()),
                p.as_ref().map_or(42, |p| p.columns)
            ],
        )?;
    }
    set_receipt(ctx.conn, store_id, id, f.receipt)?;
    let s = station(ctx.conn, store_id, id)?;
    printer_changed(ctx, store_id, &s)?;
    Ok(s)
}

/// Removes a station (its tickets stay; items and categories routed to it fall back to the
/// store's first station).
pub fn delete_station(ctx: &mut WriteCtx, store_id: &str, id: i64) -> AppResult<()> {
    station(ctx.conn, store_id, id)?;
    ctx.conn.execute(
        "UPDATE stations SET deleted_at = ?3 WHERE store_id = ?1 AND id = ?2",
        params![store_id, id, ctx.now_ms],
    )?;
    ctx.conn.execute(
        "UPDATE categories SET station_id = NULL WHERE store_id = ?1 AND station_id = ?2",
        params![store_id, id],
    )?;
    ctx.conn.execute(
        "UPDATE menu_items SET station_id = NULL WHERE store_id = ?1 AND station_id = ?2",
        params![store_id, id],
    )?;
    // Print jobs of a station that is gone are dropped; its open tickets are closed.
    ctx.conn.execute(
        "UPDATE tickets SET print_pending = 0, bumped_at = coalesce(bumped_at, ?3) WHERE store_id = ?1 AND station_id = ?2",
        params![store_id, id, ctx.now_ms],
    )?;
    ctx.emit(NewEvent::new(
        store_id,
        None,
        EventType::PrinterChanged,
        crate::wire::PrinterChanged {
            station_id: id,
            state: "none".into(),
            waiting: 0,
            last_printed_at: None,
            configured: None,
            deleted: Some(true),
        },
    ))
}

/// Checks that `station_id` is a live station of the store (422 on `field` otherwise).
pub fn check_station(conn: &Connection, store_id: &str, field: &str, station_id: i64) -> AppResult<()> {
    match station(conn, store_id, station_id) {
        Ok(_) => Ok(()),
        Err(AppError::NotFound(_)) => Err(AppError::validation(field, "no such station in this store")),
        Err(e) => Err(e),
    }
}

fn printer_changed(ctx: &mut WriteCtx, store_id: &str, s: &StationDto) -> AppResult<()> {
    let waiting = waiting(ctx.conn, store_id, s.id)?;
    ctx.emit(NewEvent::new(
        store_id,
        None,
        EventType::PrinterChanged,
        crate::wire::PrinterChanged {
            station_id: s.id,
            state: if s.printer.is_some() { "ok" } else { "none" }.to_string(),
            waiting,
            last_printed_at: None,
            configured: Some(true),
            deleted: None,
        },
    ))
}

// ---- tickets -------------------------------------------------------------------------------

pub use crate::wire::{TicketDto, TicketLineDto};

const TICKET_COLS: &str = "k.id, k.station_id, k.order_id, o.order_no, s.table_id, t.number, k.created_at, k.bumped_at, k.printed_at, k.kind, k.lines";
const TICKET_FROM: &str = "FROM tickets k JOIN orders o ON o.store_id = k.store_id AND o.id = k.order_id
     JOIN table_sessions s ON s.id = o.session_id JOIN tables t ON t.id = s.table_id";

fn ticket_row(r: &rusqlite::Row) -> rusqlite::Result<TicketDto> {
    let lines: String = r.get(10)?;
    Ok(TicketDto {
        id: r.get(0)?,
        station_id: r.get(1)?,
        order_id: r.get(2)?,
        order_no: r.get(3)?,
        table_id: r.get(4)?,
        table_number: r.get(5)?,
        created_at: rfc3339(r.get(6)?),
        bumped_at: r.get::<_, Option<i64>>(7)?.map(rfc3339),
        printed_at: r.get::<_, Option<i64>>(8)?.map(rfc3339),
        kind: r.get(9)?,
        lines: serde_json::from_str(&lines).unwrap_or_default(),
    })
}

pub fn ticket(conn: &Connection, store_id: &str, id: i64) -> AppResult<TicketDto> {
    conn.prepare_cached(&format!("SELECT {TICKET_COLS} {TICKET_FROM} WHERE k.store_id = ?1 AND k.id = ?2"))?
        .query_row(params![store_id, id], ticket_row)
        .optional()?
        .ok_or(AppError::NotFound("ticket"))
}

/// Tickets, oldest first: of one station or all, open only (not bumped) or the latest 200.
pub fn tickets(conn: &Connection, store_id: &str, station_id: Option<i64>, open: bool) -> AppResult<Vec<TicketDto>> {
    let sql = if open {
        format!(
            "SELECT {TICKET_COLS} {TICKET_FROM} WHERE k.store_id = ?1 AND (?2 IS NULL OR k.station_id = ?2)
             AND k.bumped_at IS NULL ORDER BY k.id LIMIT 500"
        )
    } else {
        format!(
            "SELECT * FROM (SELECT {TICKET_COLS} {TICKET_FROM} WHERE k.store_id = ?1 AND (?2 IS NULL OR k.station_id = ?2)
             ORDER BY k.id DESC LIMIT 200) ORDER BY 1"
        )
    };
    Ok(conn.prepare_cached(&sql)?.query_map(params![store_id, station_id], ticket_row)?.collect::<Result<_, _>>()?)
}

/// Print jobs waiting at a station.
pub fn waiting(conn: &Connection, store_id: &str, station_id: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "SELECT (SELECT count(*) FROM tickets WHERE store_id = ?1 AND station_id = ?2 AND print_pending = 1)
              + (SELECT count(*) FROM prints WHERE store_id = ?1 AND station_id = ?2 AND print_pending = 1)",
    )?
    .query_row(params![store_id, station_id], |r| r.get(0))
}

/// The station of each order line: the item's own, else its category's, else the store's
/// first station; None when the store has no station (no kitchen set up).
fn route(conn: &Connection, store_id: &str, menu_item_id: i64) -> rusqlite::Result<Option<i64>> {
    let routed: Option<i64> = conn
        .prepare_cached(
            "SELECT coalesce(
                 (SELECT s.id FROM menu_items m JOIN stations s ON s.id = m.station_id AND s.deleted_at IS NULL
                   WHERE m.store_id = ?1 AND m.id = ?2),
                 (SELECT s.id FROM menu_items m JOIN categories c ON c.store_id = m.store_id AND c.id = m.category_id
                   JOIN stations s ON s.id = c.station_id AND s.deleted_at IS NULL WHERE m.store_id = ?1 AND m.id = ?2))",
        )?
        .query_row(params![store_id, menu_item_id], |r| r.get(0))?;
    if routed.is_some() {
        return Ok(routed);
    }
    conn.prepare_cached(
        "SELECT id FROM stations WHERE store_id = ?1 AND deleted_at IS NULL ORDER BY sort_order, id LIMIT 1",
    )?
    .query_row([store_id], |r| r.get(0))
    .optional()
}

fn has_printer(conn: &Connection, station_id: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT printer_host IS NOT NULL FROM stations WHERE id = ?1")?
        .query_row([station_id], |r| r.get(0))
}

fn insert_ticket(
    ctx: &mut WriteCtx,
    store_id: &str,
    station_id: i64,
    order: &OrderDto,
    kind: &str,
    lines: &[TicketLineDto],
) -> AppResult<TicketDto> {
    let print = has_printer(ctx.conn, station_id)?;
    let text = serde_json::to_string(lines).map_err(AppError::internal)?;
    ctx.conn
        .prepare_cached(
            "INSERT INTO tickets (store_id, station_id, order_id, kind, lines, created_at, print_pending)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![store_id, station_id, order.id, kind, text, ctx.now_ms, print])?;
    let t = TicketDto {
        id: ctx.conn.last_insert_rowid(),
        station_id,
        order_id: order.id,
        order_no: order.order_no,
        table_id: order.table_id,
        table_number: order.table_number,
        created_at: rfc3339(ctx.now_ms),
        bumped_at: None,
        printed_at: None,
        kind: kind.to_string(),
        lines: lines.to_vec(),
    };
    ctx.emit(NewEvent::new(store_id, Some(order.table_id), EventType::TicketCreated, &t))?;
    Ok(t)
}

/// One ticket per station that has lines of this new order (same transaction as the order).
pub fn order_tickets(ctx: &mut WriteCtx, store_id: &str, order: &OrderDto) -> AppResult<()> {
    let mut by_station: BTreeMap<i64, Vec<TicketLineDto>> = BTreeMap::new();
    for it in &order.items {
        let Some(station) = route(ctx.conn, store_id, it.menu_item_id)? else { return Ok(()) };
        by_station.entry(station).or_default().push(TicketLineDto {
            name: it.name.clone(),
            quantity: it.quantity,
            options: it.options.clone(),
            note: it.note.clone(),
        });
    }
    for (station, lines) in by_station {
        insert_ticket(ctx, store_id, station, order, "order", &lines)?;
    }
    Ok(())
}

/// A cancelled order: its open tickets close, and each station that had one gets a cancel
/// ticket with the same lines (printed too, so the kitchen stops cooking).
pub fn cancel_tickets(ctx: &mut WriteCtx, store_id: &str, order: &OrderDto) -> AppResult<()> {
    let had: Vec<(i64, String)> = ctx
        .conn
        .prepare_cached("SELECT station_id, lines FROM tickets WHERE store_id = ?1 AND order_id = ?2 AND kind = 'order' ORDER BY id")?
        .query_map(params![store_id, order.id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    close_open(ctx, store_id, order.id)?;
    for (station, lines) in had {
        let lines: Vec<TicketLineDto> = serde_json::from_str(&lines).unwrap_or_default();
        insert_ticket(ctx, store_id, station, order, "cancel", &lines)?;
    }
    Ok(())
}

/// Closes an order's open tickets (the order was completed or cancelled elsewhere).
pub fn close_open(ctx: &mut WriteCtx, store_id: &str, order_id: i64) -> AppResult<()> {
    let open: Vec<i64> = ctx
        .conn
        .prepare_cached("SELECT id FROM tickets WHERE store_id = ?1 AND order_id = ?2 AND bumped_at IS NULL")?
        .query_map(params![store_id, order_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in open {
        ctx.conn.execute(
            "UPDATE tickets SET bumped_at = ?3 WHERE store_id = ?1 AND id = ?2",
            params![store_id, id, ctx.now_ms],
        )?;
        let t = ticket(ctx.conn, store_id, id)?;
        ctx.emit(NewEvent::new(store_id, Some(t.table_id), EventType::TicketBumped, &t))?;
    }
    Ok(())
}

/// Bumps a ticket (done at its station). The first bump of an order moves it to
/// `preparing`; when every station's ticket of the order is bumped, the order is `completed`
/// (and the tablet sees it). Returns the ticket and the status its order should have now
/// (applied by [`crate::db::flows::bump`]).
pub fn bump(ctx: &mut WriteCtx, store_id: &str, id: i64) -> AppResult<(TicketDto, Option<OrderStatus>)> {
    let t = ticket(ctx.conn, store_id, id)?;
    if t.bumped_at.is_some() {
        return Ok((t, None));
    }
    let order = crate::db::orders::get(ctx.conn, store_id, t.order_id)?;
    ctx.conn.execute(
        "UPDATE tickets SET bumped_at = ?3, bump_prev_status = ?4 WHERE store_id = ?1 AND id = ?2",
        params![store_id, id, ctx.now_ms, order.status.as_str()],
    )?;
    let t = ticket(ctx.conn, store_id, id)?;
    ctx.emit(NewEvent::new(store_id, Some(t.table_id), EventType::TicketBumped, &t))?;
    if t.kind != "order" || !matches!(order.status, OrderStatus::Pending | OrderStatus::Preparing) {
        return Ok((t, None));
    }
    let open: i64 = ctx.conn.query_row(
        "SELECT count(*) FROM tickets WHERE store_id = ?1 AND order_id = ?2 AND kind = 'order' AND bumped_at IS NULL",
        params![store_id, t.order_id],
        |r| r.get(0),
    )?;
    let to = if open == 0 { OrderStatus::Completed } else { OrderStatus::Preparing };
    Ok((t, (to != order.status).then_some(to)))
}

/// Undoes a bump: the ticket is open again and its order should go back to the status it
/// had before that bump (a kitchen correction, the one way back from `completed`).
pub fn unbump(ctx: &mut WriteCtx, store_id: &str, id: i64) -> AppResult<(TicketDto, Option<OrderStatus>)> {
    let t = ticket(ctx.conn, store_id, id)?;
    if t.bumped_at.is_none() {
        return Ok((t, None));
    }
    let prev: Option<String> = ctx.conn.query_row(
        "SELECT bump_prev_status FROM tickets WHERE store_id = ?1 AND id = ?2",
        params![store_id, id],
        |r| r.get(0),
    )?;
    let order = crate::db::orders::get(ctx.conn, store_id, t.order_id)?;
    if order.status == OrderStatus::Cancelled {
        return Err(AppError::Conflict("the order was cancelled".into()));
    }
    ctx.conn.execute(
        "UPDATE tickets SET bumped_at = NULL, bump_prev_status = NULL WHERE store_id = ?1 AND id = ?2",
        params![store_id, id],
    )?;
    let t = ticket(ctx.conn, store_id, id)?;
    ctx.emit(NewEvent::new(store_id, Some(t.table_id), EventType::TicketCreated, &t))?;
    if t.kind != "order" {
        return Ok((t, None));
    }
    // While another station's ticket stays bumped the order is being prepared; when none
    // does, it goes back to what it was before its first bump (this ticket's note of it).
    let still_bumped: i64 = ctx.conn.query_row(
        "SELECT count(*) FROM tickets WHERE store_id = ?1 AND order_id = ?2 AND kind = 'order' AND bumped_at IS NOT NULL",
        params![store_id, t.order_id],
        |r| r.get(0),
    )?;
    let back =
        if still_bumped > 0 { Some(OrderStatus::Preparing) } else { prev.as_deref().and_then(OrderStatus::parse) };
    Ok((t, back.filter(|to| *to != order.status)))
}

/// Queues every ticket of an order for printing again, marked as a reprint. Returns how
/// many print jobs were queued (tickets of stations with a printer).
pub fn reprint(ctx: &mut WriteCtx, store_id: &str, order_id: i64) -> AppResult<i64> {
    crate::db::orders::get(ctx.conn, store_id, order_id)?;
    let n = ctx.conn.execute(
        "UPDATE tickets SET print_pending = 1, reprint = 1
         WHERE store_id = ?1 AND order_id = ?2
           AND station_id IN (SELECT id FROM stations WHERE store_id = ?1 AND printer_host IS NOT NULL AND deleted_at IS NULL)",
        params![store_id, order_id],
    )?;
    Ok(n as i64)
}

/// A print job: the oldest ticket waiting at a station, with what the paper needs.
#[derive(Debug, Clone)]
pub struct PrintJob {
    /// The ticket's id, or the document's (`doc` is set) in `prints`.
    pub ticket_id: i64,
    /// A bill, receipt or day report from the `prints` outbox (not a kitchen ticket).
    pub doc: Option<crate::receipt::Doc>,
    pub store_name: String,
    pub timezone: String,
    pub created_at_ms: i64,
    pub table_number: i64,
    pub order_no: i64,
    pub cancel: bool,
    pub reprint: bool,
    pub lines: Vec<TicketLineDto>,
}

/// The next job of a station: its oldest waiting kitchen ticket, else its oldest waiting
/// document (a bill, a receipt, a day report).
pub fn next_job(conn: &Connection, store_id: &str, station_id: i64) -> rusqlite::Result<Option<PrintJob>> {
    if let Some(t) = next_ticket(conn, store_id, station_id)? {
        return Ok(Some(t));
    }
    conn.prepare_cached(
        "SELECT p.id, s.name, s.timezone, p.created_at, p.reprint, p.body
         FROM prints p JOIN stores s ON s.id = p.store_id
         WHERE p.store_id = ?1 AND p.station_id = ?2 AND p.print_pending = 1 ORDER BY p.id LIMIT 1",
    )?
    .query_row(params![store_id, station_id], |r| {
        let body: String = r.get(5)?;
        Ok(PrintJob {
            ticket_id: r.get(0)?,
            doc: Some(serde_json::from_str(&body).unwrap_or_default()),
            store_name: r.get(1)?,
            timezone: r.get(2)?,
            created_at_ms: r.get(3)?,
            table_number: 0,
            order_no: 0,
            cancel: false,
            reprint: r.get::<_, i64>(4)? != 0,
            lines: vec![],
        })
    })
    .optional()
}

fn next_ticket(conn: &Connection, store_id: &str, station_id: i64) -> rusqlite::Result<Option<PrintJob>> {
    conn.prepare_cached(
        "SELECT k.id, s.name, s.timezone, k.created_at, t.number, o.order_no, k.kind, k.reprint, k.lines
         FROM tickets k JOIN orders o ON o.store_id = k.store_id AND o.id = k.order_id
         JOIN table_sessions ts ON ts.id = o.session_id JOIN tables t ON t.id = ts.table_id
         JOIN stores s ON s.id = k.store_id
         WHERE k.store_id = ?1 AND k.station_id = ?2 AND k.print_pending = 1 ORDER BY k.id LIMIT 1",
    )?
    .query_row(params![store_id, station_id], |r| {
        let kind: String = r.get(6)?;
        let lines: String = r.get(8)?;
        Ok(PrintJob {
            ticket_id: r.get(0)?,
            doc: None,
            store_name: r.get(1)?,
            timezone: r.get(2)?,
            created_at_ms: r.get(3)?,
            table_number: r.get(4)?,
            order_no: r.get(5)?,
            cancel: kind == "cancel",
            reprint: r.get::<_, i64>(7)? != 0,
            lines: serde_json::from_str(&lines).unwrap_or_default(),
        })
    })
    .optional()
}

fn job_table(doc: bool) -> &'static str {
    if doc { "prints" } else { "tickets" }
}

/// The printer took the job (`doc`: a document of `prints`, else a ticket).
pub fn printed(conn: &Connection, store_id: &str, id: i64, doc: bool, now_ms: i64) -> rusqlite::Result<()> {
    conn.execute(
        &format!(
            "UPDATE {} SET print_pending = 0, reprint = 0, printed_at = ?3 WHERE store_id = ?1 AND id = ?2",
            job_table(doc)
        ),
        params![store_id, id, now_ms],
    )?;
    Ok(())
}

/// The connection broke while the job was being sent: the next print says "재출력".
pub fn mark_reprint(conn: &Connection, store_id: &str, id: i64, doc: bool) -> rusqlite::Result<()> {
    conn.execute(
        &format!("UPDATE {} SET reprint = 1 WHERE store_id = ?1 AND id = ?2", job_table(doc)),
        params![store_id, id],
    )?;
    Ok(())
}

/// When the station last printed (for its status).
pub fn last_printed(conn: &Connection, store_id: &str, station_id: i64) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT max(coalesce((SELECT max(printed_at) FROM tickets WHERE store_id = ?1 AND station_id = ?2), 0),
                    coalesce((SELECT max(printed_at) FROM prints WHERE store_id = ?1 AND station_id = ?2), 0))",
    )?
    .query_row(params![store_id, station_id], |r| r.get::<_, i64>(0))
    .map(|v| (v > 0).then_some(v))
}

/// The station that prints bills, receipts and day reports: the one marked `receipt`, else
/// the first with a printer.
pub fn receipt_station(conn: &Connection, store_id: &str) -> AppResult<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM stations WHERE store_id = ?1 AND deleted_at IS NULL AND printer_host IS NOT NULL
             ORDER BY receipt DESC, sort_order, id LIMIT 1",
        )?
        .query_row([store_id], |r| r.get(0))
        .optional()?)
}

/// Queues a document on the receipt printer, in the caller's transaction (409 when the
/// store has no printer to print it on). Answers the job's id.
pub fn print_doc(ctx: &mut WriteCtx, store_id: &str, kind: &str, doc: &crate::receipt::Doc) -> AppResult<i64> {
    let station = receipt_station(ctx.conn, store_id)?.ok_or_else(|| {
        AppError::Conflict("no receipt printer: give a station a printer on the Stations page".into())
    })?;
    let body = serde_json::to_string(doc).map_err(AppError::internal)?;
    ctx.conn.execute(
        "INSERT INTO prints (store_id, station_id, kind, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![store_id, station, kind, body, ctx.now_ms],
    )?;
    let id = ctx.conn.last_insert_rowid();
    // The station's printer task looks at once.
    ctx.emit(NewEvent::new(
        store_id,
        None,
        EventType::PrinterChanged,
        crate::wire::PrinterChanged {
            station_id: station,
            state: "ok".into(),
            waiting: waiting(ctx.conn, store_id, station)?,
            last_printed_at: None,
            configured: None,
            deleted: None,
        },
    ))?;
    Ok(id)
}
