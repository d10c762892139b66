//! Descriptor bookkeeping and metadata: close/renumber, fdstat, filestat,
//! prestat and directory listing.

use std::ffi::CStr;
use std::os::fd::RawFd;

use super::ctx::{DirEntry, FdKind, WasiCtx};
use super::errno::Errno;
use super::memory::{check, slice_mut, write_bytes, write_u32, WasiResult};
use super::sandbox::{fstat, lstat_at};

/// WASI `filetype` values.
pub(crate) mod filetype {
    /// Unknown, also used for FIFOs, which WASI has no type for.
    pub const UNKNOWN: u8 = 0;
    /// Block device.
    pub const BLOCK_DEVICE: u8 = 1;
    /// Character device.
    pub const CHARACTER_DEVICE: u8 = 2;
    /// Directory.
    pub const DIRECTORY: u8 = 3;
    /// Regular file.
    pub const REGULAR_FILE: u8 = 4;
    /// Stream socket (the host cannot cheaply tell datagram sockets apart).
    pub const SOCKET_STREAM: u8 = 6;
    /// Symbolic link.
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// WASI `fdflags` bits.
pub(crate) mod fdflags {
    /// Append mode.
    pub const APPEND: u16 = 1;
    /// Synchronized data writes.
    pub const DSYNC: u16 = 2;
    /// Non-blocking mode.
    pub const NONBLOCK: u16 = 4;
    /// Synchronized reads.
    pub const RSYNC: u16 = 8;
    /// Synchronized writes (data and metadata).
    pub const SYNC: u16 = 16;
}

/// WASI filetype of a host `st_mode`.
pub(crate) fn filetype_of(mode: libc::mode_t) -> u8 {
    match mode & libc::S_IFMT {
        libc::S_IFBLK => filetype::BLOCK_DEVICE,
        libc::S_IFCHR => filetype::CHARACTER_DEVICE,
        libc::S_IFDIR => filetype::DIRECTORY,
        libc::S_IFREG => filetype::REGULAR_FILE,
        libc::S_IFSOCK => filetype::SOCKET_STREAM,
        libc::S_IFLNK => filetype::SYMBOLIC_LINK,
        _ => filetype::UNKNOWN,
    }
}

/// Nanoseconds since the epoch, clamped to the unsigned WASI range
/// (pre-1970 times become 0 rather than wrapping).
fn timestamp(secs: i64, nsecs: i64) -> u64 {
    let ns = i128::from(secs) * 1_000_000_000 + i128::from(nsecs);
    u64::try_from(ns.max(0)).unwrap_or(u64::MAX)
}

/// Encodes a host `stat` as a 64-byte WASI `filestat`.
// The field types of `libc::stat` differ between targets (some are already
// u64/i64 here, others narrower elsewhere), so the casts are needed in
// general even where they are no-ops.
#[allow(clippy::unnecessary_cast)]
pub(crate) fn filestat_bytes(st: &libc::stat) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[0..8].copy_from_slice(&(st.st_dev as u64).to_le_bytes());
    out[8..16].copy_from_slice(&(st.st_ino as u64).to_le_bytes());
    out[16] = filetype_of(st.st_mode);
    out[24..32].copy_from_slice(&(st.st_nlink as u64).to_le_bytes());
    out[32..40].copy_from_slice(&(st.st_size.max(0) as u64).to_le_bytes());
    let times = [
        timestamp(st.st_atime as i64, st.st_atime_nsec as i64),
        timestamp(st.st_mtime as i64, st.st_mtime_nsec as i64),
        timestamp(st.st_ctime as i64, st.st_ctime_nsec as i64),
    ];
    for (i, t) in times.iter().enumerate() {
        let at = 40 + 8 * i;
        out[at..at + 8].copy_from_slice(&t.to_le_bytes());
    }
    out
}

/// Translates host `F_GETFL` bits into WASI `fdflags`.
fn fdflags_of(fl: libc::c_int) -> u16 {
    let mut out = 0;
    if fl & libc::O_APPEND != 0 {
        out |= fdflags::APPEND;
    }
    if fl & libc::O_NONBLOCK != 0 {
        out |= fdflags::NONBLOCK;
    }
    // On Linux O_SYNC includes the O_DSYNC bit, so test the full mask first.
    if fl & libc::O_SYNC == libc::O_SYNC {
        out |= fdflags::SYNC;
    } else if fl & libc::O_DSYNC != 0 {
        out |= fdflags::DSYNC;
    }
    out
}

/// `fcntl(F_GETFL)`.
fn get_fl(fd: RawFd) -> WasiResult<libc::c_int> {
    // SAFETY: plain syscall; no memory involved.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if fl < 0 {
        return Err(Errno::last());
    }
    Ok(fl)
}

/// Builds the `[atime, mtime]` pair for `utimensat`/`futimens` from WASI
/// `fstflags` (ATIM=1, ATIM_NOW=2, MTIM=4, MTIM_NOW=8).
pub(crate) fn times_spec(atim: u64, mtim: u64, flags: u32) -> WasiResult<[libc::timespec; 2]> {
    if flags & !0xf != 0 || flags & 3 == 3 || flags & 0xc == 0xc {
        return Err(Errno::Inval);
    }
    let one = |t: u64, set: bool, now: bool| {
        // SAFETY: timespec is a plain C struct; zero is a valid value and
        // also clears any padding fields some targets have.
        let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
        if now {
            ts.tv_nsec = libc::UTIME_NOW;
        } else if set {
            // Both parts fit: u64::MAX / 1e9 < i64::MAX, remainder < 1e9.
            ts.tv_sec = (t / 1_000_000_000) as libc::time_t;
            ts.tv_nsec = (t % 1_000_000_000) as _;
        } else {
            ts.tv_nsec = libc::UTIME_OMIT;
        }
        ts
    };
    Ok([
        one(atim, flags & 1 != 0, flags & 2 != 0),
        one(mtim, flags & 4 != 0, flags & 8 != 0),
    ])
}

/// Lists a directory through a duplicate of its descriptor, so the guest's
/// descriptor (and its position) stays untouched in every other respect.
// `d_ino` is u64 on some targets and narrower on others; see filestat_bytes.
#[allow(clippy::unnecessary_cast)]
fn list_dir(dir: RawFd) -> WasiResult<Vec<DirEntry>> {
    // SAFETY: plain syscall; a bad fd only yields EBADF.
    let dup = unsafe { libc::fcntl(dir, libc::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return Err(Errno::last());
    }
    // SAFETY: `dup` is a fresh descriptor; fdopendir takes ownership of it.
    let dirp = unsafe { libc::fdopendir(dup) };
    if dirp.is_null() {
        let err = Errno::last();
        // SAFETY: fdopendir failed, so `dup` is still ours to close.
        unsafe { libc::close(dup) };
        return Err(err);
    }
    // The duplicate shares the offset with the original: start over.
    // SAFETY: `dirp` is a valid stream until closedir below.
    unsafe { libc::rewinddir(dirp) };
    let mut out = Vec::new();
    loop {
        // SAFETY: `dirp` is valid; the returned entry stays valid until the
        // next readdir/closedir, and is copied out before either.
        let ent = unsafe { libc::readdir(dirp) };
        if ent.is_null() {
            break;
        }
        // SAFETY: non-null entries point to a valid dirent whose `d_name`
        // is NUL-terminated.
        let (name, ino, d_type) = unsafe {
            let ent = &*ent;
            let name = CStr::from_ptr(ent.d_name.as_ptr());
            (name.to_owned(), ent.d_ino, ent.d_type)
        };
        let filetype = match d_type {
            libc::DT_BLK => filetype::BLOCK_DEVICE,
            libc::DT_CHR => filetype::CHARACTER_DEVICE,
            libc::DT_DIR => filetype::DIRECTORY,
            libc::DT_REG => filetype::REGULAR_FILE,
            libc::DT_SOCK => filetype::SOCKET_STREAM,
            libc::DT_LNK => filetype::SYMBOLIC_LINK,
            libc::DT_FIFO => filetype::UNKNOWN,
            // Some filesystems do not fill d_type; ask the inode instead.
            _ => lstat_at(dir, &name).map_or(filetype::UNKNOWN, |st| filetype_of(st.st_mode)),
        };
        out.push(DirEntry {
            name: name.into_bytes(),
            ino: ino as u64,
            filetype,
        });
    }
    // SAFETY: `dirp` is valid and not used afterwards; this closes `dup`.
    unsafe { libc::closedir(dirp) };
    Ok(out)
}

/// `FD_SEEK | FD_TELL`: what tells wasi-libc's `isatty()` a character
/// device is not a terminal.
const NOT_A_TERMINAL_RIGHTS: u64 = (1 << 2) | (1 << 5);

impl WasiCtx {
    /// `fd_close(fd)`.
    pub(crate) fn fd_close(&mut self, fd: u32) -> WasiResult<()> {
        self.remove(fd).map(drop)
    }

    /// `fd_renumber(from, to)`: moves `from` onto the open descriptor `to`,
    /// closing what `to` referred to.
    pub(crate) fn fd_renumber(&mut self, from: u32, to: u32) -> WasiResult<()> {
        self.entry(to)?;
        self.entry(from)?;
        if from == to {
            return Ok(());
        }
        let moved = self.remove(from)?;
        *self.entry_mut(to)? = moved;
        Ok(())
    }

    /// `fd_fdstat_get(fd, buf)`: 24-byte `fdstat`.
    pub(crate) fn fd_fdstat_get(&mut self, mem: &mut [u8], fd: u32, buf: u32) -> WasiResult<()> {
        check(mem, buf, 24)?;
        let entry = self.entry(fd)?;
        let (ftype, flags) = match entry.host_fd() {
            Some(raw) => {
                let st = fstat(raw)?;
                (filetype_of(st.st_mode), fdflags_of(get_fl(raw)?))
            }
            None => (filetype::CHARACTER_DEVICE, 0),
        };
        // wasi-libc's isatty() is "a character device without seek/tell
        // rights": report those rights for stdio unless the host descriptor
        // really is a terminal, so a guest whose output goes to /dev/null,
        // a pipe or a capture buffer does not think it is interactive.
        let mut rights = entry.rights_base;
        if let FdKind::Stdio { .. } = entry.kind {
            let terminal = entry.host_fd().is_some_and(|raw| {
                // SAFETY: isatty only inspects the descriptor.
                unsafe { libc::isatty(raw) == 1 }
            });
            if !terminal {
                rights |= NOT_A_TERMINAL_RIGHTS;
            }
        }
        let mut out = [0u8; 24];
        out[0] = ftype;
        out[2..4].copy_from_slice(&flags.to_le_bytes());
        out[8..16].copy_from_slice(&rights.to_le_bytes());
        out[16..24].copy_from_slice(&entry.rights_inheriting.to_le_bytes());
        write_bytes(mem, buf, &out)
    }

    /// `fd_fdstat_set_flags(fd, flags)`: only `APPEND` and `NONBLOCK` can be
    /// changed on an open host descriptor; the sync flags give `ENOTSUP`.
    pub(crate) fn fd_fdstat_set_flags(&mut self, fd: u32, flags: u32) -> WasiResult<()> {
        let flags = u16::try_from(flags).map_err(|_| Errno::Inval)?;
        if flags & !0x1f != 0 {
            return Err(Errno::Inval);
        }
        let raw = match &self.entry(fd)?.kind {
            FdKind::File(f) => std::os::fd::AsRawFd::as_raw_fd(f),
            FdKind::Dir { file, .. } => std::os::fd::AsRawFd::as_raw_fd(file),
            // Changing the host's own stdio flags would affect the whole
            // process (and the terminal), so only a no-op is accepted.
            FdKind::Stdio { .. } if flags == 0 => return Ok(()),
            FdKind::Stdio { .. } => return Err(Errno::Notsup),
        };
        if flags & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC) != 0 {
            return Err(Errno::Notsup);
        }
        let mut fl = get_fl(raw)? & !(libc::O_APPEND | libc::O_NONBLOCK);
        if flags & fdflags::APPEND != 0 {
            fl |= libc::O_APPEND;
        }
        if flags & fdflags::NONBLOCK != 0 {
            fl |= libc::O_NONBLOCK;
        }
        // SAFETY: plain syscall; no memory involved.
        if unsafe { libc::fcntl(raw, libc::F_SETFL, fl) } != 0 {
            return Err(Errno::last());
        }
        Ok(())
    }

    /// `fd_fdstat_set_rights(fd, base, inheriting)`: rights can only shrink.
    pub(crate) fn fd_fdstat_set_rights(
        &mut self,
        fd: u32,
        base: u64,
        inheriting: u64,
    ) -> WasiResult<()> {
        let entry = self.entry_mut(fd)?;
        if base & !entry.rights_base != 0 || inheriting & !entry.rights_inheriting != 0 {
            return Err(Errno::Notcapable);
        }
        entry.rights_base = base;
        entry.rights_inheriting = inheriting;
        Ok(())
    }

    /// `fd_filestat_get(fd, buf)`: 64-byte `filestat`.
    pub(crate) fn fd_filestat_get(&mut self, mem: &mut [u8], fd: u32, buf: u32) -> WasiResult<()> {
        check(mem, buf, 64)?;
        let out = match self.entry(fd)?.host_fd() {
            Some(raw) => filestat_bytes(&fstat(raw)?),
            None => {
                let mut out = [0u8; 64];
                out[16] = filetype::CHARACTER_DEVICE;
                out
            }
        };
        write_bytes(mem, buf, &out)
    }

    /// `fd_filestat_set_size(fd, size)`: truncate or extend.
    pub(crate) fn fd_filestat_set_size(&mut self, fd: u32, size: u64) -> WasiResult<()> {
        match &self.entry(fd)?.kind {
            FdKind::File(f) => f.set_len(size).map_err(Errno::from),
            FdKind::Dir { .. } => Err(Errno::Isdir),
            FdKind::Stdio { .. } => Err(Errno::Inval),
        }
    }

    /// `fd_filestat_set_times(fd, atim, mtim, fst_flags)`.
    pub(crate) fn fd_filestat_set_times(
        &mut self,
        fd: u32,
        atim: u64,
        mtim: u64,
        flags: u32,
    ) -> WasiResult<()> {
        let times = times_spec(atim, mtim, flags)?;
        let raw = self.entry(fd)?.host_fd().ok_or(Errno::Badf)?;
        // SAFETY: `times` is a valid two-element array for the call.
        if unsafe { libc::futimens(raw, times.as_ptr()) } != 0 {
            return Err(Errno::last());
        }
        Ok(())
    }

    /// The guest name of preopen `fd`; `EBADF` for anything else, which is
    /// how wasi-libc detects the end of the preopen list.
    fn preopen_name(&self, fd: u32) -> WasiResult<&[u8]> {
        match &self.entry(fd)?.kind {
            FdKind::Dir {
                preopen: Some(name),
                ..
            } => Ok(name),
            _ => Err(Errno::Badf),
        }
    }

    /// `fd_prestat_get(fd, buf)`: 8-byte `prestat` (tag 0 = dir, name len).
    pub(crate) fn fd_prestat_get(&mut self, mem: &mut [u8], fd: u32, buf: u32) -> WasiResult<()> {
        let len = u32::try_from(self.preopen_name(fd)?.len()).map_err(|_| Errno::Overflow)?;
        let mut out = [0u8; 8];
        out[4..8].copy_from_slice(&len.to_le_bytes());
        write_bytes(mem, buf, &out)
    }

    /// `fd_prestat_dir_name(fd, path, path_len)`: the name, without NUL.
    pub(crate) fn fd_prestat_dir_name(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        path: u32,
        path_len: u32,
    ) -> WasiResult<()> {
        let name = self.preopen_name(fd)?;
        let room = usize::try_from(path_len).map_err(|_| Errno::Fault)?;
        if room < name.len() {
            return Err(Errno::Nametoolong);
        }
        write_bytes(mem, path, name)
    }

    /// `fd_readdir(fd, buf, buf_len, cookie, bufused_ptr)`.
    ///
    /// Cookies are entry indices; `d_next` of entry `i` is `i + 1`. A call
    /// with cookie 0 takes a fresh snapshot of the directory, later cookies
    /// continue in that snapshot. As WASI specifies, the last entry is
    /// truncated when the buffer is full, and `bufused == buf_len` tells
    /// the guest to call again.
    pub(crate) fn fd_readdir(
        &mut self,
        mem: &mut [u8],
        fd: u32,
        buf: u32,
        buf_len: u32,
        cookie: u64,
        bufused_ptr: u32,
    ) -> WasiResult<()> {
        check(mem, bufused_ptr, 4)?;
        let out = slice_mut(mem, buf, buf_len)?;
        let FdKind::Dir { file, listing, .. } = &mut self.entry_mut(fd)?.kind else {
            return Err(Errno::Notdir);
        };
        if cookie == 0 || listing.is_none() {
            *listing = Some(list_dir(std::os::fd::AsRawFd::as_raw_fd(file))?);
        }
        let entries = listing.as_deref().unwrap_or(&[]);
        let start = usize::try_from(cookie).unwrap_or(usize::MAX);
        let mut used = 0usize;
        for (i, entry) in entries.iter().enumerate().skip(start) {
            let mut header = [0u8; 24];
            header[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            header[8..16].copy_from_slice(&entry.ino.to_le_bytes());
            let namlen = u32::try_from(entry.name.len()).unwrap_or(u32::MAX);
            header[16..20].copy_from_slice(&namlen.to_le_bytes());
            header[20] = entry.filetype;
            for part in [&header[..], &entry.name[..]] {
                let n = part.len().min(out.len() - used);
                out[used..used + n].copy_from_slice(&part[..n]);
                used += n;
            }
            if used == out.len() {
                break;
            }
        }
        let used = u32::try_from(used).map_err(|_| Errno::Overflow)?;
        write_u32(mem, bufused_ptr, used)
    }
}
