//! Who may do what: staff accounts (owner), shared terminals and PIN logins, the audit
//! trail (managers), and the store's settings.

use crate::auth::{Claims, UserType};
use crate::db::{self, audit, staff};
use crate::domain::{self, Role, settings::StoreSettings};
use crate::error::{AppError, AppResult};
use crate::http::extract::{AdminUser, Json, Path, Query, double_option};
use crate::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_staff, create_staff))
        .routes(routes!(update_staff))
        .routes(routes!(list_terminals, create_terminal))
        .routes(routes!(revoke_terminal))
        .routes(routes!(unlock_terminal))
        .routes(routes!(pin_login))
        .routes(routes!(list_audit))
        .routes(routes!(login_locks))
        .routes(routes!(get_settings, update_settings))
}

// ---- staff ----------------------------------------------------------------------------------

/// The store's staff, active first.
#[utoipa::path(get, path = "/api/v1/admin/staff", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = Vec<staff::StaffDto>), (status = 403)))]
async fn list_staff(a: AdminUser, State(st): State<AppState>) -> AppResult<axum::Json<Vec<staff::StaffDto>>> {
    Ok(axum::Json(db::read(&st.pool, move |c| staff::list(c, &a.store_id)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaffBody {
    username: String,
    display_name: Option<String>,
    /// `owner`, `manager`, `server` or `kitchen`.
    role: String,
    /// 8–128 characters.
    password: String,
    /// 4–8 digits, unique among the store's active staff.
    pin: Option<String>,
}

fn role(v: &str) -> AppResult<Role> {
    Role::parse(v).ok_or_else(|| AppError::validation("role", "must be owner, manager, server or kitchen"))
}

/// Adds a staff member.
#[utoipa::path(post, path = "/api/v1/admin/staff", tag = "staff", security(("bearer" = [])), request_body = NewStaffBody,
    responses((status = 201, body = staff::StaffDto), (status = 403), (status = 409), (status = 422)))]
async fn create_staff(
    a: AdminUser,
    State(st): State<AppState>,
    Json(b): Json<NewStaffBody>,
) -> AppResult<(StatusCode, axum::Json<staff::StaffDto>)> {
    let username = domain::username(&b.username)?;
    let display_name = domain::display_name(b.display_name.as_deref().unwrap_or(""))?;
    let role = role(&b.role)?;
    let password = domain::admin_password(&b.password)?;
    let pin_tag = match b.pin.as_deref() {
        Some(p) => Some(st.pin_key.tag(&a.store_id, &domain::pin("pin", p)?)),
        None => None,
    };
    let password_hash = st.hasher.hash(password).await?;
    let new = staff::NewStaff { username, display_name, role, password_hash, pin_tag };
    let dto = st.writer.write(move |ctx| staff::create(ctx, &a.store_id, &new, &a.who())).await?;
    Ok((StatusCode::CREATED, axum::Json(dto)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffPatch {
    display_name: Option<String>,
    role: Option<String>,
    password: Option<String>,
    /// A new PIN, or `null` to remove it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pin: Option<Option<String>>,
    active: Option<bool>,
}

/// Changes a staff member. A new role, password or PIN, or a deactivation, ends that
/// person's earlier logins and their open dashboards.
#[utoipa::path(patch, path = "/api/v1/admin/staff/{id}", tag = "staff", security(("bearer" = [])), request_body = StaffPatch,
    params(("id" = i64, Path)), responses((status = 200, body = staff::StaffDto), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn update_staff(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<StaffPatch>,
) -> AppResult<axum::Json<staff::StaffDto>> {
    let display_name = b.display_name.as_deref().map(domain::display_name).transpose()?;
    let role = b.role.as_deref().map(role).transpose()?;
    let password = b.password.as_deref().map(domain::admin_password).transpose()?;
    let pin_tag = match &b.pin {
        None => None,
        Some(None) => Some(None),
        Some(Some(p)) => Some(Some(st.pin_key.tag(&a.store_id, &domain::pin("pin", p)?))),
    };
    let password_hash = match password {
        Some(p) => Some(st.hasher.hash(p).await?),
        None => None,
    };
    let change = staff::StaffChange { display_name, role, password_hash, pin_tag, active: b.active };
    let store_id = a.store_id.clone();
    let (dto, ended) = st.writer.write(move |ctx| staff::update(ctx, &a.store_id, id, &change, &a.who())).await?;
    if ended {
        // Earlier tokens answer 401 from now on, and the dashboards they opened close.
        // (The write job found them in the caller's store.)
        let account = db::read(&st.pool, move |c| Ok(db::stores::account(c, UserType::Admin, id)?)).await?;
        st.accounts.set(UserType::Admin, id, account);
        st.fanout.cut_admin(&store_id, id);
    }
    Ok(axum::Json(dto))
}

// ---- terminals ------------------------------------------------------------------------------

/// The store's shared terminals (never their tokens).
#[utoipa::path(get, path = "/api/v1/admin/terminals", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = Vec<staff::TerminalDto>), (status = 403)))]
async fn list_terminals(a: AdminUser, State(st): State<AppState>) -> AppResult<axum::Json<Vec<staff::TerminalDto>>> {
    Ok(axum::Json(db::read(&st.pool, move |c| staff::terminals(c, &a.store_id)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTerminal {
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct TerminalCreated {
    id: i64,
    name: String,
    /// Shown once: the browser keeps it; the box keeps only its hash.
    terminal_token: String,
}

/// Makes the calling browser (the counter PC, the kitchen tablet) a shared terminal on
/// which staff switch person with their PIN.
#[utoipa::path(post, path = "/api/v1/admin/terminals", tag = "staff", security(("bearer" = [])), request_body = NewTerminal,
    responses((status = 201, body = TerminalCreated), (status = 403), (status = 422)))]
async fn create_terminal(
    a: AdminUser,
    State(st): State<AppState>,
    Json(b): Json<NewTerminal>,
) -> AppResult<(StatusCode, axum::Json<TerminalCreated>)> {
    let name = domain::terminal_name(&b.name)?;
    let token = format!("toterm_{}", crate::crypto::random_hex::<24>());
    let hash = crate::crypto::sha256_hex(&token);
    let t = st.writer.write(move |ctx| staff::create_terminal(ctx, &a.store_id, &name, &hash, &a.who())).await?;
    Ok((StatusCode::CREATED, axum::Json(TerminalCreated { id: t.id, name: t.name, terminal_token: token })))
}

/// Revokes a terminal: its token opens nothing any more.
#[utoipa::path(delete, path = "/api/v1/admin/terminals/{id}", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 403), (status = 404)))]
async fn revoke_terminal(a: AdminUser, State(st): State<AppState>, Path(id): Path<i64>) -> AppResult<StatusCode> {
    st.writer.write(move |ctx| staff::revoke_terminal(ctx, &a.store_id, id, &a.who())).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlocks a terminal locked by wrong PINs.
#[utoipa::path(post, path = "/api/v1/admin/terminals/{id}/unlock", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = staff::TerminalDto), (status = 403), (status = 404)))]
async fn unlock_terminal(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<staff::TerminalDto>> {
    Ok(axum::Json(st.writer.write(move |ctx| staff::unlock_terminal(ctx, &a.store_id, id, &a.who())).await?))
}

/// Logins refused right now: each account and address locked after ten wrong passwords in
/// a row, until when, and how many logins were refused since (the lock itself is also in
/// the audit trail as `login_locked`). A new password lifts an account's locks.
#[utoipa::path(get, path = "/api/v1/admin/login-locks", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = Vec<crate::lockout::LockView>), (status = 403)))]
async fn login_locks(a: AdminUser, State(st): State<AppState>) -> axum::Json<Vec<crate::lockout::LockView>> {
    axum::Json(st.limits.login_locks.list(&a.store_id, st.clock.now_ms()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinLogin {
    terminal_token: String,
    pin: String,
}

/// A staff member's PIN on a shared terminal: the same answer as the staff login, with a
/// 12 h token. 5 tries a minute per terminal; 10 wrong in a row lock the terminal until a
/// manager unlocks it (403 `locked`).
#[utoipa::path(post, path = "/api/v1/auth/pin", tag = "auth", request_body = PinLogin,
    responses((status = 200, body = super::auth::AdminToken), (status = 401), (status = 403), (status = 422), (status = 429)))]
async fn pin_login(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(b): Json<PinLogin>,
) -> AppResult<axum::Json<super::auth::AdminToken>> {
    if b.terminal_token.is_empty() || b.terminal_token.len() > 100 {
        return Err(AppError::PinRefused { terminal_known: false });
    }
    let pin = domain::pin("pin", &b.pin)?;
    let hash = crate::crypto::sha256_hex(&b.terminal_token);
    let terminal = {
        let hash = hash.clone();
        db::read(&st.pool, move |c| staff::terminal_id(c, &hash)).await?
    };
    // Wrong PINs wait, per terminal (5 a minute) and per address; right ones never do, so a
    // counter that switches person all evening is never slowed. The box's own login rate
    // bounds all of it.
    if let Some(tid) = terminal {
        st.limits.pin_failures.check(&tid)?;
    }
    st.limits.pin_failures_by_address.check(&peer.ip())?;
    if let Err(e) = st.limits.box_logins.check(&()) {
        st.metrics.logins_refused.get_or_create(&crate::metrics::KindLabel { kind: "box" }).inc();
        return Err(e);
    }
    let key = st.pin_key.clone();
    let tried = st.writer.write(move |ctx| staff::pin_try(ctx, &hash, |store| key.tag(store, &pin))).await?;
    if tried == staff::PinTry::Refused {
        if let Some(tid) = terminal {
            st.limits.pin_failures.fail(&tid);
        }
        st.limits.pin_failures_by_address.fail(&peer.ip());
    }
    match tried {
        staff::PinTry::Staff(id, tgen, role, name) => {
            let store_id = db::read(&st.pool, move |c| {
                Ok(c.query_row("SELECT store_id FROM admins WHERE id = ?1", [id], |r| r.get::<_, String>(0))?)
            })
            .await?;
            let claims = Claims::staff(&store_id, id, tgen, role, terminal, st.clock.now_ms() / 1000);
            super::auth::staff_token(&st, claims, name).await
        }
        staff::PinTry::Refused => {
            st.metrics.logins_failed.inc();
            Err(AppError::PinRefused { terminal_known: terminal.is_some() })
        }
        staff::PinTry::Locked => Err(AppError::Locked(
            "this terminal is locked after too many wrong PINs; a manager can unlock it on the Terminals page".into(),
        )),
    }
}

// ---- the audit trail ------------------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// First day (YYYY-MM-DD, the store's timezone).
    from: Option<String>,
    /// Last day (inclusive).
    to: Option<String>,
    /// One kind only (`order_cancelled`, `price_changed`, …).
    kind: Option<String>,
    /// One person's actions or approvals only.
    staff_id: Option<i64>,
    /// At most this many rows (1–1000, default 200).
    limit: Option<i64>,
}

/// The audit trail, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "staff", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = Vec<crate::wire::AuditEntry>), (status = 403), (status = 422)))]
async fn list_audit(
    a: AdminUser,
    State(st): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> AppResult<axum::Json<Vec<crate::wire::AuditEntry>>> {
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::validation("limit", "must be from 1 to 1000"));
    }
    if let Some(k) = &q.kind
        && !audit::KINDS.contains(&k.as_str())
    {
        return Err(AppError::validation("kind", "is not a kind of the audit trail"));
    }
    Ok(axum::Json(
        db::read(&st.pool, move |c| {
            let tz = db::stores::timezone(c, &a.store_id)?;
            let (from_ms, to_ms) = super::orders::day_range(&tz, q.from.as_deref(), q.to.as_deref())?;
            let f = audit::Filter { from_ms, to_ms, kind: q.kind, staff_id: q.staff_id, limit };
            audit::list(c, &a.store_id, &f)
        })
        .await?,
    ))
}

// ---- settings -------------------------------------------------------------------------------

/// The store's settings.
#[utoipa::path(get, path = "/api/v1/admin/settings", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = StoreSettings)))]
async fn get_settings(a: AdminUser, State(st): State<AppState>) -> AppResult<axum::Json<StoreSettings>> {
    Ok(axum::Json(db::read(&st.pool, move |c| db::stores::settings(c, &a.store_id)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    ask_guests: Option<bool>,
    checkout: Option<String>,
    end_when_paid: Option<bool>,
    day_cutoff_hour: Option<i64>,
    pin_idle_minutes: Option<i64>,
}

/// Changes any of the store's settings.
#[utoipa::path(patch, path = "/api/v1/admin/settings", tag = "staff", security(("bearer" = [])), request_body = SettingsPatch,
    responses((status = 200, body = StoreSettings), (status = 403), (status = 422)))]
async fn update_settings(
    a: AdminUser,
    State(st): State<AppState>,
    Json(b): Json<SettingsPatch>,
) -> AppResult<axum::Json<StoreSettings>> {
    Ok(axum::Json(
        st.writer
            .write(move |ctx| {
                let mut s = db::stores::settings(ctx.conn, &a.store_id)?;
                if let Some(v) = b.ask_guests {
                    s.ask_guests = v;
                }
                if let Some(v) = b.checkout {
                    s.checkout = v;
                }
                if let Some(v) = b.end_when_paid {
                    s.end_when_paid = v;
                }
                if let Some(v) = b.day_cutoff_hour {
                    s.day_cutoff_hour = v;
                }
                if let Some(v) = b.pin_idle_minutes {
                    s.pin_idle_minutes = v;
                }
                s.check()?;
                let before = db::stores::settings(ctx.conn, &a.store_id)?;
                db::stores::set_settings(ctx.conn, &a.store_id, &s)?;
                if before != s {
                    let mut e = audit::Audit::by("settings_changed", &a.who(), None);
                    e.detail = serde_json::json!({ "before": before, "after": s });
                    audit::record(ctx, &a.store_id, e)?;
                }
                // Tablets read `ask_guests` with the menu: it changes with it.
                db::menu::changed(ctx, &a.store_id, serde_json::json!({ "change": "settings_changed" }))?;
                Ok(s)
            })
            .await?,
    ))
}
