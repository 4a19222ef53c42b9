//! Time as the application sees it: real in production, settable in tests
//! (order numbers across a day boundary are tested without sleeping).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Source of the current time in Unix milliseconds.
#[derive(Clone, Default)]
pub struct Clock {
    /// Offset added to the system time; tests move it forward.
    offset_ms: Arc<AtomicI64>,
    /// When set, time is frozen at this value.
    fixed_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock frozen at `ms`, moved only by [`Clock::set`].
    pub fn fixed(ms: i64) -> Clock {
        let c = Clock::default();
        c.set(ms);
        c
    }

    pub fn set(&self, ms: i64) {
        self.fixed_ms.store(ms, Ordering::SeqCst);
    }

    pub fn advance(&self, ms: i64) {
        if self.fixed_ms.load(Ordering::SeqCst) != 0 {
            self.fixed_ms.fetch_add(ms, Ordering::SeqCst);
        } else {
            self.offset_ms.fetch_add(ms, Ordering::SeqCst);
        }
    }

    pub fn now_ms(&self) -> i64 {
        let fixed = self.fixed_ms.load(Ordering::SeqCst);
        if fixed != 0 {
            return fixed;
        }
        jiff::Timestamp::now().as_millisecond() + self.offset_ms.load(Ordering::SeqCst)
    }
}
