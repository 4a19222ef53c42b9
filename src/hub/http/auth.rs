//! `POST /hub/v1/auth/login`: an HQ user's login, rate-limited per address.

use crate::error::{AppError, AppResult};
use crate::http::extract::Json;
use crate::hub::HubState;
use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

pub fn router() -> Router<HubState> {
    Router::new().route("/hub/v1/auth/login", post(login))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct LoggedIn {
    token: String,
    expires_at: String,
    username: String,
}

async fn login(
    State(st): State<HubState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<Login>,
) -> AppResult<axum::Json<LoggedIn>> {
    if req.username.is_empty() || req.username.len() > 64 || req.password.len() > 128 {
        return Err(AppError::validation("username", "must be 1 to 64 characters"));
    }
    st.logins.check(&peer.ip()).map_err(|_| AppError::TooManyRequests { retry_after_s: 60 })?;
    let (token, exp) = crate::hub::auth::login(&st, &req.username, req.password).await?;
    Ok(axum::Json(LoggedIn { token, expires_at: crate::db::rfc3339(exp * 1000), username: req.username }))
}
