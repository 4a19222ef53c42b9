//! The accept loop: one HTTP/1 connection task per client, each with a handle that lets
//! the server cut it. A client that stops reading an event stream leaves hyper unable to
//! write, so neither the stream nor a graceful shutdown can end that connection from
//! inside; the handle closes its socket when the hub drops the stream for lagging and,
//! at shutdown, shortly after the streams have been told to end.

mod stream;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// How long an event-stream connection may take to finish after shutdown begins.
pub const STREAM_GRACE: Duration = Duration::from_millis(250);

/// Control of one client connection, available to handlers as a request extension.
#[derive(Clone, Default)]
pub struct Conn(Arc<ConnState>);

#[derive(Default)]
struct ConnState {
    kill: Notify,
    streaming: AtomicBool,
}

impl Conn {
    /// Closes the connection now, whatever it is doing.
    pub fn kill(&self) {
        self.0.kill.notify_one();
    }

    /// Marks the connection as carrying an event stream (cut quickly at shutdown).
    pub fn set_streaming(&self) {
        self.0.streaming.store(true, Ordering::Relaxed);
    }
}

/// Largest request head (request line and headers) accepted; a longer one answers 431.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Most header fields in a request.
pub const MAX_HEADERS: usize = 64;

/// How connections are guarded against clients that are slow on purpose or gone.
#[derive(Clone, Copy, Debug)]
pub struct ConnOptions {
    /// Time to send a request head; also the idle time allowed between keep-alive requests.
    pub header_timeout: Duration,
    /// Time after which an unresponsive peer's connection is closed (TCP keepalive for an
    /// idle socket, TCP_USER_TIMEOUT for one whose sent data is never acknowledged: an
    /// event stream to a tablet that left the Wi-Fi).
    pub dead_peer_timeout: Duration,
    /// Open connections one client address may hold (0: no limit).
    pub max_per_address: usize,
}

impl Default for ConnOptions {
    fn default() -> Self {
        ConnOptions {
            header_timeout: Duration::from_secs(10),
            dead_peer_timeout: Duration::from_secs(60),
            max_per_address: 256,
        }
    }
}

/// Open connections per client address; a slot is given back when its guard drops.
#[derive(Default)]
struct PerAddress {
    // A std mutex: held only to count.
    open: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>,
}

struct Slot {
    counts: Arc<PerAddress>,
    ip: std::net::IpAddr,
}

impl PerAddress {
    fn take(self: &Arc<Self>, ip: std::net::IpAddr, max: usize) -> Option<Slot> {
        let mut open = self.open.lock().expect("connection counts");
        let n = open.entry(ip).or_default();
        if max > 0 && *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot { counts: self.clone(), ip })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.counts.open.lock().expect("connection counts");
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Keepalive probes and a user timeout so that a vanished peer is noticed within `dead`.
fn guard_socket(sock: &tokio::net::TcpStream, dead: Duration) {
    let s = socket2::SockRef::from(sock);
    let _ = s.set_tcp_nodelay(true);
    let idle = (dead / 3).max(Duration::from_secs(1));
    let interval = (dead / 6).max(Duration::from_secs(1));
    let ka = socket2::TcpKeepalive::new().with_time(idle).with_interval(interval).with_retries(3);
    let _ = s.set_tcp_keepalive(&ka);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = s.set_tcp_user_timeout(Some(dead));
}

/// Serves `router` on `listener` until `shutdown` turns true, then lets connections finish
/// (requests at most `drain`, event streams at most [`STREAM_GRACE`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: watch::Receiver<bool>,
    drain: Duration,
    opts: ConnOptions,
) {
    let mut conns = JoinSet::new();
    let mut stop = shutdown.clone();
    let per_address = Arc::new(PerAddress::default());
    let mut refused_logged = std::time::Instant::now() - Duration::from_secs(60);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((sock, peer)) => {
                    let Some(slot) = per_address.take(peer.ip(), opts.max_per_address) else {
                        // One address holding too many: closed at once, before any work.
                        if refused_logged.elapsed() >= Duration::from_secs(60) {
                            tracing::warn!(address = %peer.ip(), max = opts.max_per_address, "too many connections from one address; closing new ones");
                            refused_logged = std::time::Instant::now();
                        }
                        drop(sock);
                        continue;
                    };
                    guard_socket(&sock, opts.dead_peer_timeout);
                    let (router, shutdown) = (router.clone(), shutdown.clone());
                    conns.spawn(async move {
                        connection(sock, peer, router, shutdown, drain, opts).await;
                        drop(slot);
                    });
                }
                Err(e) => {
                    // Out of descriptors, most likely: wait a moment instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stopped(&mut stop) => break,
        }
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    let all_done = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(drain + STREAM_GRACE, all_done).await.is_err() {
        tracing::warn!("connections still open after the drain timeout; closing them");
    }
    conns.abort_all();
}

async fn connection(
    sock: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    drain: Duration,
    opts: ConnOptions,
) {
    match stream::sniff(&sock, opts.header_timeout).await {
        stream::Sniff::EventStream => return stream::serve(sock, peer, router, shutdown, opts.header_timeout).await,
        stream::Sniff::Gone => return,
        stream::Sniff::Other => {}
    }
    let conn = Conn::default();
    let handle = conn.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(handle.clone());
        router.clone().oneshot(req)
    });
    let http = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(opts.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        .serve_connection(TokioIo::new(sock), service);
    tokio::pin!(http);
    tokio::select! {
        _ = http.as_mut() => return,
        _ = conn.0.kill.notified() => return,
        _ = stopped(&mut shutdown) => {}
    }
    http.as_mut().graceful_shutdown();
    let grace = if conn.0.streaming.load(Ordering::Relaxed) { STREAM_GRACE } else { drain };
    tokio::select! {
        _ = tokio::time::timeout(grace, http.as_mut()) => {}
        _ = conn.0.kill.notified() => {}
    }
}

/// Resolves once the shutdown flag is set (the borrow guard never outlives the call).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}
