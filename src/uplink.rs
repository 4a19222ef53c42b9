//! The box side of the chain hub: an uploader task that sends the box's `events` after its
//! cursor, in batches (at most 1,000 events or 1 MB, gzip), and stores the hub's `acked`
//! answer as the cursor in the box's database, so a restart resumes where it stopped.
//! Orders never wait for it: with the internet down the backlog grows, and it drains when
//! the hub is back. Events the hub has not acknowledged are never pruned
//! ([`crate::tasks`]). A box whose old events were pruned before it joined first sends a
//! backfill of its sessions and orders.

use crate::clock::Clock;
use crate::config::HubLink;
use crate::db::{self, Pool, uplink as udb, writer::Writer};
use crate::metrics::Metrics;
use crate::wire::{Acked, BackfillBody, IngestBody, Stored};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::Write;
use std::sync::{Arc, Mutex};
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
    /// Stores of this box the hub is not bound to: their orders wait at the hub, unseen by
    /// HQ, until HQ binds them to this box (`tableorder hub box bind`); the others flow.
    pub refused_stores: Vec<String>,
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

/// What the uploader works with, handed over where the task starts.
#[derive(Clone)]
pub struct Handles {
    pub pool: Pool,
    pub writer: Writer,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    pub status: Arc<Uplink>,
    /// Where releases the chain assigns are installed, and the keys they are checked with.
    pub data_dir: std::path::PathBuf,
    pub update_keys: Vec<String>,
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

/// POSTs `body` (JSON, gzip) to the hub; its answer, or why not.
async fn post<B: Serialize, A: DeserializeOwned>(
    client: &HttpClient,
    link: &HubLink,
    path: &str,
    body: &B,
) -> Result<A, String> {
    let json = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&json).map_err(|e| e.to_string())?;
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

/// Moves the cursor back to what the hub holds (see [`udb::rewind`]).
async fn recover(h: &Handles, acked: i64) -> (i64, i64) {
    let r = h.writer.write(move |ctx| Ok(udb::rewind(ctx.conn, acked)?)).await;
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
    let jitter = u64::from_le_bytes(crate::crypto::random_bytes::<8>()) % (base.as_millis() as u64 / 2 + 1);
    base / 2 + Duration::from_millis(jitter)
}

/// Sends the sessions and orders of a box that pruned events before it joined the chain.
async fn backfill(h: &Handles, client: &HttpClient, link: &HubLink) -> Result<(), String> {
    let floor = db::read(&h.pool, |c| Ok(db::events::floor(c)?)).await.map_err(|e| e.to_string())?;
    if floor == 0 {
        return Ok(()); // every event is still there: the events alone tell the hub everything
    }
    let mut after = 0i64;
    loop {
        let ((last, orders, sessions), stores) =
            db::read(&h.pool, move |c| Ok((udb::backfill_page(c, after)?, udb::stores(c)?)))
                .await
                .map_err(|e| e.to_string())?;
        let Some(last) = last else { break };
        let body = BackfillBody { stores, orders, sessions, floor: None };
        post::<_, Stored>(client, link, "/hub/v1/backfill", &body).await?;
        after = last;
    }
    // Last: everything up to the floor is told; the hub counts those events as held.
    let last = BackfillBody { floor: Some(floor), ..Default::default() };
    post::<_, Stored>(client, link, "/hub/v1/backfill", &last).await?;
    Ok(())
}

/// Runs until aborted (server shutdown).
pub async fn run(h: Handles, link: HubLink) {
    let up = h.status.clone();
    let client = client(&link);
    up.update(|s| {
        s.url = Some(link.url.clone());
        s.state = "offline".into();
    });
    let mut failures = 0u32;
    let mut backfilled = db::read(&h.pool, |c| Ok(udb::backfilled(c)?)).await.unwrap_or(false);
    let mut last_contact = tokio::time::Instant::now() - HEARTBEAT;
    let fetching = Arc::new(std::sync::atomic::AtomicBool::new(false));
    loop {
        if !backfilled {
            match backfill(&h, &client, &link).await {
                Ok(()) => {
                    let r = h.writer.write(|ctx| Ok(udb::set_backfilled(ctx.conn)?)).await;
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
        let read = db::read(&h.pool, |c| {
            let after = udb::cursor(c)?;
            Ok((after, udb::batch(c, after, MAX_EVENTS, MAX_BYTES)?, udb::stores(c)?, db::events::head(c)?))
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
        h.metrics.hub_backlog.set((head - after).max(0));
        if events.is_empty() && last_contact.elapsed() < HEARTBEAT {
            let _ = tokio::time::timeout(Duration::from_secs(5), up.wake.notified()).await;
            continue;
        }
        let n = events.len();
        let release = Some(this_release(&h.data_dir).await);
        let body = IngestBody { events, stores, head: Some(head), release };
        match post::<_, Acked>(&client, &link, "/hub/v1/ingest", &body).await {
            Ok(Acked { acked, refused_stores, release }) => {
                if let Some(r) = release {
                    take_release(&h, &client, &link, r, &fetching);
                }
                if !refused_stores.is_empty() && up.status().refused_stores != refused_stores {
                    tracing::warn!(stores = ?refused_stores, "the hub is not bound to these stores of this box: their orders wait at the hub until HQ binds them");
                }
                last_contact = tokio::time::Instant::now();
                failures = 0;
                if acked > after {
                    // Forwards only here; a hub that says less is handled below.
                    let r = h.writer.write(move |ctx| Ok(udb::advance(ctx.conn, acked)?)).await;
                    if let Err(e) = r {
                        tracing::warn!(error = %e, "cannot record the hub's acknowledgement");
                    }
                }
                let now = h.clock.now_ms();
                up.update(|s| {
                    s.state = "ok".into();
                    s.acked_event_id = acked.max(after);
                    s.backlog = (head - acked.max(after)).max(0);
                    s.last_upload_at = Some(db::rfc3339(now));
                    s.last_error = None;
                    s.refused_stores = refused_stores;
                });
                h.metrics.hub_up.set(1);
                h.metrics.hub_acked.set(acked.max(after));
                h.metrics.hub_backlog.set((head - acked.max(after)).max(0));
                h.metrics.hub_last_upload.set(now as f64 / 1000.0);
                if acked < after {
                    // The hub holds less than it acknowledged before: restored from an
                    // older backup. Send again what it lost; what this box has pruned
                    // since goes as a backfill of its orders.
                    let (to, floor) = recover(&h, acked).await;
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
                h.metrics.hub_up.set(0);
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

/// What this box runs and how its updates stand, for the hub.
async fn this_release(data_dir: &std::path::Path) -> crate::wire::BoxRelease {
    let dir = data_dir.to_path_buf();
    let st = tokio::task::spawn_blocking(move || crate::update::state::load(&dir)).await.unwrap_or_default();
    crate::wire::BoxRelease {
        version: crate::version::get().to_string(),
        arch: crate::update::this_arch().to_string(),
        update_state: serde_json::to_value(st.phase)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        last_error: st.last_error,
        failed_version: st.failed_version,
    }
}

/// The chain assigned this box a release: unless it has it already (or it failed here),
/// fetch it in the background, verify it with the box's own keys and have it applied at
/// an idle moment. Uploads go on meanwhile.
fn take_release(
    h: &Handles,
    client: &HttpClient,
    link: &HubLink,
    r: crate::wire::AssignedRelease,
    fetching: &Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    let st = crate::update::state::load(&h.data_dir);
    let have = r.version == crate::version::get()
        || st.failed_version.as_deref() == Some(r.version.as_str())
        || st.pending.as_ref().is_some_and(|p| p.to.as_deref() == Some(r.version.as_str()))
        || st.probation.is_some();
    if have || fetching.swap(true, Ordering::AcqRel) {
        return;
    }
    let (h, client, link, fetching) = (h.clone(), client.clone(), link.clone(), fetching.clone());
    tokio::spawn(async move {
        tracing::info!(version = %r.version, "the chain assigned this box a release; fetching it");
        match fetch_release(&h, &client, &link, &r).await {
            Ok(()) => {
                tracing::info!(version = %r.version, "release from the hub installed; it applies when the restaurant is idle")
            }
            Err(e) => {
                tracing::warn!(version = %r.version, error = %e, "the release from the hub was not installed");
                if e.starts_with("release refused") {
                    let dir = h.data_dir.clone();
                    let v = r.version.clone();
                    let _ = tokio::task::spawn_blocking(move || {
                        crate::update::state::change(&dir, |st| {
                            st.phase = crate::update::state::Phase::Failed;
                            st.last_error = Some(format!("from the hub: {e}"));
                            st.failed_version = Some(v);
                        })
                    })
                    .await;
                }
            }
        }
        fetching.store(false, Ordering::Release);
    });
}

async fn fetch_release(
    h: &Handles,
    client: &HttpClient,
    link: &HubLink,
    r: &crate::wire::AssignedRelease,
) -> Result<(), String> {
    let get = |path: String| {
        hyper::Request::get(format!("{}{path}", link.url))
            .header("authorization", format!("Bearer {}", link.token))
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string())
    };
    let sig_resp = tokio::time::timeout(Duration::from_secs(30), client.request(get(format!("{}/signature", r.path))?))
        .await
        .map_err(|_| "the hub did not answer within 30 s".to_string())?
        .map_err(|e| format!("cannot reach the hub: {}", causes(&e)))?;
    if !sig_resp.status().is_success() {
        return Err(format!("the hub answered {} for the signature", sig_resp.status()));
    }
    let sig = sig_resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    let sig = String::from_utf8(sig.to_vec()).map_err(|_| "the signature is not text".to_string())?;
    let staged = crate::update::staging_path(&h.data_dir).map_err(|e| e.to_string())?;
    let result = async {
        let resp = tokio::time::timeout(Duration::from_secs(30), client.request(get(r.path.clone())?))
            .await
            .map_err(|_| "the hub did not answer within 30 s".to_string())?
            .map_err(|e| format!("cannot reach the hub: {}", causes(&e)))?;
        if !resp.status().is_success() {
            return Err(format!("the hub answered {} for the release", resp.status()));
        }
        let mut body = resp.into_body();
        let mut file = crate::durable::create_private(&staged).map_err(|e| e.to_string())?;
        let mut total = 0usize;
        while let Some(frame) = tokio::time::timeout(Duration::from_secs(60), body.frame())
            .await
            .map_err(|_| "the download stalled".to_string())?
        {
            let frame = frame.map_err(|e| format!("the download broke off: {e}"))?;
            if let Some(data) = frame.data_ref() {
                total += data.len();
                if total > crate::update::MAX_RELEASE_BYTES {
                    return Err("the release is larger than 64 MB".into());
                }
                file.write_all(data).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        let _ = std::fs::remove_file(&staged);
        return Err(e);
    }
    let keys = crate::update::trusted_keys(&h.update_keys)?;
    let dir = h.data_dir.clone();
    let installed = tokio::task::spawn_blocking(move || crate::update::install(&dir, &staged, &sig, &keys, false))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    // Every store of the box keeps in its trail that the chain's hub asked for it.
    let to = Some(installed.version);
    let when = crate::update::state::When::Idle;
    let entry = crate::update::audit_entry(&h.data_dir, None, &to, when, false, "hub");
    h.writer
        .write(move |ctx| {
            for store in crate::db::stores::store_ids(ctx.conn)? {
                crate::db::audit::record(ctx, &store, entry.clone())?;
            }
            Ok(())
        })
        .await
        .map_err(|e| format!("cannot record the update in the audit trail: {e}"))?;
    let dir = h.data_dir.clone();
    tokio::task::spawn_blocking(move || crate::update::request(&dir, to, when, false))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot record the update: {e}"))
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
