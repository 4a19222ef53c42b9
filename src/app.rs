//! Building and running the server; used by `main`, the tests and the benchmarks.

use crate::auth::{Accounts, Hasher, Keys};
use crate::cache::{InMemoryCache, MenuCache};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{
    self,
    events::{EventType, StoredEvent},
    writer::{Hooks, Writer},
};
use crate::events::{Fanout, FanoutStats};
use crate::metrics::Metrics;
use crate::ratelimit::RateLimits;
use crate::state::{AppState, BackupGate};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How long shutdown waits for requests in flight.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A bound, ready server.
pub struct App {
    listener: TcpListener,
    state: AppState,
    shutdown_tx: watch::Sender<bool>,
    started: Instant,
}

/// Options beyond the configuration (tests inject a clock).
#[derive(Default)]
pub struct Options {
    pub clock: Option<Clock>,
    /// A socket already listening (handed over by the release before, or by systemd).
    pub listener: Option<std::net::TcpListener>,
    /// Where the update task asks `main` to switch releases.
    pub switcher: Option<Arc<crate::update::switch::Switcher>>,
}

impl App {
    /// Opens and migrates the database, starts the writer, binds the listener.
    pub async fn build(config: Config) -> Result<App, String> {
        App::build_with(config, Options::default()).await
    }

    pub async fn build_with(config: Config, opts: Options) -> Result<App, String> {
        let started = Instant::now();
        let clock = opts.clock.unwrap_or_else(Clock::system);
        let data_dir = config.data_dir.clone();
        let writer_conn =
            tokio::task::spawn_blocking(move || db::open_and_migrate(&data_dir)).await.map_err(|e| e.to_string())??;
        let pool = db::pool(&config.data_dir, &config.pool)?;
        let keys = Keys::load(&config.data_dir, config.jwt_secret.as_deref())?;

        let metrics = Arc::new(Metrics::new());
        let fanout = Arc::new(Fanout::new(
            config.limits.max_staff_streams,
            config.limits.max_streams,
            FanoutStats::from_metrics(&metrics),
        ));
        let menu_cache: Arc<dyn MenuCache> = Arc::new(InMemoryCache::default());
        let printers = Arc::new(crate::kitchen::printer::Printers::default());
        let uplink = Arc::new(crate::uplink::Uplink::default());
        let publish = {
            let fanout = fanout.clone();
            let cache = menu_cache.clone();
            let printers = printers.clone();
            let uplink = uplink.clone();
            Box::new(move |events: Vec<StoredEvent>| {
                // Invalidate first: a tablet told of the change must not read the old menu.
                for e in events.iter().filter(|e| e.kind == EventType::MenuChanged) {
                    cache.invalidate(&e.store_id);
                }
                // New tickets or printer settings: the printer tasks look at once.
                if events.iter().any(|e| matches!(e.kind, EventType::TicketCreated | EventType::PrinterChanged)) {
                    printers.wake.notify_waiters();
                }
                fanout.publish(events);
                // New events to send to the chain hub.
                uplink.wake.notify_waiters();
            })
        };
        let now = {
            let clock = clock.clone();
            Box::new(move || clock.now_ms())
        };
        // The writer's cache of sellable items is dropped with a batch that did not commit.
        let hooks = Hooks { publish, rolled_back: Box::new(db::options::forget_offers) };
        let writer = Writer::start(writer_conn, now, hooks);
        {
            let m = metrics.clone();
            let _ = writer.stats.observe.set(Box::new(move |jobs, took| {
                m.write_batch_jobs.observe(jobs as f64);
                m.write_commit.observe(took.as_secs_f64());
            }));
        }
        let accounts = Arc::new(Accounts::default());
        let pin_key = {
            let conn = pool.get().map_err(|e| e.to_string())?;
            accounts.load(&conn).map_err(|e| format!("cannot read the accounts: {e}"))?;
            crate::auth::PinKey::load(&conn)?
        };

        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let listener = match opts.listener {
            Some(l) => {
                l.set_nonblocking(true).map_err(|e| format!("cannot use the listening socket: {e}"))?;
                TcpListener::from_std(l).map_err(|e| format!("cannot use the listening socket: {e}"))?
            }
            None => TcpListener::bind(config.listen)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?,
        };

        let setup_code = first_run_code(&pool)?;
        let limits = RateLimits::new(&config.limits);
        let hasher = Arc::new(Hasher::new(config.hash_concurrency as usize, metrics.clone()));
        let state = AppState {
            config: Arc::new(config),
            pool,
            writer,
            keys: Arc::new(keys),
            clock,
            fanout,
            menu_cache,
            limits: Arc::new(limits),
            metrics,
            started,
            shutdown: shutdown_rx,
            setup_code: Arc::new(Mutex::new(setup_code)),
            accounts,
            hasher,
            backups: Arc::new(BackupGate::default()),
            printers,
            uplink,
            pin_key: Arc::new(pin_key),
            photos: Arc::new(crate::photos::Photos::start()),
            switcher: opts.switcher.unwrap_or_default(),
        };
        Ok(App { listener, state, shutdown_tx, started })
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Time from the start of [`App::build`] until now.
    pub fn startup_time(&self) -> Duration {
        self.started.elapsed()
    }

    /// Serves until `shutdown` resolves, then ends event streams, drains requests
    /// (at most [`DRAIN_TIMEOUT`]), stops background work and checkpoints the database.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), String> {
        let App { listener, state, shutdown_tx, .. } = self;
        if let Some(code) = state.setup_code.lock().expect("setup lock").as_deref() {
            tracing::warn!(setup_code = %code, "no store yet: open the web UI and enter this one-time setup code");
        }
        let mut background = crate::tasks::spawn(state.clone());
        let router = crate::http::router(state.clone());
        let stop_streams = shutdown_tx.clone();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down");
            let _ = stop_streams.send(true);
        });
        let opts = crate::serve::ConnOptions {
            header_timeout: Duration::from_secs(state.config.header_timeout_secs),
            dead_peer_timeout: Duration::from_secs(state.config.dead_peer_timeout_secs),
            max_per_address: state.config.limits.max_connections_per_address as usize,
        };
        crate::serve::serve(listener, router, shutdown_tx.subscribe(), DRAIN_TIMEOUT, opts).await;
        background.abort_all();
        state.writer.stop().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// With no store yet, a one-time setup code for `POST /api/v1/setup` (printed to the log).
fn first_run_code(pool: &db::Pool) -> Result<Option<String>, String> {
    let conn = pool.get().map_err(|e| e.to_string())?;
    let stores = db::stores::store_count(&conn).map_err(|e| e.to_string())?;
    if stores > 0 {
        return Ok(None);
    }
    let n = u64::from_le_bytes(crate::crypto::random_bytes::<8>()) % 100_000_000;
    Ok(Some(format!("{n:08}")))
}
