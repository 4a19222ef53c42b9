//! Setup QR codes: staff print one per table; a tablet that opens one is set up as that
//! table without anybody typing (or photographing) the table's password.

use crate::auth::Claims;
use crate::db;
use crate::domain::account::UserType;
use crate::error::{AppError, AppResult};
use crate::http::auth::{TableToken, login_allowed};
use crate::http::extract::AdminUser;
use crate::http::extract::{Body, Json};
use crate::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(mint)).routes(routes!(redeem)).routes(routes!(renew))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct MintRequest {
    /// The tables to make codes for (default: every table of the store).
    table_ids: Option<Vec<i64>>,
    /// The address tablets reach the box at, e.g. `http://192.168.0.10:8080` (default:
    /// `http://` and the request's `Host`).
    base_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SetupCode {
    table_id: i64,
    table_number: i64,
    /// `<base_url>/table#setup=<code>`: opening it sets a tablet up as this table. The
    /// code travels in the fragment, which browsers never send to a server or a log.
    url: String,
    /// The URL as a QR code (SVG markup, drawn on the box).
    svg: String,
}

#[derive(Serialize, ToSchema)]
pub struct SetupCodes {
    /// When the codes stop working (each works once before that).
    expires_at: String,
    /// The store's name, for the printed sheet.
    store_name: String,
    codes: Vec<SetupCode>,
}

/// Makes setup codes with their QR codes: one per table, each usable once within an hour.
#[utoipa::path(post, path = "/api/v1/admin/tables/setup-codes", tag = "tables", security(("bearer" = [])),
    request_body = MintRequest, responses((status = 201, body = SetupCodes), (status = 404), (status = 422)))]
async fn mint(
    a: AdminUser,
    State(st): State<AppState>,
    headers: HeaderMap,
    Body(body): Body,
) -> AppResult<(StatusCode, axum::Json<SetupCodes>)> {
    let req: MintRequest = if body.iter().all(u8::is_ascii_whitespace) {
        MintRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => AppError::BadRequest(format!("invalid body: {e}")),
            _ => AppError::BadRequest(format!("malformed JSON: {e}")),
        })?
    };
    let base = match req.base_url {
        Some(b) => base_url(&b)?,
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
            base_url(&format!("http://{host}")).map_err(|_| AppError::validation("base_url", "is required"))?
        }
    };
    if req.table_ids.as_ref().is_some_and(|ids| ids.is_empty() || ids.len() > 1000) {
        return Err(AppError::validation("table_ids", "must list 1 to 1000 tables"));
    }
    let (minted, expires_at, store_name) = st
        .writer
        .write(move |ctx| {
            let (minted, expires_at) = db::setup_codes::mint(ctx, &a.store_id, req.table_ids.as_deref())?;
            Ok((minted, expires_at, db::stores::name(ctx.conn, &a.store_id)?))
        })
        .await?;
    let codes = minted
        .into_iter()
        .map(|m| {
            let url = format!("{base}/table#setup={}", m.code);
            Ok(SetupCode { table_id: m.table_id, table_number: m.table_number, svg: qr_svg(&url)?, url })
        })
        .collect::<AppResult<_>>()?;
    Ok((StatusCode::CREATED, axum::Json(SetupCodes { expires_at: db::rfc3339(expires_at), store_name, codes })))
}

/// `http(s)://host[:port]` and nothing else (no path, query, credentials or spaces).
fn base_url(v: &str) -> AppResult<String> {
    let bad = || AppError::validation("base_url", "must be like http://192.168.0.10:8080");
    let v = v.trim_end_matches('/');
    let rest = v.strip_prefix("http://").or_else(|| v.strip_prefix("https://")).ok_or_else(bad)?;
    let ok = !rest.is_empty()
        && v.len() <= 200
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if ok { Ok(v.to_string()) } else { Err(bad()) }
}

/// The URL as an SVG QR code: one module per unit, a 4-module quiet zone, dark runs of a
/// row drawn as one rectangle each (a few KB a code, so a sheet of 100 tables stays small).
fn qr_svg(url: &str) -> AppResult<String> {
    use std::fmt::Write;
    let code = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M).map_err(AppError::internal)?;
    let w = code.width();
    let colors = code.to_colors();
    let mut d = String::with_capacity(w * w);
    for y in 0..w {
        let row = &colors[y * w..(y + 1) * w];
        let mut x = 0;
        while x < w {
            if row[x] == qrcode::Color::Dark {
                let start = x;
                while x < w && row[x] == qrcode::Color::Dark {
                    x += 1;
                }
                let _ = write!(d, "M{} {}h{}v1h-{}z", start + 4, y + 4, x - start, x - start);
            } else {
                x += 1;
            }
        }
    }
    let side = w + 8;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{d}\"/></svg>"
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    /// The code from a setup QR code's URL.
    code: String,
}

/// Sets a tablet up from a setup code: answers exactly like a table login. 401 when the
/// code is unknown, used already or expired.
#[utoipa::path(post, path = "/api/v1/auth/table/setup", tag = "auth", request_body = RedeemRequest,
    responses((status = 200, body = TableToken), (status = 401), (status = 422), (status = 429)))]
async fn redeem(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<RedeemRequest>,
) -> AppResult<axum::Json<TableToken>> {
    let code = req.code.trim().to_ascii_lowercase();
    if code.is_empty() || code.len() > 64 {
        return Err(AppError::validation("code", "must be the code of a setup QR code"));
    }
    login_allowed(&st, &peer)?;
    let used = st.writer.write(move |ctx| db::setup_codes::redeem(ctx, &code)).await?;
    let Some(r) = used else {
        st.metrics.logins_failed.inc();
        return Err(AppError::Unauthorized("this setup code is unknown, used already or expired".into()));
    };
    table_login(&st, r.store_id, r.table_id, r.table_number, r.token_gen).await
}

/// A table's login with a fresh device key.
async fn table_login(
    st: &AppState,
    store_id: String,
    table_id: i64,
    table_number: i64,
    tgen: i64,
) -> AppResult<axum::Json<TableToken>> {
    let store = store_id.clone();
    let timezone =
        db::read(&st.pool, move |c| db::stores::timezone_name(c, &store)).await.unwrap_or_else(|_| "UTC".into());
    let now_s = st.clock.now_ms() / 1000;
    let claims = Claims::table(&store_id, table_id, tgen, now_s);
    Ok(axum::Json(TableToken {
        token: st.keys.issue(&claims)?,
        expires_at: db::rfc3339(claims.exp * 1000),
        device_key: Some(st.keys.issue(&Claims::device_key(&store_id, table_id, tgen, now_s))?),
        store_id,
        table_id,
        table_number,
        timezone,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewRequest {
    /// The device key a setup code (or the last renewal) gave the tablet.
    device_key: String,
}

/// Renews a QR-set-up tablet's login with its device key: a new login and a new device key,
/// so a tablet in daily use stays set up. 401 once the table's password changed or the
/// table was deleted (the key is revoked with them), or after 90 days unused.
#[utoipa::path(post, path = "/api/v1/auth/table/renew", tag = "auth", request_body = RenewRequest,
    responses((status = 200, body = TableToken), (status = 401), (status = 422), (status = 429)))]
async fn renew(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(req): Json<RenewRequest>,
) -> AppResult<axum::Json<TableToken>> {
    if req.device_key.is_empty() || req.device_key.len() > 4096 {
        return Err(AppError::validation("device_key", "must be the device key this tablet was given"));
    }
    // A key is signed and cannot be guessed: only one that fails counts against the
    // address's login attempts (every tablet renewing in the morning is not guessing).
    let renewed = async {
        let c = st.keys.verify(&req.device_key, st.clock.now_ms() / 1000).ok()?;
        let (true, UserType::Table, Some(table_id)) = (c.device, c.user_type, c.table_id) else { return None };
        st.accounts.check(&st.pool, UserType::Table, table_id, &c.store_id, c.tgen).await.ok()?;
        let store = c.store_id.clone();
        let number = db::read(&st.pool, move |conn| db::tables::live_number(conn, &store, table_id)).await.ok()?;
        Some((c.store_id, table_id, number, c.tgen))
    };
    let Some((store_id, table_id, number, tgen)) = renewed.await else {
        login_allowed(&st, &peer)?;
        st.metrics.logins_failed.inc();
        return Err(AppError::Unauthorized("this tablet's device key is no longer valid: set it up again".into()));
    };
    table_login(&st, store_id, table_id, number, tgen).await
}

#[cfg(test)]
mod tests {
    use super::{base_url, qr_svg};

    #[test]
    fn base_urls_are_a_scheme_a_host_and_a_port_only() {
        assert_eq!(base_url("http://192.168.0.10:8080/").unwrap(), "http://192.168.0.10:8080");
        assert_eq!(base_url("https://tableorder.local").unwrap(), "https://tableorder.local");
        assert_eq!(base_url("http://[fe80::1]:8080").unwrap(), "http://[fe80::1]:8080");
        for bad in
            ["", "http://", "ftp://x", "tableorder.local", "http://a/b", "http://a?x", "http://u@h", "http://a b"]
        {
            assert!(base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_qr_code_is_a_small_square_svg_with_a_quiet_zone() {
        let svg = qr_svg("http://192.168.0.10:8080/table#setup=613a631fe49b74f6b1489f15a0e8d730").unwrap();
        // 71 characters at level M need a version-5 code: 37 modules, 45 with the quiet zone.
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 45 45\""), "{svg}");
        // The top-left finder pattern starts at the quiet zone with a run of 7 dark modules.
        assert!(svg.contains("d=\"M4 4h7v1h-7z"), "{svg}");
        assert!(svg.len() < 6000, "{} bytes", svg.len());
    }
}
