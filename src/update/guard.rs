//! The probation guard (`tableorder update guard`, started by the release being replaced):
//! it watches the new release until it has been healthy for `update_probation_secs`. If the
//! release exits, never answers `/healthz`, or stops answering it (the writer included),
//! the guard records why, stops it, and brings the box back: under systemd by letting the
//! service restart (its start goes back, see [`super::switch::at_start`]); otherwise by
//! becoming the server itself, with the listening socket it holds, so nobody is refused.

use super::state::{self, Phase};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub struct Plan {
    pub data_dir: PathBuf,
    /// The process that runs the new release (the guard's parent).
    pub pid: u32,
    pub health: Option<SocketAddr>,
    pub probation: Duration,
    pub listen_fd: Option<i32>,
    pub systemd: bool,
    /// The packaged binary and the arguments it serves with.
    pub fallback: Vec<OsString>,
}

/// Failed health checks in a row that end the probation.
const FAILS: u32 = 3;
const FAILED: &str = "the new release failed: ";
/// What the guard can tell of a release that ended by itself (systemd can tell more).
const EXITED: &str = "it exited during its probation";

/// Under systemd (`ExecStopPost=`): why the service's main process ended, in words, kept for a
/// release on probation. The guard's own finding stays, unless all it saw was the exit; a
/// stop that was asked for (`SERVICE_RESULT=success`) adds nothing, the next start says it.
pub fn record_stop(data_dir: &std::path::Path, result: &str, code: &str, status: &str) -> Result<(), String> {
    let why = match (result, code) {
        ("success", _) | ("", _) => return Ok(()),
        ("watchdog", _) => "it stopped answering systemd's watchdog during its probation".to_string(),
        (_, "exited") => format!("it exited with status {status} during its probation"),
        (_, "killed" | "dumped") => format!("it was killed by signal {status} during its probation"),
        ("timeout", _) => "it did not start or stop in time during its probation".to_string(),
        (other, _) => format!("it ended during its probation ({other})"),
    };
    let kept = state::change(data_dir, |st| {
        let Some(p) = st.probation.as_mut() else { return false };
        let known = p.failure.as_deref().is_some_and(|f| f != format!("{FAILED}{EXITED}"));
        if !known {
            p.failure = Some(format!("{FAILED}{why}"));
        }
        !known
    })
    .map_err(|e| format!("cannot record why the release stopped: {e}"))?;
    if kept {
        tracing::error!(reason = %why, "the release on probation stopped");
    }
    Ok(())
}

pub fn run(plan: Plan) -> Result<(), String> {
    let started = Instant::now();
    let mut healthy_since: Option<Instant> = None;
    let mut fails = 0;
    let failure = loop {
        std::thread::sleep(Duration::from_millis(500));
        if !parent_alive(plan.pid) {
            break EXITED.to_string();
        }
        match plan.health.map(probe).unwrap_or(Ok(())) {
            Ok(()) => {
                fails = 0;
                healthy_since.get_or_insert_with(Instant::now);
            }
            Err(e) if healthy_since.is_some() => {
                fails += 1;
                if fails >= FAILS {
                    break format!("its health check failed {FAILS} times in a row ({e})");
                }
            }
            Err(e) => {
                if started.elapsed() >= plan.probation {
                    break format!("it did not answer its health check within {} s ({e})", plan.probation.as_secs());
                }
            }
        }
        if healthy_since.is_some_and(|t| t.elapsed() >= plan.probation) {
            let kept = state::change(&plan.data_dir, |st| {
                if st.phase == Phase::Probation {
                    st.probation = None;
                    st.phase = Phase::Idle;
                    st.last_error = None;
                }
            });
            tracing::info!(secs = plan.probation.as_secs(), "the new release passed its probation");
            return kept.map_err(|e| e.to_string());
        }
    };
    tracing::error!(reason = %failure, "the new release failed its probation; going back");
    let _ = state::change(&plan.data_dir, |st| {
        if let Some(p) = st.probation.as_mut() {
            p.failure = Some(format!("{FAILED}{failure}"));
        }
    });
    stop(plan.pid);
    if plan.systemd {
        // systemd restarts the service (its main process was killed), and that start goes back.
        return Ok(());
    }
    let Some((program, args)) = plan.fallback.split_first() else {
        return Err("no build to go back to".into());
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(args).env_remove(super::switch::RUN_ENV);
    // The listening socket the guard kept open (inherited, so not closed by exec).
    match plan.listen_fd {
        Some(fd) => cmd
            .env("LISTEN_FDS", "1")
            .env("LISTEN_PID", std::process::id().to_string())
            .env("LISTEN_FDS_FIRST_FD", fd.to_string()),
        None => cmd.env_remove("LISTEN_FDS").env_remove("LISTEN_PID"),
    };
    Err(format!("cannot start {}: {}", PathBuf::from(program).display(), cmd.exec()))
}

/// The guard's parent is the release on probation: once it is gone, the guard has been
/// handed to another parent.
fn parent_alive(pid: u32) -> bool {
    rustix::process::getppid().is_some_and(|p| p.as_raw_nonzero().get() as u32 == pid)
}

/// SIGTERM, then SIGKILL if it is still there after 5 s.
fn stop(pid: u32) {
    let Some(p) = rustix::process::Pid::from_raw(pid as i32) else { return };
    let _ = rustix::process::kill_process(p, rustix::process::Signal::TERM);
    let deadline = Instant::now() + Duration::from_secs(5);
    while parent_alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if parent_alive(pid) {
        let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
        while parent_alive(pid) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `GET /healthz` answered 200 within 2 s.
fn probe(addr: SocketAddr) -> Result<(), String> {
    let t = Duration::from_secs(2);
    let mut s = TcpStream::connect_timeout(&addr, t).map_err(|e| format!("cannot connect: {e}"))?;
    s.set_read_timeout(Some(t)).ok();
    s.set_write_timeout(Some(t)).ok();
    write!(s, "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").map_err(|e| e.to_string())?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).map_err(|e| format!("no answer: {e}"))?;
    if &head[9..12] == b"200" { Ok(()) } else { Err(format!("answered {}", String::from_utf8_lossy(&head[9..12]))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_probation(dir: &std::path::Path, failure: Option<&str>) {
        state::change(dir, |st| {
            st.phase = Phase::Probation;
            st.probation = Some(state::Probation {
                to: Some("2.0.0".into()),
                from: None,
                since_ms: 0,
                failure: failure.map(String::from),
                from_schema: None,
            });
        })
        .unwrap();
    }

    fn failure(dir: &std::path::Path) -> Option<String> {
        state::load(dir).probation.and_then(|p| p.failure)
    }

    #[test]
    fn systemds_account_of_a_stop_is_kept_for_a_release_on_probation_only() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Nothing on probation: nothing to record.
        record_stop(d, "exit-code", "exited", "3").unwrap();
        assert!(state::load(d).probation.is_none());

        on_probation(d, None);
        // A stop that was asked for says nothing; the next start tells.
        record_stop(d, "success", "exited", "0").unwrap();
        assert_eq!(failure(d), None);
        record_stop(d, "exit-code", "exited", "3").unwrap();
        assert_eq!(failure(d).as_deref(), Some("the new release failed: it exited with status 3 during its probation"));

        // systemd knows more than a guard that only saw the exit…
        on_probation(d, Some(&format!("{FAILED}{EXITED}")));
        record_stop(d, "watchdog", "killed", "ABRT").unwrap();
        assert_eq!(
            failure(d).as_deref(),
            Some("the new release failed: it stopped answering systemd's watchdog during its probation")
        );
        // …but not more than one that saw it fail its health check (and stopped it).
        let health = "the new release failed: it did not answer its health check within 3 s";
        on_probation(d, Some(health));
        record_stop(d, "signal", "killed", "TERM").unwrap();
        assert_eq!(failure(d).as_deref(), Some(health));
    }
}
