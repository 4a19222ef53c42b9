//! Extractors whose rejections speak the JSON error model of API.md.

use crate::error::AppError;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;

/// `Json<T>` with API errors: 400 for unreadable JSON, 422 naming the field for wrong data,
/// 413 for an oversized body.
pub struct Json<T>(pub T);

fn json_error(r: JsonRejection) -> AppError {
    let text = r.body_text();
    match r {
        JsonRejection::JsonDataError(_) => {
            // e.g. "Failed to deserialize the JSON body into the target type: items[0].quantity: invalid type: …"
            let detail = text.split_once(": ").map(|(_, d)| d).unwrap_or(&text).to_string();
            let (field, reason) = match detail.split_once(": ") {
                Some((path, reason)) if !path.contains(' ') => (path.to_string(), reason.to_string()),
                _ => match detail.find("missing field `") {
                    Some(i) => {
                        let rest = &detail[i + 15..];
                        (rest.split('`').next().unwrap_or("body").to_string(), "is required".to_string())
                    }
                    None => ("body".to_string(), detail.clone()),
                },
            };
            let reason = reason.split(" at line ").next().unwrap_or(&reason).to_string();
            AppError::validation(&field, reason)
        }
        JsonRejection::MissingJsonContentType(_) => {
            AppError::BadRequest("expected a JSON body with Content-Type: application/json".into())
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::PayloadTooLarge("request body too large".into())
        }
        _ => AppError::BadRequest(format!("malformed JSON: {}", text.split(" at line ").next().unwrap_or(&text))),
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        axum::Json::<T>::from_request(req, state).await.map(|j| Json(j.0)).map_err(json_error)
    }
}

/// The raw body, with 413 for an oversized one.
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        Bytes::from_request(req, state).await.map(Body).map_err(|r: BytesRejection| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge("body too large".into())
            } else {
                AppError::BadRequest(r.body_text())
            }
        })
    }
}

/// Path parameters; a malformed id answers 400.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|r: PathRejection| AppError::BadRequest(format!("bad path: {}", r.body_text())))
    }
}

/// Query parameters; malformed ones answer 400.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|r: QueryRejection| AppError::BadRequest(format!("bad query: {}", r.body_text())))
    }
}

/// For `#[serde(default, deserialize_with = "double_option")]`: a field that may be absent
/// (`None`: leave as is), `null` (`Some(None)`: clear it) or a value (`Some(Some(v))`).
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}
