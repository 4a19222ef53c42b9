//! SQLite storage: a pool of read connections, one group-committing writer,
//! migrations, and one file of plain SQL per aggregate.
//!
//! Reads run on r2d2 connections inside `spawn_blocking`. Every write goes to the
//! [`writer::Writer`] thread, which owns the only writing connection: it runs each
//! job inside its own SAVEPOINT of a shared `BEGIN IMMEDIATE` transaction and commits
//! the batch with one fsync (`synchronous=FULL`). One writer means event ids commit in
//! increasing order, which is what makes SSE resume gapless.

pub mod audit;
pub mod backup;
pub mod calls;
pub mod check;
pub mod days;
pub mod events;
pub mod flows;
pub mod kitchen;
pub mod menu;
pub mod migrate;
pub mod options;
pub mod orders;
pub mod setup_codes;
pub mod sort;
pub mod staff;
pub mod stores;
pub mod tables;
pub mod uplink;
pub mod writer;

use crate::config::PoolConfig;
use crate::error::{AppError, AppResult};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub type Pool = r2d2::Pool<SqliteConnectionManager>;

/// The database file inside a data directory.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tableorder.db")
}

/// PRAGMAs every connection gets. WAL is set once at open ([`open_and_migrate`]).
pub fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -2000;",
    )
}

/// Opens a plain connection with the per-connection settings.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    configure(&conn)?;
    Ok(conn)
}

/// Opens (creating when absent) the database, sets WAL, backs up and migrates.
pub fn open_and_migrate(data_dir: &Path) -> Result<Connection, String> {
    crate::durable::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", data_dir.display()))?;
    let path = db_path(data_dir);
    // Every store's orders and staff password hashes: readable by the box's user only,
    // however the process was started (SQLite gives its WAL and journal the same mode).
    if !path.exists() {
        crate::durable::create_private(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        crate::durable::sync_dir(data_dir).map_err(|e| format!("cannot sync {}: {e}", data_dir.display()))?;
    }
    let removed = backup::clean(data_dir);
    if removed > 0 {
        tracing::warn!(files = removed, "removed unfinished backups left by an interrupted run");
    }
    let mut conn = open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| format!("cannot set WAL mode: {e}"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("database refused WAL mode (got {mode})"));
    }
    migrate::run(&mut conn, data_dir)?;
    Ok(conn)
}

/// Builds the read pool (seed §2.1: 5 idle, 20 at most, 30 s checkout, 30 min lifetime,
/// connections tested on checkout).
pub fn pool(data_dir: &Path, cfg: &PoolConfig) -> Result<Pool, String> {
    let manager = SqliteConnectionManager::file(db_path(data_dir)).with_init(|c| configure(c));
    r2d2::Pool::builder()
        .max_size(cfg.max_size)
        .min_idle(Some(cfg.min_idle))
        .connection_timeout(Duration::from_secs(cfg.timeout_secs.max(1)))
        .max_lifetime(if cfg.max_lifetime_secs == 0 { None } else { Some(Duration::from_secs(cfg.max_lifetime_secs)) })
        .test_on_check_out(true)
        .build(manager)
        .map_err(|e| format!("cannot build the database pool: {e}"))
}

/// Runs blocking work off the async runtime; a panic inside is re-raised here.
pub async fn blocking<T, F>(f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> AppResult<T> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// Runs `f` with a pooled read connection, off the runtime.
pub async fn read<T, F>(pool: &Pool, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> AppResult<T> + Send + 'static,
{
    let pool = pool.clone();
    blocking(move || {
        let conn = pool.get()?;
        f(&conn)
    })
    .await
}

/// Whether the database answers a query (health check and watchdog).
pub async fn ping(pool: &Pool) -> bool {
    read(pool, |c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?)).await.is_ok()
}

/// Milliseconds since the Unix epoch, as stored.
pub type Millis = i64;

/// Formats stored milliseconds as an RFC 3339 UTC timestamp.
pub fn rfc3339(ms: Millis) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| format!("{t:.3}")).unwrap_or_default()
}
