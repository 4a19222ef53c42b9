//! Menu: staff management of categories, items and images; the tablets' cached menu.

use crate::cache::CachedMenu;
use crate::db::sort::Sorted;
use crate::db::{
    self,
    menu::{CategoryDto, ItemFields, MenuDto, MenuItemDto},
};
use crate::domain;
use crate::error::{AppError, AppResult};
use crate::http::extract::{AdminUser, TableUser};
use crate::http::extract::{Body, Json, Path, Query, double_option};
use crate::http::sorting::{SortEntry, sort_entries};
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

use utoipa_axum::{router::OpenApiRouter, routes};

/// Largest image accepted.
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(menu))
        .routes(routes!(image))
        .routes(routes!(image_card))
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category, delete_category))
        .routes(routes!(reorder_categories))
        .routes(routes!(list_items, create_item))
        .routes(routes!(update_item, delete_item))
        .routes(routes!(reorder_items))
        .routes(routes!(set_item_available))
        .merge(OpenApiRouter::new().routes(routes!(put_image)).layer(DefaultBodyLimit::max(MAX_IMAGE_BYTES)))
}

// ---- tablets --------------------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
pub struct MenuQuery {
    /// `ko`, `en`, `ja` or `zh` (default: the store's own language). Names and
    /// descriptions without a translation stay in the store's language.
    lang: Option<String>,
}

/// The menu for tablets, in the guest's language, from the cache; `If-None-Match` with the
/// current `ETag` (one per language) answers 304.
#[utoipa::path(get, path = "/api/v1/menu", tag = "table", security(("bearer" = [])), params(MenuQuery),
    responses((status = 200, body = MenuDto), (status = 304), (status = 422)))]
async fn menu(
    t: TableUser,
    State(st): State<AppState>,
    Query(q): Query<MenuQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let lang = q.lang.filter(|l| !l.is_empty()).map(|l| domain::language("lang", &l)).transpose()?;
    let key = lang.clone().unwrap_or_default();
    let cached = match st.menu_cache.get(&t.store_id, &key) {
        Some(m) => m,
        None => {
            let generation = st.menu_cache.generation(&t.store_id);
            let store = t.store_id.clone();
            let m = db::read(&st.pool, move |c| {
                let menu = db::menu::full(c, &store, lang.as_deref())?;
                let body = serde_json::to_vec(&menu).map_err(AppError::internal)?;
                Ok(Arc::new(CachedMenu {
                    version: menu.version,
                    etag: format!("\"menu-{store}-{}-{}\"", menu.version, menu.lang),
                    body: body.into(),
                }))
            })
            .await?;
            st.menu_cache.put(&t.store_id, &key, generation, m.clone());
            m
        }
    };
    let etag = HeaderValue::from_str(&cached.etag).map_err(AppError::internal)?;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == cached.etag || t.trim() == "*"));
    let cache_control = HeaderValue::from_static("no-cache");
    if matches {
        return Ok(
            (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), (header::CACHE_CONTROL, cache_control)]).into_response()
        );
    }
    Ok((
        [
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache_control),
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
        ],
        cached.body.clone(),
    )
        .into_response())
}

/// A menu image; immutable (a new upload gets a new id), so cached for a year.
#[utoipa::path(get, path = "/api/v1/images/{id}", tag = "public", params(("id" = i64, Path)),
    responses((status = 200, content_type = "image/*"), (status = 304), (status = 404)))]
async fn image(State(st): State<AppState>, Path(id): Path<i64>, headers: HeaderMap) -> AppResult<Response> {
    let etag = format!("\"img-{id}\"");
    let (ctype, data) = db::read(&st.pool, move |c| db::menu::image(c, id)).await?;
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let etag_v = HeaderValue::from_str(&etag).map_err(AppError::internal)?;
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains(&etag)) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_v), (header::CACHE_CONTROL, cache)]).into_response());
    }
    let ctype = HeaderValue::from_str(&ctype).map_err(AppError::internal)?;
    Ok(([(header::CONTENT_TYPE, ctype), (header::ETAG, etag_v), (header::CACHE_CONTROL, cache)], data).into_response())
}

/// An image's 4:3 card (640×480 JPEG) for menu cards; immutable like the image.
#[utoipa::path(get, path = "/api/v1/images/{id}/card", tag = "public", params(("id" = i64, Path)),
    responses((status = 200, content_type = "image/jpeg"), (status = 304), (status = 404)))]
async fn image_card(State(st): State<AppState>, Path(id): Path<i64>, headers: HeaderMap) -> AppResult<Response> {
    let etag = format!("\"card-{id}\"");
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let etag_v = HeaderValue::from_str(&etag).map_err(AppError::internal)?;
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains(&etag)) {
        // Only an image that exists has a card; a deleted one answers 404.
        db::read(&st.pool, move |c| db::menu::image_exists(c, id)).await?;
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_v), (header::CACHE_CONTROL, cache)]).into_response());
    }
    let card = match db::read(&st.pool, move |c| db::menu::image_card(c, id)).await? {
        Ok(card) => card,
        // Uploaded before the box made cards: made now, once, and kept.
        Err(original) => {
            let card = make_card(&st, original.into()).await?;
            let keep = card.clone();
            st.writer.submit("keeping a menu card image", move |ctx| Ok(db::menu::store_card(ctx.conn, id, &keep)?));
            card
        }
    };
    let jpeg = HeaderValue::from_static("image/jpeg");
    Ok(([(header::CONTENT_TYPE, jpeg), (header::ETAG, etag_v), (header::CACHE_CONTROL, cache)], card).into_response())
}

/// Decodes a photo and crops it to its card, one photo at a time, on the photo thread.
async fn make_card(st: &AppState, data: bytes::Bytes) -> AppResult<Vec<u8>> {
    use crate::domain::photo::PhotoError;
    let made = st.photos.card(data).await.map_err(AppError::internal)?;
    made.map_err(|e| match e {
        PhotoError::TooLarge => AppError::PayloadTooLarge(e.to_string()),
        PhotoError::Unreadable(_) => {
            AppError::UnsupportedMediaType("the image could not be read: send a JPEG, PNG or WebP photo".into())
        }
    })
}

// ---- categories -----------------------------------------------------------------------

/// Categories in their sort order, with how many items each holds.
#[utoipa::path(get, path = "/api/v1/admin/categories", tag = "menu", security(("bearer" = [])),
    responses((status = 200, body = Vec<CategoryDto>)))]
async fn list_categories(a: AdminUser, State(st): State<AppState>) -> AppResult<axum::Json<Vec<CategoryDto>>> {
    Ok(axum::Json(db::read(&st.pool, move |c| db::menu::categories(c, &a.store_id)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryBody {
    name: Option<String>,
    sort_order: Option<i64>,
    /// `{"en": {"name"}, "ja": {…}, "zh": {…}}`
    #[schema(value_type = Option<Object>)]
    translations: Option<serde_json::Value>,
    /// The kitchen station of its items (`null`: the store's first station).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    station_id: Option<Option<i64>>,
}

/// Creates a category (409 `limit_reached` at the store's category limit).
#[utoipa::path(post, path = "/api/v1/admin/categories", tag = "menu", security(("bearer" = [])), request_body = CategoryBody,
    responses((status = 201, body = CategoryDto), (status = 409), (status = 422)))]
async fn create_category(
    a: AdminUser,
    State(st): State<AppState>,
    Json(b): Json<CategoryBody>,
) -> AppResult<(StatusCode, axum::Json<CategoryDto>)> {
    let name = domain::category_name(b.name.as_deref().unwrap_or(""))?;
    let sort = b.sort_order.map(domain::sort_order).transpose()?;
    let tr = b.translations.as_ref().map(|t| domain::translations("translations", t, 50, false)).transpose()?;
    let max = st.config.limits.max_categories;
    let c = st
        .writer
        .write(move |ctx| {
            db::menu::create_category(ctx, &a.store_id, &name, sort, tr.as_deref(), b.station_id.flatten(), max)
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(c)))
}

/// Renames or moves a category.
#[utoipa::path(patch, path = "/api/v1/admin/categories/{id}", tag = "menu", security(("bearer" = [])), request_body = CategoryBody,
    params(("id" = i64, Path)), responses((status = 200, body = CategoryDto), (status = 404), (status = 422)))]
async fn update_category(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<CategoryBody>,
) -> AppResult<axum::Json<CategoryDto>> {
    let name = b.name.as_deref().map(domain::category_name).transpose()?;
    let sort = b.sort_order.map(domain::sort_order).transpose()?;
    let tr = b.translations.as_ref().map(|t| domain::translations("translations", t, 50, false)).transpose()?;
    Ok(axum::Json(
        st.writer
            .write(move |ctx| {
                db::menu::update_category(ctx, &a.store_id, id, name.as_deref(), sort, tr.as_deref(), b.station_id)
            })
            .await?,
    ))
}

/// Deletes an empty category (409 while it holds items).
#[utoipa::path(delete, path = "/api/v1/admin/categories/{id}", tag = "menu", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404), (status = 409)))]
async fn delete_category(a: AdminUser, State(st): State<AppState>, Path(id): Path<i64>) -> AppResult<StatusCode> {
    st.writer.write(move |ctx| db::menu::delete_category(ctx, &a.store_id, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the order of categories.
#[utoipa::path(put, path = "/api/v1/admin/categories/order", tag = "menu", security(("bearer" = [])), request_body = Vec<SortEntry>,
    responses((status = 204), (status = 404), (status = 422)))]
async fn reorder_categories(
    a: AdminUser,
    State(st): State<AppState>,
    Json(b): Json<Vec<SortEntry>>,
) -> AppResult<StatusCode> {
    let order = sort_entries(b)?;
    st.writer.write(move |ctx| db::sort::reorder(ctx, &a.store_id, Sorted::Categories, &order)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- items ----------------------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
pub struct ItemsQuery {
    /// Only the items of this category.
    category_id: Option<i64>,
}

/// Menu items (sold-out ones included).
#[utoipa::path(get, path = "/api/v1/admin/menu-items", tag = "menu", security(("bearer" = [])), params(ItemsQuery),
    responses((status = 200, body = Vec<MenuItemDto>)))]
async fn list_items(
    a: AdminUser,
    State(st): State<AppState>,
    Query(q): Query<ItemsQuery>,
) -> AppResult<axum::Json<Vec<MenuItemDto>>> {
    Ok(axum::Json(db::read(&st.pool, move |c| db::menu::items(c, &a.store_id, q.category_id)).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    category_id: Option<i64>,
    name: Option<String>,
    price: Option<i64>,
    description: Option<String>,
    available: Option<bool>,
    sort_order: Option<i64>,
    /// `{"en": {"name", "description"}, "ja": {…}, "zh": {…}}`
    #[schema(value_type = Option<Object>)]
    translations: Option<serde_json::Value>,
    /// The option groups the item offers, in order (replaces the current list).
    option_group_ids: Option<Vec<i64>>,
    /// Its own kitchen station (`null`: its category's).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    station_id: Option<Option<i64>>,
}

/// Checks every field at once, so that the answer names all problems.
fn item_fields(b: ItemBody, creating: bool) -> AppResult<ItemFields> {
    let mut errors = BTreeMap::new();
    let mut f = ItemFields {
        available: b.available,
        category_id: b.category_id,
        option_group_ids: b.option_group_ids.clone(),
        station_id: b.station_id,
        ..Default::default()
    };
    let mut take = |r: Result<(), AppError>| {
        if let Err(AppError::Validation(m)) = r {
            errors.extend(m);
        }
    };
    if creating && b.category_id.is_none() {
        take(Err(AppError::validation("category_id", "is required")));
    }
    match (&b.name, creating) {
        (Some(n), _) => take(domain::item_name(n).map(|v| f.name = Some(v))),
        (None, true) => take(Err(AppError::validation("name", "is required"))),
        _ => {}
    }
    match (b.price, creating) {
        (Some(p), _) => take(domain::price(p).map(|v| f.price = Some(v))),
        (None, true) => take(Err(AppError::validation("price", "is required"))),
        _ => {}
    }
    if let Some(d) = &b.description {
        take(domain::description(d).map(|v| f.description = Some(v)));
    }
    if let Some(s) = b.sort_order {
        take(domain::sort_order(s).map(|v| f.sort_order = Some(v)));
    }
    if let Some(t) = &b.translations {
        take(domain::translations("translations", t, 100, true).map(|v| f.translations = Some(v)));
    }
    if b.option_group_ids.as_ref().is_some_and(|g| g.len() > 50) {
        take(Err(AppError::validation("option_group_ids", "at most 50 groups")));
    }
    if errors.is_empty() { Ok(f) } else { Err(AppError::Validation(errors)) }
}

/// Adds a menu item (409 `limit_reached` at the store's item limit).
#[utoipa::path(post, path = "/api/v1/admin/menu-items", tag = "menu", security(("bearer" = [])), request_body = ItemBody,
    responses((status = 201, body = MenuItemDto), (status = 409), (status = 422)))]
async fn create_item(
    a: AdminUser,
    State(st): State<AppState>,
    Json(b): Json<ItemBody>,
) -> AppResult<(StatusCode, axum::Json<MenuItemDto>)> {
    let f = item_fields(b, true)?;
    let max = st.config.limits.max_menu_items;
    let it = st.writer.write(move |ctx| db::menu::create_item(ctx, &a.store_id, &f, max)).await?;
    Ok((StatusCode::CREATED, axum::Json(it)))
}

/// Edits any subset of an item's fields (e.g. `{"available": false}` marks it sold out).
#[utoipa::path(patch, path = "/api/v1/admin/menu-items/{id}", tag = "menu", security(("bearer" = [])), request_body = ItemBody,
    params(("id" = i64, Path)), responses((status = 200, body = MenuItemDto), (status = 404), (status = 422)))]
async fn update_item(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<ItemBody>,
) -> AppResult<axum::Json<MenuItemDto>> {
    let f = item_fields(b, false)?;
    Ok(axum::Json(st.writer.write(move |ctx| db::flows::update_item(ctx, &a.store_id, id, &f, &a.who())).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Availability {
    /// `false`: sold out (품절).
    pub available: bool,
}

/// Marks an item sold out or back on sale: what servers and the kitchen may do to the menu.
#[utoipa::path(put, path = "/api/v1/admin/menu-items/{id}/available", tag = "menu", security(("bearer" = [])), request_body = Availability,
    params(("id" = i64, Path)), responses((status = 200, body = MenuItemDto), (status = 404), (status = 422)))]
async fn set_item_available(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Json(b): Json<Availability>,
) -> AppResult<axum::Json<MenuItemDto>> {
    let f = db::menu::ItemFields { available: Some(b.available), ..Default::default() };
    Ok(axum::Json(st.writer.write(move |ctx| db::flows::update_item(ctx, &a.store_id, id, &f, &a.who())).await?))
}

/// Deletes a menu item (past orders keep its name and price).
#[utoipa::path(delete, path = "/api/v1/admin/menu-items/{id}", tag = "menu", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404)))]
async fn delete_item(a: AdminUser, State(st): State<AppState>, Path(id): Path<i64>) -> AppResult<StatusCode> {
    st.writer.write(move |ctx| db::menu::delete_item(ctx, &a.store_id, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the order of menu items.
#[utoipa::path(put, path = "/api/v1/admin/menu-items/order", tag = "menu", security(("bearer" = [])), request_body = Vec<SortEntry>,
    responses((status = 204), (status = 404), (status = 422)))]
async fn reorder_items(
    a: AdminUser,
    State(st): State<AppState>,
    Json(b): Json<Vec<SortEntry>>,
) -> AppResult<StatusCode> {
    let order = sort_entries(b)?;
    st.writer.write(move |ctx| db::sort::reorder(ctx, &a.store_id, Sorted::Items, &order)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The image type from its first bytes; the Content-Type header is not trusted.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if data.len() >= 12 && &data[0..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[derive(serde::Serialize, ToSchema)]
pub struct ImageUrl {
    image_url: String,
    /// The 4:3 card made from it.
    card_image_url: String,
}

/// Uploads an item's image: raw JPEG, PNG or WebP, at most 2 MB and 8192 pixels a side.
/// The box keeps it and its 4:3 card (`card_image_url`).
#[utoipa::path(put, path = "/api/v1/admin/menu-items/{id}/image", tag = "menu", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body(content = Vec<u8>, content_type = "image/*"),
    responses((status = 200, body = ImageUrl), (status = 404), (status = 413), (status = 415)))]
async fn put_image(
    a: AdminUser,
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Body(data): Body,
) -> AppResult<axum::Json<ImageUrl>> {
    if data.len() > MAX_IMAGE_BYTES {
        return Err(AppError::PayloadTooLarge("images are limited to 2 MB".into()));
    }
    let ctype = sniff(&data).ok_or_else(|| AppError::UnsupportedMediaType("send a JPEG, PNG or WebP image".into()))?;
    // Only an item of this store gets a photo decoded for it.
    let store = a.store_id.clone();
    db::read(&st.pool, move |c| db::menu::item(c, &store, id)).await?;
    let card = make_card(&st, data.clone()).await?;
    let it = st.writer.write(move |ctx| db::menu::set_image(ctx, &a.store_id, id, ctype, &data, &card)).await?;
    Ok(axum::Json(ImageUrl {
        image_url: it.image_url.unwrap_or_default(),
        card_image_url: it.card_image_url.unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::sniff;

    #[test]
    fn images_are_recognised_by_their_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"<svg"), None);
        assert_eq!(sniff(b""), None);
    }
}
