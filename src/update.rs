//! Signed releases: a release is a binary and its minisign signature (Ed25519, the binary
//! prehashed), whose trusted comment names what it is: `tableorder VERSION TARGET`. The
//! comment is covered by the signature, so a release made for another board, or an older
//! one passed off as new, is refused before anything runs it.
//!
//! Keys: those built into the binary at compile time (`TABLEORDER_RELEASE_PUBLIC_KEYS`,
//! minisign public keys separated by `;`, set by the release build) plus the box's own
//! `--public-key` ones. `scripts/sign-release.sh` makes releases with Debian's `minisign`.

use minisign_verify::{PublicKey, Signature};

/// The keys releases are trusted from without being told (set by the release build).
pub const BUILT_IN_KEYS: Option<&str> = option_env!("TABLEORDER_RELEASE_PUBLIC_KEYS");

/// What a verified release says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub version: String,
    pub target: String,
}

/// Why a release is refused, in words an owner can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No trusted key signed it (or it was changed after signing).
    NotSigned,
    /// The signature file is not one.
    BadSignature(String),
    /// The trusted comment is not `tableorder VERSION TARGET`.
    NotARelease(String),
    /// Made for another kind of board.
    WrongTarget { release: String, this_box: String },
    /// Not newer than what runs (allowed only as a rollback).
    NotNewer { release: String, running: String },
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::NotSigned => write!(f, "not signed by a trusted key, or changed since it was signed"),
            Refused::BadSignature(e) => write!(f, "the signature file cannot be read: {e}"),
            Refused::NotARelease(c) => write!(f, "the signature does not name a tableorder release ({c:?})"),
            Refused::WrongTarget { release, this_box } => {
                write!(f, "the release is for {release}, this box is {this_box}")
            }
            Refused::NotNewer { release, running } => {
                write!(f, "{release} is not newer than {running} (only a rollback may go back)")
            }
        }
    }
}

/// Parses public keys: each either a minisign `.pub` file's text (two lines) or its
/// base64 line alone.
pub fn parse_keys(texts: &[String]) -> Result<Vec<PublicKey>, String> {
    let mut keys = Vec::new();
    for t in texts.iter().flat_map(|t| t.split(';')) {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        let line = t.lines().map(str::trim).rfind(|l| !l.is_empty() && !l.starts_with("untrusted comment:"));
        let key = line
            .and_then(|l| PublicKey::from_base64(l).ok())
            .ok_or_else(|| format!("not a minisign public key: {t:?}"))?;
        keys.push(key);
    }
    Ok(keys)
}

/// The keys a box trusts: the built-in ones and `extra`.
pub fn trusted_keys(extra: &[String]) -> Result<Vec<PublicKey>, String> {
    let mut texts: Vec<String> = BUILT_IN_KEYS.map(|k| vec![k.to_string()]).unwrap_or_default();
    texts.extend(extra.iter().cloned());
    parse_keys(&texts)
}

/// This binary's target, as release names spell it (e.g. `aarch64-unknown-linux-gnu`): its
/// architecture must match the release's.
pub fn this_arch() -> &'static str {
    std::env::consts::ARCH
}

/// Whether a target triple is for this machine's architecture (`arm` matches `armv7…`).
fn same_arch(target: &str, arch: &str) -> bool {
    target.split('-').next().is_some_and(|a| a == arch || (arch == "arm" && a.starts_with("armv")))
}

/// `a` newer than `b`, as dotted numbers (a pre-release suffix sorts before its release).
pub fn newer(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> (Vec<u64>, bool) {
        let (main, pre) = v.split_once('-').map(|(m, _)| (m, true)).unwrap_or((v, false));
        (main.split('.').map(|p| p.parse().unwrap_or(0)).collect(), !pre)
    };
    let (mut x, xr) = parse(a);
    let (mut y, yr) = parse(b);
    let n = x.len().max(y.len());
    x.resize(n, 0);
    y.resize(n, 0);
    (x, xr) > (y, yr)
}

/// Checks a release: signed by one of `keys`, a tableorder release for `arch`, and newer
/// than `running` unless `rollback`.
pub fn verify(
    binary: &[u8],
    signature: &str,
    keys: &[PublicKey],
    arch: &str,
    running: &str,
    rollback: bool,
) -> Result<Release, Refused> {
    let sig = Signature::decode(signature).map_err(|e| Refused::BadSignature(e.to_string()))?;
    if !keys.iter().any(|k| k.verify(binary, &sig, false).is_ok()) {
        return Err(Refused::NotSigned);
    }
    let comment = sig.trusted_comment().trim();
    let mut parts = comment.split_whitespace();
    let (Some("tableorder"), Some(version), Some(target), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refused::NotARelease(comment.to_string()));
    };
    if !same_arch(target, arch) {
        return Err(Refused::WrongTarget { release: target.to_string(), this_box: arch.to_string() });
    }
    if !rollback && !newer(version, running) {
        return Err(Refused::NotNewer { release: version.to_string(), running: running.to_string() });
    }
    Ok(Release { version: version.to_string(), target: target.to_string() })
}

#[cfg(test)]
mod tests {
    use super::{newer, same_arch};

    #[test]
    fn versions_compare_as_numbers_and_a_pre_release_comes_before_its_release() {
        assert!(newer("0.10.0", "0.9.9"));
        assert!(newer("1.0.0", "1.0.0-rc.1"));
        assert!(!newer("1.0.0-rc.1", "1.0.0"));
        assert!(!newer("0.2.0", "0.2.0"));
        assert!(newer("0.2", "0.1.9"));
        assert!(!newer("0.1.9", "0.2"));
    }

    #[test]
    fn a_release_is_for_this_machine_only_by_its_architecture() {
        assert!(same_arch("aarch64-unknown-linux-gnu", "aarch64"));
        assert!(same_arch("armv7-unknown-linux-gnueabihf", "arm"));
        assert!(!same_arch("armv7-unknown-linux-gnueabihf", "aarch64"));
        assert!(!same_arch("x86_64-unknown-linux-gnu", "aarch64"));
    }
}
