//! The hub's PostgreSQL: a deadpool pool (seed §2.1: 5 kept, 20 at most, 30 s wait,
//! connections checked before use) and embedded migrations from `migrations/hub/`.

use crate::error::AppError;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::time::Duration;
use tokio_postgres::NoTls;

/// The migrations, in order. Never edit one once released; add a new file.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/hub/0001_init.sql")),
    ("0002_audit", include_str!("../../migrations/hub/0002_audit.sql")),
    ("0003_checkout", include_str!("../../migrations/hub/0003_checkout.sql")),
    ("0004_held_events", include_str!("../../migrations/hub/0004_held_events.sql")),
    ("0005_releases", include_str!("../../migrations/hub/0005_releases.sql")),
];

/// Schema version this binary writes.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

/// A pool of at most `max` connections to `url`.
pub fn pool(url: &str, max: usize) -> Result<Pool, String> {
    let config: tokio_postgres::Config = url.parse().map_err(|e| format!("bad database URL: {e}"))?;
    // Checked before each use (the seed's pool_pre_ping): a connection PostgreSQL closed is
    // replaced instead of failing a request.
    let mgr = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Verified });
    Pool::builder(mgr)
        .max_size(max.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(30)))
        .create_timeout(Some(Duration::from_secs(10)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|e| format!("cannot build the database pool: {e}"))
}

/// The schema version of the database (0 when empty).
async fn current(c: &tokio_postgres::Client) -> Result<i64, String> {
    let exists: bool = c
        .query_one("SELECT to_regclass('public.hub_meta') IS NOT NULL", &[])
        .await
        .map_err(|e| format!("cannot read the schema version: {e}"))?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let row = c
        .query_opt("SELECT value FROM hub_meta WHERE key = 'schema_version'", &[])
        .await
        .map_err(|e| format!("cannot read the schema version: {e}"))?;
    Ok(row.and_then(|r| r.get::<_, String>(0).parse().ok()).unwrap_or(0))
}

/// Brings the schema up to date in one transaction (a failure changes nothing); refuses a
/// database newer than this binary. Returns the version. Several hub processes starting at
/// once are serialised by an advisory lock.
pub async fn migrate(pool: &Pool) -> Result<i64, String> {
    let mut c = pool.get().await.map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
    let tx = c.transaction().await.map_err(|e| e.to_string())?;
    tx.execute("SELECT pg_advisory_xact_lock(7463201)", &[]).await.map_err(|e| e.to_string())?;
    let version = current(tx.client()).await?;
    let latest = latest();
    if version > latest {
        return Err(format!(
            "the hub database has schema version {version}, newer than this binary (tableorder {}) supports (schema version {latest}); install a newer tableorder",
            crate::version::get()
        ));
    }
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.batch_execute(sql)
            .await
            .map_err(|e| format!("hub migration {name} failed, database left at version {version}: {e}"))?;
        tracing::info!(migration = name, version = i + 1, "applied hub migration");
    }
    tx.execute(
        "INSERT INTO hub_meta (key, value) VALUES ('schema_version', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&latest.to_string()],
    )
    .await
    .map_err(|e| e.to_string())?;
    // The signing key every hub process shares for HQ logins.
    let key = hex(&crate::crypto::random_bytes::<48>());
    tx.execute("INSERT INTO hub_meta (key, value) VALUES ('jwt_key', $1) ON CONFLICT (key) DO NOTHING", &[&key])
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| format!("cannot commit the hub migration: {e}"))?;
    Ok(latest)
}

pub use crate::crypto::hex;

/// SHA-256 of a box token, as stored (tokens are 32 random bytes: a fast hash is enough).
pub fn token_hash(token: &str) -> String {
    crate::crypto::sha256_hex(token)
}

pub async fn jwt_key(pool: &Pool) -> Result<String, String> {
    let c = pool.get().await.map_err(|e| e.to_string())?;
    let row = c
        .query_one("SELECT value FROM hub_meta WHERE key = 'jwt_key'", &[])
        .await
        .map_err(|e| format!("the hub database is not migrated (tableorder hub migrate): {e}"))?;
    Ok(row.get(0))
}

/// A database error is the client's to retry (503); the detail goes to the log only.
impl From<tokio_postgres::Error> for AppError {
    fn from(e: tokio_postgres::Error) -> Self {
        tracing::error!(error = %e, "database error");
        AppError::Unavailable("the hub database could not answer, try again".into())
    }
}

impl From<deadpool_postgres::PoolError> for AppError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        tracing::error!(error = %e, "database pool");
        AppError::Unavailable("the hub database is not reachable, try again".into())
    }
}
