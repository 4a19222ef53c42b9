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

/// A random secret of `N` bytes, in hex.
pub fn random_hex<const N: usize>() -> String {
    hex(&random_bytes::<N>())
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
}
