//! Extractors whose rejections speak the JSON error model of API.md, and the callers:
//! a handler gets the caller's `store_id` only from [`AdminUser`] or [`TableUser`], so it
//! cannot forget to scope a query by store.

use crate::auth::{Claims, UserType};
use crate::domain::{Access, Role};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
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

/// The bearer token of a request: the `Authorization` header or, where `query_too` (event
/// streams and download links: browsers cannot set headers there), `?token=`.
pub fn bearer(parts: &Parts, query_too: bool) -> Option<String> {
    if let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let v = h.to_str().ok()?;
        let (scheme, token) = v.split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(token.trim().to_string());
        }
        return None;
    }
    if query_too {
        let q = parts.uri.query()?;
        for pair in q.split('&') {
            if let Some(v) = pair.strip_prefix("token=") {
                return Some(v.to_string());
            }
        }
    }
    None
}

fn claims(parts: &Parts, state: &AppState) -> Result<Claims, AppError> {
    // Browsers' EventSource cannot set headers: event streams take `?token=`.
    let token = bearer(parts, parts.uri.path().ends_with("/events"))
        .ok_or_else(|| AppError::Unauthorized("missing bearer token".into()))?;
    let c = state.keys.verify(&token, state.clock.now_ms() / 1000)?;
    if c.device {
        return Err(AppError::Unauthorized("a device key only renews a table's login".into()));
    }
    Ok(c)
}

/// A logged-in staff member of `store_id`.
#[derive(Debug, Clone)]
pub struct AdminUser {
    pub store_id: String,
    pub admin_id: i64,
    /// The box owner may act on the whole box (backups hold every store).
    pub box_owner: bool,
    /// The staff member's role as it is now (a change of role ends older tokens anyway).
    pub role: Role,
    /// The name shown for them (display name, or username).
    pub name: String,
    /// A PIN login: the shared terminal it was made on.
    pub terminal_id: Option<i64>,
}

impl AdminUser {
    /// Who acts, as the audit trail records it.
    pub fn who(&self) -> crate::db::audit::Who {
        crate::db::audit::Who { staff_id: self.admin_id, name: self.name.clone() }
    }
}

/// A logged-in table tablet of `store_id`.
#[derive(Debug, Clone)]
pub struct TableUser {
    pub store_id: String,
    pub table_id: i64,
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let c = claims(parts, state)?;
        match (c.user_type, c.admin_id) {
            (UserType::Admin, Some(admin_id)) => {
                let acc = state.accounts.check(&state.pool, UserType::Admin, admin_id, &c.store_id, c.tgen).await?;
                // Accounts made before roles existed are owners.
                let role = acc.role.unwrap_or(Role::Owner);
                // What this route needs (http/roles.rs); a route not listed needs an owner.
                let route = parts.extensions.get::<MatchedPath>().map(|p| p.as_str()).unwrap_or("");
                let needs = super::roles::required(parts.method.as_str(), route).unwrap_or(Access::Owner);
                if !role.may(needs) {
                    return Err(AppError::Forbidden(format!("a {} may not do this", role.as_str())));
                }
                Ok(AdminUser {
                    store_id: c.store_id,
                    admin_id,
                    box_owner: acc.box_owner,
                    role,
                    name: acc.name,
                    terminal_id: c.terminal_id,
                })
            }
            (UserType::Admin, None) => Err(AppError::Unauthorized("invalid token".into())),
            _ => Err(AppError::Forbidden("this needs a staff login".into())),
        }
    }
}

impl FromRequestParts<AppState> for TableUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let c = claims(parts, state)?;
        match (c.user_type, c.table_id) {
            (UserType::Table, Some(table_id)) => {
                state.accounts.check(&state.pool, UserType::Table, table_id, &c.store_id, c.tgen).await?;
                Ok(TableUser { store_id: c.store_id, table_id })
            }
            (UserType::Table, None) => Err(AppError::Unauthorized("invalid token".into())),
            _ => Err(AppError::Forbidden("this needs a table login".into())),
        }
    }
}

/// The tag of a manager's approval PIN given with a request (`approval_pin`), checked by the
/// write job ([`crate::db::flows::Staff::approved`]). An address that gave too many wrong
/// PINs lately waits (429): guessing a PIN here is as slow as on a terminal.
pub fn approval_tag(
    st: &AppState,
    a: &AdminUser,
    peer: std::net::SocketAddr,
    pin: Option<&str>,
) -> AppResult<Option<String>> {
    let Some(pin) = pin else { return Ok(None) };
    crate::domain::pin("approval_pin", pin)?;
    st.limits.pin_failures_by_address.check(&peer.ip())?;
    Ok(Some(st.pin_key.tag(&a.store_id, pin)))
}

/// Counts a wrong approval PIN against the address that gave it.
pub fn approval_outcome<T>(st: &AppState, peer: std::net::SocketAddr, r: AppResult<T>) -> AppResult<T> {
    if let Err(AppError::Approval { wrong_pin: true, .. }) = &r {
        st.limits.pin_failures_by_address.fail(&peer.ip());
        st.metrics.logins_failed.inc();
    }
    r
}
