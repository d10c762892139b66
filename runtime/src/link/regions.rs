//! Memory and table regions.
//!
//! Every region is taken from the *end* of the shared memory (growing it
//! with `memory.grow`) or the end of the shared table (growing it). No
//! private bump pointer exists, so a region can never overlap memory the
//! guest's allocator already owns: whatever the guest grew is below the
//! current end, and the guest's next `memory.grow` starts above our region.

use crate::error::{Error, Result};
use crate::externals::{Memory, Table};
use crate::store::StoreOpaque;
use crate::values::Val;
use crate::vm::table::MAX_TABLE_ELEMENTS;

/// Bytes in a wasm page.
pub(crate) const PAGE: u64 = 65536;
/// A 32-bit memory can hold at most 4 GiB.
pub(crate) const MAX_MEMORY_BYTES: u64 = 1 << 32;

/// A region wanted by one object.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// Who wants it (for errors).
    pub owner: String,
    /// Bytes or slots.
    pub size: u64,
    /// Alignment as a power of two.
    pub align_log2: u32,
}

/// `x` rounded up to a multiple of `2^p2`, or `None` on overflow.
pub(crate) fn align_up(x: u64, p2: u32) -> Option<u64> {
    let a = 1u64.checked_shl(p2).filter(|&a| a <= MAX_MEMORY_BYTES)?;
    Some(x.checked_add(a - 1)? & !(a - 1))
}

/// Bases for `requests` placed one after another from `start`, and the end.
pub(crate) fn plan(
    start: u64,
    requests: &[Request],
    limit: u64,
    what: &str,
) -> Result<(Vec<u64>, u64)> {
    let mut cursor = start;
    let mut bases = Vec::with_capacity(requests.len());
    for r in requests {
        let end = align_up(cursor, r.align_log2)
            .and_then(|base| Some((base, base.checked_add(r.size)?)))
            .filter(|&(_, end)| end <= limit);
        let Some((base, end)) = end else {
            return Err(Error::msg(format!(
                "{}: its region of {} {what} (alignment 2^{}) does not fit: \
                 {cursor} {what} are in use and the limit is {limit}",
                r.owner, r.size, r.align_log2
            )));
        };
        bases.push(base);
        cursor = end;
    }
    Ok((bases, cursor))
}

/// Current size of `memory` in bytes.
pub(crate) fn memory_end(store: &StoreOpaque, memory: &Memory) -> u64 {
    memory.size_in(store).saturating_mul(PAGE)
}

/// Grows `memory` so that it holds at least `end` bytes.
pub(crate) fn grow_memory_to(store: &mut StoreOpaque, memory: &Memory, end: u64) -> Result<()> {
    let current = memory_end(store, memory);
    if end <= current {
        return Ok(());
    }
    let pages = (end - current).div_ceil(PAGE);
    let limit = store.limits.memory_size;
    memory.grow_in(store, pages).map_err(|_| {
        let why = match limit {
            Some(limit) if end > limit => {
                format!(" (resource limit exceeded: at most {limit} bytes)")
            }
            _ => String::new(),
        };
        Error::msg(format!(
            "cannot grow the process memory by {pages} pages to {end} bytes{why}"
        ))
    })?;
    Ok(())
}

/// Places each request in fresh, zeroed memory at the end of `memory`;
/// returns the base of each.
pub(crate) fn allocate_memory(
    store: &mut StoreOpaque,
    memory: &Memory,
    requests: &[Request],
) -> Result<Vec<u32>> {
    let start = memory_end(store, memory);
    let limit = memory
        .ty_in(store)
        .maximum
        .map_or(MAX_MEMORY_BYTES, |pages| pages.saturating_mul(PAGE))
        .min(MAX_MEMORY_BYTES);
    let (bases, end) = plan(start, requests, limit, "bytes")?;
    grow_memory_to(store, memory, end)?;
    // Every base is below MAX_MEMORY_BYTES, so it fits in 32 bits.
    Ok(bases.into_iter().map(|b| b as u32).collect())
}

/// Places each request in new, null slots at the end of `table`; returns
/// the base of each.
pub(crate) fn allocate_table(
    store: &mut StoreOpaque,
    table: &Table,
    requests: &[Request],
) -> Result<Vec<u32>> {
    let start = table.size_in(store);
    let limit = table
        .ty_in(store)
        .maximum
        .unwrap_or(u64::MAX)
        .min(MAX_TABLE_ELEMENTS);
    let (bases, end) = plan(start, requests, limit, "table slots")?;
    grow_table_to(store, table, end)?;
    Ok(bases.into_iter().map(|b| b as u32).collect())
}

/// Grows `table` so that it has at least `end` slots.
pub(crate) fn grow_table_to(store: &mut StoreOpaque, table: &Table, end: u64) -> Result<()> {
    let current = table.size_in(store);
    if end > current {
        table
            .grow_in(store, end - current, Val::FuncRef(None))
            .map_err(|_| {
                Error::msg(format!(
                    "cannot grow the process table from {current} to {end} slots"
                ))
            })?;
    }
    Ok(())
}

/// Regions given back by unloaded objects, reused first-fit.
#[derive(Debug, Default)]
pub(crate) struct FreeList {
    /// (start, size), disjoint.
    regions: Vec<(u64, u64)>,
}

impl FreeList {
    /// A free sub-range of `size` aligned to `2^align_log2`, if one fits.
    pub fn take(&mut self, size: u64, align_log2: u32) -> Option<u64> {
        let (i, base) = self
            .regions
            .iter()
            .enumerate()
            .find_map(|(i, &(start, len))| {
                let base = align_up(start, align_log2)?;
                (base.checked_add(size)? <= start + len).then_some((i, base))
            })?;
        let (start, len) = self.regions.swap_remove(i);
        if base > start {
            self.regions.push((start, base - start));
        }
        let end = base + size;
        if end < start + len {
            self.regions.push((end, start + len - end));
        }
        Some(base)
    }

    /// Returns a region.
    pub fn give(&mut self, start: u64, size: u64) {
        self.regions.push((start, size));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(size: u64, align_log2: u32) -> Request {
        Request {
            owner: "x".into(),
            size,
            align_log2,
        }
    }

    #[test]
    fn regions_are_aligned_and_disjoint() {
        let (bases, end) = plan(
            3,
            &[req(10, 4), req(1, 0), req(8, 3)],
            MAX_MEMORY_BYTES,
            "bytes",
        )
        .unwrap();
        assert_eq!(bases, vec![16, 26, 32]);
        assert_eq!(end, 40);
    }

    #[test]
    fn free_regions_are_reused_aligned_and_split() {
        let mut free = FreeList::default();
        assert_eq!(free.take(8, 0), None);
        free.give(100, 50);
        assert_eq!(free.take(16, 4), Some(112));
        // What is left: 100..112 and 128..150.
        assert_eq!(free.take(20, 0), Some(128));
        assert_eq!(free.take(12, 0), Some(100));
        assert_eq!(free.take(1, 0), Some(148));
        assert_eq!(free.take(2, 0), None);
    }

    #[test]
    fn absurd_requests_fail_cleanly() {
        assert!(plan(
            0,
            &[req(1 << 31, 0), req(1 << 31, 0), req(1, 0)],
            MAX_MEMORY_BYTES,
            "bytes"
        )
        .is_err());
        assert!(plan(0, &[req(1, 63)], MAX_MEMORY_BYTES, "bytes").is_err());
        assert_eq!(align_up(5, 64), None);
        assert_eq!(align_up(u64::MAX, 4), None);
    }
}
