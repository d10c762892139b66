//! Path-based functions. Every guest path goes through
//! [`sandbox::resolve`](super::sandbox::resolve) first, and the final
//! operation is an `*at` call that does not follow symlinks.

use std::ffi::CString;
use std::fs::File;
use std::os::fd::FromRawFd;

use super::ctx::{rights, FdEntry, FdKind, WasiCtx};
use super::errno::Errno;
use super::fd_meta::{filestat_bytes, times_spec};
use super::memory::{check, read_bytes, slice_mut, write_bytes, write_u32, WasiResult};
use super::sandbox::{fstat, lstat_at, read_link, resolve, Resolved};

/// `lookupflags.symlink_follow`.
const SYMLINK_FOLLOW: u32 = 1;

/// `oflags` bits.
const O_CREAT: u32 = 1;
const O_DIRECTORY: u32 = 2;
const O_EXCL: u32 = 4;
const O_TRUNC: u32 = 8;

/// `fdflags` bits accepted by `path_open`.
const FD_APPEND: u32 = 1;
const FD_DSYNC: u32 = 2;
const FD_NONBLOCK: u32 = 4;
const FD_RSYNC: u32 = 8;
const FD_SYNC: u32 = 16;

/// The non-path arguments of `path_open`, grouped to keep signatures short.
pub(crate) struct OpenRequest {
    /// `lookupflags` for the final component.
    pub(crate) dirflags: u32,
    /// `oflags` (creat, directory, excl, trunc).
    pub(crate) oflags: u32,
    /// Requested `fs_rights_base`; also selects the host access mode.
    pub(crate) rights_base: u64,
    /// Requested `fs_rights_inheriting`.
    pub(crate) rights_inheriting: u64,
    /// `fdflags` for the new descriptor.
    pub(crate) fdflags: u32,
}

/// The timestamp arguments of `path_filestat_set_times`.
pub(crate) struct Times {
    /// Access time in ns (used with `fstflags.atim`).
    pub(crate) atim: u64,
    /// Modification time in ns (used with `fstflags.mtim`).
    pub(crate) mtim: u64,
    /// `fstflags`.
    pub(crate) flags: u32,
}

/// Host open flags for a `path_open` request (without `O_NOFOLLOW`).
fn open_flags(req: &OpenRequest) -> WasiResult<libc::c_int> {
    if req.oflags & !0xf != 0 || req.fdflags & !0x1f != 0 {
        return Err(Errno::Inval);
    }
    let mut flags = libc::O_CLOEXEC;
    for (bit, host) in [
        (O_CREAT, libc::O_CREAT),
        (O_DIRECTORY, libc::O_DIRECTORY),
        (O_EXCL, libc::O_EXCL),
        (O_TRUNC, libc::O_TRUNC),
    ] {
        if req.oflags & bit != 0 {
            flags |= host;
        }
    }
    for (bit, host) in [
        (FD_APPEND, libc::O_APPEND),
        (FD_DSYNC, libc::O_DSYNC),
        (FD_NONBLOCK, libc::O_NONBLOCK),
        // Hosts have no portable O_RSYNC (on Linux it equals O_SYNC), so the
        // stronger O_SYNC stands in for it.
        (FD_RSYNC, libc::O_SYNC),
        (FD_SYNC, libc::O_SYNC),
    ] {
        if req.fdflags & bit != 0 {
            flags |= host;
        }
    }
    // Like wasi-libc, infer the access mode from the requested rights: it
    // asks for read-ish rights only with O_RDONLY/O_RDWR, and write-ish
    // ones only with O_WRONLY/O_RDWR.
    let read = req.rights_base & rights::READ_LIKE != 0;
    let write = req.rights_base & rights::WRITE_LIKE != 0;
    flags |= if req.oflags & O_DIRECTORY != 0 {
        libc::O_RDONLY
    } else {
        match (read, write) {
            (true, true) => libc::O_RDWR,
            (false, true) => libc::O_WRONLY,
            _ => libc::O_RDONLY,
        }
    };
    Ok(flags)
}

/// Maps a libc return code (0 or -1 with errno) to a result.
fn rc(code: libc::c_int) -> WasiResult<()> {
    if code == 0 {
        Ok(())
    } else {
        Err(Errno::last())
    }
}

impl WasiCtx {
    /// Reads a guest path and resolves it relative to directory `fd`.
    fn resolve_path(
        &self,
        mem: &[u8],
        fd: u32,
        ptr: u32,
        len: u32,
        follow: bool,
    ) -> WasiResult<Resolved> {
        let path = read_bytes(mem, ptr, len)?;
        resolve(self.dir_fd(fd)?, &path, follow)
    }

    /// `path_open(fd, dirflags, path, path_len, oflags, rights_base,
    /// rights_inheriting, fdflags, fd_ptr)`.
    pub(crate) fn path_open(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        path: u32,
        path_len: u32,
        req: OpenRequest,
        fd_ptr: u32,
    ) -> WasiResult<()> {
        check(mem, fd_ptr, 4)?;
        let flags = open_flags(&req)?;
        let inherit = self.entry(fd)?.rights_inheriting;
        let res = self.resolve_path(mem, fd, path, path_len, req.dirflags & SYMLINK_FOLLOW != 0)?;
        // O_NOFOLLOW: symlinks were already expanded (confined) by resolve
        // when asked to, so the kernel must never follow one itself.
        // SAFETY: `res.name` is NUL-terminated; the mode argument is read
        // only when O_CREAT is set and is always supplied.
        let raw = unsafe {
            libc::openat(
                res.dir,
                res.name.as_ptr(),
                flags | libc::O_NOFOLLOW,
                0o666 as libc::c_uint,
            )
        };
        if raw < 0 {
            return Err(Errno::last());
        }
        // SAFETY: `raw` is a fresh descriptor owned by nothing else.
        let file = unsafe { File::from_raw_fd(raw) };
        let st = fstat(raw)?;
        let kind = if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
            FdKind::Dir {
                file,
                preopen: None,
                listing: None,
            }
        } else {
            FdKind::File(file)
        };
        let new_fd = self.insert(FdEntry {
            kind,
            rights_base: req.rights_base & inherit,
            rights_inheriting: req.rights_inheriting & inherit,
        })?;
        write_u32(mem, fd_ptr, new_fd)
    }

    /// `path_create_directory(fd, path, path_len)`.
    pub(crate) fn path_create_directory(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        path: u32,
        len: u32,
    ) -> WasiResult<()> {
        let res = self.resolve_path(mem, fd, path, len, false)?;
        // SAFETY: `res.name` is NUL-terminated.
        rc(unsafe { libc::mkdirat(res.dir, res.name.as_ptr(), 0o777) })
    }

    /// `path_remove_directory(fd, path, path_len)`.
    pub(crate) fn path_remove_directory(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        path: u32,
        len: u32,
    ) -> WasiResult<()> {
        let res = self.resolve_path(mem, fd, path, len, false)?;
        // SAFETY: `res.name` is NUL-terminated.
        rc(unsafe { libc::unlinkat(res.dir, res.name.as_ptr(), libc::AT_REMOVEDIR) })
    }

    /// `path_unlink_file(fd, path, path_len)`.
    pub(crate) fn path_unlink_file(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        path: u32,
        len: u32,
    ) -> WasiResult<()> {
        let res = self.resolve_path(mem, fd, path, len, false)?;
        // SAFETY: `res.name` is NUL-terminated.
        rc(unsafe { libc::unlinkat(res.dir, res.name.as_ptr(), 0) })
    }

    /// `path_rename(fd, old_path, old_len, new_fd, new_path, new_len)`,
    /// arguments grouped as `[fd, ptr, len]` per side.
    pub(crate) fn path_rename(
        &mut self,
        mem: &mut [u8],
        old: [u32; 3],
        new: [u32; 3],
    ) -> WasiResult<()> {
        let from = self.resolve_path(mem, old[0], old[1], old[2], false)?;
        let to = self.resolve_path(mem, new[0], new[1], new[2], false)?;
        // SAFETY: both names are NUL-terminated.
        rc(unsafe { libc::renameat(from.dir, from.name.as_ptr(), to.dir, to.name.as_ptr()) })
    }

    /// `path_link(old_fd, old_flags, old_path, old_len, new_fd, new_path,
    /// new_len)`, grouped as `[fd, flags, ptr, len]` and `[fd, ptr, len]`.
    pub(crate) fn path_link(
        &mut self,
        mem: &mut [u8],
        old: [u32; 4],
        new: [u32; 3],
    ) -> WasiResult<()> {
        let follow = old[1] & SYMLINK_FOLLOW != 0;
        let from = self.resolve_path(mem, old[0], old[2], old[3], follow)?;
        let to = self.resolve_path(mem, new[0], new[1], new[2], false)?;
        // SAFETY: both names are NUL-terminated. Flags 0: a final symlink
        // is linked itself (resolve already followed it if requested).
        rc(unsafe { libc::linkat(from.dir, from.name.as_ptr(), to.dir, to.name.as_ptr(), 0) })
    }

    /// `path_symlink(old_path, old_len, fd, new_path, new_len)`.
    ///
    /// Absolute targets are refused with `ENOTCAPABLE`: the sandbox would
    /// never follow them, and such a link could mislead host tools later.
    pub(crate) fn path_symlink(
        &mut self,
        mem: &mut [u8],
        target: u32,
        target_len: u32,
        fd: u32,
        path: u32,
        len: u32,
    ) -> WasiResult<()> {
        let target = read_bytes(mem, target, target_len)?;
        if target.first() == Some(&b'/') {
            return Err(Errno::Notcapable);
        }
        let target = CString::new(target).map_err(|_| Errno::Inval)?;
        let res = self.resolve_path(mem, fd, path, len, false)?;
        // SAFETY: both strings are NUL-terminated.
        rc(unsafe { libc::symlinkat(target.as_ptr(), res.dir, res.name.as_ptr()) })
    }

    /// `path_readlink(fd, path, path_len, buf, buf_len, bufused_ptr)`,
    /// grouped as `[ptr, len]` pairs. A target longer than the buffer is
    /// truncated, as WASI allows.
    pub(crate) fn path_readlink(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        path: [u32; 2],
        buf: [u32; 2],
        bufused_ptr: u32,
    ) -> WasiResult<()> {
        check(mem, bufused_ptr, 4)?;
        let res = self.resolve_path(mem, fd, path[0], path[1], false)?;
        let Some(target) = read_link(res.dir, &res.name)? else {
            // Not a link: report why precisely (ENOENT, or EINVAL for an
            // existing non-link) like readlink(2) does.
            lstat_at(res.dir, &res.name)?;
            return Err(Errno::Inval);
        };
        let out = slice_mut(mem, buf[0], buf[1])?;
        let n = target.len().min(out.len());
        out[..n].copy_from_slice(&target[..n]);
        let n = u32::try_from(n).map_err(|_| Errno::Overflow)?;
        write_u32(mem, bufused_ptr, n)
    }

    /// `path_filestat_get(fd, flags, path, path_len, buf)`.
    pub(crate) fn path_filestat_get(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        flags: u32,
        path: u32,
        len: u32,
        buf: u32,
    ) -> WasiResult<()> {
        check(mem, buf, 64)?;
        let res = self.resolve_path(mem, fd, path, len, flags & SYMLINK_FOLLOW != 0)?;
        let st = lstat_at(res.dir, &res.name)?;
        write_bytes(mem, buf, &filestat_bytes(&st))
    }

    /// `path_filestat_set_times(fd, flags, path, path_len, atim, mtim,
    /// fst_flags)`.
    pub(crate) fn path_filestat_set_times(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        flags: u32,
        path: u32,
        len: u32,
        times: Times,
    ) -> WasiResult<()> {
        let spec = times_spec(times.atim, times.mtim, times.flags)?;
        let res = self.resolve_path(mem, fd, path, len, flags & SYMLINK_FOLLOW != 0)?;
        // SAFETY: `res.name` is NUL-terminated and `spec` has two entries.
        rc(unsafe {
            libc::utimensat(
                res.dir,
                res.name.as_ptr(),
                spec.as_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        })
    }
}
