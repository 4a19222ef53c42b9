//! The cache of seed §4.2: one trait, an in-memory backend for a process on its own and a
//! Redis backend shared by every hub process. HQ reports are cached under keys that carry
//! an ingest generation; each ingest moves the generation on ([`CacheBackend::bump`]), so a
//! new order is never hidden behind a cached report, on any process.

use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub trait CacheBackend: Send + Sync {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<Vec<u8>>>;
    fn set<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> BoxFuture<'a, bool>;
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, bool>;
    /// The current generation (0 when unknown).
    fn generation(&self) -> BoxFuture<'_, u64>;
    /// Moves the generation on: everything cached before is stale.
    fn bump(&self) -> BoxFuture<'_, ()>;
}

/// A process's own cache (no Redis).
#[derive(Default)]
pub struct InMemoryCache {
    // std mutex: held only to read or write the map, never across an await.
    map: Mutex<HashMap<String, (Instant, Vec<u8>)>>,
    generation: std::sync::atomic::AtomicU64,
}

impl CacheBackend for InMemoryCache {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let m = self.map.lock().expect("cache lock");
            m.get(key).filter(|(until, _)| *until > Instant::now()).map(|(_, v)| v.clone())
        })
    }
    fn set<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let mut m = self.map.lock().expect("cache lock");
            if m.len() > 10_000 {
                let now = Instant::now();
                m.retain(|_, (until, _)| *until > now);
            }
            m.insert(key.to_string(), (Instant::now() + ttl, value));
            true
        })
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, bool> {
        Box::pin(async move { self.map.lock().expect("cache lock").remove(key).is_some() })
    }
    fn generation(&self) -> BoxFuture<'_, u64> {
        Box::pin(async move { self.generation.load(std::sync::atomic::Ordering::SeqCst) })
    }
    fn bump(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.map.lock().expect("cache lock").clear();
        })
    }
}

const GEN_KEY: &str = "tableorder:hub:gen";

/// The cache in Redis, shared by every hub process. Errors (Redis away) read as misses:
/// the reports then come from PostgreSQL.
pub struct RedisCache {
    client: redis::Client,
    conn: tokio::sync::OnceCell<redis::aio::ConnectionManager>,
}

impl RedisCache {
    pub fn new(client: redis::Client) -> RedisCache {
        RedisCache { client, conn: tokio::sync::OnceCell::new() }
    }

    async fn conn(&self) -> Option<redis::aio::ConnectionManager> {
        let cfg = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)));
        self.conn
            .get_or_try_init(|| redis::aio::ConnectionManager::new_with_config(self.client.clone(), cfg))
            .await
            .ok()
            .cloned()
    }
}

impl CacheBackend for RedisCache {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let mut c = self.conn().await?;
            redis::cmd("GET").arg(key).query_async::<Option<Vec<u8>>>(&mut c).await.ok().flatten()
        })
    }
    fn set<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let Some(mut c) = self.conn().await else { return false };
            redis::cmd("SET")
                .arg(key)
                .arg(value)
                .arg("PX")
                .arg(ttl.as_millis() as u64)
                .query_async::<()>(&mut c)
                .await
                .is_ok()
        })
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let Some(mut c) = self.conn().await else { return false };
            redis::cmd("DEL").arg(key).query_async::<i64>(&mut c).await.map(|n| n > 0).unwrap_or(false)
        })
    }
    fn generation(&self) -> BoxFuture<'_, u64> {
        Box::pin(async move {
            let Some(mut c) = self.conn().await else { return 0 };
            redis::cmd("GET").arg(GEN_KEY).query_async::<Option<u64>>(&mut c).await.ok().flatten().unwrap_or(0)
        })
    }
    fn bump(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(mut c) = self.conn().await {
                let _ = redis::cmd("INCR").arg(GEN_KEY).query_async::<u64>(&mut c).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_expire_and_a_bump_drops_them() {
        let c = InMemoryCache::default();
        assert!(c.set("a", b"1".to_vec(), Duration::from_secs(60)).await);
        assert!(c.set("b", b"2".to_vec(), Duration::from_millis(1)).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(c.get("a").await, Some(b"1".to_vec()));
        assert_eq!(c.get("b").await, None);
        let g = c.generation().await;
        c.bump().await;
        assert_eq!(c.generation().await, g + 1);
        assert_eq!(c.get("a").await, None);
        assert!(!c.delete("a").await);
    }
}
