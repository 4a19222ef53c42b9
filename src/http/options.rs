//! Staff: option groups (맵기, 곱빼기, drink sizes) and their options.

use crate::db::sort::Sorted;
use crate::db::{
    self,
    options::{GroupDto, GroupFields, Limits, NewOption, OptionFields},
};
use crate::domain;
use crate::error::{AppError, AppResult};
use crate::http::extract::AdminUser;
use crate::http::extract::{Json, Path};
use crate::http::sorting::{SortEntry, sort_entries};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
        .routes(routes!(reorder))
        .routes(routes!(reorder_options))
        .routes(routes!(add_option))
        .routes(routes!(update_option, delete_option))
        .routes(routes!(set_option_available))
}

fn limits(st: &AppState) -> Limits {
    Limits { groups: st.config.limits.max_option_groups, options_per_group: st.config.limits.max_options_per_group }
}

/// Collects per-field errors so that one answer names every problem.
#[derive(Default)]
struct Errors(BTreeMap<String, String>);

impl Errors {
    fn take<T>(&mut self, r: AppResult<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(AppError::Validation(m)) => {
                self.0.extend(m);
                None
            }
            Err(_) => None,
        }
    }
    fn done(self) -> AppResult<()> {
        if self.0.is_empty() { Ok(()) } else { Err(AppError::Validation(self.0)) }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionBody {
    name: Option<String>,
    /// From -10,000,000 to 10,000,000 (a line's unit price never goes below 0).
    price_delta: Option<i64>,
    available: Option<bool>,
    sort_order: Option<i64>,
    /// `{"en": {"name"}, "ja": {…}, "zh": {…}}`
    #[schema(value_type = Option<Object>)]
    translations: Option<Value>,
}

fn new_option(e: &mut Errors, at: &str, b: &OptionBody) -> Option<NewOption> {
    let name = match &b.name {
        Some(n) => e.take(domain::option_name(&format!("{at}name"), n)),
        None => e.take::<String>(Err(AppError::validation(&format!("{at}name"), "is required"))),
    };
    let delta = e.take(domain::price_delta(&format!("{at}price_delta"), b.price_delta.unwrap_or(0)));
    let sort = match b.sort_order {
        Some(s) => e
            .take(domain::sort_order(s).map_err(|_| {
                AppError::validation(&format!("{at}sort_order"), "must be a whole number from 0 to 1000000")
            }))
            .map(Some),
        None => Some(None),
    };
    let tr = match &b.translations {
        Some(t) => e.take(domain::translations(&format!("{at}translations"), t, 50, false)),
        None => Some("{}".to_string()),
    };
    Some(NewOption {
        name: name?,
        price_delta: delta?,
        available: b.available.unwrap_or(true),
        sort_order: sort?,
        translations: tr?,
    })
}

fn option_fields(b: &OptionBody) -> AppResult<OptionFields> {
    let mut e = Errors::default();
    let f = OptionFields {
        name: b.name.as_deref().and_then(|n| e.take(domain::option_name("name", n))),
        price_delta: b.price_delta.and_then(|d| e.take(domain::price_delta("price_delta", d))),
        available: b.available,
        sort_order: b.sort_order.and_then(|s| e.take(domain::sort_order(s))),
        translations: b.translations.as_ref().and_then(|t| e.take(domain::translations("translations", t, 50, false))),
    };
    e.done()?;
    Ok(f)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    name: Option<String>,
    /// Fewest choices (0 = optional).
    min: Option<i64>,
    /// Most choices (at least 1, at most the number of options).
    max: Option<i64>,
    sort_order: Option<i64>,
    #[schema(value_type = Option<Object>)]
    translations: Option<Value>,
    /// The options (creation only).
    options: Option<Vec<OptionBody>>,
}

fn group_fields(e: &mut Errors, b: &GroupBody, creating: bool) -> GroupFields {
    GroupFields {
        name: match (&b.name, creating) {
            (Some(n), _) => e.take(domain::option_name("name", n)),
            (None, true) => e.take::<String>(Err(AppError::validation("name", "is required"))),
            _ => None,
        },
        min: b.min,
        max: b.max,
        sort_order: b.sort_order.and_then(|s| e.take(domain::sort_order(s))),
        translations: b.translations.as_ref().and_then(|t| e.take(domain::translations("translations", t, 50, false))),
    }
}

/// Option groups with their options, in their order.
#[utoipa::path(get, path = "/api/v1/admin/option-groups", tag = "menu", security(("bearer" = [])),
    responses((status = 200, body = Vec<GroupDto>)))]
async fn list(a: AdminUser, State(st): State<AppState>) -> AppResult<axum::Json<Vec<GroupDto>>> {
    Ok(axum::Json(db::read(&st.pool, move |c| db::options::groups(c, &a.store_id)).await?))
}

/// Creates an option group with its options (409 `limit_reached` at 200 groups or 30 options).
#[utoipa::path(post, path = "/api/v1/admin/option-groups", tag = "menu", security(("bearer" = [])), request_body = GroupBody,
    responses((status = 201, body = GroupDto), (status = 409), (status = 422)))]
async fn create(
    a: AdminUser,
    State(st): State<AppState>,
    Json(b): Json<GroupBody>,
) -> AppResult<(StatusCode, axum::Json<GroupDto>)> {
    let mut e = Errors::default();
    let f = group_fields(&mut e, &b, true);
    let mut options = Vec::new();
    match &b.options {
        None => {
            e.take::<()>(Err(AppError::validation("options", "is required")));
        }
        Some(list) => {
            for (i, o) in list.iter().enumerate() {
                if let Some(o) = new_option(&mut e, &format!("options[{i}]."), o) {
                    options.push(o);
                }
            }
        }
    }
    e.done()?;
    let limits = limits(&st);
    let g = st.writer.write(move |ctx| db::options::create_group(ctx, &a.store_id, &f, &options, limits)).await?;
    Ok((StatusCode::CREATED, axum::Json(g)))
}

/// Changes a group's name, bounds, order or translations.
#[utoipa::path(patch, path = "/api/v1/admin/option-groups/{id}", tag = "menu", security(("bearer" = [])), request_body = GroupBody,
    params(("id" = i64, Path)), responses((status = 200, body = GroupDto), (status = 404), (status = 422)))]
async fn update(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<GroupBody>,
) -> AppResult<axum::Json<GroupDto>> {
    let mut e = Errors::default();
    let f = group_fields(&mut e, &b, false);
    if b.options.is_some() {
        e.take::<()>(Err(AppError::validation("options", "add, change or delete options one by one")));
    }
    e.done()?;
    Ok(axum::Json(st.writer.write(move |ctx| db::options::update_group(ctx, &a.store_id, id, &f)).await?))
}

/// Deletes a group: it is detached from every item; past orders keep their copies.
#[utoipa::path(delete, path = "/api/v1/admin/option-groups/{id}", tag = "menu", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404)))]
async fn delete(a: AdminUser, State(st): State<AppState>, Path(id): Path<i64>) -> AppResult<StatusCode> {
    st.writer.write(move |ctx| db::options::delete_group(ctx, &a.store_id, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the order of option groups.
#[utoipa::path(put, path = "/api/v1/admin/option-groups/order", tag = "menu", security(("bearer" = [])), request_body = Vec<SortEntry>,
    responses((status = 204), (status = 404), (status = 422)))]
async fn reorder(a: AdminUser, State(st): State<AppState>, Json(b): Json<Vec<SortEntry>>) -> AppResult<StatusCode> {
    let order = sort_entries(b)?;
    st.writer.write(move |ctx| db::sort::reorder(ctx, &a.store_id, Sorted::OptionGroups, &order)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the order of a group's options, in one change.
#[utoipa::path(put, path = "/api/v1/admin/option-groups/{id}/options/order", tag = "menu", security(("bearer" = [])),
    request_body = Vec<SortEntry>, params(("id" = i64, Path)), responses((status = 204), (status = 404), (status = 422)))]
async fn reorder_options(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<Vec<SortEntry>>,
) -> AppResult<StatusCode> {
    let order = sort_entries(b)?;
    st.writer.write(move |ctx| db::sort::reorder(ctx, &a.store_id, Sorted::Options { group_id: id }, &order)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds one option to a group.
#[utoipa::path(post, path = "/api/v1/admin/option-groups/{id}/options", tag = "menu", security(("bearer" = [])), request_body = OptionBody,
    params(("id" = i64, Path)), responses((status = 201, body = GroupDto), (status = 404), (status = 409), (status = 422)))]
async fn add_option(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<OptionBody>,
) -> AppResult<(StatusCode, axum::Json<GroupDto>)> {
    let mut e = Errors::default();
    let o = new_option(&mut e, "", &b);
    e.done()?;
    let o = o.ok_or_else(|| AppError::validation("name", "is required"))?;
    let limits = limits(&st);
    let g = st.writer.write(move |ctx| db::options::add_option(ctx, &a.store_id, id, &o, limits)).await?;
    Ok((StatusCode::CREATED, axum::Json(g)))
}

/// Changes an option (`{"available": false}` marks it sold out); answers its group.
#[utoipa::path(patch, path = "/api/v1/admin/options/{id}", tag = "menu", security(("bearer" = [])), request_body = OptionBody,
    params(("id" = i64, Path)), responses((status = 200, body = GroupDto), (status = 404), (status = 422)))]
async fn update_option(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<OptionBody>,
) -> AppResult<axum::Json<GroupDto>> {
    let f = option_fields(&b)?;
    Ok(axum::Json(st.writer.write(move |ctx| db::flows::update_option(ctx, &a.store_id, id, &f, &a.who())).await?))
}

/// Marks an option sold out or back on sale (servers and the kitchen may); answers its group.
#[utoipa::path(put, path = "/api/v1/admin/options/{id}/available", tag = "menu", security(("bearer" = [])),
    request_body = crate::http::menu::Availability, params(("id" = i64, Path)),
    responses((status = 200, body = GroupDto), (status = 404), (status = 422)))]
async fn set_option_available(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<crate::http::menu::Availability>,
) -> AppResult<axum::Json<GroupDto>> {
    let f = db::options::OptionFields { available: Some(b.available), ..Default::default() };
    Ok(axum::Json(st.writer.write(move |ctx| db::flows::update_option(ctx, &a.store_id, id, &f, &a.who())).await?))
}

/// Deletes an option (its group's bounds shrink with it; a group's last option stays: 409).
#[utoipa::path(delete, path = "/api/v1/admin/options/{id}", tag = "menu", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404), (status = 409)))]
async fn delete_option(a: AdminUser, State(st): State<AppState>, Path(id): Path<i64>) -> AppResult<StatusCode> {
    st.writer.write(move |ctx| db::options::delete_option(ctx, &a.store_id, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
