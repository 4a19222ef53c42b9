//! Signed releases: `scripts/sign-release.sh` signs with Debian's minisign, and
//! `tableorder update verify` accepts only a release signed by a trusted key, for this kind of
//! board, and newer than the binary that checks it (unless going back on purpose).

use crate::proc::{BIN, base_command, run_within, skip_or_fail_test, text};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn verify(binary: &Path, key: &Path, extra: &[&str]) -> Output {
    let mut cmd = base_command(BIN);
    cmd.args(["update", "verify", "--binary"]).arg(binary).arg("--public-key").arg(key).args(extra);
    run_within(cmd, Duration::from_secs(30))
}

fn sign(key: &Path, out: &Path, binary: &Path, target: &str, version: &str) -> std::path::PathBuf {
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
    std::path::PathBuf::from(text(&o.stdout).trim())
}

fn keypair(dir: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let (public, secret) = (dir.join(format!("{name}.pub")), dir.join(format!("{name}.key")));
    let o = Command::new("minisign").args(["-G", "-W", "-p"]).arg(&public).arg("-s").arg(&secret).output().unwrap();
    assert!(o.status.success(), "minisign -G: {}", text(&o.stderr));
    (public, secret)
}

#[test]
fn only_a_newer_release_signed_by_a_trusted_key_for_this_board_is_accepted() {
    if Command::new("minisign").arg("-v").output().is_err() {
        return skip_or_fail_test("the signed-release test", "minisign is missing (apt-get install minisign)");
    }
    let dir = tempfile::tempdir().unwrap();
    let (public, secret) = keypair(dir.path(), "release");
    let (_, stranger) = keypair(dir.path(), "stranger");
    let here = format!("{}-unknown-linux-gnu", std::env::consts::ARCH);
    let other =
        if std::env::consts::ARCH == "aarch64" { "x86_64-unknown-linux-gnu" } else { "aarch64-unknown-linux-gnu" };
    let running = env!("CARGO_PKG_VERSION");
    let next = "99.0.0";
    // What the release contains does not matter to `verify`, its signature does.
    let bin = &dir.path().join("tableorder");
    std::fs::write(bin, vec![0x7f; 1 << 20]).unwrap();

    let good = sign(&secret, &dir.path().join("good"), bin, &here, next);
    let o = verify(&good, &public, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), format!("release {next} for {here}: signature good"));

    let refused = |o: Output, why: &str| {
        assert!(!o.status.success(), "accepted: {}", text(&o.stdout));
        let e = text(&o.stderr);
        assert!(e.contains("release refused") && e.contains(why), "{why}: {e}");
    };
    // Signed by a key the box does not trust.
    refused(
        verify(&sign(&stranger, &dir.path().join("s"), bin, &here, next), &public, &[]),
        "not signed by a trusted key",
    );
    // For another board.
    refused(verify(&sign(&secret, &dir.path().join("o"), bin, other, next), &public, &[]), "this box is");
    // Not newer: refused, unless asked for as a rollback.
    let old = sign(&secret, &dir.path().join("old"), bin, &here, "0.0.1");
    refused(verify(&old, &public, &[]), "not newer");
    assert!(verify(&old, &public, &["--rollback"]).status.success());
    refused(verify(&sign(&secret, &dir.path().join("same"), bin, &here, running), &public, &[]), "not newer");
    // Changed after signing (one byte of the binary), or its trusted comment edited.
    let tampered = dir.path().join("tampered");
    let mut bytes = std::fs::read(&good).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&tampered, &bytes).unwrap();
    std::fs::copy(format!("{}.minisig", good.display()), format!("{}.minisig", tampered.display())).unwrap();
    refused(verify(&tampered, &public, &[]), "changed since it was signed");
    let sig = std::fs::read_to_string(format!("{}.minisig", good.display())).unwrap();
    let edited = dir.path().join("edited");
    std::fs::copy(&good, &edited).unwrap();
    std::fs::write(format!("{}.minisig", edited.display()), sig.replace(next, "100.0.0")).unwrap();
    refused(verify(&edited, &public, &[]), "changed since it was signed");
    // No key at all: said so (this build has none built in).
    let mut cmd = base_command(BIN);
    cmd.args(["update", "verify", "--binary"]).arg(&good);
    let o = run_within(cmd, Duration::from_secs(30));
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("no trusted release key"), "{}", text(&o.stderr));
}
