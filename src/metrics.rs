//! Counters for `/metrics` (Prometheus text format) and the system page.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub http_2xx: AtomicU64,
    pub http_3xx: AtomicU64,
    pub http_4xx: AtomicU64,
    pub http_5xx: AtomicU64,
    pub orders_created: AtomicU64,
    pub logins_failed: AtomicU64,
}

impl Metrics {
    pub fn count_status(&self, status: u16) {
        let c = match status {
            200..=299 => &self.http_2xx,
            300..=399 => &self.http_3xx,
            400..=499 => &self.http_4xx,
            _ => &self.http_5xx,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// Writes one metric family.
pub fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(&str, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, v) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {v}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {v}");
        }
    }
}
