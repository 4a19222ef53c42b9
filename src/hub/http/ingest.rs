//! `POST /hub/v1/ingest` and `/hub/v1/backfill`: what boxes send (box tokens).

use crate::error::{AppError, AppResult};
use crate::hub::HubState;
use crate::hub::auth::BoxUser;
use crate::hub::ingest;
use crate::wire::{Acked, BackfillBody, IngestBody, Stored};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::routing::post;
use std::io::Read;

/// What a request body may inflate to.
pub const MAX_INFLATED: u64 = 32 * 1024 * 1024;

pub fn router() -> Router<HubState> {
    Router::new().route("/hub/v1/ingest", post(ingest_handler)).route("/hub/v1/backfill", post(backfill_handler))
}

/// The JSON body, inflated when sent with `Content-Encoding: gzip`.
fn json_body<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> AppResult<T> {
    let gz = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let raw;
    let bytes = if gz {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(body)
            .take(MAX_INFLATED)
            .read_to_end(&mut out)
            .map_err(|e| AppError::BadRequest(format!("bad gzip body: {e}")))?;
        raw = out;
        &raw[..]
    } else {
        body
    };
    serde_json::from_slice(bytes).map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))
}

async fn ingest_handler(
    b: BoxUser,
    State(st): State<HubState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<axum::Json<Acked>> {
    let req: IngestBody = json_body(&headers, &body)?;
    ingest::check(&b, &req)?;
    let done = ingest::ingest(&st, &b, &req).await?;
    if done.new_events > 0 {
        st.cache.bump().await;
        if let Some(h) = done.max_hub_id {
            st.live.notify(st.redis.as_ref(), h).await;
        }
    }
    Ok(axum::Json(Acked { acked: done.acked }))
}

async fn backfill_handler(
    b: BoxUser,
    State(st): State<HubState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<axum::Json<Stored>> {
    let req: BackfillBody = json_body(&headers, &body)?;
    let stored = ingest::backfill(&st, &b, req).await?;
    st.cache.bump().await;
    Ok(axum::Json(Stored { stored }))
}
