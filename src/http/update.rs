//! Updates from the System page: upload a signed release, see how updates went, go back.
//! The box owner only (a release runs the whole box).

use crate::error::{AppError, AppResult};
use crate::http::extract::AdminUser;
use crate::state::AppState;
use crate::update::{self, state::When};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use serde::Serialize;
use std::io::Write;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::update::MAX_RELEASE_BYTES;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(OpenApiRouter::new().routes(routes!(upload, status)).layer(DefaultBodyLimit::max(MAX_RELEASE_BYTES)))
        .routes(routes!(rollback))
}

fn owner(a: &AdminUser) -> AppResult<()> {
    if a.box_owner {
        Ok(())
    } else {
        Err(AppError::Forbidden("a release runs every store on this box; only the box owner can update it".into()))
    }
}

/// An accepted release.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    version: String,
    /// `pending`: installed, waiting for its moment.
    state: update::state::Phase,
    when: When,
}

/// How updates stand.
#[derive(Serialize, ToSchema)]
pub struct UpdateStatus {
    /// The version that runs.
    current: String,
    /// The version that ran before it (what a rollback returns to), if any.
    previous: Option<String>,
    state: update::state::Phase,
    last_error: Option<String>,
    /// With `pending`: the release waiting and its moment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pending: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    when: Option<When>,
    /// Seconds a new release must stay healthy before it is kept.
    probation_secs: u64,
    /// When the state last changed (ms since the epoch; 0: never).
    changed_at: i64,
    /// Releases can be checked: the box trusts at least one release key.
    keys: bool,
}

/// Upload a release: `multipart/form-data` with `binary` and `signature` (≤ 64 MB), and
/// optionally `when` (`idle`, the default, or `now`) and `rollback` (`true` to accept an
/// older release). It is verified and installed, then applied at that moment.
#[utoipa::path(post, path = "/api/v1/admin/system/update", tag = "system", security(("bearer" = [])),
    responses((status = 202, body = Accepted), (status = 400), (status = 403), (status = 409), (status = 413), (status = 422)))]
async fn upload(
    a: AdminUser,
    State(st): State<AppState>,
    mut form: Multipart,
) -> AppResult<(StatusCode, Json<Accepted>)> {
    owner(&a)?;
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let Ok(_one) = ONE_AT_A_TIME.try_lock() else {
        return Err(AppError::Conflict("a release is being uploaded already".into()));
    };
    let data_dir = st.config.data_dir.clone();
    let staged = update::staging_path(&data_dir).map_err(AppError::internal)?;
    let result = receive(&mut form, &staged).await;
    let (signature, when, rollback) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&staged);
            return Err(e);
        }
    };
    let keys = update::trusted_keys(&st.config.update_public_keys).map_err(AppError::internal)?;
    let dir = data_dir.clone();
    let installed = tokio::task::spawn_blocking(move || update::install(&dir, &staged, &signature, &keys, rollback))
        .await
        .map_err(AppError::internal)?;
    let release = match installed {
        Ok(r) => r,
        Err(update::InstallError::Refused(r)) => {
            return Err(AppError::UpdateRefused { code: r.code(), message: format!("release refused: {r}") });
        }
        Err(update::InstallError::Io(e)) => return Err(AppError::Internal(e)),
    };
    ask(&st, &a, Some(release.version.clone()), when, rollback).await?;
    tracing::info!(version = %release.version, ?when, by = %a.name, "release uploaded; switch requested");
    Ok((StatusCode::ACCEPTED, Json(Accepted { version: release.version, state: update::state::Phase::Pending, when })))
}

/// Reads the form: the binary into `staged`, the rest into memory.
async fn receive(form: &mut Multipart, staged: &std::path::Path) -> AppResult<(String, When, bool)> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge("a release is at most 64 MB".into())
        } else {
            AppError::BadRequest(format!("the form cannot be read: {}", e.body_text()))
        }
    };
    let (mut binary, mut signature, mut when, mut rollback) = (false, None, When::Idle, false);
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "binary" => {
                let mut f = crate::durable::create_private(staged).map_err(AppError::internal)?;
                let mut total = 0usize;
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    total += chunk.len();
                    if total > MAX_RELEASE_BYTES {
                        return Err(AppError::PayloadTooLarge("a release is at most 64 MB".into()));
                    }
                    f.write_all(&chunk).map_err(AppError::internal)?;
                }
                binary = total > 0;
            }
            "signature" => {
                let b = field.bytes().await.map_err(bad)?;
                if b.len() > 4096 {
                    return Err(AppError::validation("signature", "a minisign signature is a few hundred bytes"));
                }
                signature =
                    Some(String::from_utf8(b.to_vec()).map_err(|_| AppError::validation("signature", "not text"))?);
            }
            "when" => {
                when = match field.text().await.map_err(bad)?.trim() {
                    "now" => When::Now,
                    "idle" | "" => When::Idle,
                    _ => return Err(AppError::validation("when", "now or idle")),
                }
            }
            "rollback" => rollback = matches!(field.text().await.map_err(bad)?.trim(), "true" | "1" | "on"),
            _ => {}
        }
    }
    if !binary {
        return Err(AppError::validation("binary", "the release's binary is missing"));
    }
    let signature = signature.ok_or_else(|| AppError::validation("signature", "the release's signature is missing"))?;
    Ok((signature, when, rollback))
}

/// How updates stand: what runs, what ran before, and how the last update went.
#[utoipa::path(get, path = "/api/v1/admin/system/update", tag = "system", security(("bearer" = [])),
    responses((status = 200, body = UpdateStatus), (status = 403)))]
async fn status(a: AdminUser, State(st): State<AppState>) -> AppResult<Json<UpdateStatus>> {
    owner(&a)?;
    Ok(Json(read_status(&st).await))
}

async fn read_status(st: &AppState) -> UpdateStatus {
    let dir = st.config.data_dir.clone();
    let s = tokio::task::spawn_blocking(move || update::state::load(&dir)).await.unwrap_or_default();
    let keys = update::trusted_keys(&st.config.update_public_keys).map(|k| !k.is_empty()).unwrap_or(false);
    let ever = s.current.is_some() || s.previous.is_some() || s.phase != update::state::Phase::Idle;
    UpdateStatus {
        current: crate::version::get().to_string(),
        previous: if ever { s.version_of(&s.previous) } else { None },
        state: s.phase,
        last_error: s.last_error.clone(),
        pending: s.pending.as_ref().and_then(|p| s.version_of(&p.to)),
        when: s.pending.as_ref().map(|p| p.when),
        probation_secs: st.config.update_probation_secs,
        changed_at: s.changed_at_ms,
        keys,
    }
}

/// Go back to the release that ran before, now (no probation: it ran here before).
#[utoipa::path(post, path = "/api/v1/admin/system/update/rollback", tag = "system", security(("bearer" = [])),
    responses((status = 202, body = UpdateStatus), (status = 403), (status = 409)))]
async fn rollback(a: AdminUser, State(st): State<AppState>) -> AppResult<(StatusCode, Json<UpdateStatus>)> {
    owner(&a)?;
    let to = update::rollback_target(&st.config.data_dir).map_err(AppError::Conflict)?;
    ask(&st, &a, to, When::Now, true).await?;
    tracing::info!(by = %a.name, "rollback requested");
    Ok((StatusCode::ACCEPTED, Json(read_status(&st).await)))
}

/// Asks for a switch on the owner's behalf: the audit row first (a switch nobody can account
/// for is never asked for), then the request, and the switcher looks at it at once.
async fn ask(st: &AppState, a: &AdminUser, to: update::state::Build, when: When, rollback: bool) -> AppResult<()> {
    let dir = &st.config.data_dir;
    let entry = update::audit_entry(dir, Some(&a.who()), &to, when, rollback, "system_page");
    let store = a.store_id.clone();
    st.writer.write(move |ctx| crate::db::audit::record(ctx, &store, entry)).await?;
    update::request(dir, to, when, rollback).map_err(AppError::internal)?;
    st.switcher.poke.notify_one();
    Ok(())
}
