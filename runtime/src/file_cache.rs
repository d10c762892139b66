//! Which compiled module a file on disk is, remembered by the engine so that
//! the N-th process of a program does not read, canonicalise and hash its
//! files again: one `stat` per file checks that it is still the same file
//! (device, inode, size, modification and change times), like the
//! "direct mode" of compiler caches. Only files that changed over
//! `file_key::SETTLED` ago are remembered (see `Engine::remember_file`).
//!
//! Entries hold the module code weakly: the module cache's budget decides
//! how long code stays; a file whose code was evicted is simply read again.

use crate::module::ModuleCode;
use hashbrown::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

/// Most files remembered; past it the map starts over (cheap to refill).
const MAX_FILES: usize = 4096;

/// What identifies a file's contents without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileIdentity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileIdentity {
    /// The identity of the file at `path` (following symbolic links).
    pub fn of(path: &Path) -> Option<FileIdentity> {
        let meta = std::fs::metadata(path).ok()?;
        Some(FileIdentity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        })
    }

    /// The change time (seconds and nanoseconds since the epoch).
    pub fn ctime(&self) -> (i64, i64) {
        self.ctime
    }

    /// The identity as 56 bytes (little-endian fields, in order).
    pub fn to_bytes(self) -> [u8; 56] {
        let fields = [
            self.dev,
            self.ino,
            self.size,
            self.mtime.0 as u64,
            self.mtime.1 as u64,
            self.ctime.0 as u64,
            self.ctime.1 as u64,
        ];
        let mut out = [0; 56];
        for (chunk, field) in out.chunks_exact_mut(8).zip(fields) {
            chunk.copy_from_slice(&field.to_le_bytes());
        }
        out
    }
}

struct Entry {
    identity: FileIdentity,
    canonical: PathBuf,
    code: Weak<ModuleCode>,
}

/// Files by absolute path (as given, not canonicalised).
#[derive(Default)]
pub(crate) struct FileCache {
    files: HashMap<PathBuf, Entry>,
}

/// `path` made absolute against the current directory (no system call
/// besides `getcwd` for a relative path).
pub(crate) fn absolute(path: &Path) -> Option<PathBuf> {
    if path.is_absolute() {
        Some(path.to_path_buf())
    } else {
        Some(std::env::current_dir().ok()?.join(path))
    }
}

impl FileCache {
    /// The code and canonical path of the file at absolute `path`, if it is
    /// the file remembered there and its code is still alive.
    pub fn get(&self, path: &Path, identity: FileIdentity) -> Option<(Arc<ModuleCode>, PathBuf)> {
        let entry = self.files.get(path)?;
        if entry.identity != identity {
            return None;
        }
        Some((entry.code.upgrade()?, entry.canonical.clone()))
    }

    /// Remembers that the file at absolute `path` with `identity` is `code`.
    pub fn insert(
        &mut self,
        path: PathBuf,
        identity: FileIdentity,
        canonical: PathBuf,
        code: &Arc<ModuleCode>,
    ) {
        if self.files.len() >= MAX_FILES {
            self.files.clear();
        }
        self.files.insert(
            path,
            Entry {
                identity,
                canonical,
                code: Arc::downgrade(code),
            },
        );
    }
}
