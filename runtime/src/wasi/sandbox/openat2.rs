//! The Linux resolver: parent directories are opened with `openat2(2)` and
//! `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`.
//!
//! Why: with `RESOLVE_BENEATH` the kernel itself refuses, for the whole
//! lookup, to leave the starting directory — `..` at it, an absolute path
//! or absolute symlink target, and (with `RESOLVE_NO_MAGICLINKS`) `/proc`
//! magic links all fail. The rule is then enforced by the kernel rather
//! than by our own symlink expansion, inside one lookup that it keeps
//! consistent: a host process swapping a symlink or renaming a directory
//! while we resolve cannot redirect the lookup outside the sandbox (the
//! kernel retries or fails it instead). It also takes one syscall instead
//! of one or two per component. Violations are reported as `EXDEV`, which
//! we map to `ENOTCAPABLE`.
//!
//! Every lookup starts from the caller's base directory with the whole
//! remaining path, so confinement is always relative to the base. Only the
//! final component stays ours: it is expanded with `readlinkat` when the
//! guest asked to follow it (the target is spliced into the path and the
//! parent resolved again, still beneath the base), so the `*at` operation
//! on it keeps `O_NOFOLLOW` semantics exactly as with the portable walk.
//!
//! `openat2` may be missing (kernels before 5.6, `ENOSYS`) or refused by a
//! seccomp filter (`ENOSYS`, `EPERM` or `EACCES`, e.g. older container
//! runtimes). A probe decides once per process, cached in an atomic, and
//! the portable walk takes over when it fails.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU8, Ordering};

use super::{cname, components, read_link, require_dir, Resolved, MAX_SYMLINK_EXPANSIONS};
use crate::wasi::errno::Errno;
use crate::wasi::memory::WasiResult;

/// How intermediate directories are opened: `O_PATH` only needs search
/// permission, like the walk. No `O_NOFOLLOW`: the last component of a
/// parent path is an intermediate one for the guest, so it is followed
/// (confined by `RESOLVE_BENEATH`).
const DIR_FLAGS: u64 = (libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) as u64;

/// Resolution constraints for every call.
const RESOLVE: u64 = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS;

/// How often a lookup is retried when the kernel reports `EAGAIN`, which
/// `RESOLVE_BENEATH` does when a concurrent rename or mount anywhere on the
/// system means it cannot vouch for a `..` step.
const EAGAIN_RETRIES: u32 = 16;

/// [`STATE`] values.
const UNKNOWN: u8 = 0;
const USABLE: u8 = 1;
const UNUSABLE: u8 = 2;

/// Whether `openat2` works here; probed on first use.
static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

#[cfg(test)]
thread_local! {
    /// Test-only override that makes [`usable`] false on this thread.
    static DISABLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Test-only count of `openat2` calls made on this thread.
    static CALLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Whether path resolution should use `openat2`.
pub(super) fn usable() -> bool {
    #[cfg(test)]
    if DISABLED.with(std::cell::Cell::get) {
        return false;
    }
    match STATE.load(Ordering::Relaxed) {
        USABLE => true,
        UNUSABLE => false,
        _ => {
            let ok = probe();
            // Racing first callers all probe and store the same answer.
            STATE.store(if ok { USABLE } else { UNUSABLE }, Ordering::Relaxed);
            ok
        }
    }
}

/// Asks the kernel with a lookup that cannot succeed and cannot be denied:
/// the flags are validated first (an unknown one is `EINVAL`), then the
/// empty path fails with `ENOENT` before any permission check or lookup.
/// So `ENOENT` proves the syscall and our flags are accepted; `ENOSYS`,
/// `EPERM` or `EACCES` (seccomp), `EINVAL` or anything else sends us to
/// the walk.
fn probe() -> bool {
    matches!(
        open_beneath(libc::AT_FDCWD, c"", DIR_FLAGS),
        Err(libc::ENOENT)
    )
}

/// Runs `f` with [`usable`] false on the current thread.
#[cfg(test)]
pub(super) fn with_disabled<R>(f: impl FnOnce() -> R) -> R {
    /// Restores the previous setting even if `f` panics.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            DISABLED.with(|d| d.set(self.0));
        }
    }
    let _restore = Restore(DISABLED.with(|d| d.replace(true)));
    f()
}

/// Number of `openat2` calls made so far on the current thread.
#[cfg(test)]
pub(super) fn calls() -> u64 {
    CALLS.with(std::cell::Cell::get)
}

/// `openat2(dir, path, {flags, mode: 0, resolve: RESOLVE})`, retrying on
/// `EAGAIN` a bounded number of times; `Err` holds the host errno.
fn open_beneath(dir: RawFd, path: &std::ffi::CStr, flags: u64) -> Result<OwnedFd, i32> {
    // `open_how` is `#[non_exhaustive]` in libc, so it is built from zeroes
    // (which also gives the `mode: 0` that non-creating opens require).
    // SAFETY: `open_how` is a plain C struct of integers; all-zero is valid.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = flags;
    how.resolve = RESOLVE;
    let mut retries = 0;
    loop {
        #[cfg(test)]
        CALLS.with(|c| c.set(c.get() + 1));
        // SAFETY: `path` is NUL-terminated and `how` is a live `open_how`
        // whose exact size is passed, so the kernel reads only valid
        // memory; it writes nothing. The syscall has no other preconditions.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                dir,
                path.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if rc >= 0 {
            // Descriptors always fit a `c_int`; the conversion cannot fail.
            let fd = RawFd::try_from(rc).map_err(|_| libc::EOVERFLOW)?;
            // SAFETY: `fd` is a fresh descriptor owned by nobody else.
            return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        let err = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        if err == libc::EAGAIN && retries < EAGAIN_RETRIES {
            retries += 1;
            continue;
        }
        return Err(err);
    }
}

/// Why [`resolve_beneath`] stopped without a result.
enum Stop {
    /// The guest-visible failure.
    Fail(Errno),
    /// `openat2` cannot give the answer; the portable walk must.
    Walk,
}

impl From<Errno> for Stop {
    fn from(e: Errno) -> Stop {
        Stop::Fail(e)
    }
}

/// Opens the directory named by `comps` (joined with `/`) beneath `base`.
fn open_dir(base: RawFd, comps: &[Vec<u8>]) -> Result<OwnedFd, Stop> {
    let path = comps.join(&b'/');
    // The kernel refuses paths of PATH_MAX bytes or more (NUL included)
    // with ENAMETOOLONG; the walk has no such limit, so it takes over.
    if path.len() >= libc::PATH_MAX as usize {
        return Err(Stop::Walk);
    }
    let path = CString::new(path).map_err(|_| Errno::Inval)?;
    open_beneath(base, &path, DIR_FLAGS).map_err(|code| match code {
        // The only source of EXDEV here is a RESOLVE_BENEATH violation.
        libc::EXDEV => Stop::Fail(Errno::Notcapable),
        // Cannot happen after a good probe, but if it does (e.g. a seccomp
        // filter installed later), stop using openat2 for good.
        libc::ENOSYS => {
            STATE.store(UNUSABLE, Ordering::Relaxed);
            Stop::Walk
        }
        // Persistent EAGAIN: the walk does not depend on global counters.
        libc::EAGAIN => Stop::Walk,
        other => Stop::Fail(Errno::from_host(other)),
    })
}

/// Resolves a path already checked by [`super::resolve`] (non-empty,
/// relative, no NUL). `None` means the walk must answer instead.
pub(super) fn resolve(
    base: RawFd,
    path: &[u8],
    follow_final: bool,
    must_be_dir: bool,
) -> Option<WasiResult<Resolved>> {
    match resolve_beneath(base, path, follow_final, must_be_dir) {
        Ok(res) => Some(Ok(res)),
        Err(Stop::Fail(e)) => Some(Err(e)),
        Err(Stop::Walk) => None,
    }
}

/// [`resolve`] with early exits.
fn resolve_beneath(
    base: RawFd,
    path: &[u8],
    follow_final: bool,
    must_be_dir: bool,
) -> Result<Resolved, Stop> {
    let mut comps: Vec<Vec<u8>> = components(path).map(<[u8]>::to_vec).collect();
    // Set when the final symlink's target had no components (e.g. `.`), so
    // the path names the directory holding the link, like the walk does.
    let mut names_dir = false;
    let mut expansions = 0u32;
    loop {
        let last = match comps.last() {
            Some(last) if !names_dir && last.as_slice() != b".." => last,
            // The path names a directory itself (`.`, `a/..`, a link to
            // `.`), so the final operation targets "." inside it.
            _ => {
                let owner = if comps.is_empty() {
                    None
                } else {
                    Some(open_dir(base, &comps)?)
                };
                return Ok(Resolved {
                    dir: owner.as_ref().map_or(base, AsRawFd::as_raw_fd),
                    _owner: owner,
                    name: c".".to_owned(),
                });
            }
        };
        let name = cname(last)?;
        let parent = &comps[..comps.len() - 1];
        // A single component lives in `base` itself: nothing to resolve.
        let owner = if parent.is_empty() {
            None
        } else {
            Some(open_dir(base, parent)?)
        };
        let dir = owner.as_ref().map_or(base, AsRawFd::as_raw_fd);
        let link = if follow_final {
            read_link(dir, &name)?
        } else {
            None
        };
        let Some(link) = link else {
            if must_be_dir {
                require_dir(dir, &name)?;
            }
            return Ok(Resolved {
                _owner: owner,
                dir,
                name,
            });
        };
        expansions += 1;
        if expansions > MAX_SYMLINK_EXPANSIONS {
            return Err(Errno::Loop.into());
        }
        if link.is_empty() {
            return Err(Errno::Noent.into());
        }
        if link[0] == b'/' {
            return Err(Errno::Notcapable.into());
        }
        // Replace the link by its target and resolve again from `base`:
        // its `..` components are confined by the kernel like any other.
        comps.pop();
        let before = comps.len();
        comps.extend(components(&link).map(<[u8]>::to_vec));
        names_dir = comps.len() == before;
    }
}
