//! A module's trap sites: the offset in the text of each instruction that
//! can trap, and its trap, sorted by offset. The table is kept in the form
//! the disk cache stores it, 5-byte records (the offset as a little-endian
//! `u32`, then the Cranelift trap code), so that the table of a mapped
//! cache file is used where it lies: SQLite has 100,000s of trap sites, and
//! decoding them into a vector at every warm start was a fifth of its
//! instructions (and a megabyte of fresh pages).

use super::{trap_code, trap_from_code};
use crate::error::Trap;
use crate::vm::code_memory::CodeMemory;
use cranelift_codegen::ir::TrapCode;
use std::num::NonZeroU8;
use std::ops::Range;
use std::sync::Arc;

/// Bytes of one record.
pub(crate) const RECORD: usize = 5;

/// Trap sites by offset (see the module documentation).
#[derive(Clone)]
pub(crate) struct TrapTable {
    records: Records,
}

#[derive(Clone)]
enum Records {
    /// Built by the compiler.
    Owned(Arc<[u8]>),
    /// `range` of a cache file mapped by `memory` (checked when mapped).
    Mapped {
        memory: Arc<CodeMemory>,
        range: Range<usize>,
    },
}

impl TrapTable {
    /// The table of `sites`, sorted by offset. Traps that compiled code
    /// does not raise have no code and are left out.
    pub fn from_sites(sites: &[(u32, Trap)]) -> TrapTable {
        let mut records = Vec::with_capacity(sites.len() * RECORD);
        for (at, trap) in sites {
            if let Some(code) = trap_code(*trap) {
                records.extend_from_slice(&at.to_le_bytes());
                records.push(code.as_raw().get());
            }
        }
        TrapTable {
            records: Records::Owned(records.into()),
        }
    }

    /// The table at `range` of the bytes `memory` maps, which `check`
    /// accepted.
    pub fn in_mapping(memory: Arc<CodeMemory>, range: Range<usize>) -> TrapTable {
        debug_assert!(range.end <= memory.bytes().len());
        TrapTable {
            records: Records::Mapped { memory, range },
        }
    }

    /// Checks `records` as a table for a text of `text_len` bytes: whole
    /// records, known trap codes, offsets inside the text and in order. The
    /// error says what is wrong.
    pub fn check(records: &[u8], text_len: usize) -> Result<(), &'static str> {
        if !records.len().is_multiple_of(RECORD) {
            return Err("trap table of partial records");
        }
        let mut known = [false; 256];
        for (code, known) in known.iter_mut().enumerate() {
            *known = trap_of(code as u8).is_some();
        }
        // One pass, the checks folded into flags: a cached start checks
        // every record of every module.
        let (mut last, mut misplaced, mut unknown) = (0u32, false, false);
        for record in records.chunks_exact(RECORD) {
            let at = offset_of(record);
            misplaced |= at as usize >= text_len || at < last;
            unknown |= !known[usize::from(record[4])];
            last = at;
        }
        if unknown {
            return Err("unknown trap code");
        }
        if misplaced {
            return Err("trap site outside the text or out of order");
        }
        Ok(())
    }

    /// The records, as stored in a cache file.
    pub fn records(&self) -> &[u8] {
        match &self.records {
            Records::Owned(records) => records,
            Records::Mapped { memory, range } => &memory.bytes()[range.clone()],
        }
    }

    /// The number of trap sites.
    pub fn len(&self) -> usize {
        self.records().len() / RECORD
    }

    /// Every (offset, trap), in order.
    pub fn sites(&self) -> impl Iterator<Item = (u32, Trap)> + '_ {
        self.records()
            .chunks_exact(RECORD)
            .filter_map(|r| Some((offset_of(r), trap_of(r[4])?)))
    }

    /// The trap of the site at `offset`, if there is one. Called from the
    /// signal handler: no allocation, no lock.
    pub fn trap_at(&self, offset: u32) -> Option<Trap> {
        let records = self.records();
        let (mut low, mut high) = (0, records.len() / RECORD);
        while low < high {
            let mid = low + (high - low) / 2;
            let record = &records[mid * RECORD..(mid + 1) * RECORD];
            match offset_of(record).cmp(&offset) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return trap_of(record[4]),
            }
        }
        None
    }
}

fn offset_of(record: &[u8]) -> u32 {
    u32::from_le_bytes(record[..4].try_into().expect("a record has 5 bytes"))
}

fn trap_of(code: u8) -> Option<Trap> {
    trap_from_code(TrapCode::from_raw(NonZeroU8::new(code)?))
}

impl Default for TrapTable {
    fn default() -> TrapTable {
        TrapTable::from_sites(&[])
    }
}

impl PartialEq for TrapTable {
    fn eq(&self, other: &TrapTable) -> bool {
        self.records() == other.records()
    }
}

impl Eq for TrapTable {}

impl std::fmt::Debug for TrapTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.sites()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_are_found_by_offset_and_others_are_not_sites() {
        let sites: Vec<(u32, Trap)> = (0..1000)
            .map(|i| {
                (
                    i * 3 + 1,
                    if i % 2 == 0 {
                        Trap::Unreachable
                    } else {
                        Trap::MemoryOutOfBounds
                    },
                )
            })
            .collect();
        let table = TrapTable::from_sites(&sites);
        assert_eq!(table.len(), 1000);
        assert_eq!(table.sites().collect::<Vec<_>>(), sites);
        for (at, trap) in &sites {
            assert_eq!(table.trap_at(*at), Some(*trap));
            assert_eq!(table.trap_at(at + 1), None);
        }
        assert_eq!(table.trap_at(0), None);
        assert_eq!(TrapTable::default().trap_at(0), None);
    }

    #[test]
    fn traps_compiled_code_does_not_raise_are_left_out() {
        let table = TrapTable::from_sites(&[(1, Trap::HostError), (2, Trap::Interrupt)]);
        assert_eq!(table.sites().collect::<Vec<_>>(), [(2, Trap::Interrupt)]);
    }

    #[test]
    fn check_refuses_what_a_table_cannot_be() {
        let good = TrapTable::from_sites(&[(1, Trap::Unreachable), (9, Trap::StackOverflow)]);
        let records = good.records().to_vec();
        assert_eq!(TrapTable::check(&records, 10), Ok(()));
        assert!(TrapTable::check(&records, 9).is_err(), "outside the text");
        assert!(
            TrapTable::check(&records[..7], 10).is_err(),
            "partial record"
        );
        let mut swapped = records[5..].to_vec();
        swapped.extend_from_slice(&records[..5]);
        assert!(TrapTable::check(&swapped, 10).is_err(), "out of order");
        let mut unknown = records.clone();
        unknown[4] = 0;
        assert!(TrapTable::check(&unknown, 10).is_err(), "trap code 0");
    }
}
