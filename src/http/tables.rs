//! Staff: tables, their passwords and sessions.

use crate::auth::{Account, UserType};
use crate::db::flows::Forced;
use crate::db::{
    self,
    tables::{EndedSession, SessionSummary, TableDto},
};
use crate::domain;
use crate::error::{AppError, AppResult};
use crate::http::extract::AdminUser;
use crate::http::extract::{Body, Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
        .routes(routes!(end_session))
        .routes(routes!(move_table))
        .routes(routes!(merge_tables))
        .routes(routes!(update_session))
}

/// Every table with its open session, if any.
#[utoipa::path(get, path = "/api/v1/admin/tables", tag = "tables", security(("bearer" = [])),
    responses((status = 200, body = Vec<TableDto>)))]
async fn list(a: AdminUser, State(st): State<AppState>) -> AppResult<axum::Json<Vec<TableDto>>> {
    Ok(axum::Json(db::read(&st.pool, move |c| Ok(db::tables::list(c, &a.store_id)?)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTable {
    number: i64,
    password: String,
}

/// Adds a table (409 `limit_reached` at the store's table limit).
#[utoipa::path(post, path = "/api/v1/admin/tables", tag = "tables", security(("bearer" = [])), request_body = NewTable,
    responses((status = 201, body = TableDto), (status = 409), (status = 422)))]
async fn create(
    a: AdminUser,
    State(st): State<AppState>,
    Json(req): Json<NewTable>,
) -> AppResult<(StatusCode, axum::Json<TableDto>)> {
    let number = domain::table_number(req.number)?;
    let password = domain::password("password", &req.password)?;
    let hash = st.hasher.hash(password).await?;
    let max = st.config.limits.max_tables;
    let t = st.writer.write(move |ctx| db::tables::create(ctx, &a.store_id, number, &hash, max)).await?;
    Ok((StatusCode::CREATED, axum::Json(t)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TablePatch {
    password: String,
}

/// Sets or resets a table's password (also lifts a login lockout).
#[utoipa::path(patch, path = "/api/v1/admin/tables/{id}", tag = "tables", security(("bearer" = [])), request_body = TablePatch,
    params(("id" = i64, Path)), responses((status = 200, body = TableDto), (status = 404), (status = 422)))]
async fn update(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(req): Json<TablePatch>,
) -> AppResult<axum::Json<TableDto>> {
    let password = domain::password("password", &req.password)?;
    let hash = st.hasher.hash(password).await?;
    let store = a.store_id.clone();
    let (t, tgen) = st.writer.write(move |ctx| db::tables::set_password(ctx, &store, id, &hash)).await?;
    // Tokens issued before stop working now; the tablet's open stream ends with them.
    let account =
        Account { store_id: a.store_id.clone(), tgen, box_owner: false, role: None, name: t.number.to_string() };
    st.accounts.set(UserType::Table, id, Some(account));
    st.fanout.cut_table(&a.store_id, id);
    Ok(axum::Json(t))
}

/// Removes a table (409 while a session is open). Its history is kept.
#[utoipa::path(delete, path = "/api/v1/admin/tables/{id}", tag = "tables", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404), (status = 409)))]
async fn delete(a: AdminUser, State(st): State<AppState>, Path(id): Path<i64>) -> AppResult<StatusCode> {
    let store = a.store_id.clone();
    st.writer.write(move |ctx| db::tables::delete(ctx, &store, id)).await?;
    st.accounts.set(UserType::Table, id, None);
    st.fanout.cut_table(&a.store_id, id);
    Ok(StatusCode::NO_CONTENT)
}

/// The optional body of ending a visit: with the store's `checkout` on, a manager ends a
/// visit whose check is not paid only by force, with a reason (audited).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct EndSessionBody {
    #[serde(default)]
    force: bool,
    reason: Option<String>,
}

/// Ends the table's session ("이용 완료"): its orders move to history. With the store's
/// `checkout` on, a check with a balance answers 409 `unpaid_balance` unless a manager
/// sends `{"force": true, "reason"}`.
#[utoipa::path(post, path = "/api/v1/admin/tables/{id}/end-session", tag = "tables", security(("bearer" = [])),
    request_body(content = EndSessionBody, description = "optional"),
    params(("id" = i64, Path)), responses((status = 200, body = EndedSession), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn end_session(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body,
) -> AppResult<axum::Json<EndedSession>> {
    let b: EndSessionBody = if body.iter().all(u8::is_ascii_whitespace) {
        EndSessionBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))?
    };
    let reason = match (b.force, b.reason.as_deref()) {
        (false, _) => None,
        (true, Some(r)) => Some(domain::reason(r)?),
        (true, None) => return Err(AppError::validation("reason", "is required to end a visit by force")),
    };
    Ok(axum::Json(
        st.writer
            .write(move |ctx| {
                let who = a.who();
                let forced = reason.as_deref().map(|r| Forced { who: &who, role: a.role, reason: r });
                db::flows::end_session(ctx, &a.store_id, id, forced.as_ref())
            })
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    to_table_id: i64,
}

/// A party changes tables (이동): its session, orders and open calls go to a free table;
/// both tablets learn it (`session_moved`). 409 when the target has guests (merge instead).
#[utoipa::path(post, path = "/api/v1/admin/tables/{id}/move", tag = "tables", security(("bearer" = [])), request_body = MoveBody,
    params(("id" = i64, Path)), responses((status = 200, body = SessionSummary), (status = 404), (status = 409), (status = 422)))]
async fn move_table(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<MoveBody>,
) -> AppResult<axum::Json<SessionSummary>> {
    Ok(axum::Json(
        st.writer.write(move |ctx| db::flows::move_table(ctx, &a.store_id, id, b.to_table_id, &a.who())).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    into_table_id: i64,
}

/// Two parties join (합석): this table's orders, calls, payments and adjustments join the
/// other table's session; this table is free. 409 when either has no open session.
#[utoipa::path(post, path = "/api/v1/admin/tables/{id}/merge", tag = "tables", security(("bearer" = [])), request_body = MergeBody,
    params(("id" = i64, Path)), responses((status = 200, body = SessionSummary), (status = 404), (status = 409), (status = 422)))]
async fn merge_tables(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<MergeBody>,
) -> AppResult<axum::Json<SessionSummary>> {
    Ok(axum::Json(
        st.writer.write(move |ctx| db::flows::merge_tables(ctx, &a.store_id, id, b.into_table_id, &a.who())).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionPatch {
    /// Guests at the table (인원), 1–99.
    guests: i64,
}

/// Sets an open session's number of guests.
#[utoipa::path(patch, path = "/api/v1/admin/sessions/{id}", tag = "tables", security(("bearer" = [])), request_body = SessionPatch,
    params(("id" = i64, Path)), responses((status = 200, body = SessionSummary), (status = 404), (status = 422)))]
async fn update_session(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<SessionPatch>,
) -> AppResult<axum::Json<SessionSummary>> {
    let guests = domain::guests("guests", b.guests)?;
    Ok(axum::Json(st.writer.write(move |ctx| db::flows::set_guests(ctx, &a.store_id, id, guests)).await?))
}
