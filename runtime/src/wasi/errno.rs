//! WASI preview 1 error numbers and their mapping from host errors.
//!
//! The numeric values are those of the `errno` enum in the
//! `wasi_snapshot_preview1` witx definition; they differ from every host's
//! own errno numbering, so host errors always go through [`Errno::from_host`].

use std::io;

/// A `wasi_snapshot_preview1` error number (`errno`, a `u16` in the ABI).
#[repr(u16)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Errno {
    /// No error occurred.
    Success = 0,
    /// Argument list too long.
    TooBig = 1,
    /// Permission denied.
    Acces = 2,
    /// Address in use.
    Addrinuse = 3,
    /// Address not available.
    Addrnotavail = 4,
    /// Address family not supported.
    Afnosupport = 5,
    /// Resource unavailable, or operation would block.
    Again = 6,
    /// Connection already in progress.
    Already = 7,
    /// Bad file descriptor.
    Badf = 8,
    /// Bad message.
    Badmsg = 9,
    /// Device or resource busy.
    Busy = 10,
    /// Operation canceled.
    Canceled = 11,
    /// No child processes.
    Child = 12,
    /// Connection aborted.
    Connaborted = 13,
    /// Connection refused.
    Connrefused = 14,
    /// Connection reset.
    Connreset = 15,
    /// Resource deadlock would occur.
    Deadlk = 16,
    /// Destination address required.
    Destaddrreq = 17,
    /// Mathematics argument out of domain of function.
    Dom = 18,
    /// Reserved (disk quota).
    Dquot = 19,
    /// File exists.
    Exist = 20,
    /// Bad address (a guest pointer outside linear memory).
    Fault = 21,
    /// File too large.
    Fbig = 22,
    /// Host is unreachable.
    Hostunreach = 23,
    /// Identifier removed.
    Idrm = 24,
    /// Illegal byte sequence.
    Ilseq = 25,
    /// Operation in progress.
    Inprogress = 26,
    /// Interrupted function.
    Intr = 27,
    /// Invalid argument.
    Inval = 28,
    /// I/O error.
    Io = 29,
    /// Socket is connected.
    Isconn = 30,
    /// Is a directory.
    Isdir = 31,
    /// Too many levels of symbolic links.
    Loop = 32,
    /// File descriptor value too large.
    Mfile = 33,
    /// Too many links.
    Mlink = 34,
    /// Message too large.
    Msgsize = 35,
    /// Reserved (multihop).
    Multihop = 36,
    /// Filename too long.
    Nametoolong = 37,
    /// Network is down.
    Netdown = 38,
    /// Connection aborted by network.
    Netreset = 39,
    /// Network unreachable.
    Netunreach = 40,
    /// Too many files open in system.
    Nfile = 41,
    /// No buffer space available.
    Nobufs = 42,
    /// No such device.
    Nodev = 43,
    /// No such file or directory.
    Noent = 44,
    /// Executable file format error.
    Noexec = 45,
    /// No locks available.
    Nolck = 46,
    /// Reserved (nolink).
    Nolink = 47,
    /// Not enough space.
    Nomem = 48,
    /// No message of the desired type.
    Nomsg = 49,
    /// Protocol not available.
    Noprotoopt = 50,
    /// No space left on device.
    Nospc = 51,
    /// Function not supported.
    Nosys = 52,
    /// The socket is not connected.
    Notconn = 53,
    /// Not a directory or a symbolic link to a directory.
    Notdir = 54,
    /// Directory not empty.
    Notempty = 55,
    /// State not recoverable.
    Notrecoverable = 56,
    /// Not a socket.
    Notsock = 57,
    /// Not supported, or operation not supported on socket.
    Notsup = 58,
    /// Inappropriate I/O control operation.
    Notty = 59,
    /// No such device or address.
    Nxio = 60,
    /// Value too large to be stored in data type.
    Overflow = 61,
    /// Previous owner died.
    Ownerdead = 62,
    /// Operation not permitted.
    Perm = 63,
    /// Broken pipe.
    Pipe = 64,
    /// Protocol error.
    Proto = 65,
    /// Protocol not supported.
    Protonosupport = 66,
    /// Protocol wrong type for socket.
    Prototype = 67,
    /// Result too large.
    Range = 68,
    /// Read-only file system.
    Rofs = 69,
    /// Invalid seek.
    Spipe = 70,
    /// No such process.
    Srch = 71,
    /// Reserved (stale file handle).
    Stale = 72,
    /// Connection timed out.
    Timedout = 73,
    /// Text file busy.
    Txtbsy = 74,
    /// Cross-device link.
    Xdev = 75,
    /// Extension: capabilities insufficient (e.g. a path escaping its
    /// preopened directory).
    Notcapable = 76,
}

impl Errno {
    /// The raw ABI value, as returned to the guest in an `i32` result.
    pub fn raw(self) -> u32 {
        self as u16 as u32
    }

    /// Translates a host (libc) errno value into the WASI numbering.
    ///
    /// Unknown host values become [`Errno::Io`] because the guest must get
    /// *some* failure, and "I/O error" is the least misleading generic one.
    pub fn from_host(code: i32) -> Errno {
        use Errno::*;
        // Some hosts alias EWOULDBLOCK/EAGAIN and ENOTSUP/EOPNOTSUPP; guards
        // instead of patterns keep the match free of unreachable arms there.
        if code == libc::EWOULDBLOCK {
            return Again;
        }
        if code == libc::EOPNOTSUPP || code == libc::ENOTSUP {
            return Notsup;
        }
        match code {
            libc::E2BIG => TooBig,
            libc::EACCES => Acces,
            libc::EADDRINUSE => Addrinuse,
            libc::EADDRNOTAVAIL => Addrnotavail,
            libc::EAFNOSUPPORT => Afnosupport,
            libc::EAGAIN => Again,
            libc::EALREADY => Already,
            libc::EBADF => Badf,
            libc::EBADMSG => Badmsg,
            libc::EBUSY => Busy,
            libc::ECANCELED => Canceled,
            libc::ECHILD => Child,
            libc::ECONNABORTED => Connaborted,
            libc::ECONNREFUSED => Connrefused,
            libc::ECONNRESET => Connreset,
            libc::EDEADLK => Deadlk,
            libc::EDESTADDRREQ => Destaddrreq,
            libc::EDOM => Dom,
            libc::EDQUOT => Dquot,
            libc::EEXIST => Exist,
            libc::EFAULT => Fault,
            libc::EFBIG => Fbig,
            libc::EHOSTUNREACH => Hostunreach,
            libc::EIDRM => Idrm,
            libc::EILSEQ => Ilseq,
            libc::EINPROGRESS => Inprogress,
            libc::EINTR => Intr,
            libc::EINVAL => Inval,
            libc::EIO => Io,
            libc::EISCONN => Isconn,
            libc::EISDIR => Isdir,
            libc::ELOOP => Loop,
            libc::EMFILE => Mfile,
            libc::EMLINK => Mlink,
            libc::EMSGSIZE => Msgsize,
            libc::EMULTIHOP => Multihop,
            libc::ENAMETOOLONG => Nametoolong,
            libc::ENETDOWN => Netdown,
            libc::ENETRESET => Netreset,
            libc::ENETUNREACH => Netunreach,
            libc::ENFILE => Nfile,
            libc::ENOBUFS => Nobufs,
            libc::ENODEV => Nodev,
            libc::ENOENT => Noent,
            libc::ENOEXEC => Noexec,
            libc::ENOLCK => Nolck,
            libc::ENOLINK => Nolink,
            libc::ENOMEM => Nomem,
            libc::ENOMSG => Nomsg,
            libc::ENOPROTOOPT => Noprotoopt,
            libc::ENOSPC => Nospc,
            libc::ENOSYS => Nosys,
            libc::ENOTCONN => Notconn,
            libc::ENOTDIR => Notdir,
            libc::ENOTEMPTY => Notempty,
            libc::ENOTRECOVERABLE => Notrecoverable,
            libc::ENOTSOCK => Notsock,
            libc::ENOTTY => Notty,
            libc::ENXIO => Nxio,
            libc::EOVERFLOW => Overflow,
            libc::EOWNERDEAD => Ownerdead,
            libc::EPERM => Perm,
            libc::EPIPE => Pipe,
            libc::EPROTO => Proto,
            libc::EPROTONOSUPPORT => Protonosupport,
            libc::EPROTOTYPE => Prototype,
            libc::ERANGE => Range,
            libc::EROFS => Rofs,
            libc::ESPIPE => Spipe,
            libc::ESRCH => Srch,
            libc::ESTALE => Stale,
            libc::ETIMEDOUT => Timedout,
            libc::ETXTBSY => Txtbsy,
            libc::EXDEV => Xdev,
            _ => Io,
        }
    }

    /// The WASI errno for the calling thread's current host `errno`
    /// (call right after a failing libc function).
    pub(crate) fn last() -> Errno {
        Errno::from(io::Error::last_os_error())
    }
}

impl From<io::Error> for Errno {
    fn from(err: io::Error) -> Errno {
        match err.raw_os_error() {
            Some(code) => Errno::from_host(code),
            // Errors synthesized by std (no OS code) are mapped by kind.
            None => match err.kind() {
                io::ErrorKind::NotFound => Errno::Noent,
                io::ErrorKind::PermissionDenied => Errno::Acces,
                io::ErrorKind::AlreadyExists => Errno::Exist,
                io::ErrorKind::InvalidInput => Errno::Inval,
                io::ErrorKind::WouldBlock => Errno::Again,
                io::ErrorKind::Interrupted => Errno::Intr,
                io::ErrorKind::Unsupported => Errno::Notsup,
                io::ErrorKind::OutOfMemory => Errno::Nomem,
                _ => Errno::Io,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Errno;

    #[test]
    fn numbers_match_witx() {
        // Spot-check the values the guest libc relies on most.
        assert_eq!(Errno::Acces.raw(), 2);
        assert_eq!(Errno::Badf.raw(), 8);
        assert_eq!(Errno::Exist.raw(), 20);
        assert_eq!(Errno::Fault.raw(), 21);
        assert_eq!(Errno::Inval.raw(), 28);
        assert_eq!(Errno::Loop.raw(), 32);
        assert_eq!(Errno::Nametoolong.raw(), 37);
        assert_eq!(Errno::Noent.raw(), 44);
        assert_eq!(Errno::Nosys.raw(), 52);
        assert_eq!(Errno::Notempty.raw(), 55);
        assert_eq!(Errno::Perm.raw(), 63);
        assert_eq!(Errno::Spipe.raw(), 70);
        assert_eq!(Errno::Notcapable.raw(), 76);
    }

    #[test]
    fn host_errors_translate() {
        assert_eq!(Errno::from_host(libc::ENOENT), Errno::Noent);
        assert_eq!(Errno::from_host(libc::EAGAIN), Errno::Again);
        assert_eq!(Errno::from_host(libc::EOPNOTSUPP), Errno::Notsup);
        assert_eq!(Errno::from_host(-12345), Errno::Io);
    }
}
