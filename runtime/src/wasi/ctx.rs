//! Per-process WASI state: arguments, environment and the descriptor table.

use super::output::OutputBuffer;
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use super::errno::Errno;
use super::memory::WasiResult;

/// `rights` bits from the witx `rights` flags type (only the ones the
/// runtime hands out by name; the rest are covered by [`RIGHTS_ALL`]).
pub(crate) mod rights {
    /// `fd_datasync`.
    pub const FD_DATASYNC: u64 = 1 << 0;
    /// `fd_read`.
    pub const FD_READ: u64 = 1 << 1;
    /// `fd_fdstat_set_flags`.
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    /// `fd_write`.
    pub const FD_WRITE: u64 = 1 << 6;
    /// `fd_allocate`.
    pub const FD_ALLOCATE: u64 = 1 << 8;
    /// `fd_readdir`.
    pub const FD_READDIR: u64 = 1 << 14;
    /// `fd_filestat_get`.
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    /// `fd_filestat_set_size`.
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    /// `poll_fd_readwrite`.
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    /// Every right defined by preview 1 (bits 0..=29).
    pub const RIGHTS_ALL: u64 = (1 << 30) - 1;
    /// Rights of the inherited or null stdin.
    pub const STDIN: u64 = FD_READ | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;
    /// Rights of the inherited or null stdout/stderr.
    pub const STDOUT: u64 = FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;
    /// Rights whose presence in `path_open` means "open for reading".
    pub const READ_LIKE: u64 = FD_READ | FD_READDIR;
    /// Rights whose presence in `path_open` means "open for writing".
    pub const WRITE_LIKE: u64 = FD_DATASYNC | FD_WRITE | FD_ALLOCATE | FD_FILESTAT_SET_SIZE;
}

/// Which standard stream a stdio descriptor stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stdio {
    /// Descriptor 0.
    In,
    /// Descriptor 1.
    Out,
    /// Descriptor 2.
    Err,
}

/// One cached directory entry for `fd_readdir`.
#[derive(Clone, Debug)]
pub(crate) struct DirEntry {
    /// Entry name without terminator.
    pub(crate) name: Vec<u8>,
    /// Host inode number.
    pub(crate) ino: u64,
    /// WASI filetype code.
    pub(crate) filetype: u8,
}

/// What a guest descriptor refers to.
pub(crate) enum FdKind {
    /// A standard stream. `inherit` routes it to the host's own stream;
    /// otherwise it behaves like `/dev/null`.
    Stdio {
        /// Which stream.
        which: Stdio,
        /// Whether the host stream is used.
        inherit: bool,
        /// For stdout/stderr: a host buffer receiving the output instead
        /// (then `inherit` is false).
        capture: Option<OutputBuffer>,
    },
    /// A non-directory host file.
    File(File),
    /// A host directory (opened with `O_DIRECTORY`, readable for listing).
    Dir {
        /// The directory handle; its fd is the base for `*at` calls.
        file: File,
        /// Guest-visible name if this is a preopen, for `fd_prestat_*`.
        preopen: Option<Vec<u8>>,
        /// Listing snapshot taken by `fd_readdir` at cookie 0; later cookies
        /// index into it, so a listing stays consistent across calls.
        listing: Option<Vec<DirEntry>>,
    },
}

/// One slot of the descriptor table.
pub(crate) struct FdEntry {
    /// The host object.
    pub(crate) kind: FdKind,
    /// `fs_rights_base` as reported by `fd_fdstat_get`.
    pub(crate) rights_base: u64,
    /// `fs_rights_inheriting` as reported by `fd_fdstat_get`.
    pub(crate) rights_inheriting: u64,
}

impl FdEntry {
    /// The host descriptor backing this entry, if any (null stdio has none).
    pub(crate) fn host_fd(&self) -> Option<RawFd> {
        match &self.kind {
            FdKind::Stdio { inherit: false, .. } => None,
            FdKind::Stdio { which, .. } => Some(match which {
                Stdio::In => 0,
                Stdio::Out => 1,
                Stdio::Err => 2,
            }),
            FdKind::File(f) => Some(f.as_raw_fd()),
            FdKind::Dir { file, .. } => Some(file.as_raw_fd()),
        }
    }
}

/// The per-process WASI state: program arguments, environment variables and
/// the guest's descriptor table (stdio at 0..=2, preopened directories from 3).
///
/// All guest-visible behaviour goes through [`WasiCtx::call`].
pub struct WasiCtx {
    /// Arguments, each stored NUL-terminated exactly as the guest sees them.
    pub(crate) args: Vec<Vec<u8>>,
    /// `KEY=VALUE` strings, each NUL-terminated.
    pub(crate) env: Vec<Vec<u8>>,
    /// Descriptor table indexed by guest fd; `None` marks a free slot.
    pub(crate) fds: Vec<Option<FdEntry>>,
    /// Lazily opened `/dev/urandom` for `random_get`.
    pub(crate) urandom: Option<File>,
}

/// Builder for [`WasiCtx`].
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<(String, String)>,
    inherit_stdio: bool,
    stdout: Option<OutputBuffer>,
    stderr: Option<OutputBuffer>,
    preopens: Vec<(File, String)>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl WasiCtxBuilder {
    /// A builder with no arguments, no environment, no preopens and
    /// inherited stdio.
    pub fn new() -> Self {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            inherit_stdio: true,
            stdout: None,
            stderr: None,
            preopens: Vec::new(),
        }
    }

    /// Sets the guest's `argv`, including `argv[0]` (the program name).
    pub fn args(mut self, args: Vec<String>) -> Self {
        self.args = args;
        self
    }

    /// Sets the guest's environment as `(key, value)` pairs.
    pub fn env(mut self, env: Vec<(String, String)>) -> Self {
        self.env = env;
        self
    }

    /// Chooses whether fds 0..=2 are the host's stdio (the default) or
    /// behave like `/dev/null` (reads hit end-of-file, writes are dropped).
    pub fn inherit_stdio(mut self, inherit: bool) -> Self {
        self.inherit_stdio = inherit;
        self
    }

    /// Captures the guest's stdout into `buffer` instead of the host's.
    pub fn stdout(mut self, buffer: OutputBuffer) -> Self {
        self.stdout = Some(buffer);
        self
    }

    /// Captures the guest's stderr into `buffer` instead of the host's.
    pub fn stderr(mut self, buffer: OutputBuffer) -> Self {
        self.stderr = Some(buffer);
        self
    }

    /// Grants the guest the host directory `host` under the name `guest`.
    ///
    /// Preopens receive fds 3, 4, ... in call order. The directory is opened
    /// here, so a missing or unreadable directory is reported immediately
    /// rather than surfacing later as a guest-visible error.
    pub fn preopened_dir(mut self, host: PathBuf, guest: String) -> Result<Self, io::Error> {
        let dir = open_host_dir(&host)?;
        self.preopens.push((dir, guest));
        Ok(self)
    }

    /// Finishes the context.
    pub fn build(self) -> WasiCtx {
        let nul_terminated = |s: String| {
            let mut bytes = s.into_bytes();
            bytes.push(0);
            bytes
        };
        let stdio = |which, capture: Option<OutputBuffer>| FdEntry {
            kind: FdKind::Stdio {
                which,
                inherit: self.inherit_stdio && capture.is_none(),
                capture,
            },
            rights_base: if which == Stdio::In {
                rights::STDIN
            } else {
                rights::STDOUT
            },
            rights_inheriting: 0,
        };
        let mut fds = vec![
            Some(stdio(Stdio::In, None)),
            Some(stdio(Stdio::Out, self.stdout.clone())),
            Some(stdio(Stdio::Err, self.stderr.clone())),
        ];
        for (file, name) in self.preopens {
            fds.push(Some(FdEntry {
                kind: FdKind::Dir {
                    file,
                    preopen: Some(name.into_bytes()),
                    listing: None,
                },
                rights_base: rights::RIGHTS_ALL,
                rights_inheriting: rights::RIGHTS_ALL,
            }));
        }
        WasiCtx {
            args: self.args.into_iter().map(nul_terminated).collect(),
            env: self
                .env
                .into_iter()
                .map(|(k, v)| nul_terminated(format!("{k}={v}")))
                .collect(),
            fds,
            urandom: None,
        }
    }
}

/// Opens a host directory as a readable `O_DIRECTORY` handle.
fn open_host_dir(path: &std::path::Path) -> io::Result<File> {
    let cpath = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))?;
    // SAFETY: `cpath` is a valid NUL-terminated string for the duration of
    // the call; `open` has no other memory preconditions.
    let fd = unsafe {
        libc::open(
            cpath.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by a successful `open` and is owned by
    // nothing else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

impl WasiCtx {
    /// Shorthand for `WasiCtxBuilder::new()`.
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::new()
    }

    /// Converts a guest fd number into a table index.
    fn index(fd: u32) -> WasiResult<usize> {
        usize::try_from(fd).map_err(|_| Errno::Badf)
    }

    /// Looks up an open descriptor.
    pub(crate) fn entry(&self, fd: u32) -> WasiResult<&FdEntry> {
        self.fds
            .get(Self::index(fd)?)
            .and_then(Option::as_ref)
            .ok_or(Errno::Badf)
    }

    /// Looks up an open descriptor mutably.
    pub(crate) fn entry_mut(&mut self, fd: u32) -> WasiResult<&mut FdEntry> {
        self.fds
            .get_mut(Self::index(fd)?)
            .and_then(Option::as_mut)
            .ok_or(Errno::Badf)
    }

    /// The host fd of a directory descriptor, for resolving guest paths.
    pub(crate) fn dir_fd(&self, fd: u32) -> WasiResult<RawFd> {
        match &self.entry(fd)?.kind {
            FdKind::Dir { file, .. } => Ok(file.as_raw_fd()),
            _ => Err(Errno::Notdir),
        }
    }

    /// Installs `entry` in the lowest free slot and returns its fd number.
    pub(crate) fn insert(&mut self, entry: FdEntry) -> WasiResult<u32> {
        let slot = match self.fds.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.fds.push(None);
                self.fds.len() - 1
            }
        };
        let fd = u32::try_from(slot).map_err(|_| Errno::Mfile)?;
        self.fds[slot] = Some(entry);
        Ok(fd)
    }

    /// Removes and returns a descriptor (its host object closes on drop).
    pub(crate) fn remove(&mut self, fd: u32) -> WasiResult<FdEntry> {
        let slot = self.fds.get_mut(Self::index(fd)?).ok_or(Errno::Badf)?;
        slot.take().ok_or(Errno::Badf)
    }
}
