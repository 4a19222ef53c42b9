//! Tokens, passwords and the extractors every handler uses.
//!
//! A handler gets the caller's `store_id` only from [`AdminUser`] or [`TableUser`], so it
//! cannot forget to scope a query by store.

use crate::error::AppError;
use crate::state::AppState;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
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
        write_private(&path, &key)?;
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

/// Writes `bytes` to a new file readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the operating system provides randomness");
    b
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
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UserType {
    Admin,
    Table,
}

impl Claims {
    pub fn admin(store_id: &str, admin_id: i64, now_s: i64) -> Claims {
        Claims {
            sub: format!("admin:{admin_id}"),
            user_type: UserType::Admin,
            store_id: store_id.into(),
            table_id: None,
            admin_id: Some(admin_id),
            iat: now_s,
            exp: now_s + TOKEN_TTL_SECS,
        }
    }

    pub fn table(store_id: &str, table_id: i64, now_s: i64) -> Claims {
        Claims {
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

/// Hashes a password with argon2id (blocking: call from a blocking context).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).map_err(AppError::internal)?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(AppError::internal)
}

/// Checks a password against a stored hash (blocking).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()).unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that timing does not tell.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default())
}

fn bearer(parts: &Parts) -> Option<String> {
    if let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let v = h.to_str().ok()?;
        let (scheme, token) = v.split_once(' ')?;
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(token.trim().to_string());
        }
        return None;
    }
    // Browsers' EventSource cannot set headers: event streams take `?token=`.
    if parts.uri.path().ends_with("/events") {
        let q = parts.uri.query()?;
        for pair in q.split('&') {
            if let Some(v) = pair.strip_prefix("token=") {
                return Some(v.to_string());
            }
        }
    }
    None
}

fn claims(parts: &Parts, state: &AppState) -> Result<Claims, AppError> {
    let token = bearer(parts).ok_or_else(|| AppError::Unauthorized("missing bearer token".into()))?;
    state.keys.verify(&token, state.clock.now_ms() / 1000)
}

/// A logged-in staff member of `store_id`.
#[derive(Debug, Clone)]
pub struct AdminUser {
    pub store_id: String,
    pub admin_id: i64,
}

/// A logged-in table tablet of `store_id`.
#[derive(Debug, Clone)]
pub struct TableUser {
    pub store_id: String,
    pub table_id: i64,
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let c = claims(parts, state)?;
        match (c.user_type, c.admin_id) {
            (UserType::Admin, Some(admin_id)) => Ok(AdminUser { store_id: c.store_id, admin_id }),
            (UserType::Admin, None) => Err(AppError::Unauthorized("invalid token".into())),
            _ => Err(AppError::Forbidden("this needs a staff login".into())),
        }
    }
}

impl FromRequestParts<AppState> for TableUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let c = claims(parts, state)?;
        match (c.user_type, c.table_id) {
            (UserType::Table, Some(table_id)) => Ok(TableUser { store_id: c.store_id, table_id }),
            (UserType::Table, None) => Err(AppError::Unauthorized("invalid token".into())),
            _ => Err(AppError::Forbidden("this needs a table login".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_with_its_key_only() {
        let k1 = Keys::new(&[1u8; 32]);
        let k2 = Keys::new(&[2u8; 32]);
        let t = k1.issue(&Claims::table("demo", 3, 1000)).unwrap();
        assert_eq!(k1.verify(&t, 1001).unwrap().table_id, Some(3));
        assert!(k2.verify(&t, 1001).is_err());
        assert!(k1.verify(&t, 1000 + TOKEN_TTL_SECS).is_err());
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("1234").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("1234", &h));
        assert!(!verify_password("1235", &h));
        assert!(!verify_password("1234", "garbage"));
    }
}
