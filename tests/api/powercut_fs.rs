//! A file system that forgets what was not synced, for power-cut tests.
//!
//! Mounted with FUSE, it keeps every file in memory and hands writes straight through to
//! what processes read, but remembers separately what a power cut would leave: a file's
//! contents as of its last `fsync`/`fdatasync`, and a directory's entries as of its last
//! `fsync` (so a file created, renamed or removed is created, renamed or removed for good
//! only once its directory is synced). [`PowerCutFs::cut`] throws away everything since,
//! as a machine losing power would, and refuses every later change until the file system
//! is mounted again: the test stops the server first (SIGSTOP, so it writes nothing more),
//! cuts, kills it, remounts (fresh kernel caches) and starts it on what is left.
//!
//! File contents are kept in 4 KiB pages shared between the live and the synced copy, so a
//! sync copies page pointers, not data.

use fuser::{
    BackgroundSession, Config, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo,
    LockOwner, MountOption, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty,
    ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, SessionACL, TimeOrNow, WriteFlags,
};
use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

const PAGE: usize = 4096;
const TTL: Duration = Duration::from_millis(200);

#[derive(Clone, Default)]
struct Data {
    pages: Vec<Arc<Vec<u8>>>,
    size: u64,
}

impl Data {
    fn read(&self, offset: u64, len: usize) -> Vec<u8> {
        let end = (offset + len as u64).min(self.size);
        let mut out = Vec::with_capacity(end.saturating_sub(offset) as usize);
        let mut pos = offset;
        while pos < end {
            let (p, o) = ((pos / PAGE as u64) as usize, (pos % PAGE as u64) as usize);
            let n = (PAGE - o).min((end - pos) as usize);
            match self.pages.get(p) {
                Some(page) => out.extend_from_slice(&page[o..o + n]),
                None => out.resize(out.len() + n, 0),
            }
            pos += n as u64;
        }
        out
    }

    fn write(&mut self, offset: u64, data: &[u8]) {
        let mut pos = offset;
        let mut rest = data;
        while !rest.is_empty() {
            let (p, o) = ((pos / PAGE as u64) as usize, (pos % PAGE as u64) as usize);
            while self.pages.len() <= p {
                self.pages.push(Arc::new(vec![0; PAGE]));
            }
            let n = (PAGE - o).min(rest.len());
            Arc::make_mut(&mut self.pages[p])[o..o + n].copy_from_slice(&rest[..n]);
            pos += n as u64;
            rest = &rest[n..];
        }
        self.size = self.size.max(offset + data.len() as u64);
    }

    fn truncate(&mut self, size: u64) {
        let pages = (size as usize).div_ceil(PAGE);
        self.pages.truncate(pages);
        // Bytes past the end of a kept last page read as zeros if the file grows again.
        if let Some(last) = self.pages.last_mut() {
            let keep = size as usize - (pages - 1) * PAGE;
            if keep < PAGE {
                Arc::make_mut(last)[keep..].fill(0);
            }
        }
        self.size = size;
    }
}

enum Kind {
    File { data: Data, synced: Data },
    Dir { entries: BTreeMap<OsString, u64>, synced: BTreeMap<OsString, u64> },
}

struct Node {
    kind: Kind,
    perm: u16,
    mtime: SystemTime,
}

struct Model {
    nodes: HashMap<u64, Node>,
    next: u64,
    /// Cut and not yet mounted again: nothing changes any more.
    frozen: bool,
    /// What the tests count: syncs of files and of directories, and cuts.
    pub file_syncs: u64,
    pub dir_syncs: u64,
    pub lost_files: u64,
    pub lost_entries: u64,
    /// Files (by name) whose unsynced data cuts threw away, and how often.
    pub lost_paths: BTreeMap<String, u64>,
}

impl Model {
    fn new() -> Model {
        let root = Node {
            kind: Kind::Dir { entries: BTreeMap::new(), synced: BTreeMap::new() },
            perm: 0o755,
            mtime: SystemTime::now(),
        };
        Model {
            nodes: HashMap::from([(1, root)]),
            next: 2,
            frozen: false,
            file_syncs: 0,
            dir_syncs: 0,
            lost_files: 0,
            lost_entries: 0,
            lost_paths: BTreeMap::new(),
        }
    }

    fn attr(&self, ino: u64) -> Option<FileAttr> {
        let n = self.nodes.get(&ino)?;
        let (kind, size, nlink) = match &n.kind {
            Kind::File { data, .. } => (FileType::RegularFile, data.size, 1),
            Kind::Dir { .. } => (FileType::Directory, 0, 2),
        };
        Some(FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: n.mtime,
            mtime: n.mtime,
            ctime: n.mtime,
            crtime: n.mtime,
            kind,
            perm: n.perm,
            nlink,
            uid: 0,
            gid: 0,
            rdev: 0,
            blksize: PAGE as u32,
            flags: 0,
        })
    }

    fn entries(&mut self, ino: u64) -> Result<&mut BTreeMap<OsString, u64>, Errno> {
        match self.nodes.get_mut(&ino).map(|n| &mut n.kind) {
            Some(Kind::Dir { entries, .. }) => Ok(entries),
            Some(_) => Err(Errno::ENOTDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn lookup(&mut self, parent: u64, name: &OsStr) -> Result<u64, Errno> {
        self.entries(parent)?.get(name).copied().ok_or(Errno::ENOENT)
    }

    fn make(&mut self, parent: u64, name: &OsStr, kind: Kind, perm: u16) -> Result<u64, Errno> {
        if self.frozen {
            return Err(Errno::EIO);
        }
        let ino = self.next;
        let entries = self.entries(parent)?;
        if entries.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        entries.insert(name.to_owned(), ino);
        self.next += 1;
        self.nodes.insert(ino, Node { kind, perm, mtime: SystemTime::now() });
        Ok(ino)
    }

    fn is_empty_dir(&self, ino: u64) -> bool {
        matches!(self.nodes.get(&ino).map(|n| &n.kind), Some(Kind::Dir { entries, .. }) if entries.is_empty())
    }

    /// Everything as it is now becomes what a cut leaves (the state a test sets up).
    fn sync_all(&mut self) {
        for n in self.nodes.values_mut() {
            match &mut n.kind {
                Kind::File { data, synced } => *synced = data.clone(),
                Kind::Dir { entries, synced } => *synced = entries.clone(),
            }
        }
    }

    /// The power goes: every file and directory back to what was last synced; whatever is
    /// no longer reachable from the root is gone.
    fn cut(&mut self) {
        // Names of the files whose unsynced data goes, as they are named now.
        let mut paths = HashMap::new();
        let mut todo = vec![(1u64, String::new())];
        while let Some((ino, path)) = todo.pop() {
            if let Some(Kind::Dir { entries, .. }) = self.nodes.get(&ino).map(|n| &n.kind) {
                for (name, &child) in entries {
                    let p = format!("{path}/{}", name.to_string_lossy());
                    paths.insert(child, p.clone());
                    todo.push((child, p));
                }
            }
        }
        for (ino, n) in self.nodes.iter_mut() {
            match &mut n.kind {
                Kind::File { data, synced } => {
                    if data.size != synced.size || data.pages.iter().zip(&synced.pages).any(|(a, b)| !Arc::ptr_eq(a, b))
                    {
                        self.lost_files += 1;
                        let p = paths.get(ino).cloned().unwrap_or_else(|| format!("(unlinked inode {ino})"));
                        *self.lost_paths.entry(p).or_insert(0) += 1;
                    }
                    *data = synced.clone();
                }
                Kind::Dir { entries, synced } => {
                    if entries != synced {
                        self.lost_entries += 1;
                    }
                    *entries = synced.clone();
                }
            }
        }
        let mut live = std::collections::HashSet::from([1u64]);
        let mut todo = vec![1u64];
        while let Some(ino) = todo.pop() {
            if let Some(Kind::Dir { entries, .. }) = self.nodes.get(&ino).map(|n| &n.kind) {
                for &child in entries.values() {
                    if live.insert(child) {
                        todo.push(child);
                    }
                }
            }
        }
        self.nodes.retain(|ino, _| live.contains(ino));
        self.frozen = true;
    }
}

/// The file system as FUSE sees it: the shared model behind a lock.
struct Fs(Arc<Mutex<Model>>);

macro_rules! lock {
    ($s:expr) => {
        $s.0.lock().unwrap()
    };
}

impl Filesystem for Fs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let mut m = lock!(self);
        match m.lookup(parent.0, name).and_then(|ino| m.attr(ino).ok_or(Errno::ENOENT)) {
            Ok(a) => reply.entry(&TTL, &a, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match lock!(self).attr(ino.0) {
            Some(a) => reply.attr(&TTL, &a),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let mut m = lock!(self);
        if m.frozen && (mode.is_some() || size.is_some()) {
            return reply.error(Errno::EIO);
        }
        let Some(n) = m.nodes.get_mut(&ino.0) else { return reply.error(Errno::ENOENT) };
        if let Some(mode) = mode {
            n.perm = (mode & 0o7777) as u16;
        }
        if let Some(size) = size {
            match &mut n.kind {
                Kind::File { data, .. } => data.truncate(size),
                Kind::Dir { .. } => return reply.error(Errno::EISDIR),
            }
            n.mtime = SystemTime::now();
        }
        let a = m.attr(ino.0).unwrap();
        reply.attr(&TTL, &a)
    }

    fn mkdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, mode: u32, _umask: u32, reply: ReplyEntry) {
        let mut m = lock!(self);
        let kind = Kind::Dir { entries: BTreeMap::new(), synced: BTreeMap::new() };
        match m.make(parent.0, name, kind, (mode & 0o7777) as u16) {
            Ok(ino) => reply.entry(&TTL, &m.attr(ino).unwrap(), Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        let mut m = lock!(self);
        let kind = Kind::File { data: Data::default(), synced: Data::default() };
        match m.make(parent.0, name, kind, (mode & 0o7777) as u16) {
            Ok(ino) => reply.created(&TTL, &m.attr(ino).unwrap(), Generation(0), FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut m = lock!(self);
        if m.frozen {
            return reply.error(Errno::EIO);
        }
        match m.entries(parent.0).map(|e| e.remove(name)) {
            Ok(Some(_)) => reply.ok(),
            Ok(None) => reply.error(Errno::ENOENT),
            Err(e) => reply.error(e),
        }
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut m = lock!(self);
        if m.frozen {
            return reply.error(Errno::EIO);
        }
        let ino = match m.lookup(parent.0, name) {
            Ok(i) => i,
            Err(e) => return reply.error(e),
        };
        if !m.is_empty_dir(ino) {
            return reply.error(Errno::ENOTEMPTY);
        }
        m.entries(parent.0).unwrap().remove(name);
        reply.ok()
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        let mut m = lock!(self);
        if m.frozen {
            return reply.error(Errno::EIO);
        }
        let ino = match m.lookup(parent.0, name) {
            Ok(i) => i,
            Err(e) => return reply.error(e),
        };
        if let Ok(existing) = m.lookup(newparent.0, newname) {
            if flags.contains(RenameFlags::RENAME_NOREPLACE) {
                return reply.error(Errno::EEXIST);
            }
            if matches!(m.nodes.get(&existing).map(|n| &n.kind), Some(Kind::Dir { .. })) && !m.is_empty_dir(existing) {
                return reply.error(Errno::ENOTEMPTY);
            }
        }
        if !flags.is_empty() && flags != RenameFlags::RENAME_NOREPLACE {
            return reply.error(Errno::EINVAL);
        }
        if let Err(e) = m.entries(newparent.0) {
            return reply.error(e);
        }
        m.entries(parent.0).unwrap().remove(name);
        m.entries(newparent.0).unwrap().insert(newname.to_owned(), ino);
        reply.ok()
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        // O_TRUNC comes as a setattr of size 0.
        if !lock!(self).nodes.contains_key(&ino.0) {
            return reply.error(Errno::ENOENT);
        }
        reply.opened(FileHandle(0), FopenFlags::empty())
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let m = lock!(self);
        match m.nodes.get(&ino.0).map(|n| &n.kind) {
            Some(Kind::File { data, .. }) => reply.data(&data.read(offset, size as usize)),
            Some(_) => reply.error(Errno::EISDIR),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let mut m = lock!(self);
        if m.frozen {
            return reply.error(Errno::EIO);
        }
        match m.nodes.get_mut(&ino.0) {
            Some(Node { kind: Kind::File { data: d, .. }, mtime, .. }) => {
                d.write(offset, data);
                *mtime = SystemTime::now();
                reply.written(data.len() as u32)
            }
            Some(_) => reply.error(Errno::EISDIR),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn flush(&self, _req: &Request, _ino: INodeNo, _fh: FileHandle, _lock_owner: LockOwner, reply: ReplyEmpty) {
        reply.ok()
    }

    fn fsync(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        let mut m = lock!(self);
        if m.frozen {
            return reply.error(Errno::EIO);
        }
        m.file_syncs += 1;
        match m.nodes.get_mut(&ino.0).map(|n| &mut n.kind) {
            Some(Kind::File { data, synced }) => *synced = data.clone(),
            // fsync on a directory opened as a file (O_RDONLY, then fsync(2)).
            Some(Kind::Dir { entries, synced }) => *synced = entries.clone(),
            None => return reply.error(Errno::ENOENT),
        }
        reply.ok()
    }

    fn opendir(&self, _req: &Request, _ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        reply.opened(FileHandle(0), FopenFlags::empty())
    }

    fn readdir(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, offset: u64, mut reply: ReplyDirectory) {
        let mut m = lock!(self);
        let entries: Vec<(OsString, u64)> = match m.entries(ino.0) {
            Ok(e) => e.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            Err(e) => return reply.error(e),
        };
        let mut all =
            vec![(OsString::from("."), ino.0, FileType::Directory), (OsString::from(".."), 1, FileType::Directory)];
        for (name, child) in entries {
            let kind = match m.nodes.get(&child).map(|n| &n.kind) {
                Some(Kind::Dir { .. }) => FileType::Directory,
                _ => FileType::RegularFile,
            };
            all.push((name, child, kind));
        }
        for (i, (name, child, kind)) in all.into_iter().enumerate().skip(offset as usize) {
            if reply.add(INodeNo(child), (i + 1) as u64, kind, &name) {
                break;
            }
        }
        reply.ok()
    }

    fn fsyncdir(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        let mut m = lock!(self);
        if m.frozen {
            return reply.error(Errno::EIO);
        }
        m.dir_syncs += 1;
        match m.nodes.get_mut(&ino.0).map(|n| &mut n.kind) {
            Some(Kind::Dir { entries, synced }) => *synced = entries.clone(),
            Some(_) => return reply.error(Errno::ENOTDIR),
            None => return reply.error(Errno::ENOENT),
        }
        reply.ok()
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        // 1 GiB with most of it free.
        reply.statfs(262_144, 200_000, 200_000, 1_000_000, 900_000, PAGE as u32, 255, PAGE as u32)
    }

    fn access(&self, _req: &Request, _ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        reply.ok()
    }
}

/// A mounted power-cut file system.
pub struct PowerCutFs {
    model: Arc<Mutex<Model>>,
    mountpoint: PathBuf,
    session: Option<BackgroundSession>,
}

/// What the file system saw: syncs, and what cuts threw away.
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    pub file_syncs: u64,
    pub dir_syncs: u64,
    pub lost_files: u64,
    pub lost_entries: u64,
}

impl PowerCutFs {
    /// Mounts an empty file system at `mountpoint` (an empty directory).
    pub fn mount(mountpoint: &Path) -> std::io::Result<PowerCutFs> {
        let mut fs = PowerCutFs {
            model: Arc::new(Mutex::new(Model::new())),
            mountpoint: mountpoint.to_path_buf(),
            session: None,
        };
        fs.remount()?;
        Ok(fs)
    }

    fn remount(&mut self) -> std::io::Result<()> {
        if let Some(s) = self.session.take() {
            s.umount_and_join()?;
        }
        self.model.lock().unwrap().frozen = false;
        let mut cfg = Config::default();
        cfg.mount_options = vec![MountOption::FSName("powercut".into()), MountOption::DefaultPermissions];
        cfg.acl = SessionACL::Owner;
        cfg.n_threads = Some(2);
        self.session = Some(fuser::spawn_mount(Fs(self.model.clone()), &self.mountpoint, &cfg)?);
        Ok(())
    }

    /// Makes everything written so far survive cuts (what a test set up beforehand).
    pub fn sync_all(&self) {
        self.model.lock().unwrap().sync_all();
    }

    /// The power goes: unsynced data and entries are forgotten, and nothing changes any
    /// more until [`PowerCutFs::restore_power`].
    pub fn cut(&self) {
        self.model.lock().unwrap().cut();
    }

    /// Mounts the file system again (the machine boots): only what survived the cut.
    /// Every process that had files open on it must be gone.
    pub fn restore_power(&mut self) -> std::io::Result<()> {
        self.remount()
    }

    /// The files whose unsynced data the cuts threw away (by name), and how often.
    pub fn lost_paths(&self) -> BTreeMap<String, u64> {
        self.model.lock().unwrap().lost_paths.clone()
    }

    pub fn counts(&self) -> Counts {
        let m = self.model.lock().unwrap();
        Counts {
            file_syncs: m.file_syncs,
            dir_syncs: m.dir_syncs,
            lost_files: m.lost_files,
            lost_entries: m.lost_entries,
        }
    }
}

impl Drop for PowerCutFs {
    fn drop(&mut self) {
        if let Some(s) = self.session.take() {
            let _ = s.umount_and_join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Data;

    #[test]
    fn pages_read_back_what_was_written_and_truncation_zeroes_the_tail() {
        let mut d = Data::default();
        d.write(4090, &[1; 20]);
        assert_eq!(d.size, 4110);
        assert_eq!(d.read(4088, 30), [&[0, 0][..], &[1; 20]].concat());
        let synced = d.clone();
        d.write(0, &[7; 3]);
        assert_eq!(synced.read(0, 3), [0, 0, 0], "a synced copy does not see later writes");
        d.truncate(4095);
        d.write(5000, &[2]);
        assert_eq!(d.read(4094, 2), [1, 0]);
    }
}
