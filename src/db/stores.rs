//! Stores, admins, logins and the box-wide `meta` facts.

use crate::error::{AppError, AppResult, on_constraint};
use rusqlite::{Connection, OptionalExtension, params};

/// Failed logins in a row before an account is locked.
pub const LOCKOUT_AFTER: i64 = 10;
/// How long a locked account stays locked.
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;

pub fn create_store(conn: &Connection, id: &str, name: &str, timezone: &str, now: i64) -> AppResult<()> {
    conn.execute(
        "INSERT INTO stores (id, name, timezone, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, name, timezone, now],
    )
    .map_err(|e| on_constraint(e, "a store with this id already exists"))?;
    Ok(())
}

pub fn create_admin(conn: &Connection, store_id: &str, username: &str, hash: &str, now: i64) -> AppResult<i64> {
    conn.execute(
        "INSERT INTO admins (store_id, username, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![store_id, username, hash, now],
    )
    .map_err(|e| on_constraint(e, "this username exists already"))?;
    Ok(conn.last_insert_rowid())
}

pub fn store_exists(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    conn.query_row("SELECT 1 FROM stores WHERE id = ?1", [id], |_| Ok(())).optional().map(|o| o.is_some())
}

pub fn store_ids(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    conn.prepare("SELECT id FROM stores ORDER BY id")?.query_map([], |r| r.get(0))?.collect()
}

pub fn timezone(conn: &Connection, store_id: &str) -> AppResult<jiff::tz::TimeZone> {
    let name: String = conn
        .prepare_cached("SELECT timezone FROM stores WHERE id = ?1")?
        .query_row([store_id], |r| r.get(0))
        .optional()?
        .ok_or(AppError::NotFound("store"))?;
    Ok(jiff::tz::TimeZone::get(&name).unwrap_or(jiff::tz::TimeZone::UTC))
}

/// What a login needs to know about an account.
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub locked_until: Option<i64>,
    /// Table logins: the table number.
    pub number: i64,
}

pub fn admin_credentials(conn: &Connection, store_id: &str, username: &str) -> rusqlite::Result<Option<Credentials>> {
    conn.query_row(
        "SELECT id, password_hash, locked_until FROM admins WHERE store_id = ?1 AND username = ?2",
        params![store_id, username],
        |r| Ok(Credentials { id: r.get(0)?, password_hash: r.get(1)?, locked_until: r.get(2)?, number: 0 }),
    )
    .optional()
}

pub fn table_credentials(conn: &Connection, store_id: &str, number: i64) -> rusqlite::Result<Option<Credentials>> {
    conn.query_row(
        "SELECT id, password_hash, locked_until, number FROM tables
         WHERE store_id = ?1 AND number = ?2 AND deleted_at IS NULL",
        params![store_id, number],
        |r| Ok(Credentials { id: r.get(0)?, password_hash: r.get(1)?, locked_until: r.get(2)?, number: r.get(3)? }),
    )
    .optional()
}

/// Which account table a login concerns.
#[derive(Clone, Copy)]
pub enum Account {
    Admin,
    Table,
}

impl Account {
    fn table(self) -> &'static str {
        match self {
            Account::Admin => "admins",
            Account::Table => "tables",
        }
    }
}

/// Counts a failed login; locks the account after [`LOCKOUT_AFTER`] in a row.
pub fn login_failed(conn: &Connection, account: Account, id: i64, now: i64) -> rusqlite::Result<()> {
    let t = account.table();
    conn.execute(
        &format!(
            "UPDATE {t} SET failed_logins = failed_logins + 1,
                 locked_until = CASE WHEN failed_logins + 1 >= ?2 THEN ?3 ELSE locked_until END
             WHERE id = ?1"
        ),
        params![id, LOCKOUT_AFTER, now + LOCKOUT_MS],
    )?;
    conn.execute(
        &format!("UPDATE {t} SET failed_logins = 0 WHERE id = ?1 AND failed_logins >= ?2"),
        params![id, LOCKOUT_AFTER],
    )?;
    Ok(())
}

pub fn login_succeeded(conn: &Connection, account: Account, id: i64) -> rusqlite::Result<()> {
    conn.execute(
        &format!("UPDATE {} SET failed_logins = 0, locked_until = NULL WHERE id = ?1", account.table()),
        [id],
    )?;
    Ok(())
}

pub fn meta_get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()
}

pub fn meta_set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

pub fn store_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM stores", [], |r| r.get(0))
}
