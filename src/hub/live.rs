//! The HQ live feed. Redis pub/sub only *notifies* ("there are events up to hub id N"):
//! every process then reads the new events from PostgreSQL in hub-id order and hands them
//! to its own SSE clients. A notification lost while a process reconnects to Redis loses
//! nothing (the next read starts after the last id it saw, and a read happens every second
//! anyway), and a client can resume with `Last-Event-ID` on any process, because the ids
//! and the history are PostgreSQL's.

use super::HubState;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, broadcast};

pub const CHANNEL: &str = "tableorder:hub:events";
/// The event types of the HQ feed.
pub const TYPES: [&str; 4] = ["order_created", "order_updated", "order_cancelled", "session_ended"];
const PAGE: i64 = 500;

/// An HQ event, its SSE frame rendered once for every client.
#[derive(Debug)]
pub struct LiveEvent {
    pub hub_id: i64,
    pub frame: Bytes,
}

pub struct Live {
    tx: broadcast::Sender<Arc<LiveEvent>>,
    /// The highest hub id handed to this process's clients.
    head: AtomicI64,
    wake: Notify,
    publisher: tokio::sync::OnceCell<redis::aio::ConnectionManager>,
}

fn frame(hub_id: i64, kind: &str, data: &str) -> Bytes {
    Bytes::from(format!("id: {hub_id}\nevent: {kind}\ndata: {data}\n\n"))
}

type Row = (i64, String, String);

/// HQ events after `after`, at most `limit`, oldest first.
async fn read_after(
    pool: &deadpool_postgres::Pool,
    after: i64,
    limit: i64,
) -> Result<Vec<Row>, crate::error::AppError> {
    let c = pool.get().await?;
    let types: Vec<&str> = TYPES.to_vec();
    let rows = c
        .query(
            "SELECT hub_id, type, data FROM events WHERE hub_id > $1 AND type = ANY($2) ORDER BY hub_id LIMIT $3",
            &[&after, &types, &limit],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
}

impl Live {
    pub async fn new(pool: &deadpool_postgres::Pool) -> Result<Live, String> {
        let c = pool.get().await.map_err(|e| e.to_string())?;
        let head: i64 =
            c.query_one("SELECT coalesce(max(hub_id), 0) FROM events", &[]).await.map_err(|e| e.to_string())?.get(0);
        let (tx, _) = broadcast::channel(1024);
        Ok(Live { tx, head: AtomicI64::new(head), wake: Notify::new(), publisher: tokio::sync::OnceCell::new() })
    }

    pub fn head(&self) -> i64 {
        self.head.load(Ordering::SeqCst)
    }

    pub fn clients(&self) -> usize {
        self.tx.receiver_count()
    }

    /// Tells every hub process that events up to `hub_id` are in PostgreSQL.
    pub async fn notify(&self, redis: Option<&redis::Client>, hub_id: i64) {
        self.wake.notify_one();
        let Some(client) = redis else { return };
        let cfg = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)));
        let conn = self
            .publisher
            .get_or_try_init(|| redis::aio::ConnectionManager::new_with_config(client.clone(), cfg))
            .await;
        if let Ok(c) = conn {
            let mut c = c.clone();
            if let Err(e) = redis::cmd("PUBLISH").arg(CHANNEL).arg(hub_id).query_async::<i64>(&mut c).await {
                // The other processes still read within a second.
                tracing::warn!(error = %e, "could not publish a live notification");
            }
        }
    }
}

/// Listens to Redis notifications (reconnecting when Redis goes away) and, on each, or at
/// least every second, reads the new events and hands them out. Runs until aborted.
pub async fn follow(st: HubState) {
    if let Some(client) = st.redis.clone() {
        let live = st.live.clone();
        tokio::spawn(async move {
            loop {
                match client.get_async_pubsub().await {
                    Ok(mut ps) => {
                        if ps.subscribe(CHANNEL).await.is_ok() {
                            tracing::info!("following live notifications");
                            // Catch up on whatever happened while not subscribed.
                            live.wake.notify_one();
                            let mut messages = ps.on_message();
                            while messages.next().await.is_some() {
                                live.wake.notify_one();
                            }
                        }
                        tracing::warn!("live notifications lost; reconnecting to Redis");
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot reach Redis for live notifications"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    loop {
        let _ = tokio::time::timeout(Duration::from_secs(1), st.live.wake.notified()).await;
        loop {
            let after = st.live.head();
            match read_after(&st.pool, after, PAGE).await {
                Ok(rows) => {
                    let n = rows.len() as i64;
                    for (hub_id, kind, data) in rows {
                        st.live.head.store(hub_id, Ordering::SeqCst);
                        let _ = st.live.tx.send(Arc::new(LiveEvent { hub_id, frame: frame(hub_id, &kind, &data) }));
                    }
                    if n < PAGE {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    }
}

enum Phase {
    Replay,
    Live,
}

struct Stream {
    st: HubState,
    rx: broadcast::Receiver<Arc<LiveEvent>>,
    phase: Phase,
    last_sent: i64,
    first: Option<Bytes>,
    keepalive: tokio::time::Interval,
}

/// An HQ event stream, resuming after `resume` (a hub id) when given.
pub fn stream(st: HubState, resume: Option<i64>) -> Response {
    // Subscribe before reading, so that nothing published in between is missed.
    let rx = st.live.tx.subscribe();
    let head = st.live.head();
    let start = resume.unwrap_or(head);
    let hello = serde_json::json!({ "last_event_id": start, "head": head });
    let first = Bytes::from(format!("retry: 2000\nid: {start}\nevent: hello\ndata: {hello}\n\n"));
    let mut keepalive =
        tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(15), Duration::from_secs(15));
    keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let s = Stream {
        st,
        rx,
        phase: if resume.is_some() { Phase::Replay } else { Phase::Live },
        last_sent: start,
        first: Some(first),
        keepalive,
    };
    let body = futures_util::stream::unfold(s, next);
    let mut resp = Response::new(Body::from_stream(body));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, no-transform"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

async fn next(mut s: Stream) -> Option<(Result<Bytes, Infallible>, Stream)> {
    if let Some(f) = s.first.take() {
        return Some((Ok(f), s));
    }
    loop {
        match s.phase {
            Phase::Replay => {
                // From the primary: a replica behind it could miss what was just broadcast.
                let rows = match read_after(&s.st.pool, s.last_sent, PAGE).await {
                    Ok(r) => r,
                    Err(_) => return None,
                };
                if (rows.len() as i64) < PAGE {
                    s.phase = Phase::Live;
                }
                if rows.is_empty() {
                    continue;
                }
                let mut buf = Vec::new();
                for (hub_id, kind, data) in rows {
                    buf.extend_from_slice(&frame(hub_id, &kind, &data));
                    s.last_sent = hub_id;
                }
                return Some((Ok(Bytes::from(buf)), s));
            }
            Phase::Live => {
                tokio::select! {
                    ev = s.rx.recv() => match ev {
                        Ok(ev) if ev.hub_id <= s.last_sent => continue,
                        Ok(ev) => {
                            s.last_sent = ev.hub_id;
                            return Some((Ok(ev.frame.clone()), s));
                        }
                        // Fell behind the broadcast: catch up from PostgreSQL.
                        Err(broadcast::error::RecvError::Lagged(_)) => s.phase = Phase::Replay,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    },
                    _ = s.keepalive.tick() => return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), s)),
                }
            }
        }
    }
}
