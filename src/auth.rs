//! Tokens, passwords and the live accounts tokens are checked against. The extractors that
//! hand a handler its caller are in [`crate::http::extract`].

use crate::crypto::random_bytes;
pub use crate::domain::account::{Account, UserType};
use crate::error::AppError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Token lifetime for both kinds of user.
pub const TOKEN_TTL_SECS: i64 = 16 * 3600;

/// Signing keys, kept in state (never in statics).
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    pub fn new(secret: &[u8]) -> Keys {
        Keys { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }

    /// The key from `secret`, or the one in `DATA_DIR/jwt.key`, generated (mode 0600) on first start.
    pub fn load(data_dir: &Path, secret: Option<&str>) -> Result<Keys, String> {
        if let Some(s) = secret {
            if s.len() < 32 {
                return Err("TABLEORDER_JWT_SECRET must be at least 32 characters".into());
            }
            return Ok(Keys::new(s.as_bytes()));
        }
        let path = data_dir.join("jwt.key");
        match std::fs::read(&path) {
            Ok(bytes) if bytes.len() >= 32 => return Ok(Keys::new(&bytes)),
            Ok(_) => return Err(format!("{} is too short; delete it to make a new one", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        }
        let key = random_bytes::<64>();
        crate::durable::write(&path, &key, false).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Keys::new(&key))
    }

    pub fn issue(&self, claims: &Claims) -> Result<String, AppError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding).map_err(AppError::internal)
    }

    pub fn verify(&self, token: &str, now_s: i64) -> Result<Claims, AppError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 0;
        // Expiry is checked below against the application clock (tests move it).
        v.validate_exp = false;
        v.set_required_spec_claims(&["exp", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)
            .map_err(|_| AppError::Unauthorized("invalid token".into()))?;
        if data.claims.exp <= now_s {
            return Err(AppError::Unauthorized("token expired, log in again".into()));
        }
        Ok(data.claims)
    }
}

/// JWT claims (seed §6.1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    pub sub: String,
    pub user_type: UserType,
    pub store_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_id: Option<i64>,
    pub iat: i64,
    pub exp: i64,
    /// The account's token generation when the token was issued: a password change or
    /// a table's deletion moves the account on, and older tokens stop working.
    #[serde(default, rename = "gen")]
    pub tgen: i64,
    /// Staff: the role when the token was issued (a change of role ends the token; a token
    /// without one counts as the owner's it was before roles existed). The server checks
    /// the account's current role, not this copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<crate::domain::Role>,
    /// Staff: the same as `admin_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_id: Option<i64>,
    /// A PIN login: the shared terminal it was made on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<i64>,
    /// A tablet's device key (made when a setup QR code set it up): it opens nothing itself
    /// and only renews the table's login, until the table's password changes or the table
    /// is deleted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub device: bool,
}

/// A tablet's device key lasts this long unused; each renewal makes a new one.
pub const DEVICE_KEY_TTL_SECS: i64 = 90 * 24 * 3600;

/// A PIN login on a shared terminal lasts a shift.
pub const PIN_TOKEN_TTL_SECS: i64 = 12 * 3600;

impl Claims {
    /// A staff login with its role: 16 h, or 12 h when made by PIN on `terminal`.
    pub fn staff(
        store_id: &str,
        staff_id: i64,
        tgen: i64,
        role: crate::domain::Role,
        terminal: Option<i64>,
        now_s: i64,
    ) -> Claims {
        let mut c = Claims::admin(store_id, staff_id, tgen, now_s);
        c.role = Some(role);
        c.staff_id = Some(staff_id);
        if terminal.is_some() {
            c.terminal_id = terminal;
            c.exp = now_s + PIN_TOKEN_TTL_SECS;
        }
        c
    }

    pub fn admin(store_id: &str, admin_id: i64, tgen: i64, now_s: i64) -> Claims {
        Claims {
            role: None,
            staff_id: None,
            terminal_id: None,
            device: false,
            tgen,
            sub: format!("admin:{admin_id}"),
            user_type: UserType::Admin,
            store_id: store_id.into(),
            table_id: None,
            admin_id: Some(admin_id),
            iat: now_s,
            exp: now_s + TOKEN_TTL_SECS,
        }
    }

    /// A tablet's device key for `table_id` (see [`Claims::device`]).
    pub fn device_key(store_id: &str, table_id: i64, tgen: i64, now_s: i64) -> Claims {
        let mut c = Claims::table(store_id, table_id, tgen, now_s);
        c.device = true;
        c.exp = now_s + DEVICE_KEY_TTL_SECS;
        c
    }

    /// An HQ user's login on the hub.
    pub fn hq(user_id: i64, now_s: i64) -> Claims {
        Claims {
            role: None,
            staff_id: None,
            terminal_id: None,
            device: false,
            tgen: 0,
            sub: format!("hq:{user_id}"),
            user_type: UserType::Hq,
            store_id: String::new(),
            table_id: None,
            admin_id: Some(user_id),
            iat: now_s,
            exp: now_s + TOKEN_TTL_SECS,
        }
    }

    pub fn table(store_id: &str, table_id: i64, tgen: i64, now_s: i64) -> Claims {
        Claims {
            role: None,
            staff_id: None,
            terminal_id: None,
            device: false,
            tgen,
            sub: format!("table:{table_id}"),
            user_type: UserType::Table,
            store_id: store_id.into(),
            table_id: Some(table_id),
            admin_id: None,
            iat: now_s,
            exp: now_s + TOKEN_TTL_SECS,
        }
    }
}

/// The box's key for PIN tags: a PIN is kept only as HMAC-SHA256(key, store ":" PIN), which
/// finds its owner at once (a PIN login needs no slow hash) and keeps PINs unique per store.
/// The key is the database's own (`meta.pin_key`), so a restored backup keeps its PINs.
pub struct PinKey(Vec<u8>);

impl PinKey {
    pub fn new(key: &[u8]) -> PinKey {
        PinKey(key.to_vec())
    }

    /// The key stored in the database (made by its migration).
    pub fn load(conn: &rusqlite::Connection) -> Result<PinKey, String> {
        let hex = crate::db::stores::meta_get(conn, "pin_key")
            .map_err(|e| format!("cannot read the PIN key: {e}"))?
            .ok_or("the database has no PIN key")?;
        Ok(PinKey(hex.into_bytes()))
    }

    /// The tag stored for `pin` of a store's staff.
    pub fn tag(&self, store_id: &str, pin: &str) -> String {
        crate::crypto::hmac_sha256_hex(&self.0, format!("{store_id}:{pin}").as_bytes())
    }
}

/// argon2id cost: 7 MiB and 5 passes, one of OWASP's equivalent settings for argon2id
/// (with 19 MiB × 2, 12 MiB × 3, …): the same work for an attacker, but less than half the
/// memory per login, which matters on a 1 GB box where a hundred tablets log in at opening
/// time. Hashes made with other settings still verify (theirs are in the hash) and are
/// upgraded at the next successful login.
pub const HASH_MEMORY_KIB: u32 = 7 * 1024;
pub const HASH_PASSES: u32 = 5;

fn argon2() -> Argon2<'static> {
    let params = argon2::Params::new(HASH_MEMORY_KIB, HASH_PASSES, 1, None).expect("valid argon2 parameters");
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Hashes a password with argon2id (blocking: call from a blocking context).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(AppError::internal)?;
    argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(AppError::internal)
}

/// Whether a stored hash was made with other settings than today's (then it is redone at
/// the next successful login).
pub fn needs_rehash(hash: &str) -> bool {
    let Ok(h) = PasswordHash::new(hash) else { return true };
    let param = |name: &str| h.params.get_decimal(name);
    h.algorithm.as_str() != "argon2id"
        || param("m") != Some(HASH_MEMORY_KIB)
        || param("t") != Some(HASH_PASSES)
        || param("p") != Some(1)
}

/// Checks a password against a stored hash (blocking).
pub fn verify_password(password: &str, hash: &str) -> bool {
    // The hash carries its own settings; `argon2()` only supplies the algorithm family.
    PasswordHash::new(hash).map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok()).unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that timing does not tell.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default())
}

/// Live accounts (staff and tables that exist) with their token generations, kept in
/// memory so that checking a token costs no database read. The server updates it after
/// every change it commits; changes made by the command line (another process) are
/// noticed through `meta.accounts_version` within [`ACCOUNTS_REFRESH`].
#[derive(Default)]
pub struct Accounts {
    // A std lock: held only to read or replace entries, never across an await.
    map: std::sync::RwLock<std::collections::HashMap<(UserType, i64), Account>>,
    version: std::sync::Mutex<Option<String>>,
}

/// How often the account list is compared with the database's `accounts_version`.
pub const ACCOUNTS_REFRESH: std::time::Duration = std::time::Duration::from_secs(2);

const STALE_TOKEN: &str = "this login is no longer valid (password changed or account removed); log in again";

impl Accounts {
    /// Checks a token's account and generation; a miss or a newer generation is looked up
    /// in the database once (an account made a moment ago, or changed by the command line).
    pub async fn check(
        &self,
        pool: &crate::db::Pool,
        kind: UserType,
        id: i64,
        store_id: &str,
        tgen: i64,
    ) -> Result<Account, AppError> {
        let known = self.map.read().expect("accounts lock").get(&(kind, id)).cloned();
        if let Some(a) = &known
            && a.tgen >= tgen
        {
            return if a.tgen == tgen && a.store_id == store_id {
                Ok(a.clone())
            } else {
                Err(AppError::Unauthorized(STALE_TOKEN.into()))
            };
        }
        let fresh = crate::db::read(pool, move |c| Ok(crate::db::stores::account(c, kind, id)?)).await?;
        let mut map = self.map.write().expect("accounts lock");
        match fresh {
            Some(a) => {
                map.insert((kind, id), a.clone());
                if a.tgen == tgen && a.store_id == store_id {
                    Ok(a)
                } else {
                    Err(AppError::Unauthorized(STALE_TOKEN.into()))
                }
            }
            None => {
                map.remove(&(kind, id));
                Err(AppError::Unauthorized(STALE_TOKEN.into()))
            }
        }
    }

    /// Replaces the whole list from the database.
    pub fn load(&self, conn: &rusqlite::Connection) -> rusqlite::Result<()> {
        let version = crate::db::stores::meta_get(conn, "accounts_version")?;
        let all = crate::db::stores::accounts(conn)?;
        *self.map.write().expect("accounts lock") = all.into_iter().collect();
        *self.version.lock().expect("accounts lock") = version;
        Ok(())
    }

    /// Reloads when the database's `accounts_version` moved (cheap when it did not).
    pub fn refresh(&self, conn: &rusqlite::Connection) -> rusqlite::Result<()> {
        let version = crate::db::stores::meta_get(conn, "accounts_version")?;
        if *self.version.lock().expect("accounts lock") != version {
            self.load(conn)?;
        }
        Ok(())
    }

    /// Records an account the server has just changed (after the commit).
    pub fn set(&self, kind: UserType, id: i64, account: Option<Account>) {
        let mut map = self.map.write().expect("accounts lock");
        match account {
            Some(a) => {
                map.insert((kind, id), a);
            }
            None => {
                map.remove(&(kind, id));
            }
        }
    }
}

/// Password hashing on a few dedicated threads. argon2id takes several MiB per hash:
/// with hashing unbounded (or spread over many threads, each keeping its allocator's
/// memory), a hundred tablets logging in at opening time would take hundreds of MB.
/// Callers wait in line for a thread (they never fail for it); the same threads hash
/// every time, so the memory they use is reused rather than multiplied.
pub struct Hasher {
    jobs: std::sync::mpsc::Sender<HashJob>,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
}

type HashJob = (std::time::Instant, Box<dyn FnOnce() + Send>);

impl Hasher {
    pub fn new(threads: usize, metrics: std::sync::Arc<crate::metrics::Metrics>) -> Hasher {
        let (tx, rx) = std::sync::mpsc::channel::<HashJob>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..threads.max(1) {
            let (rx, m) = (rx.clone(), metrics.clone());
            // The threads end when the Hasher (the only sender) is dropped.
            std::thread::Builder::new()
                .name(format!("hash-{i}"))
                .spawn(move || {
                    loop {
                        // A std mutex held only to take the next job.
                        let next = rx.lock().map(|r| r.recv());
                        let Ok(Ok((queued, job))) = next else { return };
                        m.hash_waiting.dec();
                        m.hash_wait.observe(queued.elapsed().as_secs_f64());
                        m.hash_running.inc();
                        job();
                        m.hash_running.dec();
                    }
                })
                .expect("spawn a hashing thread");
        }
        Hasher { jobs: tx, metrics }
    }

    /// Runs `f` (hashing work) on a hashing thread once one is free.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, AppError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Box<dyn FnOnce() + Send> = Box::new(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
                .unwrap_or_else(|_| Err(AppError::Internal("password hashing panicked".into())));
            let _ = tx.send(r);
        });
        self.metrics.hash_waiting.inc();
        if self.jobs.send((std::time::Instant::now(), job)).is_err() {
            self.metrics.hash_waiting.dec();
            return Err(AppError::Unavailable("the server is shutting down".into()));
        }
        rx.await.map_err(|_| AppError::Unavailable("the server is shutting down".into()))?
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || hash_password(&password)).await
    }

    /// Checks `password` against `hash`, or against a dummy hash when there is none, so
    /// that the time taken does not tell whether an account exists.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        self.run(move || {
            Ok(match hash {
                Some(h) => verify_password(&password, &h),
                None => {
                    verify_password(&password, dummy_hash());
                    false
                }
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_with_its_key_only() {
        let k1 = Keys::new(&[1u8; 32]);
        let k2 = Keys::new(&[2u8; 32]);
        let t = k1.issue(&Claims::table("demo", 3, 0, 1000)).unwrap();
        assert_eq!(k1.verify(&t, 1001).unwrap().table_id, Some(3));
        assert!(k2.verify(&t, 1001).is_err());
        assert!(k1.verify(&t, 1000 + TOKEN_TTL_SECS).is_err());
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("1234").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{h}");
        assert!(verify_password("1234", &h));
        assert!(!verify_password("1235", &h));
        assert!(!verify_password("1234", "garbage"));
        assert!(!needs_rehash(&h));
    }

    #[test]
    fn hashes_with_the_older_settings_still_verify_and_are_marked_for_rehashing() {
        let salt = SaltString::encode_b64(&[3u8; 16]).unwrap();
        let old = Argon2::default().hash_password(b"1234", &salt).unwrap().to_string();
        assert!(old.contains("m=19456,t=2"));
        assert!(verify_password("1234", &old));
        assert!(!verify_password("4321", &old));
        assert!(needs_rehash(&old));
    }
}
