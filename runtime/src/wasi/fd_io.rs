//! Data transfer on descriptors: read/write (positional or not), seeking and
//! syncing.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::FileExt;

use super::ctx::{FdKind, Stdio, WasiCtx};
use super::errno::Errno;
use super::memory::{check, len_usize, read_iovecs, slice, slice_mut, write_u32, write_u64};
use super::memory::{IoVec, WasiResult};

/// Most iovecs passed to one `readv`/`writev`; hosts reject more with
/// `EINVAL` (Linux `IOV_MAX`). Handling only a prefix is a legal short
/// transfer, which guests already have to cope with.
const MAX_IOVECS: usize = 1024;

/// Converts a host byte count to the guest's `size` (u32).
fn guest_size(n: usize) -> WasiResult<u32> {
    u32::try_from(n).map_err(|_| Errno::Overflow)
}

/// Drops iovecs beyond what a single transfer can report: the count is
/// returned as a u32, so the accepted total must fit in one.
fn limit(iovs: &[IoVec]) -> &[IoVec] {
    let mut total: u64 = 0;
    let mut keep = 0;
    for iov in iovs.iter().take(MAX_IOVECS) {
        total += u64::from(iov.len);
        if total > u64::from(u32::MAX) {
            break;
        }
        keep += 1;
    }
    &iovs[..keep]
}

/// `writev` of guest buffers straight from linear memory (no copy).
fn host_writev(fd: RawFd, mem: &[u8], iovs: &[IoVec]) -> WasiResult<usize> {
    let mut host = Vec::with_capacity(iovs.len());
    for iov in limit(iovs) {
        let buf = slice(mem, iov.ptr, iov.len)?;
        host.push(libc::iovec {
            iov_base: buf.as_ptr().cast_mut().cast(),
            iov_len: buf.len(),
        });
    }
    let count = libc::c_int::try_from(host.len()).map_err(|_| Errno::Inval)?;
    // SAFETY: every iovec points into `mem`, which is borrowed for the whole
    // call, and was bounds-checked by `slice`; writev only reads them.
    let n = unsafe { libc::writev(fd, host.as_ptr(), count) };
    usize::try_from(n).map_err(|_| Errno::last())
}

/// `readv` into guest buffers straight in linear memory (no copy).
fn host_readv(fd: RawFd, mem: &mut [u8], iovs: &[IoVec]) -> WasiResult<usize> {
    let mem_len = mem.len();
    // All pointers derive from this single base pointer, so none of them is
    // invalidated by a later reborrow of `mem`.
    let base = mem.as_mut_ptr();
    let mut host = Vec::with_capacity(iovs.len());
    for iov in limit(iovs) {
        let start = len_usize(iov.ptr)?;
        let len = len_usize(iov.len)?;
        if start.checked_add(len).is_none_or(|end| end > mem_len) {
            return Err(Errno::Fault);
        }
        host.push(libc::iovec {
            // SAFETY: `start + len <= mem_len` was checked just above.
            iov_base: unsafe { base.add(start) }.cast(),
            iov_len: len,
        });
    }
    let count = libc::c_int::try_from(host.len()).map_err(|_| Errno::Inval)?;
    // SAFETY: every iovec lies inside `mem`, which is exclusively borrowed
    // for the whole call; the kernel writes at most `iov_len` bytes to each.
    let n = unsafe { libc::readv(fd, host.as_ptr(), count) };
    usize::try_from(n).map_err(|_| Errno::last())
}

/// Writes guest buffers to the host's stdout or stderr, flushing so that
/// output survives a later trap of the guest.
fn write_std(which: Stdio, mem: &[u8], iovs: &[IoVec]) -> WasiResult<usize> {
    fn all(out: &mut dyn Write, mem: &[u8], iovs: &[IoVec]) -> WasiResult<usize> {
        let mut total = 0usize;
        for iov in limit(iovs) {
            let buf = slice(mem, iov.ptr, iov.len)?;
            out.write_all(buf)?;
            total += buf.len();
        }
        out.flush()?;
        Ok(total)
    }
    match which {
        Stdio::Out => all(&mut std::io::stdout().lock(), mem, iovs),
        Stdio::Err => all(&mut std::io::stderr().lock(), mem, iovs),
        Stdio::In => Err(Errno::Badf),
    }
}

/// Reads or writes each buffer at `offset` onwards (pread/pwrite): `op`
/// returns (bytes moved, buffer length); a short transfer ends the loop.
fn positioned_io(
    mem: &mut [u8],
    iovs: &[IoVec],
    offset: u64,
    mut op: impl FnMut(&mut [u8], &IoVec, u64) -> WasiResult<(usize, usize)>,
) -> WasiResult<usize> {
    let mut total = 0usize;
    for iov in limit(iovs) {
        let at = offset.checked_add(total as u64).ok_or(Errno::Inval)?;
        let (n, len) = op(mem, iov, at)?;
        total += n;
        if n < len {
            break;
        }
    }
    Ok(total)
}

impl WasiCtx {
    /// `fd_write(fd, iovs, iovs_len, nwritten_ptr)`.
    pub(crate) fn fd_write(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        iovs_ptr: u32,
        iovs_len: u32,
        nwritten_ptr: u32,
    ) -> WasiResult<()> {
        let iovs = read_iovecs(mem, iovs_ptr, iovs_len)?;
        check(mem, nwritten_ptr, 4)?;
        let n = match &self.entry(fd)?.kind {
            FdKind::Stdio {
                which: Stdio::In, ..
            } => return Err(Errno::Badf),
            FdKind::Stdio {
                capture: Some(buffer),
                ..
            } => {
                let mut total = 0;
                for iov in limit(&iovs) {
                    let bytes = slice(mem, iov.ptr, iov.len)?;
                    buffer.append(bytes);
                    total += bytes.len();
                }
                total
            }
            // Null sink: report everything as written.
            FdKind::Stdio { inherit: false, .. } => limit(&iovs)
                .iter()
                .map(|iov| len_usize(iov.len))
                .sum::<WasiResult<usize>>()?,
            FdKind::Stdio { which, .. } => write_std(*which, mem, &iovs)?,
            FdKind::File(f) => host_writev(f.as_raw_fd(), mem, &iovs)?,
            FdKind::Dir { .. } => return Err(Errno::Badf),
        };
        write_u32(mem, nwritten_ptr, guest_size(n)?)
    }

    /// `fd_read(fd, iovs, iovs_len, nread_ptr)`.
    pub(crate) fn fd_read(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        iovs_ptr: u32,
        iovs_len: u32,
        nread_ptr: u32,
    ) -> WasiResult<()> {
        let iovs = read_iovecs(mem, iovs_ptr, iovs_len)?;
        // Validate before reading: consumed input could not be put back.
        check(mem, nread_ptr, 4)?;
        let n = match &self.entry(fd)?.kind {
            FdKind::Stdio {
                which: Stdio::In,
                inherit: true,
                ..
            } => {
                // Fill only the first non-empty buffer: a second read could
                // block on an interactive stdin after a complete line.
                match iovs.iter().find(|iov| iov.len > 0) {
                    Some(iov) => {
                        let buf = slice_mut(mem, iov.ptr, iov.len)?;
                        std::io::stdin().lock().read(buf)?
                    }
                    None => 0,
                }
            }
            FdKind::Stdio {
                which: Stdio::In, ..
            } => 0,
            FdKind::Stdio { .. } => return Err(Errno::Badf),
            FdKind::File(f) => host_readv(f.as_raw_fd(), mem, &iovs)?,
            FdKind::Dir { .. } => return Err(Errno::Isdir),
        };
        write_u32(mem, nread_ptr, guest_size(n)?)
    }

    /// The regular host file behind `fd`, for positional I/O and friends.
    fn file(&self, fd: u32) -> WasiResult<&std::fs::File> {
        match &self.entry(fd)?.kind {
            FdKind::File(f) => Ok(f),
            FdKind::Dir { .. } => Err(Errno::Isdir),
            FdKind::Stdio { .. } => Err(Errno::Spipe),
        }
    }

    /// `fd_pread(fd, iovs, iovs_len, offset, nread_ptr)`.
    pub(crate) fn fd_pread(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        iovs_ptr: u32,
        iovs_len: u32,
        offset: u64,
        nread_ptr: u32,
    ) -> WasiResult<()> {
        let iovs = read_iovecs(mem, iovs_ptr, iovs_len)?;
        check(mem, nread_ptr, 4)?;
        let file = self.file(fd)?;
        let total = positioned_io(mem, &iovs, offset, |mem, iov, at| {
            let buf = slice_mut(mem, iov.ptr, iov.len)?;
            Ok((file.read_at(buf, at)?, buf.len()))
        })?;
        write_u32(mem, nread_ptr, guest_size(total)?)
    }

    /// `fd_pwrite(fd, iovs, iovs_len, offset, nwritten_ptr)`.
    pub(crate) fn fd_pwrite(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        iovs_ptr: u32,
        iovs_len: u32,
        offset: u64,
        nwritten_ptr: u32,
    ) -> WasiResult<()> {
        let iovs = read_iovecs(mem, iovs_ptr, iovs_len)?;
        check(mem, nwritten_ptr, 4)?;
        let file = self.file(fd)?;
        let total = positioned_io(mem, &iovs, offset, |mem, iov, at| {
            let buf = slice(mem, iov.ptr, iov.len)?;
            Ok((file.write_at(buf, at)?, buf.len()))
        })?;
        write_u32(mem, nwritten_ptr, guest_size(total)?)
    }

    /// `lseek` on a seekable descriptor; stdio is a stream (`ESPIPE`).
    fn seek(&self, fd: u32, offset: i64, whence: libc::c_int) -> WasiResult<u64> {
        let raw = match &self.entry(fd)?.kind {
            FdKind::File(f) => f.as_raw_fd(),
            FdKind::Dir { .. } => return Err(Errno::Badf),
            FdKind::Stdio { .. } => return Err(Errno::Spipe),
        };
        // SAFETY: plain syscall on a descriptor we own; no memory involved.
        let pos = unsafe { libc::lseek(raw, offset, whence) };
        u64::try_from(pos).map_err(|_| Errno::last())
    }

    /// `fd_seek(fd, offset, whence, newoffset_ptr)`.
    pub(crate) fn fd_seek(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        offset: u64,
        whence: u32,
        newoffset_ptr: u32,
    ) -> WasiResult<()> {
        let whence = match whence {
            0 => libc::SEEK_SET,
            1 => libc::SEEK_CUR,
            2 => libc::SEEK_END,
            _ => return Err(Errno::Inval),
        };
        check(mem, newoffset_ptr, 8)?;
        // The offset is a signed filedelta carried in the u64 bits.
        let pos = self.seek(fd, offset as i64, whence)?;
        write_u64(mem, newoffset_ptr, pos)
    }

    /// `fd_tell(fd, offset_ptr)`.
    pub(crate) fn fd_tell(&mut self, mem: &mut [u8], fd: u32, offset_ptr: u32) -> WasiResult<()> {
        check(mem, offset_ptr, 8)?;
        let pos = self.seek(fd, 0, libc::SEEK_CUR)?;
        write_u64(mem, offset_ptr, pos)
    }

    /// Host fd to sync; stdio only needs its std buffers flushed.
    fn sync_target(&self, fd: u32) -> WasiResult<Option<RawFd>> {
        match &self.entry(fd)?.kind {
            FdKind::File(f) => Ok(Some(f.as_raw_fd())),
            FdKind::Dir { file, .. } => Ok(Some(file.as_raw_fd())),
            FdKind::Stdio { .. } => {
                // Output is flushed on every write already; this is cheap.
                std::io::stdout().flush()?;
                Ok(None)
            }
        }
    }

    /// `fd_sync(fd)`: data and metadata to stable storage.
    pub(crate) fn fd_sync(&mut self, fd: u32) -> WasiResult<()> {
        if let Some(raw) = self.sync_target(fd)? {
            // SAFETY: plain syscall on a descriptor we own.
            if unsafe { libc::fsync(raw) } != 0 {
                return Err(Errno::last());
            }
        }
        Ok(())
    }

    /// `fd_datasync(fd)`: data (not necessarily metadata) to stable storage.
    pub(crate) fn fd_datasync(&mut self, fd: u32) -> WasiResult<()> {
        if let Some(raw) = self.sync_target(fd)? {
            #[cfg(target_os = "linux")]
            // SAFETY: plain syscall on a descriptor we own.
            let rc = unsafe { libc::fdatasync(raw) };
            // Hosts without fdatasync get the stronger fsync.
            #[cfg(not(target_os = "linux"))]
            // SAFETY: plain syscall on a descriptor we own.
            let rc = unsafe { libc::fsync(raw) };
            if rc != 0 {
                return Err(Errno::last());
            }
        }
        Ok(())
    }

    /// `fd_advise(fd, offset, len, advice)`: a hint; validated, then passed
    /// to `posix_fadvise` where the host has it.
    pub(crate) fn fd_advise(
        &mut self,
        fd: u32,
        offset: u64,
        len: u64,
        advice: u32,
    ) -> WasiResult<()> {
        if advice > 5 {
            return Err(Errno::Inval);
        }
        let file = self.file(fd)?;
        #[cfg(target_os = "linux")]
        {
            // witx order: normal, sequential, random, willneed, dontneed,
            // noreuse.
            let host = [
                libc::POSIX_FADV_NORMAL,
                libc::POSIX_FADV_SEQUENTIAL,
                libc::POSIX_FADV_RANDOM,
                libc::POSIX_FADV_WILLNEED,
                libc::POSIX_FADV_DONTNEED,
                libc::POSIX_FADV_NOREUSE,
            ];
            let advice = host.get(advice as usize).copied().ok_or(Errno::Inval)?;
            let offset = i64::try_from(offset).map_err(|_| Errno::Inval)?;
            let len = i64::try_from(len).map_err(|_| Errno::Inval)?;
            // SAFETY: plain syscall on a descriptor we own; it returns the
            // error number instead of setting errno.
            let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), offset, len, advice) };
            if rc != 0 {
                return Err(Errno::from_host(rc));
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (file, offset, len);
        Ok(())
    }

    /// `fd_allocate(fd, offset, len)`: reserve file space (`ENOSYS` on hosts
    /// without `posix_fallocate`).
    pub(crate) fn fd_allocate(&mut self, fd: u32, offset: u64, len: u64) -> WasiResult<()> {
        let file = self.file(fd)?;
        #[cfg(target_os = "linux")]
        {
            let offset = i64::try_from(offset).map_err(|_| Errno::Inval)?;
            let len = i64::try_from(len).map_err(|_| Errno::Inval)?;
            // SAFETY: plain syscall on a descriptor we own; it returns the
            // error number instead of setting errno.
            let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), offset, len) };
            if rc != 0 {
                return Err(Errno::from_host(rc));
            }
            Ok(())
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (file, offset, len);
            Err(Errno::Nosys)
        }
    }
}
