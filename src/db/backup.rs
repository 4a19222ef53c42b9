//! Online backups: `VACUUM INTO` writes a consistent, compacted copy of the live
//! database (images included) while readers and the writer carry on.

use crate::durable;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

pub fn backup_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("backups")
}

/// Writes a complete copy of `conn`'s database to `path` (which must not exist), readable
/// by the owner only. The copy is made under a temporary name and renamed when it is
/// complete and synced: a kill or a cut midway leaves no file at `path`, only a temporary
/// one that [`clean`] removes.
pub fn vacuum_into(conn: &Connection, path: &Path) -> Result<(), String> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    durable::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    if path.exists() {
        return Err(format!("{} already exists", path.display()));
    }
    let temp = durable::temp_path(path);
    for stale in [temp.clone(), journal(&temp)] {
        let _ = std::fs::remove_file(stale);
    }
    let failed = |e: &dyn std::fmt::Display| format!("backup to {} failed: {e}", path.display());
    // Created private first: SQLite keeps the mode of the file it writes into.
    durable::create_private(&temp).map_err(|e| failed(&e))?;
    let target = temp.to_str().ok_or_else(|| format!("{} is not valid UTF-8", path.display()))?;
    let made = conn
        .execute("VACUUM INTO ?1", [target])
        .map_err(|e| failed(&e))
        .and_then(|_| durable::commit(&temp, path, false).map_err(|e| failed(&e)));
    if made.is_err() {
        let _ = std::fs::remove_file(&temp);
        let _ = std::fs::remove_file(journal(&temp));
    }
    made
}

fn journal(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push("-journal");
    PathBuf::from(s)
}

/// Removes what a backup killed midway left in the backups directory (done at start).
pub fn clean(data_dir: &Path) -> usize {
    durable::clean(&backup_dir(data_dir))
}

/// Free bytes a new backup needs: about the database's size (WAL included) plus a margin
/// that must stay free for the live database.
pub fn space_needed(data_dir: &Path, margin_mb: u64) -> u64 {
    let base = crate::db::db_path(data_dir);
    let wal = base.with_extension("db-wal");
    let size: u64 = [base, wal].iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    size + margin_mb * 1_000_000
}

/// A backup file in the backups directory.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BackupInfo {
    pub name: String,
    pub bytes: u64,
    pub created_at: String,
}

/// Lists complete backups, newest first.
pub fn list(data_dir: &Path) -> Vec<BackupInfo> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(backup_dir(data_dir)) {
        for entry in rd.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            // Only complete backups: an unfinished one has a temporary (dot) name.
            if !valid_name(&name) {
                continue;
            }
            if let Ok(md) = entry.metadata() {
                let modified = md
                    .modified()
                    .ok()
                    .and_then(|m| jiff::Timestamp::try_from(m).ok())
                    .map(|t| format!("{t:.0}"))
                    .unwrap_or_default();
                out.push(BackupInfo { name, bytes: md.len(), created_at: modified });
            }
        }
    }
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.name.cmp(&a.name)));
    out
}

/// A backup name is safe when it is a plain file name we could have made.
pub fn valid_name(name: &str) -> bool {
    name.ends_with(".db")
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !name.starts_with('.')
}

/// Keeps the newest `keep` scheduled backups (`scheduled-*.db`), removing older ones.
pub fn prune_scheduled(data_dir: &Path, keep: usize) {
    let mut sched: Vec<BackupInfo> = list(data_dir).into_iter().filter(|b| b.name.starts_with("scheduled-")).collect();
    sched.sort_by(|a, b| b.name.cmp(&a.name));
    for old in sched.into_iter().skip(keep) {
        let _ = std::fs::remove_file(backup_dir(data_dir).join(&old.name));
    }
}

/// A file name for a new backup of `kind` at the current time.
pub fn new_name(kind: &str) -> String {
    let now = jiff::Timestamp::now();
    format!("{kind}-{}-{:03}Z.db", now.strftime("%Y%m%dT%H%M%S"), now.subsec_millisecond())
}

/// A path for a new backup of `kind` in the data directory's backups folder, never an
/// existing file's.
pub fn new_path(data_dir: &Path, kind: &str) -> PathBuf {
    unused_path(&backup_dir(data_dir), &new_name(kind))
}

/// `dir/name`, or `dir/stem-N.db` for the first N that does not exist yet.
fn unused_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let stem = name.trim_end_matches(".db");
    (1..).map(|n| dir.join(format!("{stem}-{n}.db"))).find(|p| !p.exists()).expect("some name is free")
}
