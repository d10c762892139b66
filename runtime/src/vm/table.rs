//! Tables: growable arrays of raw references (funcref pointers or externref
//! values), with the definition compiled code reads kept in a stable box.

use crate::error::Trap;
use crate::types::ValType;
use crate::vm::{RawRef, VMTableDefinition};

/// Largest table wrun allows, in elements (keeps allocations sane for
/// hostile modules; the spec allows implementations a limit).
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// A table owned by a store.
#[derive(Debug)]
pub struct Table {
    elements: Vec<RawRef>,
    definition: Box<VMTableDefinition>,
    element_type: ValType,
    maximum: Option<u64>,
    /// The most elements it may grow to (a store limit), besides `maximum`.
    limit: u64,
}

// SAFETY: the raw pointer in `definition` points into `elements`, which this value owns.
unsafe impl Send for Table {}

impl Table {
    /// Creates a table of `minimum` elements, all `init`.
    pub fn new(
        element_type: ValType,
        minimum: u64,
        maximum: Option<u64>,
        init: RawRef,
    ) -> Option<Self> {
        if minimum > MAX_TABLE_ELEMENTS {
            return None;
        }
        let mut table = Table {
            elements: vec![init; minimum as usize],
            definition: Box::new(VMTableDefinition {
                base: std::ptr::null_mut(),
                current_elements: 0,
            }),
            element_type,
            maximum,
            limit: u64::MAX,
        };
        table.sync_definition();
        Some(table)
    }

    fn sync_definition(&mut self) {
        self.definition.base = self.elements.as_mut_ptr();
        self.definition.current_elements = self.elements.len() as u64;
    }

    /// Pointer handed to vmctx slots.
    pub fn definition_ptr(&mut self) -> *mut VMTableDefinition {
        &mut *self.definition
    }

    /// Element type.
    pub fn element_type(&self) -> ValType {
        self.element_type
    }

    /// Maximum size, if any.
    pub fn maximum(&self) -> Option<u64> {
        self.maximum
    }

    /// Number of elements.
    pub fn size(&self) -> u64 {
        self.elements.len() as u64
    }

    /// Reads element `index`.
    pub fn get(&self, index: u64) -> Result<RawRef, Trap> {
        self.elements
            .get(index as usize)
            .copied()
            .ok_or(Trap::TableOutOfBounds)
    }

    /// Writes element `index`.
    pub fn set(&mut self, index: u64, value: RawRef) -> Result<(), Trap> {
        let slot = self
            .elements
            .get_mut(index as usize)
            .ok_or(Trap::TableOutOfBounds)?;
        *slot = value;
        Ok(())
    }

    /// Lowers the most elements the table may grow to (a store limit).
    pub fn limit_elements(&mut self, elements: u64) {
        self.limit = self.limit.min(elements);
    }

    /// Grows by `delta` elements set to `init`; returns the old size or `None`.
    pub fn grow(&mut self, delta: u64, init: RawRef) -> Option<u64> {
        let old = self.size();
        let new = old.checked_add(delta)?;
        if new > self.maximum.unwrap_or(u32::MAX as u64)
            || new > MAX_TABLE_ELEMENTS
            || new > self.limit
        {
            return None;
        }
        self.elements.resize(new as usize, init);
        self.sync_definition();
        Some(old)
    }

    /// Sets `len` elements from `dst` to `value`.
    pub fn fill(&mut self, dst: u64, value: RawRef, len: u64) -> Result<(), Trap> {
        let range = checked_range(dst, len, self.size())?;
        self.elements[range].fill(value);
        Ok(())
    }

    /// All elements.
    pub fn elements(&self) -> &[RawRef] {
        &self.elements
    }

    /// All elements, mutable.
    pub fn elements_mut(&mut self) -> &mut [RawRef] {
        &mut self.elements
    }
}

/// `start..start+len` if it fits in `size`, else a table-bounds trap.
pub fn checked_range(start: u64, len: u64, size: u64) -> Result<std::ops::Range<usize>, Trap> {
    match start.checked_add(len) {
        Some(end) if end <= size => Ok(start as usize..end as usize),
        _ => Err(Trap::TableOutOfBounds),
    }
}
