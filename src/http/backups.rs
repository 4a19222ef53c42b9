//! Staff: create, list and download online backups.

use crate::db::{self, backup::BackupInfo};
use crate::error::{AppError, AppResult};
use crate::http::extract::AdminUser;
use crate::http::extract::Path;
use crate::metrics::KindLabel;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::time::{Duration, Instant};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(download))
}

/// A backup holds every store on the box (orders, staff password hashes): only the box
/// owner may make, list or download one. Other staff get 403.
fn owner(a: &AdminUser) -> AppResult<()> {
    if a.box_owner {
        Ok(())
    } else {
        Err(AppError::Forbidden("backups hold every store on this box; only the box owner can use them".into()))
    }
}

/// Backups in the data directory, newest first (box owner only).
#[utoipa::path(get, path = "/api/v1/admin/backups", tag = "system", security(("bearer" = [])),
    responses((status = 200, body = Vec<BackupInfo>), (status = 403)))]
async fn list(a: AdminUser, State(st): State<AppState>) -> AppResult<axum::Json<Vec<BackupInfo>>> {
    owner(&a)?;
    Ok(axum::Json(db::backup::list(&st.config.data_dir)))
}

/// Writes an online backup of the whole box (every store, images included) now. Box owner
/// only; one at a time (409), at most one per `backup_min_interval_secs` (429), and only
/// while the disk keeps `backup_min_free_mb` free beyond the copy (507).
#[utoipa::path(post, path = "/api/v1/admin/backups", tag = "system", security(("bearer" = [])),
    responses((status = 201, body = BackupInfo), (status = 403), (status = 409), (status = 429), (status = 507)))]
async fn create(a: AdminUser, State(st): State<AppState>) -> AppResult<(StatusCode, axum::Json<BackupInfo>)> {
    owner(&a)?;
    let Ok(_running) = st.backups.running.try_lock() else {
        return Err(AppError::Conflict("a backup is being written already; try again in a moment".into()));
    };
    let min_gap = Duration::from_secs(st.config.backup_min_interval_secs);
    if let Some(last) = *st.backups.last.lock().expect("backup lock") {
        let since = last.elapsed();
        if since < min_gap {
            return Err(AppError::TooManyRequests { retry_after_s: (min_gap - since).as_secs().max(1) });
        }
    }
    let dir = st.config.data_dir.clone();
    let needed = db::backup::space_needed(&dir, st.config.backup_min_free_mb);
    if let Some(free) = crate::metrics::free_bytes(&dir)
        && free < needed
    {
        return Err(AppError::InsufficientStorage(format!(
            "not enough free disk for a backup: {} MB free, {} MB needed",
            free / 1_000_000,
            needed.div_ceil(1_000_000)
        )));
    }
    let info = db::read(&st.pool, move |c| {
        let path = db::backup::new_path(&dir, "manual");
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        db::backup::vacuum_into(c, &path).map_err(AppError::Internal)?;
        db::backup::list(&dir).into_iter().find(|b| b.name == name).ok_or_else(|| AppError::internal("backup vanished"))
    })
    .await;
    *st.backups.last.lock().expect("backup lock") = Some(Instant::now());
    match info {
        Ok(info) => {
            st.metrics.backups_written.get_or_create(&KindLabel { kind: "manual" }).inc();
            Ok((StatusCode::CREATED, axum::Json(info)))
        }
        Err(e) => {
            st.metrics.backups_failed.inc();
            Err(e)
        }
    }
}

/// Downloads a backup (an SQLite database file).
#[utoipa::path(get, path = "/api/v1/admin/backups/{name}", tag = "system", security(("bearer" = [])),
    params(("name" = String, Path)), responses((status = 200, content_type = "application/vnd.sqlite3"), (status = 403), (status = 404)))]
async fn download(a: AdminUser, State(st): State<AppState>, Path(name): Path<String>) -> AppResult<Response> {
    owner(&a)?;
    if !db::backup::valid_name(&name) {
        return Err(AppError::NotFound("backup"));
    }
    let path = db::backup::backup_dir(&st.config.data_dir).join(&name);
    let file = tokio::fs::File::open(&path).await.map_err(|_| AppError::NotFound("backup"))?;
    let len = file.metadata().await.map_err(AppError::internal)?.len();
    // A copy of every order and account leaves the box: the trail says who took it.
    let (store, who, file_name) = (a.store_id.clone(), a.who(), name.clone());
    st.writer
        .write(move |ctx| {
            let mut e = db::audit::Audit::by("backup_downloaded", &who, None);
            e.detail = serde_json::json!({ "name": file_name, "bytes": len });
            db::audit::record(ctx, &store, e)
        })
        .await?;
    let body = Body::from_stream(tokio_util_stream(file));
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.sqlite3")),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, HeaderValue::from(len)),
        ],
        body,
    )
        .into_response())
}

/// Streams a file in 64 KiB chunks.
fn tokio_util_stream(file: tokio::fs::File) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(file, |mut f| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    })
}
