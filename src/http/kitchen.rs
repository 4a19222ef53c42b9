//! Staff and the kitchen display: stations and their printers, tickets, bumps, reprints.

use crate::db;
use crate::db::kitchen::{self as kdb, PrinterDto, StationDto, StationFields, TicketDto};
use crate::db::sort::Sorted;
use crate::error::{AppError, AppResult};
use crate::http::extract::AdminUser;
use crate::http::extract::{Json, Path, Query, double_option};
use crate::http::sorting::{SortEntry, sort_entries};
use crate::kitchen::escpos::{self, Encoding};
use crate::kitchen::printer;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stations, create_station))
        .routes(routes!(reorder_stations))
        .routes(routes!(update_station, delete_station))
        .routes(routes!(station_status))
        .routes(routes!(test_print))
        .routes(routes!(list_tickets))
        .routes(routes!(bump))
        .routes(routes!(unbump))
        .routes(routes!(reprint))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrinterBody {
    /// The printer's address on the LAN (IP or host name).
    host: String,
    /// Default 9100 (raw TCP).
    port: Option<i64>,
    /// `cp949` (default; Korean printers) or `utf-8`.
    encoding: Option<String>,
    /// Characters per line: 42 on 80 mm paper (default), 32 on 58 mm.
    columns: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StationBody {
    name: Option<String>,
    sort_order: Option<i64>,
    /// The station's printer; `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<PrinterBody>)]
    printer: Option<Option<PrinterBody>>,
    /// Bills, receipts and day reports print at this station's printer.
    receipt: Option<bool>,
}

fn printer_fields(p: &PrinterBody, e: &mut BTreeMap<String, String>) -> Option<PrinterDto> {
    let host = p.host.trim();
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        e.insert("printer.host".into(), "must be an IP address or a host name".into());
    }
    let port = p.port.unwrap_or(9100);
    if !(1..=65535).contains(&port) {
        e.insert("printer.port".into(), "must be from 1 to 65535".into());
    }
    let encoding = p.encoding.clone().unwrap_or_else(|| "cp949".into());
    if Encoding::parse(&encoding).is_none() {
        e.insert("printer.encoding".into(), "must be cp949 or utf-8".into());
    }
    let columns = p.columns.unwrap_or(42);
    if !(24..=64).contains(&columns) {
        e.insert("printer.columns".into(), "must be from 24 to 64".into());
    }
    Some(PrinterDto { host: host.to_string(), port, encoding, columns })
}

fn station_fields(b: &StationBody, creating: bool) -> AppResult<StationFields> {
    let mut e = BTreeMap::new();
    let mut f = StationFields { receipt: b.receipt, ..Default::default() };
    match (&b.name, creating) {
        (Some(n), _) => {
            let n = n.trim();
            if n.is_empty() || n.chars().count() > 30 {
                e.insert("name".into(), "must be 1 to 30 characters".into());
            } else if let Err(AppError::Validation(m)) = crate::domain::shown_text("name", n, true) {
                e.extend(m);
            }
            f.name = Some(n.to_string());
        }
        (None, true) => {
            e.insert("name".into(), "is required".into());
        }
        _ => {}
    }
    if let Some(s) = b.sort_order {
        if !(0..=1_000_000).contains(&s) {
            e.insert("sort_order".into(), "must be a whole number from 0 to 1000000".into());
        }
        f.sort_order = Some(s);
    }
    f.printer = b.printer.as_ref().map(|p| p.as_ref().and_then(|p| printer_fields(p, &mut e)));
    if e.is_empty() { Ok(f) } else { Err(AppError::Validation(e)) }
}

/// Kitchen stations (주방, 바) with their printers.
#[utoipa::path(get, path = "/api/v1/admin/stations", tag = "kitchen", security(("bearer" = [])),
    responses((status = 200, body = Vec<StationDto>)))]
async fn list_stations(a: AdminUser, State(st): State<AppState>) -> AppResult<axum::Json<Vec<StationDto>>> {
    Ok(axum::Json(db::read(&st.pool, move |c| kdb::stations(c, &a.store_id)).await?))
}

/// Adds a station, with or without a printer.
#[utoipa::path(post, path = "/api/v1/admin/stations", tag = "kitchen", security(("bearer" = [])), request_body = StationBody,
    responses((status = 201, body = StationDto), (status = 409), (status = 422)))]
async fn create_station(
    a: AdminUser,
    State(st): State<AppState>,
    Json(b): Json<StationBody>,
) -> AppResult<(StatusCode, axum::Json<StationDto>)> {
    let f = station_fields(&b, true)?;
    let s = st.writer.write(move |ctx| kdb::create_station(ctx, &a.store_id, &f)).await?;
    Ok((StatusCode::CREATED, axum::Json(s)))
}

/// Renames, reorders, or sets (or with `null` removes) a station's printer.
#[utoipa::path(patch, path = "/api/v1/admin/stations/{id}", tag = "kitchen", security(("bearer" = [])), request_body = StationBody,
    params(("id" = i64, Path)), responses((status = 200, body = StationDto), (status = 404), (status = 409), (status = 422)))]
async fn update_station(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<StationBody>,
) -> AppResult<axum::Json<StationDto>> {
    let f = station_fields(&b, false)?;
    Ok(axum::Json(st.writer.write(move |ctx| kdb::update_station(ctx, &a.store_id, id, &f)).await?))
}

/// Removes a station: its items fall back to their category's or the first station; its
/// tickets are kept (closed), its waiting print jobs dropped.
#[utoipa::path(delete, path = "/api/v1/admin/stations/{id}", tag = "kitchen", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404)))]
async fn delete_station(a: AdminUser, State(st): State<AppState>, Path(id): Path<i64>) -> AppResult<StatusCode> {
    st.writer.write(move |ctx| kdb::delete_station(ctx, &a.store_id, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct PrinterStatus {
    /// `ok`, `offline`, `paper_out`, `cover_open`, or `none` (no printer).
    state: String,
    /// Tickets waiting to be printed.
    waiting: i64,
    last_printed_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StationStatus {
    printer: PrinterStatus,
}

/// A station's printer: its state, the tickets waiting, the last print.
#[utoipa::path(get, path = "/api/v1/admin/stations/{id}/status", tag = "kitchen", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = StationStatus), (status = 404)))]
async fn station_status(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<StationStatus>> {
    let (s, waiting, last) = db::read(&st.pool, move |c| {
        let s = kdb::station(c, &a.store_id, id)?;
        Ok((s, kdb::waiting(c, &a.store_id, id)?, kdb::last_printed(c, &a.store_id, id)?))
    })
    .await?;
    let state = match s.printer {
        None => "none".to_string(),
        // Not tried yet: fine until a print says otherwise.
        Some(_) => st.printers.state(id).unwrap_or(escpos::PrinterState::Ok).as_str().to_string(),
    };
    Ok(axum::Json(StationStatus { printer: PrinterStatus { state, waiting, last_printed_at: last.map(db::rfc3339) } }))
}

#[derive(Serialize, ToSchema)]
pub struct TestPrint {
    /// Whether the printer took the test page.
    printed: bool,
    /// `ok`, `offline`, `paper_out` or `cover_open`.
    state: String,
}

/// Prints a test page now (store name, "테스트 인쇄", Korean sample text, a cut).
#[utoipa::path(post, path = "/api/v1/admin/stations/{id}/test-print", tag = "kitchen", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = TestPrint), (status = 404), (status = 409)))]
async fn test_print(a: AdminUser, State(st): State<AppState>, Path(id): Path<i64>) -> AppResult<axum::Json<TestPrint>> {
    let store = a.store_id.clone();
    let (s, name) = db::read(&st.pool, move |c| {
        let s = kdb::station(c, &store, id)?;
        let name: String = c.query_row("SELECT name FROM stores WHERE id = ?1", [&store], |r| r.get(0))?;
        Ok((s, name))
    })
    .await?;
    let p = s.printer.clone().ok_or_else(|| AppError::Conflict("this station has no printer".into()))?;
    let bytes =
        escpos::test_page(&name, &s.name, p.columns as usize, Encoding::parse(&p.encoding).unwrap_or(Encoding::Cp949));
    let (printed, state) = match printer::send(&p, &bytes).await {
        Ok(()) => (true, escpos::PrinterState::Ok),
        Err(printer::PrintError::Refused(s)) => (false, s),
        Err(_) => (false, escpos::PrinterState::Offline),
    };
    Ok(axum::Json(TestPrint { printed, state: state.as_str().to_string() }))
}

#[derive(Deserialize, IntoParams)]
pub struct TicketsQuery {
    /// Only this station's tickets.
    station_id: Option<i64>,
    /// Only tickets not bumped yet (default true).
    open: Option<bool>,
}

/// Tickets, oldest first (the kitchen display).
#[utoipa::path(get, path = "/api/v1/admin/tickets", tag = "kitchen", security(("bearer" = [])), params(TicketsQuery),
    responses((status = 200, body = Vec<TicketDto>)))]
async fn list_tickets(
    a: AdminUser,
    State(st): State<AppState>,
    Query(q): Query<TicketsQuery>,
) -> AppResult<axum::Json<Vec<TicketDto>>> {
    let open = q.open.unwrap_or(true);
    Ok(axum::Json(db::read(&st.pool, move |c| kdb::tickets(c, &a.store_id, q.station_id, open)).await?))
}

/// Sets the order of the stations, in one change (the first is where lines of items and
/// categories without a station go).
#[utoipa::path(put, path = "/api/v1/admin/stations/order", tag = "kitchen", security(("bearer" = [])), request_body = Vec<SortEntry>,
    responses((status = 204), (status = 404), (status = 422)))]
async fn reorder_stations(
    a: AdminUser,
    State(st): State<AppState>,
    Json(b): Json<Vec<SortEntry>>,
) -> AppResult<StatusCode> {
    let order = sort_entries(b)?;
    st.writer.write(move |ctx| db::sort::reorder(ctx, &a.store_id, Sorted::Stations, &order)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Done at this station. When every station's ticket of the order is bumped, the order
/// becomes `completed` (the tablet sees it); the first bump makes it `preparing`.
#[utoipa::path(post, path = "/api/v1/admin/tickets/{id}/bump", tag = "kitchen", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = TicketDto), (status = 404)))]
async fn bump(a: AdminUser, State(st): State<AppState>, Path(id): Path<i64>) -> AppResult<axum::Json<TicketDto>> {
    Ok(axum::Json(st.writer.write(move |ctx| db::flows::bump(ctx, &a.store_id, id)).await?))
}

/// Undoes a bump: the ticket is open again, its order back to its status before the bump.
#[utoipa::path(post, path = "/api/v1/admin/tickets/{id}/unbump", tag = "kitchen", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = TicketDto), (status = 404), (status = 409)))]
async fn unbump(a: AdminUser, State(st): State<AppState>, Path(id): Path<i64>) -> AppResult<axum::Json<TicketDto>> {
    Ok(axum::Json(st.writer.write(move |ctx| db::flows::unbump(ctx, &a.store_id, id)).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Reprint {
    /// Print jobs queued (tickets of stations with a printer).
    queued: i64,
}

/// Prints the order's tickets again, marked "재출력".
#[utoipa::path(post, path = "/api/v1/admin/orders/{id}/reprint", tag = "kitchen", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 202, body = Reprint), (status = 404)))]
async fn reprint(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> AppResult<(StatusCode, axum::Json<Reprint>)> {
    let queued = st.writer.write(move |ctx| kdb::reprint(ctx, &a.store_id, id)).await?;
    st.printers.wake.notify_waiters();
    Ok((StatusCode::ACCEPTED, axum::Json(Reprint { queued })))
}
