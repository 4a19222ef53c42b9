//! What the uploader to the chain hub reads and records in the box's database: its cursor
//! (every event up to it is held by the hub), the events after it, the stores, and the
//! backfill of a box whose history was pruned before it joined.

use crate::db::{self, rfc3339};
use crate::wire::{BackfillSession, StoreInfo, StoreOrder, WireEvent};
use rusqlite::{Connection, params};
use serde_json::value::RawValue;

/// The box's cursor: every event up to it is held by the hub.
pub fn cursor(conn: &Connection) -> rusqlite::Result<i64> {
    Ok(db::stores::meta_get(conn, "hub_acked")?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Moves the cursor forwards to `acked` (never back: a hub that says less is [`rewind`]).
pub fn advance(conn: &Connection, acked: i64) -> rusqlite::Result<()> {
    let cur = cursor(conn)?;
    db::stores::meta_set(conn, "hub_acked", &acked.max(cur).to_string())
}

/// Moves the cursor back to what the hub holds (`acked`), or to the box's prune floor when
/// it pruned further, in which case the backfill is marked to be sent again.
/// Answers (new cursor, floor).
pub fn rewind(conn: &Connection, acked: i64) -> rusqlite::Result<(i64, i64)> {
    let floor = db::events::floor(conn)?;
    let to = acked.max(floor);
    db::stores::meta_set(conn, "hub_acked", &to.to_string())?;
    if floor > acked {
        conn.execute("DELETE FROM meta WHERE key = 'hub_backfilled'", [])?;
    }
    Ok((to, floor))
}

pub fn backfilled(conn: &Connection) -> rusqlite::Result<bool> {
    Ok(db::stores::meta_get(conn, "hub_backfilled")?.is_some())
}

pub fn set_backfilled(conn: &Connection) -> rusqlite::Result<()> {
    db::stores::meta_set(conn, "hub_backfilled", "1")
}

/// Events after `after`, oldest first, at most `max_events` or about `max_bytes`.
pub fn batch(conn: &Connection, after: i64, max_events: i64, max_bytes: usize) -> rusqlite::Result<Vec<WireEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, store_id, table_id, type, payload, created_at FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![after, max_events])?;
    let mut out = Vec::new();
    let mut bytes = 0;
    while let Some(r) = rows.next()? {
        let payload: String = r.get(4)?;
        bytes += payload.len() + 100;
        if bytes > max_bytes && !out.is_empty() {
            break;
        }
        // Stored by the box as JSON; a row that somehow is not stays null rather than
        // stopping the feed.
        let data = RawValue::from_string(payload).unwrap_or_else(|_| RawValue::from_string("null".into()).unwrap());
        out.push(WireEvent {
            id: r.get(0)?,
            store_id: r.get(1)?,
            table_id: r.get(2)?,
            kind: r.get(3)?,
            data,
            created_at: rfc3339(r.get(5)?),
        });
    }
    Ok(out)
}

/// Every store of the box, with its name and timezone.
pub fn stores(conn: &Connection) -> rusqlite::Result<Vec<StoreInfo>> {
    conn.prepare_cached("SELECT id, name, timezone FROM stores ORDER BY id")?
        .query_map([], |r| Ok(StoreInfo { store_id: r.get(0)?, name: r.get(1)?, timezone: r.get(2)? }))?
        .collect()
}

/// A page of the backfill: up to 500 orders after order id `after`, with their sessions.
/// `None` as the last id: nothing left.
pub type BackfillPage = (Option<i64>, Vec<StoreOrder>, Vec<BackfillSession>);

pub fn backfill_page(conn: &Connection, after: i64) -> crate::error::AppResult<BackfillPage> {
    let ids: Vec<(String, i64)> = conn
        .prepare("SELECT store_id, id FROM orders WHERE id > ?1 ORDER BY id LIMIT 500")?
        .query_map([after], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut orders = Vec::with_capacity(ids.len());
    for (store, id) in &ids {
        orders.push(StoreOrder { store_id: store.clone(), order: db::orders::get(conn, store, *id)? });
    }
    let sessions: Vec<BackfillSession> = conn
        .prepare(
            "SELECT s.store_id, s.id, s.table_id, s.started_at, s.ended_at,
                    coalesce((SELECT sum(total) FROM orders o WHERE o.store_id = s.store_id AND o.session_id = s.id AND o.status <> 'cancelled'), 0),
                    (SELECT count(*) FROM orders o WHERE o.store_id = s.store_id AND o.session_id = s.id AND o.status <> 'cancelled')
             FROM table_sessions s WHERE s.id IN (SELECT DISTINCT session_id FROM orders WHERE id > ?1 ORDER BY id LIMIT 500)",
        )?
        .query_map([after], |r| {
            Ok(BackfillSession {
                store_id: r.get(0)?,
                session_id: r.get(1)?,
                table_id: r.get(2)?,
                started_at: rfc3339(r.get(3)?),
                ended_at: r.get::<_, Option<i64>>(4)?.map(rfc3339),
                total: r.get(5)?,
                order_count: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok((ids.last().map(|(_, id)| *id), orders, sessions))
}
