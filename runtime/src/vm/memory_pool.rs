//! Guarded linear-memory reservations kept by the engine for the next
//! process, zeroed, instead of being unmapped.
//!
//! A process of a small program touches a handful of pages of its 8 GiB
//! reservation (the top of its stack, its data). Unmapping the reservation
//! frees those pages and their page tables, and the next process faults
//! fresh zeroed pages in again: together about half of what creating and
//! dropping such a process costs. A kept reservation is zeroed in place
//! instead: pages still resident are cleared with a memset and stay mapped
//! (the next process touches them without a fault), the others are dropped
//! with `MADV_DONTNEED` (which also discards any that were swapped out).
//! This is wasmtime's pooling allocator's "keep resident" idea, decided per
//! page from `mincore` rather than for a fixed prefix. Measured on the seed
//! program (`cargo bench --bench process`), keeping the pages resident
//! makes a process 10.9 µs against 16.1 µs when every page is dropped with
//! `MADV_DONTNEED` and faulted in again.
//!
//! The price: each idle reservation keeps up to 1 MiB resident, so an
//! engine holds at most `Config::memory_pool_size` MiB that no process
//! uses, until it creates memories again or is dropped.
//!
//! A reservation comes back zeroed or not at all: one that has too much
//! resident to clear cheaply (or that cannot be inspected) is unmapped.

use std::sync::Mutex;

/// Most resident bytes a kept reservation may have; more costs more to
/// clear than to unmap and fault in again, and would keep memory alive.
const KEEP_RESIDENT_BYTES: usize = 1 << 20;
/// Most accessible bytes scanned with `mincore` (its vector has one byte
/// per page); larger memories are unmapped.
const MAX_SCANNED_BYTES: usize = 256 << 20;

/// An idle reservation: `accessible` bytes at `base` are read/write (and
/// zero), the rest of the reservation is `PROT_NONE`.
#[derive(Debug)]
pub(crate) struct Reservation {
    pub base: *mut u8,
    pub accessible: usize,
}

// SAFETY: an idle reservation is owned by the pool alone; the pointer is
// only an address of a mapping nothing else uses.
unsafe impl Send for Reservation {}

/// Idle guarded reservations, at most `capacity`.
#[derive(Debug)]
pub(crate) struct MemoryPool {
    idle: Mutex<Vec<Reservation>>,
    capacity: usize,
}

impl MemoryPool {
    /// A pool keeping up to `capacity` reservations.
    pub fn new(capacity: usize) -> MemoryPool {
        MemoryPool {
            idle: Mutex::new(Vec::new()),
            capacity,
        }
    }

    /// Whether the pool keeps anything at all.
    pub fn is_enabled(&self) -> bool {
        self.capacity > 0
    }

    /// An idle reservation, zeroed, if there is one.
    pub fn take(&self) -> Option<Reservation> {
        self.lock().pop()
    }

    /// Keeps the reservation at `base` (whose first `accessible` bytes are
    /// read/write) for a later memory, after zeroing it. Returns it back
    /// when the pool is full or it cannot be zeroed cheaply: the caller
    /// unmaps it then.
    ///
    /// # Safety
    /// `base` is a guarded reservation nothing else uses any more.
    pub unsafe fn put(&self, base: *mut u8, accessible: usize) -> Result<(), Reservation> {
        let reservation = Reservation { base, accessible };
        if self.lock().len() >= self.capacity {
            return Err(reservation);
        }
        // SAFETY: the caller gives up the reservation; zeroing happens
        // outside the lock, other threads only touch the list.
        if !unsafe { zero_in_place(base, accessible) } {
            return Err(reservation);
        }
        let mut idle = self.lock();
        if idle.len() >= self.capacity {
            return Err(reservation);
        }
        idle.push(reservation);
        Ok(())
    }

    /// Unmaps every idle reservation (the engine is going away).
    fn drain(&self, reservation_len: usize) {
        for r in self.lock().drain(..) {
            // SAFETY: idle reservations belong to the pool alone.
            unsafe { libc::munmap(r.base.cast(), reservation_len) };
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Reservation>> {
        // A panic while holding the lock cannot leave the list
        // inconsistent (push and pop only): keep using it.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for MemoryPool {
    fn drop(&mut self) {
        self.drain(super::memory::GUARDED_RESERVATION);
    }
}

/// Makes the `len` bytes at `base` read as zero again: resident pages are
/// cleared in place, the others dropped. `false` (nothing promised about
/// the contents) when that would cost more than unmapping.
///
/// # Safety
/// `[base, base + len)` is read/write memory nothing else uses.
unsafe fn zero_in_place(base: *mut u8, len: usize) -> bool {
    if len > MAX_SCANNED_BYTES {
        return false;
    }
    let page = page_size();
    let pages = len.div_ceil(page);
    let mut resident = vec![0u8; pages];
    // SAFETY: `base` is page-aligned and the range is mapped; the vector
    // has one byte per page.
    if unsafe { libc::mincore(base.cast(), len, resident.as_mut_ptr()) } != 0 {
        return false;
    }
    let is_resident = |i: usize| resident[i] & 1 != 0;
    let count = (0..pages).filter(|&i| is_resident(i)).count();
    if count * page > KEEP_RESIDENT_BYTES {
        return false;
    }
    let mut first = 0;
    while first < pages {
        let kind = is_resident(first);
        let mut end = first;
        while end < pages && is_resident(end) == kind {
            end += 1;
        }
        let start = first * page;
        let bytes = (end * page).min(len) - start;
        // SAFETY: `[start, start + bytes)` lies inside the range.
        unsafe {
            let at = base.add(start);
            if kind {
                std::ptr::write_bytes(at, 0, bytes);
            } else if libc::madvise(at.cast(), bytes, libc::MADV_DONTNEED) != 0 {
                return false;
            }
        }
        first = end;
    }
    true
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::memory::LinearMemory;
    use std::sync::Arc;

    #[test]
    fn a_kept_memory_comes_back_zeroed_and_sized() {
        let pool = Arc::new(MemoryPool::new(2));
        let mut first = LinearMemory::new(4, None, true, None, Some(pool.clone()), false).unwrap();
        let base = first.data().as_ptr();
        first.data_mut()[10] = 1;
        first.data_mut()[3 * 65536 + 5] = 2;
        drop(first);
        let mut second = LinearMemory::new(2, None, true, None, Some(pool.clone()), false).unwrap();
        assert_eq!(second.data().as_ptr(), base, "the reservation was reused");
        assert_eq!(second.size_pages(), 2);
        assert!(second.data().iter().all(|&b| b == 0));
        assert_eq!(second.grow(2), Some(2));
        assert!(
            second.data().iter().all(|&b| b == 0),
            "grown pages are zero too"
        );
    }

    #[test]
    fn a_full_pool_unmaps() {
        let pool = Arc::new(MemoryPool::new(1));
        let a = LinearMemory::new(1, None, true, None, Some(pool.clone()), false).unwrap();
        let b = LinearMemory::new(1, None, true, None, Some(pool.clone()), false).unwrap();
        drop(a);
        drop(b);
        assert_eq!(pool.lock().len(), 1);
    }

    #[test]
    fn a_memory_with_much_resident_is_unmapped() {
        let pool = Arc::new(MemoryPool::new(4));
        let mut big = LinearMemory::new(40, None, true, None, Some(pool.clone()), false).unwrap();
        big.data_mut().fill(7);
        drop(big);
        assert_eq!(pool.lock().len(), 0);
    }
}
