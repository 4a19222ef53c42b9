//! A small client of the box: JSON requests that answer (status, body) whatever happens,
//! event streams opened on a raw socket (as a kitchen tablet's browser holds them), and what
//! `/proc` tells of a server process.

use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// POSTs `body` as JSON; (status, JSON body), or (0, null) when no answer came.
pub async fn post(client: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = client.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    match req.send().await {
        Ok(r) => {
            let s = r.status().as_u16();
            (s, r.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

/// Sends the request of an event stream on a fresh connection (`resume_from`: its
/// `Last-Event-ID`); the caller reads the answer.
pub async fn stream_request(
    port: u16,
    path: &str,
    token: &str,
    resume_from: Option<&str>,
) -> std::io::Result<TcpStream> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
    let resume = resume_from.map(|id| format!("Last-Event-ID: {id}\r\n")).unwrap_or_default();
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n{resume}\r\n");
    s.write_all(req.as_bytes()).await?;
    Ok(s)
}

/// Opens `n` staff event streams and keeps them open (each answered 200); returns the sockets.
pub async fn open_streams(port: u16, token: &str, n: usize) -> Vec<TcpStream> {
    let mut socks = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = stream_request(port, "/api/v1/admin/events", token, None).await.expect("connect");
        let mut buf = [0u8; 512];
        let n = s.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..n]));
        socks.push(s);
    }
    socks
}

/// Reads an event stream's frames as they come, calling `frame` with each ("id: …\nevent: …
/// \ndata: …"), until the connection ends, `stop` is set, or `max_life` has passed.
pub async fn read_frames(
    s: &mut TcpStream,
    stop: &AtomicBool,
    max_life: Option<Duration>,
    mut frame: impl FnMut(&str),
) {
    let opened = Instant::now();
    let mut buf = vec![0u8; 8192];
    let mut text = String::new();
    loop {
        if stop.load(Ordering::Relaxed) || max_life.is_some_and(|m| opened.elapsed() > m) {
            return;
        }
        let n = match tokio::time::timeout(Duration::from_secs(1), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(n)) => n,
            Err(_) => continue,
        };
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
        while let Some(end) = text.find("\n\n") {
            let f: String = text.drain(..end + 2).collect();
            frame(&f);
        }
    }
}

/// What `/proc` says of a process: resident memory, open descriptors, threads.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    pub at_s: u64,
    pub rss_kib: u64,
    pub fds: u64,
    pub threads: u64,
}

fn status_field(status: &str, name: &str) -> u64 {
    status
        .lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A reading of process `pid`, `started` being when the measurement began.
pub fn sample(pid: u32, started: Instant) -> Sample {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count() as u64).unwrap_or(0);
    Sample {
        at_s: started.elapsed().as_secs(),
        rss_kib: status_field(&status, "VmRSS:"),
        fds,
        threads: status_field(&status, "Threads:"),
    }
}

/// The resident memory of process `pid`, in KiB (0 once it is gone).
pub fn rss_kib(pid: u32) -> u64 {
    status_field(&std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default(), "VmRSS:")
}

/// Samples a process's RSS every 5 ms until `stop`; the thread answers the highest (KiB).
pub fn sample_peak(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(rss_kib(pid));
            std::thread::sleep(Duration::from_millis(5));
        }
        peak.max(rss_kib(pid))
    })
}
