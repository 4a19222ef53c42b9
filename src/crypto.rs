//! Random bytes and digests: the leaf every other module may use for secrets it makes
//! (setup codes, box tokens, signing keys) and the hashes it keeps of them.

use sha2::{Digest, Sha256};

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the operating system provides randomness");
    b
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The SHA-256 of a secret, in hex: what is stored of a code or token that is shown once.
pub fn sha256_hex(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// HMAC-SHA256 (RFC 2104) of `msg` with `key`, in hex: a keyed hash, for secrets too short
/// to hash alone (a 4-digit PIN has 10,000 values).
pub fn hmac_sha256_hex(key: &[u8], msg: &[u8]) -> String {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    hex(&outer.finalize())
}

/// A random secret of `N` bytes, in hex.
pub fn random_hex<const N: usize>() -> String {
    hex(&random_bytes::<N>())
}

/// Minisign public keys (releases are signed with them): each text either a `.pub` file's
/// content (two lines) or its base64 line alone, several separated by `;`.
pub fn minisign_keys(texts: &[String]) -> Result<Vec<minisign_verify::PublicKey>, String> {
    let mut keys = Vec::new();
    for t in texts.iter().flat_map(|t| t.split(';')) {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        let line = t.lines().map(str::trim).rfind(|l| !l.is_empty() && !l.starts_with("untrusted comment:"));
        let key = line
            .and_then(|l| minisign_verify::PublicKey::from_base64(l).ok())
            .ok_or_else(|| format!("not a minisign public key: {t:?}"))?;
        keys.push(key);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_stable_hex_and_random_bytes_differ() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_ne!(random_bytes::<16>(), random_bytes::<16>());
        assert_eq!(random_hex::<8>().len(), 16);
    }

    #[test]
    fn hmac_matches_the_rfc_4231_test_vectors() {
        // Test case 1 and test case 6 (a key longer than the block).
        assert_eq!(
            hmac_sha256_hex(&[0x0b; 20], b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hmac_sha256_hex(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
