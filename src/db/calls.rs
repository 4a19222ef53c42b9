//! Staff calls from tables.

use crate::db::events::{EventType, NewEvent};
use crate::db::rfc3339;
use crate::db::tables;
use crate::db::writer::WriteCtx;
use crate::error::{AppError, AppResult};
use rusqlite::{Connection, OptionalExtension, params};

pub use crate::wire::CallDto;

const COLS: &str = "c.id, c.table_id, t.number, c.session_id, c.reason, c.created_at, c.acked_at";

fn row(r: &rusqlite::Row) -> rusqlite::Result<CallDto> {
    Ok(CallDto {
        id: r.get(0)?,
        table_id: r.get(1)?,
        table_number: r.get(2)?,
        session_id: r.get(3)?,
        reason: r.get(4)?,
        created_at: rfc3339(r.get(5)?),
        acked_at: r.get::<_, Option<i64>>(6)?.map(rfc3339),
    })
}

pub fn get(conn: &Connection, store_id: &str, id: i64) -> AppResult<CallDto> {
    conn.prepare_cached(&format!(
        "SELECT {COLS} FROM staff_calls c JOIN tables t ON t.id = c.table_id WHERE c.store_id = ?1 AND c.id = ?2"
    ))?
    .query_row(params![store_id, id], row)
    .optional()?
    .ok_or(AppError::NotFound("call"))
}

/// Open calls, or the latest 100 of any state, newest first.
pub fn list(conn: &Connection, store_id: &str, open_only: bool) -> AppResult<Vec<CallDto>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM staff_calls c JOIN tables t ON t.id = c.table_id
             WHERE c.store_id = ?1 AND (?2 = 0 OR c.acked_at IS NULL) ORDER BY c.id DESC LIMIT 100"
        ))?
        .query_map(params![store_id, open_only], row)?
        .collect::<Result<_, _>>()?)
}

/// One table's open calls, newest first (a table has at most one, but older boxes may hold more).
pub fn open_for_table(conn: &Connection, store_id: &str, table_id: i64) -> AppResult<Vec<CallDto>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM staff_calls c JOIN tables t ON t.id = c.table_id
             WHERE c.store_id = ?1 AND c.table_id = ?2 AND c.acked_at IS NULL ORDER BY c.id DESC LIMIT 100"
        ))?
        .query_map(params![store_id, table_id], row)?
        .collect::<Result<_, _>>()?)
}

/// Acknowledges every open call of a table (its guests have left), each with its
/// `call_acked` event.
pub fn close_for_table(ctx: &mut WriteCtx, store_id: &str, table_id: i64) -> AppResult<()> {
    for call in open_for_table(ctx.conn, store_id, table_id)? {
        ack(ctx, store_id, call.id)?;
    }
    Ok(())
}

/// The longest a call's reasons grow to by joining (a reason alone is at most 200).
const MAX_JOINED: usize = 400;

/// Creates a call, or returns the table's call that is still open: a second tap adds
/// nothing, a second need (another reason) joins it as `"water, plates"` and the call is
/// announced again (`call_created`, same id). An open bill request is not such a call: a
/// table waiting for its bill may still need water.
pub fn create(ctx: &mut WriteCtx, store_id: &str, table_id: i64, reason: &str) -> AppResult<(CallDto, bool)> {
    call(ctx, store_id, table_id, reason, false)
}

/// The guest asks for the bill (계산 요청): a call with reason `bill`, made even while
/// another call is open; asking again while it is open answers that one. A table with no
/// open visit has no bill: 409 `conflict`.
pub fn request_bill(ctx: &mut WriteCtx, store_id: &str, table_id: i64) -> AppResult<(CallDto, bool)> {
    call(ctx, store_id, table_id, "bill", true)
}

/// A call, unless an open one of the same kind (bill request or not) answers for it.
fn call(ctx: &mut WriteCtx, store_id: &str, table_id: i64, reason: &str, bill: bool) -> AppResult<(CallDto, bool)> {
    // A deleted table's token may still be alive: it calls nobody, open call or not.
    tables::live_number(ctx.conn, store_id, table_id)?;
    let open: Option<i64> = ctx
        .conn
        .query_row(
            "SELECT id FROM staff_calls WHERE store_id = ?1 AND table_id = ?2 AND acked_at IS NULL
               AND (coalesce(reason, '') = 'bill') = ?3 ORDER BY id DESC LIMIT 1",
            params![store_id, table_id, bill],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = open {
        let call = get(ctx.conn, store_id, id)?;
        // Another need while staff are on their way (water, then plates): it joins the open
        // call, so nothing asked for is lost, and the screens hear of it again.
        let had = call.reason.clone();
        if bill || reason.is_empty() || had.split(", ").any(|r| r == reason) {
            return Ok((call, false));
        }
        let joined = if had.is_empty() { reason.to_string() } else { format!("{had}, {reason}") };
        if joined.chars().count() > MAX_JOINED {
            return Ok((call, false));
        }
        ctx.conn.execute(
            "UPDATE staff_calls SET reason = ?3 WHERE store_id = ?1 AND id = ?2",
            params![store_id, id, joined],
        )?;
        let call = get(ctx.conn, store_id, id)?;
        ctx.emit(NewEvent::new(store_id, Some(table_id), EventType::CallCreated, &call))?;
        return Ok((call, false));
    }
    let session = tables::open_session_id(ctx.conn, store_id, table_id)?;
    if bill && session.is_none() {
        return Err(AppError::Conflict("the table has no open visit to bill".into()));
    }
    ctx.conn.execute(
        "INSERT INTO staff_calls (store_id, table_id, session_id, reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![store_id, table_id, session, reason, ctx.now_ms],
    )?;
    let call = get(ctx.conn, store_id, ctx.conn.last_insert_rowid())?;
    ctx.emit(NewEvent::new(store_id, Some(table_id), EventType::CallCreated, &call))?;
    Ok((call, true))
}

/// Acknowledges a call; acknowledging twice changes nothing.
pub fn ack(ctx: &mut WriteCtx, store_id: &str, id: i64) -> AppResult<CallDto> {
    let call = get(ctx.conn, store_id, id)?;
    if call.acked_at.is_some() {
        return Ok(call);
    }
    ctx.conn.execute(
        "UPDATE staff_calls SET acked_at = ?3 WHERE store_id = ?1 AND id = ?2",
        params![store_id, id, ctx.now_ms],
    )?;
    let call = get(ctx.conn, store_id, id)?;
    ctx.emit(NewEvent::new(store_id, Some(call.table_id), EventType::CallAcked, &call))?;
    Ok(call)
}
