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
    Router::new()
        .route("/hub/v1/ingest", post(ingest_handler))
        .route("/hub/v1/backfill", post(backfill_handler))
        .route("/hub/v1/releases/{version}/{target}", axum::routing::get(release_binary))
        .route("/hub/v1/releases/{version}/{target}/signature", axum::routing::get(release_signature))
}

/// The binary of a release assigned to this box.
async fn release_binary(
    _b: BoxUser,
    State(st): State<HubState>,
    axum::extract::Path((version, target)): axum::extract::Path<(String, String)>,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let (_, body) =
        crate::hub::releases::fetch(&st.pool, &version, &target).await?.ok_or(AppError::NotFound("release"))?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response())
}

/// Its minisign signature.
async fn release_signature(
    _b: BoxUser,
    State(st): State<HubState>,
    axum::extract::Path((version, target)): axum::extract::Path<(String, String)>,
) -> AppResult<String> {
    let (sig, _) =
        crate::hub::releases::fetch(&st.pool, &version, &target).await?.ok_or(AppError::NotFound("release"))?;
    Ok(sig)
}

/// The JSON body, inflated when sent with `Content-Encoding: gzip`: inflated and parsed
/// as a stream (never more than [`MAX_INFLATED`] read, no inflated copy kept), on the
/// blocking threads, a few bodies at a time, so that a flood of gzip bombs neither stalls
/// the async workers nor takes more than a few buffers of memory.
async fn json_body<T>(st: &HubState, headers: &HeaderMap, body: Bytes) -> AppResult<T>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    let gz = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let turn = st.inflating.clone().acquire_owned().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || {
        let parsed = if gz {
            let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(&body[..]).take(MAX_INFLATED));
            serde_json::from_reader(reader).map_err(|e| {
                if e.is_io() {
                    AppError::BadRequest(format!("bad gzip body: {e}"))
                } else {
                    AppError::BadRequest(format!("malformed JSON: {e}"))
                }
            })
        } else {
            serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))
        };
        drop(turn);
        parsed
    })
    .await
    .map_err(AppError::internal)?
}

async fn ingest_handler(
    b: BoxUser,
    State(st): State<HubState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<axum::Json<Acked>> {
    let req: IngestBody = json_body(&st, &headers, body).await?;
    ingest::check(&req)?;
    let done = ingest::ingest(&st, &b, &req).await?;
    let (release, release_changed) = match &req.release {
        Some(r) => crate::hub::releases::report(&st.pool, b.id, r).await?,
        None => (None, false),
    };
    if release_changed && done.new_events == 0 {
        st.cache.bump().await;
    }
    if done.new_events > 0 {
        st.cache.bump().await;
        if let Some(h) = done.max_hub_id {
            st.live.notify(st.redis.as_ref(), h).await;
        }
    }
    Ok(axum::Json(Acked { acked: done.acked, refused_stores: done.refused, release }))
}

async fn backfill_handler(
    b: BoxUser,
    State(st): State<HubState>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<axum::Json<Stored>> {
    let req: BackfillBody = json_body(&st, &headers, body).await?;
    let stored = ingest::backfill(&st, &b, req).await?;
    st.cache.bump().await;
    Ok(axum::Json(Stored { stored }))
}
