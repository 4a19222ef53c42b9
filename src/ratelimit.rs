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

/// Failures of a key within a sliding window: at most `max` in `window`, then 429 until the
/// oldest one is out of it. Only failures count, so a counter terminal that switches person
/// all evening is never slowed, while guessing is.
pub struct FailureWindow<K: Hash + Eq + Clone> {
    max: usize,
    window: std::time::Duration,
    // A std mutex: held only to look at or push a few instants.
    seen: std::sync::Mutex<std::collections::HashMap<K, std::collections::VecDeque<std::time::Instant>>>,
}

impl<K: Hash + Eq + Clone> FailureWindow<K> {
    /// `max` failures a minute; 0 means no limit.
    pub fn per_minute(max: u64) -> Self {
        FailureWindow { max: max as usize, window: std::time::Duration::from_secs(60), seen: Default::default() }
    }

    /// 429 (with the wait) while `key` has had `max` failures within the window.
    pub fn check(&self, key: &K) -> Result<(), AppError> {
        if self.max == 0 {
            return Ok(());
        }
        let now = std::time::Instant::now();
        let mut seen = self.seen.lock().expect("failure window lock");
        let Some(q) = seen.get_mut(key) else { return Ok(()) };
        while q.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            q.pop_front();
        }
        if q.len() < self.max {
            return Ok(());
        }
        let wait = self.window.saturating_sub(now.duration_since(*q.front().expect("full")));
        Err(AppError::TooManyRequests { retry_after_s: wait.as_secs() + 1 })
    }

    /// Counts a failure of `key`.
    pub fn fail(&self, key: &K) {
        if self.max == 0 {
            return;
        }
        let mut seen = self.seen.lock().expect("failure window lock");
        let q = seen.entry(key.clone()).or_default();
        q.push_back(std::time::Instant::now());
        while q.len() > self.max {
            q.pop_front();
        }
    }

    /// Forgets keys whose failures are all out of the window (called periodically).
    pub fn tidy(&self) {
        let now = std::time::Instant::now();
        self.seen
            .lock()
            .expect("failure window lock")
            .retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < self.window));
    }
}

pub struct RateLimits {
    pub orders: KeyedLimit<(String, i64)>,
    pub logins: KeyedLimit<std::net::IpAddr>,
    /// Logins on the whole box: many addresses together cannot queue unbounded hashing.
    pub box_logins: KeyedLimit<()>,
    /// Wrong PINs per shared terminal (API.md: 5 a minute).
    pub pin_failures: FailureWindow<i64>,
    /// Wrong PINs (on terminals and in approvals) per client address.
    pub pin_failures_by_address: FailureWindow<std::net::IpAddr>,
    /// Wrong passwords per account and address (a lock after ten in a row).
    pub login_locks: std::sync::Arc<crate::lockout::LoginLocks>,
}

impl RateLimits {
    pub fn new(limits: &crate::config::Limits) -> RateLimits {
        RateLimits {
            orders: KeyedLimit::per_minute(limits.orders_per_minute),
            logins: KeyedLimit::per_minute(limits.logins_per_minute),
            box_logins: KeyedLimit::per_minute(limits.box_logins_per_minute),
            pin_failures: FailureWindow::per_minute(limits.pins_per_minute),
            // Twice a terminal's: one address may serve two terminals, not every guess.
            pin_failures_by_address: FailureWindow::per_minute(limits.pins_per_minute.saturating_mul(2)),
            login_locks: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_count_and_the_window_says_how_long_to_wait() {
        let w: FailureWindow<u8> = FailureWindow::per_minute(3);
        assert!(w.check(&1).is_ok());
        for _ in 0..3 {
            w.fail(&1);
        }
        match w.check(&1) {
            Err(AppError::TooManyRequests { retry_after_s }) => assert!((59..=61).contains(&retry_after_s)),
            other => panic!("{other:?}"),
        }
        assert!(w.check(&2).is_ok(), "another key is not held back");
        let off: FailureWindow<u8> = FailureWindow::per_minute(0);
        off.fail(&1);
        assert!(off.check(&1).is_ok());
    }
}
