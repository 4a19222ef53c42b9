//! The hub's HTTP surface: ingest and backfill for boxes (box tokens), login, reports, CSV
//! and the live feed for HQ (HQ tokens), health, and the `/hq` page.

use super::ingest::{self, Acked, BackfillBody, BoxAuth, IngestBody};
use super::{HubError, HubState};
use crate::auth::{Claims, UserType};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::Read;
use std::net::SocketAddr;
use std::time::Duration;

/// Largest request body (compressed), and what it may inflate to.
const MAX_BODY: usize = 4 * 1024 * 1024;
const MAX_INFLATED: u64 = 32 * 1024 * 1024;
/// How long HQ reports stay cached (every ingest invalidates them sooner).
const REPORT_TTL: Duration = Duration::from_secs(60);

pub fn router(st: HubState) -> Router {
    Router::new()
        .route("/hub/v1/ingest", post(ingest_handler))
        .route("/hub/v1/backfill", post(backfill_handler))
        .route("/hub/v1/auth/login", post(login))
        .route("/hub/v1/stores", get(stores))
        .route("/hub/v1/orders", get(orders))
        .route("/hub/v1/orders.csv", get(orders_csv))
        .route("/hub/v1/sales", get(sales))
        .route("/hub/v1/events", get(events))
        .route("/healthz", get(healthz))
        .route("/", get(|| async { axum::response::Redirect::to("/hq") }))
        .route("/hub/{*rest}", axum::routing::any(|| async { HubError::NotFound("endpoint") }))
        .fallback(web)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(st)
}

/// The HQ page and its files (only those: the box's pages are not served here).
async fn web(uri: axum::http::Uri) -> Response {
    let p = uri.path();
    if !(crate::http::web::is_hq_file(p) || p == "/css/app.css") {
        return HubError::NotFound("page").into_response();
    }
    crate::http::web::serve(uri).await
}

fn bearer(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = v.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string());
    }
    query?.split('&').find_map(|p| p.strip_prefix("token=")).map(|t| t.to_string())
}

/// The box a token belongs to (not revoked), with its stores.
async fn box_auth(st: &HubState, headers: &HeaderMap) -> Result<BoxAuth, HubError> {
    let token = bearer(headers, None).ok_or_else(|| HubError::Unauthorized("missing box token".into()))?;
    let c = st.pool.get().await?;
    let row = c
        .query_opt(
            "SELECT id FROM boxes WHERE token_hash = $1 AND revoked_at IS NULL",
            &[&super::db::token_hash(&token)],
        )
        .await?
        .ok_or_else(|| HubError::Unauthorized("unknown or revoked box token".into()))?;
    let id: i64 = row.get(0);
    let stores: HashSet<String> =
        c.query("SELECT store_id FROM box_stores WHERE box_id = $1", &[&id]).await?.iter().map(|r| r.get(0)).collect();
    Ok(BoxAuth { id, stores })
}

/// An HQ login's token (never a box token: those are not JWTs).
fn hq_auth(st: &HubState, headers: &HeaderMap, query: Option<&str>) -> Result<i64, HubError> {
    let token = bearer(headers, query).ok_or_else(|| HubError::Unauthorized("missing HQ token".into()))?;
    let now = jiff::Timestamp::now().as_second();
    let claims =
        st.keys.verify(&token, now).map_err(|_| HubError::Unauthorized("invalid or expired HQ token".into()))?;
    match (claims.user_type, claims.admin_id) {
        (UserType::Hq, Some(id)) => Ok(id),
        _ => Err(HubError::Forbidden("this needs an HQ login".into())),
    }
}

/// The JSON body, inflated when sent with `Content-Encoding: gzip`.
fn json_body<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, HubError> {
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
            .map_err(|e| HubError::BadRequest(format!("bad gzip body: {e}")))?;
        raw = out;
        &raw[..]
    } else {
        body
    };
    serde_json::from_slice(bytes).map_err(|e| HubError::BadRequest(format!("malformed JSON: {e}")))
}

async fn ingest_handler(
    State(st): State<HubState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<Acked>, HubError> {
    let b = box_auth(&st, &headers).await?;
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
    State(st): State<HubState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<Value>, HubError> {
    let b = box_auth(&st, &headers).await?;
    let req: BackfillBody = json_body(&headers, &body)?;
    let n = ingest::backfill(&st, &b, &req).await?;
    st.cache.bump().await;
    Ok(axum::Json(json!({ "stored": n })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

async fn login(
    State(st): State<HubState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Result<axum::Json<Value>, HubError> {
    let req: Login = serde_json::from_slice(&body).map_err(|e| HubError::BadRequest(format!("malformed JSON: {e}")))?;
    if req.username.is_empty() || req.username.len() > 64 || req.password.len() > 128 {
        return Err(HubError::Validation("username".into(), "must be 1 to 64 characters".into()));
    }
    st.logins.check(&peer.ip()).map_err(|_| HubError::TooManyRequests(60))?;
    let c = st.pool.get().await?;
    let row = c.query_opt("SELECT id, password_hash FROM hq_users WHERE username = $1", &[&req.username]).await?;
    let (id, hash): (i64, Option<String>) = match &row {
        Some(r) => (r.get(0), Some(r.get(1))),
        None => (0, None),
    };
    let permit = st.hashing.clone().acquire_owned().await.map_err(|_| HubError::Unavailable("shutting down".into()))?;
    let password = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        match hash {
            Some(h) => crate::auth::verify_password(&password, &h),
            None => {
                crate::auth::verify_password(&password, crate::auth::dummy_hash());
                false
            }
        }
    })
    .await
    .unwrap_or(false);
    if !ok {
        return Err(HubError::Unauthorized("wrong username or password".into()));
    }
    let claims = Claims::hq(id, jiff::Timestamp::now().as_second());
    let token = st.keys.issue(&claims).map_err(|_| HubError::Unavailable("cannot sign".into()))?;
    Ok(axum::Json(
        json!({ "token": token, "expires_at": crate::db::rfc3339(claims.exp * 1000), "username": req.username }),
    ))
}

/// A report through the cache: `key` names it, `make` computes it.
async fn cached<F, Fut>(st: &HubState, key: String, make: F) -> Result<Vec<u8>, HubError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Vec<u8>, HubError>>,
{
    let full = format!("tableorder:hq:{}:{key}", st.cache.generation().await);
    if let Some(v) = st.cache.get(&full).await {
        return Ok(v);
    }
    let v = make().await?;
    st.cache.set(&full, v.clone(), REPORT_TTL).await;
    Ok(v)
}

fn json_response(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], bytes).into_response()
}

async fn stores(State(st): State<HubState>, headers: HeaderMap) -> Result<Response, HubError> {
    hq_auth(&st, &headers, None)?;
    let bytes = cached(&st, "stores".into(), || async {
        let c = st.reports.get().await?;
        let rows = c
            .query(
                "SELECT s.store_id, s.name, s.timezone, s.last_seen_at::text,
                        coalesce(max(b.acked_event_id), 0), coalesce(max(b.head_event_id - b.acked_event_id), 0),
                        (SELECT count(*) FROM orders o WHERE o.store_id = s.store_id AND o.status <> 'cancelled'
                           AND o.business_day = (now() AT TIME ZONE s.timezone)::date),
                        (SELECT coalesce(sum(o.total), 0)::bigint FROM orders o WHERE o.store_id = s.store_id AND o.status <> 'cancelled'
                           AND o.business_day = (now() AT TIME ZONE s.timezone)::date)
                 FROM stores s LEFT JOIN box_stores bs ON bs.store_id = s.store_id LEFT JOIN boxes b ON b.id = bs.box_id
                 GROUP BY s.store_id ORDER BY s.store_id",
                &[],
            )
            .await?;
        let list: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "store_id": r.get::<_, String>(0),
                    "name": r.get::<_, String>(1),
                    "timezone": r.get::<_, String>(2),
                    "last_seen_at": r.get::<_, Option<String>>(3).map(|t| rfc3339_pg(&t)),
                    "acked_event_id": r.get::<_, i64>(4),
                    "backlog": r.get::<_, i64>(5).max(0),
                    "orders_today": r.get::<_, i64>(6),
                    "sales_today": r.get::<_, i64>(7),
                })
            })
            .collect();
        Ok(serde_json::to_vec(&list).unwrap_or_default())
    })
    .await?;
    Ok(json_response(bytes))
}

/// PostgreSQL's `timestamptz::text` ("2030-06-14 03:04:05.123+00") as RFC 3339.
fn rfc3339_pg(t: &str) -> String {
    t.parse::<jiff::Timestamp>().map(|ts| format!("{ts:.3}")).unwrap_or_else(|_| {
        let fixed = t.replacen(' ', "T", 1);
        let fixed = if fixed.ends_with("+00") { format!("{fixed}:00") } else { fixed };
        fixed.parse::<jiff::Timestamp>().map(|ts| format!("{ts:.3}")).unwrap_or(fixed)
    })
}

#[derive(Deserialize, Clone)]
struct OrdersQuery {
    store_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<i64>,
    token: Option<String>,
}

fn day(field: &str, v: &Option<String>) -> Result<Option<jiff::civil::Date>, HubError> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<jiff::civil::Date>()
            .map(Some)
            .map_err(|_| HubError::Validation(field.into(), "must be a date YYYY-MM-DD".into())),
    }
}

/// Where a page of orders ends: (created_at as PostgreSQL prints it, store, order id).
type OrderKey = (String, String, i64);

async fn order_rows(st: &HubState, q: &OrdersQuery) -> Result<Vec<Value>, HubError> {
    let limit = q.limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(HubError::Validation("limit".into(), "must be from 1 to 10000".into()));
    }
    Ok(order_page(st, q, None, limit).await?.0)
}

/// Orders newest first, after `after` (keyset paging: a long export never skips or
/// repeats an order, whatever arrives meanwhile).
async fn order_page(
    st: &HubState,
    q: &OrdersQuery,
    after: Option<&OrderKey>,
    limit: i64,
) -> Result<(Vec<Value>, Option<OrderKey>), HubError> {
    let (from, to) = (day("from", &q.from)?.map(|d| d.to_string()), day("to", &q.to)?.map(|d| d.to_string()));
    let (at, store, id) = match after {
        Some((a, s, i)) => (Some(a.clone()), Some(s.clone()), Some(*i)),
        None => (None, None, None),
    };
    let c = st.reports.get().await?;
    let rows = c
        .query(
            "SELECT store_id, order_id, order_no, table_id, table_number, session_id, status, total,
                    created_at::text, updated_at::text, items::text
             FROM orders
             WHERE ($1::text IS NULL OR store_id = $1)
               AND ($2::text IS NULL OR business_day >= $2::text::date)
               AND ($3::text IS NULL OR business_day <= $3::text::date)
               AND ($5::text IS NULL OR (created_at, store_id, order_id) < ($5::text::timestamptz, $6::text, $7::int8))
             ORDER BY created_at DESC, store_id DESC, order_id DESC LIMIT $4",
            &[&q.store_id, &from, &to, &limit, &at, &store, &id],
        )
        .await?;
    let last = rows.last().map(|r| (r.get::<_, String>(8), r.get::<_, String>(0), r.get::<_, i64>(1)));
    let list = rows
        .iter()
        .map(|r| {
            json!({
                "store_id": r.get::<_, String>(0),
                "id": r.get::<_, i64>(1),
                "order_no": r.get::<_, i64>(2),
                "table_id": r.get::<_, i64>(3),
                "table_number": r.get::<_, i64>(4),
                "session_id": r.get::<_, i64>(5),
                "status": r.get::<_, String>(6),
                "total": r.get::<_, i64>(7),
                "created_at": rfc3339_pg(&r.get::<_, String>(8)),
                "updated_at": rfc3339_pg(&r.get::<_, String>(9)),
                "items": serde_json::from_str::<Value>(&r.get::<_, String>(10)).unwrap_or(json!([])),
            })
        })
        .collect();
    Ok((list, last))
}

fn query_key(q: &OrdersQuery) -> String {
    format!("{:?}|{:?}|{:?}|{:?}", q.store_id, q.from, q.to, q.limit)
}

async fn orders(
    State(st): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<OrdersQuery>,
) -> Result<Response, HubError> {
    hq_auth(&st, &headers, None)?;
    let key = format!("orders:{}", query_key(&q));
    let bytes =
        cached(&st, key, || async { Ok(serde_json::to_vec(&order_rows(&st, &q).await?).unwrap_or_default()) }).await?;
    Ok(json_response(bytes))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn csv_line(o: &Value) -> String {
    let items: Vec<String> = o["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    let opts: Vec<&str> = i["options"]
                        .as_array()
                        .map(|v| v.iter().filter_map(|x| x["name"].as_str()).collect())
                        .unwrap_or_default();
                    let mut s = format!("{} x{}", i["name"].as_str().unwrap_or(""), i["quantity"]);
                    if !opts.is_empty() {
                        s.push_str(&format!(" ({})", opts.join("/")));
                    }
                    s
                })
                .collect()
        })
        .unwrap_or_default();
    format!(
        "{},{},{},{},{},{},{},{}\n",
        csv_field(o["store_id"].as_str().unwrap_or("")),
        o["id"],
        o["order_no"],
        o["created_at"].as_str().unwrap_or(""),
        o["table_number"],
        o["status"].as_str().unwrap_or(""),
        o["total"],
        csv_field(&items.join("; "))
    )
}

/// Orders as CSV (same filters as `/hub/v1/orders`; every order of the range unless
/// `limit` is given), streamed page by page so that a month of a whole chain does not sit
/// in memory. The token may be in the query, so that a plain download link works.
async fn orders_csv(
    State(st): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<OrdersQuery>,
) -> Result<Response, HubError> {
    let query = q.token.as_ref().map(|t| format!("token={t}"));
    hq_auth(&st, &headers, query.as_deref())?;
    let page_size = st.csv_page_size;
    let mut remaining = match q.limit {
        Some(l) if l < 1 => return Err(HubError::Validation("limit".into(), "must be at least 1".into())),
        Some(l) => l,
        None => i64::MAX,
    };
    // The first page before answering: a bad date or a database away is a clean error.
    let (first, mut after) = order_page(&st, &q, None, page_size.min(remaining)).await?;
    let disposition = format!("attachment; filename=\"{}\"", csv_name(&q));
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    tokio::spawn(async move {
        let mut page = first;
        let mut chunk = String::from("\u{feff}store_id,order_id,order_no,created_at,table_number,status,total,items\n");
        loop {
            remaining -= page.len() as i64;
            let full = page.len() as i64 == page_size && remaining > 0;
            for o in &page {
                chunk.push_str(&csv_line(o));
            }
            if tx.send(Ok(Bytes::from(std::mem::take(&mut chunk)))).await.is_err() || !full {
                return;
            }
            match order_page(&st, &q, after.as_ref(), page_size.min(remaining)).await {
                Ok((next, last)) => (page, after) = (next, last),
                Err(e) => {
                    // The download ends short and the browser says it failed.
                    tracing::warn!(error = %e, "orders CSV export failed midway");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            }
        }
    });
    let body = axum::body::Body::from_stream(tokio_stream_from(rx));
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}

/// `orders[_store][_from][_to].csv`, from the checked filters only.
fn csv_name(q: &OrdersQuery) -> String {
    let mut name = String::from("orders");
    let store = q.store_id.as_deref().filter(|s| {
        !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    for part in [store, q.from.as_deref(), q.to.as_deref()].into_iter().flatten() {
        if part.parse::<jiff::civil::Date>().is_ok() || Some(part) == store {
            name.push('_');
            name.push_str(part);
        }
    }
    name + ".csv"
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[derive(Deserialize)]
struct SalesQuery {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
}

#[derive(Serialize)]
struct SalesRow {
    key: String,
    orders: i64,
    quantity: i64,
    total: i64,
}

/// Sales (cancelled orders excluded) by store, item or day; dates are days in each store's
/// timezone, both optional, default today.
async fn sales(
    State(st): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<SalesQuery>,
) -> Result<Response, HubError> {
    hq_auth(&st, &headers, None)?;
    let group = q.group_by.clone().unwrap_or_else(|| "store".into());
    let key_expr = match group.as_str() {
        "store" => "o.store_id",
        "day" => "o.business_day::text",
        "item" => "i->>'name'",
        _ => return Err(HubError::Validation("group_by".into(), "must be store, item or day".into())),
    };
    let (from, to) = (day("from", &q.from)?.map(|d| d.to_string()), day("to", &q.to)?.map(|d| d.to_string()));
    let key = format!("sales:{group}|{from:?}|{to:?}");
    let bytes = cached(&st, key, || async {
        // No dates: today in each store's own timezone.
        let when = "CASE WHEN $1::text IS NULL AND $2::text IS NULL
                         THEN o.business_day = (now() AT TIME ZONE coalesce(s.timezone, 'Asia/Seoul'))::date
                         ELSE ($1::text IS NULL OR o.business_day >= $1::text::date)
                          AND ($2::text IS NULL OR o.business_day <= $2::text::date) END";
        let sql = if group == "item" {
            format!(
                "SELECT {key_expr} AS k, count(DISTINCT (o.store_id, o.box_id, o.order_id))::bigint,
                        coalesce(sum((i->>'quantity')::bigint), 0)::bigint,
                        coalesce(sum((i->>'quantity')::bigint * (i->>'unit_price')::bigint), 0)::bigint
                 FROM orders o LEFT JOIN stores s ON s.store_id = o.store_id, jsonb_array_elements(o.items) i
                 WHERE o.status <> 'cancelled' AND {when}
                 GROUP BY k ORDER BY 4 DESC, k"
            )
        } else {
            format!(
                "SELECT {key_expr} AS k, count(*)::bigint,
                        coalesce(sum((SELECT sum((i->>'quantity')::bigint) FROM jsonb_array_elements(o.items) i)), 0)::bigint,
                        coalesce(sum(o.total), 0)::bigint
                 FROM orders o LEFT JOIN stores s ON s.store_id = o.store_id
                 WHERE o.status <> 'cancelled' AND {when}
                 GROUP BY k ORDER BY k"
            )
        };
        let c = st.reports.get().await?;
        let rows = c.query(&sql, &[&from, &to]).await?;
        let out: Vec<SalesRow> =
            rows.iter().map(|r| SalesRow { key: r.get(0), orders: r.get(1), quantity: r.get(2), total: r.get(3) }).collect();
        Ok(serde_json::to_vec(&out).unwrap_or_default())
    })
    .await?;
    Ok(json_response(bytes))
}

#[derive(Deserialize)]
struct EventsQuery {
    token: Option<String>,
    last_event_id: Option<String>,
}

async fn events(
    State(st): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Result<Response, HubError> {
    let query = q.token.as_ref().map(|t| format!("token={t}"));
    hq_auth(&st, &headers, query.as_deref())?;
    let raw = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_string).or(q.last_event_id);
    let resume = match raw.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(s.parse::<i64>().map_err(|_| HubError::BadRequest("Last-Event-ID must be a number".into()))?),
    };
    Ok(super::live::stream(st, resume))
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
        "version": env!("CARGO_PKG_VERSION"),
        "live_clients": st.live.clients(),
    });
    // Only a process without its database is out of service: without Redis it still takes
    // uploads and serves HQ (live feeds catch up from PostgreSQL), so a load balancer must
    // not take every process out while Redis restarts.
    (if db_ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, axum::Json(body)).into_response()
}
