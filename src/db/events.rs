//! The `events` table: the change feed behind SSE replay.

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

/// Largest `data:` payload sent as is (seed §3.2); larger ones become a notice to refetch.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

pub use crate::wire::{EventData, EventType};

/// An event a write job records.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub store_id: String,
    pub table_id: Option<i64>,
    pub kind: EventType,
    pub payload: Value,
}

impl NewEvent {
    /// An event of `kind` carrying `data` (the wire contract's type for that kind).
    pub fn new(store_id: &str, table_id: Option<i64>, kind: EventType, data: impl Into<EventData>) -> NewEvent {
        let data = data.into();
        debug_assert!(data.fits(kind), "{kind:?} does not carry {data:?}");
        NewEvent {
            store_id: store_id.to_string(),
            table_id,
            kind,
            payload: serde_json::to_value(data).unwrap_or(Value::Null),
        }
    }
}

/// A committed event with its SSE frame rendered once for every receiver.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub id: i64,
    pub store_id: String,
    pub table_id: Option<i64>,
    pub kind: EventType,
    pub frame: Bytes,
}

/// The SSE frame of one event; oversized data is replaced by a short notice.
pub fn render(id: i64, kind: &str, store_id: &str, table_id: Option<i64>, payload: &str) -> Bytes {
    let data = if payload.len() > MAX_EVENT_BYTES {
        json!({
            "store_id": store_id,
            "table_id": table_id,
            "too_large": true,
            "message": "event too large to send, refetch through the API",
        })
        .to_string()
    } else {
        payload.to_string()
    };
    Bytes::from(format!("id: {id}\nevent: {kind}\ndata: {data}\n\n"))
}

/// Inserts an event inside the caller's transaction.
pub fn insert(conn: &Connection, ev: NewEvent, now_ms: i64) -> rusqlite::Result<StoredEvent> {
    let mut payload = ev.payload;
    if let Value::Object(map) = &mut payload {
        map.insert("store_id".into(), json!(ev.store_id));
        if !map.contains_key("table_id") {
            map.insert("table_id".into(), json!(ev.table_id));
        }
    }
    let text = payload.to_string();
    conn.prepare_cached(
        "INSERT INTO events (store_id, table_id, type, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![ev.store_id, ev.table_id, ev.kind.as_str(), text, now_ms])?;
    let id = conn.last_insert_rowid();
    Ok(StoredEvent {
        id,
        frame: render(id, ev.kind.as_str(), &ev.store_id, ev.table_id, &text),
        store_id: ev.store_id,
        table_id: ev.table_id,
        kind: ev.kind,
    })
}

/// Events after `after_id` that a store's staff (`table` = None) or one table may see, oldest first.
pub fn replay(
    conn: &Connection,
    store_id: &str,
    table: Option<i64>,
    after_id: i64,
    limit: i64,
) -> rusqlite::Result<Vec<StoredEvent>> {
    let map = |r: &rusqlite::Row| -> rusqlite::Result<(i64, Option<i64>, String, String)> {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    };
    let rows: Vec<(i64, Option<i64>, String, String)> = match table {
        None => conn
            .prepare_cached(
                "SELECT id, table_id, type, payload FROM events
                 WHERE store_id = ?1 AND id > ?2 AND type <> 'audit' ORDER BY id LIMIT ?3",
            )?
            .query_map(params![store_id, after_id, limit], map)?
            .collect::<Result<_, _>>()?,
        Some(t) => conn
            .prepare_cached(
                "SELECT id, table_id, type, payload FROM events
                 WHERE store_id = ?1 AND id > ?2
                   AND (type = 'menu_changed' OR (table_id = ?3 AND type IN
                        ('order_created','order_updated','order_cancelled','session_ended','call_acked','session_moved')))
                 ORDER BY id LIMIT ?4",
            )?
            .query_map(params![store_id, after_id, t, limit], map)?
            .collect::<Result<_, _>>()?,
    };
    Ok(rows
        .into_iter()
        .filter_map(|(id, table_id, kind, payload)| {
            let k = EventType::parse(&kind)?;
            Some(StoredEvent {
                id,
                frame: render(id, &kind, store_id, table_id, &payload),
                store_id: store_id.to_string(),
                table_id,
                kind: k,
            })
        })
        .collect())
}

/// The newest event id on the box (0 when none).
pub fn head(conn: &Connection) -> rusqlite::Result<i64> {
    let max: Option<i64> = conn.query_row("SELECT max(id) FROM events", [], |r| r.get(0))?;
    let seq: Option<i64> =
        conn.query_row("SELECT seq FROM sqlite_sequence WHERE name = 'events'", [], |r| r.get(0)).optional()?;
    Ok(max.unwrap_or(0).max(seq.unwrap_or(0)))
}

/// The highest pruned event id: a resume from below it has lost events.
pub fn floor(conn: &Connection) -> rusqlite::Result<i64> {
    let v: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'events_floor'", [], |r| r.get(0)).optional()?;
    Ok(v.and_then(|s| s.parse().ok()).unwrap_or(0))
}

/// Deletes events created before `cutoff_ms` (and, with `upto`, only up to that id: the
/// chain hub's acknowledgement) and raises the floor. Returns rows deleted.
pub fn prune(conn: &Connection, cutoff_ms: i64, upto: Option<i64>) -> rusqlite::Result<usize> {
    let upto_id: Option<i64> = conn.query_row(
        "SELECT max(id) FROM events WHERE created_at < ?1 AND (?2 IS NULL OR id <= ?2)",
        params![cutoff_ms, upto],
        |r| r.get(0),
    )?;
    let Some(upto) = upto_id else { return Ok(0) };
    let n = conn.execute("DELETE FROM events WHERE id <= ?1", [upto])?;
    let floor = floor(conn)?.max(upto);
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('events_floor', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [floor.to_string()],
    )?;
    Ok(n)
}
