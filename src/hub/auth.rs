//! Who calls the hub: HQ users (a login, then JWTs of their own type) and boxes (a token
//! made by `hub box add`, stored hashed, bound to store ids). Both as extractors, so a
//! handler names its caller instead of checking a header itself.

use super::HubState;
use crate::auth::{Claims, UserType};
use crate::error::{AppError, AppResult};
use crate::http::extract::bearer;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::collections::HashSet;

/// A logged-in HQ user. Report downloads and the live feed also take `?token=`.
#[derive(Debug, Clone)]
pub struct HqUser {
    pub id: i64,
}

impl FromRequestParts<HubState> for HqUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, st: &HubState) -> AppResult<HqUser> {
        let path = parts.uri.path();
        let query_too = path.ends_with("/events") || path.ends_with(".csv");
        let token = bearer(parts, query_too).ok_or_else(|| AppError::Unauthorized("missing HQ token".into()))?;
        let now = jiff::Timestamp::now().as_second();
        let claims =
            st.keys.verify(&token, now).map_err(|_| AppError::Unauthorized("invalid or expired HQ token".into()))?;
        match (claims.user_type, claims.admin_id) {
            (UserType::Hq, Some(id)) => Ok(HqUser { id }),
            _ => Err(AppError::Forbidden("this needs an HQ login".into())),
        }
    }
}

/// A box that sends: its id and the stores it may send for.
#[derive(Debug, Clone)]
pub struct BoxUser {
    pub id: i64,
    pub stores: HashSet<String>,
}

impl FromRequestParts<HubState> for BoxUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, st: &HubState) -> AppResult<BoxUser> {
        let token = bearer(parts, false).ok_or_else(|| AppError::Unauthorized("missing box token".into()))?;
        box_of(st, &token).await?.ok_or_else(|| AppError::Unauthorized("unknown or revoked box token".into()))
    }
}

/// The box a token belongs to (not revoked), with its stores.
async fn box_of(st: &HubState, token: &str) -> AppResult<Option<BoxUser>> {
    let c = st.pool.get().await?;
    let Some(row) = c
        .query_opt(
            "SELECT id FROM boxes WHERE token_hash = $1 AND revoked_at IS NULL",
            &[&super::db::token_hash(token)],
        )
        .await?
    else {
        return Ok(None);
    };
    let id: i64 = row.get(0);
    let stores =
        c.query("SELECT store_id FROM box_stores WHERE box_id = $1", &[&id]).await?.iter().map(|r| r.get(0)).collect();
    Ok(Some(BoxUser { id, stores }))
}

/// Checks an HQ user's password (a few hashes at a time, the same time whether the user
/// exists or not) and answers a token with its expiry.
pub async fn login(st: &HubState, username: &str, password: String) -> AppResult<(String, i64)> {
    let c = st.pool.get().await?;
    let row = c.query_opt("SELECT id, password_hash FROM hq_users WHERE username = $1", &[&username]).await?;
    let (id, hash): (i64, Option<String>) = match &row {
        Some(r) => (r.get(0), Some(r.get(1))),
        None => (0, None),
    };
    let permit = st.hashing.clone().acquire_owned().await.map_err(|_| AppError::Unavailable("shutting down".into()))?;
    let ok = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        match hash {
            Some(h) => crate::auth::verify_password(&password, &h),
            None => {
                crate::auth::verify_password(&password, crate::auth::dummy_hash());
                false
            }
        }
    })
    .await
    .unwrap_or(false);
    if !ok {
        return Err(AppError::Unauthorized("wrong username or password".into()));
    }
    let claims = Claims::hq(id, jiff::Timestamp::now().as_second());
    Ok((st.keys.issue(&claims)?, claims.exp))
}
