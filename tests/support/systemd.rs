//! A real systemd, as PID 1 of a PID and mount namespace the test makes (a container without
//! an image): it runs `systemd/tableorder.service` and `systemd/tableorder.socket` as
//! shipped, with the files the package installs (`/usr/bin/tableorder`,
//! `/etc/tableorder/config.toml`, `/etc/default/tableorder`) in overlays that only the
//! namespace sees. The host's unit files are hidden, so nothing but the box starts.
//!
//! Only on a host whose PID 1 is not systemd: there, the nested systemd's cgroups would sit
//! in the host manager's tree.

use super::proc::{is_root, text};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Whether the host's PID 1 is systemd (then the test does not boot another).
pub fn host_runs_systemd() -> bool {
    Path::new("/run/systemd/system").exists()
}

/// Why systemd cannot be booted in a namespace here, if it cannot.
pub fn unavailable() -> Option<String> {
    if !is_root() {
        return Some("it needs root (mount and PID namespaces)".into());
    }
    for tool in ["/lib/systemd/systemd", "/usr/bin/unshare", "/usr/bin/nsenter", "/usr/bin/systemctl"] {
        if !Path::new(tool).exists() {
            return Some(format!("{tool} is missing (apt-get install systemd util-linux)"));
        }
    }
    let fs = std::fs::read_to_string("/proc/filesystems").unwrap_or_default();
    if !fs.contains("overlay") {
        return Some("the kernel has no overlay file system".into());
    }
    None
}

/// Targets and the slice the units name: empty, so that starting the box starts nothing
/// else of the host's.
const SKELETON: &[&str] = &[
    "tableorder-test.target",
    "sysinit.target",
    "basic.target",
    "sockets.target",
    "multi-user.target",
    "network.target",
    "shutdown.target",
    "system.slice",
];

/// Sets up the namespace and becomes its systemd. `$1`: the scratch directory.
const BOOT: &str = r#"set -eu
s=$1
mount -t tmpfs -o mode=755 tableorder-test /run
mkdir -p /run/ovl/etc/up /run/ovl/etc/work /run/ovl/bin/up /run/ovl/bin/work /run/tableorder-test
mount -t overlay overlay -o lowerdir=/etc,upperdir=/run/ovl/etc/up,workdir=/run/ovl/etc/work /etc
mount -t overlay overlay -o lowerdir=/usr/bin,upperdir=/run/ovl/bin/up,workdir=/run/ovl/bin/work /usr/bin
mount -t tmpfs -o mode=755 tableorder-test /var/lib
mkdir /var/lib/tableorder
mount --bind "$s/data" /var/lib/tableorder
mount -t tmpfs -o mode=755 tableorder-test /usr/lib/systemd/system
mount -t tmpfs -o mode=755 tableorder-test /usr/lib/systemd/system-generators
mount -t tmpfs -o mode=755 tableorder-test /etc/systemd/system
cp "$s"/units/* /usr/lib/systemd/system/
cp -R "$s"/etc/. /etc/
install -m 755 "$s/tableorder" /usr/bin/tableorder
if ! getent passwd tableorder >/dev/null; then
    echo "tableorder:x:64123:64123:tableorder:/var/lib/tableorder:/usr/sbin/nologin" >>/etc/passwd
    echo "tableorder:x:64123:" >>/etc/group
fi
export container=tableorder-test
exec /lib/systemd/systemd --system --unit=tableorder-test.target --log-target=console --show-status=no
"#;

pub struct Systemd {
    unshare: Child,
    /// systemd's PID as the host sees it.
    pub pid: u32,
    pub scratch: PathBuf,
    log: PathBuf,
}

impl Systemd {
    /// Boots systemd in new namespaces with `tableorder.service`, `tableorder.socket` (as in
    /// `systemd/`), `packaging/config.toml`, `packaging/default-tableorder` plus `env`
    /// lines, and `drop_ins` ((unit, text) pairs, as `systemctl edit` writes them).
    /// `binary` becomes `/usr/bin/tableorder`; the box's data directory is `scratch/data`.
    /// Answers once systemd answers `systemctl` (the box is not started).
    pub fn boot(scratch: &Path, binary: &Path, env: &[(&str, &str)], drop_ins: &[(&str, &str)]) -> Systemd {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let units = scratch.join("units");
        let etc = scratch.join("etc");
        for d in [&units, &etc.join("default"), &etc.join("tableorder"), &scratch.join("data")] {
            std::fs::create_dir_all(d).unwrap();
        }
        for u in ["tableorder.service", "tableorder.socket"] {
            std::fs::copy(repo.join("systemd").join(u), units.join(u)).unwrap();
        }
        for u in SKELETON {
            std::fs::write(units.join(u), "[Unit]\nDescription=test skeleton\n").unwrap();
        }
        std::fs::copy(repo.join("packaging/config.toml"), etc.join("tableorder/config.toml")).unwrap();
        let mut default = std::fs::read_to_string(repo.join("packaging/default-tableorder")).unwrap();
        for (k, v) in env {
            default.push_str(&format!("{k}={v}\n"));
        }
        std::fs::write(etc.join("default/tableorder"), default).unwrap();
        for (unit, body) in drop_ins {
            let d = etc.join("systemd/system").join(format!("{unit}.d"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("test.conf"), body).unwrap();
        }
        std::fs::copy(binary, scratch.join("tableorder")).unwrap();
        let log = scratch.join("systemd.log");
        let unshare = Command::new("unshare")
            .args(["--pid", "--fork", "--mount", "--mount-proc", "--propagation", "private", "sh", "-c", BOOT, "sh"])
            .arg(scratch)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(scratch.join("systemd.err")).unwrap())
            .spawn()
            .expect("unshare starts");
        let mut sd = Systemd { pid: 0, unshare, scratch: scratch.to_path_buf(), log };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if sd.pid == 0 {
                let children = format!("/proc/{0}/task/{0}/children", sd.unshare.id());
                sd.pid = std::fs::read_to_string(children)
                    .ok()
                    .and_then(|c| c.split_whitespace().next().and_then(|p| p.parse().ok()))
                    .unwrap_or(0);
            }
            if sd.pid != 0
                && matches!(text(&sd.systemctl(&["is-system-running"]).stdout).trim(), "running" | "degraded")
            {
                return sd;
            }
            if let Ok(Some(status)) = sd.unshare.try_wait() {
                panic!("systemd ended ({status}) before it answered:\n{}", sd.log());
            }
            assert!(Instant::now() < deadline, "systemd did not answer within 30 s:\n{}", sd.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `systemctl ARGS` inside the namespace.
    pub fn systemctl(&self, args: &[&str]) -> Output {
        Command::new("nsenter")
            .args(["-t", &self.pid.to_string(), "-m", "-p", "systemctl", "--no-pager"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("nsenter runs")
    }

    /// `systemctl ARGS`, which must succeed.
    pub fn ctl(&self, args: &[&str]) {
        let o = self.systemctl(args);
        assert!(o.status.success(), "systemctl {args:?}: {}{}\n{}", text(&o.stdout), text(&o.stderr), self.log());
    }

    /// One property of a unit (`systemctl show -P`).
    pub fn show(&self, unit: &str, property: &str) -> String {
        text(&self.systemctl(&["show", "-P", property, unit]).stdout).trim().to_string()
    }

    /// A path inside the namespace, as the host reaches it.
    pub fn path(&self, inside: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root{inside}", self.pid))
    }

    /// What systemd said, then the box's unit status.
    pub fn log(&self) -> String {
        let mut s = std::fs::read_to_string(&self.log).unwrap_or_default();
        s.push_str(&std::fs::read_to_string(self.scratch.join("systemd.err")).unwrap_or_default());
        if self.pid != 0 {
            let st = Command::new("nsenter")
                .args(["-t", &self.pid.to_string(), "-m", "-p", "systemctl", "--no-pager", "status"])
                .args(["tableorder.service", "tableorder.socket"])
                .output();
            if let Ok(o) = st {
                s.push_str(&text(&o.stdout));
            }
        }
        s
    }
}

impl Drop for Systemd {
    fn drop(&mut self) {
        // The namespace's PID 1: every process in it ends with it.
        if let Some(p) = rustix::process::Pid::from_raw(self.pid as i32) {
            let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
        }
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
        // The cgroups it made under the host's root, once empty.
        for h in ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"] {
            for top in ["system.slice", "init.scope"] {
                remove_empty_cgroups(&Path::new(h).join(top));
            }
        }
        if std::thread::panicking() {
            let _ = writeln!(
                std::io::stderr(),
                "systemd's log:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }
}

fn remove_empty_cgroups(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            remove_empty_cgroups(&e.path());
        }
    }
    for _ in 0..50 {
        if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
            return;
        }
        // Processes leave a cgroup a moment after they are killed.
        std::thread::sleep(Duration::from_millis(20));
    }
}
