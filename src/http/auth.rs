//! Login for staff and tables, and the first-run setup.

use crate::auth::{self, Claims, UserType};
use crate::db::{self, stores::Account};
use crate::domain;
use crate::error::{AppError, AppResult};
use crate::http::extract::AdminUser;
use crate::http::extract::Json;
use crate::metrics::KindLabel;
use crate::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(admin_login))
        .routes(routes!(table_login))
        .routes(routes!(setup, setup_status))
        .routes(routes!(change_password))
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
    /// The store's timezone (IANA name): the dashboard shows times in it.
    pub(crate) timezone: String,
    /// What this person may do (the dashboard shows what the role allows).
    role: crate::domain::Role,
    staff_id: i64,
    /// The name shown for them (display name, or username).
    display_name: String,
    /// Made by PIN on a shared terminal.
    #[serde(skip_serializing_if = "Option::is_none")]
    terminal_id: Option<i64>,
    /// The store's settings the apps act on (the terminal's idle minutes, guests, checkout).
    settings: crate::domain::settings::StoreSettings,
}

/// The answer of every staff login (password, PIN, password change): the token with who it is.
pub(crate) async fn staff_token(
    st: &AppState,
    claims: Claims,
    display_name: String,
) -> AppResult<axum::Json<AdminToken>> {
    let (store, id) = (claims.store_id.clone(), claims.admin_id.unwrap_or(0));
    let (username, tz, settings) = db::read(&st.pool, move |c| {
        let username: String =
            c.query_row("SELECT username FROM admins WHERE id = ?1", [id], |r| r.get(0)).unwrap_or_default();
        let tz = db::stores::timezone_name(c, &store).unwrap_or_else(|_| "UTC".into());
        Ok((username, tz, db::stores::settings(c, &store).unwrap_or_default()))
    })
    .await?;
    Ok(axum::Json(AdminToken {
        token: st.keys.issue(&claims)?,
        expires_at: db::rfc3339(claims.exp * 1000),
        store_id: claims.store_id.clone(),
        username,
        timezone: tz,
        role: claims.role.unwrap_or(crate::domain::Role::Owner),
        staff_id: id,
        display_name,
        terminal_id: claims.terminal_id,
        settings,
    }))
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
    pub(crate) token: String,
    pub(crate) expires_at: String,
    pub(crate) store_id: String,
    pub(crate) table_id: i64,
    pub(crate) table_number: i64,
    /// The store's timezone (IANA name): the tablet shows times in it.
    pub(crate) timezone: String,
    /// A tablet set up by a setup QR code (or renewing): its device key, kept by the tablet
    /// to renew this login with `POST /api/v1/auth/table/renew` when it expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) device_key: Option<String>,
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

/// The one answer for a wrong store, name or password and for a locked account, so that
/// nobody can tell which accounts exist or are locked.
const BAD_LOGIN: &str = "wrong store, name or password (after 10 failed attempts in a row an account is locked for 15 minutes from that address)";

/// Both login limits: the caller's address, then the whole box (many addresses at once).
pub(crate) fn login_allowed(st: &AppState, peer: &SocketAddr) -> AppResult<()> {
    if let Err(e) = st.limits.logins.check(&peer.ip()) {
        st.metrics.logins_refused.get_or_create(&KindLabel { kind: "address" }).inc();
        return Err(e);
    }
    if let Err(e) = st.limits.box_logins.check(&()) {
        st.metrics.logins_refused.get_or_create(&KindLabel { kind: "box" }).inc();
        return Err(e);
    }
    Ok(())
}

/// Checks a password for an account found (or not), counting failures and lockouts.
///
/// The attempt is counted (per account and address, [`crate::lockout`]) before the password
/// is checked, and every path costs one password hash before the answer: a locked pair, an
/// unknown account and a wrong password answer alike, in the same time.
async fn check(
    st: &AppState,
    account: Account,
    label: String,
    store_id: &str,
    peer: &SocketAddr,
    creds: Option<db::stores::Credentials>,
    password: String,
) -> AppResult<db::stores::Credentials> {
    let now = st.clock.now_ms();
    let attempt = creds.as_ref().and_then(|c| {
        let who = crate::lockout::Who { account, id: c.id, tgen: c.token_gen, store_id: store_id.to_string(), label };
        st.limits.login_locks.begin(&who, peer.ip(), now)
    });
    // A locked pair is checked against the dummy hash: same time, same answer.
    let hash = if attempt.is_some() { creds.as_ref().map(|c| c.password_hash.clone()) } else { None };
    let ok = st.hasher.verify(password.clone(), hash).await?;
    let locked = attempt.and_then(|a| st.limits.login_locks.finish(a, ok, st.clock.now_ms()));
    match (ok, creds) {
        (true, Some(c)) => {
            if auth::needs_rehash(&c.password_hash) {
                upgrade_hash(st, account, c.id, c.password_hash.clone(), password);
            }
            Ok(c)
        }
        (_, creds) => {
            st.metrics.logins_failed.inc();
            if let (Some(l), Some(c)) = (locked, creds) {
                record_lock(st, account, c.id, l);
            }
            Err(AppError::Unauthorized(BAD_LOGIN.into()))
        }
    }
}

/// Writes a lock that has just begun to its store's audit trail (staff see it there and on
/// the staff page while it lasts).
fn record_lock(st: &AppState, account: Account, id: i64, l: crate::lockout::Locked) {
    tracing::warn!(store = %l.store_id, account = %l.label, address = %l.address, "logins locked after repeated wrong passwords");
    st.writer.submit("recording a login lock", move |ctx| {
        let e = db::audit::Audit {
            kind: "login_locked",
            staff_id: matches!(account, Account::Admin).then_some(id),
            table_number: None,
            detail: serde_json::json!({
                "account": l.label,
                "address": l.address.to_string(),
                "until": db::rfc3339(l.until_ms),
            }),
            ..Default::default()
        };
        db::audit::record(ctx, &l.store_id, e).map(|_| ())
    });
}

/// Redoes a hash made with older settings, after the answer (it costs one more hash).
fn upgrade_hash(st: &AppState, account: Account, id: i64, old: String, password: String) {
    let (hasher, writer) = (st.hasher.clone(), st.writer.clone());
    tokio::spawn(async move {
        match hasher.hash(password).await {
            Ok(new) => writer.submit("upgrading a password hash", move |ctx| {
                Ok(db::stores::upgrade_hash(ctx.conn, account, id, &old, &new)?)
            }),
            Err(e) => tracing::warn!(error = %e, "could not upgrade a password hash"),
        }
    });
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
    login_allowed(&st, &peer)?;
    let (store, user) = (req.store_id.clone(), req.username.clone());
    let creds = db::read(&st.pool, move |c| Ok(db::stores::admin_credentials(c, &store, &user)?)).await?;
    let c = check(&st, Account::Admin, req.username.clone(), &req.store_id, &peer, creds, req.password).await?;
    let now_s = st.clock.now_ms() / 1000;
    let role = c.role.unwrap_or(crate::domain::Role::Owner);
    let claims = Claims::staff(&req.store_id, c.id, c.token_gen, role, None, now_s);
    staff_token(&st, claims, c.name).await
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
    login_allowed(&st, &peer)?;
    let (store, number) = (req.store_id.clone(), req.table_number);
    let (creds, tz) = db::read(&st.pool, move |c| {
        Ok((db::stores::table_credentials(c, &store, number)?, db::stores::timezone_name(c, &store).ok()))
    })
    .await?;
    let label = format!("table {}", req.table_number);
    let c = check(&st, Account::Table, label, &req.store_id, &peer, creds, req.password).await?;
    let now_s = st.clock.now_ms() / 1000;
    let claims = Claims::table(&req.store_id, c.id, c.token_gen, now_s);
    Ok(axum::Json(TableToken {
        token: st.keys.issue(&claims)?,
        expires_at: db::rfc3339(claims.exp * 1000),
        store_id: req.store_id,
        table_id: c.id,
        table_number: c.number,
        timezone: tz.unwrap_or_else(|| "UTC".into()),
        device_key: None,
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

#[derive(Serialize, ToSchema)]
pub struct SetupStatus {
    /// Whether the box still waits for its first store (the setup page shows its form).
    needed: bool,
}

/// Whether the first-run setup is still to be done.
#[utoipa::path(get, path = "/api/v1/setup", tag = "public", responses((status = 200, body = SetupStatus)))]
async fn setup_status(State(st): State<AppState>) -> AppResult<axum::Json<SetupStatus>> {
    let pending = st.setup_code.lock().expect("setup lock").is_some();
    let needed = pending && db::read(&st.pool, |c| Ok(db::stores::store_count(c)?)).await? == 0;
    Ok(axum::Json(SetupStatus { needed }))
}

/// First run only: creates the first store and its admin with the code printed in the log.
#[utoipa::path(post, path = "/api/v1/setup", tag = "public", request_body = SetupRequest,
    responses((status = 201, body = SetupDone), (status = 403), (status = 422), (status = 429)))]
async fn setup(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<SetupRequest>,
) -> AppResult<(StatusCode, axum::Json<SetupDone>)> {
    login_allowed(&st, &peer)?;
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
    let hash = st.hasher.hash(password).await?;
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// A staff member changes their own password. Every token issued before (on any device)
/// stops working and open dashboards of this login are disconnected; the answer carries a
/// fresh token for the caller.
#[utoipa::path(post, path = "/api/v1/admin/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChange,
    responses((status = 200, body = AdminToken), (status = 401), (status = 422)))]
async fn change_password(
    a: AdminUser,
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<PasswordChange>,
) -> AppResult<axum::Json<AdminToken>> {
    bounded("current_password", &req.current_password, 128)?;
    let new = domain::admin_password(&req.new_password)
        .map_err(|_| AppError::validation("new_password", "must be 8 to 128 characters"))?;
    let (store, id) = (a.store_id.clone(), a.admin_id);
    let (username, hash, tgen) = db::read(&st.pool, move |c| Ok(db::stores::admin_password_hash(c, &store, id)?))
        .await?
        .ok_or_else(|| AppError::Unauthorized("invalid token".into()))?;
    // Guessing the current password from a borrowed session counts like a login.
    let who = crate::lockout::Who {
        account: Account::Admin,
        id,
        tgen,
        store_id: a.store_id.clone(),
        label: username.clone(),
    };
    let Some(attempt) = st.limits.login_locks.begin(&who, peer.ip(), st.clock.now_ms()) else {
        return Err(AppError::validation("current_password", "is not your current password"));
    };
    let ok = st.hasher.verify(req.current_password, Some(hash)).await?;
    if let Some(l) = st.limits.login_locks.finish(attempt, ok, st.clock.now_ms()) {
        record_lock(&st, Account::Admin, id, l);
    }
    if !ok {
        return Err(AppError::validation("current_password", "is not your current password"));
    }
    let new_hash = st.hasher.hash(new).await?;
    let (store, user) = (a.store_id.clone(), username);
    let (id, account) = st
        .writer
        .write(move |ctx| Ok(db::stores::set_admin_password(ctx.conn, &store, &user, &new_hash)?))
        .await?
        .ok_or_else(|| AppError::Unauthorized("invalid token".into()))?;
    let tgen = account.tgen;
    st.accounts.set(UserType::Admin, id, Some(account));
    st.fanout.cut_admin(&a.store_id, id);
    let claims = Claims::staff(&a.store_id, id, tgen, a.role, a.terminal_id, st.clock.now_ms() / 1000);
    staff_token(&st, claims, a.name.clone()).await
}
