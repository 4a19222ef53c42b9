//! The accept loop: one HTTP/1 connection task per client, each with a handle that lets
//! the server cut it. A client that stops reading an event stream leaves hyper unable to
//! write, so neither the stream nor a graceful shutdown can end that connection from
//! inside; the handle closes its socket when the hub drops the stream for lagging and,
//! at shutdown, shortly after the streams have been told to end.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
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

/// Serves `router` on `listener` until `shutdown` turns true, then lets connections finish
/// (requests at most `drain`, event streams at most [`STREAM_GRACE`]).
pub async fn serve(listener: TcpListener, router: Router, shutdown: watch::Receiver<bool>, drain: Duration) {
    let mut conns = JoinSet::new();
    let mut stop = shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((sock, peer)) => {
                    let _ = sock.set_nodelay(true);
                    conns.spawn(connection(sock, peer, router.clone(), shutdown.clone(), drain));
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
) {
    let conn = Conn::default();
    let handle = conn.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(handle.clone());
        router.clone().oneshot(req)
    });
    let http = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(sock), service);
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
