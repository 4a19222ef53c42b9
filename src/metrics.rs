//! Metrics for `/metrics` (Prometheus / OpenMetrics text, via `prometheus-client`) and the
//! system page. Counters and histograms are updated where things happen; gauges that
//! describe state owned elsewhere (streams, pool, disk) are read when scraped.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClassLabel {
    pub class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    pub state: &'static str,
}

type FloatGauge = Gauge<f64, AtomicU64>;

pub struct Metrics {
    registry: Registry,
    pub http_responses: Family<ClassLabel, Counter>,
    pub http_duration: Family<RouteLabels, Histogram>,
    pub orders_created: Counter,
    pub logins_failed: Counter,
    pub logins_refused: Family<KindLabel, Counter>,
    pub hash_waiting: Gauge,
    pub hash_running: Gauge,
    pub hash_wait: Histogram,
    pub write_batch_jobs: Histogram,
    pub write_commit: Histogram,
    pub write_failed: Counter,
    pub sse_connections: Family<KindLabel, Gauge>,
    pub sse_events_sent: Counter,
    pub sse_dropped: Counter,
    pub sse_refused: Counter,
    pub sse_replaced: Counter,
    pub sse_resumed: Counter,
    pub sse_resync: Counter,
    pub backups_written: Family<KindLabel, Counter>,
    pub backups_failed: Counter,
    pub disk_free: Gauge,
    pub db_bytes: Gauge,
    pub pool: Family<StateLabel, Gauge>,
    pub uptime: FloatGauge,
    pub hub_backlog: Gauge,
    pub hub_acked: Gauge,
    pub hub_up: Gauge,
    pub hub_last_upload: FloatGauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut r = Registry::with_prefix("tableorder");
        macro_rules! reg {
            ($name:expr, $help:expr, $m:expr) => {{
                let m = $m;
                r.register($name, $help, m.clone());
                m
            }};
        }
        let latency = || Histogram::new(exponential_buckets(0.0001, 2.5, 14));
        let http_responses = reg!("http_responses", "HTTP responses by status class", Family::default());
        let http_duration = reg!(
            "http_request_duration_seconds",
            "Time to answer a request (to the response head), per route",
            Family::<RouteLabels, Histogram>::new_with_constructor(latency)
        );
        Metrics {
            http_responses,
            http_duration,
            orders_created: reg!("orders_created", "Orders placed", Counter::default()),
            logins_failed: reg!("logins_failed", "Failed logins", Counter::default()),
            logins_refused: reg!(
                "logins_refused",
                "Logins refused by a rate limit (kind: address or box)",
                Family::default()
            ),
            hash_waiting: reg!("password_hash_waiting", "Password checks waiting for a hashing slot", Gauge::default()),
            hash_running: reg!("password_hash_running", "Password checks running now", Gauge::default()),
            hash_wait: reg!(
                "password_hash_wait_seconds",
                "Time a password check waited for a hashing slot",
                Histogram::new(exponential_buckets(0.001, 2.5, 12))
            ),
            write_batch_jobs: reg!(
                "db_write_batch_jobs",
                "Write jobs committed together in one transaction",
                Histogram::new(exponential_buckets(1.0, 2.0, 9))
            ),
            write_commit: reg!("db_write_batch_seconds", "Time to run and commit (fsync) one write batch", latency()),
            write_failed: reg!(
                "db_write_failed_batches",
                "Write batches rolled back (full disk, I/O)",
                Counter::default()
            ),
            sse_connections: reg!("sse_connections", "Open event streams", Family::default()),
            sse_events_sent: reg!("sse_events_sent", "Events written to streams", Counter::default()),
            sse_dropped: reg!("sse_dropped_lagging", "Streams dropped for falling behind", Counter::default()),
            sse_refused: reg!("sse_refused", "Streams refused by a limit", Counter::default()),
            sse_replaced: reg!("sse_replaced", "Table streams replaced by a newer one", Counter::default()),
            sse_resumed: reg!("sse_resumed", "Streams that resumed after an event id (replay)", Counter::default()),
            sse_resync: reg!("sse_resync", "Streams told to refetch (resume point no longer held)", Counter::default()),
            backups_written: reg!("backups_written", "Backups written, by kind", Family::default()),
            backups_failed: reg!("backups_failed", "Backups that failed", Counter::default()),
            disk_free: reg!("disk_free_bytes", "Free space on the data directory's filesystem", Gauge::default()),
            db_bytes: reg!("db_bytes", "Database size on disk, WAL included", Gauge::default()),
            pool: reg!("db_pool_connections", "Read pool connections", Family::default()),
            uptime: reg!("uptime_seconds", "Seconds since start", FloatGauge::default()),
            hub_backlog: reg!("hub_backlog_events", "Events not yet acknowledged by the hub", Gauge::default()),
            hub_acked: reg!("hub_acked_event_id", "Highest event id the hub holds", Gauge::default()),
            hub_up: reg!("hub_up", "1 when the last upload to the hub succeeded", Gauge::default()),
            hub_last_upload: reg!(
                "hub_last_upload_timestamp_seconds",
                "When the last upload to the hub succeeded",
                FloatGauge::default()
            ),
            registry: r,
        }
    }

    pub fn count_status(&self, status: u16) {
        let class = match status {
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.http_responses.get_or_create(&ClassLabel { class }).inc();
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Free bytes for unprivileged writers on the filesystem holding `path` (None when unknown).
pub fn free_bytes(path: &std::path::Path) -> Option<u64> {
    let s = rustix::fs::statvfs(path).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}
