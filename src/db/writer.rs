//! The single writer: group commit over one connection.
//!
//! Handlers send a job (a closure) and await its answer. The writer thread takes the
//! first job waiting, opens `BEGIN IMMEDIATE`, runs it inside a SAVEPOINT, then takes
//! every further job already waiting (up to [`MAX_BATCH`]), each in its own SAVEPOINT,
//! and commits once. A job's events are inserted inside its own savepoint, so a job that
//! fails is rolled back to its savepoint alone, events and all; the others commit.
//!
//! Some errors (a full disk, an I/O error) make SQLite roll back the *whole* transaction,
//! not only the failing statement. The writer checks `is_autocommit()` after every job:
//! once the transaction is gone, nothing more runs in that batch (it would commit job by
//! job outside any transaction) and every job of the batch is answered 503, because none
//! of them is on disk. Only after the COMMIT returns are the jobs' events handed to the
//! hub and their answers sent, so an answer always matches what is on disk and nobody
//! hears of a change that could still be lost.
//!
//! Time: the writer hands jobs a clock that never goes back (the newest time it has
//! written, kept across restarts through the events table), so a system clock that steps
//! back (a box without a real-time clock) cannot break ordering checks.

use crate::db::events::{NewEvent, StoredEvent};
use crate::error::{AppError, AppResult};
use rusqlite::Connection;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};
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
    /// Records an event; it is inserted in this job's savepoint and published after the commit.
    pub fn emit(&mut self, ev: NewEvent) -> AppResult<()> {
        self.events.push(ev);
        Ok(())
    }
}

/// How a job's run ended.
enum Ran {
    /// Its changes and events are in the transaction (not yet committed).
    Done(Vec<StoredEvent>),
    /// It failed and was rolled back to its savepoint; the transaction goes on.
    Failed,
    /// The transaction can no longer be trusted: roll back the whole batch.
    Poisoned,
}

trait Job: Send {
    fn run(&mut self, conn: &Connection, now_ms: i64) -> Ran;
    /// Delivers the answer once the batch's fate is known.
    fn finish(self: Box<Self>, committed: bool);
}

struct FnJob<T, F> {
    f: Option<F>,
    result: Option<AppResult<T>>,
    tx: Option<oneshot::Sender<AppResult<T>>>,
}

fn not_saved() -> AppError {
    AppError::Unavailable("the change could not be saved, try again".into())
}

impl<T, F> Job for FnJob<T, F>
where
    T: Send,
    F: FnOnce(&mut WriteCtx) -> AppResult<T> + Send,
{
    fn run(&mut self, conn: &Connection, now_ms: i64) -> Ran {
        let f = self.f.take().expect("job runs once");
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            self.result = Some(Err(e.into()));
            return Ran::Poisoned;
        }
        let mut ctx = WriteCtx { conn, now_ms, events: Vec::new() };
        // A panicking job must not take the writer down with it.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut ctx)))
            .unwrap_or_else(|_| Err(AppError::Internal("write job panicked".into())));
        let events = std::mem::take(&mut ctx.events);
        // The job's events go into its own savepoint: if one cannot be written, the job
        // is undone with it.
        let out = out.and_then(|v| {
            let mut stored = Vec::with_capacity(events.len());
            for ev in events {
                stored.push(crate::db::events::insert(conn, ev, now_ms)?);
            }
            conn.execute_batch("RELEASE job")?;
            Ok((v, stored))
        });
        match out {
            Ok((v, stored)) => {
                self.result = Some(Ok(v));
                Ran::Done(stored)
            }
            Err(e) => {
                self.result = Some(Err(e));
                // A full disk or an I/O error may have rolled back the whole transaction
                // already; then there is no savepoint to go back to.
                if conn.is_autocommit() || conn.execute_batch("ROLLBACK TO job; RELEASE job").is_err() {
                    return Ran::Poisoned;
                }
                Ran::Failed
            }
        }
    }

    fn finish(mut self: Box<Self>, committed: bool) {
        let result = match self.result.take() {
            Some(Ok(_)) if !committed => Err(not_saved()),
            // A job's own refusal (409, 422, …) stands whatever became of the batch.
            Some(r) => r,
            // Never ran: the batch was abandoned before its turn.
            None => Err(not_saved()),
        };
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(result);
        }
    }
}

/// Called after each commit with the events it made durable, in id order.
pub type Publish = Box<dyn Fn(Vec<StoredEvent>) + Send>;
/// Called on the writer thread after a batch was rolled back: whatever a job remembered
/// from inside that transaction (a cache of what it read) may never have been.
pub type Rollback = Box<dyn Fn() + Send>;

/// What the writer calls besides its jobs.
pub struct Hooks {
    pub publish: Publish,
    pub rolled_back: Rollback,
}

impl Hooks {
    /// Publishing only.
    pub fn publish(publish: Publish) -> Hooks {
        Hooks { publish, rolled_back: Box::new(|| {}) }
    }
}
/// Tells the writer what time it is (injectable for tests).
pub type NowFn = Box<dyn Fn() -> i64 + Send>;

enum Msg {
    Job(Box<dyn Job>),
    /// Liveness check: answered by the thread between batches.
    Ping(oneshot::Sender<()>),
    /// Checkpoint the WAL and stop.
    Stop(oneshot::Sender<()>),
}

/// Figures the writer keeps for `/metrics`.
#[derive(Default)]
pub struct WriterStats {
    pub batches: AtomicU64,
    pub jobs: AtomicU64,
    pub failed_commits: AtomicU64,
    /// Observers of batch sizes and commit durations (set once at start).
    pub observe: std::sync::OnceLock<Box<dyn Fn(usize, Duration) + Send + Sync>>,
}

/// A handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: std_mpsc::Sender<Msg>,
    pub stats: Arc<WriterStats>,
}

impl Writer {
    /// Starts the writer thread that owns `conn`. It stops when [`Writer::stop`] is called
    /// or every handle is dropped.
    pub fn start(conn: Connection, now: NowFn, hooks: Hooks) -> Writer {
        let (tx, rx) = std_mpsc::channel::<Msg>();
        let stats = Arc::new(WriterStats::default());
        let st = stats.clone();
        std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || writer_loop(conn, rx, now, hooks, st))
            .expect("spawn writer thread");
        Writer { tx, stats }
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

    /// Queues `f` now and returns without waiting for it: for bookkeeping whose outcome
    /// the caller does not report (a failed-login count). Failures are logged.
    pub fn submit<F>(&self, what: &'static str, f: F)
    where
        F: FnOnce(&mut WriteCtx) -> AppResult<()> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job = FnJob { f: Some(f), result: None, tx: Some(tx) };
        if self.tx.send(Msg::Job(Box::new(job))).is_ok() {
            tokio::spawn(async move {
                if let Ok(Err(e)) = rx.await {
                    tracing::warn!(error = %e, "{what} failed");
                }
            });
        }
    }

    /// True when the writer thread answers within `limit` (it is alive and not stuck).
    pub async fn ping(&self, limit: Duration) -> bool {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Ping(tx)).is_err() {
            return false;
        }
        matches!(tokio::time::timeout(limit, rx).await, Ok(Ok(())))
    }

    /// Finishes queued jobs, checkpoints the WAL and stops the thread.
    pub async fn stop(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Stop(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

/// The newest time already written, so that time never goes back across restarts.
fn high_water(conn: &Connection) -> i64 {
    conn.query_row("SELECT coalesce(max(created_at), 0) FROM events", [], |r| r.get(0)).unwrap_or(0)
}

fn writer_loop(conn: Connection, rx: std_mpsc::Receiver<Msg>, now: NowFn, hooks: Hooks, stats: Arc<WriterStats>) {
    let mut stop: Option<oneshot::Sender<()>> = None;
    let mut last_ms = high_water(&conn);
    while stop.is_none() {
        let Ok(first) = rx.recv() else { break };
        let mut batch: Vec<Box<dyn Job>> = Vec::new();
        match first {
            Msg::Job(j) => batch.push(j),
            Msg::Ping(p) => {
                let _ = p.send(());
                continue;
            }
            Msg::Stop(s) => {
                stop = Some(s);
                break;
            }
        }
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Job(j)) => batch.push(j),
                Ok(Msg::Ping(p)) => {
                    let _ = p.send(());
                }
                Ok(Msg::Stop(s)) => {
                    stop = Some(s);
                    break;
                }
                Err(_) => break,
            }
        }
        last_ms = last_ms.max(now());
        run_batch(&conn, batch, last_ms, &hooks, &stats);
    }
    if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
        tracing::warn!(error = %e, "WAL checkpoint at shutdown failed");
    }
    drop(conn);
    if let Some(s) = stop {
        let _ = s.send(());
    }
}

fn run_batch(conn: &Connection, mut batch: Vec<Box<dyn Job>>, now_ms: i64, hooks: &Hooks, stats: &WriterStats) {
    let started = Instant::now();
    stats.batches.fetch_add(1, Ordering::Relaxed);
    stats.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        tracing::error!(error = %e, "cannot begin a write transaction");
        stats.failed_commits.fetch_add(1, Ordering::Relaxed);
        for job in batch {
            job.finish(false);
        }
        return;
    }
    let mut stored: Vec<StoredEvent> = Vec::new();
    let mut poisoned = false;
    for job in batch.iter_mut() {
        match job.run(conn, now_ms) {
            Ran::Done(events) => stored.extend(events),
            Ran::Failed => {}
            Ran::Poisoned => {
                poisoned = true;
                break;
            }
        }
        if conn.is_autocommit() {
            // Rolled back behind our back: whatever ran is gone.
            poisoned = true;
            break;
        }
    }
    let committed = !poisoned && {
        match conn.execute_batch("COMMIT") {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "commit failed; the batch is rolled back");
                false
            }
        }
    };
    if !committed {
        if poisoned {
            tracing::error!("a write failed in a way that undid its transaction; the batch is rolled back");
        }
        stats.failed_commits.fetch_add(1, Ordering::Relaxed);
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        stored.clear();
        (hooks.rolled_back)();
    }
    if let Some(obs) = stats.observe.get() {
        obs(batch.len(), started.elapsed());
    }
    if !stored.is_empty() {
        (hooks.publish)(stored);
    }
    for job in batch {
        job.finish(committed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::events::{EventType, NewEvent};
    use std::sync::Mutex;

    fn writer(dir: &std::path::Path) -> (Writer, Arc<Mutex<Vec<i64>>>) {
        let conn = crate::db::open_and_migrate(dir).unwrap();
        conn.execute("INSERT INTO stores (id, name, created_at) VALUES ('s', 'S', 0)", []).unwrap();
        let published = Arc::new(Mutex::new(Vec::new()));
        let p = published.clone();
        let w = Writer::start(
            conn,
            Box::new(|| 1_000),
            Hooks::publish(Box::new(move |evs| p.lock().unwrap().extend(evs.iter().map(|e| e.id)))),
        );
        (w, published)
    }

    fn add_category(ctx: &mut WriteCtx, name: &str) -> AppResult<()> {
        ctx.conn.execute("INSERT INTO categories (store_id, name, created_at) VALUES ('s', ?1, 0)", [name])?;
        ctx.emit(NewEvent::new(
            "s",
            None,
            EventType::MenuChanged,
            crate::wire::MenuChanged { change: "test".into(), version: 1, detail: Default::default() },
        ))
    }

    fn categories(dir: &std::path::Path) -> Vec<String> {
        let c = crate::db::open(&crate::db::db_path(dir)).unwrap();
        let mut s = c.prepare("SELECT name FROM categories ORDER BY name").unwrap();
        s.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_batch_whose_transaction_is_undone_mid_way_commits_nothing_and_answers_every_job_503() {
        let dir = tempfile::tempdir().unwrap();
        let (w, published) = writer(dir.path());
        // A first job holds the writer so that the next three wait and form one batch.
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let blocker = tokio::spawn({
            let w = w.clone();
            async move {
                w.write(move |ctx| {
                    go_rx.recv().unwrap();
                    add_category(ctx, "before")
                })
                .await
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let a = tokio::spawn({
            let w = w.clone();
            async move { w.write(|ctx| add_category(ctx, "a")).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // What SQLite does on a full disk or an I/O error: the whole transaction is gone.
        let b = tokio::spawn({
            let w = w.clone();
            async move {
                w.write(|ctx| {
                    ctx.conn.execute_batch("ROLLBACK")?;
                    Err::<(), _>(AppError::Unavailable("disk full".into()))
                })
                .await
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let c = tokio::spawn({
            let w = w.clone();
            async move { w.write(|ctx| add_category(ctx, "c")).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        go_tx.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        let (a, b, c) = (a.await.unwrap(), b.await.unwrap(), c.await.unwrap());
        assert!(matches!(a, Err(AppError::Unavailable(_))), "{a:?}");
        assert!(b.is_err());
        assert!(matches!(c, Err(AppError::Unavailable(_))), "{c:?}");
        // Only the job of the earlier batch is on disk, and only its event was published.
        assert_eq!(categories(dir.path()), vec!["before".to_string()]);
        assert_eq!(published.lock().unwrap().len(), 1);
        // The writer goes on normally afterwards.
        w.write(|ctx| add_category(ctx, "after")).await.unwrap();
        assert_eq!(categories(dir.path()), vec!["after".to_string(), "before".to_string()]);
        assert_eq!(published.lock().unwrap().len(), 2);
        w.stop().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_job_that_fails_alone_is_undone_with_its_events_and_the_others_commit() {
        let dir = tempfile::tempdir().unwrap();
        let (w, published) = writer(dir.path());
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let blocker = tokio::spawn({
            let w = w.clone();
            async move {
                w.write(move |_| {
                    go_rx.recv().unwrap();
                    Ok(())
                })
                .await
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut jobs = Vec::new();
        for name in ["x", "fails", "y"] {
            let w = w.clone();
            jobs.push(tokio::spawn(async move {
                w.write(move |ctx| {
                    add_category(ctx, name)?;
                    if name == "fails" { Err(AppError::Conflict("no".into())) } else { Ok(()) }
                })
                .await
            }));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        go_tx.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        let results: Vec<_> = futures_util::future::join_all(jobs).await.into_iter().map(|r| r.unwrap()).collect();
        assert!(results[0].is_ok() && results[2].is_ok());
        assert!(matches!(results[1], Err(AppError::Conflict(_))));
        assert_eq!(categories(dir.path()), vec!["x".to_string(), "y".to_string()]);
        assert_eq!(published.lock().unwrap().len(), 2);
        w.stop().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_stuck_writer_fails_its_ping_and_time_never_goes_back() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open_and_migrate(dir.path()).unwrap();
        conn.execute("INSERT INTO stores (id, name, created_at) VALUES ('s', 'S', 0)", []).unwrap();
        let now = Arc::new(std::sync::atomic::AtomicI64::new(5_000));
        let n = now.clone();
        let w = Writer::start(conn, Box::new(move || n.load(Ordering::SeqCst)), Hooks::publish(Box::new(|_| {})));
        assert!(w.ping(Duration::from_secs(1)).await);
        let t1 = w.write(|ctx| Ok(ctx.now_ms)).await.unwrap();
        // The clock steps back an hour: jobs still see the newest time written.
        now.store(5_000 - 3_600_000, Ordering::SeqCst);
        let t2 = w.write(|ctx| Ok(ctx.now_ms)).await.unwrap();
        assert!(t2 >= t1);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let stuck = tokio::spawn({
            let w = w.clone();
            async move { w.write(move |_| Ok(rx.recv_timeout(Duration::from_secs(10)).ok())).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!w.ping(Duration::from_millis(300)).await);
        tx.send(()).unwrap();
        stuck.await.unwrap().unwrap();
        assert!(w.ping(Duration::from_secs(1)).await);
        w.stop().await;
    }
}
