//! A store's settings (kept as JSON on its row; every key has a default, so a store made
//! before a setting existed reads it as its default).

use crate::error::AppError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct StoreSettings {
    /// The tablet asks "몇 분이세요?" before a visit's first order.
    pub ask_guests: bool,
    /// `off` (v1: ending a visit needs no payment) or `on` (the check must be paid first).
    pub checkout: String,
    /// With `checkout` on: a visit whose balance reaches 0 ends by itself.
    pub end_when_paid: bool,
    /// The hour (0–23, the store's time) at which a business day nobody closed ends.
    pub day_cutoff_hour: i64,
    /// Minutes without a touch after which a shared terminal goes back to its PIN pad.
    pub pin_idle_minutes: i64,
}

impl Default for StoreSettings {
    fn default() -> StoreSettings {
        StoreSettings {
            ask_guests: false,
            checkout: "off".into(),
            end_when_paid: false,
            day_cutoff_hour: 5,
            pin_idle_minutes: 5,
        }
    }
}

impl StoreSettings {
    /// The settings stored (`{}` and unknown keys read as defaults).
    pub fn read(json: &str) -> StoreSettings {
        serde_json::from_str(json).unwrap_or_default()
    }

    /// 422 naming the first setting out of range.
    pub fn check(&self) -> Result<(), AppError> {
        if !matches!(self.checkout.as_str(), "off" | "on") {
            return Err(AppError::validation("checkout", "must be off or on"));
        }
        if !(0..=23).contains(&self.day_cutoff_hour) {
            return Err(AppError::validation("day_cutoff_hour", "must be an hour from 0 to 23"));
        }
        if !(1..=240).contains(&self.pin_idle_minutes) {
            return Err(AppError::validation("pin_idle_minutes", "must be from 1 to 240 minutes"));
        }
        Ok(())
    }

    pub fn checkout_on(&self) -> bool {
        self.checkout == "on"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_unknown_keys_read_as_defaults_and_bad_values_are_refused() {
        assert_eq!(StoreSettings::read("{}"), StoreSettings::default());
        assert_eq!(StoreSettings::read("not json"), StoreSettings::default());
        let s = StoreSettings::read(r#"{"ask_guests": true, "something_new": 1}"#);
        assert!(s.ask_guests && s.day_cutoff_hour == 5 && !s.checkout_on());
        let bad = StoreSettings { day_cutoff_hour: 24, ..Default::default() };
        assert!(bad.check().is_err());
        let bad = StoreSettings { checkout: "maybe".into(), ..Default::default() };
        assert!(bad.check().is_err());
        assert!(StoreSettings::default().check().is_ok());
    }
}
