//! Signed releases for the update tests and benchmark: minisign keys, copies of the binary
//! under test stamped with another version (stripped, as releases are), small scripts that
//! pass for releases, signed by `scripts/sign-release.sh`; and process groups ended together
//! (a box, its probation guard, the releases it switches to).

use super::proc::{BIN, skip_or_fail_test, text};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn sign(key: &Path, out: &Path, binary: &Path, target: &str, version: &str) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/sign-release.sh");
    let o = Command::new(script)
        .arg(key)
        .arg(out)
        .env("SIGN_ONLY", binary)
        .env("TARGET", target)
        .env("VERSION", version)
        .output()
        .unwrap();
    assert!(o.status.success(), "sign-release: {}", text(&o.stderr));
    PathBuf::from(text(&o.stdout).trim())
}

pub fn keypair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (public, secret) = (dir.join(format!("{name}.pub")), dir.join(format!("{name}.key")));
    let o = Command::new("minisign").args(["-G", "-W", "-p"]).arg(&public).arg("-s").arg(&secret).output().unwrap();
    assert!(o.status.success(), "minisign -G: {}", text(&o.stderr));
    (public, secret)
}

/// Everything a box started with `process_group(0)` becomes (the guard, the releases it
/// execs into), ended together.
pub struct Group(pub u32);

impl Drop for Group {
    fn drop(&mut self) {
        // The group by its id (not `kill -KILL -ID`, which procps may read as "every process").
        if let Some(pgid) = rustix::process::Pid::from_raw(self.0 as i32) {
            let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
        }
    }
}

pub struct Keys {
    _dir: tempfile::TempDir,
    pub public: String,
    pub secret: PathBuf,
    pub stranger: PathBuf,
}

pub fn keys() -> Option<Keys> {
    if Command::new("minisign").arg("-v").output().is_err() {
        skip_or_fail_test("the update tests", "minisign is missing (apt-get install minisign)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let (public, secret) = keypair(dir.path(), "release");
    let (_, stranger) = keypair(dir.path(), "stranger");
    let text = std::fs::read_to_string(public).unwrap();
    let public = text.lines().last().unwrap().trim().to_string();
    Some(Keys { _dir: dir, public, secret, stranger })
}

pub fn here() -> String {
    format!("{}-unknown-linux-gnu", std::env::consts::ARCH)
}

/// A copy of the binary under test, stripped (a release is tens of MB, not hundreds) and
/// stamped with `version`, signed as `version` for this board.
pub fn real_release(dir: &Path, keys: &Keys, version: &str) -> (PathBuf, PathBuf) {
    let stripped = dir.join("stripped");
    if !stripped.exists() {
        let o = Command::new("strip").args(["--strip-all", "-o"]).arg(&stripped).arg(BIN).output().unwrap();
        assert!(o.status.success(), "strip: {}", text(&o.stderr));
    }
    let mut bytes = std::fs::read(&stripped).unwrap();
    tableorder::version::stamp(&mut bytes, version).unwrap();
    signed(dir, keys, &keys.secret, &bytes, version, version, &here())
}

/// A "release" that is a shell script: it says `says` to `--version` and does `body`
/// otherwise.
pub fn script_release(
    dir: &Path,
    keys: &Keys,
    says: &str,
    signed_as: &str,
    target: &str,
    body: &str,
) -> (PathBuf, PathBuf) {
    let script = format!("#!/bin/sh\nif [ \"$1\" = --version ]; then echo \"tableorder {says}\"; exit 0; fi\n{body}\n");
    signed(dir, keys, &keys.secret, script.as_bytes(), says, signed_as, target)
}

pub fn signed(
    dir: &Path,
    _keys: &Keys,
    key: &Path,
    bytes: &[u8],
    name: &str,
    version: &str,
    target: &str,
) -> (PathBuf, PathBuf) {
    let n = dir.read_dir().unwrap().count();
    let d = dir.join(format!("r{n}-{name}"));
    std::fs::create_dir(&d).unwrap();
    let bin = d.join("tableorder");
    std::fs::write(&bin, bytes).unwrap();
    std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = sign(key, &d.join("out"), &bin, target, version);
    let sig = PathBuf::from(format!("{}.minisig", out.display()));
    (out, sig)
}
