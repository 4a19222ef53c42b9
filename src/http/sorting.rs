//! The body every bulk reorder takes (`PUT …/order`): `[{"id","sort_order"}]`.

use crate::domain;
use crate::error::{AppError, AppResult};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SortEntry {
    id: i64,
    sort_order: i64,
}

/// The checked `(id, sort_order)` pairs: at most 1,000, each order 0–1,000,000 (422 naming
/// the entry otherwise).
pub fn sort_entries(list: Vec<SortEntry>) -> AppResult<Vec<(i64, i64)>> {
    if list.len() > 1000 {
        return Err(AppError::validation("body", "at most 1000 entries"));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, e)| {
            domain::sort_order(e.sort_order).map(|s| (e.id, s)).map_err(|_| {
                AppError::validation(&format!("[{i}].sort_order"), "must be a whole number from 0 to 1000000")
            })
        })
        .collect()
}
