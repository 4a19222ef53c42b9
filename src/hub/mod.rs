//! The chain hub: every box's event feed in PostgreSQL, HQ reports and a live feed, served
//! by any number of interchangeable hub processes behind a load balancer. They share
//! PostgreSQL (the data) and Redis (live notifications, the report cache).
//!
//! Its SQL lives by concern, its HTTP by feature, like the box's:
//! - [`db`]: pool and migrations; [`auth`]: HQ users and box tokens, and their extractors
//! - [`ingest`]: a box's events and the projections they describe, in one transaction
//! - [`reports`]: stores, orders, sales and the CSV export, read for HQ
//! - [`live`]: Redis notifications → reads from PostgreSQL → SSE, resumable on any process
//! - [`cache`]: the cache trait of seed §4.2 with in-memory and Redis backends
//! - [`http`]: one router per feature, the `/hq` page; [`cli`]: `tableorder hub …`
//!
//! Errors are the box's [`crate::error::AppError`]: one JSON error model for both.

pub mod auth;
pub mod cache;
pub mod cli;
pub mod db;
pub mod http;
pub mod ingest;
pub mod live;
pub mod releases;
pub mod reports;

use deadpool_postgres::Pool;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What a hub process runs with.
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub listen: SocketAddr,
    pub database_url: String,
    /// Reports read from here when given (a streaming replica).
    pub database_replica_url: Option<String>,
    /// Without Redis the process works alone: in-memory cache, live feed by polling.
    pub redis_url: Option<String>,
    pub pool_max_size: usize,
    /// Orders per database query of a CSV export.
    pub csv_page_size: i64,
}

/// Shared state of a hub process.
#[derive(Clone)]
pub struct HubState {
    pub pool: Pool,
    /// Reports (the replica when given, else the primary).
    pub reports: Pool,
    pub cache: Arc<dyn cache::CacheBackend>,
    pub redis: Option<redis::Client>,
    pub live: Arc<live::Live>,
    pub keys: Arc<crate::auth::Keys>,
    pub logins: Arc<crate::ratelimit::KeyedLimit<std::net::IpAddr>>,
    pub hashing: Arc<tokio::sync::Semaphore>,
    /// Gzip bodies are inflated and parsed off the async workers, two at a time.
    pub inflating: Arc<tokio::sync::Semaphore>,
    pub csv_page_size: i64,
}

/// A bound hub process.
pub struct Hub {
    listener: TcpListener,
    state: HubState,
}

impl Hub {
    /// Connects to PostgreSQL (migrating it) and Redis, binds the listener.
    pub async fn build(cfg: HubConfig) -> Result<Hub, String> {
        let pool = db::pool(&cfg.database_url, cfg.pool_max_size)?;
        db::migrate(&pool).await?;
        let reports = match &cfg.database_replica_url {
            Some(url) => db::pool(url, cfg.pool_max_size)?,
            None => pool.clone(),
        };
        let key = db::jwt_key(&pool).await?;
        let redis = match &cfg.redis_url {
            Some(url) => Some(redis::Client::open(url.as_str()).map_err(|e| format!("bad Redis URL: {e}"))?),
            None => {
                tracing::warn!("no Redis: this hub process works alone (in-memory cache, live feed by polling)");
                None
            }
        };
        let cache: Arc<dyn cache::CacheBackend> = match &redis {
            Some(c) => Arc::new(cache::RedisCache::new(c.clone())),
            None => Arc::new(cache::InMemoryCache::default()),
        };
        let live = Arc::new(live::Live::new(&pool).await?);
        let listener =
            TcpListener::bind(cfg.listen).await.map_err(|e| format!("cannot listen on {}: {e}", cfg.listen))?;
        Ok(Hub {
            listener,
            state: HubState {
                pool,
                reports,
                cache,
                redis,
                live,
                keys: Arc::new(crate::auth::Keys::new(key.as_bytes())),
                logins: Arc::new(crate::ratelimit::KeyedLimit::per_minute(10)),
                hashing: Arc::new(tokio::sync::Semaphore::new(2)),
                inflating: Arc::new(tokio::sync::Semaphore::new(2)),
                csv_page_size: cfg.csv_page_size.max(1),
            },
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener has an address")
    }

    pub fn state(&self) -> &HubState {
        &self.state
    }

    /// Serves until `shutdown` resolves.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), String> {
        let Hub { listener, state } = self;
        let follower = tokio::spawn(live::follow(state.clone()));
        let router = http::router(state.clone());
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = tx.send(true);
        });
        crate::serve::serve(
            listener,
            router,
            rx,
            std::time::Duration::from_secs(5),
            crate::serve::ConnOptions { header_timeout: std::time::Duration::from_secs(30), ..Default::default() },
        )
        .await;
        follower.abort();
        Ok(())
    }
}
