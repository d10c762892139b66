//! WASI preview 1 (`wasi_snapshot_preview1`) implemented on the host side.
//!
//! This module knows nothing about the engine: every function operates on
//! the guest's linear memory passed in as a byte slice, and the engine's
//! glue only has to register each entry of [`functions`] as a host import
//! that forwards to [`WasiCtx::call`].
//!
//! Design points:
//! - Every guest pointer is bounds-checked; a bad pointer yields errno
//!   `EFAULT` (21), never a panic or a trap.
//! - Guest paths are confined to the directory descriptor they are
//!   relative to; escapes fail with `ENOTCAPABLE` (76). See `sandbox.rs`.
//! - Inherited stdout/stderr are written with `write_all` + `flush` on every
//!   call, so guest output already written is never lost if the guest traps.
//! - Rights are reported faithfully (wasi-libc derives `O_RDONLY`/`O_WRONLY`
//!   from them) but not enforced beyond what the host's open mode enforces.
//! - Functions that are not implemented return `ENOSYS` (52).

mod ctx;
mod errno;
mod fd_io;
mod fd_meta;
mod host;
mod memory;
mod misc;
mod output;
mod path;
mod poll;
mod sandbox;
#[cfg(test)]
mod tests;

pub use ctx::{WasiCtx, WasiCtxBuilder};
pub use errno::Errno;
pub use host::add_to_linker;
pub use output::OutputBuffer;

/// Name of the import module that holds these functions.
pub const MODULE_NAME: &str = "wasi_snapshot_preview1";

/// Parameter/result value types of WASI functions (they only use these two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasiValType {
    /// A 32-bit integer (pointers, lengths, fds, flags, errno).
    I32,
    /// A 64-bit integer (offsets, sizes, timestamps, rights).
    I64,
}

/// Why a WASI call did not return normally.
#[derive(Debug)]
pub enum WasiExit {
    /// `proc_exit(code)` was called.
    Exit(i32),
    /// The guest passed a pointer/length outside its linear memory where no
    /// errno could be returned ("out of bounds memory access" trap).
    ///
    /// Reserved: every function of preview 1 can report `EFAULT` instead,
    /// so this implementation currently never produces it.
    MemoryOutOfBounds,
}

/// Signature of one WASI function.
#[derive(Clone, Copy, Debug)]
pub struct WasiFunction {
    /// Import field name within [`MODULE_NAME`].
    pub name: &'static str,
    /// Parameter types in order.
    pub params: &'static [WasiValType],
    /// Result types: `[I32]` (the errno) for all functions but `proc_exit`,
    /// which has none.
    pub results: &'static [WasiValType],
}

const I: WasiValType = WasiValType::I32;
const L: WasiValType = WasiValType::I64;

/// Builds a table entry returning one errno.
const fn errno_fn(name: &'static str, params: &'static [WasiValType]) -> WasiFunction {
    WasiFunction {
        name,
        params,
        results: &[I],
    }
}

/// Every function of `wasi_snapshot_preview1`, with its core-wasm signature.
static FUNCTIONS: &[WasiFunction] = &[
    errno_fn("args_get", &[I, I]),
    errno_fn("args_sizes_get", &[I, I]),
    errno_fn("environ_get", &[I, I]),
    errno_fn("environ_sizes_get", &[I, I]),
    errno_fn("clock_res_get", &[I, I]),
    errno_fn("clock_time_get", &[I, L, I]),
    errno_fn("fd_advise", &[I, L, L, I]),
    errno_fn("fd_allocate", &[I, L, L]),
    errno_fn("fd_close", &[I]),
    errno_fn("fd_datasync", &[I]),
    errno_fn("fd_fdstat_get", &[I, I]),
    errno_fn("fd_fdstat_set_flags", &[I, I]),
    errno_fn("fd_fdstat_set_rights", &[I, L, L]),
    errno_fn("fd_filestat_get", &[I, I]),
    errno_fn("fd_filestat_set_size", &[I, L]),
    errno_fn("fd_filestat_set_times", &[I, L, L, I]),
    errno_fn("fd_pread", &[I, I, I, L, I]),
    errno_fn("fd_prestat_get", &[I, I]),
    errno_fn("fd_prestat_dir_name", &[I, I, I]),
    errno_fn("fd_pwrite", &[I, I, I, L, I]),
    errno_fn("fd_read", &[I, I, I, I]),
    errno_fn("fd_readdir", &[I, I, I, L, I]),
    errno_fn("fd_renumber", &[I, I]),
    errno_fn("fd_seek", &[I, L, I, I]),
    errno_fn("fd_sync", &[I]),
    errno_fn("fd_tell", &[I, I]),
    errno_fn("fd_write", &[I, I, I, I]),
    errno_fn("path_create_directory", &[I, I, I]),
    errno_fn("path_filestat_get", &[I, I, I, I, I]),
    errno_fn("path_filestat_set_times", &[I, I, I, I, L, L, I]),
    errno_fn("path_link", &[I, I, I, I, I, I, I]),
    errno_fn("path_open", &[I, I, I, I, I, L, L, I, I]),
    errno_fn("path_readlink", &[I, I, I, I, I, I]),
    errno_fn("path_remove_directory", &[I, I, I]),
    errno_fn("path_rename", &[I, I, I, I, I, I]),
    errno_fn("path_symlink", &[I, I, I, I, I]),
    errno_fn("path_unlink_file", &[I, I, I]),
    errno_fn("poll_oneoff", &[I, I, I, I]),
    WasiFunction {
        name: "proc_exit",
        params: &[I],
        results: &[],
    },
    errno_fn("proc_raise", &[I]),
    errno_fn("sched_yield", &[]),
    errno_fn("random_get", &[I, I]),
    errno_fn("sock_accept", &[I, I, I]),
    errno_fn("sock_recv", &[I, I, I, I, I, I]),
    errno_fn("sock_send", &[I, I, I, I, I]),
    errno_fn("sock_shutdown", &[I, I]),
];

/// Signature table: every function this module implements (unimplemented
/// ones are listed too and return `ENOSYS`, so guests that merely import
/// them still link).
pub fn functions() -> &'static [WasiFunction] {
    FUNCTIONS
}

/// Looks up the signature of function `name`, if it is part of preview 1.
pub fn function(name: &str) -> Option<&'static WasiFunction> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

impl WasiCtx {
    /// Calls WASI function `name` with raw arguments.
    ///
    /// `i32` arguments are passed as `u64` zero-extended from their `u32`
    /// bits (only the low 32 bits are used); `i64` arguments as their `u64`
    /// bits. Returns the raw results as described by [`functions`]: for
    /// every function except `proc_exit` this is one value holding the errno
    /// (as `u32` bits). An unknown `name` returns `[ENOSYS]`; an argument
    /// count that does not match the signature (a glue bug) returns
    /// `[EINVAL]` without doing anything.
    pub fn call(
        &mut self,
        name: &str,
        memory: &mut [u8],
        args: &[u64],
    ) -> Result<Vec<u64>, WasiExit> {
        let errno = match function(name) {
            None => Errno::Nosys,
            Some(f) if f.params.len() != args.len() => Errno::Inval,
            Some(_) => match self.dispatch(name, memory, args)? {
                Ok(()) => Errno::Success,
                Err(e) => e,
            },
        };
        Ok(vec![u64::from(errno.raw())])
    }

    /// Routes a call to its implementation. The outer `Result` carries
    /// non-local exits; the inner one the errno.
    fn dispatch(
        &mut self,
        name: &str,
        m: &mut [u8],
        args: &[u64],
    ) -> Result<memory::WasiResult<()>, WasiExit> {
        // Missing arguments read as 0 so no input can index out of bounds,
        // even though `call` has already checked the arity.
        let w = |i: usize| args.get(i).copied().unwrap_or(0);
        // Truncation is the ABI: an i32 argument lives in the low 32 bits.
        let p = |i: usize| w(i) as u32;
        let r = match name {
            "args_get" => self.args_get(m, p(0), p(1)),
            "args_sizes_get" => self.args_sizes_get(m, p(0), p(1)),
            "environ_get" => self.environ_get(m, p(0), p(1)),
            "environ_sizes_get" => self.environ_sizes_get(m, p(0), p(1)),
            "clock_res_get" => misc::clock_res_get(m, p(0), p(1)),
            "clock_time_get" => misc::clock_time_get(m, p(0), w(1), p(2)),
            "fd_advise" => self.fd_advise(p(0), w(1), w(2), p(3)),
            "fd_allocate" => self.fd_allocate(p(0), w(1), w(2)),
            "fd_close" => self.fd_close(p(0)),
            "fd_datasync" => self.fd_datasync(p(0)),
            "fd_fdstat_get" => self.fd_fdstat_get(m, p(0), p(1)),
            "fd_fdstat_set_flags" => self.fd_fdstat_set_flags(p(0), p(1)),
            "fd_fdstat_set_rights" => self.fd_fdstat_set_rights(p(0), w(1), w(2)),
            "fd_filestat_get" => self.fd_filestat_get(m, p(0), p(1)),
            "fd_filestat_set_size" => self.fd_filestat_set_size(p(0), w(1)),
            "fd_filestat_set_times" => self.fd_filestat_set_times(p(0), w(1), w(2), p(3)),
            "fd_pread" => self.fd_pread(m, p(0), p(1), p(2), w(3), p(4)),
            "fd_prestat_get" => self.fd_prestat_get(m, p(0), p(1)),
            "fd_prestat_dir_name" => self.fd_prestat_dir_name(m, p(0), p(1), p(2)),
            "fd_pwrite" => self.fd_pwrite(m, p(0), p(1), p(2), w(3), p(4)),
            "fd_read" => self.fd_read(m, p(0), p(1), p(2), p(3)),
            "fd_readdir" => self.fd_readdir(m, p(0), p(1), p(2), w(3), p(4)),
            "fd_renumber" => self.fd_renumber(p(0), p(1)),
            "fd_seek" => self.fd_seek(m, p(0), w(1), p(2), p(3)),
            "fd_sync" => self.fd_sync(p(0)),
            "fd_tell" => self.fd_tell(m, p(0), p(1)),
            "fd_write" => self.fd_write(m, p(0), p(1), p(2), p(3)),
            "path_create_directory" => self.path_create_directory(m, p(0), p(1), p(2)),
            "path_filestat_get" => self.path_filestat_get(m, p(0), p(1), p(2), p(3), p(4)),
            "path_filestat_set_times" => {
                let times = path::Times {
                    atim: w(4),
                    mtim: w(5),
                    flags: p(6),
                };
                self.path_filestat_set_times(m, p(0), p(1), p(2), p(3), times)
            }
            "path_link" => self.path_link(m, [p(0), p(1), p(2), p(3)], [p(4), p(5), p(6)]),
            "path_open" => {
                let req = path::OpenRequest {
                    dirflags: p(1),
                    oflags: p(4),
                    rights_base: w(5),
                    rights_inheriting: w(6),
                    fdflags: p(7),
                };
                self.path_open(m, p(0), p(2), p(3), req, p(8))
            }
            "path_readlink" => self.path_readlink(m, p(0), [p(1), p(2)], [p(3), p(4)], p(5)),
            "path_remove_directory" => self.path_remove_directory(m, p(0), p(1), p(2)),
            "path_rename" => self.path_rename(m, [p(0), p(1), p(2)], [p(3), p(4), p(5)]),
            "path_symlink" => self.path_symlink(m, p(0), p(1), p(2), p(3), p(4)),
            "path_unlink_file" => self.path_unlink_file(m, p(0), p(1), p(2)),
            "poll_oneoff" => self.poll_oneoff(m, p(0), p(1), p(2), p(3)),
            // The exit code is an i32 reinterpreted from its u32 bits.
            "proc_exit" => return Err(WasiExit::Exit(p(0) as i32)),
            "sched_yield" => {
                std::thread::yield_now();
                Ok(())
            }
            "random_get" => self.random_get(m, p(0), p(1)),
            // proc_raise, sock_* and anything unknown.
            _ => Err(Errno::Nosys),
        };
        Ok(r)
    }
}
