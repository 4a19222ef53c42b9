//! Staff: create, list and download online backups.

use crate::auth::AdminUser;
use crate::db::{self, backup::BackupInfo};
use crate::error::{AppError, AppResult};
use crate::http::extract::Path;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(download))
}

/// Backups in the data directory, newest first.
#[utoipa::path(get, path = "/api/v1/admin/backups", tag = "system", security(("bearer" = [])),
    responses((status = 200, body = Vec<BackupInfo>)))]
async fn list(_a: AdminUser, State(st): State<AppState>) -> AppResult<axum::Json<Vec<BackupInfo>>> {
    Ok(axum::Json(db::backup::list(&st.config.data_dir)))
}

/// Writes an online backup of the whole box (every store, images included) now.
#[utoipa::path(post, path = "/api/v1/admin/backups", tag = "system", security(("bearer" = [])),
    responses((status = 201, body = BackupInfo)))]
async fn create(_a: AdminUser, State(st): State<AppState>) -> AppResult<(StatusCode, axum::Json<BackupInfo>)> {
    let dir = st.config.data_dir.clone();
    let info = db::read(&st.pool, move |c| {
        let path = db::backup::new_path(&dir, "manual");
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        db::backup::vacuum_into(c, &path).map_err(AppError::Internal)?;
        db::backup::list(&dir).into_iter().find(|b| b.name == name).ok_or_else(|| AppError::internal("backup vanished"))
    })
    .await?;
    Ok((StatusCode::CREATED, axum::Json(info)))
}

/// Downloads a backup (an SQLite database file).
#[utoipa::path(get, path = "/api/v1/admin/backups/{name}", tag = "system", security(("bearer" = [])),
    params(("name" = String, Path)), responses((status = 200, content_type = "application/vnd.sqlite3"), (status = 404)))]
async fn download(_a: AdminUser, State(st): State<AppState>, Path(name): Path<String>) -> AppResult<Response> {
    if !db::backup::valid_name(&name) {
        return Err(AppError::NotFound("backup"));
    }
    let path = db::backup::backup_dir(&st.config.data_dir).join(&name);
    let file = tokio::fs::File::open(&path).await.map_err(|_| AppError::NotFound("backup"))?;
    let len = file.metadata().await.map_err(AppError::internal)?.len();
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
