//! Embedded, versioned migrations tracked in `PRAGMA user_version`.
//!
//! All pending migrations run in one transaction, so a failure leaves the database as
//! it was. Before migrating a database that already holds data, a backup is written to
//! `DATA_DIR/backups/`.
//!
//! The database records the oldest schema a binary must know to open it (`meta` key
//! `schema_floor`):
//! the last migration that is not additive. A migration is additive when its first line
//! is `-- additive` (new tables, new columns with defaults: what an older binary does not
//! know it does not touch, and what it writes stays valid). A binary older than the
//! database's schema runs on it as long as it knows the floor, which is what lets a box go
//! back to its previous release after an update without losing what the new one wrote. A
//! database whose floor is newer than this binary is refused.

use rusqlite::Connection;
use std::path::Path;

/// The migrations, in order. Never edit one once released; add a new file.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/0001_init.sql")),
    ("0002_orders_session_totals", include_str!("../../migrations/0002_orders_session_totals.sql")),
    ("0003_tokens_and_owner", include_str!("../../migrations/0003_tokens_and_owner.sql")),
    ("0004_menu_options", include_str!("../../migrations/0004_menu_options.sql")),
    ("0005_kitchen", include_str!("../../migrations/0005_kitchen.sql")),
    ("0006_cards_and_setup_codes", include_str!("../../migrations/0006_cards_and_setup_codes.sql")),
    ("0007_staff_roles", include_str!("../../migrations/0007_staff_roles.sql")),
    ("0008_checkout", include_str!("../../migrations/0008_checkout.sql")),
];

/// The first line of a migration that only adds (see the module's notes).
pub const ADDITIVE: &str = "-- additive";

/// The oldest schema a binary must know to open a database migrated through `migrations`.
pub fn floor_of(migrations: &[(&str, &str)]) -> i64 {
    migrations.iter().rposition(|(_, sql)| !sql.trim_start().starts_with(ADDITIVE)).map(|i| i as i64 + 1).unwrap_or(0)
}

/// The oldest schema a binary must know to open this database (its own version when it
/// does not say).
pub fn floor(conn: &Connection) -> rusqlite::Result<i64> {
    let said: Option<i64> = conn
        .query_row("SELECT value FROM meta WHERE key = 'schema_floor'", [], |r| r.get::<_, String>(0))
        .map(|v| v.parse().ok())
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            rusqlite::Error::SqliteFailure(_, Some(m)) if m.contains("no such table") => Ok(None),
            other => Err(other),
        })?;
    match said {
        Some(f) => Ok(f),
        None => current(conn),
    }
}

/// Schema version this binary writes.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

pub fn current(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Brings the schema up to date. Returns the number of migrations applied.
pub fn run(conn: &mut Connection, data_dir: &Path) -> Result<usize, String> {
    apply(conn, data_dir, MIGRATIONS)
}

pub fn apply(conn: &mut Connection, data_dir: &Path, migrations: &[(&str, &str)]) -> Result<usize, String> {
    let version = current(conn).map_err(|e| format!("cannot read schema version: {e}"))?;
    let latest = migrations.len() as i64;
    if version > latest {
        let floor = floor(conn).map_err(|e| format!("cannot read the schema floor: {e}"))?;
        if floor <= latest {
            tracing::info!(
                schema = version,
                floor,
                known = latest,
                "the database has a newer schema whose changes since this binary's are additive; running on it"
            );
            return Ok(0);
        }
        return Err(format!(
            "the database has schema version {version}, newer than this binary (tableorder {}) supports (schema version {latest}); install a newer tableorder or restore a backup",
            crate::version::get()
        ));
    }
    if version == latest {
        return Ok(0);
    }
    if version > 0 {
        let path = crate::db::backup::new_path(data_dir, &format!("pre-migrate-v{version}-to-v{latest}"));
        crate::db::backup::vacuum_into(conn, &path)
            .map_err(|e| format!("backup before migration failed, nothing changed: {e}"))?;
        tracing::info!(backup = %path.display(), "backed up the database before migrating");
    }
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| format!("cannot start migration: {e}"))?;
    for (i, (name, sql)) in migrations.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql)
            .map_err(|e| format!("migration {name} failed, database left at version {version}: {e}"))?;
        tracing::info!(migration = name, version = i + 1, "applied migration");
    }
    tx.pragma_update(None, "user_version", latest).map_err(|e| format!("cannot record schema version: {e}"))?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_floor', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [floor_of(migrations).to_string()],
    )
    .map_err(|e| format!("cannot record the schema floor: {e}"))?;
    tx.commit().map_err(|e| format!("cannot commit migration: {e}"))?;
    Ok((latest - version) as usize)
}
