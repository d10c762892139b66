//! Confinement of guest paths to the directory descriptor they are relative to.
//!
//! Every escape attempt — an absolute path, `..` above the base, an absolute
//! symlink target, or a relative one that climbs out — fails with
//! [`Errno::Notcapable`] (76), the errno WASI defines for "outside the
//! capability". [`resolve`] turns a guest path into a parent directory and a
//! final component, using one of two resolvers with identical semantics:
//!
//! - On Linux, the kernel's `openat2(2)` with `RESOLVE_BENEATH` (see
//!   [`openat2`]) opens the parent directory. The kernel then enforces the
//!   confinement itself, atomically for the whole lookup, so a host process
//!   swapping a symlink or renaming a directory mid-resolution cannot make
//!   it leave the base; it reports such escapes as `EXDEV`, mapped to
//!   `ENOTCAPABLE`.
//! - Elsewhere, or where `openat2` is missing (kernels before 5.6) or
//!   blocked by a seccomp filter, the portable walk below: guest paths are
//!   resolved one component at a time with `openat` and `O_NOFOLLOW`, never
//!   by handing a multi-component path to the kernel, so the kernel can
//!   never walk through `..` or a symlink on our behalf. The walk keeps a
//!   stack of opened directories: `..` pops it, and popping past the
//!   starting directory fails. Symlinks are expanded here by reading them
//!   with `readlinkat` and splicing their target into the pending
//!   components, which subjects the target to the same rules.
//!
//! Either way a final symlink is expanded by us (with `readlinkat`) and only
//! when the guest asked to follow it. The operation on the final component
//! is then performed by the caller with `*at` calls on the returned parent
//! directory, using `O_NOFOLLOW`/`AT_SYMLINK_NOFOLLOW`, so even a symlink
//! swapped in by a host process after resolution is not followed.

use std::collections::VecDeque;
use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::errno::Errno;
use super::memory::WasiResult;

#[cfg(target_os = "linux")]
mod openat2;

/// Upper bound on symlink expansions per resolution, like the host's
/// `MAXSYMLINKS`; prevents cycles from looping forever.
const MAX_SYMLINK_EXPANSIONS: u32 = 40;

/// Flags for opening intermediate directories. `O_PATH` (Linux) only needs
/// search permission, matching what the kernel requires for path traversal.
#[cfg(target_os = "linux")]
const WALK_FLAGS: libc::c_int =
    libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
#[cfg(not(target_os = "linux"))]
const WALK_FLAGS: libc::c_int =
    libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;

/// A resolved guest path: the final component and the directory holding it.
pub(crate) struct Resolved {
    /// Keeps an intermediate directory open while `dir` is in use; `None`
    /// when `dir` is the caller's base descriptor.
    _owner: Option<OwnedFd>,
    /// Directory to pass as `dirfd` to the final `*at` call.
    pub(crate) dir: RawFd,
    /// Final component (never contains `/`; `"."` for the directory itself).
    pub(crate) name: CString,
}

/// Resolves guest `path` relative to the directory `base`.
///
/// Intermediate symlinks are always followed (confined); the final one only
/// when `follow_final` is set (WASI `lookupflags.symlink_follow`) or the
/// path ends in `/`, which by POSIX rules names the link's target. A
/// trailing `/` also requires an existing final entry to be a directory.
///
/// Uses `openat2` where the kernel allows it and the portable walk
/// otherwise; both give the same results (see the module documentation).
pub(crate) fn resolve(base: RawFd, path: &[u8], follow_final: bool) -> WasiResult<Resolved> {
    if path.is_empty() {
        return Err(Errno::Noent);
    }
    if path.contains(&0) {
        return Err(Errno::Inval);
    }
    if path[0] == b'/' {
        return Err(Errno::Notcapable);
    }
    let must_be_dir = path.ends_with(b"/");
    let follow_final = follow_final || must_be_dir;
    #[cfg(target_os = "linux")]
    if openat2::usable() {
        // `None`: this path is beyond what openat2 can answer (see there).
        if let Some(res) = openat2::resolve(base, path, follow_final, must_be_dir) {
            return res;
        }
    }
    walk(base, path, follow_final, must_be_dir)
}

/// Whether [`resolve`] uses `openat2` on this host (tests report it).
#[cfg(test)]
pub(crate) fn openat2_in_use() -> bool {
    #[cfg(target_os = "linux")]
    return openat2::usable();
    #[cfg(not(target_os = "linux"))]
    return false;
}

/// Runs `f` with the portable walk forced on the current thread, so tests
/// can check that both resolvers behave the same.
#[cfg(test)]
pub(crate) fn with_walk_forced<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_os = "linux")]
    return openat2::with_disabled(f);
    #[cfg(not(target_os = "linux"))]
    return f();
}

/// Number of `openat2` calls made so far on the current thread (tests use
/// it to check that the kernel resolver really ran).
#[cfg(test)]
pub(crate) fn openat2_calls() -> u64 {
    #[cfg(target_os = "linux")]
    return openat2::calls();
    #[cfg(not(target_os = "linux"))]
    return 0;
}

/// Splits a path into its non-empty components, dropping `.` entries.
fn components(path: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
}

/// Reads the target of `name` in `dir` if it is a symlink.
///
/// Returns `Ok(None)` when it is not a symlink or does not exist, because
/// then the caller should simply operate on the name as it is.
pub(crate) fn read_link(dir: RawFd, name: &CStr) -> WasiResult<Option<Vec<u8>>> {
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: `name` is NUL-terminated and `buf` is writable for
        // `buf.len()` bytes; readlinkat writes at most that many.
        let n = unsafe { libc::readlinkat(dir, name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let err = Errno::last();
            return match err {
                Errno::Inval | Errno::Noent => Ok(None),
                other => Err(other),
            };
        }
        let n = usize::try_from(n).map_err(|_| Errno::Io)?;
        if n < buf.len() {
            buf.truncate(n);
            return Ok(Some(buf));
        }
        // The target may have been truncated; retry with more room, bounded
        // so a pathological filesystem cannot exhaust memory.
        if buf.len() >= 1 << 16 {
            return Err(Errno::Nametoolong);
        }
        buf.resize(buf.len() * 2, 0);
    }
}

/// `fstatat` without following symlinks.
pub(crate) fn lstat_at(dir: RawFd, name: &CStr) -> WasiResult<libc::stat> {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `name` is NUL-terminated and `st` is a valid out-pointer.
    let rc = unsafe { libc::fstatat(dir, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) };
    if rc != 0 {
        return Err(Errno::last());
    }
    Ok(st)
}

/// `fstat` on a host descriptor.
pub(crate) fn fstat(fd: RawFd) -> WasiResult<libc::stat> {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid out-pointer; a bad fd only yields EBADF.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(Errno::last());
    }
    Ok(st)
}

/// Opens `name` in `dir` as a directory, refusing to follow a symlink.
fn open_dir_step(dir: RawFd, name: &CStr) -> Result<OwnedFd, i32> {
    // SAFETY: `name` is NUL-terminated; `openat` has no other preconditions.
    let fd = unsafe { libc::openat(dir, name.as_ptr(), WALK_FLAGS) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO));
    }
    // SAFETY: `fd` is a fresh descriptor owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Converts a component to a C string (components never contain NUL
/// because whole paths are checked first).
fn cname(comp: &[u8]) -> WasiResult<CString> {
    CString::new(comp).map_err(|_| Errno::Inval)
}

/// The portable resolver behind [`resolve`], for a path it has checked.
fn walk(base: RawFd, path: &[u8], follow_final: bool, must_be_dir: bool) -> WasiResult<Resolved> {
    let mut pending: VecDeque<Vec<u8>> = components(path).map(<[u8]>::to_vec).collect();
    // Directories entered so far; `base` is implicitly at the bottom.
    let mut stack: Vec<OwnedFd> = Vec::new();
    let mut expansions = 0u32;

    while let Some(comp) = pending.pop_front() {
        let cur = stack.last().map_or(base, AsRawFd::as_raw_fd);
        if comp == b".." {
            // Popping an empty stack would leave the base directory.
            stack.pop().ok_or(Errno::Notcapable)?;
            continue;
        }
        let name = cname(&comp)?;
        let target = if pending.is_empty() {
            // Final component: expand it only if asked to follow.
            let link = if follow_final {
                read_link(cur, &name)?
            } else {
                None
            };
            if link.is_none() {
                if must_be_dir {
                    require_dir(cur, &name)?;
                }
                return Ok(Resolved {
                    _owner: stack.pop(),
                    dir: cur,
                    name,
                });
            }
            link
        } else {
            match open_dir_step(cur, &name) {
                Ok(fd) => {
                    stack.push(fd);
                    None
                }
                // A symlink opened with O_NOFOLLOW fails with ELOOP (or
                // ENOTDIR/EMLINK on some hosts); anything else is final.
                Err(code)
                    if code == libc::ELOOP || code == libc::ENOTDIR || code == libc::EMLINK =>
                {
                    match read_link(cur, &name)? {
                        Some(link) => Some(link),
                        None => return Err(Errno::from_host(code)),
                    }
                }
                Err(code) => return Err(Errno::from_host(code)),
            }
        };
        if let Some(link) = target {
            expansions += 1;
            if expansions > MAX_SYMLINK_EXPANSIONS {
                return Err(Errno::Loop);
            }
            if link.is_empty() {
                return Err(Errno::Noent);
            }
            if link[0] == b'/' {
                return Err(Errno::Notcapable);
            }
            // Splice the target in front of what is left, so its `..`
            // components are checked against the same stack.
            for c in components(&link).rev() {
                pending.push_front(c.to_vec());
            }
        }
    }
    // The path named a directory itself (e.g. "a/.." or "."), so the final
    // operation targets "." inside the directory we ended up in.
    let cur = stack.last().map_or(base, AsRawFd::as_raw_fd);
    Ok(Resolved {
        _owner: stack.pop(),
        dir: cur,
        name: c".".to_owned(),
    })
}

/// Fails with `ENOTDIR` if `name` exists and is not a directory.
fn require_dir(dir: RawFd, name: &CStr) -> WasiResult<()> {
    match lstat_at(dir, name) {
        Ok(st) if st.st_mode & libc::S_IFMT != libc::S_IFDIR => Err(Errno::Notdir),
        _ => Ok(()),
    }
}
