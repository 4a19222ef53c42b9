//! The box side of the chain hub: an uploader task that sends the box's `events` after its
//! cursor, in batches (at most 1,000 events or 1 MB, gzip), and stores the hub's `acked`
//! answer as the cursor in the box's database, so a restart resumes where it stopped.
//! Orders never wait for it: with the internet down the backlog grows, and it drains when
//! the hub is back. Events the hub has not acknowledged are never pruned
//! ([`crate::tasks`]). A box whose old events were pruned before it joined first sends a
//! backfill of its sessions and orders.

use crate::config::HubLink;
use crate::db;
use crate::state::AppState;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;

const MAX_EVENTS: i64 = 1000;
const MAX_BYTES: usize = 1024 * 1024;
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// An idle box still says hello this often (the hub shows it online).
const HEARTBEAT: Duration = Duration::from_secs(30);

/// What the System page and `/metrics` show of the uploader.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct UplinkStatus {
    pub url: Option<String>,
    /// `ok`, `offline` (the last try failed) or `off` (no hub configured).
    pub state: String,
    /// Events not yet acknowledged by the hub.
    pub backlog: i64,
    pub acked_event_id: i64,
    pub last_upload_at: Option<String>,
    pub last_error: Option<String>,
}

#[derive(Default)]
pub struct Uplink {
    // std mutex: held only to copy or replace the status.
    status: Mutex<UplinkStatus>,
    /// Woken after each commit that recorded events.
    pub wake: Notify,
}

impl Uplink {
    pub fn status(&self) -> UplinkStatus {
        self.status.lock().expect("uplink lock").clone()
    }
    fn update(&self, f: impl FnOnce(&mut UplinkStatus)) {
        f(&mut self.status.lock().expect("uplink lock"));
    }
}

/// The box's cursor: every event up to it is held by the hub.
pub fn cursor(conn: &Connection) -> rusqlite::Result<i64> {
    Ok(db::stores::meta_get(conn, "hub_acked")?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Events after `after`, oldest first, at most [`MAX_EVENTS`] or about [`MAX_BYTES`].
fn batch(conn: &Connection, after: i64) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, store_id, table_id, type, payload, created_at FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![after, MAX_EVENTS])?;
    let mut out = Vec::new();
    let mut bytes = 0;
    while let Some(r) = rows.next()? {
        let payload: String = r.get(4)?;
        bytes += payload.len() + 100;
        if bytes > MAX_BYTES && !out.is_empty() {
            break;
        }
        out.push(json!({
            "id": r.get::<_, i64>(0)?,
            "store_id": r.get::<_, String>(1)?,
            "table_id": r.get::<_, Option<i64>>(2)?,
            "type": r.get::<_, String>(3)?,
            "data": serde_json::from_str::<Value>(&payload).unwrap_or(Value::Null),
            "created_at": db::rfc3339(r.get(5)?),
        }));
    }
    Ok(out)
}

fn stores(conn: &Connection) -> rusqlite::Result<Vec<Value>> {
    conn.prepare_cached("SELECT id, name, timezone FROM stores ORDER BY id")?
        .query_map([], |r| Ok(json!({"store_id": r.get::<_, String>(0)?, "name": r.get::<_, String>(1)?, "timezone": r.get::<_, String>(2)?})))?
        .collect()
}

type HttpClient = Client<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, Full<Bytes>>;

/// HTTP/1 over TLS where the URL says https: Mozilla's roots, plus the chain's own
/// certificate authorities when `hub_ca_file` names some.
fn client(link: &HubLink) -> HttpClient {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    for cert in &link.ca_certs {
        if let Err(e) = roots.add(cert.clone()) {
            tracing::warn!(error = %e, "a certificate of hub_ca_file is not usable as an authority; skipped");
        }
    }
    let tls =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring supports TLS 1.2 and 1.3")
            .with_root_certificates(roots)
            .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_http1().build();
    Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(https)
}

/// An error with the errors under it ("client error (Connect): invalid peer certificate:
/// UnknownIssuer"), so that the System page says why the hub cannot be reached.
fn causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = s.source();
    }
    out
}

/// POSTs `body` (gzip) to the hub; the JSON answer, or why not.
async fn post(client: &HttpClient, link: &HubLink, path: &str, body: &Value) -> Result<Value, String> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(body.to_string().as_bytes()).map_err(|e| e.to_string())?;
    let data = gz.finish().map_err(|e| e.to_string())?;
    let req = hyper::Request::post(format!("{}{path}", link.url))
        .header("authorization", format!("Bearer {}", link.token))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(Full::new(Bytes::from(data)))
        .map_err(|e| e.to_string())?;
    let resp = tokio::time::timeout(Duration::from_secs(30), client.request(req))
        .await
        .map_err(|_| "the hub did not answer within 30 s".to_string())?
        .map_err(|e| format!("cannot reach the hub: {}", causes(&e)))?;
    let status = resp.status();
    let bytes = tokio::time::timeout(Duration::from_secs(30), resp.into_body().collect())
        .await
        .map_err(|_| "the hub's answer took too long".to_string())?
        .map_err(|e| e.to_string())?
        .to_bytes();
    if !status.is_success() {
        return Err(format!("the hub answered {status}: {}", String::from_utf8_lossy(&bytes[..bytes.len().min(300)])));
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("the hub's answer is not JSON: {e}"))
}

/// Moves the cursor back to what the hub holds (`acked`), or to the box's prune floor
/// when it pruned further, in which case the backfill is marked to be sent again.
/// Answers (new cursor, floor).
async fn recover(st: &AppState, acked: i64) -> (i64, i64) {
    let r = st
        .writer
        .write(move |ctx| {
            let floor = db::events::floor(ctx.conn)?;
            let to = acked.max(floor);
            db::stores::meta_set(ctx.conn, "hub_acked", &to.to_string())?;
            if floor > acked {
                ctx.conn.execute("DELETE FROM meta WHERE key = 'hub_backfilled'", [])?;
            }
            Ok((to, floor))
        })
        .await;
    match r {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "cannot move the hub cursor back");
            (acked, 0)
        }
    }
}

/// Jittered exponential backoff.
fn backoff(failures: u32) -> Duration {
    let base = Duration::from_secs(1).saturating_mul(1u32 << failures.min(6)).min(MAX_BACKOFF);
    let jitter = u64::from_le_bytes(crate::auth::random_bytes::<8>()) % (base.as_millis() as u64 / 2 + 1);
    base / 2 + Duration::from_millis(jitter)
}

/// Sends the sessions and orders of a box that pruned events before it joined the chain.
async fn backfill(st: &AppState, client: &HttpClient, link: &HubLink) -> Result<(), String> {
    let floor = db::read(&st.pool, |c| Ok(db::events::floor(c)?)).await.map_err(|e| e.to_string())?;
    if floor == 0 {
        return Ok(()); // every event is still there: the events alone tell the hub everything
    }
    let mut after = 0i64;
    loop {
        let page = db::read(&st.pool, move |c| {
            let ids: Vec<(String, i64)> = c
                .prepare("SELECT store_id, id FROM orders WHERE id > ?1 ORDER BY id LIMIT 500")?
                .query_map([after], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let mut orders = Vec::new();
            for (store, id) in &ids {
                let mut o = serde_json::to_value(db::orders::get(c, store, *id)?).unwrap_or(Value::Null);
                o["store_id"] = json!(store);
                orders.push(o);
            }
            let sessions: Vec<Value> = c
                .prepare(
                    "SELECT s.store_id, s.id, s.table_id, s.started_at, s.ended_at,
                            coalesce((SELECT sum(total) FROM orders o WHERE o.store_id = s.store_id AND o.session_id = s.id AND o.status <> 'cancelled'), 0),
                            (SELECT count(*) FROM orders o WHERE o.store_id = s.store_id AND o.session_id = s.id AND o.status <> 'cancelled')
                     FROM table_sessions s WHERE s.id IN (SELECT DISTINCT session_id FROM orders WHERE id > ?1 ORDER BY id LIMIT 500)",
                )?
                .query_map([after], |r| {
                    Ok(json!({
                        "store_id": r.get::<_, String>(0)?, "session_id": r.get::<_, i64>(1)?, "table_id": r.get::<_, i64>(2)?,
                        "started_at": db::rfc3339(r.get(3)?), "ended_at": r.get::<_, Option<i64>>(4)?.map(db::rfc3339),
                        "total": r.get::<_, i64>(5)?, "order_count": r.get::<_, i64>(6)?,
                    }))
                })?
                .collect::<Result<_, _>>()?;
            Ok((ids.last().map(|(_, id)| *id), orders, sessions, stores(c)?))
        })
        .await
        .map_err(|e| e.to_string())?;
        let (last, orders, sessions, stores) = page;
        let Some(last) = last else { break };
        post(client, link, "/hub/v1/backfill", &json!({ "stores": stores, "orders": orders, "sessions": sessions }))
            .await?;
        after = last;
    }
    // Last: everything up to the floor is told; the hub counts those events as held.
    post(client, link, "/hub/v1/backfill", &json!({ "floor": floor })).await?;
    Ok(())
}

/// Runs until aborted (server shutdown).
pub async fn run(st: AppState, link: HubLink, up: std::sync::Arc<Uplink>) {
    let client = client(&link);
    up.update(|s| {
        s.url = Some(link.url.clone());
        s.state = "offline".into();
    });
    let mut failures = 0u32;
    let mut backfilled =
        db::read(&st.pool, |c| Ok(db::stores::meta_get(c, "hub_backfilled")?.is_some())).await.unwrap_or(false);
    let mut last_contact = tokio::time::Instant::now() - HEARTBEAT;
    loop {
        if !backfilled {
            match backfill(&st, &client, &link).await {
                Ok(()) => {
                    let r = st.writer.write(|ctx| Ok(db::stores::meta_set(ctx.conn, "hub_backfilled", "1")?)).await;
                    backfilled = r.is_ok();
                }
                Err(e) => {
                    up.update(|s| {
                        s.state = "offline".into();
                        s.last_error = Some(e.clone());
                    });
                    tracing::warn!(error = %e, "backfill to the hub failed; retrying");
                    tokio::time::sleep(backoff(failures)).await;
                    failures += 1;
                    continue;
                }
            }
        }
        let read = db::read(&st.pool, |c| {
            let after = cursor(c)?;
            Ok((after, batch(c, after)?, stores(c)?, db::events::head(c)?))
        })
        .await;
        let (after, events, stores, head) = match read {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read events to upload");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        up.update(|s| {
            s.acked_event_id = after;
            s.backlog = (head - after).max(0);
        });
        st.metrics.hub_backlog.set((head - after).max(0));
        if events.is_empty() && last_contact.elapsed() < HEARTBEAT {
            let _ = tokio::time::timeout(Duration::from_secs(5), up.wake.notified()).await;
            continue;
        }
        let n = events.len();
        match post(&client, &link, "/hub/v1/ingest", &json!({ "events": events, "stores": stores, "head": head })).await
        {
            Ok(answer) => {
                last_contact = tokio::time::Instant::now();
                failures = 0;
                let acked = answer["acked"].as_i64().unwrap_or(after);
                if acked > after {
                    let r = st
                        .writer
                        .write(move |ctx| {
                            // Forwards only here; a hub that says less is handled below.
                            let cur = cursor(ctx.conn)?;
                            Ok(db::stores::meta_set(ctx.conn, "hub_acked", &acked.max(cur).to_string())?)
                        })
                        .await;
                    if let Err(e) = r {
                        tracing::warn!(error = %e, "cannot record the hub's acknowledgement");
                    }
                }
                let now = st.clock.now_ms();
                up.update(|s| {
                    s.state = "ok".into();
                    s.acked_event_id = acked.max(after);
                    s.backlog = (head - acked.max(after)).max(0);
                    s.last_upload_at = Some(db::rfc3339(now));
                    s.last_error = None;
                });
                st.metrics.hub_up.set(1);
                st.metrics.hub_acked.set(acked.max(after));
                st.metrics.hub_backlog.set((head - acked.max(after)).max(0));
                st.metrics.hub_last_upload.set(now as f64 / 1000.0);
                if acked < after {
                    // The hub holds less than it acknowledged before: restored from an
                    // older backup. Send again what it lost; what this box has pruned
                    // since goes as a backfill of its orders.
                    let (to, floor) = recover(&st, acked).await;
                    tracing::warn!(
                        acked,
                        before = after,
                        resend_after = to,
                        "the hub lost events it had acknowledged (restored from a backup?); sending them again"
                    );
                    if floor > acked {
                        backfilled = false;
                    }
                    continue;
                }
                if n > 0 && acked <= after {
                    // The hub holds nothing new from us: a gap it is waiting for, or a
                    // misconfiguration. Do not hammer it.
                    tracing::warn!(after, "the hub did not acknowledge the batch");
                    tokio::time::sleep(backoff(3)).await;
                }
            }
            Err(e) => {
                st.metrics.hub_up.set(0);
                up.update(|s| {
                    s.state = "offline".into();
                    s.last_error = Some(e.clone());
                });
                if failures == 0 {
                    tracing::warn!(error = %e, "cannot upload to the hub; orders go on, the backlog grows");
                }
                let wait = backoff(failures);
                failures += 1;
                tokio::time::sleep(wait).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_stops_at_a_minute() {
        for f in 0..10 {
            let d = backoff(f);
            let base = Duration::from_secs(1).saturating_mul(1u32 << f.min(6)).min(MAX_BACKOFF);
            assert!(d >= base / 2 && d <= base, "{f}: {d:?}");
        }
    }
}
