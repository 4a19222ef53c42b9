//! Values that parse instead of validate: once built, they are known good.

pub mod status;
pub use status::OrderStatus;

use crate::error::AppError;

fn text(field: &str, v: &str, min: usize, max: usize) -> Result<String, AppError> {
    let t = v.trim();
    let n = t.chars().count();
    if n < min {
        return Err(AppError::validation(
            field,
            if min == 1 { "is required".to_string() } else { format!("must be at least {min} characters") },
        ));
    }
    if n > max {
        return Err(AppError::validation(field, format!("must be at most {max} characters")));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(AppError::validation(field, "must not contain control characters"));
    }
    Ok(t.to_string())
}

/// Store id slug: 1–32 of a–z, 0–9, '-'.
pub fn store_id(v: &str) -> Result<String, AppError> {
    if v.is_empty() || v.len() > 32 || !v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(AppError::validation("store_id", "must be 1–32 characters of a–z, 0–9 and '-'"));
    }
    Ok(v.to_string())
}

pub fn store_name(v: &str) -> Result<String, AppError> {
    text("store_name", v, 1, 100)
}

pub fn username(v: &str) -> Result<String, AppError> {
    text("username", v, 1, 64)
}

/// A new password: 4–128 characters (tablet passwords are often short PINs).
pub fn password(field: &str, v: &str) -> Result<String, AppError> {
    let n = v.chars().count();
    if n < 4 {
        return Err(AppError::validation(field, "must be at least 4 characters"));
    }
    if n > 128 {
        return Err(AppError::validation(field, "must be at most 128 characters"));
    }
    Ok(v.to_string())
}

/// Admin passwords guard the whole store: at least 8 characters.
pub fn admin_password(v: &str) -> Result<String, AppError> {
    if v.chars().count() < 8 {
        return Err(AppError::validation("password", "must be at least 8 characters"));
    }
    password("password", v)
}

pub fn table_number(v: i64) -> Result<i64, AppError> {
    if !(1..=9999).contains(&v) {
        return Err(AppError::validation("number", "must be a whole number from 1 to 9999"));
    }
    Ok(v)
}

pub fn category_name(v: &str) -> Result<String, AppError> {
    text("name", v, 1, 50)
}

pub fn item_name(v: &str) -> Result<String, AppError> {
    text("name", v, 1, 100)
}

pub fn description(v: &str) -> Result<String, AppError> {
    let n = v.chars().count();
    if n > 1000 {
        return Err(AppError::validation("description", "must be at most 1000 characters"));
    }
    Ok(v.trim().to_string())
}

pub const MAX_PRICE: i64 = 10_000_000;

/// Price in whole units of the store's currency: 0–10,000,000.
pub fn price(v: i64) -> Result<i64, AppError> {
    if !(0..=MAX_PRICE).contains(&v) {
        return Err(AppError::validation("price", "must be a whole number from 0 to 10000000"));
    }
    Ok(v)
}

pub fn sort_order(v: i64) -> Result<i64, AppError> {
    if !(0..=1_000_000).contains(&v) {
        return Err(AppError::validation("sort_order", "must be a whole number from 0 to 1000000"));
    }
    Ok(v)
}

/// Order line quantity: 1–99.
pub fn quantity(v: i64) -> Result<i64, AppError> {
    if !(1..=99).contains(&v) {
        return Err(AppError::validation("quantity", "must be a whole number from 1 to 99"));
    }
    Ok(v)
}

pub fn idempotency_key(v: &str) -> Result<String, AppError> {
    if v.is_empty() || v.len() > 64 || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::BadRequest("Idempotency-Key must be 1–64 visible ASCII characters".into()));
    }
    Ok(v.to_string())
}

pub fn timezone(v: &str) -> Result<String, AppError> {
    jiff::tz::TimeZone::get(v)
        .map(|_| v.to_string())
        .map_err(|_| AppError::validation("timezone", "is not a known IANA timezone"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_whole_units_within_range() {
        assert!(price(0).is_ok());
        assert!(price(10_000_000).is_ok());
        assert!(price(-1).is_err());
        assert!(price(10_000_001).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(item_name("  김치찌개 ").unwrap(), "김치찌개");
        assert!(item_name("   ").is_err());
        assert!(item_name(&"가".repeat(101)).is_err());
        assert!(item_name(&"가".repeat(100)).is_ok());
        assert!(category_name("a\u{0}b").is_err());
    }

    #[test]
    fn store_ids_are_slugs() {
        assert!(store_id("demo-1").is_ok());
        assert!(store_id("Demo").is_err());
        assert!(store_id("").is_err());
        assert!(store_id(&"a".repeat(33)).is_err());
    }

    #[test]
    fn quantities_and_keys() {
        assert!(quantity(0).is_err());
        assert!(quantity(99).is_ok());
        assert!(quantity(100).is_err());
        assert!(idempotency_key(&"k".repeat(64)).is_ok());
        assert!(idempotency_key(&"k".repeat(65)).is_err());
        assert!(idempotency_key("has space").is_err());
    }
}
