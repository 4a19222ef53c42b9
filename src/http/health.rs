//! Health, metrics and the system page.

use crate::db;
use crate::error::AppResult;
use crate::http::extract::AdminUser;
use crate::metrics::{KindLabel, StateLabel};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(metrics)).routes(routes!(system))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
    db: &'static str,
    /// The writer thread that every change goes through: "ok", or "error" when it is dead
    /// or stuck (every write would fail).
    writer: &'static str,
    version: &'static str,
}

/// How long the writer may take to answer a health check (it answers between batches).
pub const WRITER_PING: std::time::Duration = std::time::Duration::from_secs(3);

/// Reads and writes both work: the read pool answers and the writer thread is alive.
pub async fn healthy(st: &AppState) -> (bool, bool) {
    let (db_ok, writer_ok) = tokio::join!(db::ping(&st.pool), st.writer.ping(WRITER_PING));
    (db_ok, writer_ok)
}

/// Liveness and database health (reads and the writer).
#[utoipa::path(get, path = "/healthz", tag = "public",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn healthz(State(st): State<AppState>) -> impl IntoResponse {
    let (db_ok, writer_ok) = healthy(&st).await;
    let ok = db_ok && writer_ok;
    let body = Health {
        status: if ok { "ok" } else { "degraded" },
        db: if db_ok { "ok" } else { "error" },
        writer: if writer_ok { "ok" } else { "error" },
        version: crate::version::get(),
    };
    (if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, Json(body))
}

fn db_bytes(st: &AppState) -> u64 {
    let base = db::db_path(&st.config.data_dir);
    let wal = base.with_extension("db-wal");
    [base, wal].iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(get, path = "/metrics", tag = "public", responses((status = 200, body = String, content_type = "application/openmetrics-text")))]
async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    let m = &st.metrics;
    let (staff, table) = st.fanout.counts();
    m.sse_connections.get_or_create(&KindLabel { kind: "staff" }).set(staff as i64);
    m.sse_connections.get_or_create(&KindLabel { kind: "table" }).set(table as i64);
    let pool = st.pool.state();
    m.pool.get_or_create(&StateLabel { state: "idle" }).set(pool.idle_connections as i64);
    m.pool.get_or_create(&StateLabel { state: "in_use" }).set((pool.connections - pool.idle_connections) as i64);
    m.db_bytes.set(db_bytes(&st) as i64);
    if let Some(free) = crate::metrics::free_bytes(&st.config.data_dir) {
        m.disk_free.set(free as i64);
    }
    m.uptime.set(st.started.elapsed().as_secs_f64());
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], st.metrics.render())
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
    /// Free space on the data directory's filesystem.
    disk_free_bytes: Option<u64>,
    /// Whether this login is the box owner's (backups are theirs).
    box_owner: bool,
    /// Backups on the box (the box owner only; empty for other staff).
    backups: Vec<crate::db::backup::BackupInfo>,
    /// The store's timezone (IANA name).
    timezone: String,
    /// The chain hub this box sends to: `{"url","state","backlog","acked_event_id","last_upload_at"}`.
    hub: crate::uplink::UplinkStatus,
}

/// Version, uptime, database, pool, streams, limits and backups.
#[utoipa::path(get, path = "/api/v1/admin/system", tag = "system", security(("bearer" = [])),
    responses((status = 200, body = SystemStatus)))]
async fn system(admin: AdminUser, State(st): State<AppState>) -> AppResult<Json<SystemStatus>> {
    // The backlog as it is now (the uploader's own figure may be a backoff old).
    let (head, cursor) =
        db::read(&st.pool, |c| Ok((db::events::head(c)?, db::uplink::cursor(c)?))).await.unwrap_or((0, 0));
    let store = admin.store_id.clone();
    let timezone = db::read(&st.pool, move |c| db::stores::timezone_name(c, &store)).await?;
    let p = st.pool.state();
    let (staff, table) = st.fanout.counts();
    Ok(Json(SystemStatus {
        version: crate::version::get(),
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
            events_sent: st.fanout.stats.events_sent.get(),
            dropped_lagging: st.fanout.stats.dropped_lagging.get(),
        },
        limits: st.config.limits.clone(),
        disk_free_bytes: crate::metrics::free_bytes(&st.config.data_dir),
        box_owner: admin.box_owner,
        timezone,
        backups: if admin.box_owner { crate::db::backup::list(&st.config.data_dir) } else { Vec::new() },
        hub: {
            let mut h = st.uplink.status();
            if st.config.hub.is_none() {
                h.state = "off".into();
            } else {
                h.acked_event_id = cursor;
                h.backlog = (head - cursor).max(0);
            }
            h
        },
    }))
}
