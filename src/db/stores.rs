//! Stores, admins, logins and the box-wide `meta` facts.

use crate::domain::account::{Account as AuthAccount, UserType};
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
    // The first store's admins own the box.
    let owner = store_count(conn)? <= 1;
    conn.execute(
        "INSERT INTO admins (store_id, username, password_hash, created_at, box_owner) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![store_id, username, hash, now, owner],
    )
    .map_err(|e| on_constraint(e, "this username exists already"))?;
    let id = conn.last_insert_rowid();
    accounts_changed(conn)?;
    Ok(id)
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

/// The store's display name (printed on tickets and on the setup QR sheet).
pub fn name(conn: &Connection, store_id: &str) -> AppResult<String> {
    conn.prepare_cached("SELECT name FROM stores WHERE id = ?1")?
        .query_row([store_id], |r| r.get(0))
        .optional()?
        .ok_or(AppError::NotFound("store"))
}

/// The store's timezone name as stored (an IANA name such as `Asia/Seoul`).
pub fn timezone_name(conn: &Connection, store_id: &str) -> AppResult<String> {
    conn.prepare_cached("SELECT timezone FROM stores WHERE id = ?1")?
        .query_row([store_id], |r| r.get(0))
        .optional()?
        .ok_or(AppError::NotFound("store"))
}

/// What a login needs to know about an account.
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub token_gen: i64,
    /// Table logins: the table number.
    pub number: i64,
    /// Staff logins: the role and the name shown.
    pub role: Option<crate::domain::Role>,
    pub name: String,
}

/// An active staff member's credentials (a deactivated one logs in to nothing).
pub fn admin_credentials(conn: &Connection, store_id: &str, username: &str) -> rusqlite::Result<Option<Credentials>> {
    conn.query_row(
        "SELECT id, password_hash, token_gen, role,
                CASE WHEN display_name = '' THEN username ELSE display_name END
         FROM admins WHERE store_id = ?1 AND username = ?2 AND active = 1",
        params![store_id, username],
        |r| {
            let role: String = r.get(3)?;
            Ok(Credentials {
                id: r.get(0)?,
                password_hash: r.get(1)?,
                token_gen: r.get(2)?,
                number: 0,
                role: Some(crate::domain::Role::parse(&role).unwrap_or(crate::domain::Role::Owner)),
                name: r.get(4)?,
            })
        },
    )
    .optional()
}

pub fn table_credentials(conn: &Connection, store_id: &str, number: i64) -> rusqlite::Result<Option<Credentials>> {
    conn.query_row(
        "SELECT id, password_hash, token_gen, number FROM tables
         WHERE store_id = ?1 AND number = ?2 AND deleted_at IS NULL",
        params![store_id, number],
        |r| {
            Ok(Credentials {
                id: r.get(0)?,
                password_hash: r.get(1)?,
                token_gen: r.get(2)?,
                number: r.get(3)?,
                role: None,
                name: String::new(),
            })
        },
    )
    .optional()
}

/// Which account table a login concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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

/// Replaces a hash made with older settings by one of today's for the same password (only
/// if the password was not changed meanwhile); tokens stay valid.
pub fn upgrade_hash(conn: &Connection, account: Account, id: i64, old: &str, new: &str) -> rusqlite::Result<()> {
    conn.execute(
        &format!("UPDATE {} SET password_hash = ?3 WHERE id = ?1 AND password_hash = ?2", account.table()),
        params![id, old, new],
    )?;
    Ok(())
}

/// Notes that accounts changed, so that a running server reloads them (the command line
/// changes them from another process).
pub fn accounts_changed(conn: &Connection) -> rusqlite::Result<()> {
    let v = u64::from_le_bytes(crate::crypto::random_bytes::<8>());
    meta_set(conn, "accounts_version", &v.to_string())
}

/// The columns of a live account: id, store, token generation, box owner, role, name.
const ADMIN_ACCOUNT: &str = "SELECT id, store_id, token_gen, box_owner, role,
        CASE WHEN display_name = '' THEN username ELSE display_name END FROM admins WHERE active = 1";
const TABLE_ACCOUNT: &str =
    "SELECT id, store_id, token_gen, 0, NULL, CAST(number AS TEXT) FROM tables WHERE deleted_at IS NULL";

fn account_row(r: &rusqlite::Row) -> rusqlite::Result<(i64, AuthAccount)> {
    let role: Option<String> = r.get(4)?;
    Ok((
        r.get(0)?,
        AuthAccount {
            store_id: r.get(1)?,
            tgen: r.get(2)?,
            box_owner: r.get::<_, i64>(3)? != 0,
            role: role.as_deref().and_then(crate::domain::Role::parse),
            name: r.get(5)?,
        },
    ))
}

/// One live account: an active staff member, or a table that is not deleted.
pub fn account(conn: &Connection, kind: UserType, id: i64) -> rusqlite::Result<Option<AuthAccount>> {
    let base = match kind {
        UserType::Admin => ADMIN_ACCOUNT,
        UserType::Table => TABLE_ACCOUNT,
        UserType::Hq => return Ok(None),
    };
    conn.prepare_cached(&format!("{base} AND id = ?1"))?
        .query_row([id], account_row)
        .optional()
        .map(|o| o.map(|(_, a)| a))
}

/// Every live account of the box.
pub fn accounts(conn: &Connection) -> rusqlite::Result<Vec<((UserType, i64), AuthAccount)>> {
    let mut out = Vec::new();
    for (kind, sql) in [(UserType::Admin, ADMIN_ACCOUNT), (UserType::Table, TABLE_ACCOUNT)] {
        let mut stmt = conn.prepare(sql)?;
        for row in stmt.query_map([], account_row)? {
            let (id, a) = row?;
            out.push(((kind, id), a));
        }
    }
    Ok(out)
}

/// Sets a staff member's password: lifts a lock and ends every token issued before.
/// Returns the account as it now is, or None when there is no such user.
pub fn set_admin_password(
    conn: &Connection,
    store_id: &str,
    username: &str,
    hash: &str,
) -> rusqlite::Result<Option<(i64, AuthAccount)>> {
    let id: Option<i64> = conn
        .query_row(
            "UPDATE admins SET password_hash = ?3, failed_logins = 0, locked_until = NULL, token_gen = token_gen + 1
             WHERE store_id = ?1 AND username = ?2 RETURNING id",
            params![store_id, username, hash],
            |r| r.get(0),
        )
        .optional()?;
    accounts_changed(conn)?;
    let Some(id) = id else { return Ok(None) };
    Ok(account(conn, UserType::Admin, id)?.map(|a| (id, a)))
}

pub fn admin_password_hash(
    conn: &Connection,
    store_id: &str,
    admin_id: i64,
) -> rusqlite::Result<Option<(String, String, i64)>> {
    conn.query_row(
        "SELECT username, password_hash, token_gen FROM admins WHERE store_id = ?1 AND id = ?2",
        params![store_id, admin_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
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

/// The box is idle (a moment to switch releases): no visit is open at any table of any
/// store, or no store has its business day open.
pub fn is_idle(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM table_sessions WHERE ended_at IS NULL)
             OR NOT EXISTS (SELECT 1 FROM business_days WHERE closed_at IS NULL)",
        [],
        |r| r.get(0),
    )
}

/// The store's settings (defaults for whatever is not set).
pub fn settings(conn: &Connection, store_id: &str) -> AppResult<crate::domain::settings::StoreSettings> {
    let json: String = conn
        .prepare_cached("SELECT settings FROM stores WHERE id = ?1")?
        .query_row([store_id], |r| r.get(0))
        .optional()?
        .ok_or(AppError::NotFound("store"))?;
    Ok(crate::domain::settings::StoreSettings::read(&json))
}

pub fn set_settings(conn: &Connection, store_id: &str, s: &crate::domain::settings::StoreSettings) -> AppResult<()> {
    let json = serde_json::to_string(s).map_err(AppError::internal)?;
    conn.execute("UPDATE stores SET settings = ?2 WHERE id = ?1", params![store_id, json])?;
    Ok(())
}
