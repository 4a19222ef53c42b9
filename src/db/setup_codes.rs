//! Setup codes: what a table's setup QR code carries instead of its password.
//!
//! A code is 128 random bits, shown once (printed or on screen) and kept only as its
//! SHA-256. It sets up one tablet as its table, once, before it expires; a photo of the
//! printed sheet is worth nothing an hour later.

use crate::db::writer::WriteCtx;
use crate::error::{AppError, AppResult};
use rusqlite::{OptionalExtension, params};

/// How long a code works.
pub const LIFETIME_MS: i64 = 60 * 60 * 1000;

pub struct Minted {
    pub table_id: i64,
    pub table_number: i64,
    pub code: String,
}

pub struct Redeemed {
    pub store_id: String,
    pub table_id: i64,
    pub table_number: i64,
    pub token_gen: i64,
}

fn hash(code: &str) -> String {
    crate::crypto::sha256_hex(code)
}

fn new_code() -> AppResult<String> {
    Ok(crate::crypto::random_hex::<16>())
}

/// Makes one code per table: the given ones (404 for one that is not the store's), or
/// every table of the store. Expired codes older than a day are forgotten on the way.
pub fn mint(ctx: &mut WriteCtx, store_id: &str, table_ids: Option<&[i64]>) -> AppResult<(Vec<Minted>, i64)> {
    let tables: Vec<(i64, i64)> = match table_ids {
        None => ctx
            .conn
            .prepare_cached("SELECT id, number FROM tables WHERE store_id = ?1 AND deleted_at IS NULL ORDER BY number")?
            .query_map([store_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?,
        Some(ids) => ids
            .iter()
            .map(|&id| {
                Ok((
                    id,
                    crate::db::tables::live_number(ctx.conn, store_id, id).map_err(|_| AppError::NotFound("table"))?,
                ))
            })
            .collect::<AppResult<_>>()?,
    };
    ctx.conn.execute("DELETE FROM setup_codes WHERE expires_at < ?1", [ctx.now_ms - 24 * 60 * 60 * 1000])?;
    let expires_at = ctx.now_ms + LIFETIME_MS;
    let mut out = Vec::with_capacity(tables.len());
    for (table_id, table_number) in tables {
        let code = new_code()?;
        ctx.conn.execute(
            "INSERT INTO setup_codes (code_hash, store_id, table_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![hash(&code), store_id, table_id, ctx.now_ms, expires_at],
        )?;
        out.push(Minted { table_id, table_number, code });
    }
    Ok((out, expires_at))
}

/// Uses a code up: the table it sets up, or None when it is unknown, used, expired, or
/// its table was deleted since.
pub fn redeem(ctx: &mut WriteCtx, code: &str) -> AppResult<Option<Redeemed>> {
    let h = hash(code);
    let found = ctx
        .conn
        .query_row(
            "SELECT c.store_id, c.table_id, t.number, t.token_gen FROM setup_codes c
             JOIN tables t ON t.id = c.table_id AND t.store_id = c.store_id AND t.deleted_at IS NULL
             WHERE c.code_hash = ?1 AND c.used_at IS NULL AND c.expires_at > ?2",
            params![h, ctx.now_ms],
            |r| {
                Ok(Redeemed { store_id: r.get(0)?, table_id: r.get(1)?, table_number: r.get(2)?, token_gen: r.get(3)? })
            },
        )
        .optional()?;
    if found.is_some() {
        ctx.conn.execute("UPDATE setup_codes SET used_at = ?2 WHERE code_hash = ?1", params![h, ctx.now_ms])?;
    }
    Ok(found)
}
