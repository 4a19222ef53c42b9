//! One error type for the whole HTTP surface. Every variant maps to a stable
//! `code` and status (API.md, "Errors"); internal details are logged, never returned.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400 `bad_request`: the request cannot be read (malformed JSON, bad query).
    #[error("{0}")]
    BadRequest(String),
    /// 422 `validation_failed`: readable, but fields break the rules.
    #[error("validation failed")]
    Validation(BTreeMap<String, String>),
    /// 401 `unauthorized`: no token, or a token that is invalid or expired.
    #[error("{0}")]
    Unauthorized(String),
    /// 403 `forbidden`: a valid token of the wrong kind.
    #[error("{0}")]
    Forbidden(String),
    /// 403 `forbidden` with `"approval": "required" | "wrong_pin"`: a server's action that
    /// needs a manager's approval PIN came without one, or with one that is no manager's.
    #[error("{what} needs a manager's approval PIN (approval_pin){}", if *.wrong_pin { ": the one given is not an active manager's or owner's" } else { "" })]
    Approval { what: String, wrong_pin: bool },
    /// 401 `unauthorized` with `"terminal_known"`: a PIN login refused (a wrong PIN, or a
    /// terminal token that is unknown or revoked: then the browser should forget it).
    #[error("{}", if *.terminal_known { "wrong PIN" } else { "this browser is not a terminal (unknown or revoked)" })]
    PinRefused { terminal_known: bool },
    /// 403 `locked`: locked until someone unlocks it (a shared terminal after wrong PINs).
    #[error("{0}")]
    Locked(String),
    /// 404 `not_found`: missing, or belonging to another store.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 405 `method_not_allowed`: the endpoint exists, the method does not.
    #[error("method not allowed for this endpoint")]
    MethodNotAllowed,
    /// 409 `conflict`: the change clashes with current state.
    #[error("{0}")]
    Conflict(String),
    /// 409 `limit_reached`: a tenant or connection limit is full.
    #[error("limit {limit} of {value} reached")]
    LimitReached { limit: &'static str, value: u64 },
    /// 409 `unpaid_balance`: ending a visit whose check is not paid (with `balance`).
    #[error("the check still has {balance} to pay; take the payment, or end it by force with a reason")]
    UnpaidBalance { balance: i64 },
    /// 409 `open_sessions`: closing the day while tables are open (with their `tables`).
    #[error("tables {tables:?} are still open; end their visits, or close by force")]
    OpenSessions { tables: Vec<i64> },
    /// 409 `invalid_transition`: an order status change the state machine forbids.
    #[error("cannot change an order from {from} to {to}")]
    InvalidTransition { from: String, to: String },
    /// 409 `item_unavailable`: the order names sold-out or missing items (`menu_item_ids`)
    /// or sold-out options (`option_ids`).
    #[error("{message}")]
    ItemUnavailable { message: String, ids: Vec<i64>, option_ids: Vec<i64> },
    /// 422 with the refusal's own code (`bad_signature`, `wrong_target`, `not_newer`): a
    /// release the box will not install.
    #[error("{message}")]
    UpdateRefused { code: &'static str, message: String },
    /// 413 `payload_too_large`.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415 `unsupported_media_type`.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429 `too_many_requests`, with `Retry-After` seconds.
    #[error("too many requests, retry in {retry_after_s} s")]
    TooManyRequests { retry_after_s: u64 },
    /// 507 `insufficient_storage`: not enough free disk for what was asked (a backup).
    #[error("{0}")]
    InsufficientStorage(String),
    /// 503 `unavailable`: the server is shutting down or the database is unusable.
    #[error("{0}")]
    Unavailable(String),
    /// 500 `internal`: logged with detail, answered with none.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn validation(field: &str, reason: impl Into<String>) -> Self {
        let mut m = BTreeMap::new();
        m.insert(field.to_string(), reason.into());
        AppError::Validation(m)
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Validation(_) | AppError::UpdateRefused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized(_) | AppError::PinRefused { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::Locked(_) | AppError::Approval { .. } => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_)
            | AppError::LimitReached { .. }
            | AppError::InvalidTransition { .. }
            | AppError::UnpaidBalance { .. }
            | AppError::OpenSessions { .. }
            | AppError::ItemUnavailable { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Validation(_) => "validation_failed",
            AppError::UpdateRefused { code, .. } => code,
            AppError::Unauthorized(_) | AppError::PinRefused { .. } => "unauthorized",
            AppError::Forbidden(_) | AppError::Approval { .. } => "forbidden",
            AppError::Locked(_) => "locked",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Conflict(_) => "conflict",
            AppError::LimitReached { .. } => "limit_reached",
            AppError::InvalidTransition { .. } => "invalid_transition",
            AppError::UnpaidBalance { .. } => "unpaid_balance",
            AppError::OpenSessions { .. } => "open_sessions",
            AppError::ItemUnavailable { .. } => "item_unavailable",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::InsufficientStorage(_) => "insufficient_storage",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// The JSON body of API.md: `{"error": {"code", "message", …extra}}`.
    pub fn body(&self) -> Value {
        let message = match self {
            AppError::Internal(_) => "internal server error".to_string(),
            AppError::Validation(fields) => {
                let list: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("validation failed: {}", list.join("; "))
            }
            other => other.to_string(),
        };
        let mut err = Map::new();
        err.insert("code".into(), json!(self.code()));
        err.insert("message".into(), json!(message));
        match self {
            AppError::Validation(fields) => {
                err.insert("fields".into(), json!(fields));
            }
            AppError::LimitReached { limit, value } => {
                err.insert("limit".into(), json!(limit));
                err.insert("value".into(), json!(value));
            }
            AppError::ItemUnavailable { ids, option_ids, .. } => {
                err.insert("menu_item_ids".into(), json!(ids));
                if !option_ids.is_empty() {
                    err.insert("option_ids".into(), json!(option_ids));
                }
            }
            AppError::TooManyRequests { retry_after_s } => {
                err.insert("retry_after_s".into(), json!(retry_after_s));
            }
            AppError::Approval { wrong_pin, .. } => {
                err.insert("approval".into(), json!(if *wrong_pin { "wrong_pin" } else { "required" }));
            }
            AppError::PinRefused { terminal_known } => {
                err.insert("terminal_known".into(), json!(terminal_known));
            }
            AppError::UnpaidBalance { balance } => {
                err.insert("balance".into(), json!(balance));
            }
            AppError::OpenSessions { tables } => {
                err.insert("tables".into(), json!(tables));
            }
            _ => {}
        }
        json!({ "error": err })
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(detail = %detail, "internal error");
        }
        let mut resp = (self.status(), Json(self.body())).into_response();
        if let AppError::TooManyRequests { retry_after_s } = &self {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s.max(&1).to_owned()));
        }
        resp
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && (f.code == rusqlite::ErrorCode::DatabaseBusy || f.code == rusqlite::ErrorCode::DatabaseLocked)
        {
            return AppError::Unavailable("database busy, try again".into());
        }
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            match f.code {
                rusqlite::ErrorCode::DiskFull => {
                    tracing::error!("the disk is full: writes fail until space is freed");
                    return AppError::Unavailable("the box's storage is full, try again later".into());
                }
                rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::CannotOpen => {
                    tracing::error!(error = %e, "storage error");
                    return AppError::Unavailable("storage error, try again".into());
                }
                _ => {}
            }
        }
        AppError::Internal(format!("database: {e}"))
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::Unavailable(format!("database pool exhausted: {e}"))
    }
}

/// True when `e` is a UNIQUE/PRIMARY KEY constraint violation; `on_constraint`
/// turns those into 409 at one place instead of pre-checking in handlers.
pub fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

/// Maps a unique-constraint failure to a 409 with `message`; anything else stays a database error.
pub fn on_constraint(e: rusqlite::Error, message: &str) -> AppError {
    if is_unique_violation(&e) { AppError::Conflict(message.to_string()) } else { e.into() }
}
