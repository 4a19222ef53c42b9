//! The single writer: group commit over one connection.
//!
//! Handlers send a job (a closure) and await its answer. The writer thread takes the
//! first job waiting, opens `BEGIN IMMEDIATE`, runs it inside a SAVEPOINT, then takes
//! every further job already waiting (up to [`MAX_BATCH`]), each in its own SAVEPOINT,
//! and commits once. A job that fails is rolled back to its savepoint alone; the others
//! commit. Only after the COMMIT returns are the jobs' events handed to the hub and
//! their answers sent, so nobody hears of a change that could still be lost.

use crate::db::events::{NewEvent, StoredEvent};
use crate::error::{AppError, AppResult};
use rusqlite::Connection;
use std::sync::mpsc as std_mpsc;
use tokio::sync::oneshot;

/// Jobs committed together at most.
pub const MAX_BATCH: usize = 256;

/// What a job sees: the connection (inside the transaction) and a place to record events.
pub struct WriteCtx<'c> {
    pub conn: &'c Connection,
    pub now_ms: i64,
    events: Vec<NewEvent>,
}

impl WriteCtx<'_> {
    /// Inserts an event row in this transaction; it is published after the commit.
    pub fn emit(&mut self, ev: NewEvent) -> AppResult<()> {
        self.events.push(ev);
        Ok(())
    }
}

trait Job: Send {
    /// Runs inside its savepoint; returns the events to publish when it succeeded.
    fn run(&mut self, conn: &Connection, now_ms: i64) -> Option<Vec<NewEvent>>;
    /// Delivers the answer once the batch's fate is known.
    fn finish(self: Box<Self>, committed: bool);
}

struct FnJob<T, F> {
    f: Option<F>,
    result: Option<AppResult<T>>,
    tx: Option<oneshot::Sender<AppResult<T>>>,
}

impl<T, F> Job for FnJob<T, F>
where
    T: Send,
    F: FnOnce(&mut WriteCtx) -> AppResult<T> + Send,
{
    fn run(&mut self, conn: &Connection, now_ms: i64) -> Option<Vec<NewEvent>> {
        let f = self.f.take().expect("job runs once");
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            self.result = Some(Err(e.into()));
            return None;
        }
        let mut ctx = WriteCtx { conn, now_ms, events: Vec::new() };
        // A panicking job must not take the writer down with it.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut ctx)))
            .unwrap_or_else(|_| Err(AppError::Internal("write job panicked".into())));
        let events = std::mem::take(&mut ctx.events);
        match out {
            Ok(v) => match conn.execute_batch("RELEASE job") {
                Ok(()) => {
                    self.result = Some(Ok(v));
                    Some(events)
                }
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                    self.result = Some(Err(e.into()));
                    None
                }
            },
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                self.result = Some(Err(e));
                None
            }
        }
    }

    fn finish(mut self: Box<Self>, committed: bool) {
        let result = match self.result.take() {
            Some(Ok(_)) if !committed => Err(AppError::Unavailable("the database could not commit, try again".into())),
            Some(r) => r,
            None => Err(AppError::Internal("job did not run".into())),
        };
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(result);
        }
    }
}

/// Called after each commit with the events it made durable, in id order.
pub type Publish = Box<dyn Fn(Vec<StoredEvent>) + Send>;
/// Tells the writer what time it is (injectable for tests).
pub type NowFn = Box<dyn Fn() -> i64 + Send>;

enum Msg {
    Job(Box<dyn Job>),
    /// Checkpoint the WAL and stop.
    Stop(oneshot::Sender<()>),
}

/// A handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: std_mpsc::Sender<Msg>,
}

impl Writer {
    /// Starts the writer thread that owns `conn`. It stops when [`Writer::stop`] is called
    /// or every handle is dropped.
    pub fn start(conn: Connection, now: NowFn, publish: Publish) -> Writer {
        let (tx, rx) = std_mpsc::channel::<Msg>();
        std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || writer_loop(conn, rx, now, publish))
            .expect("spawn writer thread");
        Writer { tx }
    }

    /// Runs `f` in a write transaction; resolves after it is durably committed.
    pub async fn write<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteCtx) -> AppResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job = FnJob { f: Some(f), result: None, tx: Some(tx) };
        self.tx
            .send(Msg::Job(Box::new(job)))
            .map_err(|_| AppError::Unavailable("the server is shutting down".into()))?;
        rx.await.map_err(|_| AppError::Unavailable("the server is shutting down".into()))?
    }

    /// Finishes queued jobs, checkpoints the WAL and stops the thread.
    pub async fn stop(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Stop(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

fn writer_loop(conn: Connection, rx: std_mpsc::Receiver<Msg>, now: NowFn, publish: Publish) {
    let mut stop: Option<oneshot::Sender<()>> = None;
    while stop.is_none() {
        let Ok(first) = rx.recv() else { break };
        let mut batch: Vec<Box<dyn Job>> = Vec::new();
        match first {
            Msg::Job(j) => batch.push(j),
            Msg::Stop(s) => {
                stop = Some(s);
                break;
            }
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Job(j)) => batch.push(j),
                Ok(Msg::Stop(s)) => {
                    stop = Some(s);
                    break;
                }
                Err(_) => break,
            }
        }
        run_batch(&conn, batch, &now, &publish);
    }
    if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
        tracing::warn!(error = %e, "WAL checkpoint at shutdown failed");
    }
    drop(conn);
    if let Some(s) = stop {
        let _ = s.send(());
    }
}

fn run_batch(conn: &Connection, batch: Vec<Box<dyn Job>>, now: &NowFn, publish: &Publish) {
    let mut batch = batch;
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        tracing::error!(error = %e, "cannot begin a write transaction");
        for job in batch {
            job.finish(false);
        }
        return;
    }
    let now_ms = now();
    let mut pending: Vec<NewEvent> = Vec::new();
    let mut stored: Vec<StoredEvent> = Vec::new();
    let mut insert_failed = false;
    for job in batch.iter_mut() {
        if let Some(events) = job.run(conn, now_ms) {
            pending.extend(events);
        }
    }
    for ev in pending {
        match crate::db::events::insert(conn, ev, now_ms) {
            Ok(s) => stored.push(s),
            Err(e) => {
                tracing::error!(error = %e, "cannot record an event");
                insert_failed = true;
                break;
            }
        }
    }
    let committed = !insert_failed && conn.execute_batch("COMMIT").is_ok();
    if !committed {
        let _ = conn.execute_batch("ROLLBACK");
        stored.clear();
    }
    if !stored.is_empty() {
        publish(stored);
    }
    for job in batch {
        job.finish(committed);
    }
}
