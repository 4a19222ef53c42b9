//! Ingest: a box's events into PostgreSQL, with the projections they describe, in one
//! transaction. Duplicates are ignored (primary key (box, event id), `ON CONFLICT DO
//! NOTHING`); projections are upserts of the full objects the events carry, newest
//! `updated_at` winning, so replays and overlaps change nothing. The answer is the highest
//! event id up to which the hub holds every event of the box.

use super::{HubError, HubState};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use tokio_postgres::Transaction;

/// An event as a box sends it (its `events` row).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InEvent {
    pub id: i64,
    pub store_id: String,
    pub table_id: Option<i64>,
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// RFC 3339.
    pub created_at: String,
}

/// A store's name and timezone, as its box knows them (reports use the timezone).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoreInfo {
    pub store_id: String,
    pub name: String,
    pub timezone: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IngestBody {
    /// Ids ascending.
    pub events: Vec<InEvent>,
    /// Optional: the stores' names and timezones.
    #[serde(default)]
    pub stores: Vec<StoreInfo>,
    /// Optional: the newest event id on the box (for the backlog shown at HQ).
    #[serde(default)]
    pub head: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Acked {
    pub acked: i64,
}

/// A box that sends: its id and the stores it may send for.
#[derive(Debug, Clone)]
pub struct BoxAuth {
    pub id: i64,
    pub stores: HashSet<String>,
}

/// Checks a batch before anything is written: ids ascending, every store bound to the box.
pub fn check(b: &BoxAuth, body: &IngestBody) -> Result<(), HubError> {
    if body.events.len() > 5000 {
        return Err(HubError::BadRequest("at most 5000 events per batch".into()));
    }
    let mut prev = i64::MIN;
    for e in &body.events {
        if e.id <= prev {
            return Err(HubError::BadRequest("event ids must be ascending".into()));
        }
        prev = e.id;
        if !b.stores.contains(&e.store_id) {
            return Err(HubError::Forbidden(format!("this box may not send events of store {}", e.store_id)));
        }
    }
    for s in &body.stores {
        if !b.stores.contains(&s.store_id) {
            return Err(HubError::Forbidden(format!("this box may not describe store {}", s.store_id)));
        }
    }
    Ok(())
}

/// What an ingest did.
pub struct Ingested {
    pub acked: i64,
    /// The highest hub id written (for the live notification), if any was new.
    pub max_hub_id: Option<i64>,
    pub new_events: usize,
}

/// Writes a batch and its projections; returns the box's acknowledged id.
pub async fn ingest(st: &HubState, b: &BoxAuth, body: &IngestBody) -> Result<Ingested, HubError> {
    let mut c = st.pool.get().await?;
    let tx = c.transaction().await?;
    // Hub ids must commit in the order they are given, or a live reader resuming after id
    // N could miss an N-1 that committed later: one ingest at a time takes ids.
    let t0 = std::time::Instant::now();
    tx.execute("SELECT pg_advisory_xact_lock(7463202)", &[]).await?;
    let t_lock = t0.elapsed();
    let row =
        tx.query_one("SELECT first_event_id, acked_event_id FROM boxes WHERE id = $1 FOR UPDATE", &[&b.id]).await?;
    let (mut first, mut acked): (Option<i64>, i64) = (row.get(0), row.get(1));
    for s in &body.stores {
        tx.execute(
            "INSERT INTO stores (store_id, name, timezone, last_seen_at) VALUES ($1, $2, $3, now())
             ON CONFLICT (store_id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone, last_seen_at = now()",
            &[&s.store_id, &s.name, &s.timezone],
        )
        .await?;
    }
    let mut max_hub_id = None;
    let mut new_events = 0;
    if let Some(min_id) = body.events.first().map(|e| e.id) {
        if first.is_none() {
            // Contiguity starts at the first event the box ever sent.
            first = Some(min_id);
            acked = min_id - 1;
            tx.execute("UPDATE boxes SET first_event_id = $2 WHERE id = $1", &[&b.id, &min_id]).await?;
        }
        let (ids, stores, tables, kinds, data, times) = columns(&body.events);
        let inserted = tx
            .query(
                "INSERT INTO events (box_id, event_id, store_id, table_id, type, data, created_at)
                 SELECT $1, i, s, t, k, d::jsonb, c::timestamptz
                 FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[]) AS u(i, s, t, k, d, c)
                 ORDER BY i
                 ON CONFLICT (box_id, event_id) DO NOTHING
                 RETURNING event_id, hub_id",
                &[&b.id, &ids, &stores, &tables, &kinds, &data, &times],
            )
            .await?;
        new_events = inserted.len();
        let t_insert = t0.elapsed();
        if !inserted.is_empty() {
            let new_ids: Vec<i64> = inserted.iter().map(|r| r.get(0)).collect();
            max_hub_id = inserted.iter().map(|r| r.get::<_, i64>(1)).max();
            project(&tx, b.id, &new_ids).await?;
        }
        tracing::debug!(lock = ?t_lock, insert = ?t_insert, project = ?t0.elapsed(), "ingest phases");
        // Every event from the first up to the first gap is held.
        let gap: Option<i64> = tx
            .query_one(
                "SELECT min(x.n) FROM (SELECT event_id + 1 AS n FROM events WHERE box_id = $1 AND event_id >= $2) x
                 WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.box_id = $1 AND e.event_id = x.n)",
                &[&b.id, &(acked + 1)],
            )
            .await?
            .get(0);
        let starts = tx
            .query_opt("SELECT 1 FROM events WHERE box_id = $1 AND event_id = $2", &[&b.id, &(acked + 1)])
            .await?
            .is_some();
        if starts && let Some(g) = gap {
            acked = acked.max(g - 1);
        }
    }
    let head = body.head.unwrap_or(0).max(acked);
    tx.execute(
        "UPDATE boxes SET acked_event_id = $2, last_seen_at = now(), head_event_id = greatest(head_event_id, $3) WHERE id = $1",
        &[&b.id, &acked, &head],
    )
    .await?;
    tx.execute(
        "UPDATE stores SET last_seen_at = now() WHERE store_id IN (SELECT store_id FROM box_stores WHERE box_id = $1)",
        &[&b.id],
    )
    .await?;
    let t_before_commit = t0.elapsed();
    tx.commit().await?;
    tracing::debug!(before_commit = ?t_before_commit, total = ?t0.elapsed(), events = body.events.len(), "ingest done");
    let _ = first;
    Ok(Ingested { acked, max_hub_id, new_events })
}

type Columns = (Vec<i64>, Vec<String>, Vec<Option<i64>>, Vec<String>, Vec<String>, Vec<String>);

fn columns(events: &[InEvent]) -> Columns {
    let mut c: Columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for e in events {
        c.0.push(e.id);
        c.1.push(e.store_id.clone());
        c.2.push(e.table_id);
        c.3.push(e.kind.clone());
        c.4.push(e.data.to_string());
        c.5.push(e.created_at.clone());
    }
    c
}

/// The projections of the events `ids` of box `box_id` (just inserted, in this transaction):
/// set-based, the newest event of each order, session or call taken once.
async fn project(tx: &Transaction<'_>, box_id: i64, ids: &[i64]) -> Result<(), HubError> {
    // Orders: the full order of its newest event in this batch.
    tx.execute(
        "INSERT INTO orders (store_id, box_id, order_id, order_no, table_id, table_number, session_id, status, total,
                             created_at, updated_at, business_day, items)
         SELECT DISTINCT ON (e.store_id, (e.data->>'id')::bigint)
                e.store_id, e.box_id, (e.data->>'id')::bigint, (e.data->>'order_no')::bigint,
                (e.data->>'table_id')::bigint, (e.data->>'table_number')::bigint, (e.data->>'session_id')::bigint,
                e.data->>'status', (e.data->>'total')::bigint,
                (e.data->>'created_at')::timestamptz, (e.data->>'updated_at')::timestamptz,
                ((e.data->>'created_at')::timestamptz AT TIME ZONE coalesce(s.timezone, 'Asia/Seoul'))::date,
                coalesce(e.data->'items', '[]'::jsonb)
         FROM events e LEFT JOIN stores s ON s.store_id = e.store_id
         WHERE e.box_id = $1 AND e.event_id = ANY($2)
           AND e.type IN ('order_created', 'order_updated', 'order_cancelled')
         ORDER BY e.store_id, (e.data->>'id')::bigint, e.event_id DESC
         ON CONFLICT (store_id, box_id, order_id) DO UPDATE SET
             status = excluded.status, total = excluded.total, updated_at = excluded.updated_at, items = excluded.items
         WHERE excluded.updated_at >= orders.updated_at",
        &[&box_id, &ids],
    )
    .await?;
    // Sessions: the summary carried by order events…
    tx.execute(
        "INSERT INTO sessions (store_id, box_id, session_id, table_id, started_at, total, order_count)
         SELECT DISTINCT ON (e.store_id, (e.data->'session'->>'id')::bigint)
                e.store_id, e.box_id, (e.data->'session'->>'id')::bigint, (e.data->>'table_id')::bigint,
                (e.data->'session'->>'started_at')::timestamptz,
                (e.data->'session'->>'total')::bigint, (e.data->'session'->>'order_count')::bigint
         FROM events e
         WHERE e.box_id = $1 AND e.event_id = ANY($2) AND e.type IN ('order_created', 'order_updated', 'order_cancelled')
           AND jsonb_typeof(e.data->'session') = 'object'
         ORDER BY e.store_id, (e.data->'session'->>'id')::bigint, e.event_id DESC
         ON CONFLICT (store_id, box_id, session_id) DO UPDATE SET
             total = excluded.total, order_count = excluded.order_count
         WHERE sessions.ended_at IS NULL",
        &[&box_id, &ids],
    )
    .await?;
    // …and their end.
    tx.execute(
        "INSERT INTO sessions (store_id, box_id, session_id, table_id, started_at, ended_at, total, order_count)
         SELECT DISTINCT ON (e.store_id, (e.data->>'session_id')::bigint)
                e.store_id, e.box_id, (e.data->>'session_id')::bigint, (e.data->>'table_id')::bigint,
                (e.data->>'started_at')::timestamptz, (e.data->>'ended_at')::timestamptz,
                (e.data->>'total')::bigint, (e.data->>'order_count')::bigint
         FROM events e
         WHERE e.box_id = $1 AND e.event_id = ANY($2) AND e.type = 'session_ended'
         ORDER BY e.store_id, (e.data->>'session_id')::bigint, e.event_id DESC
         ON CONFLICT (store_id, box_id, session_id) DO UPDATE SET
             ended_at = excluded.ended_at, total = excluded.total, order_count = excluded.order_count",
        &[&box_id, &ids],
    )
    .await?;
    // Staff calls.
    tx.execute(
        "INSERT INTO calls (store_id, box_id, call_id, table_id, reason, created_at, acked_at)
         SELECT DISTINCT ON (e.store_id, (e.data->>'id')::bigint)
                e.store_id, e.box_id, (e.data->>'id')::bigint, (e.data->>'table_id')::bigint,
                coalesce(e.data->>'reason', ''), (e.data->>'created_at')::timestamptz, (e.data->>'acked_at')::timestamptz
         FROM events e
         WHERE e.box_id = $1 AND e.event_id = ANY($2) AND e.type IN ('call_created', 'call_acked')
         ORDER BY e.store_id, (e.data->>'id')::bigint, e.event_id DESC
         ON CONFLICT (store_id, box_id, call_id) DO UPDATE SET acked_at = coalesce(excluded.acked_at, calls.acked_at)",
        &[&box_id, &ids],
    )
    .await?;
    Ok(())
}

/// Orders and sessions a box had before it joined the chain (their events are long pruned).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BackfillBody {
    #[serde(default)]
    pub stores: Vec<StoreInfo>,
    /// Orders as in v1, each with `store_id` (and `session` optional).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub orders: Vec<serde_json::Value>,
    /// Ended sessions: `{"store_id","session_id","table_id","started_at","ended_at","total","order_count"}`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub sessions: Vec<serde_json::Value>,
}

/// Upserts backfilled orders and sessions (same rules as the projections).
pub async fn backfill(st: &HubState, b: &BoxAuth, body: &BackfillBody) -> Result<usize, HubError> {
    for o in &body.orders {
        let s = o["store_id"].as_str().unwrap_or_default();
        if !b.stores.contains(s) {
            return Err(HubError::Forbidden(format!("this box may not send orders of store {s}")));
        }
    }
    for s in body
        .sessions
        .iter()
        .map(|s| s["store_id"].as_str().unwrap_or_default())
        .chain(body.stores.iter().map(|s| s.store_id.as_str()))
    {
        if !b.stores.contains(s) {
            return Err(HubError::Forbidden(format!("this box may not send sessions of store {s}")));
        }
    }
    let mut c = st.pool.get().await?;
    let tx = c.transaction().await?;
    for s in &body.stores {
        tx.execute(
            "INSERT INTO stores (store_id, name, timezone) VALUES ($1, $2, $3)
             ON CONFLICT (store_id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone",
            &[&s.store_id, &s.name, &s.timezone],
        )
        .await?;
    }
    let orders: Vec<String> = body.orders.iter().map(|o| o.to_string()).collect();
    tx.execute(
        "INSERT INTO orders (store_id, box_id, order_id, order_no, table_id, table_number, session_id, status, total,
                             created_at, updated_at, business_day, items)
         SELECT DISTINCT ON (o->>'store_id', (o->>'id')::bigint)
                o->>'store_id', $1, (o->>'id')::bigint, (o->>'order_no')::bigint, (o->>'table_id')::bigint,
                (o->>'table_number')::bigint, (o->>'session_id')::bigint, o->>'status', (o->>'total')::bigint,
                (o->>'created_at')::timestamptz, (o->>'updated_at')::timestamptz,
                ((o->>'created_at')::timestamptz AT TIME ZONE coalesce(s.timezone, 'Asia/Seoul'))::date,
                coalesce(o->'items', '[]'::jsonb)
         FROM unnest($2::text[]) AS u(t), LATERAL (SELECT t::jsonb AS o) j
         LEFT JOIN stores s ON s.store_id = o->>'store_id'
         ORDER BY o->>'store_id', (o->>'id')::bigint, (o->>'updated_at')::timestamptz DESC
         ON CONFLICT (store_id, box_id, order_id) DO UPDATE SET
             status = excluded.status, total = excluded.total, updated_at = excluded.updated_at, items = excluded.items
         WHERE excluded.updated_at >= orders.updated_at",
        &[&b.id, &orders],
    )
    .await?;
    let sessions: Vec<String> = body.sessions.iter().map(|o| o.to_string()).collect();
    tx.execute(
        "INSERT INTO sessions (store_id, box_id, session_id, table_id, started_at, ended_at, total, order_count)
         SELECT DISTINCT ON (o->>'store_id', (o->>'session_id')::bigint)
                o->>'store_id', $1, (o->>'session_id')::bigint, (o->>'table_id')::bigint,
                (o->>'started_at')::timestamptz, (o->>'ended_at')::timestamptz,
                (o->>'total')::bigint, (o->>'order_count')::bigint
         FROM unnest($2::text[]) AS u(t), LATERAL (SELECT t::jsonb AS o) j
         ORDER BY o->>'store_id', (o->>'session_id')::bigint
         ON CONFLICT (store_id, box_id, session_id) DO UPDATE SET
             ended_at = coalesce(excluded.ended_at, sessions.ended_at), total = excluded.total, order_count = excluded.order_count",
        &[&b.id, &sessions],
    )
    .await?;
    tx.execute("UPDATE boxes SET last_seen_at = now() WHERE id = $1", &[&b.id]).await?;
    tx.commit().await?;
    Ok(body.orders.len() + body.sessions.len())
}
