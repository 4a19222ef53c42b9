//! Login lockouts per account and address.
//!
//! Ten wrong passwords in a row for one account from one address lock that account for that
//! address for fifteen minutes. Other addresses are not affected: someone guessing from
//! the Wi-Fi cannot lock the owner out of the office PC. Every attempt is counted before
//! its password is checked, so a burst of guesses sent at once gets no more real checks
//! than guesses sent one by one. A new password (from the dashboard or the CLI) moves the
//! account to its next token generation, which lifts its locks.
//!
//! Staff see the locks (who, from where, until when, how many logins were refused since),
//! and each lock is written to the audit trail when it starts.

use crate::db::stores::{Account, LOCKOUT_AFTER, LOCKOUT_MS};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Key {
    account: Account,
    id: i64,
    /// The account's token generation: a new password starts a new count.
    tgen: i64,
    addr: IpAddr,
}

#[derive(Debug, Default)]
struct Entry {
    failures: u32,
    in_flight: u32,
    locked_until: i64,
    refused: u64,
    last_ms: i64,
    store_id: String,
    label: String,
}

/// An account as the lock list shows it.
#[derive(Clone, Debug)]
pub struct Who {
    pub account: Account,
    pub id: i64,
    pub tgen: i64,
    pub store_id: String,
    /// The username, or "table N".
    pub label: String,
}

/// A lock in force, for staff to see.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LockView {
    /// `staff` or `table`.
    pub account: &'static str,
    pub account_id: i64,
    /// The username, or "table N".
    pub name: String,
    pub address: String,
    pub locked_until: String,
    /// Logins refused from this address since the lock began.
    pub refused: u64,
}

/// A lock that has just begun (the caller writes it to the audit trail).
#[derive(Clone, Debug)]
pub struct Locked {
    pub store_id: String,
    pub label: String,
    pub address: IpAddr,
    pub until_ms: i64,
}

#[derive(Default)]
pub struct LoginLocks {
    entries: Mutex<HashMap<Key, Entry>>,
}

/// One attempt, counted from before its password is checked until [`LoginLocks::finish`]. An
/// attempt dropped unfinished (the caller went away mid-check) counts as a failure.
pub struct Attempt {
    locks: Arc<LoginLocks>,
    key: Key,
    done: bool,
    now_ms: i64,
}

impl LoginLocks {
    /// Counts an attempt of `who` from `addr`, or answers `None` while that pair is locked
    /// or already has as many attempts failed and in flight as a lock allows.
    pub fn begin(self: &Arc<Self>, who: &Who, addr: IpAddr, now_ms: i64) -> Option<Attempt> {
        let key = Key { account: who.account, id: who.id, tgen: who.tgen, addr };
        let mut map = self.entries.lock().expect("login locks");
        let e = map.entry(key).or_default();
        e.last_ms = now_ms;
        if e.store_id.is_empty() {
            e.store_id = who.store_id.clone();
            e.label = who.label.clone();
        }
        if e.locked_until > now_ms || i64::from(e.failures + e.in_flight) >= LOCKOUT_AFTER {
            e.refused += 1;
            return None;
        }
        e.in_flight += 1;
        Some(Attempt { locks: self.clone(), key, done: false, now_ms })
    }

    /// Ends an attempt: a success clears the pair's failures; the failure that completes a
    /// run locks the pair and is answered with the lock.
    pub fn finish(&self, mut attempt: Attempt, ok: bool, now_ms: i64) -> Option<Locked> {
        attempt.done = true;
        self.settle(attempt.key, ok, now_ms)
    }

    fn settle(&self, key: Key, ok: bool, now_ms: i64) -> Option<Locked> {
        let mut map = self.entries.lock().expect("login locks");
        let e = map.get_mut(&key)?;
        e.in_flight = e.in_flight.saturating_sub(1);
        e.last_ms = now_ms;
        if ok {
            e.failures = 0;
            e.locked_until = 0;
            if e.in_flight == 0 {
                map.remove(&key);
            }
            return None;
        }
        e.failures += 1;
        if i64::from(e.failures) >= LOCKOUT_AFTER && e.locked_until <= now_ms {
            e.failures = 0;
            e.refused = 0;
            e.locked_until = now_ms + LOCKOUT_MS;
            return Some(Locked {
                store_id: e.store_id.clone(),
                label: e.label.clone(),
                address: key.addr,
                until_ms: e.locked_until,
            });
        }
        None
    }

    /// The locks in force on a store's accounts (current token generation or not: a lock
    /// of an old password is shown until it runs out), latest first.
    pub fn list(&self, store_id: &str, now_ms: i64) -> Vec<LockView> {
        let map = self.entries.lock().expect("login locks");
        let mut out: Vec<(i64, LockView)> = map
            .iter()
            .filter(|(_, e)| e.store_id == store_id && e.locked_until > now_ms)
            .map(|(k, e)| {
                (
                    e.locked_until,
                    LockView {
                        account: match k.account {
                            Account::Admin => "staff",
                            Account::Table => "table",
                        },
                        account_id: k.id,
                        name: e.label.clone(),
                        address: k.addr.to_string(),
                        locked_until: crate::db::rfc3339(e.locked_until),
                        refused: e.refused,
                    },
                )
            })
            .collect();
        out.sort_by_key(|x| std::cmp::Reverse(x.0));
        out.into_iter().map(|(_, v)| v).collect()
    }

    /// Forgets pairs with nothing in flight, no lock and no attempt for a lock's length.
    pub fn tidy(&self, now_ms: i64) {
        self.entries
            .lock()
            .expect("login locks")
            .retain(|_, e| e.in_flight > 0 || e.locked_until > now_ms || now_ms - e.last_ms < LOCKOUT_MS);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if !self.done {
            self.locks.settle(self.key, false, self.now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Who {
        Who { account: Account::Admin, id: 1, tgen: 0, store_id: "a".into(), label: "admin".into() }
    }
    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 168, 0, 10));
    const GUESSER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 168, 0, 66));

    #[test]
    fn ten_failures_from_one_address_lock_only_that_address() {
        let locks = Arc::new(LoginLocks::default());
        for i in 0..LOCKOUT_AFTER {
            let a = locks.begin(&owner(), GUESSER, 1_000).expect("not locked yet");
            let locked = locks.finish(a, false, 1_000);
            assert_eq!(locked.is_some(), i == LOCKOUT_AFTER - 1);
        }
        assert!(locks.begin(&owner(), GUESSER, 2_000).is_none());
        assert!(locks.begin(&owner(), GUESSER, 3_000).is_none());
        // The owner at home is not affected.
        let a = locks.begin(&owner(), HOME, 2_000).expect("home is not locked");
        assert!(locks.finish(a, true, 2_000).is_none());
        let list = locks.list("a", 4_000);
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].address.as_str(), list[0].refused), ("192.168.0.66", 2));
        assert!(locks.list("b", 4_000).is_empty());
        // It runs out, and a new password (next generation) never was locked.
        assert!(locks.begin(&owner(), GUESSER, 1_000 + LOCKOUT_MS).is_some());
        let renewed = Who { tgen: 1, ..owner() };
        assert!(locks.begin(&renewed, GUESSER, 2_000).is_some());
    }

    #[test]
    fn attempts_in_flight_count_before_their_answer_and_a_success_clears_the_run() {
        let locks = Arc::new(LoginLocks::default());
        // Ten sent at once: all ten are admitted, the eleventh is not, whatever they turn out.
        let burst: Vec<Attempt> = (0..LOCKOUT_AFTER).map(|_| locks.begin(&owner(), GUESSER, 0).unwrap()).collect();
        assert!(locks.begin(&owner(), GUESSER, 0).is_none(), "the eleventh waits for no answer");
        drop(burst); // the callers went away: counted as failures, and the lock begins
        assert!(locks.begin(&owner(), GUESSER, 1).is_none());
        // Nine wrong then right: the run is over.
        for _ in 0..LOCKOUT_AFTER - 1 {
            let a = locks.begin(&owner(), HOME, 0).unwrap();
            locks.finish(a, false, 0);
        }
        let a = locks.begin(&owner(), HOME, 0).unwrap();
        locks.finish(a, true, 0);
        let a = locks.begin(&owner(), HOME, 0).unwrap();
        assert!(locks.finish(a, false, 0).is_none());
        // Tidying forgets pairs whose lock and last attempt are a lock's length ago.
        locks.tidy(LOCKOUT_MS);
        assert_eq!(locks.len(), 1, "the guesser's lock is still in force");
        locks.tidy(LOCKOUT_MS + 2);
        assert_eq!(locks.len(), 0);
    }
}
