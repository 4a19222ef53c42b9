//! Staff calls: a table asks for staff, staff acknowledge.

use crate::db::{self, calls::CallDto};
use crate::error::{AppError, AppResult};
use crate::http::extract::{AdminUser, TableUser};
use crate::http::extract::{Body, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, open_calls))
        .routes(routes!(bill_request))
        .routes(routes!(list))
        .routes(routes!(ack))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NewCall {
    /// What the table needs (water, the bill, …), at most 200 characters.
    reason: Option<String>,
}

/// Calls staff to the table. While a call is still open, calling again answers 200 with it.
#[utoipa::path(post, path = "/api/v1/calls", tag = "table", security(("bearer" = [])), request_body = NewCall,
    responses((status = 201, body = CallDto), (status = 200, body = CallDto), (status = 422)))]
async fn create(
    t: TableUser,
    State(st): State<AppState>,
    Body(body): Body,
) -> AppResult<(StatusCode, axum::Json<CallDto>)> {
    // The body is optional: an empty one is a call without a reason.
    let call: NewCall = if body.iter().all(u8::is_ascii_whitespace) {
        NewCall::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => AppError::validation("reason", e.to_string()),
            _ => AppError::BadRequest(format!("malformed JSON: {e}")),
        })?
    };
    let reason = call.reason.unwrap_or_default();
    let reason = reason.trim().to_string();
    if reason.chars().count() > 200 {
        return Err(AppError::validation("reason", "must be at most 200 characters"));
    }
    crate::domain::shown_text("reason", &reason, false)?;
    let (call, created) = st.writer.write(move |ctx| db::calls::create(ctx, &t.store_id, t.table_id, &reason)).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, axum::Json(call)))
}

/// The guest asks for the bill (계산 요청): a call with reason `bill`, which the dashboard
/// shows as such. Asking again while it is open answers 200 with it.
#[utoipa::path(post, path = "/api/v1/bill-request", tag = "table", security(("bearer" = [])),
    responses((status = 201, body = CallDto), (status = 200, body = CallDto)))]
async fn bill_request(t: TableUser, State(st): State<AppState>) -> AppResult<(StatusCode, axum::Json<CallDto>)> {
    let (call, created) = st.writer.write(move |ctx| db::calls::request_bill(ctx, &t.store_id, t.table_id)).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, axum::Json(call)))
}

#[derive(Serialize, ToSchema)]
pub struct TableCalls {
    /// The table's open (not yet acknowledged) calls, newest first.
    calls: Vec<CallDto>,
}

/// The calling table's open calls, so that a reloaded tablet still shows that it called.
#[utoipa::path(get, path = "/api/v1/calls", tag = "table", security(("bearer" = [])),
    responses((status = 200, body = TableCalls)))]
async fn open_calls(t: TableUser, State(st): State<AppState>) -> AppResult<axum::Json<TableCalls>> {
    let calls = db::read(&st.pool, move |c| {
        crate::db::tables::live_number(c, &t.store_id, t.table_id)?;
        db::calls::open_for_table(c, &t.store_id, t.table_id)
    })
    .await?;
    Ok(axum::Json(TableCalls { calls }))
}

#[derive(Deserialize, IntoParams)]
pub struct CallsQuery {
    /// Only calls not yet acknowledged.
    open: Option<bool>,
}

/// Staff calls, newest first.
#[utoipa::path(get, path = "/api/v1/admin/calls", tag = "calls", security(("bearer" = [])), params(CallsQuery),
    responses((status = 200, body = Vec<CallDto>)))]
async fn list(
    a: AdminUser,
    State(st): State<AppState>,
    Query(q): Query<CallsQuery>,
) -> AppResult<axum::Json<Vec<CallDto>>> {
    let open = q.open.unwrap_or(false);
    Ok(axum::Json(db::read(&st.pool, move |c| db::calls::list(c, &a.store_id, open)).await?))
}

/// Acknowledges a call.
#[utoipa::path(post, path = "/api/v1/admin/calls/{id}/ack", tag = "calls", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = CallDto), (status = 404)))]
async fn ack(a: AdminUser, State(st): State<AppState>, Path(id): Path<i64>) -> AppResult<axum::Json<CallDto>> {
    Ok(axum::Json(st.writer.write(move |ctx| db::calls::ack(ctx, &a.store_id, id)).await?))
}
