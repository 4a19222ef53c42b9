//! The menu cache (seed §2.2, §4): the serialised menu of each store, kept until a
//! write to that store's menu invalidates it. Behind a trait so that another backend
//! (shared between boxes) can be added without touching the handlers.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// A menu ready to send: JSON body and its `ETag`.
#[derive(Debug)]
pub struct CachedMenu {
    pub version: i64,
    pub etag: String,
    pub body: Bytes,
}

/// The cache of serialised guest menus, one per store and language. Every menu write of a
/// store drops all of its languages at once.
pub trait MenuCache: Send + Sync {
    fn get(&self, store_id: &str, lang: &str) -> Option<Arc<CachedMenu>>;
    /// A counter that changes on every invalidation of `store_id`.
    fn generation(&self, store_id: &str) -> u64;
    /// Stores `menu` unless the store was invalidated since `generation` was read,
    /// so that a slow reader never puts back a menu older than a write it raced with.
    fn put(&self, store_id: &str, lang: &str, generation: u64, menu: Arc<CachedMenu>);
    fn invalidate(&self, store_id: &str);
}

/// Per store: the invalidation generation and the menus cached, by language.
type Entry = (u64, HashMap<String, Arc<CachedMenu>>);

#[derive(Default)]
pub struct InMemoryCache {
    // std RwLock: reads are many and short, and it is never held across an await.
    map: RwLock<HashMap<String, Entry>>,
}

impl MenuCache for InMemoryCache {
    fn get(&self, store_id: &str, lang: &str) -> Option<Arc<CachedMenu>> {
        self.map.read().expect("cache lock").get(store_id).and_then(|(_, m)| m.get(lang).cloned())
    }

    fn generation(&self, store_id: &str) -> u64 {
        self.map.read().expect("cache lock").get(store_id).map_or(0, |(g, _)| *g)
    }

    fn put(&self, store_id: &str, lang: &str, generation: u64, menu: Arc<CachedMenu>) {
        let mut m = self.map.write().expect("cache lock");
        let entry = m.entry(store_id.to_string()).or_default();
        if entry.0 == generation {
            entry.1.insert(lang.to_string(), menu);
        }
    }

    fn invalidate(&self, store_id: &str) {
        let mut m = self.map.write().expect("cache lock");
        let entry = m.entry(store_id.to_string()).or_default();
        entry.0 += 1;
        entry.1.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn menu(v: i64) -> Arc<CachedMenu> {
        Arc::new(CachedMenu { version: v, etag: format!("\"m{v}\""), body: Bytes::new() })
    }

    #[test]
    fn a_stale_fill_after_an_invalidation_is_ignored() {
        let c = InMemoryCache::default();
        let g = c.generation("a");
        c.invalidate("a");
        c.put("a", "ko", g, menu(1));
        assert!(c.get("a", "ko").is_none());
        let g = c.generation("a");
        c.put("a", "ko", g, menu(2));
        c.put("a", "en", g, menu(2));
        assert_eq!(c.get("a", "ko").unwrap().version, 2);
        assert!(c.get("a", "ja").is_none());
        assert!(c.get("b", "ko").is_none());
        // One write drops every language of the store.
        c.invalidate("a");
        assert!(c.get("a", "ko").is_none() && c.get("a", "en").is_none());
    }
}
