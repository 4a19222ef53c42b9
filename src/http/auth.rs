//! Login for staff and tables, and the first-run setup.

use crate::auth::{self, Claims};
use crate::db::{self, stores::Account};
use crate::domain;
use crate::error::{AppError, AppResult};
use crate::http::extract::Json;
use crate::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(admin_login)).routes(routes!(table_login)).routes(routes!(setup))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminLogin {
    store_id: String,
    username: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct AdminToken {
    token: String,
    expires_at: String,
    store_id: String,
    username: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TableLogin {
    store_id: String,
    table_number: i64,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TableToken {
    token: String,
    expires_at: String,
    store_id: String,
    table_id: i64,
    table_number: i64,
}

fn bounded(field: &str, v: &str, max: usize) -> AppResult<()> {
    if v.is_empty() {
        return Err(AppError::validation(field, "is required"));
    }
    if v.chars().count() > max {
        return Err(AppError::validation(field, format!("must be at most {max} characters")));
    }
    Ok(())
}

const BAD_LOGIN: &str = "wrong store, name or password";

/// Checks a password for an account found (or not), counting failures and lockouts.
async fn check(
    st: &AppState,
    account: Account,
    creds: Option<db::stores::Credentials>,
    password: String,
) -> AppResult<db::stores::Credentials> {
    let now = st.clock.now_ms();
    if let Some(until) = creds.as_ref().and_then(|c| c.locked_until).filter(|u| *u > now) {
        return Err(AppError::TooManyRequests { retry_after_s: ((until - now) / 1000).max(1) as u64 });
    }
    let hash = creds.as_ref().map(|c| c.password_hash.clone());
    let ok = db::blocking(move || {
        Ok(match hash {
            Some(h) => auth::verify_password(&password, &h),
            None => {
                // Same work when the account does not exist, so timing does not tell.
                auth::verify_password(&password, auth::dummy_hash());
                false
            }
        })
    })
    .await?;
    match (ok, creds) {
        (true, Some(c)) => {
            if c.locked_until.is_some() {
                let id = c.id;
                st.writer.write(move |ctx| Ok(db::stores::login_succeeded(ctx.conn, account, id)?)).await?;
            }
            Ok(c)
        }
        (_, creds) => {
            st.metrics.logins_failed.fetch_add(1, Ordering::Relaxed);
            if let Some(c) = creds {
                st.writer.write(move |ctx| Ok(db::stores::login_failed(ctx.conn, account, c.id, ctx.now_ms)?)).await?;
            }
            Err(AppError::Unauthorized(BAD_LOGIN.into()))
        }
    }
}

/// Staff login: a 16 h token.
#[utoipa::path(post, path = "/api/v1/auth/admin/login", tag = "auth", request_body = AdminLogin,
    responses((status = 200, body = AdminToken), (status = 401), (status = 422), (status = 429)))]
async fn admin_login(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<AdminLogin>,
) -> AppResult<axum::Json<AdminToken>> {
    bounded("store_id", &req.store_id, 32)?;
    bounded("username", &req.username, 64)?;
    bounded("password", &req.password, 128)?;
    st.limits.logins.check(&peer.ip())?;
    let (store, user) = (req.store_id.clone(), req.username.clone());
    let creds = db::read(&st.pool, move |c| Ok(db::stores::admin_credentials(c, &store, &user)?)).await?;
    let c = check(&st, Account::Admin, creds, req.password).await?;
    let now_s = st.clock.now_ms() / 1000;
    let claims = Claims::admin(&req.store_id, c.id, now_s);
    Ok(axum::Json(AdminToken {
        token: st.keys.issue(&claims)?,
        expires_at: db::rfc3339(claims.exp * 1000),
        store_id: req.store_id,
        username: req.username,
    }))
}

/// Table tablet login: a 16 h token; the tablet logs in again by itself when it expires.
#[utoipa::path(post, path = "/api/v1/auth/table/login", tag = "auth", request_body = TableLogin,
    responses((status = 200, body = TableToken), (status = 401), (status = 422), (status = 429)))]
async fn table_login(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<TableLogin>,
) -> AppResult<axum::Json<TableToken>> {
    bounded("store_id", &req.store_id, 32)?;
    bounded("password", &req.password, 128)?;
    domain::table_number(req.table_number)
        .map_err(|_| AppError::validation("table_number", "must be a whole number from 1 to 9999"))?;
    st.limits.logins.check(&peer.ip())?;
    let (store, number) = (req.store_id.clone(), req.table_number);
    let creds = db::read(&st.pool, move |c| Ok(db::stores::table_credentials(c, &store, number)?)).await?;
    let c = check(&st, Account::Table, creds, req.password).await?;
    let now_s = st.clock.now_ms() / 1000;
    let claims = Claims::table(&req.store_id, c.id, now_s);
    Ok(axum::Json(TableToken {
        token: st.keys.issue(&claims)?,
        expires_at: db::rfc3339(claims.exp * 1000),
        store_id: req.store_id,
        table_id: c.id,
        table_number: c.number,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    code: String,
    store_id: String,
    store_name: String,
    username: String,
    password: String,
    timezone: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SetupDone {
    store_id: String,
    username: String,
}

/// First run only: creates the first store and its admin with the code printed in the log.
#[utoipa::path(post, path = "/api/v1/setup", tag = "public", request_body = SetupRequest,
    responses((status = 201, body = SetupDone), (status = 403), (status = 422), (status = 429)))]
async fn setup(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<SetupRequest>,
) -> AppResult<(StatusCode, axum::Json<SetupDone>)> {
    st.limits.logins.check(&peer.ip())?;
    let expected = st.setup_code.lock().expect("setup lock").clone();
    let Some(expected) = expected else {
        return Err(AppError::Forbidden("this box is set up already".into()));
    };
    if !constant_time_eq(req.code.trim().as_bytes(), expected.as_bytes()) {
        return Err(AppError::Forbidden("wrong setup code".into()));
    }
    let store_id = domain::store_id(&req.store_id)?;
    let name = domain::store_name(&req.store_name)?;
    let username = domain::username(&req.username)?;
    let password = domain::admin_password(&req.password)?;
    let tz = domain::timezone(req.timezone.as_deref().unwrap_or("Asia/Seoul"))?;
    let hash = db::blocking(move || auth::hash_password(&password)).await?;
    let (sid, user) = (store_id.clone(), username.clone());
    st.writer
        .write(move |ctx| {
            if db::stores::store_count(ctx.conn)? > 0 {
                return Err(AppError::Forbidden("this box is set up already".into()));
            }
            db::stores::create_store(ctx.conn, &sid, &name, &tz, ctx.now_ms)?;
            db::stores::create_admin(ctx.conn, &sid, &user, &hash, ctx.now_ms)?;
            Ok(())
        })
        .await?;
    *st.setup_code.lock().expect("setup lock") = None;
    tracing::info!(store_id = %store_id, "first store created through setup");
    Ok((StatusCode::CREATED, axum::Json(SetupDone { store_id, username })))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
