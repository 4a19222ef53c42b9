//! Real services for the hub tests, started in temp directories on loopback and stopped
//! afterwards: PostgreSQL 15 (`initdb`/`pg_ctl` as the `postgres` user, never the system
//! service), `redis-server` and `haproxy`, all from Debian's packages.

use super::proc::{Server, base_command, is_root, text};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Why the hub tests cannot run here, if they cannot.
pub fn unavailable() -> Option<String> {
    if !is_root() {
        return Some("they need root (PostgreSQL runs as the postgres user)".into());
    }
    if !Path::new(&format!("{PG_BIN}/initdb")).exists() {
        return Some(format!("PostgreSQL 15 is missing ({PG_BIN}); apt-get install postgresql-15"));
    }
    for (cmd, pkg) in [("redis-server", "redis-server"), ("haproxy", "haproxy"), ("openssl", "openssl")] {
        if Command::new("sh")
            .args(["-c", &format!("command -v {cmd}")])
            .output()
            .map(|o| !o.status.success())
            .unwrap_or(true)
        {
            return Some(format!("{cmd} is missing; apt-get install {pkg}"));
        }
    }
    None
}

fn wait_port(port: u16, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A PostgreSQL cluster of its own.
pub struct Postgres {
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl Postgres {
    pub fn start() -> Postgres {
        let dir = tempfile::tempdir().unwrap();
        let st = Command::new("chown").arg("postgres").arg(dir.path()).status().unwrap();
        assert!(st.success());
        let data = dir.path().join("data");
        let out = Command::new("runuser")
            .args([
                "-u",
                "postgres",
                "--",
                &format!("{PG_BIN}/initdb"),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb: {}", text(&out.stderr));
        let pg = Postgres { dir, port: free_port() };
        pg.ctl_start();
        let out = Command::new(format!("{PG_BIN}/createdb"))
            .args(["-h", "127.0.0.1", "-p", &pg.port.to_string(), "-U", "postgres", "tableorder"])
            .output()
            .unwrap();
        assert!(out.status.success(), "createdb: {}", text(&out.stderr));
        pg
    }

    fn ctl_start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let out = Command::new("runuser")
            .args(["-u", "postgres", "--", &format!("{PG_BIN}/pg_ctl"), "-w", "-t", "60", "-o", &opts, "-l"])
            .arg(self.dir.path().join("log"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("start")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_ctl start failed: {}", self.log());
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/tableorder", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// Runs SQL, answering rows as lines of `|`-separated values.
    pub fn query(&self, sql: &str) -> Vec<String> {
        let out = Command::new(format!("{PG_BIN}/psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "tableorder",
                "-At",
                "-c",
                sql,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "psql {sql}: {}", text(&out.stderr));
        text(&out.stdout).lines().map(str::to_string).collect()
    }

    /// `pg_dump -Fc` of the database into `path` (the nightly backup of docs/hub.md).
    pub fn dump(&self, path: &Path) {
        let out = Command::new(format!("{PG_BIN}/pg_dump"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-Fc", "-f"])
            .arg(path)
            .arg("tableorder")
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_dump: {}", text(&out.stderr));
    }

    /// Restores a dump over the database, as docs/hub.md says (hub processes stopped).
    pub fn restore(&self, path: &Path) {
        let out = Command::new(format!("{PG_BIN}/pg_restore"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-d", "tableorder"])
            .args(["--clean", "--if-exists", "--single-transaction", "--no-owner"])
            .arg(path)
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_restore: {}", text(&out.stderr));
    }

    pub fn one(&self, sql: &str) -> String {
        self.query(sql).into_iter().next().unwrap_or_default()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--", &format!("{PG_BIN}/pg_ctl"), "-m", "immediate", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A Redis of its own (no persistence).
pub struct Redis {
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl Redis {
    pub fn start() -> Redis {
        let mut r = Redis { port: free_port(), child: None, dir: tempfile::tempdir().unwrap() };
        r.up();
        r
    }

    pub fn up(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
            ])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        assert!(wait_port(self.port, Duration::from_secs(10)), "redis did not start");
    }

    pub fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.down();
    }
}

/// HAProxy in front of hub processes.
pub struct Haproxy {
    pub port: u16,
    tls: bool,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Haproxy {
    pub fn start(backends: &[u16]) -> Haproxy {
        Haproxy::start_with(backends, None)
    }

    /// HAProxy ending TLS with `pem` (certificate chain and key), as docs/hub.md sets it up.
    pub fn start_tls(backends: &[u16], pem: &Path) -> Haproxy {
        Haproxy::start_with(backends, Some(pem))
    }

    fn start_with(backends: &[u16], pem: Option<&Path>) -> Haproxy {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let servers: String = backends
            .iter()
            .enumerate()
            .map(|(i, p)| format!("  server hub{i} 127.0.0.1:{p} check inter 300 fall 2 rise 1\n"))
            .collect();
        let cfg = format!(
            "global\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n  timeout tunnel 1h\n  retries 3\n  option redispatch\n  retry-on conn-failure empty-response response-timeout\nfrontend hubs\n  bind 127.0.0.1:{port}{tls}\n  default_backend hubs\nbackend hubs\n  balance roundrobin\n  option httpchk GET /healthz\n{servers}",
            tls = pem.map(|p| format!(" ssl crt {}", p.display())).unwrap_or_default()
        );
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, cfg).unwrap();
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        assert!(wait_port(port, Duration::from_secs(10)), "haproxy did not start");
        Haproxy { port, tls: pem.is_some(), child, _dir: dir }
    }

    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", if self.tls { "https" } else { "http" }, self.port)
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tableorder hub …` (not serve), run to its end; stdout.
pub fn hub_cli(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = base_command(super::proc::BIN);
    cmd.arg("hub").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = super::proc::run_within(cmd, Duration::from_secs(60));
    assert!(out.status.success(), "hub {args:?}: {}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

/// A hub process on a fixed port (so that it can be restarted on it).
pub fn hub_process(port: u16, database_url: &str, redis_url: &str) -> Server {
    let mut cmd = base_command(super::proc::BIN);
    cmd.args([
        "hub",
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--database-url",
        database_url,
        "--redis-url",
        redis_url,
    ]);
    // Small pages, so that a CSV export of the test's few hundred orders crosses many.
    cmd.env("TABLEORDER_HUB_CSV_PAGE_SIZE", "7");
    spawn_until_port(cmd, port)
}

/// Spawns a server command and waits until `port` answers (its log kept).
pub fn spawn_until_port(mut cmd: Command, port: u16) -> Server {
    let log_path: PathBuf = std::env::temp_dir().join(format!("tableorder-svc-{}-{port}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).unwrap();
    let child = cmd.stdout(Stdio::null()).stderr(log).spawn().unwrap();
    let mut s = Server {
        child,
        port,
        log: std::sync::Arc::new(std::sync::Mutex::new(String::new())),
        ready_after: Duration::ZERO,
    };
    if !wait_port(port, Duration::from_secs(30)) {
        let _ = s.child.kill();
        panic!("process on port {port} did not start: {}", std::fs::read_to_string(&log_path).unwrap_or_default());
    }
    *s.log.lock().unwrap() = log_path.display().to_string();
    s
}

/// A certificate authority of the chain's own (`ca.pem`) and the hub's certificate for
/// 127.0.0.1 signed by it, with its key (`hub.pem`, as HAProxy takes it), made by openssl.
pub fn private_ca(dir: &Path) -> (PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Chain CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    ]
    .concat());
    run(&[&["req"][..], &ec, &["-keyout", "hub.key", "-out", "hub.csr", "-subj", "/CN=hub"]].concat());
    std::fs::write(
        dir.join("hub.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "hub.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "hub.crt",
        "-days",
        "2",
        "-extfile",
        "hub.ext",
    ]);
    let pem = [std::fs::read(dir.join("hub.crt")).unwrap(), std::fs::read(dir.join("hub.key")).unwrap()].concat();
    std::fs::write(dir.join("hub.pem"), pem).unwrap();
    (dir.join("ca.pem"), dir.join("hub.pem"))
}
