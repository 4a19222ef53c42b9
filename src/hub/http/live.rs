//! `GET /hub/v1/events`: the HQ live feed, resumable with `Last-Event-ID` on any process.

use crate::error::{AppError, AppResult};
use crate::http::extract::Query;
use crate::hub::HubState;
use crate::hub::auth::HqUser;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

pub fn router() -> Router<HubState> {
    Router::new().route("/hub/v1/events", get(events))
}

#[derive(Deserialize)]
struct EventsQuery {
    last_event_id: Option<String>,
}

async fn events(
    _hq: HqUser,
    State(st): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> AppResult<Response> {
    let raw = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_string).or(q.last_event_id);
    let resume = match raw.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(s.parse::<i64>().map_err(|_| AppError::BadRequest("Last-Event-ID must be a number".into()))?),
    };
    Ok(crate::hub::live::stream(st, resume))
}
