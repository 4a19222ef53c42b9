//! What the box knows about its releases, kept in `DATA_DIR/releases/state.json`: which one
//! runs, which ran before, what is asked for, and how the last update went. Every change is
//! made under a lock and written durably (a power cut leaves the old file or the new one).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A build the box can run: a release installed under `releases/`, or (None) the binary the
/// package installed, which is never overwritten and always the fallback.
pub type Build = Option<String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Nothing under way; the last update (if any) went well.
    #[default]
    Idle,
    /// A release is installed and waits for its moment.
    Pending,
    /// A new release runs and must stay healthy for `update_probation_secs`.
    Probation,
    /// The last release failed during probation; the box went back by itself.
    RolledBack,
    /// The last update could not be completed; the box serves what it served.
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// As soon as requests in flight have finished.
    Now,
    /// When no visit is open, or the day is closed.
    #[default]
    Idle,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pending {
    pub to: Build,
    pub when: When,
    /// Going back on purpose (no probation: it ran here before).
    pub rollback: bool,
    pub asked_at_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Probation {
    pub to: Build,
    pub from: Build,
    pub since_ms: i64,
    /// Why it failed, when the guard saw it fail.
    pub failure: Option<String>,
    /// The newest schema the build it replaced knows (going back needs a database it can open).
    #[serde(default)]
    pub from_schema: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct State {
    /// What runs.
    pub current: Build,
    /// What ran before it (what a rollback returns to).
    pub previous: Build,
    /// The packaged binary, as last started (the fallback).
    pub packaged: Option<PathBuf>,
    pub packaged_version: Option<String>,
    pub phase: Phase,
    pub pending: Option<Pending>,
    pub probation: Option<Probation>,
    pub last_error: Option<String>,
    /// The last release that failed here (rolled back, or refused when the hub sent it):
    /// the hub halts its rollout, and the box does not take it again.
    #[serde(default)]
    pub failed_version: Option<String>,
    pub changed_at_ms: i64,
}

impl State {
    /// The version a build is (the packaged binary's as last seen).
    pub fn version_of(&self, b: &Build) -> Option<String> {
        b.clone().or_else(|| self.packaged_version.clone())
    }
}

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("releases")
}

fn file(data_dir: &Path) -> PathBuf {
    dir(data_dir).join("state.json")
}

/// Where a release's binary lives.
pub fn binary(data_dir: &Path, version: &str) -> PathBuf {
    dir(data_dir).join(version).join("tableorder")
}

/// The program a build runs as.
pub fn program(data_dir: &Path, st: &State, b: &Build) -> Option<PathBuf> {
    match b {
        Some(v) => Some(binary(data_dir, v)),
        None => st.packaged.clone(),
    }
}

/// The state as on disk (nothing installed yet: the default).
pub fn load(data_dir: &Path) -> State {
    std::fs::read(file(data_dir)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Changes the state under the releases lock (other processes of the box change it too:
/// the CLI, the guard) and writes it durably.
pub fn change<R>(data_dir: &Path, f: impl FnOnce(&mut State) -> R) -> std::io::Result<R> {
    let d = dir(data_dir);
    crate::durable::create_dir_all(&d)?;
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(d.join(".lock"))?;
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)?;
    let mut st = load(data_dir);
    let before = st.clone();
    let r = f(&mut st);
    if st != before {
        st.changed_at_ms = now_ms();
        let bytes = serde_json::to_vec_pretty(&st).map_err(std::io::Error::other)?;
        crate::durable::write(&file(data_dir), &bytes, true)?;
    }
    Ok(r)
}
