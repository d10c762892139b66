//! The on-disk code cache: one file per compiled module, named after its key,
//! mapped read-only + executable straight from the file so that OS processes
//! running the same library share its code pages.
//!
//! Files are untrusted: one not owned by this user, writable by others, or
//! failing any check of [`format::decode`] is reported and recompiled, never
//! executed. Writers never modify a file in place: each writes a temporary
//! file and renames it over the entry, so two processes compiling the same
//! module at once both succeed and readers see a whole file or none.

mod checksum;
mod evict;
pub(crate) mod file_key;
pub(crate) mod format;
mod key;
pub(crate) mod trampoline_set;

use crate::compile::image::{CodeImage, CodeLayout};
use crate::compile::trampolines::TrampolineCode;
use crate::compile::trap_table::TrapTable;
use crate::error::{Error, Result};
use crate::file_cache::FileIdentity;
use crate::vm::code_memory::CodeMemory;
use file_key::FileKey;
use format::Key;
pub(crate) use key::{covered_parts, covered_parts_but_bodies};
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Largest cache file read (like the largest module file).
const MAX_FILE: u64 = 4 << 30;
/// Largest trampoline set read (`MAX_SAVED` trampolines of a few hundred
/// bytes each fit many times over).
const MAX_TRAMPOLINE_SET: u64 = 64 << 20;

/// A cache directory that passed the ownership checks.
#[derive(Debug)]
pub(crate) struct DiskCache {
    dir: PathBuf,
    /// Bytes of entries kept (see `evict`).
    size_limit: u64,
}

/// Code mapped from a cache file, ready to run.
pub(crate) struct MappedCode {
    pub memory: Arc<CodeMemory>,
    pub layout: CodeLayout,
}

/// The answer to a lookup.
pub(crate) enum Lookup {
    Hit(MappedCode),
    Miss,
    /// A file is there but must not be used.
    Rejected,
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096)
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

/// Whether a file or directory with `meta` is safe to trust: ours and
/// writable by no one else.
fn trusted(meta: &std::fs::Metadata) -> std::result::Result<(), String> {
    if meta.uid() != euid() {
        return Err(format!("owned by uid {}, not by this user", meta.uid()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "writable by others (mode {:o})",
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

impl DiskCache {
    /// Uses `dir` (created, mode 0700, if missing) as the cache directory,
    /// keeping at most `size_limit` bytes of entries. Fails if it is not a
    /// directory of this user's that only they can write.
    pub fn open(dir: &Path, size_limit: u64) -> Result<DiskCache> {
        let fail = |why: String| Error::msg(format!("code cache {}: {why}", dir.display()));
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| fail(e.to_string()))?;
        let meta = std::fs::metadata(dir).map_err(|e| fail(e.to_string()))?;
        if !meta.is_dir() {
            return Err(fail("not a directory".into()));
        }
        trusted(&meta).map_err(fail)?;
        Ok(DiskCache {
            dir: dir.to_path_buf(),
            size_limit,
        })
    }

    fn entry_path(&self, key: &Key) -> PathBuf {
        let mut name = String::with_capacity(2 * key.len() + 5);
        for byte in key {
            name.push_str(&format!("{byte:02x}"));
        }
        name.push_str(".code");
        self.dir.join(name)
    }

    /// The code cached under `key`, mapped and checked.
    pub fn load(&self, key: &Key) -> Lookup {
        let file = match self.open_entry(key) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Miss,
            Err(_) => return Lookup::Rejected,
        };
        match map_checked(&file, key) {
            Ok(code) => {
                evict::touch(&file);
                Lookup::Hit(code)
            }
            Err(_) => Lookup::Rejected,
        }
    }

    /// The trampoline set saved under `key`; `None` when there is none or
    /// it must not be used.
    pub fn load_trampolines(&self, key: &Key) -> Option<Vec<TrampolineCode>> {
        let mut file = self.open_entry(key).ok()?;
        let len = checked_len(&file, MAX_TRAMPOLINE_SET).ok()?;
        let mut bytes = Vec::with_capacity(len);
        file.read_to_end(&mut bytes).ok()?;
        let set = trampoline_set::decode(&bytes, key).ok()?;
        evict::touch(&file);
        Some(set)
    }

    /// Saves `set` under `key`, replacing the set there.
    pub fn store_trampolines(&self, key: &Key, set: &[TrampolineCode]) -> Result<()> {
        self.write_entry(key, &trampoline_set::encode(key, set))
            .map(drop)
    }

    /// What the file index says about the module file with `identity`
    /// under the code settings `fingerprint`, if it has a usable entry.
    pub fn load_file_key(
        &self,
        fingerprint: &[u8; 32],
        identity: &FileIdentity,
    ) -> Option<FileKey> {
        let name = file_key_name(fingerprint, identity);
        let mut file = self.open_entry(&name).ok()?;
        let len = checked_len(&file, file_key::LEN as u64).ok()?;
        let mut bytes = Vec::with_capacity(len);
        file.read_to_end(&mut bytes).ok()?;
        let entry = file_key::decode(&bytes, &name, identity).ok()?;
        evict::touch(&file);
        Some(entry)
    }

    /// Records `entry` for the module file with `identity` under the code
    /// settings `fingerprint` (the caller checks `file_key::settled`).
    pub fn store_file_key(
        &self,
        fingerprint: &[u8; 32],
        identity: &FileIdentity,
        entry: &FileKey,
    ) -> Result<()> {
        let name = file_key_name(fingerprint, identity);
        self.write_entry(&name, &file_key::encode(&name, identity, entry))
            .map(drop)
    }

    /// Writes `image` under `key` and maps the written file, so this process
    /// shares its pages with later ones too.
    pub fn store(&self, key: &Key, image: &CodeImage) -> Result<MappedCode> {
        let bytes = format::encode(key, image, page_size());
        let file = self.write_entry(key, &bytes)?;
        let mut memory = CodeMemory::map_file(&file, bytes.len())?;
        let text = bytes.len() - image.text.len()..bytes.len();
        memory.make_executable(text)?;
        Ok(MappedCode {
            memory: Arc::new(memory),
            layout: image.layout.clone(),
        })
    }

    /// Opens the entry for `key` to read, never through a symbolic link.
    fn open_entry(&self, key: &Key) -> std::io::Result<File> {
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(self.entry_path(key))
    }

    /// Writes `bytes` as the entry for `key` (through a temporary file
    /// renamed over it) and returns the file, still open for reading.
    fn write_entry(&self, key: &Key, bytes: &[u8]) -> Result<File> {
        let temp = self.temp_path();
        let fail = |e: std::io::Error| Error::msg(format!("code cache {}: {e}", temp.display()));
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&temp)
            .map_err(fail)?;
        let entry = self.entry_path(key);
        let written = file
            .write_all(bytes)
            .map_err(fail)
            .and_then(|()| std::fs::rename(&temp, &entry).map_err(fail));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
        evict::evict(&self.dir, self.size_limit, &entry);
        Ok(file)
    }

    /// A name no other writer uses: process id, a per-process counter and time.
    fn temp_path(&self) -> PathBuf {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        self.dir
            .join(format!(".tmp-{}-{n}-{nanos}", std::process::id()))
    }
}

/// The name of the file index entry of the file with `identity` under the
/// code settings `fingerprint` (a key of its own, never a module's: module
/// keys hash a module's bytes, this hashes a tag that no module starts with).
fn file_key_name(fingerprint: &[u8; 32], identity: &FileIdentity) -> Key {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(fingerprint);
    hasher.update(b"wrun file index");
    hasher.update(identity.to_bytes());
    hasher.finalize().into()
}

/// The length of the entry `file`, checked to be a regular file of ours
/// that no one else can write, of at most `max` bytes.
fn checked_len(file: &File, max: u64) -> std::result::Result<usize, String> {
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    trusted(&meta)?;
    if meta.len() > max {
        return Err("file too large".into());
    }
    usize::try_from(meta.len()).map_err(|_| "file too large".into())
}

/// Maps `file` and checks it is the entry for `key` before making its text
/// executable.
fn map_checked(file: &File, key: &Key) -> std::result::Result<MappedCode, String> {
    let len = checked_len(file, MAX_FILE)?;
    let mut memory = CodeMemory::map_file(file, len).map_err(|e| e.to_string())?;
    let decoded = format::decode(memory.bytes(), key, page_size())?;
    memory
        .make_executable(decoded.text)
        .map_err(|e| e.to_string())?;
    let memory = Arc::new(memory);
    let mut layout = decoded.layout;
    layout.traps = TrapTable::in_mapping(memory.clone(), decoded.traps);
    Ok(MappedCode { memory, layout })
}
