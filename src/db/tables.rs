//! Restaurant tables and their sessions.

use crate::db::events::{EventType, NewEvent};
use crate::db::rfc3339;
use crate::db::writer::WriteCtx;
use crate::error::{AppError, AppResult, on_constraint};
use rusqlite::{Connection, OptionalExtension, params};

pub use crate::wire::{EndedSession, SessionSummary, TableDto};

/// Summary of session `id` (store-scoped).
pub fn session_summary(conn: &Connection, store_id: &str, session_id: i64) -> rusqlite::Result<Option<SessionSummary>> {
    conn.prepare_cached(
        "SELECT s.id, s.started_at,
                coalesce(sum(CASE WHEN o.status <> 'cancelled' THEN o.total END), 0),
                count(CASE WHEN o.status <> 'cancelled' THEN 1 END), s.guests
         FROM table_sessions s LEFT JOIN orders o ON o.store_id = s.store_id AND o.session_id = s.id
         WHERE s.store_id = ?1 AND s.id = ?2 GROUP BY s.id",
    )?
    .query_row(params![store_id, session_id], |r| {
        Ok(SessionSummary {
            id: r.get(0)?,
            started_at: rfc3339(r.get(1)?),
            total: r.get(2)?,
            order_count: r.get(3)?,
            guests: r.get(4)?,
        })
    })
    .optional()
}

/// Sets a session's guests when nobody has said yet (a tablet's first order says it).
pub fn guests_if_unknown(conn: &Connection, store_id: &str, session_id: i64, guests: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE table_sessions SET guests = ?3 WHERE store_id = ?1 AND id = ?2 AND guests IS NULL")?
        .execute(params![store_id, session_id, guests])?;
    Ok(())
}

pub fn open_session_id(conn: &Connection, store_id: &str, table_id: i64) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM table_sessions WHERE store_id = ?1 AND table_id = ?2 AND ended_at IS NULL")?
        .query_row(params![store_id, table_id], |r| r.get(0))
        .optional()
}

pub fn list(conn: &Connection, store_id: &str) -> rusqlite::Result<Vec<TableDto>> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT t.id, t.number, s.id FROM tables t
         LEFT JOIN table_sessions s ON s.store_id = t.store_id AND s.table_id = t.id AND s.ended_at IS NULL
         WHERE t.store_id = ?1 AND t.deleted_at IS NULL ORDER BY t.number",
    )?;
    let rows: Vec<(i64, i64, Option<i64>)> =
        stmt.query_map([store_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
    for (id, number, session) in rows {
        let session = match session {
            Some(sid) => session_summary(conn, store_id, sid)?,
            None => None,
        };
        out.push(TableDto { id, number, session });
    }
    Ok(out)
}

/// A live (not deleted) table of the store: (id, number).
pub fn get(conn: &Connection, store_id: &str, id: i64) -> AppResult<TableDto> {
    let row: Option<(i64, i64)> = conn
        .prepare_cached("SELECT id, number FROM tables WHERE store_id = ?1 AND id = ?2 AND deleted_at IS NULL")?
        .query_row(params![store_id, id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (id, number) = row.ok_or(AppError::NotFound("table"))?;
    let session = match open_session_id(conn, store_id, id)? {
        Some(sid) => session_summary(conn, store_id, sid)?,
        None => None,
    };
    Ok(TableDto { id, number, session })
}

/// The number of a table that still exists; a deleted table's token, which may still be
/// valid, answers 401 so that the tablet has to be set up again.
pub fn live_number(conn: &Connection, store_id: &str, table_id: i64) -> AppResult<i64> {
    conn.prepare_cached("SELECT number FROM tables WHERE store_id = ?1 AND id = ?2 AND deleted_at IS NULL")?
        .query_row(params![store_id, table_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| AppError::Unauthorized("this table no longer exists".into()))
}

pub fn create(ctx: &mut WriteCtx, store_id: &str, number: i64, hash: &str, max: u64) -> AppResult<TableDto> {
    let count: i64 = ctx.conn.query_row(
        "SELECT count(*) FROM tables WHERE store_id = ?1 AND deleted_at IS NULL",
        [store_id],
        |r| r.get(0),
    )?;
    if max > 0 && count as u64 >= max {
        return Err(AppError::LimitReached { limit: "max_tables", value: max });
    }
    ctx.conn
        .execute(
            "INSERT INTO tables (store_id, number, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![store_id, number, hash, ctx.now_ms],
        )
        .map_err(|e| on_constraint(e, "a table with this number exists already"))?;
    let t = TableDto { id: ctx.conn.last_insert_rowid(), number, session: None };
    crate::db::stores::accounts_changed(ctx.conn)?;
    emit_changed(ctx, store_id, &t, "created")?;
    Ok(t)
}

fn emit_changed(ctx: &mut WriteCtx, store_id: &str, t: &TableDto, change: &str) -> AppResult<()> {
    ctx.emit(NewEvent::new(
        store_id,
        Some(t.id),
        EventType::TableChanged,
        crate::wire::TableChanged { change: change.to_string(), table: t.clone() },
    ))
}

/// Sets a table's password. It also lifts a lockout and ends the tokens issued before
/// (the tablet logs in again with the new password). Returns the table and its new token generation.
pub fn set_password(ctx: &mut WriteCtx, store_id: &str, id: i64, hash: &str) -> AppResult<(TableDto, i64)> {
    let t = get(ctx.conn, store_id, id)?;
    let tgen: i64 = ctx.conn.query_row(
        "UPDATE tables SET password_hash = ?3, failed_logins = 0, locked_until = NULL, token_gen = token_gen + 1
         WHERE store_id = ?1 AND id = ?2 RETURNING token_gen",
        params![store_id, id, hash],
        |r| r.get(0),
    )?;
    crate::db::stores::accounts_changed(ctx.conn)?;
    emit_changed(ctx, store_id, &t, "password_changed")?;
    Ok((t, tgen))
}

pub fn delete(ctx: &mut WriteCtx, store_id: &str, id: i64) -> AppResult<()> {
    let t = get(ctx.conn, store_id, id)?;
    if t.session.is_some() {
        return Err(AppError::Conflict("the table has an open session; end it first".into()));
    }
    // Soft delete: history keeps the table's number.
    ctx.conn.execute(
        "UPDATE tables SET deleted_at = ?3, token_gen = token_gen + 1 WHERE store_id = ?1 AND id = ?2",
        params![store_id, id, ctx.now_ms],
    )?;
    crate::db::stores::accounts_changed(ctx.conn)?;
    emit_changed(ctx, store_id, &t, "deleted")
}

/// Ends the table's open session; 409 when none is open. Handlers call
/// [`crate::db::flows::end_session`], which closes what goes with it.
pub fn end_session(ctx: &mut WriteCtx, store_id: &str, table_id: i64) -> AppResult<EndedSession> {
    let t = get(ctx.conn, store_id, table_id)?;
    let s = t.session.ok_or_else(|| AppError::Conflict("the table has no open session".into()))?;
    // Never before the start, whatever the clock says (the writer's clock does not go
    // back, but a session may have been started by a box whose clock was ahead).
    // The check is settled in the business day open now (one opens if none is).
    let day_id = crate::db::days::ensure_open(ctx, store_id)?;
    let ended_ms: i64 = ctx.conn.query_row(
        "UPDATE table_sessions SET ended_at = max(?3, started_at), day_id = ?4 WHERE store_id = ?1 AND id = ?2 RETURNING ended_at",
        params![store_id, s.id, ctx.now_ms, day_id],
        |r| r.get(0),
    )?;
    let ended = EndedSession {
        session_id: s.id,
        table_id,
        table_number: t.number,
        started_at: s.started_at,
        ended_at: rfc3339(ended_ms),
        total: s.total,
        order_count: s.order_count,
        guests: s.guests,
    };
    ctx.emit(NewEvent::new(store_id, Some(table_id), EventType::SessionEnded, &ended))?;
    Ok(ended)
}
