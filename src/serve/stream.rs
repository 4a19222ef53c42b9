//! Event-stream connections served without hyper's per-connection machinery.
//!
//! A box holds thousands of open event streams, nearly all idle. Through hyper each one
//! keeps an 8 KiB read buffer, an 8 KiB write buffer and its dispatcher for as long as the
//! stream lives (about 11 KB of RSS per stream, measured); here a stream keeps a socket, a
//! small task and the stream's own state. A connection whose first request line is
//! `GET /api/v1/events` or `GET /api/v1/admin/events` comes here: its request head is read
//! and parsed (httparse), answered by the same router (extractors, limits, metrics), and
//! the response is written directly: `Transfer-Encoding: chunked` (close-delimited for
//! HTTP/1.0), then the connection closes when the stream ends. Everything else, and any
//! later request on a keep-alive connection, goes through hyper as before.

use super::{Conn, MAX_HEAD_BYTES, MAX_HEADERS, STREAM_GRACE, stopped};
use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{HeaderName, HeaderValue, Request, Response, Version};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::ServiceExt;

const PATHS: [&[u8]; 2] = [b"GET /api/v1/events", b"GET /api/v1/admin/events"];

/// What the first bytes of a connection say.
pub enum Sniff {
    /// An event-stream request: serve it here.
    EventStream,
    /// Anything else: hyper serves it.
    Other,
    /// Closed or silent before saying anything.
    Gone,
}

/// Looks at (without consuming) the start of the first request line.
pub async fn sniff(sock: &TcpStream, limit: Duration) -> Sniff {
    let deadline = tokio::time::Instant::now() + limit;
    let mut buf = [0u8; 32];
    loop {
        let n = match tokio::time::timeout_at(deadline, sock.peek(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return Sniff::Gone,
            Ok(Ok(n)) => n,
        };
        let seen = &buf[..n];
        let mut undecided = false;
        for p in PATHS {
            if seen.len() > p.len() {
                if seen.starts_with(p) && matches!(seen[p.len()], b' ' | b'?') {
                    return Sniff::EventStream;
                }
            } else if p.starts_with(seen) {
                undecided = true;
            }
        }
        if !undecided {
            return Sniff::Other;
        }
        // The request line arrives in pieces (rare): look again shortly. Peeking returns at
        // once while anything is buffered, so this waits instead of spinning.
        if tokio::time::Instant::now() >= deadline {
            return Sniff::Gone;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A parsed request head.
struct Head {
    request: Request<Body>,
    http10: bool,
}

/// Reads the request head (at most [`MAX_HEAD_BYTES`], within `limit`). Err carries the
/// status to answer with, if any.
async fn read_head(sock: &mut TcpStream, limit: Duration) -> Result<Head, Option<u16>> {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if buf.len() >= MAX_HEAD_BYTES {
            return Err(Some(431));
        }
        let mut chunk = [0u8; 1024];
        let n = match tokio::time::timeout_at(deadline, sock.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Err(None),
            Err(_) => return Err(Some(408)),
            Ok(Ok(n)) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Partial) => continue,
            Err(httparse::Error::TooManyHeaders) => return Err(Some(431)),
            Err(_) => return Err(Some(400)),
            Ok(httparse::Status::Complete(_)) => {
                let http10 = req.version == Some(0);
                let mut b = Request::builder()
                    .method(req.method.unwrap_or("GET"))
                    .uri(req.path.unwrap_or("/"))
                    .version(if http10 { Version::HTTP_10 } else { Version::HTTP_11 });
                for h in req.headers.iter() {
                    let (Ok(name), Ok(value)) =
                        (HeaderName::from_bytes(h.name.as_bytes()), HeaderValue::from_bytes(h.value))
                    else {
                        return Err(Some(400));
                    };
                    b = b.header(name, value);
                }
                return b.body(Body::empty()).map(|request| Head { request, http10 }).map_err(|_| Some(400));
            }
        }
    }
}

fn reason(status: u16) -> &'static str {
    axum::http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("")
}

/// The response head: status line, the handler's headers and our framing.
fn head_bytes(resp: &Response<Body>, framing: &str) -> Vec<u8> {
    let status = resp.status().as_u16();
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
    for (name, value) in resp.headers() {
        if matches!(name.as_str(), "content-length" | "transfer-encoding" | "connection") {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(framing.as_bytes());
    out.extend_from_slice(b"connection: close\r\n\r\n");
    out
}

async fn refuse(sock: &mut TcpStream, status: u16) {
    let body = format!(
        "{{\"error\":{{\"code\":\"bad_request\",\"message\":\"{}\"}}}}",
        if status == 431 { "request headers too large" } else { "malformed or incomplete request" }
    );
    let text = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), sock.write_all(text.as_bytes())).await;
}

/// Serves one event-stream request on `sock`, then closes it.
pub async fn serve(
    mut sock: TcpStream,
    peer: SocketAddr,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    header_timeout: Duration,
) {
    let head = match read_head(&mut sock, header_timeout).await {
        Ok(h) => h,
        Err(status) => {
            if let Some(s) = status {
                refuse(&mut sock, s).await;
            }
            return;
        }
    };
    let conn = Conn::default();
    conn.set_streaming();
    let mut request = head.request;
    request.extensions_mut().insert(ConnectInfo(peer));
    request.extensions_mut().insert(conn.clone());
    let Ok(resp) = router.oneshot(request).await;

    let (mut rd, mut wr) = sock.split();
    // A refusal (401, 409, …) has a known length: send it whole.
    if let Some(len) = resp.body().size_hint().exact() {
        let mut out = head_bytes(&resp, &format!("content-length: {len}\r\n"));
        if let Ok(body) = resp.into_body().collect().await {
            out.extend_from_slice(&body.to_bytes());
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), wr.write_all(&out)).await;
        return;
    }
    let chunked = !head.http10;
    let framing = if chunked { "transfer-encoding: chunked\r\n" } else { "" };
    let first = head_bytes(&resp, framing);
    let mut body = resp.into_body();

    let pump = async {
        wr.write_all(&first).await?;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { break };
            let Ok(data) = frame.into_data() else { continue };
            if data.is_empty() {
                continue;
            }
            if chunked {
                wr.write_all(format!("{:x}\r\n", data.len()).as_bytes()).await?;
                wr.write_all(&data).await?;
                wr.write_all(b"\r\n").await?;
            } else {
                wr.write_all(&data).await?;
            }
        }
        if chunked {
            wr.write_all(b"0\r\n\r\n").await?;
        }
        wr.flush().await
    };
    // The client closing its side (or its socket failing) ends the stream at once.
    let gone = async {
        let mut scratch = [0u8; 256];
        loop {
            match rd.read(&mut scratch).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {} // nothing more is expected on this connection
            }
        }
    };
    tokio::pin!(pump, gone);
    tokio::select! {
        _ = &mut pump => {}
        _ = &mut gone => {}
        _ = conn.0.kill.notified() => {}
        _ = stopped(&mut shutdown) => {
            // The stream ends by itself at shutdown; a client that does not take the end
            // within the grace period is cut.
            tokio::select! {
                _ = tokio::time::timeout(STREAM_GRACE, &mut pump) => {}
                _ = conn.0.kill.notified() => {}
            }
        }
    }
}
