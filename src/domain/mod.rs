//! Values that parse instead of validate: once built, they are known good.

pub mod account;
pub mod check;
pub mod photo;
pub mod pricing;
pub mod role;
pub mod settings;
pub mod status;
pub use role::{Access, Role};
pub use status::{Actor, OrderStatus};

use crate::error::AppError;

/// Format characters (Unicode category Cf) that hide or flip text: right-to-left overrides,
/// embeddings, isolates and marks, zero-width spaces, word joiners, invisible operators, the
/// byte-order mark, interlinear annotations, tags. A name or note with one could show staff
/// one thing while meaning another. (The zero-width joiner and non-joiner, which emoji and
/// some scripts need, are allowed.)
pub fn hidden_format(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2 | 0x180E
        | 0x200B | 0x200E..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF
        | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// Characters that show nothing by themselves: spaces, the format characters above, joiners,
/// variation selectors, the Hangul fillers (ㅤ, often used for "blank" names), the blank
/// braille pattern.
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || hidden_format(c)
        || matches!(c as u32,
            0x200C | 0x200D | 0x034F | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x2800 | 0x3164 | 0xFFA0
            | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF)
}

/// Free text staff and guests read (names, notes, reasons): no control characters, nothing
/// that hides or flips text, and (when it may not be empty) something visible.
pub fn shown_text(field: &str, t: &str, required: bool) -> Result<(), AppError> {
    if t.chars().any(|c| c.is_control()) {
        return Err(AppError::validation(field, "must not contain control characters"));
    }
    if t.chars().any(hidden_format) {
        return Err(AppError::validation(
            field,
            "must not contain invisible or direction-changing characters (such as U+200B or U+202E)",
        ));
    }
    if required && t.chars().all(invisible) {
        return Err(AppError::validation(field, "must contain a visible character"));
    }
    Ok(())
}

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
    shown_text(field, t, min > 0)?;
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
    // Line breaks are the description's own; other control and hiding characters are not.
    let t = v.trim();
    if t.chars().any(|c| hidden_format(c) || (c.is_control() && c != '\n' && c != '\r' && c != '\t')) {
        return Err(AppError::validation(
            "description",
            "must not contain control, invisible or direction-changing characters",
        ));
    }
    Ok(t.to_string())
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

/// The languages a menu can be read in.
pub const LANGUAGES: [&str; 4] = ["ko", "en", "ja", "zh"];

/// A menu language code.
pub fn language(field: &str, v: &str) -> Result<String, AppError> {
    if LANGUAGES.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(AppError::validation(field, "must be one of ko, en, ja, zh"))
    }
}

/// Checks staff's translations, `{"en": {"name", "description"?}, "ja": {…}, "zh": {…}}`, and
/// returns them as stored JSON text. `max_name` bounds names; `description` says whether
/// a description may be given.
pub fn translations(
    field: &str,
    v: &serde_json::Value,
    max_name: usize,
    description: bool,
) -> Result<String, AppError> {
    let mut errors = std::collections::BTreeMap::new();
    let mut out = serde_json::Map::new();
    match v {
        serde_json::Value::Null => return Ok("{}".into()),
        serde_json::Value::Object(map) => {
            for (lang, entry) in map {
                let at = format!("{field}.{lang}");
                if !LANGUAGES.contains(&lang.as_str()) {
                    errors.insert(at, "is not a language: use en, ja, zh (or ko)".to_string());
                    continue;
                }
                let serde_json::Value::Object(entry) = entry else {
                    errors.insert(at, "must be an object with name and description".to_string());
                    continue;
                };
                let mut clean = serde_json::Map::new();
                for (k, val) in entry {
                    let key_ok = k == "name" || (description && k == "description");
                    let Some(text_val) = val.as_str().filter(|_| key_ok) else {
                        errors.insert(
                            format!("{at}.{k}"),
                            if key_ok { "must be text".to_string() } else { "is not a translatable field".to_string() },
                        );
                        continue;
                    };
                    let checked = if k == "name" {
                        text(&format!("{at}.name"), text_val, 1, max_name)
                    } else {
                        text(&format!("{at}.description"), text_val, 0, 1000)
                    };
                    match checked {
                        Ok(t) if !t.is_empty() => {
                            clean.insert(k.clone(), serde_json::Value::String(t));
                        }
                        Ok(_) => {}
                        Err(AppError::Validation(m)) => errors.extend(m),
                        Err(_) => {}
                    }
                }
                if !clean.contains_key("name") && !errors.keys().any(|k| k.starts_with(&at)) {
                    errors.insert(format!("{at}.name"), "is required".to_string());
                }
                out.insert(lang.clone(), serde_json::Value::Object(clean));
            }
        }
        _ => {
            errors.insert(field.to_string(), "must be an object such as {\"en\": {\"name\": \"…\"}}".to_string());
        }
    }
    if errors.is_empty() { Ok(serde_json::Value::Object(out).to_string()) } else { Err(AppError::Validation(errors)) }
}

/// A guest's note on an order line ("덜 맵게"): up to 100 characters, no control characters.
pub fn note(field: &str, v: &str) -> Result<String, AppError> {
    let t = v.trim();
    if t.chars().count() > 100 {
        return Err(AppError::validation(field, "must be at most 100 characters"));
    }
    shown_text(field, t, false)?;
    Ok(t.to_string())
}

pub fn option_name(field: &str, v: &str) -> Result<String, AppError> {
    text(field, v, 1, 50)
}

/// An option's price change: −10,000,000 to 10,000,000.
pub fn price_delta(field: &str, v: i64) -> Result<i64, AppError> {
    if !(-MAX_PRICE..=MAX_PRICE).contains(&v) {
        return Err(AppError::validation(field, "must be a whole number from -10000000 to 10000000"));
    }
    Ok(v)
}

pub fn timezone(v: &str) -> Result<String, AppError> {
    jiff::tz::TimeZone::get(v)
        .map(|_| v.to_string())
        .map_err(|_| AppError::validation("timezone", "is not a known IANA timezone"))
}

/// A 4–8 digit PIN (staff on shared terminals, a manager's approval).
pub fn pin(field: &str, v: &str) -> Result<String, AppError> {
    if !(4..=8).contains(&v.len()) || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::validation(field, "must be 4 to 8 digits"));
    }
    Ok(v.to_string())
}

/// The name shown for a staff member (may be empty: then the username shows).
pub fn display_name(v: &str) -> Result<String, AppError> {
    if v.trim().is_empty() {
        return Ok(String::new());
    }
    text("display_name", v, 1, 50)
}

/// A shared terminal's name ("카운터", "주방 태블릿").
pub fn terminal_name(v: &str) -> Result<String, AppError> {
    text("name", v, 1, 50)
}

/// Guests at a table: 1–99.
pub fn guests(field: &str, v: i64) -> Result<i64, AppError> {
    if !(1..=99).contains(&v) {
        return Err(AppError::validation(field, "must be a whole number from 1 to 99"));
    }
    Ok(v)
}

/// Why money was taken off, given back or a rule bent (1–100 characters, shown and audited).
pub fn reason(v: &str) -> Result<String, AppError> {
    text("reason", v, 1, 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_hide_or_flip_text_or_show_nothing_are_refused() {
        for bad in ["\u{200B}\u{200B}", "ㅤ", "\u{3164}\u{3164}", "\u{2800}", "\u{FEFF}", "\u{200D}"] {
            assert!(item_name(bad).is_err(), "{bad:?} has nothing visible");
        }
        for bad in ["Beer\u{202E}reeB", "\u{2066}김치\u{2069}", "A\u{200B}B", "\u{E0041}x"] {
            assert!(item_name(bad).is_err(), "{bad:?} hides or flips text");
            assert!(note("note", bad).is_err(), "{bad:?} in a note");
        }
        for good in ["김치찌개", "Café au lait", "👨\u{200D}🍳 special", "❤\u{FE0F}", "עברית", "مرحبا"]
        {
            assert_eq!(item_name(good).unwrap(), good);
        }
        assert_eq!(note("note", "").unwrap(), "");
        assert!(description("two\nlines").is_ok());
        assert!(description("x\u{202E}y").is_err());
    }

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
    fn translations_are_checked_field_by_field() {
        use serde_json::json;
        let ok =
            translations("translations", &json!({"en": {"name": " Kimchi stew ", "description": "Pork"}}), 100, true);
        assert_eq!(ok.unwrap(), r#"{"en":{"description":"Pork","name":"Kimchi stew"}}"#);
        assert_eq!(translations("translations", &serde_json::Value::Null, 100, true).unwrap(), "{}");
        let bad = translations(
            "translations",
            &json!({"fr": {"name": "x"}, "ja": {"name": ""}, "zh": {"name": "辣", "description": "x"}, "en": "x"}),
            50,
            false,
        );
        let AppError::Validation(m) = bad.unwrap_err() else { panic!() };
        assert!(m.contains_key("translations.fr"));
        assert!(m.contains_key("translations.ja.name"));
        assert!(m.contains_key("translations.zh.description"));
        assert!(m.contains_key("translations.en"));
    }

    #[test]
    fn notes_are_short_plain_text() {
        assert_eq!(note("n", " 덜 맵게 ").unwrap(), "덜 맵게");
        assert!(note("n", &"가".repeat(101)).is_err());
        assert!(note("n", "line\nbreak").is_err());
        assert!(price_delta("d", -10_000_000).is_ok());
        assert!(price_delta("d", 10_000_001).is_err());
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
