//! Files that survive a power cut: written under a temporary name in the same directory,
//! synced, renamed over the final name, and the directory synced, so that a name only
//! ever points at a complete file. Leftover temporary files (a cut mid-write) are removed
//! at the next start.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Temporary files start with this: never listed, never served, removed by [`clean`].
pub const TEMP_PREFIX: &str = ".partial-";

/// The temporary name `path` is written under before it is renamed into place.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    path.with_file_name(format!("{TEMP_PREFIX}{name}"))
}

/// Syncs a directory, so that the names created or renamed in it survive a power cut.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Creates `dir` and whichever of its parents are missing, syncing the directory each new
/// one was made in, so that a directory the box made survives a power cut along with the
/// files later synced into it.
pub fn create_dir_all(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_all(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        // Made meanwhile by someone else: theirs to sync, but syncing again costs little.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {}
        Err(e) => return Err(e),
    }
    sync_dir(dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
}

/// Opens a new private (0600) file for writing, replacing a stale one of the same name.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let f = opts.open(path)?;
    // A file left by an older run keeps its mode: made private here too.
    restrict(path)?;
    Ok(f)
}

/// Makes an existing file readable by its owner only.
pub fn restrict(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Syncs the complete temporary file `temp`, renames it to `path` and syncs the directory.
/// With `replace` false an existing `path` is an error (nothing is overwritten).
pub fn commit(temp: &Path, path: &Path, replace: bool) -> std::io::Result<()> {
    std::fs::File::open(temp)?.sync_all()?;
    if !replace && path.exists() {
        let _ = std::fs::remove_file(temp);
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} already exists", path.display()),
        ));
    }
    std::fs::rename(temp, path)?;
    sync_dir(path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
}

/// Writes `bytes` as the whole of the private file `path`: all of it or (after a cut) the
/// previous content, never a part.
pub fn write(path: &Path, bytes: &[u8], replace: bool) -> std::io::Result<()> {
    let temp = temp_path(path);
    let mut f = create_private(&temp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    commit(&temp, path, replace)
}

/// Removes the temporary files a cut or a kill left in `dir` (their SQLite journals too);
/// answers how many.
pub fn clean(dir: &Path) -> usize {
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in rd.flatten() {
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        let _ = sync_dir(dir);
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_written_whole_and_private_and_leftovers_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        write(&path, b"first", false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert!(write(&path, b"second", false).is_err(), "never overwritten unless asked");
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        write(&path, b"second", true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // A cut mid-write leaves only the temporary file, which the next start removes.
        std::fs::write(temp_path(&path), b"sec").unwrap();
        std::fs::write(dir.path().join(".partial-x.db-journal"), b"j").unwrap();
        assert_eq!(clean(dir.path()), 2);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("key")]);
    }
}
