//! Arguments, environment, clocks and randomness.

use std::fs::File;
use std::io::Read;

use super::ctx::WasiCtx;
use super::errno::Errno;
use super::memory::{check, offset, slice_mut, write_bytes, write_u32, write_u64, WasiResult};

/// Host clock for a WASI `clockid` (realtime, monotonic, process and thread
/// CPU time); anything else is `EINVAL`.
fn host_clock(id: u32) -> WasiResult<libc::clockid_t> {
    match id {
        0 => Ok(libc::CLOCK_REALTIME),
        1 => Ok(libc::CLOCK_MONOTONIC),
        2 => Ok(libc::CLOCK_PROCESS_CPUTIME_ID),
        3 => Ok(libc::CLOCK_THREAD_CPUTIME_ID),
        _ => Err(Errno::Inval),
    }
}

/// Converts a host timespec to nanoseconds, clamped to the u64 range.
// `time_t`/`c_long` are i64 on 64-bit hosts but narrower elsewhere.
#[allow(clippy::unnecessary_cast)]
fn nanos(ts: &libc::timespec) -> u64 {
    let ns = i128::from(ts.tv_sec as i64) * 1_000_000_000 + i128::from(ts.tv_nsec as i64);
    u64::try_from(ns.max(0)).unwrap_or(u64::MAX)
}

/// Current time of WASI clock `id` in nanoseconds.
pub(crate) fn clock_now(id: u32) -> WasiResult<u64> {
    let clock = host_clock(id)?;
    // SAFETY: zero is a valid timespec; it is a plain C struct.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `ts` is a valid out-pointer.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Err(Errno::last());
    }
    Ok(nanos(&ts))
}

/// `clock_res_get(id, resolution_ptr)`.
pub(crate) fn clock_res_get(mem: &mut [u8], id: u32, out: u32) -> WasiResult<()> {
    let clock = host_clock(id)?;
    // SAFETY: zero is a valid timespec; it is a plain C struct.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `ts` is a valid out-pointer.
    if unsafe { libc::clock_getres(clock, &mut ts) } != 0 {
        return Err(Errno::last());
    }
    write_u64(mem, out, nanos(&ts))
}

/// `clock_time_get(id, precision, time_ptr)`; the precision hint is
/// ignored because the host clock is read at its best resolution anyway.
pub(crate) fn clock_time_get(mem: &mut [u8], id: u32, _precision: u64, out: u32) -> WasiResult<()> {
    check(mem, out, 8)?;
    let now = clock_now(id)?;
    write_u64(mem, out, now)
}

/// Writes `(count, total bytes)` of a string list to two guest u32s.
fn sizes_get(list: &[Vec<u8>], mem: &mut [u8], count_ptr: u32, size_ptr: u32) -> WasiResult<()> {
    check(mem, count_ptr, 4)?;
    check(mem, size_ptr, 4)?;
    let count = u32::try_from(list.len()).map_err(|_| Errno::Overflow)?;
    let size = list.iter().map(Vec::len).sum::<usize>();
    let size = u32::try_from(size).map_err(|_| Errno::Overflow)?;
    write_u32(mem, count_ptr, count)?;
    write_u32(mem, size_ptr, size)
}

/// Writes a string list as a pointer array at `ptrs` plus the packed
/// NUL-terminated strings at `buf` (the argv/environ layout).
fn list_get(list: &[Vec<u8>], mem: &mut [u8], ptrs: u32, buf: u32) -> WasiResult<()> {
    let mut at = buf;
    for (i, item) in list.iter().enumerate() {
        let slot = offset(ptrs, i.checked_mul(4).ok_or(Errno::Fault)?)?;
        write_u32(mem, slot, at)?;
        write_bytes(mem, at, item)?;
        at = offset(at, item.len())?;
    }
    Ok(())
}

impl WasiCtx {
    /// `args_sizes_get(argc_ptr, argv_buf_size_ptr)`.
    pub(crate) fn args_sizes_get(
        &mut self,
        mem: &mut [u8],
        argc: u32,
        size: u32,
    ) -> WasiResult<()> {
        sizes_get(&self.args, mem, argc, size)
    }

    /// `args_get(argv_ptr, argv_buf_ptr)`.
    pub(crate) fn args_get(&mut self, mem: &mut [u8], argv: u32, buf: u32) -> WasiResult<()> {
        list_get(&self.args, mem, argv, buf)
    }

    /// `environ_sizes_get(count_ptr, buf_size_ptr)`.
    pub(crate) fn environ_sizes_get(
        &mut self,
        mem: &mut [u8],
        count: u32,
        size: u32,
    ) -> WasiResult<()> {
        sizes_get(&self.env, mem, count, size)
    }

    /// `environ_get(environ_ptr, environ_buf_ptr)`.
    pub(crate) fn environ_get(&mut self, mem: &mut [u8], ptrs: u32, buf: u32) -> WasiResult<()> {
        list_get(&self.env, mem, ptrs, buf)
    }

    /// `random_get(buf, len)`: fills guest memory from the host's
    /// `/dev/urandom`, which never blocks once the system is up and needs
    /// no extra crate. The handle is kept open for later calls.
    pub(crate) fn random_get(&mut self, mem: &mut [u8], buf: u32, len: u32) -> WasiResult<()> {
        let out = slice_mut(mem, buf, len)?;
        if out.is_empty() {
            return Ok(());
        }
        let source = match &mut self.urandom {
            Some(f) => f,
            slot => slot.insert(File::open("/dev/urandom")?),
        };
        source.read_exact(out)?;
        Ok(())
    }
}
