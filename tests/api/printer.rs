//! A fake network printer: a TCP listener on 127.0.0.1 that records the bytes of every
//! connection, answers ESC/POS status requests (`DLE EOT n`) as told, can be switched off
//! (connections refused), or can drop a connection in the middle of a ticket.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tableorder::kitchen::escpos::{self, Encoding, Printed};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// Prints, and answers status requests: all fine.
    Normal,
    /// Answers status requests with these bytes (DLE EOT 2, DLE EOT 4) and prints nothing.
    Status { offline_cause: u8, paper: u8 },
    /// Closes the connection once this many bytes of a ticket arrived (then back to Normal).
    DropAfter(usize),
    /// Never answers status requests (a printer without real-time status).
    Silent,
}

struct Inner {
    mode: Mode,
    /// Bytes received, one entry per connection.
    conns: Vec<Vec<u8>>,
}

pub struct FakePrinter {
    pub port: u16,
    inner: Arc<Mutex<Inner>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl FakePrinter {
    pub async fn start() -> FakePrinter {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let p = FakePrinter {
            port,
            inner: Arc::new(Mutex::new(Inner { mode: Mode::Normal, conns: Vec::new() })),
            task: Mutex::new(None),
        };
        p.serve(listener);
        p
    }

    fn serve(&self, listener: TcpListener) {
        let inner = self.inner.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(connection(sock, inner.clone()));
            }
        });
        *self.task.lock().unwrap() = Some(task);
    }

    /// Switched off: nothing listens on its port, connections are refused.
    pub fn off(&self) {
        if let Some(t) = self.task.lock().unwrap().take() {
            t.abort();
        }
    }

    /// Switched on again, on the same port.
    pub async fn on(&self) {
        self.off();
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        self.serve(listener);
    }

    pub fn set_mode(&self, mode: Mode) {
        self.inner.lock().unwrap().mode = mode;
    }

    /// Every connection's bytes.
    pub fn connections(&self) -> Vec<Vec<u8>> {
        self.inner.lock().unwrap().conns.clone()
    }

    /// The tickets (connections that carried a print job), decoded.
    pub fn printed(&self, enc: Encoding) -> Vec<Printed> {
        self.connections()
            .iter()
            .filter(|c| c.windows(2).any(|w| w == [escpos::ESC, b'@']))
            .map(|c| escpos::decode(c, enc))
            .collect()
    }

    /// Tickets that came through whole (with their cut).
    pub fn complete(&self, enc: Encoding) -> Vec<Printed> {
        self.printed(enc).into_iter().filter(|p| p.cuts > 0).collect()
    }

    /// Waits until `n` whole tickets were printed (at most 20 s).
    pub async fn wait_for(&self, n: usize, enc: Encoding) -> Vec<Printed> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let done = self.complete(enc);
            if done.len() >= n {
                return done;
            }
            assert!(tokio::time::Instant::now() < deadline, "{} of {n} tickets printed", done.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for FakePrinter {
    fn drop(&mut self) {
        self.off();
    }
}

async fn connection(mut sock: tokio::net::TcpStream, inner: Arc<Mutex<Inner>>) {
    let idx = {
        let mut g = inner.lock().unwrap();
        g.conns.push(Vec::new());
        g.conns.len() - 1
    };
    let mut buf = [0u8; 4096];
    // Bytes of ticket (not status requests) seen on this connection.
    let mut ticket_bytes = 0usize;
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        let mode = inner.lock().unwrap().mode;
        let mut answer = Vec::new();
        let mut i = 0;
        let mut drop_now = false;
        while i < pending.len() {
            if pending[i] == escpos::DLE && pending.get(i + 1) == Some(&escpos::EOT) {
                let Some(&q) = pending.get(i + 2) else { break };
                inner.lock().unwrap().conns[idx].extend_from_slice(&pending[i..i + 3]);
                match mode {
                    Mode::Silent => {}
                    Mode::Status { offline_cause, paper } => {
                        answer.push(match q {
                            2 => offline_cause,
                            4 => paper,
                            _ => 0x1a,
                        });
                    }
                    _ => answer.push(0x12),
                }
                i += 3;
                continue;
            }
            if matches!(mode, Mode::Status { .. }) {
                // A printer that cannot print takes nothing.
                i += 1;
                continue;
            }
            inner.lock().unwrap().conns[idx].push(pending[i]);
            ticket_bytes += 1;
            i += 1;
            if let Mode::DropAfter(k) = mode
                && ticket_bytes >= k
            {
                drop_now = true;
                break;
            }
        }
        pending.drain(..i);
        if drop_now {
            inner.lock().unwrap().mode = Mode::Normal;
            // Gone mid-ticket: close without a word.
            let _ = socket2::SockRef::from(&sock).set_linger(Some(Duration::ZERO));
            return;
        }
        if !answer.is_empty() && sock.write_all(&answer).await.is_err() {
            return;
        }
    }
}
