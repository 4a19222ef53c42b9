//! Orders: tablets place and follow them; staff advance, cancel and look back.

use crate::db::flows::Staff;
use crate::db::{
    self,
    orders::{HistoryEntry, Line, OrderDto, OrderRequest},
};
use crate::domain::{self, OrderStatus};
use crate::error::{AppError, AppResult};
use crate::http::extract::{AdminUser, TableUser};
use crate::http::extract::{Body, Json, Path, Query, approval_outcome, approval_tag};
use crate::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(place, my_orders))
        .routes(routes!(list))
        .routes(routes!(update, cancel))
        .routes(routes!(move_order))
        .routes(routes!(history))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    items: Vec<NewLine>,
    /// Guests at the table (1–99), kept on the visit when it has none yet.
    guests: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    menu_item_id: i64,
    quantity: i64,
    /// The chosen options (each of a group the item offers).
    #[serde(default)]
    option_ids: Vec<i64>,
    /// A request for the kitchen ("덜 맵게"), at most 100 characters.
    note: Option<String>,
}

/// Places an order. `Idempotency-Key` (1–64 characters) is required: the same key again
/// answers 200 with the original order and never creates a second one.
#[utoipa::path(post, path = "/api/v1/orders", tag = "table", security(("bearer" = [])), request_body = NewOrder,
    params(("Idempotency-Key" = String, Header, description = "one per order attempt")),
    responses((status = 201, body = OrderDto), (status = 200, body = OrderDto, description = "a retry of an order already placed"),
        (status = 409, description = "item_unavailable or limit_reached"), (status = 422), (status = 429)))]
async fn place(
    t: TableUser,
    State(st): State<AppState>,
    headers: HeaderMap,
    Json(req): Json<NewOrder>,
) -> AppResult<(StatusCode, axum::Json<OrderDto>)> {
    let key = headers
        .get("idempotency-key")
        .ok_or_else(|| AppError::BadRequest("the Idempotency-Key header is required".into()))?
        .to_str()
        .map_err(|_| AppError::BadRequest("Idempotency-Key must be visible ASCII".into()))?;
    let key = domain::idempotency_key(key)?;
    if req.items.is_empty() || req.items.len() > 50 {
        return Err(AppError::validation("items", "must hold 1 to 50 lines"));
    }
    let mut errors = BTreeMap::new();
    let mut lines = Vec::with_capacity(req.items.len());
    for (i, l) in req.items.into_iter().enumerate() {
        if domain::quantity(l.quantity).is_err() {
            errors.insert(format!("items[{i}].quantity"), "must be a whole number from 1 to 99".to_string());
        }
        if l.option_ids.len() > 30 {
            errors.insert(format!("items[{i}].option_ids"), "at most 30 options".to_string());
        }
        let note = match domain::note(&format!("items[{i}].note"), l.note.as_deref().unwrap_or("")) {
            Ok(n) => n,
            Err(AppError::Validation(m)) => {
                errors.extend(m);
                String::new()
            }
            Err(e) => return Err(e),
        };
        lines.push(Line { menu_item_id: l.menu_item_id, quantity: l.quantity, option_ids: l.option_ids, note });
    }
    let guests = match req.guests {
        Some(g) => match domain::guests("guests", g) {
            Ok(g) => Some(g),
            Err(AppError::Validation(m)) => {
                errors.extend(m);
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (max, per_table) = (st.config.limits.max_active_orders, st.config.limits.max_active_orders_per_table);
    let limits = st.limits.clone();
    let placed = st
        .writer
        .write(move |ctx| {
            let rate_key = (t.store_id.clone(), t.table_id);
            let new = OrderRequest {
                table_id: t.table_id,
                key: &key,
                lines: &lines,
                guests,
                max_active: max,
                max_active_per_table: per_table,
            };
            db::flows::place_order(ctx, &t.store_id, &new, || limits.orders.check(&rate_key))
        })
        .await?;
    if placed.created {
        st.metrics.orders_created.inc();
        Ok((StatusCode::CREATED, axum::Json(placed.order)))
    } else {
        Ok((StatusCode::OK, axum::Json(placed.order)))
    }
}

#[derive(Serialize, ToSchema)]
pub struct MyOrders {
    session_id: Option<i64>,
    total: i64,
    orders: Vec<OrderDto>,
    /// Guests of the open visit, when known.
    guests: Option<i64>,
    /// The store asks for the number of guests before a visit's first order.
    ask_guests: bool,
}

/// This table's orders of its open session, newest first (empty when none is open).
#[utoipa::path(get, path = "/api/v1/orders", tag = "table", security(("bearer" = [])),
    responses((status = 200, body = MyOrders)))]
async fn my_orders(t: TableUser, State(st): State<AppState>) -> AppResult<axum::Json<MyOrders>> {
    Ok(axum::Json(
        db::read(&st.pool, move |c| {
            let ask_guests = db::stores::settings(c, &t.store_id)?.ask_guests;
            let Some(sid) = db::tables::open_session_id(c, &t.store_id, t.table_id)? else {
                return Ok(MyOrders { session_id: None, total: 0, orders: vec![], guests: None, ask_guests });
            };
            let orders = db::orders::session_orders(c, &t.store_id, sid)?;
            let total = orders.iter().filter(|o| o.status != OrderStatus::Cancelled).map(|o| o.total).sum();
            let guests = db::tables::session_summary(c, &t.store_id, sid)?.and_then(|s| s.guests);
            Ok(MyOrders { session_id: Some(sid), total, orders, guests, ask_guests })
        })
        .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct OrdersQuery {
    /// Only this table's orders.
    table_id: Option<i64>,
    /// Only orders in this status.
    status: Option<String>,
}

/// Orders of open sessions, newest first.
#[utoipa::path(get, path = "/api/v1/admin/orders", tag = "orders", security(("bearer" = [])), params(OrdersQuery),
    responses((status = 200, body = Vec<OrderDto>), (status = 400)))]
async fn list(
    a: AdminUser,
    State(st): State<AppState>,
    Query(q): Query<OrdersQuery>,
) -> AppResult<axum::Json<Vec<OrderDto>>> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(OrderStatus::parse(s).ok_or_else(|| AppError::BadRequest(format!("unknown status {s:?}")))?),
    };
    Ok(axum::Json(db::read(&st.pool, move |c| db::orders::open_orders(c, &a.store_id, q.table_id, status)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    status: String,
    /// A manager's or owner's PIN: a server cancelling an order that is no longer pending.
    approval_pin: Option<String>,
}

/// The optional body of `DELETE /admin/orders/{id}`.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// A manager's or owner's PIN: a server cancelling an order that is no longer pending.
    approval_pin: Option<String>,
}

/// Advances an order: pending → preparing → completed, or cancelled from pending or preparing.
#[utoipa::path(patch, path = "/api/v1/admin/orders/{id}", tag = "orders", security(("bearer" = [])), request_body = StatusChange,
    params(("id" = i64, Path)), responses((status = 200, body = OrderDto), (status = 404), (status = 409), (status = 422)))]
async fn update(
    a: AdminUser,
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<i64>,
    Json(b): Json<StatusChange>,
) -> AppResult<axum::Json<OrderDto>> {
    let to = OrderStatus::parse(&b.status)
        .ok_or_else(|| AppError::validation("status", "must be one of pending, preparing, completed, cancelled"))?;
    let tag = approval_tag(&st, &a, peer, b.approval_pin.as_deref())?;
    let r = st
        .writer
        .write(move |ctx| {
            let by = Staff { who: &a.who(), role: a.role, approval: tag.as_deref() };
            db::flows::set_status(ctx, &a.store_id, id, to, &by)
        })
        .await;
    Ok(axum::Json(approval_outcome(&st, peer, r)?))
}

/// Cancels an order: it is kept with status `cancelled` and the session total drops.
#[utoipa::path(delete, path = "/api/v1/admin/orders/{id}", tag = "orders", security(("bearer" = [])),
    request_body(content = CancelBody, description = "optional: a manager's approval PIN"),
    params(("id" = i64, Path)), responses((status = 200, body = OrderDto), (status = 403), (status = 404), (status = 409)))]
async fn cancel(
    a: AdminUser,
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<i64>,
    Body(body): Body,
) -> AppResult<axum::Json<OrderDto>> {
    let b: CancelBody = if body.iter().all(u8::is_ascii_whitespace) {
        CancelBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))?
    };
    let tag = approval_tag(&st, &a, peer, b.approval_pin.as_deref())?;
    let r = st
        .writer
        .write(move |ctx| {
            let by = Staff { who: &a.who(), role: a.role, approval: tag.as_deref() };
            db::flows::set_status(ctx, &a.store_id, id, OrderStatus::Cancelled, &by)
        })
        .await;
    Ok(axum::Json(approval_outcome(&st, peer, r)?))
}

#[derive(Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// Only this table's sessions.
    table_id: Option<i64>,
    /// First day (YYYY-MM-DD, the store's timezone) on which a session ended.
    from: Option<String>,
    /// Last day (YYYY-MM-DD, inclusive).
    to: Option<String>,
    /// Most sessions returned (1–500, default 100).
    limit: Option<i64>,
}

fn day_start(tz: &jiff::tz::TimeZone, field: &str, s: &str) -> AppResult<i64> {
    let d: jiff::civil::Date = s.parse().map_err(|_| AppError::validation(field, "must be a date YYYY-MM-DD"))?;
    d.to_zoned(tz.clone())
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|_| AppError::validation(field, "is out of range"))
}

/// Days `from` and `to` (YYYY-MM-DD, both inclusive, the store's timezone) as the range of
/// milliseconds [start of from, start of the day after to); 422 for a bad date or a range
/// that ends before it starts.
pub fn day_range(
    tz: &jiff::tz::TimeZone,
    from: Option<&str>,
    to: Option<&str>,
) -> AppResult<(Option<i64>, Option<i64>)> {
    let from = from.map(|s| day_start(tz, "from", s)).transpose()?;
    let to = match to {
        Some(s) => {
            let d: jiff::civil::Date =
                s.parse().map_err(|_| AppError::validation("to", "must be a date YYYY-MM-DD"))?;
            let next = d.tomorrow().map_err(|_| AppError::validation("to", "is out of range"))?;
            Some(day_start(tz, "to", &next.to_string())?)
        }
        None => None,
    };
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err(AppError::validation("from", "must not be after to"));
    }
    Ok((from, to))
}

/// Ended sessions with their orders, newest first.
#[utoipa::path(get, path = "/api/v1/admin/history", tag = "orders", security(("bearer" = [])), params(HistoryQuery),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 422)))]
async fn history(
    a: AdminUser,
    State(st): State<AppState>,
    Query(q): Query<HistoryQuery>,
) -> AppResult<axum::Json<Vec<HistoryEntry>>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::validation("limit", "must be from 1 to 500"));
    }
    Ok(axum::Json(
        db::read(&st.pool, move |c| {
            let tz = db::stores::timezone(c, &a.store_id)?;
            let (from, to) = day_range(&tz, q.from.as_deref(), q.to.as_deref())?;
            db::orders::history(c, &a.store_id, q.table_id, from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX), limit)
        })
        .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveOrder {
    to_table_id: i64,
}

/// Moves one order to another table's open visit (opened for it when there is none); its
/// id and number stay, tickets printed already are not printed again.
#[utoipa::path(post, path = "/api/v1/admin/orders/{id}/move", tag = "orders", security(("bearer" = [])), request_body = MoveOrder,
    params(("id" = i64, Path)), responses((status = 200, body = OrderDto), (status = 404), (status = 409), (status = 422)))]
async fn move_order(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<MoveOrder>,
) -> AppResult<axum::Json<OrderDto>> {
    Ok(axum::Json(
        st.writer.write(move |ctx| db::flows::move_order(ctx, &a.store_id, id, b.to_table_id, &a.who())).await?,
    ))
}
