//! The audit trail: who did what to money, orders, tables, the menu's prices and staff, and
//! who approved it. A row is written inside the same write job as its action (so a failed
//! action leaves none), is never edited or deleted (the schema's triggers refuse it), and
//! travels to the chain hub as an `audit` event.

use crate::db::events::{EventType, NewEvent};
use crate::db::rfc3339;
use crate::db::writer::WriteCtx;
use crate::error::AppResult;
use crate::wire::AuditEntry;
use rusqlite::{Connection, params};
use serde_json::Value;

/// The kinds the trail knows (API.md's list, plus moving one order, ending a session with a
/// balance by force, changing the store's settings, and logins locked after wrong passwords).
pub const KINDS: &[&str] = &[
    "order_cancelled",
    "line_voided",
    "discount_added",
    "comp_added",
    "adjustment_removed",
    "payment_refunded",
    "price_changed",
    "item_sold_out",
    "staff_changed",
    "day_opened",
    "day_closed",
    "backup_downloaded",
    "update_applied",
    "table_moved",
    "tables_merged",
    "order_moved",
    "session_forced_end",
    "settings_changed",
    "login_locked",
];

/// Who acts: a staff member (by id), with the name shown for them.
#[derive(Debug, Clone)]
pub struct Who {
    pub staff_id: i64,
    pub name: String,
}

/// A manager or owner who approved a server's action.
#[derive(Debug, Clone)]
pub struct Approver {
    pub staff_id: i64,
    pub name: String,
}

/// One action to record.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    pub kind: &'static str,
    pub staff_id: Option<i64>,
    pub approver_id: Option<i64>,
    pub table_number: Option<i64>,
    pub order_id: Option<i64>,
    pub amount: Option<i64>,
    pub reason: Option<String>,
    pub detail: Value,
}

impl Audit {
    /// An action of `kind` by `who`, approved by `approver` when there was one.
    pub fn by(kind: &'static str, who: &Who, approver: Option<&Approver>) -> Audit {
        Audit {
            kind,
            staff_id: Some(who.staff_id),
            approver_id: approver.map(|a| a.staff_id),
            detail: Value::Object(Default::default()),
            ..Default::default()
        }
    }
}

const COLS: &str = "a.id, a.at, a.kind, a.staff_id,
    (SELECT CASE WHEN s.display_name = '' THEN s.username ELSE s.display_name END FROM admins s WHERE s.id = a.staff_id),
    a.approver_id,
    (SELECT CASE WHEN s.display_name = '' THEN s.username ELSE s.display_name END FROM admins s WHERE s.id = a.approver_id),
    a.table_number, a.order_id, a.amount, a.reason, a.detail";

fn row(r: &rusqlite::Row) -> rusqlite::Result<AuditEntry> {
    let detail: String = r.get(11)?;
    Ok(AuditEntry {
        id: r.get(0)?,
        at: rfc3339(r.get(1)?),
        kind: r.get(2)?,
        staff_id: r.get(3)?,
        staff_name: r.get(4)?,
        approver_id: r.get(5)?,
        approver_name: r.get(6)?,
        table_number: r.get(7)?,
        order_id: r.get(8)?,
        amount: r.get(9)?,
        reason: r.get(10)?,
        detail: serde_json::from_str(&detail).unwrap_or(Value::Null),
    })
}

/// Writes the row (inside the caller's job) and its `audit` event.
pub fn record(ctx: &mut WriteCtx, store_id: &str, a: Audit) -> AppResult<AuditEntry> {
    debug_assert!(KINDS.contains(&a.kind), "unknown audit kind {}", a.kind);
    let detail = if a.detail.is_null() { "{}".to_string() } else { a.detail.to_string() };
    ctx.conn
        .prepare_cached(
            "INSERT INTO audit_log (store_id, at, kind, staff_id, approver_id, table_number, order_id, amount, reason, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            store_id,
            ctx.now_ms,
            a.kind,
            a.staff_id,
            a.approver_id,
            a.table_number,
            a.order_id,
            a.amount,
            a.reason,
            detail
        ])?;
    let id = ctx.conn.last_insert_rowid();
    let entry = ctx
        .conn
        .prepare_cached(&format!("SELECT {COLS} FROM audit_log a WHERE a.store_id = ?1 AND a.id = ?2"))?
        .query_row(params![store_id, id], row)?;
    ctx.emit(NewEvent::new(store_id, None, EventType::Audit, &entry))?;
    Ok(entry)
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub kind: Option<String>,
    pub staff_id: Option<i64>,
    pub limit: i64,
}

/// The trail newest first: in [from, to), of one kind, of one person (as the actor or the
/// approver).
pub fn list(conn: &Connection, store_id: &str, f: &Filter) -> AppResult<Vec<AuditEntry>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM audit_log a
             WHERE a.store_id = ?1 AND (?2 IS NULL OR a.at >= ?2) AND (?3 IS NULL OR a.at < ?3)
               AND (?4 IS NULL OR a.kind = ?4) AND (?5 IS NULL OR a.staff_id = ?5 OR a.approver_id = ?5)
             ORDER BY a.at DESC, a.id DESC LIMIT ?6"
        ))?
        .query_map(params![store_id, f.from_ms, f.to_ms, f.kind, f.staff_id, f.limit], row)?
        .collect::<Result<_, _>>()?)
}
