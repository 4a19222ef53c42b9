//! Signed releases: a release is a binary and its minisign signature (Ed25519, the binary
//! prehashed), whose trusted comment names what it is: `tableorder VERSION TARGET`. The
//! comment is covered by the signature, so a release made for another board, or an older
//! one passed off as new, is refused before anything runs it.
//!
//! Keys: those built into the binary at compile time (`TABLEORDER_RELEASE_PUBLIC_KEYS`,
//! minisign public keys separated by `;`, set by the release build) plus the box's own
//! `--public-key` ones. `scripts/sign-release.sh` makes releases with Debian's `minisign`.

pub mod guard;
pub mod state;
pub mod switch;

use minisign_verify::{PublicKey, Signature};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest release a box takes (from the System page or from the hub).
pub const MAX_RELEASE_BYTES: usize = 64 * 1024 * 1024;

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
    /// The binary is not the version its signature names (or does not run here).
    NotThatVersion { signed: String, binary: String },
}

impl Refused {
    /// The error code of API.md ("Updates").
    pub fn code(&self) -> &'static str {
        match self {
            Refused::WrongTarget { .. } => "wrong_target",
            Refused::NotNewer { .. } => "not_newer",
            Refused::NotSigned
            | Refused::BadSignature(_)
            | Refused::NotARelease(_)
            | Refused::NotThatVersion { .. } => "bad_signature",
        }
    }
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
            Refused::NotThatVersion { signed, binary } => {
                write!(f, "the signature names version {signed} but the binary {binary}")
            }
        }
    }
}

/// The keys a box trusts: the built-in ones and `extra`.
pub fn trusted_keys(extra: &[String]) -> Result<Vec<PublicKey>, String> {
    let mut texts: Vec<String> = BUILT_IN_KEYS.map(|k| vec![k.to_string()]).unwrap_or_default();
    texts.extend(extra.iter().cloned());
    crate::crypto::minisign_keys(&texts)
}

/// This binary's target, as release names spell it (e.g. `aarch64-unknown-linux-gnu`): its
/// architecture must match the release's.
pub fn this_arch() -> &'static str {
    std::env::consts::ARCH
}

/// Whether a target triple is for this machine's architecture (`arm` matches `armv7…`).
pub fn same_arch(target: &str, arch: &str) -> bool {
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

/// [`verify`] for a binary in a file, read in pieces (a release is tens of megabytes).
pub fn verify_file(
    binary: &Path,
    signature: &str,
    keys: &[PublicKey],
    arch: &str,
    running: &str,
    rollback: bool,
) -> Result<Release, Refused> {
    let sig = Signature::decode(signature).map_err(|e| Refused::BadSignature(e.to_string()))?;
    let signed = keys.iter().any(|k| {
        let Ok(mut v) = k.verify_stream(&sig) else { return false };
        let Ok(mut f) = std::fs::File::open(binary) else { return false };
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => v.update(&buf[..n]),
                Err(_) => return false,
            }
        }
        v.finalize().is_ok()
    });
    if !signed {
        return Err(Refused::NotSigned);
    }
    what_it_is(&sig, arch, running, rollback)
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
    what_it_is(&sig, arch, running, rollback)
}

fn what_it_is(sig: &Signature, arch: &str, running: &str, rollback: bool) -> Result<Release, Refused> {
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

/// What `program --version` says it is (`tableorder X` → `X`), within 10 s.
pub fn version_of_program(program: &Path) -> Result<String, String> {
    let mut child = std::process::Command::new(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("it does not run on this box: {e}"))?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("it did not say its version within 10 s".into());
            }
        }
    }
    let mut out = String::new();
    let _ = child.stdout.take().map(|mut o| o.read_to_string(&mut out));
    out.trim().strip_prefix("tableorder ").map(str::to_string).ok_or_else(|| format!("it says {:?}", out.trim()))
}

/// Why an installation did not happen.
#[derive(Debug)]
pub enum InstallError {
    Refused(Refused),
    Io(String),
}

impl std::fmt::Display for InstallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InstallError::Refused(r) => write!(f, "release refused: {r}"),
            InstallError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// A new name in `releases/` to receive an upload under (never listed, removed at start).
pub fn staging_path(data_dir: &Path) -> std::io::Result<PathBuf> {
    let d = state::dir(data_dir);
    crate::durable::create_dir_all(&d)?;
    let n = u64::from_le_bytes(crate::crypto::random_bytes::<8>());
    Ok(d.join(format!("{}upload-{n:016x}", crate::durable::TEMP_PREFIX)))
}

/// Verifies the binary at `staged` (a file in `releases/`, consumed either way) against
/// `signature` and the box's keys, checks it says the version it is signed as, and
/// installs it as `releases/<version>/tableorder` with its signature. Nothing else changes.
pub fn install(
    data_dir: &Path,
    staged: &Path,
    signature: &str,
    keys: &[PublicKey],
    rollback: bool,
) -> Result<Release, InstallError> {
    let result = install_inner(data_dir, staged, signature, keys, rollback);
    let _ = std::fs::remove_file(staged);
    result
}

fn install_inner(
    data_dir: &Path,
    staged: &Path,
    signature: &str,
    keys: &[PublicKey],
    rollback: bool,
) -> Result<Release, InstallError> {
    if keys.is_empty() {
        return Err(InstallError::Refused(Refused::NotSigned));
    }
    let r = verify_file(staged, signature, keys, this_arch(), crate::version::get(), rollback)
        .map_err(InstallError::Refused)?;
    std::fs::set_permissions(staged, std::os::unix::fs::PermissionsExt::from_mode(0o755)).map_err(io)?;
    std::fs::File::open(staged).and_then(|f| f.sync_all()).map_err(io)?;
    // Signed is not enough: the binary must be that version, and run on this board.
    let says = version_of_program(staged).map_err(|e| {
        InstallError::Refused(if e.starts_with("it does not run") {
            Refused::WrongTarget { release: format!("{} ({e})", r.target), this_box: this_arch().to_string() }
        } else {
            Refused::NotThatVersion { signed: r.version.clone(), binary: e }
        })
    })?;
    if says != r.version {
        return Err(InstallError::Refused(Refused::NotThatVersion {
            signed: r.version,
            binary: format!("says {says}"),
        }));
    }
    let dest = state::binary(data_dir, &r.version);
    let dir = dest.parent().expect("a release has a directory");
    crate::durable::create_dir_all(dir).map_err(io)?;
    crate::durable::write(&dir.join("tableorder.minisig"), signature.as_bytes(), true).map_err(io)?;
    std::fs::rename(staged, &dest).map_err(io)?;
    crate::durable::sync_dir(dir).map_err(io)?;
    tracing::info!(version = %r.version, target = %r.target, "release verified and installed");
    Ok(r)
}

fn io(e: std::io::Error) -> InstallError {
    InstallError::Io(format!("cannot install the release: {e}"))
}

/// Asks for a switch to `to` at `when` (the running server, or the next start, does it).
pub fn request(data_dir: &Path, to: state::Build, when: state::When, rollback: bool) -> std::io::Result<()> {
    state::change(data_dir, |st| {
        st.pending = Some(state::Pending { to, when, rollback, asked_at_ms: state::now_ms() });
        st.phase = state::Phase::Pending;
        st.last_error = None;
    })
}

/// The audit row of an update someone (or the chain's hub) asked for: `update_applied`, with
/// the version asked for, the one that runs, when, and whether it goes back.
pub fn audit_entry(
    data_dir: &Path,
    who: Option<&crate::db::audit::Who>,
    to: &state::Build,
    when: state::When,
    rollback: bool,
    source: &str,
) -> crate::db::audit::Audit {
    let st = state::load(data_dir);
    let mut a = match who {
        Some(w) => crate::db::audit::Audit::by("update_applied", w, None),
        None => crate::db::audit::Audit { kind: "update_applied", ..Default::default() },
    };
    a.detail = serde_json::json!({
        "version": st.version_of(to).unwrap_or_default(),
        "from": st.version_of(&st.current).unwrap_or_else(|| crate::version::get().to_string()),
        "when": when,
        "rollback": rollback,
        "source": source,
    });
    a
}

/// What a rollback goes back to: the previous build, if there is one to go to.
pub fn rollback_target(data_dir: &Path) -> Result<state::Build, String> {
    let st = state::load(data_dir);
    if st.current.is_none() && st.previous.is_none() {
        return Err("nothing to go back to: the box runs the packaged binary".into());
    }
    if st.previous == st.current {
        return Err("nothing to go back to".into());
    }
    if st.previous.is_some() && st.previous == st.failed_version {
        return Err(format!(
            "the box already went back from {} after it failed; it runs the release before it",
            st.previous.clone().unwrap_or_default()
        ));
    }
    if let Some(p) = state::program(data_dir, &st, &st.previous)
        && !p.exists()
    {
        return Err(format!("the previous build ({}) is no longer on the box", p.display()));
    }
    Ok(st.previous.clone())
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
