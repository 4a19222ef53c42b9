//! Switching releases without refusing a connection.
//!
//! The listening socket outlives the process: systemd holds it (`tableorder.socket`), or the
//! process hands it to the next one across `exec` (same PID, so systemd and anyone watching
//! the PID see one service). While the old release finishes its requests and the new one
//! starts, connections wait in the socket's queue instead of being refused.
//!
//! A switch to a new release spawns a guard first (`tableorder update guard`, see
//! [`super::guard`]): it watches the new release through its probation and, if it fails,
//! brings the previous one back.

use super::state::{self, Build, Phase, Probation};
use std::ffi::OsString;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How this process was started by the one before it: `probation` (a new release) or
/// `switched` (going back on purpose).
pub const RUN_ENV: &str = "TABLEORDER_UPDATE_RUN";
/// The probation guard's PID, for the release it watches to reap when it ends.
pub const GUARD_ENV: &str = "TABLEORDER_UPDATE_GUARD";
/// Queue of connections waiting to be accepted (during a switch, everyone who arrives).
const BACKLOG: i32 = 1024;

/// The socket this process was given, by systemd's socket activation or by the process
/// before it, which uses the same protocol (`LISTEN_FDS`, `LISTEN_PID`, and
/// `LISTEN_FDS_FIRST_FD` for a descriptor other than 3). Call before any thread starts.
pub fn inherited_listener() -> Result<Option<TcpListener>, String> {
    let Some(l) = listenfd::ListenFd::from_env()
        .take_tcp_listener(0)
        .map_err(|e| format!("the socket handed to this process is not a listening TCP socket: {e}"))?
    else {
        return Ok(None);
    };
    // Not inherited by anything else the box runs (it is handed on explicitly).
    rustix::io::fcntl_setfd(&l, rustix::io::FdFlags::CLOEXEC).map_err(|e| e.to_string())?;
    Ok(Some(l))
}

/// Hands `listener` to the program `cmd` runs as process `pid` (this one, across exec).
pub fn hand_on(cmd: &mut std::process::Command, listener: &TcpListener, pid: u32) -> std::io::Result<()> {
    rustix::io::fcntl_setfd(listener, rustix::io::FdFlags::empty())?;
    cmd.env("LISTEN_FDS", "1")
        .env("LISTEN_PID", pid.to_string())
        .env("LISTEN_FDS_FIRST_FD", listener.as_raw_fd().to_string())
        .env_remove("LISTEN_FDNAMES");
    Ok(())
}

/// Waits for the probation guard this process inherited as a child across the exec (so
/// that it does not stay a zombie once it ends).
pub fn reap_guard() {
    let Some(pid) =
        std::env::var(GUARD_ENV).ok().and_then(|p| p.parse::<i32>().ok()).and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    let _ = std::thread::Builder::new().name("guard-reaper".into()).spawn(move || {
        let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
    });
}

/// Binds the listening socket (address reuse, a long queue).
pub fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    let fail = |e: std::io::Error| format!("cannot listen on {addr}: {e}");
    let sock = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None).map_err(fail)?;
    sock.set_reuse_address(true).map_err(fail)?;
    sock.bind(&addr.into()).map_err(fail)?;
    sock.listen(BACKLOG).map_err(fail)?;
    Ok(sock.into())
}

/// What `serve` does on start.
#[derive(Debug, PartialEq)]
pub enum Start {
    /// Serve with this binary (`probation`: it is a new release being watched).
    Serve { probation: bool },
    /// Run the release the box has switched to instead.
    Exec(PathBuf),
}

/// Decides at start which build serves. A start that is not a handover (a boot, a restart by
/// systemd or by the guard) ends any probation that was under way: the release on
/// probation stopped before it was kept, so the box goes back to the one before it.
pub fn at_start(data_dir: &Path) -> Start {
    let role = std::env::var(RUN_ENV).ok();
    match role.as_deref() {
        Some("probation") => return Start::Serve { probation: true },
        Some("switched") => return Start::Serve { probation: false },
        _ => {}
    }
    let exe = std::env::current_exe().ok().and_then(|p| p.canonicalize().ok());
    let releases = state::dir(data_dir).canonicalize().unwrap_or_else(|_| state::dir(data_dir));
    let decided = state::change(data_dir, |st| {
        if let Some(exe) = exe.as_ref().filter(|e| !e.starts_with(&releases)) {
            st.packaged = Some(exe.clone());
            st.packaged_version = Some(crate::version::get().to_string());
        }
        if let Some(p) = st.probation.take() {
            let why =
                p.failure.unwrap_or_else(|| "it stopped during its probation (it exited, or the box restarted)".into());
            match p.from_schema.map(|s| database_for(data_dir, s)).unwrap_or(Ok(None)) {
                Ok(restored) => {
                    tracing::error!(release = ?p.to, back_to = ?p.from, reason = %why, "the new release failed; going back");
                    st.failed_version = p.to.clone();
                    st.current = p.from;
                    st.previous = p.to;
                    st.phase = Phase::RolledBack;
                    st.last_error = Some(match restored {
                        Some(backup) => {
                            format!("{why}; its database changes were undone from {backup} (nothing was written since)")
                        }
                        None => why,
                    });
                }
                Err(cannot) => {
                    st.failed_version = p.to.clone();
                    tracing::error!(release = ?p.to, reason = %why, %cannot, "the new release failed, and the box cannot go back");
                    st.phase = Phase::Failed;
                    st.last_error = Some(format!("{why}; {cannot}; the box stays on the new release"));
                }
            }
        }
        // A package newer than the installed release (an upgrade by apt) wins.
        if let (Some(v), Some(pv)) = (&st.current, &st.packaged_version)
            && !super::newer(v, pv)
        {
            tracing::info!(release = %v, package = %pv, "the packaged binary is newer than the installed release; running it");
            st.previous = st.current.take();
        }
        let program = state::program(data_dir, st, &st.current);
        match program {
            Some(p) if Some(&p) == exe.as_ref() || p.canonicalize().ok() == exe => Start::Serve { probation: false },
            Some(p) if p.exists() => Start::Exec(p),
            Some(p) => {
                let why = format!(
                    "release {} is missing ({}); serving the packaged binary",
                    st.current.clone().unwrap_or_default(),
                    p.display()
                );
                tracing::error!("{why}");
                st.previous = st.current.take();
                st.phase = Phase::Failed;
                st.last_error = Some(why);
                Start::Serve { probation: false }
            }
            None => Start::Serve { probation: false },
        }
    });
    decided.unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot read or write the release state; serving this binary");
        Start::Serve { probation: false }
    })
}

/// Makes the database one the build going back (which knows schemas up to `schema`) can
/// open. Additive changes need nothing (`Ok(None)`). Otherwise the backup made just before
/// migrating is put back, but only while nothing was written since (`Ok(Some(backup))`);
/// with changes written since, the box cannot go back without losing them (`Err`).
pub fn database_for(data_dir: &Path, schema: i64) -> Result<Option<String>, String> {
    use crate::db::{backup, migrate};
    let path = crate::db::db_path(data_dir);
    if !path.exists() {
        return Ok(None);
    }
    let read = |p: &Path| -> rusqlite::Result<(i64, i64, Option<i64>)> {
        let c = rusqlite::Connection::open_with_flags(p, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let head: Option<i64> = c.query_row("SELECT max(id) FROM events", [], |r| r.get(0)).unwrap_or(None);
        Ok((migrate::floor(&c)?, migrate::current(&c)?, head))
    };
    let (floor, version, head) = read(&path).map_err(|e| format!("the database cannot be read: {e}"))?;
    if floor <= schema {
        return Ok(None);
    }
    let prefix = format!("pre-migrate-v{schema}-to-v{version}-");
    let Some(b) = backup::list(data_dir).into_iter().find(|b| b.name.starts_with(&prefix)) else {
        return Err(format!("its schema change cannot be undone (no {prefix}… backup)"));
    };
    let from = backup::backup_dir(data_dir).join(&b.name);
    let (_, _, backup_head) = read(&from).map_err(|e| format!("the backup {} cannot be read: {e}", b.name))?;
    if backup_head != head {
        return Err(
            "orders or changes were written under it since its schema change, which the previous release cannot read"
                .into(),
        );
    }
    // Nothing was written since the backup: put it back whole. The journal is emptied into
    // the database first, so that at no moment (a power cut included) does a journal of
    // the one database sit beside the other.
    rusqlite::Connection::open(&path)
        .and_then(|c| c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0)))
        .map_err(|e| format!("cannot empty the database's journal: {e}"))?;
    let temp = crate::durable::temp_path(&path);
    std::fs::copy(&from, &temp).map_err(|e| format!("cannot restore {}: {e}", b.name))?;
    crate::durable::commit(&temp, &path, true).map_err(|e| format!("cannot restore {}: {e}", b.name))?;
    for j in ["db-wal", "db-shm"] {
        let _ = std::fs::remove_file(path.with_extension(j));
    }
    Ok(Some(b.name))
}

/// A switch the running server was asked for, done once it has stopped.
#[derive(Debug, Clone)]
pub struct Target {
    pub to: Build,
    pub rollback: bool,
}

/// Between the task that decides a switch is due and `main`, which makes it.
#[derive(Default)]
pub struct Switcher {
    target: Mutex<Option<Target>>,
    asked: tokio::sync::Notify,
    /// Something was asked for (an upload, a rollback): look at the state now.
    pub poke: tokio::sync::Notify,
}

impl Switcher {
    pub fn ask(&self, t: Target) {
        *self.target.lock().expect("switch lock") = Some(t);
        self.asked.notify_one();
    }

    /// Resolves once a switch is asked for.
    pub async fn asked(&self) {
        if self.target.lock().expect("switch lock").is_some() {
            return;
        }
        self.asked.notified().await
    }

    pub fn take(&self) -> Option<Target> {
        self.target.lock().expect("switch lock").take()
    }
}

/// Replaces this process with `to` (its requests finished, its database closed), handing it
/// the listening socket. A new release is put on probation under a guard; going back on
/// purpose is not. Returns only if it could not.
pub fn exec_into(data_dir: &Path, listener: &TcpListener, t: Target, probation_secs: u64) -> String {
    let st = state::load(data_dir);
    let Some(program) = state::program(data_dir, &st, &t.to) else {
        return "the packaged binary is not known yet".into();
    };
    let fd = listener.as_raw_fd();
    let changed = state::change(data_dir, |st| {
        st.pending = None;
        st.previous = st.current.clone();
        st.current = t.to.clone();
        if t.rollback {
            st.phase = Phase::Idle;
            st.probation = None;
        } else {
            st.phase = Phase::Probation;
            st.probation = Some(Probation {
                to: t.to.clone(),
                from: st.previous.clone(),
                since_ms: state::now_ms(),
                failure: None,
                from_schema: Some(crate::db::migrate::latest()),
            });
        }
    });
    if let Err(e) = changed {
        return format!("cannot record the switch: {e}");
    }
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let mut guard_pid = None;
    if !t.rollback {
        let health = listener.local_addr().map(loopback).ok();
        let fallback = st.packaged.clone().unwrap_or_else(|| program.clone());
        let mut guard = std::process::Command::new(std::env::current_exe().unwrap_or_else(|_| fallback.clone()));
        guard
            .args(["update", "guard", "--data-dir"])
            .arg(data_dir)
            .args(["--pid", &std::process::id().to_string()])
            .args(["--probation-secs", &probation_secs.to_string()])
            .args(["--listen-fd", &fd.to_string()])
            .env_remove(RUN_ENV)
            .env_remove(GUARD_ENV)
            .args(health.map(|h| vec!["--health".to_string(), h.to_string()]).unwrap_or_default())
            .args(if std::env::var_os("NOTIFY_SOCKET").is_some() { vec!["--systemd"] } else { vec![] })
            .arg("--")
            .arg(&fallback)
            .args(&args)
            .stdin(std::process::Stdio::null());
        let spawned = hand_on(&mut guard, listener, 0).and_then(|()| guard.spawn());
        if let Ok(child) = &spawned {
            // Reaped by the release it watches (its parent after the exec).
            guard_pid = Some(child.id());
        }
        if let Err(e) = spawned {
            let _ = state::change(data_dir, |st| {
                st.current = st.previous.clone();
                st.probation = None;
                st.phase = Phase::Failed;
                st.last_error = Some(format!("cannot start the probation guard: {e}"));
            });
            return format!("cannot start the probation guard: {e}");
        }
    }
    tracing::info!(program = %program.display(), "switching release");
    let mut cmd = std::process::Command::new(&program);
    cmd.args(&args).env(RUN_ENV, if t.rollback { "switched" } else { "probation" });
    match guard_pid {
        Some(pid) => cmd.env(GUARD_ENV, pid.to_string()),
        None => cmd.env_remove(GUARD_ENV),
    };
    if let Err(e) = hand_on(&mut cmd, listener, std::process::id()) {
        return format!("cannot hand on the listening socket: {e}");
    }
    let e = cmd.exec();
    format!("cannot start {}: {e}", program.display())
}

/// Where this box answers itself (`0.0.0.0` listens on loopback too).
fn loopback(a: SocketAddr) -> SocketAddr {
    match a {
        SocketAddr::V4(v) if v.ip().is_unspecified() => SocketAddr::from(([127, 0, 0, 1], v.port())),
        SocketAddr::V6(v) if v.ip().is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, v.port())),
        other => other,
    }
}
