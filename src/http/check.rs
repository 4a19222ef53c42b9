//! The check (계산): bill, adjustments, payments, refunds and printing; and the business day
//! (open, close, reports).

use crate::db::{self, check::NewAdjustment, check::NewPayment, check::Split, flows::Staff};
use crate::domain::{self, check::AdjKind};
use crate::error::{AppError, AppResult};
use crate::http::extract::{AdminUser, Json, Path, Query, approval_outcome, approval_tag};
use crate::state::AppState;
use crate::wire::{CheckDto, DayDto, DayReport};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_check))
        .routes(routes!(add_adjustment))
        .routes(routes!(remove_adjustment))
        .routes(routes!(pay))
        .routes(routes!(refund))
        .routes(routes!(print_bill))
        .routes(routes!(current_day))
        .routes(routes!(open_day))
        .routes(routes!(close_day))
        .routes(routes!(list_days))
        .routes(routes!(day_report))
        .routes(routes!(print_day))
}

#[derive(Deserialize, IntoParams)]
pub struct CheckQuery {
    /// `equal` (with `parts`) or `items` (with `order_item_ids`): the check also shows how it splits.
    split: Option<String>,
    /// Equal parts (2–50).
    parts: Option<i64>,
    /// Lines one guest pays, comma-separated.
    order_item_ids: Option<String>,
}

fn split_of(kind: Option<&str>, parts: Option<i64>, ids: Option<&str>) -> AppResult<Option<Split>> {
    match kind {
        None | Some("") => Ok(None),
        Some("equal") => {
            let n = parts.ok_or_else(|| AppError::validation("parts", "is required for an equal split"))?;
            if !(2..=50).contains(&n) {
                return Err(AppError::validation("parts", "must be from 2 to 50"));
            }
            Ok(Some(Split::Equal(n)))
        }
        Some("items") => {
            let ids: Vec<i64> = ids
                .unwrap_or("")
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().parse().map_err(|_| AppError::validation("order_item_ids", "must be line ids")))
                .collect::<AppResult<_>>()?;
            if ids.is_empty() || ids.len() > 200 {
                return Err(AppError::validation("order_item_ids", "must name 1 to 200 lines"));
            }
            Ok(Some(Split::Items(ids)))
        }
        Some(_) => Err(AppError::validation("split", "must be equal or items")),
    }
}

/// The check of a session (open or ended).
#[utoipa::path(get, path = "/api/v1/admin/sessions/{id}/check", tag = "check", security(("bearer" = [])),
    params(("id" = i64, Path), CheckQuery), responses((status = 200, body = CheckDto), (status = 404), (status = 422)))]
async fn get_check(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CheckQuery>,
) -> AppResult<axum::Json<CheckDto>> {
    let split = split_of(q.split.as_deref(), q.parts, q.order_item_ids.as_deref())?;
    Ok(axum::Json(db::read(&st.pool, move |c| db::check::get(c, &a.store_id, id, split.as_ref())).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentBody {
    /// `discount`, `comp` (서비스) or `void`.
    kind: String,
    /// Why (1–100 characters).
    reason: String,
    /// The line; none: a discount of the whole check.
    order_item_id: Option<i64>,
    /// A discount by percent (1–100).
    percent: Option<i64>,
    /// A discount by amount (won).
    amount: Option<i64>,
    /// Comp or void: units of the line (all it has left when absent).
    quantity: Option<i64>,
    /// A manager's or owner's PIN, when a server asks.
    approval_pin: Option<String>,
}

/// Adds a discount, 서비스 (comp) or void. Managers may; a server needs a manager's
/// `approval_pin`. The check never goes below 0, nor below what was paid.
#[utoipa::path(post, path = "/api/v1/admin/sessions/{id}/adjustments", tag = "check", security(("bearer" = [])),
    request_body = AdjustmentBody, params(("id" = i64, Path)),
    responses((status = 201, body = CheckDto), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn add_adjustment(
    a: AdminUser,
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<i64>,
    Json(b): Json<AdjustmentBody>,
) -> AppResult<(StatusCode, axum::Json<CheckDto>)> {
    let kind = AdjKind::parse(&b.kind).ok_or_else(|| AppError::validation("kind", "must be discount, comp or void"))?;
    let reason = domain::reason(&b.reason)?;
    match kind {
        AdjKind::Discount => {
            if b.percent.is_some() == b.amount.is_some() {
                return Err(AppError::validation("percent", "give a percent or an amount (one of them)"));
            }
            if b.quantity.is_some() {
                return Err(AppError::validation("quantity", "is for comps and voids"));
            }
        }
        _ => {
            if b.percent.is_some() || b.amount.is_some() {
                return Err(AppError::validation("amount", "a comp or void takes units (quantity), not an amount"));
            }
        }
    }
    if let Some(p) = b.percent
        && !(1..=100).contains(&p)
    {
        return Err(AppError::validation("percent", "must be from 1 to 100"));
    }
    if let Some(v) = b.amount
        && !(1..=domain::MAX_PRICE * 10).contains(&v)
    {
        return Err(AppError::validation("amount", "must be a positive amount in won"));
    }
    if let Some(q) = b.quantity
        && !(1..=99).contains(&q)
    {
        return Err(AppError::validation("quantity", "must be from 1 to 99"));
    }
    let tag = approval_tag(&st, &a, peer, b.approval_pin.as_deref())?;
    let n = NewAdjustment {
        kind,
        reason,
        order_item_id: b.order_item_id,
        percent: b.percent,
        amount: b.amount,
        quantity: b.quantity,
    };
    let r = st
        .writer
        .write(move |ctx| {
            let by = Staff { who: &a.who(), role: a.role, approval: tag.as_deref() };
            db::check::adjust(ctx, &a.store_id, id, &n, &by)
        })
        .await;
    Ok((StatusCode::CREATED, axum::Json(approval_outcome(&st, peer, r)?)))
}

/// Removes an adjustment (managers); audited.
#[utoipa::path(delete, path = "/api/v1/admin/adjustments/{id}", tag = "check", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = CheckDto), (status = 403), (status = 404), (status = 409)))]
async fn remove_adjustment(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<CheckDto>> {
    Ok(axum::Json(st.writer.write(move |ctx| db::check::remove_adjustment(ctx, &a.store_id, id, &a.who())).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum SplitBody {
    /// One of `parts` equal parts (the remainder on the first).
    Equal { parts: i64 },
    /// The chosen lines.
    Items { order_item_ids: Vec<i64> },
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentBody {
    /// `cash`, `card` (the store's own terminal), `transfer`, `voucher` or `other`.
    method: String,
    /// At most the balance; with a `split` and no amount, the split's next part.
    amount: Option<i64>,
    /// Cash handed over (≥ amount): the payment records the change.
    tendered: Option<i64>,
    /// A card approval number or any note (≤ 50 characters).
    reference: Option<String>,
    split: Option<SplitBody>,
}

/// The payment's `Idempotency-Key` (a missing one is refused once the check is found).
fn key(headers: &HeaderMap) -> AppResult<Option<String>> {
    let Some(key) = headers.get("idempotency-key") else { return Ok(None) };
    let key = key.to_str().map_err(|_| AppError::BadRequest("Idempotency-Key must be visible ASCII".into()))?;
    domain::idempotency_key(key).map(Some)
}

/// Takes a payment. `Idempotency-Key` is required: the same key again answers 200 with the
/// check and never takes a second payment. With the store's `checkout` on and
/// `end_when_paid`, a check paid in full ends its visit.
#[utoipa::path(post, path = "/api/v1/admin/sessions/{id}/payments", tag = "check", security(("bearer" = [])),
    request_body = PaymentBody, params(("id" = i64, Path), ("Idempotency-Key" = String, Header, description = "one per payment")),
    responses((status = 201, body = CheckDto), (status = 200, body = CheckDto, description = "a retry of a payment taken already"),
        (status = 404), (status = 409), (status = 422)))]
async fn pay(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(b): Json<PaymentBody>,
) -> AppResult<(StatusCode, axum::Json<CheckDto>)> {
    let key = key(&headers)?;
    if !["cash", "card", "transfer", "voucher", "other"].contains(&b.method.as_str()) {
        return Err(AppError::validation("method", "must be cash, card, transfer, voucher or other"));
    }
    if b.tendered.is_some() && b.method != "cash" {
        return Err(AppError::validation("tendered", "is for cash payments"));
    }
    if let Some(r) = &b.reference {
        if r.chars().count() > 50 {
            return Err(AppError::validation("reference", "must be at most 50 characters"));
        }
        crate::domain::shown_text("reference", r, false)?;
    }
    if b.amount.is_some_and(|v| !(1..=100_000_000).contains(&v)) {
        return Err(AppError::validation("amount", "must be from 1 to 100000000"));
    }
    if b.tendered.is_some_and(|v| !(1..=1_000_000_000).contains(&v)) {
        return Err(AppError::validation("tendered", "must be a positive amount in won"));
    }
    let split = match &b.split {
        None => None,
        Some(SplitBody::Equal { parts }) => split_of(Some("equal"), Some(*parts), None)?,
        Some(SplitBody::Items { order_item_ids }) => {
            let ids: Vec<String> = order_item_ids.iter().map(|i| i.to_string()).collect();
            split_of(Some("items"), None, Some(&ids.join(",")))?
        }
    };
    let n = NewPayment { method: b.method, amount: b.amount, tendered: b.tendered, reference: b.reference, split };
    let (check, created) =
        st.writer.write(move |ctx| db::check::pay(ctx, &a.store_id, id, key.as_deref(), &n, &a.who())).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, axum::Json(check)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    reason: String,
    /// At most what is left of the payment (all of it when absent).
    amount: Option<i64>,
}

/// Refunds (part of) a payment (managers). It belongs to the business day it is made in.
#[utoipa::path(post, path = "/api/v1/admin/payments/{id}/refund", tag = "check", security(("bearer" = [])),
    request_body = RefundBody, params(("id" = i64, Path)),
    responses((status = 200, body = CheckDto), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn refund(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<RefundBody>,
) -> AppResult<axum::Json<CheckDto>> {
    let reason = domain::reason(&b.reason)?;
    if b.amount.is_some_and(|v| !(1..=100_000_000).contains(&v)) {
        return Err(AppError::validation("amount", "must be from 1 to 100000000"));
    }
    Ok(axum::Json(
        st.writer.write(move |ctx| db::check::refund(ctx, &a.store_id, id, b.amount, &reason, &a.who())).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrintBody {
    /// `bill` (계산서, before payment) or `receipt` (영수증, with the payments).
    kind: String,
}

/// The local time and business date printed on documents.
fn local_now(conn: &rusqlite::Connection, store_id: &str, now_ms: i64) -> AppResult<(String, String)> {
    let tz = db::stores::timezone(conn, store_id)?;
    let t = jiff::Timestamp::from_millisecond(now_ms).map_err(AppError::internal)?.to_zoned(tz.clone());
    let cutoff = db::stores::settings(conn, store_id)?.day_cutoff_hour;
    let date = match db::days::open_day(conn, store_id)? {
        Some(d) => d.business_date,
        None => db::days::business_date(&tz, now_ms, cutoff)?,
    };
    Ok((t.strftime("%Y-%m-%d %H:%M").to_string(), date))
}

/// Prints the bill or the receipt on the receipt printer (through the print queue: never
/// lost while the printer is away).
#[utoipa::path(post, path = "/api/v1/admin/sessions/{id}/print-bill", tag = "check", security(("bearer" = [])),
    request_body = PrintBody, params(("id" = i64, Path)),
    responses((status = 202), (status = 404), (status = 409), (status = 422)))]
async fn print_bill(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<PrintBody>,
) -> AppResult<StatusCode> {
    let receipt = match b.kind.as_str() {
        "bill" => false,
        "receipt" => true,
        _ => return Err(AppError::validation("kind", "must be bill or receipt")),
    };
    st.writer
        .write(move |ctx| {
            let check = db::check::get(ctx.conn, &a.store_id, id, None)?;
            let name = db::stores::name(ctx.conn, &a.store_id)?;
            let (time, date) = local_now(ctx.conn, &a.store_id, ctx.now_ms)?;
            let doc = crate::receipt::check_doc(&check, &name, receipt, &time, &date);
            db::kitchen::print_doc(ctx, &a.store_id, if receipt { "receipt" } else { "bill" }, &doc)
        })
        .await?;
    Ok(StatusCode::ACCEPTED)
}

// ---- the business day -----------------------------------------------------------------------

/// The open business day (404 when none is open).
#[utoipa::path(get, path = "/api/v1/admin/days/current", tag = "days", security(("bearer" = [])),
    responses((status = 200, body = DayDto), (status = 404)))]
async fn current_day(a: AdminUser, State(st): State<AppState>) -> AppResult<axum::Json<DayDto>> {
    let d = db::read(&st.pool, move |c| db::days::open_day(c, &a.store_id)).await?;
    Ok(axum::Json(d.ok_or(AppError::NotFound("open business day"))?.dto()))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct OpenDayBody {
    /// Cash in the drawer at the opening (won).
    opening_cash: Option<i64>,
}

/// Opens the business day by hand, with the cash in the drawer (409 while one is open).
#[utoipa::path(post, path = "/api/v1/admin/days/open", tag = "days", security(("bearer" = [])), request_body = OpenDayBody,
    responses((status = 201, body = DayDto), (status = 403), (status = 409), (status = 422)))]
async fn open_day(
    a: AdminUser,
    State(st): State<AppState>,
    Json(b): Json<OpenDayBody>,
) -> AppResult<(StatusCode, axum::Json<DayDto>)> {
    let cash = b.opening_cash.unwrap_or(0);
    if !(0..=100_000_000).contains(&cash) {
        return Err(AppError::validation("opening_cash", "must be from 0 to 100000000"));
    }
    let d = st.writer.write(move |ctx| db::days::open(ctx, &a.store_id, cash, &a.who())).await?;
    Ok((StatusCode::CREATED, axum::Json(d)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CloseDayBody {
    /// The cash counted in the drawer (won).
    counted_cash: Option<i64>,
    /// Close while tables are open (they carry into the next day).
    #[serde(default)]
    force: bool,
    reason: Option<String>,
}

/// Closes the business day (마감 정산) and answers its report, frozen from now on. 409
/// `open_sessions` (with their `tables`) while a visit is open, unless `force`.
#[utoipa::path(post, path = "/api/v1/admin/days/close", tag = "days", security(("bearer" = [])), request_body = CloseDayBody,
    responses((status = 200, body = DayReport), (status = 403), (status = 409), (status = 422)))]
async fn close_day(
    a: AdminUser,
    State(st): State<AppState>,
    Json(b): Json<CloseDayBody>,
) -> AppResult<axum::Json<DayReport>> {
    if b.counted_cash.is_some_and(|v| !(0..=1_000_000_000).contains(&v)) {
        return Err(AppError::validation("counted_cash", "must be a whole amount in won, 0 or more"));
    }
    let reason = b.reason.as_deref().map(domain::reason).transpose()?;
    Ok(axum::Json(
        st.writer
            .write(move |ctx| db::days::close(ctx, &a.store_id, b.counted_cash, b.force, reason.as_deref(), &a.who()))
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct DaysQuery {
    /// First business date (YYYY-MM-DD).
    from: Option<String>,
    /// Last business date (inclusive).
    to: Option<String>,
}

fn date(field: &str, v: Option<&str>) -> AppResult<Option<String>> {
    v.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<jiff::civil::Date>()
                .map(|d| d.to_string())
                .map_err(|_| AppError::validation(field, "must be a date YYYY-MM-DD"))
        })
        .transpose()
}

/// The business days, newest first.
#[utoipa::path(get, path = "/api/v1/admin/days", tag = "days", security(("bearer" = [])), params(DaysQuery),
    responses((status = 200, body = Vec<DayDto>), (status = 403), (status = 422)))]
async fn list_days(
    a: AdminUser,
    State(st): State<AppState>,
    Query(q): Query<DaysQuery>,
) -> AppResult<axum::Json<Vec<DayDto>>> {
    let (from, to) = (date("from", q.from.as_deref())?, date("to", q.to.as_deref())?);
    Ok(axum::Json(db::read(&st.pool, move |c| db::days::list(c, &a.store_id, from.as_deref(), to.as_deref())).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct ReportQuery {
    /// `csv` for a spreadsheet; JSON otherwise.
    format: Option<String>,
}

/// A day's report (as frozen at its close, or as it stands while open); `?format=csv`.
#[utoipa::path(get, path = "/api/v1/admin/days/{id}/report", tag = "days", security(("bearer" = [])),
    params(("id" = i64, Path), ReportQuery),
    responses((status = 200, body = DayReport), (status = 403), (status = 404), (status = 422)))]
async fn day_report(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<ReportQuery>,
) -> AppResult<Response> {
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(AppError::validation("format", "must be json or csv")),
    };
    let r = db::read(&st.pool, move |c| db::days::report(c, &a.store_id, id)).await?;
    if !csv {
        return Ok(axum::Json(r).into_response());
    }
    let name = format!("attachment; filename=\"day_{}.csv\"", r.day.business_date);
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)],
        db::days::csv(&r),
    )
        .into_response())
}

/// Prints a day's report on the receipt printer.
#[utoipa::path(post, path = "/api/v1/admin/days/{id}/print", tag = "days", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 202), (status = 403), (status = 404), (status = 409)))]
async fn print_day(a: AdminUser, State(st): State<AppState>, Path(id): Path<i64>) -> AppResult<StatusCode> {
    st.writer
        .write(move |ctx| {
            let r = db::days::report(ctx.conn, &a.store_id, id)?;
            let name = db::stores::name(ctx.conn, &a.store_id)?;
            let (time, _) = local_now(ctx.conn, &a.store_id, ctx.now_ms)?;
            db::kitchen::print_doc(ctx, &a.store_id, "day_report", &crate::receipt::day_doc(&r, &name, &time))
        })
        .await?;
    Ok(StatusCode::ACCEPTED)
}
