//! Per-key rate limits (seed §5.2): orders per table, logins per client address.

use crate::error::AppError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::hash::Hash;
use std::num::NonZeroU32;

/// A keyed limit of `per_minute` events; `0` means no limit.
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    inner: Option<DefaultKeyedRateLimiter<K>>,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    pub fn per_minute(per_minute: u64) -> Self {
        let inner = NonZeroU32::new(per_minute.min(u32::MAX as u64) as u32)
            .map(|n| governor::RateLimiter::keyed(Quota::per_minute(n)));
        KeyedLimit { inner }
    }

    /// Counts one event for `key`, or answers 429 with the wait.
    pub fn check(&self, key: &K) -> Result<(), AppError> {
        let Some(l) = &self.inner else { return Ok(()) };
        l.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::TooManyRequests { retry_after_s: wait.as_secs() + 1 }
        })
    }

    /// Forgets keys that are back to full allowance (called periodically).
    pub fn tidy(&self) {
        if let Some(l) = &self.inner {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

pub struct RateLimits {
    pub orders: KeyedLimit<(String, i64)>,
    pub logins: KeyedLimit<std::net::IpAddr>,
    /// Logins on the whole box: many addresses together cannot queue unbounded hashing.
    pub box_logins: KeyedLimit<()>,
    /// PIN tries per shared terminal (API.md: 5 a minute).
    pub pins: KeyedLimit<i64>,
}

impl RateLimits {
    pub fn new(limits: &crate::config::Limits) -> RateLimits {
        RateLimits {
            orders: KeyedLimit::per_minute(limits.orders_per_minute),
            logins: KeyedLimit::per_minute(limits.logins_per_minute),
            box_logins: KeyedLimit::per_minute(limits.box_logins_per_minute),
            pins: KeyedLimit::per_minute(limits.pins_per_minute),
        }
    }
}
