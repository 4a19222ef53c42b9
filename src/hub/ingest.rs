//! Ingest: a box's events into PostgreSQL, with the projections they describe, in one
//! transaction. Duplicates are ignored (primary key (box, event id), `ON CONFLICT DO
//! NOTHING`); projections are upserts of the full objects the events carry, newest
//! `updated_at` winning, so replays and overlaps change nothing. The answer is the highest
//! event id up to which the hub holds every event of the box.

use super::HubState;
use super::auth::BoxUser;
use crate::error::{AppError, AppResult};
use crate::wire::{
    AuditEntry, BackfillBody, CallDto, DayReport, EndedSession, EventData, IngestBody, OrderEvent, PaymentDto,
    SessionSummary, StoreInfo, StoreOrder, WireEvent,
};
use std::collections::{BTreeMap, HashSet};
use tokio_postgres::Transaction;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;

/// Checks a batch before anything is written: at most 5,000 events, ids ascending. Events
/// of a store the box is not bound to are not refused: they are held (see [`ingest`]).
pub fn check(body: &IngestBody) -> AppResult<()> {
    if body.events.len() > 5000 {
        return Err(AppError::BadRequest("at most 5000 events per batch".into()));
    }
    let mut prev = i64::MIN;
    for e in &body.events {
        if e.id <= prev {
            return Err(AppError::BadRequest("event ids must be ascending".into()));
        }
        prev = e.id;
    }
    Ok(())
}

/// Events a box may have held for stores it is not bound to; beyond, its batches with more
/// are refused (403) until HQ binds the store or the box stops sending it.
pub const MAX_HELD: i64 = 100_000;

/// What an ingest did.
pub struct Ingested {
    pub acked: i64,
    /// Stores of this box whose events are held because the box is not bound to them.
    pub refused: Vec<String>,
    /// The highest hub id written (for the live notification), if any was new.
    pub max_hub_id: Option<i64>,
    pub new_events: usize,
}

/// Writes a batch and its projections; returns the box's acknowledged id.
///
/// Ingests of one box are serialised by its `boxes` row (locked first). The projections of
/// the events that are new are written next, in parallel with other boxes' ingests; only
/// then is the advisory lock taken for the short insert of the events themselves, so that
/// hub ids commit in increasing order.
pub async fn ingest(st: &HubState, b: &BoxUser, body: &IngestBody) -> AppResult<Ingested> {
    let started = std::time::Instant::now();
    let mut c = st.pool.get().await?;
    let tx = c.transaction().await?;
    let row =
        tx.query_one("SELECT first_event_id, acked_event_id FROM boxes WHERE id = $1 FOR UPDATE", &[&b.id]).await?;
    let locked_box = started.elapsed();
    let (first, mut acked): (Option<i64>, i64) = (row.get(0), row.get(1));
    let bound = |store: &str| b.stores.contains(store);
    let described: Vec<StoreInfo> = body.stores.iter().filter(|s| bound(&s.store_id)).cloned().collect();
    upsert_stores(&tx, &described, true).await?;
    // Events held for stores bound since: released now, before this batch (they are older).
    let released = release(&tx, b).await?;
    let mut max_hub_id = None;
    let mut new_events = 0;
    if let Some(min_id) = body.events.first().map(|e| e.id) {
        if first.is_none() {
            // Contiguity starts at the first event the box ever sent.
            acked = min_id - 1;
            tx.execute("UPDATE boxes SET first_event_id = $2 WHERE id = $1", &[&b.id, &min_id]).await?;
        }
        let ids: Vec<i64> = body.events.iter().map(|e| e.id).collect();
        let held: HashSet<i64> = tx
            .query(
                "SELECT event_id FROM events WHERE box_id = $1 AND event_id = ANY($2)
                 UNION ALL SELECT event_id FROM held_events WHERE box_id = $1 AND event_id = ANY($2)",
                &[&b.id, &ids],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let (fresh, unbound): (Vec<&WireEvent>, Vec<&WireEvent>) =
            body.events.iter().filter(|e| !held.contains(&e.id)).partition(|e| bound(&e.store_id));
        new_events = fresh.len();
        hold(&tx, b, &unbound).await?;
        let started_store = started.elapsed();
        max_hub_id = store_events(&tx, b.id, released.iter().chain(fresh.iter().copied())).await?;
        tracing::debug!(?locked_box, stored = ?started.elapsed() - started_store, events = fresh.len(), "ingest phases");
        // Every event from the first up to the first gap is held (here or among the held).
        let gap: Option<i64> = tx
            .query_one(
                "SELECT min(x.n) FROM (
                     SELECT event_id + 1 AS n FROM events WHERE box_id = $1 AND event_id >= $2
                     UNION ALL SELECT event_id + 1 FROM held_events WHERE box_id = $1 AND event_id >= $2) x
                 WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.box_id = $1 AND e.event_id = x.n)
                   AND NOT EXISTS (SELECT 1 FROM held_events h WHERE h.box_id = $1 AND h.event_id = x.n)",
                &[&b.id, &(acked + 1)],
            )
            .await?
            .get(0);
        let starts = tx
            .query_opt(
                "SELECT 1 FROM events WHERE box_id = $1 AND event_id = $2
                 UNION ALL SELECT 1 FROM held_events WHERE box_id = $1 AND event_id = $2",
                &[&b.id, &(acked + 1)],
            )
            .await?
            .is_some();
        if starts && let Some(g) = gap {
            acked = acked.max(g - 1);
        }
    } else if !released.is_empty() {
        max_hub_id = store_events(&tx, b.id, released.iter()).await?;
    }
    new_events += released.len();
    let refused: Vec<String> = tx
        .query("SELECT DISTINCT store_id FROM held_events WHERE box_id = $1 ORDER BY store_id", &[&b.id])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
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
    let before_commit = started.elapsed();
    tx.commit().await?;
    tracing::debug!(?before_commit, total = ?started.elapsed(), "ingest committed");
    Ok(Ingested { acked, refused, max_hub_id, new_events })
}

/// Writes new events of bound stores and their projections; answers the highest hub id.
async fn store_events<'a>(
    tx: &Transaction<'_>,
    box_id: i64,
    events: impl Iterator<Item = &'a WireEvent>,
) -> AppResult<Option<i64>> {
    let mut events: Vec<&WireEvent> = events.collect();
    if events.is_empty() {
        return Ok(None);
    }
    events.sort_by_key(|e| e.id);
    project(tx, box_id, &events).await?;
    // Hub ids must commit in the order they are given, or a live reader resuming after id
    // N could miss an N-1 that committed later: one insert at a time.
    tx.execute("SELECT pg_advisory_xact_lock(7463202)", &[]).await?;
    // COPY (binary) is the cheapest way in; duplicates were filtered before, and the box's
    // row lock keeps another ingest of this box from adding them meanwhile.
    let sink = tx
        .copy_in("COPY events (box_id, event_id, store_id, table_id, type, data, created_at) FROM STDIN BINARY")
        .await?;
    let types = [Type::INT8, Type::INT8, Type::TEXT, Type::INT8, Type::TEXT, Type::TEXT, Type::TIMESTAMPTZ];
    let writer = BinaryCopyInWriter::new(sink, &types);
    futures_util::pin_mut!(writer);
    for e in &events {
        let at = created_at(e)?;
        // Already known to be JSON: serde read it.
        let data = e.data.get();
        writer.as_mut().write(&[&box_id, &e.id, &e.store_id, &e.table_id, &e.kind, &data, &at]).await?;
    }
    writer.finish().await?;
    Ok(Some(tx.query_one("SELECT currval('events_hub_id')", &[]).await?.get(0)))
}

fn created_at(e: &WireEvent) -> AppResult<jiff::Timestamp> {
    e.created_at.parse().map_err(|_| AppError::BadRequest(format!("event {}: created_at is not RFC 3339", e.id)))
}

/// Keeps events of stores the box is not bound to, acknowledged but not shown.
async fn hold(tx: &Transaction<'_>, b: &BoxUser, events: &[&WireEvent]) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let held: i64 = tx.query_one("SELECT count(*) FROM held_events WHERE box_id = $1", &[&b.id]).await?.get(0);
    if held + events.len() as i64 > MAX_HELD {
        return Err(AppError::Forbidden(format!(
            "this box is not bound to store {} and the hub holds {held} of its events already; bind the store (tableorder hub box bind) or stop sending it",
            events[0].store_id
        )));
    }
    tracing::warn!(box_id = b.id, store = %events[0].store_id, events = events.len(), "holding events of a store the box is not bound to");
    for e in events {
        let at = created_at(e)?;
        tx.execute(
            "INSERT INTO held_events (box_id, event_id, store_id, table_id, type, data, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            &[&b.id, &e.id, &e.store_id, &e.table_id, &e.kind, &e.data.get(), &at],
        )
        .await?;
    }
    Ok(())
}

/// Takes out the held events of stores the box is now bound to (oldest first).
async fn release(tx: &Transaction<'_>, b: &BoxUser) -> AppResult<Vec<WireEvent>> {
    let stores: Vec<&str> = b.stores.iter().map(String::as_str).collect();
    let rows = tx
        .query(
            "DELETE FROM held_events WHERE box_id = $1 AND store_id = ANY($2)
             RETURNING event_id, store_id, table_id, type, data, created_at",
            &[&b.id, &stores],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let data: String = r.get(4);
        let at: jiff::Timestamp = r.get(5);
        out.push(WireEvent {
            id: r.get(0),
            store_id: r.get(1),
            table_id: r.get(2),
            kind: r.get(3),
            data: serde_json::value::RawValue::from_string(data).map_err(AppError::internal)?,
            created_at: at.to_string(),
        });
    }
    if !out.is_empty() {
        tracing::info!(box_id = b.id, events = out.len(), "releasing held events of stores bound to the box since");
    }
    out.sort_by_key(|e| e.id);
    Ok(out)
}

/// The stores a box describes (name, timezone); `seen`: it is online now.
async fn upsert_stores(tx: &Transaction<'_>, stores: &[crate::wire::StoreInfo], seen: bool) -> AppResult<()> {
    for s in stores {
        tx.execute(
            "INSERT INTO stores (store_id, name, timezone, last_seen_at) VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END)
             ON CONFLICT (store_id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone,
                 last_seen_at = CASE WHEN $4 THEN now() ELSE stores.last_seen_at END",
            &[&s.store_id, &s.name, &s.timezone, &seen],
        )
        .await?;
    }
    Ok(())
}

/// The event's data; an event that cannot be read is kept but not projected (one odd event
/// must not hold up a box's whole feed).
fn data(e: &WireEvent) -> Option<EventData> {
    match e.data()? {
        Ok(d) => Some(d),
        Err(x) => {
            tracing::warn!(event_id = e.id, kind = %e.kind, error = %x, "event kept but not projected");
            None
        }
    }
}

/// The projections of new events: the newest event of each order, session or call in
/// the batch (events carry whole objects), upserted in bulk, newest `updated_at` winning.
async fn project(tx: &Transaction<'_>, box_id: i64, events: &[&WireEvent]) -> AppResult<()> {
    // Later events replace earlier ones of the same object (ids ascend).
    let mut orders: BTreeMap<(String, i64), StoreOrder> = BTreeMap::new();
    let mut open_sessions: BTreeMap<(String, i64), (i64, SessionSummary)> = BTreeMap::new();
    let mut ended: BTreeMap<(String, i64), EndedSession> = BTreeMap::new();
    let mut calls: BTreeMap<(String, i64), CallDto> = BTreeMap::new();
    let mut audit: Vec<(String, AuditEntry)> = Vec::new();
    let mut payments: BTreeMap<(String, i64), (i64, PaymentDto)> = BTreeMap::new();
    let mut days: BTreeMap<(String, i64), DayReport> = BTreeMap::new();
    for e in events {
        match data(e) {
            Some(EventData::Order(OrderEvent { order, session })) => {
                if let Some(s) = session {
                    open_sessions.insert((e.store_id.clone(), s.id), (order.table_id, s));
                }
                orders.insert((e.store_id.clone(), order.id), StoreOrder { store_id: e.store_id.clone(), order });
            }
            Some(EventData::SessionEnded(d)) => {
                ended.insert((e.store_id.clone(), d.session_id), d);
            }
            Some(EventData::Call(d)) => {
                calls.insert((e.store_id.clone(), d.id), d);
            }
            Some(EventData::Audit(d)) => audit.push((e.store_id.clone(), d)),
            Some(EventData::Check(c)) => {
                for p in c.payments {
                    payments.insert((e.store_id.clone(), p.id), (c.session_id, p));
                }
            }
            Some(EventData::Day(d)) => {
                days.insert((e.store_id.clone(), d.day.id), *d);
            }
            _ => {}
        }
    }
    insert_audit(tx, box_id, audit).await?;
    upsert_payments(tx, box_id, payments).await?;
    upsert_days(tx, box_id, days).await?;
    upsert_orders(tx, box_id, orders.into_values()).await?;
    if !open_sessions.is_empty() {
        let (mut st, mut id, mut tid, mut started, mut total, mut count) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for ((store, sid), (table, s)) in open_sessions {
            st.push(store);
            id.push(sid);
            tid.push(table);
            started.push(s.started_at);
            total.push(s.total);
            count.push(s.order_count);
        }
        tx.execute(
            "INSERT INTO sessions (store_id, box_id, session_id, table_id, started_at, total, order_count)
             SELECT u.s, $1, u.id, u.tid, u.sa::timestamptz, u.tot, u.n
             FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[]) AS u(s, id, tid, sa, tot, n)
             ON CONFLICT (store_id, box_id, session_id) DO UPDATE SET total = excluded.total, order_count = excluded.order_count
             WHERE sessions.ended_at IS NULL",
            &[&box_id, &st, &id, &tid, &started, &total, &count],
        )
        .await?;
    }
    let ended = ended.into_iter().map(|((store, _), d)| {
        (store, d.session_id, d.table_id, Some(d.started_at), Some(d.ended_at), d.total, d.order_count)
    });
    upsert_sessions(tx, box_id, ended).await?;
    if !calls.is_empty() {
        let (mut st, mut id, mut tid, mut reason, mut created, mut acked) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for ((store, cid), d) in calls {
            st.push(store);
            id.push(cid);
            tid.push(d.table_id);
            reason.push(d.reason);
            created.push(d.created_at);
            acked.push(d.acked_at);
        }
        tx.execute(
            "INSERT INTO calls (store_id, box_id, call_id, table_id, reason, created_at, acked_at)
             SELECT u.s, $1, u.id, u.tid, u.r, u.ca::timestamptz, u.aa::timestamptz
             FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[]) AS u(s, id, tid, r, ca, aa)
             ON CONFLICT (store_id, box_id, call_id) DO UPDATE SET acked_at = coalesce(excluded.acked_at, calls.acked_at)",
            &[&box_id, &st, &id, &tid, &reason, &created, &acked],
        )
        .await?;
    }
    Ok(())
}

/// Payments as the latest check shows them (what was refunded of each moves on).
async fn upsert_payments(
    tx: &Transaction<'_>,
    box_id: i64,
    rows: BTreeMap<(String, i64), (i64, PaymentDto)>,
) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let (mut st, mut id, mut sid, mut method, mut amount, mut refunded, mut at) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut date = Vec::new();
    for ((store, pid), (session, p)) in rows {
        date.push(p.business_date.unwrap_or_else(|| p.at.get(..10).unwrap_or("1970-01-01").to_string()));
        st.push(store);
        id.push(pid);
        sid.push(session);
        method.push(p.method);
        amount.push(p.amount);
        refunded.push(p.refunded);
        at.push(p.at);
    }
    tx.execute(
        "INSERT INTO payments (store_id, box_id, payment_id, session_id, method, amount, refunded, at, business_date)
         SELECT u.s, $1, u.id, u.sid, u.m, u.a, u.r, u.at::timestamptz, u.bd::date
         FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::text[])
              AS u(s, id, sid, m, a, r, at, bd)
         ON CONFLICT (store_id, box_id, payment_id) DO UPDATE SET
             session_id = excluded.session_id, refunded = greatest(payments.refunded, excluded.refunded)",
        &[&box_id, &st, &id, &sid, &method, &amount, &refunded, &at, &date],
    )
    .await?;
    Ok(())
}

/// Closed business days with their frozen reports.
async fn upsert_days(tx: &Transaction<'_>, box_id: i64, rows: BTreeMap<(String, i64), DayReport>) -> AppResult<()> {
    for ((store, day_id), r) in rows {
        let report = serde_json::to_string(&r).map_err(AppError::internal)?;
        tx.execute(
            "INSERT INTO days (store_id, box_id, day_id, business_date, closed_at, gross, net, orders, guests, report)
             VALUES ($1, $2, $3, $4::text::date, $5::text::timestamptz, $6, $7, $8, $9, $10::text::jsonb)
             ON CONFLICT (store_id, box_id, day_id) DO UPDATE SET
                 closed_at = excluded.closed_at, gross = excluded.gross, net = excluded.net,
                 orders = excluded.orders, guests = excluded.guests, report = excluded.report",
            &[
                &store,
                &box_id,
                &day_id,
                &r.day.business_date,
                &r.day.closed_at,
                &r.gross,
                &r.net,
                &r.orders,
                &r.guests,
                &report,
            ],
        )
        .await?;
    }
    Ok(())
}

/// Audit rows, as they were recorded (they never change: a repeat is ignored).
async fn insert_audit(tx: &Transaction<'_>, box_id: i64, rows: Vec<(String, AuditEntry)>) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let (mut st, mut id, mut at, mut kind, mut staff, mut approver) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut table, mut order, mut amount, mut reason, mut detail) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (store, a) in rows {
        st.push(store);
        id.push(a.id);
        at.push(a.at);
        kind.push(a.kind);
        staff.push(a.staff_name);
        approver.push(a.approver_name);
        table.push(a.table_number);
        order.push(a.order_id);
        amount.push(a.amount);
        reason.push(a.reason);
        detail.push(a.detail.to_string());
    }
    tx.execute(
        "INSERT INTO audit (store_id, box_id, audit_id, at, kind, staff_name, approver_name, table_number, order_id,
                            amount, reason, detail)
         SELECT u.s, $1, u.id, u.at::timestamptz, u.k, u.sn, u.an, u.tn, u.oi, u.am, u.r, u.d::jsonb
         FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[],
                     $9::bigint[], $10::bigint[], $11::text[], $12::text[]) AS u(s, id, at, k, sn, an, tn, oi, am, r, d)
         ON CONFLICT DO NOTHING",
        &[&box_id, &st, &id, &at, &kind, &staff, &approver, &table, &order, &amount, &reason, &detail],
    )
    .await?;
    Ok(())
}

/// Orders upserted in bulk, the newest `updated_at` winning (events and backfills alike).
async fn upsert_orders(
    tx: &Transaction<'_>,
    box_id: i64,
    orders: impl IntoIterator<Item = StoreOrder>,
) -> AppResult<()> {
    let (mut st, mut id, mut no, mut tid, mut tno, mut sid, mut status, mut total) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut created, mut updated, mut items) = (Vec::new(), Vec::new(), Vec::new());
    // One row per order (a backfill may repeat one): the newest wins.
    let mut latest: BTreeMap<(String, i64), StoreOrder> = BTreeMap::new();
    for o in orders {
        let key = (o.store_id.clone(), o.order.id);
        if latest.get(&key).is_none_or(|old| old.order.updated_at <= o.order.updated_at) {
            latest.insert(key, o);
        }
    }
    if latest.is_empty() {
        return Ok(());
    }
    for (_, StoreOrder { store_id, order: d }) in latest {
        st.push(store_id);
        id.push(d.id);
        no.push(d.order_no);
        tid.push(d.table_id);
        tno.push(d.table_number);
        sid.push(d.session_id);
        status.push(d.status.as_str());
        total.push(d.total);
        created.push(d.created_at);
        updated.push(d.updated_at);
        items.push(serde_json::to_string(&d.items).map_err(AppError::internal)?);
    }
    tx.execute(
        "INSERT INTO orders (store_id, box_id, order_id, order_no, table_id, table_number, session_id, status, total,
                             created_at, updated_at, business_day, items)
         SELECT u.s, $1, u.id, u.no, u.tid, u.tno, u.sid, u.st, u.tot, u.ca::timestamptz, u.ua::timestamptz,
                (u.ca::timestamptz AT TIME ZONE coalesce(z.timezone, 'Asia/Seoul'))::date, u.items::jsonb
         FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[],
                     $9::bigint[], $10::text[], $11::text[], $12::text[]) AS u(s, id, no, tid, tno, sid, st, tot, ca, ua, items)
         LEFT JOIN stores z ON z.store_id = u.s
         ON CONFLICT (store_id, box_id, order_id) DO UPDATE SET
             status = excluded.status, total = excluded.total, updated_at = excluded.updated_at, items = excluded.items
         WHERE excluded.updated_at >= orders.updated_at",
        &[&box_id, &st, &id, &no, &tid, &tno, &sid, &status, &total, &created, &updated, &items],
    )
    .await?;
    Ok(())
}

/// A session row: (store, session id, table id, started, ended, total, order count).
type SessionRow = (String, i64, i64, Option<String>, Option<String>, i64, i64);

/// Sessions upserted in bulk; an end once known is kept.
async fn upsert_sessions(
    tx: &Transaction<'_>,
    box_id: i64,
    rows: impl IntoIterator<Item = SessionRow>,
) -> AppResult<()> {
    let mut latest: BTreeMap<(String, i64), SessionRow> = BTreeMap::new();
    for r in rows {
        latest.insert((r.0.clone(), r.1), r);
    }
    if latest.is_empty() {
        return Ok(());
    }
    let (mut st, mut id, mut tid, mut started, mut end, mut total, mut count) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (_, (store, sid, table, s, e, t, n)) in latest {
        st.push(store);
        id.push(sid);
        tid.push(table);
        started.push(s);
        end.push(e);
        total.push(t);
        count.push(n);
    }
    tx.execute(
        "INSERT INTO sessions (store_id, box_id, session_id, table_id, started_at, ended_at, total, order_count)
         SELECT u.s, $1, u.id, u.tid, u.sa::timestamptz, u.ea::timestamptz, u.tot, u.n
         FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::bigint[])
              AS u(s, id, tid, sa, ea, tot, n)
         ON CONFLICT (store_id, box_id, session_id) DO UPDATE SET
             ended_at = coalesce(excluded.ended_at, sessions.ended_at), total = excluded.total, order_count = excluded.order_count",
        &[&box_id, &st, &id, &tid, &started, &end, &total, &count],
    )
    .await?;
    Ok(())
}

/// Upserts backfilled orders and sessions (same rules as the projections).
///
/// Rows of stores the box is not bound to are left out (a backfill is history from before
/// the box joined; the box's events from then on are held for such a store).
pub async fn backfill(st: &HubState, b: &BoxUser, mut body: BackfillBody) -> AppResult<usize> {
    body.orders.retain(|o| b.stores.contains(&o.store_id));
    body.sessions.retain(|s| b.stores.contains(&s.store_id));
    body.stores.retain(|s| b.stores.contains(&s.store_id));
    let stored = body.orders.len() + body.sessions.len();
    let mut c = st.pool.get().await?;
    let tx = c.transaction().await?;
    upsert_stores(&tx, &body.stores, false).await?;
    upsert_orders(&tx, b.id, body.orders).await?;
    let sessions = body
        .sessions
        .into_iter()
        .map(|s| (s.store_id, s.session_id, s.table_id, Some(s.started_at), s.ended_at, s.total, s.order_count));
    upsert_sessions(&tx, b.id, sessions).await?;
    tx.execute("UPDATE boxes SET last_seen_at = now() WHERE id = $1", &[&b.id]).await?;
    if let Some(floor) = body.floor.filter(|f| *f > 0) {
        // Contiguity goes on from the box's oldest event (the first ingest or, after this
        // hub was restored from an older backup, past events the box has pruned since).
        tx.execute(
            "UPDATE boxes SET acked_event_id = greatest(acked_event_id, $2),
                              first_event_id = coalesce(first_event_id, $2 + 1) WHERE id = $1",
            &[&b.id, &floor],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(stored)
}
