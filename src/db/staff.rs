//! Staff accounts with roles and PINs, shared terminals, and the PIN logins made on them.
//!
//! A change of role, password or PIN, or a deactivation, moves the person's token
//! generation on: their earlier tokens stop working. A store always keeps one active owner.

use crate::db::audit::{self, Audit, Who};
use crate::db::rfc3339;
use crate::db::writer::WriteCtx;
use crate::domain::Role;
use crate::error::{AppError, AppResult, on_constraint};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// Wrong PINs in a row that lock a terminal until a manager unlocks it.
pub const TERMINAL_LOCK_AFTER: i64 = 10;

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct StaffDto {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub has_pin: bool,
    pub created_at: String,
}

const STAFF_COLS: &str =
    "id, username, display_name, role, active, pin_tag IS NOT NULL, created_at, token_gen, box_owner";

fn staff_row(r: &rusqlite::Row) -> rusqlite::Result<StaffDto> {
    let role: String = r.get(3)?;
    Ok(StaffDto {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Owner),
        active: r.get::<_, i64>(4)? != 0,
        has_pin: r.get(5)?,
        created_at: rfc3339(r.get(6)?),
    })
}

pub fn list(conn: &Connection, store_id: &str) -> AppResult<Vec<StaffDto>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {STAFF_COLS} FROM admins WHERE store_id = ?1 ORDER BY active DESC, id"))?
        .query_map([store_id], staff_row)?
        .collect::<Result<_, _>>()?)
}

pub fn get(conn: &Connection, store_id: &str, id: i64) -> AppResult<StaffDto> {
    conn.prepare_cached(&format!("SELECT {STAFF_COLS} FROM admins WHERE store_id = ?1 AND id = ?2"))?
        .query_row(params![store_id, id], staff_row)
        .optional()?
        .ok_or(AppError::NotFound("staff member"))
}

/// A new staff member (checked values; password and PIN already hashed/tagged).
pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub pin_tag: Option<String>,
}

fn pin_taken(e: rusqlite::Error) -> AppError {
    on_constraint(e, "another active staff member has this PIN or username; choose another")
}

pub fn create(ctx: &mut WriteCtx, store_id: &str, s: &NewStaff, by: &Who) -> AppResult<StaffDto> {
    ctx.conn
        .execute(
            "INSERT INTO admins (store_id, username, display_name, role, password_hash, pin_tag, created_at, box_owner)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
            params![store_id, s.username, s.display_name, s.role.as_str(), s.password_hash, s.pin_tag, ctx.now_ms],
        )
        .map_err(pin_taken)?;
    let id = ctx.conn.last_insert_rowid();
    crate::db::stores::accounts_changed(ctx.conn)?;
    let dto = get(ctx.conn, store_id, id)?;
    let mut a = Audit::by("staff_changed", by, None);
    a.detail = json!({ "staff_id": id, "username": dto.username, "change": "created", "role": dto.role });
    audit::record(ctx, store_id, a)?;
    Ok(dto)
}

/// A change of a staff member; `None` leaves a field as it is (`pin: Some(None)` removes
/// the PIN).
#[derive(Default)]
pub struct StaffChange {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub password_hash: Option<String>,
    pub pin_tag: Option<Option<String>>,
    pub active: Option<bool>,
}

/// Applies `c`; answers the staff member and whether their earlier tokens ended.
pub fn update(ctx: &mut WriteCtx, store_id: &str, id: i64, c: &StaffChange, by: &Who) -> AppResult<(StaffDto, bool)> {
    let before = get(ctx.conn, store_id, id)?;
    let role = c.role.unwrap_or(before.role);
    let active = c.active.unwrap_or(before.active);
    // The last active owner stays an active owner: someone must be able to manage staff.
    if before.active && before.role == Role::Owner && (role != Role::Owner || !active) {
        let others: i64 = ctx.conn.query_row(
            "SELECT count(*) FROM admins WHERE store_id = ?1 AND id <> ?2 AND role = 'owner' AND active = 1",
            params![store_id, id],
            |r| r.get(0),
        )?;
        if others == 0 {
            return Err(AppError::Conflict("the last active owner cannot be demoted or deactivated".into()));
        }
    }
    let ends_tokens = role != before.role
        || active != before.active
        || c.password_hash.is_some()
        || c.pin_tag.as_ref().is_some_and(|p| p.is_some() || before.has_pin);
    let (set_pin, pin) = match &c.pin_tag {
        Some(p) => (true, p.clone()),
        None => (false, None),
    };
    ctx.conn
        .execute(
            "UPDATE admins SET display_name = coalesce(?3, display_name), role = ?4, active = ?5,
                    password_hash = coalesce(?6, password_hash),
                    pin_tag = CASE WHEN ?7 THEN ?8 ELSE pin_tag END,
                    failed_logins = CASE WHEN ?6 IS NULL THEN failed_logins ELSE 0 END,
                    locked_until = CASE WHEN ?6 IS NULL THEN locked_until ELSE NULL END,
                    token_gen = token_gen + ?9
             WHERE store_id = ?1 AND id = ?2",
            params![
                store_id,
                id,
                c.display_name,
                role.as_str(),
                active,
                c.password_hash,
                set_pin,
                pin,
                ends_tokens as i64
            ],
        )
        .map_err(pin_taken)?;
    crate::db::stores::accounts_changed(ctx.conn)?;
    let after = get(ctx.conn, store_id, id)?;
    let mut changed = Vec::new();
    if c.display_name.as_ref().is_some_and(|n| *n != before.display_name) {
        changed.push("display_name");
    }
    if role != before.role {
        changed.push("role");
    }
    if active != before.active {
        changed.push(if active { "activated" } else { "deactivated" });
    }
    if c.password_hash.is_some() {
        changed.push("password");
    }
    if c.pin_tag.is_some() {
        changed.push(if after.has_pin { "pin" } else { "pin_removed" });
    }
    let mut a = Audit::by("staff_changed", by, None);
    a.detail = json!({
        "staff_id": id, "username": after.username, "changes": changed,
        "role_before": before.role, "role": after.role,
    });
    audit::record(ctx, store_id, a)?;
    Ok((after, ends_tokens))
}

/// The active staff member whose PIN has this tag: (id, token generation, role, name).
pub fn by_pin(conn: &Connection, store_id: &str, pin_tag: &str) -> AppResult<Option<(i64, i64, Role, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, token_gen, role, CASE WHEN display_name = '' THEN username ELSE display_name END
             FROM admins WHERE store_id = ?1 AND pin_tag = ?2 AND active = 1",
        )?
        .query_row(params![store_id, pin_tag], |r| {
            let role: String = r.get(2)?;
            Ok((r.get(0)?, r.get(1)?, Role::parse(&role).unwrap_or(Role::Owner), r.get(3)?))
        })
        .optional()?)
}

// ---- terminals ------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TerminalDto {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub created_by: String,
    /// Locked after too many wrong PINs in a row, until a manager unlocks it.
    pub locked: bool,
    /// Wrong PINs since the last right one.
    pub failed_pins: i64,
}

const TERMINAL_COLS: &str = "t.id, t.name, t.created_at,
    (SELECT CASE WHEN a.display_name = '' THEN a.username ELSE a.display_name END FROM admins a WHERE a.id = t.created_by),
    t.locked_at IS NOT NULL, t.failed_pins";

fn terminal_row(r: &rusqlite::Row) -> rusqlite::Result<TerminalDto> {
    Ok(TerminalDto {
        id: r.get(0)?,
        name: r.get(1)?,
        created_at: rfc3339(r.get(2)?),
        created_by: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        locked: r.get(4)?,
        failed_pins: r.get(5)?,
    })
}

pub fn terminals(conn: &Connection, store_id: &str) -> AppResult<Vec<TerminalDto>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TERMINAL_COLS} FROM terminals t WHERE t.store_id = ?1 AND t.revoked_at IS NULL ORDER BY t.id"
        ))?
        .query_map([store_id], terminal_row)?
        .collect::<Result<_, _>>()?)
}

pub fn terminal(conn: &Connection, store_id: &str, id: i64) -> AppResult<TerminalDto> {
    conn.prepare_cached(&format!(
        "SELECT {TERMINAL_COLS} FROM terminals t WHERE t.store_id = ?1 AND t.id = ?2 AND t.revoked_at IS NULL"
    ))?
    .query_row(params![store_id, id], terminal_row)
    .optional()?
    .ok_or(AppError::NotFound("terminal"))
}

/// Makes a terminal; the caller shows its token once and keeps only `token_hash`.
pub fn create_terminal(
    ctx: &mut WriteCtx,
    store_id: &str,
    name: &str,
    token_hash: &str,
    by: &Who,
) -> AppResult<TerminalDto> {
    ctx.conn.execute(
        "INSERT INTO terminals (store_id, name, token_hash, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![store_id, name, token_hash, by.staff_id, ctx.now_ms],
    )?;
    let id = ctx.conn.last_insert_rowid();
    let mut a = Audit::by("staff_changed", by, None);
    a.detail = json!({ "terminal_id": id, "terminal": name, "change": "terminal_created" });
    audit::record(ctx, store_id, a)?;
    terminal(ctx.conn, store_id, id)
}

pub fn revoke_terminal(ctx: &mut WriteCtx, store_id: &str, id: i64, by: &Who) -> AppResult<()> {
    let t = terminal(ctx.conn, store_id, id)?;
    ctx.conn.execute(
        "UPDATE terminals SET revoked_at = ?3 WHERE store_id = ?1 AND id = ?2",
        params![store_id, id, ctx.now_ms],
    )?;
    let mut a = Audit::by("staff_changed", by, None);
    a.detail = json!({ "terminal_id": id, "terminal": t.name, "change": "terminal_revoked" });
    audit::record(ctx, store_id, a)?;
    Ok(())
}

pub fn unlock_terminal(ctx: &mut WriteCtx, store_id: &str, id: i64, by: &Who) -> AppResult<TerminalDto> {
    let t = terminal(ctx.conn, store_id, id)?;
    ctx.conn.execute(
        "UPDATE terminals SET locked_at = NULL, failed_pins = 0 WHERE store_id = ?1 AND id = ?2",
        params![store_id, id],
    )?;
    let mut a = Audit::by("staff_changed", by, None);
    a.detail = json!({ "terminal_id": id, "terminal": t.name, "change": "terminal_unlocked" });
    audit::record(ctx, store_id, a)?;
    terminal(ctx.conn, store_id, id)
}

/// A terminal that is not revoked, by its token's hash: (id, store, locked).
pub fn terminal_by_token(conn: &Connection, token_hash: &str) -> AppResult<Option<(i64, String, bool)>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, store_id, locked_at IS NOT NULL FROM terminals WHERE token_hash = ?1 AND revoked_at IS NULL",
        )?
        .query_row([token_hash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// What a PIN try on a terminal came to.
#[derive(Debug, Clone, PartialEq)]
pub enum PinTry {
    /// The person whose PIN it is: (staff id, token generation, role, name).
    Staff(i64, i64, Role, String),
    /// Unknown terminal or wrong PIN (the try was counted).
    Refused,
    /// The terminal is locked (now, or already).
    Locked,
}

/// A PIN try, counted before it is checked and in the same transaction: parallel guesses
/// each see the count of the ones before them, so the lock holds whatever their number.
pub fn pin_try(ctx: &mut WriteCtx, token_hash: &str, pin_tag: impl FnOnce(&str) -> String) -> AppResult<PinTry> {
    let Some((tid, store_id, locked)) = terminal_by_token(ctx.conn, token_hash)? else {
        return Ok(PinTry::Refused);
    };
    if locked {
        return Ok(PinTry::Locked);
    }
    let tag = pin_tag(&store_id);
    match by_pin(ctx.conn, &store_id, &tag)? {
        Some((id, tgen, role, name)) => {
            ctx.conn.execute("UPDATE terminals SET failed_pins = 0 WHERE id = ?1", [tid])?;
            Ok(PinTry::Staff(id, tgen, role, name))
        }
        None => {
            let locked: bool = ctx.conn.query_row(
                "UPDATE terminals SET failed_pins = failed_pins + 1,
                        locked_at = CASE WHEN failed_pins + 1 >= ?2 THEN ?3 ELSE locked_at END
                 WHERE id = ?1 RETURNING locked_at IS NOT NULL",
                params![tid, TERMINAL_LOCK_AFTER, ctx.now_ms],
                |r| r.get(0),
            )?;
            Ok(if locked { PinTry::Locked } else { PinTry::Refused })
        }
    }
}

/// The store of the terminal with this token (for the per-terminal rate limit).
pub fn terminal_id(conn: &Connection, token_hash: &str) -> AppResult<Option<i64>> {
    Ok(terminal_by_token(conn, token_hash)?.map(|(id, _, _)| id))
}

/// An active manager or owner of the store with this PIN tag: the approver of a server's action.
pub fn approver(conn: &Connection, store_id: &str, pin_tag: &str) -> AppResult<Option<audit::Approver>> {
    Ok(by_pin(conn, store_id, pin_tag)?
        .filter(|(_, _, role, _)| role.approves())
        .map(|(id, _, _, name)| audit::Approver { staff_id: id, name }))
}
