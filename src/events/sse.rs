//! Server-Sent Events streams: hello, replay from the `events` table, then live events
//! from the hub, deduplicated by id (subscribe first, replay second, like ntfy).

use super::{Audience, Fanout, SubGuard};
use crate::db::events::StoredEvent;
use crate::db::{self, Pool};
use crate::error::{AppError, AppResult};
use crate::serve::Conn;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

pub const KEEPALIVE: Duration = Duration::from_secs(15);
const REPLAY_PAGE: i64 = 200;
/// Reconnect delay suggested to clients.
pub const RETRY_MS: u64 = 2000;

/// The resume point from `Last-Event-ID` (header) or `?last_event_id=`.
pub fn last_event_id(headers: &HeaderMap, query: Option<&str>) -> AppResult<Option<i64>> {
    let raw = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| query.map(str::to_string));
    match raw {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .map(Some)
            .ok_or_else(|| AppError::BadRequest("Last-Event-ID must be a non-negative integer".into())),
    }
}

enum Phase {
    Replay,
    Live,
}

struct State {
    phase: Phase,
    pending: Option<Bytes>,
    rx: mpsc::Receiver<Arc<StoredEvent>>,
    last_sent: i64,
    store_id: String,
    table: Option<i64>,
    pool: Pool,
    fanout: Arc<Fanout>,
    keepalive: tokio::time::Interval,
    shutdown: watch::Receiver<bool>,
    _guard: SubGuard,
}

/// Whose stream it is.
pub struct Who {
    pub store_id: String,
    pub audience: Audience,
    /// The staff member whose login opens it (so that a password change can end it).
    pub admin_id: Option<i64>,
    /// A kitchen login (a kitchen display): it may take the staff slots kept for kitchens.
    pub kitchen: bool,
}

/// Opens a stream for `audience` of `store_id`. Limits are checked before anything is sent.
pub async fn open(
    fanout: &Arc<Fanout>,
    pool: &Pool,
    shutdown: watch::Receiver<bool>,
    who: Who,
    resume_from: Option<i64>,
    conn: Option<Conn>,
) -> AppResult<Response> {
    let Who { store_id, audience, admin_id, kitchen } = who;
    let store_id = store_id.as_str();
    if *shutdown.borrow() {
        return Err(AppError::Unavailable("the server is shutting down".into()));
    }
    // Subscribe before reading the database, so nothing committed in between is missed.
    if let Some(c) = &conn {
        c.set_streaming();
    }
    let sub = fanout.subscribe(store_id, audience.clone(), conn, admin_id, kitchen)?;
    let (head, floor) = db::read(pool, |c| Ok((db::events::head(c)?, db::events::floor(c)?))).await?;

    let mut first = format!("retry: {RETRY_MS}\n");
    let (phase, last_sent) = match resume_from {
        None => (Phase::Live, head),
        Some(id) if id < floor || id > head => {
            fanout.stats.resync.inc();
            first.push_str(&format!(
                "event: resync\ndata: {{\"last_event_id\":{head},\"reason\":\"events after {id} are no longer retained\"}}\n\n"
            ));
            (Phase::Live, head)
        }
        Some(id) => {
            fanout.stats.resumed.inc();
            (Phase::Replay, id)
        }
    };
    let hello = serde_json::json!({ "last_event_id": last_sent, "head": head });
    // The `id:` makes EventSource resume from here even if no event follows before a drop.
    first.insert_str(0, &format!("id: {last_sent}\nevent: hello\ndata: {hello}\n\n"));

    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE);
    keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = State {
        phase,
        pending: Some(Bytes::from(first)),
        rx: sub.rx,
        last_sent,
        store_id: store_id.to_string(),
        table: match audience {
            Audience::Table(t) => Some(t),
            Audience::Staff => None,
        },
        pool: pool.clone(),
        fanout: fanout.clone(),
        keepalive,
        shutdown,
        _guard: sub.guard,
    };
    let stream = futures_util::stream::unfold(state, next_chunk);
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, no-transform"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}

async fn next_chunk(mut st: State) -> Option<(Result<Bytes, Infallible>, State)> {
    if let Some(first) = st.pending.take() {
        return Some((Ok(first), st));
    }
    loop {
        if *st.shutdown.borrow() {
            return None;
        }
        match st.phase {
            Phase::Replay => {
                let (store, table, after) = (st.store_id.clone(), st.table, st.last_sent);
                // The page and the prune floor come from one snapshot: when pruning removed
                // events this stream has not sent yet, it must say so (resync) rather than
                // skip them.
                let page = db::read(&st.pool, move |c| {
                    let tx = c.unchecked_transaction()?;
                    let floor = db::events::floor(&tx)?;
                    if floor > after {
                        let head = db::events::head(&tx)?;
                        return Ok(Err(head));
                    }
                    let page = db::events::replay(&tx, &store, table, after, REPLAY_PAGE)?;
                    Ok(Ok(page))
                })
                .await;
                let page = match page {
                    Ok(Ok(p)) => p,
                    Ok(Err(head)) => {
                        st.phase = Phase::Live;
                        let from = st.last_sent;
                        st.last_sent = head;
                        st.fanout.stats.resync.inc();
                        let frame = format!(
                            "event: resync\ndata: {{\"last_event_id\":{head},\"reason\":\"events after {from} are no longer retained\"}}\n\n"
                        );
                        return Some((Ok(Bytes::from(frame)), st));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "event replay failed; closing the stream");
                        return None;
                    }
                };
                if (page.len() as i64) < REPLAY_PAGE {
                    st.phase = Phase::Live;
                }
                if page.is_empty() {
                    continue;
                }
                let mut buf = Vec::with_capacity(page.iter().map(|e| e.frame.len()).sum());
                for ev in &page {
                    buf.extend_from_slice(&ev.frame);
                }
                st.last_sent = page.last().map(|e| e.id).unwrap_or(st.last_sent);
                st.fanout.stats.events_sent.inc_by(page.len() as u64);
                return Some((Ok(Bytes::from(buf)), st));
            }
            Phase::Live => {
                tokio::select! {
                    biased;
                    _ = st.shutdown.changed() => return None,
                    ev = st.rx.recv() => match ev {
                        Some(ev) if ev.id <= st.last_sent => continue,
                        Some(ev) => {
                            st.last_sent = ev.id;
                            st.fanout.stats.events_sent.inc();
                            return Some((Ok(ev.frame.clone()), st));
                        }
                        // Dropped for lagging, or replaced by a newer stream of the same table.
                        None => return None,
                    },
                    _ = st.keepalive.tick() => return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), st)),
                }
            }
        }
    }
}
