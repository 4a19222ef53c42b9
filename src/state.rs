//! Shared application state handed to every handler.

use crate::auth::{Accounts, Hasher, Keys};
use crate::cache::MenuCache;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Pool;
use crate::db::writer::Writer;
use crate::events::Fanout;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimits;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::watch;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: Pool,
    pub writer: Writer,
    pub keys: Arc<Keys>,
    pub clock: Clock,
    /// Committed events to the open streams.
    pub fanout: Arc<Fanout>,
    pub menu_cache: Arc<dyn MenuCache>,
    pub limits: Arc<RateLimits>,
    pub metrics: Arc<Metrics>,
    pub started: Instant,
    /// Turns true when the server begins to shut down; event streams end on it.
    pub shutdown: watch::Receiver<bool>,
    /// The one-time first-run setup code, while no store exists.
    pub setup_code: Arc<Mutex<Option<String>>>,
    /// Live accounts and their token generations.
    pub accounts: Arc<Accounts>,
    /// Password hashing, a few at a time.
    pub hasher: Arc<Hasher>,
    /// Backups through the API: one at a time, not too often.
    pub backups: Arc<BackupGate>,
    /// The kitchen printers' states, and their wake-up call.
    pub printers: Arc<crate::kitchen::printer::Printers>,
    /// The uploader to the chain hub (state "off" without one).
    pub uplink: Arc<crate::uplink::Uplink>,
    /// The key of the PIN tags (staff PINs, approvals).
    pub pin_key: Arc<crate::auth::PinKey>,
    /// Menu photos are made into cards one at a time, on a thread of their own (a big
    /// photo takes tens of MB while decoded).
    pub photos: Arc<crate::photos::Photos>,
    /// A release switch that is due (the server stops and `main` hands over to it).
    pub switcher: Arc<crate::update::switch::Switcher>,
}

/// Serialises API backups and spaces them out.
#[derive(Default)]
pub struct BackupGate {
    /// Held while a backup is being written (a tokio mutex: held across the write).
    pub running: tokio::sync::Mutex<()>,
    /// When the last API backup finished.
    pub last: Mutex<Option<Instant>>,
}
