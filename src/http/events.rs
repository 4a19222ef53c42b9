//! Event stream endpoints (Server-Sent Events).

use crate::error::AppResult;
use crate::events::{Audience, sse};
use crate::http::extract::Query;
use crate::http::extract::{AdminUser, TableUser};
use crate::serve::Conn;
use crate::state::AppState;
use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(staff_events)).routes(routes!(table_events))
}

/// One Server-Sent Event as a client reads it off the stream: its id, its type and its
/// data (a JSON document as text). The first is always `hello`; see the API notes for the
/// payload of each type.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SseEvent {
    /// The event id (what `Last-Event-ID` resumes after); absent on `resync`.
    id: Option<String>,
    /// `hello`, `resync` or a change such as `order_created`.
    event: String,
    /// The payload, JSON text.
    data: String,
    /// Suggested reconnect delay in milliseconds.
    retry: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct StreamQuery {
    /// The token, for clients that cannot send headers (EventSource).
    #[allow(dead_code)]
    token: Option<String>,
    /// Resume after this event id (like the `Last-Event-ID` header).
    last_event_id: Option<String>,
}

/// The whole store's events: `order_created`, `order_updated`, `order_cancelled`,
/// `session_ended`, `call_created`, `call_acked`, `menu_changed`, `table_changed`.
#[utoipa::path(get, path = "/api/v1/admin/events", tag = "events", security(("bearer" = [])), params(StreamQuery),
    responses((status = 200, content_type = "text/event-stream", body = SseEvent), (status = 409, description = "limit_reached")))]
async fn staff_events(
    a: AdminUser,
    State(st): State<AppState>,
    conn: Option<Extension<Conn>>,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> AppResult<Response> {
    let from = sse::last_event_id(&headers, q.last_event_id.as_deref())?;
    let kitchen = a.role == crate::domain::Role::Kitchen;
    let who = sse::Who { store_id: a.store_id, audience: Audience::Staff, admin_id: Some(a.admin_id), kitchen };
    sse::open(&st.fanout, &st.pool, st.shutdown.clone(), who, from, conn.map(|c| c.0)).await
}

/// One table's events: its own orders, session end and acknowledged calls, plus `menu_changed`.
/// A second stream of the same table replaces the first.
#[utoipa::path(get, path = "/api/v1/events", tag = "table", security(("bearer" = [])), params(StreamQuery),
    responses((status = 200, content_type = "text/event-stream", body = SseEvent), (status = 409, description = "limit_reached")))]
async fn table_events(
    t: TableUser,
    State(st): State<AppState>,
    conn: Option<Extension<Conn>>,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> AppResult<Response> {
    let from = sse::last_event_id(&headers, q.last_event_id.as_deref())?;
    let who = sse::Who { store_id: t.store_id, audience: Audience::Table(t.table_id), admin_id: None, kitchen: false };
    sse::open(&st.fanout, &st.pool, st.shutdown.clone(), who, from, conn.map(|c| c.0)).await
}
