//! The hub's HTTP surface, one router per feature like the box's `http/`: ingest and
//! backfill for boxes, login, reports and the live feed for HQ, health, and the `/hq` page.

mod auth;
mod ingest;
mod live;
mod reports;

use super::HubState;
use crate::error::AppError;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::time::Duration;

/// Largest request body (compressed); what it may inflate to is [`ingest::MAX_INFLATED`].
const MAX_BODY: usize = 4 * 1024 * 1024;

pub fn router(st: HubState) -> Router {
    Router::new()
        .merge(ingest::router())
        .merge(auth::router())
        .merge(reports::router())
        .merge(live::router())
        .route("/healthz", get(healthz))
        .route("/", get(|| async { axum::response::Redirect::to("/hq") }))
        .route("/hub/{*rest}", axum::routing::any(|| async { AppError::NotFound("endpoint") }))
        .fallback(web)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(st)
}

/// The HQ page and its files (only those: the box's pages are not served here).
async fn web(uri: axum::http::Uri) -> Response {
    if !crate::http::web::is_hq_file(uri.path()) {
        return AppError::NotFound("page").into_response();
    }
    crate::http::web::serve(uri).await
}

async fn healthz(State(st): State<HubState>) -> Response {
    let db_ok = match st.pool.get().await {
        Ok(c) => c.query_one("SELECT 1", &[]).await.is_ok(),
        Err(_) => false,
    };
    let redis = match &st.redis {
        None => "off",
        Some(c) => {
            let ping = async {
                let mut conn = c.get_multiplexed_async_connection().await.ok()?;
                redis::cmd("PING").query_async::<String>(&mut conn).await.ok()
            };
            match tokio::time::timeout(Duration::from_secs(2), ping).await {
                Ok(Some(_)) => "ok",
                _ => "error",
            }
        }
    };
    let ok = db_ok && redis != "error";
    let body = json!({
        "status": if ok { "ok" } else { "degraded" },
        "db": if db_ok { "ok" } else { "error" },
        "redis": redis,
        "version": crate::version::get(),
        "live_clients": st.live.clients(),
    });
    // Only a process without its database is out of service: without Redis it still takes
    // uploads and serves HQ (live feeds catch up from PostgreSQL), so a load balancer must
    // not take every process out while Redis restarts.
    (if db_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, axum::Json(body)).into_response()
}
