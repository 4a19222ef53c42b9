//! Health, metrics and the system page.

use crate::auth::AdminUser;
use crate::db;
use crate::error::AppResult;
use crate::metrics::family;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use std::sync::atomic::Ordering;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(metrics)).routes(routes!(system))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
    db: &'static str,
    version: &'static str,
}

/// Liveness and database health.
#[utoipa::path(get, path = "/healthz", tag = "public",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn healthz(State(st): State<AppState>) -> impl IntoResponse {
    let ok = db::ping(&st.pool).await;
    let body = Health {
        status: if ok { "ok" } else { "degraded" },
        db: if ok { "ok" } else { "error" },
        version: env!("CARGO_PKG_VERSION"),
    };
    (if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(body))
}

fn db_bytes(st: &AppState) -> u64 {
    let base = db::db_path(&st.config.data_dir);
    let wal = base.with_extension("db-wal");
    [base, wal].iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "public", responses((status = 200, body = String, content_type = "text/plain")))]
async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    let mut out = String::new();
    let m = &st.metrics;
    let hs = &st.hub.stats;
    let (staff, table) = st.hub.counts();
    let pool = st.pool.state();
    let g = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed) as f64;
    family(
        &mut out,
        "tableorder_uptime_seconds",
        "gauge",
        "Seconds since start.",
        &[("", st.started.elapsed().as_secs_f64())],
    );
    family(
        &mut out,
        "tableorder_http_responses_total",
        "counter",
        "HTTP responses by status class.",
        &[
            ("class=\"2xx\"", g(&m.http_2xx)),
            ("class=\"3xx\"", g(&m.http_3xx)),
            ("class=\"4xx\"", g(&m.http_4xx)),
            ("class=\"5xx\"", g(&m.http_5xx)),
        ],
    );
    family(&mut out, "tableorder_orders_created_total", "counter", "Orders placed.", &[("", g(&m.orders_created))]);
    family(&mut out, "tableorder_logins_failed_total", "counter", "Failed logins.", &[("", g(&m.logins_failed))]);
    family(
        &mut out,
        "tableorder_sse_connections",
        "gauge",
        "Open event streams.",
        &[("kind=\"staff\"", staff as f64), ("kind=\"table\"", table as f64)],
    );
    family(
        &mut out,
        "tableorder_sse_events_sent_total",
        "counter",
        "Events written to streams.",
        &[("", g(&hs.events_sent))],
    );
    family(
        &mut out,
        "tableorder_sse_dropped_lagging_total",
        "counter",
        "Streams dropped for falling behind.",
        &[("", g(&hs.dropped_lagging))],
    );
    family(&mut out, "tableorder_sse_refused_total", "counter", "Streams refused by a limit.", &[("", g(&hs.refused))]);
    family(
        &mut out,
        "tableorder_sse_replaced_total",
        "counter",
        "Table streams replaced by a newer one.",
        &[("", g(&hs.replaced))],
    );
    family(
        &mut out,
        "tableorder_db_pool_connections",
        "gauge",
        "Read pool connections.",
        &[
            ("state=\"idle\"", pool.idle_connections as f64),
            ("state=\"in_use\"", (pool.connections - pool.idle_connections) as f64),
        ],
    );
    family(
        &mut out,
        "tableorder_db_bytes",
        "gauge",
        "Database size on disk, WAL included.",
        &[("", db_bytes(&st) as f64)],
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

#[derive(Serialize, ToSchema)]
pub struct PoolStatus {
    max: u32,
    open: u32,
    idle: u32,
    in_use: u32,
}

#[derive(Serialize, ToSchema)]
pub struct SseStatus {
    staff: usize,
    table: usize,
    events_sent: u64,
    dropped_lagging: u64,
}

#[derive(Serialize, ToSchema)]
pub struct SystemStatus {
    version: &'static str,
    uptime_s: u64,
    db_bytes: u64,
    pool: PoolStatus,
    sse: SseStatus,
    #[schema(value_type = Object)]
    limits: crate::config::Limits,
    backups: Vec<crate::db::backup::BackupInfo>,
}

/// Version, uptime, database, pool, streams, limits and backups.
#[utoipa::path(get, path = "/api/v1/admin/system", tag = "system", security(("bearer" = [])),
    responses((status = 200, body = SystemStatus)))]
async fn system(_admin: AdminUser, State(st): State<AppState>) -> AppResult<Json<SystemStatus>> {
    let p = st.pool.state();
    let (staff, table) = st.hub.counts();
    Ok(Json(SystemStatus {
        version: env!("CARGO_PKG_VERSION"),
        uptime_s: st.started.elapsed().as_secs(),
        db_bytes: db_bytes(&st),
        pool: PoolStatus {
            max: st.pool.max_size(),
            open: p.connections,
            idle: p.idle_connections,
            in_use: p.connections - p.idle_connections,
        },
        sse: SseStatus {
            staff,
            table,
            events_sent: st.hub.stats.events_sent.load(Ordering::Relaxed),
            dropped_lagging: st.hub.stats.dropped_lagging.load(Ordering::Relaxed),
        },
        limits: st.config.limits.clone(),
        backups: crate::db::backup::list(&st.config.data_dir),
    }))
}
