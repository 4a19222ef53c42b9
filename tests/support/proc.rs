//! Running the real binary, and network namespaces for tests that cross a network.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary under test (`tableorder`, the one cargo built for the tests and benchmarks;
/// examples, which cargo tells nothing, name theirs).
pub const BIN: &str = match option_env!("CARGO_BIN_EXE_tableorder") {
    Some(b) => b,
    None => "tableorder",
};

// ---------------------------------------------------------------------------------------
// Running the real binary
// ---------------------------------------------------------------------------------------

/// The binary's environment: nothing inherited that could change what it does.
pub fn base_command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("TABLEORDER_") {
            cmd.env_remove(&k);
        }
    }
    cmd.env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID")
        .env("TABLEORDER_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

/// Runs a command to its end, killing it (and failing) if it takes longer than `limit`.
pub fn run_within(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("command starts");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = String::from_utf8_lossy(&err_t.join().unwrap()).to_string();
            panic!("{cmd:?} still running after {limit:?}; stderr:\n{stderr}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output { status, stdout: out_t.join().unwrap(), stderr: err_t.join().unwrap() }
}

/// A `tableorder` subcommand (not `serve`), run to its end.
pub fn tableorder(args: &[&str]) -> Output {
    let mut cmd = base_command(BIN);
    cmd.args(args);
    run_within(cmd, Duration::from_secs(60))
}

pub async fn tableorder_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || tableorder(&args.iter().map(String::as_str).collect::<Vec<_>>())).await.unwrap()
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// A running `tableorder serve` process; killed on drop if still running.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub log: Arc<Mutex<String>>,
    /// From the spawn to the "ready" line.
    pub ready_after: Duration,
}

impl Server {
    /// `tableorder serve --no-mdns --listen 127.0.0.1:0 --data-dir DIR ARGS…`, waiting for
    /// its "ready" line.
    pub fn start(data_dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Server {
        let mut cmd = base_command(BIN);
        cmd.arg("serve").args(["--no-mdns", "--listen", "127.0.0.1:0", "--data-dir"]).arg(data_dir).args(args);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        Server::spawn(cmd)
    }

    /// Spawns `cmd` (a `serve` in some form) and waits for the port in its "ready" line.
    pub fn spawn(mut cmd: Command) -> Server {
        let spawned = Instant::now();
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("server starts");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel::<u16>();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                // Into the log first: whoever is told the server is ready can read that line.
                {
                    let mut l = sink.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
                if line.contains("ready")
                    && let Some(port) = ready_port(&line)
                {
                    let _ = tx.send(port);
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(port) => Server { child, port, log, ready_after: spawned.elapsed() },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!("server did not become ready; its log:\n{}", log.lock().unwrap());
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Sends SIGTERM, as systemd does on stop.
    pub fn terminate(&self) {
        let st = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().expect("kill runs");
        assert!(st.success(), "kill -TERM failed");
    }

    /// Waits for the process to exit, failing after `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                // Let the log reader take the last lines.
                std::thread::sleep(Duration::from_millis(50));
                return s;
            }
            assert!(Instant::now() < deadline, "server still running {limit:?} after SIGTERM; log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The port of `addr=127.0.0.1:PORT` (or `0.0.0.0:PORT`) in the "ready" log line.
pub fn ready_port(line: &str) -> Option<u16> {
    let rest = &line[line.find("addr=")? + 5..];
    let addr = rest.split_whitespace().next()?;
    addr.rsplit(':').next()?.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok()
}

/// Two network namespaces joined by a veth pair; deleted (after stopping everything
/// started in them) on drop, whatever happened.
pub struct Namespaces {
    pub srv: String,
    pub cli: String,
    pub srv_dev: String,
    pub cli_dev: String,
    pub server: Option<Server>,
    pub browser: Option<Child>,
}

impl Namespaces {
    pub const SRV_ADDR: &'static str = "10.250.77.1";
    pub const CLI_ADDR: &'static str = "10.250.77.2";

    pub fn create() -> Result<Namespaces, String> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let pid = std::process::id();
        let (vs, vc) = (format!("tos{pid}{n}"), format!("toc{pid}{n}"));
        let ns = Namespaces {
            srv: format!("to-srv-{pid}-{n}"),
            cli: format!("to-cli-{pid}-{n}"),
            srv_dev: vs.clone(),
            cli_dev: vc.clone(),
            server: None,
            browser: None,
        };
        ip(&["netns", "add", &ns.srv])?;
        ip(&["netns", "add", &ns.cli])?;
        // Created inside the server namespace with its peer in the client one: the
        // pair never exists in this namespace.
        ip(&["-n", &ns.srv, "link", "add", &vs, "type", "veth", "peer", "name", &vc, "netns", &ns.cli])?;
        for (n, dev, addr) in [(&ns.srv, &vs, Self::SRV_ADDR), (&ns.cli, &vc, Self::CLI_ADDR)] {
            ip(&["-n", n, "addr", "add", &format!("{addr}/24"), "dev", dev])?;
            ip(&["-n", n, "link", "set", "lo", "up"])?;
            ip(&["-n", n, "link", "set", dev, "up"])?;
            ip(&["-n", n, "route", "add", "224.0.0.0/4", "dev", dev])?;
        }
        Ok(ns)
    }

    pub fn exec(&self, ns: &str, program: &str) -> Command {
        let mut cmd = base_command("ip");
        cmd.args(["netns", "exec", ns, program]);
        cmd
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        drop(self.server.take()); // kills it if still running
        if let Some(mut c) = self.browser.take() {
            if let Ok(None) = c.try_wait() {
                let _ = c.kill();
            }
            let _ = c.wait();
        }
        let _ = ip(&["netns", "del", &self.srv]);
        let _ = ip(&["netns", "del", &self.cli]);
    }
}

pub fn ip(args: &[&str]) -> Result<(), String> {
    let o = Command::new("ip").args(args).stdin(Stdio::null()).output().map_err(|e| format!("ip: {e}"))?;
    if o.status.success() { Ok(()) } else { Err(format!("ip {}: {}", args.join(" "), text(&o.stderr).trim())) }
}

/// Whether this process runs as root (network namespaces, mounts).
pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| text(&o.stdout).trim() == "0").unwrap_or(false)
}

/// Skips a test with a printed reason, except under `CI=true`, where it fails instead.
pub fn skip_or_fail_test(test: &str, reason: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test} must run under CI=true, but {reason}");
    }
    eprintln!("skipping {test}: {reason}");
}
