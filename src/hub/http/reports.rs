//! HQ reports: stores, orders (JSON and a streamed CSV), sales. JSON answers go through the
//! shared cache (Redis when there is one), which every ingest invalidates.

use crate::error::{AppError, AppResult};
use crate::http::extract::Query;
use crate::hub::HubState;
use crate::hub::auth::HqUser;
use crate::hub::reports::{self, GroupBy, OrderFilter};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use std::time::Duration;

/// How long HQ reports stay cached (every ingest invalidates them sooner).
const REPORT_TTL: Duration = Duration::from_secs(60);

pub fn router() -> Router<HubState> {
    Router::new()
        .route("/hub/v1/stores", get(stores))
        .route("/hub/v1/orders", get(orders))
        .route("/hub/v1/orders.csv", get(orders_csv))
        .route("/hub/v1/sales", get(sales))
        .route("/hub/v1/audit", get(audit))
        .route("/hub/v1/days", get(days))
        .route("/hub/v1/days.csv", get(days_csv))
        .route("/hub/v1/payments", get(payments))
}

/// A report through the cache, as JSON: `key` names it, `make` computes it.
async fn cached<T, F, Fut>(st: &HubState, key: String, make: F) -> AppResult<Response>
where
    T: serde::Serialize,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<T>>,
{
    let full = format!("tableorder:hq:{}:{key}", st.cache.generation().await);
    let bytes = match st.cache.get(&full).await {
        Some(v) => v,
        None => {
            let v = serde_json::to_vec(&make().await?).map_err(AppError::internal)?;
            st.cache.set(&full, v.clone(), REPORT_TTL).await;
            v
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

async fn stores(_hq: HqUser, State(st): State<HubState>) -> AppResult<Response> {
    // Uploads move the cache's generation on; a rollout from the command line does not.
    let rollouts = crate::hub::releases::stamp(&st.reports).await?;
    cached(&st, format!("stores:{rollouts}"), || reports::stores(&st.reports)).await
}

fn day(field: &str, v: &Option<String>) -> AppResult<Option<jiff::civil::Date>> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<jiff::civil::Date>()
            .map(Some)
            .map_err(|_| AppError::validation(field, "must be a date YYYY-MM-DD")),
    }
}

#[derive(Deserialize, Clone)]
struct OrdersQuery {
    store_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<i64>,
}

impl OrdersQuery {
    fn filter(&self) -> AppResult<OrderFilter> {
        Ok(OrderFilter { store_id: self.store_id.clone(), from: day("from", &self.from)?, to: day("to", &self.to)? })
    }
}

async fn orders(_hq: HqUser, State(st): State<HubState>, Query(q): Query<OrdersQuery>) -> AppResult<Response> {
    let limit = q.limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(AppError::validation("limit", "must be from 1 to 10000"));
    }
    let f = q.filter()?;
    let key = format!("orders:{:?}|{:?}|{:?}|{limit}", f.store_id, f.from, f.to);
    cached(&st, key, || async { Ok(reports::order_page(&st.reports, &f, None, limit).await?.0) }).await
}

/// Orders as CSV (same filters as `/hub/v1/orders`; every order of the range unless
/// `limit` is given), streamed page by page so that a month of a whole chain does not sit
/// in memory. The token may be in the query, so that a plain download link works.
async fn orders_csv(_hq: HqUser, State(st): State<HubState>, Query(q): Query<OrdersQuery>) -> AppResult<Response> {
    let page_size = st.csv_page_size;
    let mut remaining = match q.limit {
        Some(l) if l < 1 => return Err(AppError::validation("limit", "must be at least 1")),
        Some(l) => l,
        None => i64::MAX,
    };
    let f = q.filter()?;
    // The first page before answering: a bad date or a database away is a clean error.
    let (first, mut after) = reports::order_page(&st.reports, &f, None, page_size.min(remaining)).await?;
    let disposition = format!("attachment; filename=\"{}\"", reports::csv_name(&f));
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    tokio::spawn(async move {
        let mut page = first;
        let mut chunk = String::from(reports::CSV_HEADER);
        loop {
            remaining -= page.len() as i64;
            let full = page.len() as i64 == page_size && remaining > 0;
            for o in &page {
                chunk.push_str(&reports::csv_line(o));
            }
            if tx.send(Ok(Bytes::from(std::mem::take(&mut chunk)))).await.is_err() || !full {
                return;
            }
            match reports::order_page(&st.reports, &f, after.as_ref(), page_size.min(remaining)).await {
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
    let mut rx = rx;
    let body = axum::body::Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
struct SalesQuery {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
}

/// Sales (cancelled orders excluded) by store, item or day; dates are days in each store's
/// timezone, both optional, default today.
async fn sales(_hq: HqUser, State(st): State<HubState>, Query(q): Query<SalesQuery>) -> AppResult<Response> {
    let group = GroupBy::parse(q.group_by.as_deref().unwrap_or("store"))?;
    let (from, to) = (day("from", &q.from)?, day("to", &q.to)?);
    let key = format!("sales:{}|{from:?}|{to:?}", group.as_str());
    cached(&st, key, || reports::sales(&st.reports, group, from, to)).await
}

#[derive(Deserialize)]
struct AuditQuery {
    store_id: Option<String>,
    /// Comma-separated kinds (e.g. `line_voided,discount_added`).
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<i64>,
}

/// Each store's audit trail (who voided, discounted, refunded, with whose approval), newest
/// first; by store, kinds and business days.
async fn audit(_hq: HqUser, State(st): State<HubState>, Query(q): Query<AuditQuery>) -> AppResult<Response> {
    let limit = q.limit.unwrap_or(500);
    if !(1..=5000).contains(&limit) {
        return Err(AppError::validation("limit", "must be from 1 to 5000"));
    }
    let kinds: Vec<String> =
        q.kind.as_deref().unwrap_or("").split(',').map(str::trim).filter(|k| !k.is_empty()).map(String::from).collect();
    if kinds.iter().any(|k| !crate::db::audit::KINDS.contains(&k.as_str())) {
        return Err(AppError::validation("kind", "names a kind the audit trail does not have"));
    }
    let f = reports::AuditFilter {
        store_id: q.store_id.clone(),
        kinds,
        from: day("from", &q.from)?,
        to: day("to", &q.to)?,
        limit,
    };
    let key = format!("audit:{:?}|{:?}|{:?}|{:?}|{limit}", f.store_id, f.kinds, f.from, f.to);
    cached(&st, key, || reports::audit(&st.reports, &f)).await
}

#[derive(Deserialize)]
struct DaysQuery {
    store_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// Each store's closed business days with their reports, newest first.
async fn days(_hq: HqUser, State(st): State<HubState>, Query(q): Query<DaysQuery>) -> AppResult<Response> {
    let (from, to) = (day("from", &q.from)?, day("to", &q.to)?);
    let key = format!("days:{:?}|{from:?}|{to:?}", q.store_id);
    cached(&st, key, || reports::days(&st.reports, q.store_id.as_deref(), from, to)).await
}

/// The closed days as CSV (the token may be in the query, so that a plain link downloads).
async fn days_csv(_hq: HqUser, State(st): State<HubState>, Query(q): Query<DaysQuery>) -> AppResult<Response> {
    let (from, to) = (day("from", &q.from)?, day("to", &q.to)?);
    let list = reports::days(&st.reports, q.store_id.as_deref(), from, to).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"days.csv\"".to_string()),
        ],
        reports::days_csv(&list),
    )
        .into_response())
}

#[derive(Deserialize)]
struct PaymentsQuery {
    from: Option<String>,
    to: Option<String>,
    /// `method` (default) or `store`.
    group_by: Option<String>,
}

/// Payments by method or store (default today, in each store's timezone).
async fn payments(_hq: HqUser, State(st): State<HubState>, Query(q): Query<PaymentsQuery>) -> AppResult<Response> {
    let by_store = match q.group_by.as_deref() {
        None | Some("method") => false,
        Some("store") => true,
        Some(_) => return Err(AppError::validation("group_by", "must be method or store")),
    };
    let (from, to) = (day("from", &q.from)?, day("to", &q.to)?);
    let key = format!("payments:{by_store}|{from:?}|{to:?}");
    cached(&st, key, || reports::payments(&st.reports, by_store, from, to)).await
}
