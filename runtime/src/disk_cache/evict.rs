//! Keeping the cache directory under its size limit: after a new entry is
//! written, the least recently used entries go until the directory holds
//! at most 90% of the limit (so that not every later write evicts again).
//! "Used" is the file's modification time, which a hit refreshes at most
//! once an hour (one `futimens` per module per hour, not per load).
//! Leftover temporary files of writers that died are removed after an hour.
//! Removing an entry another process has mapped is harmless: its mapping
//! stays valid, and the next process to miss compiles and writes it again.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// How stale a hit's timestamp may get before a hit refreshes it.
const TOUCH_AFTER: Duration = Duration::from_secs(3600);

/// Marks the entry `file` as used now, if its timestamp is over an hour old.
pub(crate) fn touch(file: &File) {
    let Ok(modified) = file.metadata().and_then(|m| m.modified()) else {
        return;
    };
    let now = SystemTime::now();
    if now.duration_since(modified).unwrap_or_default() > TOUCH_AFTER {
        let _ = file.set_modified(now);
    }
}

/// Removes the least recently used `*.code` entries of `dir` (never `keep`)
/// until they take at most 90% of `limit` bytes, and temporary files over
/// an hour old. Errors (a file another process removed first) are ignored.
pub(crate) fn evict(dir: &Path, limit: u64, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    let mut files = Vec::new();
    let mut total = 0u64;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        let modified = meta.modified().unwrap_or(now);
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".tmp-") {
            if now.duration_since(modified).unwrap_or_default() > TOUCH_AFTER {
                let _ = std::fs::remove_file(&path);
            }
            continue;
        }
        if !meta.is_file() || !name.ends_with(".code") {
            continue;
        }
        total += meta.len();
        if path != keep {
            files.push((modified, meta.len(), path));
        }
    }
    if total <= limit {
        return;
    }
    let target = limit / 10 * 9;
    files.sort();
    for (_, len, path) in files {
        if total <= target {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
}
