//! The in-memory fan-out (seed §3.1): committed events in, bounded per-connection
//! queues out. Publishing never waits on a client: a full queue drops that connection,
//! which resumes later from `Last-Event-ID`.

pub mod sse;

use crate::db::events::StoredEvent;
use crate::error::AppError;
use crate::serve::Conn;
use prometheus_client::metrics::counter::Counter;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Events queued per connection before it counts as too slow (seed §3.1).
pub const QUEUE_LEN: usize = 100;

/// How long a replaced table stream may take to end by itself before its connection is cut.
const REPLACED_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// A registered stream: its queue and, when known, its connection (to cut it).
struct Tx {
    queue: mpsc::Sender<Arc<StoredEvent>>,
    conn: Option<Conn>,
    /// The staff member whose login opened it (staff streams).
    admin_id: Option<i64>,
    /// A kitchen login's stream (it may use the slots kept for kitchens).
    kitchen: bool,
}

impl Tx {
    /// Closes the client connection, so that a client that stopped reading lets go of
    /// its socket instead of holding it while nothing can be written.
    fn cut(&self) {
        if let Some(c) = &self.conn {
            c.kill();
        }
    }

    /// Ends the stream: dropping the sender lets it finish what is queued and close
    /// cleanly; the connection is cut a little later in case its client no longer reads.
    fn end(self) {
        if let Some(conn) = self.conn {
            tokio::spawn(async move {
                tokio::time::sleep(REPLACED_GRACE).await;
                conn.kill();
            });
        }
    }
}

#[derive(Default)]
struct StoreSubs {
    staff: HashMap<u64, Tx>,
    /// One stream per table: a newer one replaces the older.
    tables: HashMap<i64, (u64, Tx)>,
}

#[derive(Default)]
struct Inner {
    stores: HashMap<String, StoreSubs>,
    staff: usize,
    tables: usize,
}

/// Counters exported on `/metrics` and the system page (registered by [`crate::metrics`]).
#[derive(Default, Clone)]
pub struct FanoutStats {
    pub events_sent: Counter,
    pub dropped_lagging: Counter,
    pub replaced: Counter,
    pub refused: Counter,
    pub resumed: Counter,
    pub resync: Counter,
}

impl FanoutStats {
    /// The hub's counters as registered in `m`.
    pub fn from_metrics(m: &crate::metrics::Metrics) -> FanoutStats {
        FanoutStats {
            events_sent: m.sse_events_sent.clone(),
            dropped_lagging: m.sse_dropped.clone(),
            replaced: m.sse_replaced.clone(),
            refused: m.sse_refused.clone(),
            resumed: m.sse_resumed.clone(),
            resync: m.sse_resync.clone(),
        }
    }
}

pub struct Fanout {
    // A std mutex: it is held only to edit the maps or to `try_send`, never across an await.
    inner: Mutex<Inner>,
    next_id: AtomicU64,
    max_staff_per_store: u64,
    max_total: u64,
    pub stats: FanoutStats,
    /// Newest event id published.
    pub published: AtomicI64,
}

/// Staff stream slots of a store that only kitchen logins may take (of `max_staff_streams`).
pub const KITCHEN_RESERVED: u64 = 2;

/// Who a stream belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Staff,
    Table(i64),
}

/// A registered connection: its queue, and a guard that frees the slot when dropped.
pub struct Subscription {
    pub rx: mpsc::Receiver<Arc<StoredEvent>>,
    pub guard: SubGuard,
}

pub struct SubGuard {
    fanout: Arc<Fanout>,
    store_id: String,
    audience: Audience,
    id: u64,
}

impl Drop for SubGuard {
    fn drop(&mut self) {
        self.fanout.remove(&self.store_id, &self.audience, self.id);
    }
}

impl Fanout {
    pub fn new(max_staff_per_store: u64, max_total: u64, stats: FanoutStats) -> Fanout {
        Fanout {
            inner: Mutex::new(Inner::default()),
            next_id: AtomicU64::new(1),
            max_staff_per_store,
            max_total,
            stats,
            published: AtomicI64::new(0),
        }
    }

    /// Open connections: (staff, table).
    pub fn counts(&self) -> (usize, usize) {
        let g = self.inner.lock().expect("hub lock");
        (g.staff, g.tables)
    }

    /// Registers a stream, or refuses it with 409 `limit_reached`. Of a store's staff
    /// slots, the last [`KITCHEN_RESERVED`] are kept for kitchen logins (`kitchen`), so that
    /// dashboards open in many tabs never leave the kitchen display without its stream.
    pub fn subscribe(
        self: &Arc<Fanout>,
        store_id: &str,
        audience: Audience,
        conn: Option<Conn>,
        admin_id: Option<i64>,
        kitchen: bool,
    ) -> Result<Subscription, AppError> {
        let (queue, rx) = mpsc::channel(QUEUE_LEN);
        let tx = Tx { queue, conn, admin_id, kitchen };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut g = self.inner.lock().expect("hub lock");
        let replacing = match &audience {
            Audience::Table(t) => g.stores.get(store_id).is_some_and(|s| s.tables.contains_key(t)),
            Audience::Staff => false,
        };
        if self.max_total > 0 && !replacing && (g.staff + g.tables) as u64 >= self.max_total {
            self.stats.refused.inc();
            return Err(AppError::LimitReached { limit: "max_streams", value: self.max_total });
        }
        let inner = &mut *g;
        let subs = inner.stores.entry(store_id.to_string()).or_default();
        match &audience {
            Audience::Staff => {
                let max = self.max_staff_per_store;
                let reserved = KITCHEN_RESERVED.min(max.saturating_sub(1));
                let others = subs.staff.values().filter(|t| !t.kitchen).count() as u64;
                let full = subs.staff.len() as u64 >= max || (!kitchen && others + reserved >= max);
                if max > 0 && full {
                    self.stats.refused.inc();
                    return Err(AppError::LimitReached { limit: "max_staff_streams", value: self.max_staff_per_store });
                }
                subs.staff.insert(id, tx);
                inner.staff += 1;
            }
            Audience::Table(t) => {
                // Dropping the old sender ends the old stream once it has drained; its
                // connection is cut a little later in case its client no longer reads.
                if let Some((_, old)) = subs.tables.insert(*t, (id, tx)) {
                    old.end();
                    self.stats.replaced.inc();
                } else {
                    inner.tables += 1;
                }
            }
        }
        drop(g);
        Ok(Subscription { rx, guard: SubGuard { fanout: self.clone(), store_id: store_id.to_string(), audience, id } })
    }

    fn remove(&self, store_id: &str, audience: &Audience, id: u64) {
        let mut g = self.inner.lock().expect("hub lock");
        let inner = &mut *g;
        let Some(subs) = inner.stores.get_mut(store_id) else { return };
        match audience {
            Audience::Staff => {
                if subs.staff.remove(&id).is_some() {
                    inner.staff -= 1;
                }
            }
            Audience::Table(t) => {
                if subs.tables.get(t).is_some_and(|(cur, _)| *cur == id) {
                    subs.tables.remove(t);
                    inner.tables -= 1;
                }
            }
        }
        if subs.staff.is_empty() && subs.tables.is_empty() {
            inner.stores.remove(store_id);
        }
    }

    /// Ends a table's stream at once (its password changed or it was deleted: the token
    /// that opened it is no longer valid).
    pub fn cut_table(&self, store_id: &str, table_id: i64) {
        let mut g = self.inner.lock().expect("hub lock");
        let inner = &mut *g;
        if let Some(subs) = inner.stores.get_mut(store_id)
            && let Some((_, tx)) = subs.tables.remove(&table_id)
        {
            inner.tables -= 1;
            tx.end();
        }
    }

    /// Ends every stream a staff member's login opened (their password changed).
    pub fn cut_admin(&self, store_id: &str, admin_id: i64) {
        let mut g = self.inner.lock().expect("hub lock");
        let inner = &mut *g;
        if let Some(subs) = inner.stores.get_mut(store_id) {
            let gone: Vec<u64> =
                subs.staff.iter().filter(|(_, tx)| tx.admin_id == Some(admin_id)).map(|(id, _)| *id).collect();
            for id in gone {
                if let Some(tx) = subs.staff.remove(&id) {
                    inner.staff -= 1;
                    tx.end();
                }
            }
        }
    }

    /// Hands committed events to every matching connection without waiting.
    pub fn publish(&self, events: Vec<StoredEvent>) {
        let mut g = self.inner.lock().expect("hub lock");
        let inner = &mut *g;
        for ev in events {
            self.published.fetch_max(ev.id, Ordering::Relaxed);
            if !ev.kind.streamed() {
                continue;
            }
            let Some(subs) = inner.stores.get_mut(&ev.store_id) else { continue };
            let ev = Arc::new(ev);
            let before = subs.staff.len();
            subs.staff.retain(|_, tx| self.offer(tx, &ev));
            inner.staff -= before - subs.staff.len();
            let before = subs.tables.len();
            subs.tables.retain(|table_id, (_, tx)| {
                !ev.kind.visible_to_table(ev.table_id == Some(*table_id)) || self.offer(tx, &ev)
            });
            inner.tables -= before - subs.tables.len();
        }
    }

    /// Queues `ev` on one connection; false when the connection must go.
    fn offer(&self, tx: &Tx, ev: &Arc<StoredEvent>) -> bool {
        match tx.queue.try_send(ev.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.stats.dropped_lagging.inc();
                tx.cut();
                tracing::info!(store_id = %ev.store_id, "dropped an event stream that fell behind");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}
