//! Linear memories: address space reserved once so the base never moves, and
//! guard pages behind it so that compiled code needs no bounds checks.

use crate::error::{Error, Result};
use crate::vm::memory_pool::MemoryPool;
use crate::vm::VMMemoryDefinition;
use std::sync::Arc;

/// Size of a wasm page.
pub const WASM_PAGE_SIZE: u64 = 65536;
/// Largest 32-bit memory, in pages (4 GiB).
pub const MAX_PAGES: u64 = 65536;
/// Bytes reserved per memory with guard pages: 4 GiB of addressable memory
/// plus 4 GiB of guard, so that any `i32 address + u32 offset + access
/// size` lands inside the reservation and faults instead of touching
/// someone else's memory. Without guard pages (code with explicit bounds
/// checks) a memory reserves only its maximum.
pub const GUARDED_RESERVATION: usize = 8 << 30 | 1 << 16;

/// Whether this OS process can reserve guarded memories (a `ulimit -v`
/// may refuse 8 GiB of address space).
pub fn guard_pages_available() -> bool {
    // SAFETY: a PROT_NONE probe mapping, unmapped at once.
    unsafe {
        let probe = libc::mmap(
            std::ptr::null_mut(),
            GUARDED_RESERVATION,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        );
        if probe == libc::MAP_FAILED {
            return false;
        }
        libc::munmap(probe, GUARDED_RESERVATION);
        true
    }
}

/// A linear memory owned by a store.
#[derive(Debug)]
pub struct LinearMemory {
    /// Shared with compiled code: vmctx slots point at this box.
    definition: Box<VMMemoryDefinition>,
    maximum_pages: u64,
    /// The maximum as declared (`None`: unbounded, i.e. 4 GiB), for import matching.
    declared_maximum: Option<u64>,
    /// Bytes of address space reserved at `base`.
    reservation: usize,
    /// Where a guarded reservation goes when the memory is dropped.
    pool: Option<Arc<MemoryPool>>,
}

// SAFETY: the memory is a private anonymous mapping owned by this value; the
// raw pointer is only an address into it.
unsafe impl Send for LinearMemory {}

impl LinearMemory {
    /// Reserves address space and makes `minimum` pages accessible.
    ///
    /// `guard`: reserve 8 GiB for code without bounds checks; otherwise
    /// reserve only the most the memory may grow to (its maximum, or
    /// `limit_pages`), for code that checks every access. A guarded memory
    /// takes an idle reservation from `pool` if it has one, and goes back
    /// to it when dropped. `huge_pages`: see `Config::memory_huge_pages`
    /// (one engine, one pool, one setting: a pooled reservation keeps the
    /// advice it was made with).
    pub fn new(
        minimum: u64,
        maximum: Option<u64>,
        guard: bool,
        limit_pages: Option<u64>,
        pool: Option<Arc<MemoryPool>>,
        huge_pages: bool,
    ) -> Result<Self> {
        let maximum_pages = maximum
            .unwrap_or(MAX_PAGES)
            .min(MAX_PAGES)
            .min(limit_pages.unwrap_or(MAX_PAGES));
        if minimum > maximum_pages {
            return Err(Error::msg("memory minimum exceeds its maximum"));
        }
        let pool = pool.filter(|p| guard && p.is_enabled());
        if let Some(idle) = pool.as_ref().and_then(|p| p.take()) {
            let mut memory = LinearMemory {
                definition: Box::new(VMMemoryDefinition {
                    base: idle.base,
                    current_length: idle.accessible as u64,
                }),
                maximum_pages,
                declared_maximum: maximum,
                reservation: GUARDED_RESERVATION,
                pool,
            };
            memory.resize_to(minimum)?;
            return Ok(memory);
        }
        let reservation = if guard {
            GUARDED_RESERVATION
        } else {
            (maximum_pages.max(1) * WASM_PAGE_SIZE) as usize
        };
        // SAFETY: anonymous PROT_NONE reservation; no existing memory is affected.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                reservation,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(Error::msg(format!(
                "cannot reserve address space for a linear memory: {}",
                std::io::Error::last_os_error()
            )));
        }
        if huge_pages {
            // Only 2 MiB-aligned ranges wholly inside the grown part get a
            // huge page, so a memory smaller than that keeps small pages.
            // Advice, not a requirement: an error (no THP in this kernel)
            // changes nothing.
            // SAFETY: advice on our own fresh reservation.
            unsafe { libc::madvise(base, reservation, libc::MADV_HUGEPAGE) };
        }
        let mut memory = LinearMemory {
            definition: Box::new(VMMemoryDefinition {
                base: base.cast(),
                current_length: 0,
            }),
            maximum_pages,
            declared_maximum: maximum,
            reservation,
            pool,
        };
        memory.resize_to(minimum)?;
        Ok(memory)
    }

    /// Makes exactly `pages` pages accessible (a reused reservation may
    /// have more or fewer than the new memory starts with).
    fn resize_to(&mut self, pages: u64) -> Result<()> {
        let current = self.size_pages();
        if pages >= current {
            return match self.grow(pages - current) {
                Some(_) => Ok(()),
                None => Err(Error::msg(
                    "cannot commit the initial pages of a linear memory",
                )),
            };
        }
        let keep = (pages * WASM_PAGE_SIZE) as usize;
        let excess = self.definition.current_length as usize - keep;
        // SAFETY: the excess lies inside the reservation and nothing uses it.
        let rc = unsafe {
            libc::mprotect(
                self.definition.base.add(keep).cast(),
                excess,
                libc::PROT_NONE,
            )
        };
        if rc != 0 {
            return Err(Error::msg(format!(
                "cannot set up a linear memory: {}",
                std::io::Error::last_os_error()
            )));
        }
        self.definition.current_length = keep as u64;
        Ok(())
    }

    /// Pointer handed to vmctx slots.
    pub fn definition_ptr(&mut self) -> *mut VMMemoryDefinition {
        &mut *self.definition
    }

    /// Current size in pages.
    pub fn size_pages(&self) -> u64 {
        self.definition.current_length / WASM_PAGE_SIZE
    }

    /// The maximum as declared, if any.
    pub fn declared_maximum(&self) -> Option<u64> {
        self.declared_maximum
    }

    /// Grows by `delta` pages; returns the previous size in pages, or `None`
    /// (the guest sees -1) past the maximum or when the OS refuses.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.size_pages();
        let new = old.checked_add(delta)?;
        if new > self.maximum_pages {
            return None;
        }
        if delta == 0 {
            return Some(old);
        }
        let start = self.definition.current_length as usize;
        let len = (delta * WASM_PAGE_SIZE) as usize;
        // SAFETY: [start, start+len) lies inside our reservation (new <= 4 GiB).
        let rc = unsafe {
            libc::mprotect(
                self.definition.base.add(start).cast(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        if rc != 0 {
            return None;
        }
        self.definition.current_length = new * WASM_PAGE_SIZE;
        Some(old)
    }

    /// The accessible bytes.
    pub fn data(&self) -> &[u8] {
        // SAFETY: [base, base+current_length) is mapped read/write.
        unsafe {
            std::slice::from_raw_parts(
                self.definition.base,
                self.definition.current_length as usize,
            )
        }
    }

    /// The accessible bytes, mutable.
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `data`, and we hold `&mut self`.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.definition.base,
                self.definition.current_length as usize,
            )
        }
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        let base = self.definition.base;
        if let Some(pool) = self.pool.take() {
            // SAFETY: the memory is going away; its reservation is
            // guarded (the pool only comes with guarded memories).
            let kept = unsafe { pool.put(base, self.definition.current_length as usize) };
            if kept.is_ok() {
                return;
            }
        }
        // SAFETY: unmapping exactly the reservation made in `new`.
        unsafe {
            libc::munmap(base.cast(), self.reservation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grow_honours_maximum_and_keeps_base() {
        let mut m = LinearMemory::new(1, Some(3), true, None, None, false).unwrap();
        let base = m.data().as_ptr();
        assert_eq!(m.grow(1), Some(1));
        assert_eq!(m.grow(2), None);
        assert_eq!(m.grow(1), Some(2));
        assert_eq!(m.size_pages(), 3);
        assert_eq!(m.data().as_ptr(), base);
        m.data_mut()[3 * 65536 - 1] = 7;
        assert_eq!(m.data()[3 * 65536 - 1], 7);
    }
}
