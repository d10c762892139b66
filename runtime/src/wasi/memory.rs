//! Bounds-checked access to guest linear memory.
//!
//! Guest pointers are untrusted 32-bit offsets into the memory slice. Every
//! helper here checks the whole accessed range with overflow-safe arithmetic
//! and reports [`Errno::Fault`] instead of panicking, so a hostile guest can
//! never make the host index out of bounds. All multi-byte values are
//! little-endian, as the WebAssembly ABI requires; no alignment is demanded
//! because the WASI ABI does not guarantee it for every caller.

use super::errno::Errno;

/// Result type used by all WASI internals: the error is the errno that the
/// guest will see.
pub(crate) type WasiResult<T> = Result<T, Errno>;

/// Converts a guest `(ptr, len)` pair into a host index range, if it lies
/// entirely inside `mem_len` bytes.
fn range(mem_len: usize, ptr: u32, len: usize) -> WasiResult<std::ops::Range<usize>> {
    let start = usize::try_from(ptr).map_err(|_| Errno::Fault)?;
    let end = start.checked_add(len).ok_or(Errno::Fault)?;
    if end > mem_len {
        return Err(Errno::Fault);
    }
    Ok(start..end)
}

/// Converts a guest length (an ABI `u32`) to a host `usize`.
pub(crate) fn len_usize(len: u32) -> WasiResult<usize> {
    usize::try_from(len).map_err(|_| Errno::Fault)
}

/// Borrows `len` guest bytes at `ptr`.
pub(crate) fn slice(mem: &[u8], ptr: u32, len: u32) -> WasiResult<&[u8]> {
    let r = range(mem.len(), ptr, len_usize(len)?)?;
    Ok(&mem[r])
}

/// Mutably borrows `len` guest bytes at `ptr`.
pub(crate) fn slice_mut(mem: &mut [u8], ptr: u32, len: u32) -> WasiResult<&mut [u8]> {
    let r = range(mem.len(), ptr, len_usize(len)?)?;
    Ok(&mut mem[r])
}

/// Checks that `len` bytes at `ptr` are inside memory without borrowing.
///
/// Used to validate output pointers *before* performing a side effect, so
/// that a bad pointer does not lose data that was already consumed.
pub(crate) fn check(mem: &[u8], ptr: u32, len: usize) -> WasiResult<()> {
    range(mem.len(), ptr, len).map(|_| ())
}

/// Copies guest bytes at `ptr` into an owned buffer (used for paths, so the
/// memory borrow ends before host calls that may need `mem` again).
pub(crate) fn read_bytes(mem: &[u8], ptr: u32, len: u32) -> WasiResult<Vec<u8>> {
    slice(mem, ptr, len).map(<[u8]>::to_vec)
}

/// Writes `data` to guest memory at `ptr`.
pub(crate) fn write_bytes(mem: &mut [u8], ptr: u32, data: &[u8]) -> WasiResult<()> {
    let r = range(mem.len(), ptr, data.len())?;
    mem[r].copy_from_slice(data);
    Ok(())
}

/// Reads a fixed-size little-endian field.
fn read_array<const N: usize>(mem: &[u8], ptr: u32) -> WasiResult<[u8; N]> {
    let r = range(mem.len(), ptr, N)?;
    let mut out = [0u8; N];
    out.copy_from_slice(&mem[r]);
    Ok(out)
}

/// Reads a guest `u8`.
pub(crate) fn read_u8(mem: &[u8], ptr: u32) -> WasiResult<u8> {
    read_array::<1>(mem, ptr).map(|b| b[0])
}

/// Reads a guest little-endian `u16`.
pub(crate) fn read_u16(mem: &[u8], ptr: u32) -> WasiResult<u16> {
    read_array(mem, ptr).map(u16::from_le_bytes)
}

/// Reads a guest little-endian `u32`.
pub(crate) fn read_u32(mem: &[u8], ptr: u32) -> WasiResult<u32> {
    read_array(mem, ptr).map(u32::from_le_bytes)
}

/// Reads a guest little-endian `u64`.
pub(crate) fn read_u64(mem: &[u8], ptr: u32) -> WasiResult<u64> {
    read_array(mem, ptr).map(u64::from_le_bytes)
}

/// Writes a guest little-endian `u32`.
pub(crate) fn write_u32(mem: &mut [u8], ptr: u32, value: u32) -> WasiResult<()> {
    write_bytes(mem, ptr, &value.to_le_bytes())
}

/// Writes a guest little-endian `u64`.
pub(crate) fn write_u64(mem: &mut [u8], ptr: u32, value: u64) -> WasiResult<()> {
    write_bytes(mem, ptr, &value.to_le_bytes())
}

/// Adds a byte offset to a guest pointer, failing with `EFAULT` on wrap.
pub(crate) fn offset(ptr: u32, by: usize) -> WasiResult<u32> {
    let by = u32::try_from(by).map_err(|_| Errno::Fault)?;
    ptr.checked_add(by).ok_or(Errno::Fault)
}

/// One guest `iovec`/`ciovec`: a buffer pointer and its length.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IoVec {
    /// Guest address of the buffer.
    pub(crate) ptr: u32,
    /// Buffer length in bytes.
    pub(crate) len: u32,
}

/// Size of an `iovec` in the wasm32 ABI: two `u32` fields.
const IOVEC_SIZE: usize = 8;

/// Reads and validates an array of `count` iovecs at `ptr`.
///
/// Every referenced buffer is bounds-checked up front, so the I/O that
/// follows can index memory without failing halfway through a transfer.
pub(crate) fn read_iovecs(mem: &[u8], ptr: u32, count: u32) -> WasiResult<Vec<IoVec>> {
    let count = len_usize(count)?;
    let table = range(
        mem.len(),
        ptr,
        count.checked_mul(IOVEC_SIZE).ok_or(Errno::Fault)?,
    )?;
    let mut out = Vec::with_capacity(count);
    for raw in mem[table].chunks_exact(IOVEC_SIZE) {
        let iov = IoVec {
            ptr: u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]),
            len: u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]),
        };
        check(mem, iov.ptr, len_usize(iov.len)?)?;
        out.push(iov);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_enforced() {
        let mut mem = vec![0u8; 16];
        assert!(slice(&mem, 0, 16).is_ok());
        assert_eq!(slice(&mem, 1, 16).unwrap_err(), Errno::Fault);
        assert_eq!(slice(&mem, u32::MAX, 2).unwrap_err(), Errno::Fault);
        assert_eq!(write_u64(&mut mem, 9, 1).unwrap_err(), Errno::Fault);
        write_u64(&mut mem, 8, 0x0102_0304_0506_0708).unwrap();
        assert_eq!(read_u64(&mem, 8).unwrap(), 0x0102_0304_0506_0708);
        assert_eq!(read_u8(&mem, 8).unwrap(), 8);
        assert_eq!(offset(u32::MAX, 1).unwrap_err(), Errno::Fault);
    }

    #[test]
    fn iovecs_are_validated() {
        let mut mem = vec![0u8; 64];
        write_u32(&mut mem, 0, 32).unwrap();
        write_u32(&mut mem, 4, 8).unwrap();
        write_u32(&mut mem, 8, 60).unwrap();
        write_u32(&mut mem, 12, 8).unwrap();
        assert_eq!(read_iovecs(&mem, 0, 1).unwrap().len(), 1);
        assert_eq!(read_iovecs(&mem, 0, 2).unwrap_err(), Errno::Fault);
        assert_eq!(read_iovecs(&mem, 0, u32::MAX).unwrap_err(), Errno::Fault);
    }
}
