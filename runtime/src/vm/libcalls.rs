//! Runtime functions that compiled code calls for operations too large to
//! inline: memory.grow and bulk memory, table growth and bulk table ops.
//!
//! Each takes the calling instance's vmctx first. Out-of-bounds arguments
//! raise a trap (a longjmp back to the host entry), so these functions create
//! no owning values before their bounds checks.

use crate::error::Trap;
use crate::libcall::Libcall;
use crate::vm::instance::InstanceData;
use crate::vm::traps::raise_trap;
use crate::vm::VMContext;

/// The libcall entry points, by `Libcall` discriminant. Every vmctx points
/// here (`VmOffsets::libcalls`) and compiled code calls through it, so the
/// code holds no host address and stays valid in any OS process.
#[repr(transparent)]
pub(crate) struct LibcallTable([*const u8; Libcall::ALL.len()]);

// SAFETY: the table is immutable and holds only function addresses.
unsafe impl Sync for LibcallTable {}

/// The one libcall table of this OS process.
pub(crate) static LIBCALLS: LibcallTable = LibcallTable([
    memory_grow as *const u8,
    memory_fill as *const u8,
    memory_copy as *const u8,
    memory_init as *const u8,
    data_drop as *const u8,
    table_grow as *const u8,
    table_fill as *const u8,
    table_copy as *const u8,
    table_init as *const u8,
    elem_drop as *const u8,
    crate::vm::exceptions::throw as *const u8,
    crate::vm::exceptions::throw_ref as *const u8,
    crate::vm::exceptions::exception_tag as *const u8,
    crate::vm::exceptions::exception_payload as *const u8,
    crate::vm::exceptions::exception_hold as *const u8,
    crate::vm::exceptions::exception_release as *const u8,
    crate::vm::exceptions::exception_caught as *const u8,
    crate::vm::exceptions::exception_expose as *const u8,
    crate::vm::traps::unwind_to_handler as *const u8,
]);

impl LibcallTable {
    /// Address of the table, as stored in every vmctx.
    pub(crate) fn as_ptr(&self) -> *const *const u8 {
        self.0.as_ptr()
    }
}

/// # Safety
/// `vmctx` must be a live instance's vmctx.
unsafe fn instance<'a>(vmctx: *mut VMContext) -> &'a mut InstanceData {
    // SAFETY: the instance pointer is written at instantiation and outlives calls.
    unsafe { InstanceData::from_vmctx(vmctx) }
}

/// Byte range `start..start+len` within `size`, or a memory trap.
fn memory_range(start: u32, len: u32, size: usize) -> std::ops::Range<usize> {
    let (start, len) = (start as usize, len as usize);
    match start.checked_add(len) {
        Some(end) if end <= size => start..end,
        // SAFETY: called only from libcalls, inside a wasm call, with nothing to drop.
        _ => unsafe { raise_trap(Trap::MemoryOutOfBounds) },
    }
}

fn table_range(start: u32, len: u32, size: u64) -> std::ops::Range<usize> {
    match crate::vm::table::checked_range(start.into(), len.into(), size) {
        Ok(r) => r,
        // SAFETY: as in memory_range.
        Err(trap) => unsafe { raise_trap(trap) },
    }
}

unsafe extern "C" fn memory_grow(vmctx: *mut VMContext, mem: u32, delta: u32) -> i32 {
    // SAFETY: compiled code passes its own live vmctx.
    let inst = unsafe { instance(vmctx) };
    match inst.memory(mem).grow(u64::from(delta)) {
        Some(old) => old as i32,
        None => -1,
    }
}

unsafe extern "C" fn memory_fill(vmctx: *mut VMContext, mem: u32, dst: u32, val: u32, len: u32) {
    // SAFETY: compiled code passes its own live vmctx.
    let inst = unsafe { instance(vmctx) };
    let data = inst.memory(mem).data_mut();
    let range = memory_range(dst, len, data.len());
    data[range].fill(val as u8);
}

unsafe extern "C" fn memory_copy(
    vmctx: *mut VMContext,
    dst_mem: u32,
    src_mem: u32,
    dst: u32,
    src: u32,
    len: u32,
) {
    // SAFETY: compiled code passes its own live vmctx.
    let inst = unsafe { instance(vmctx) };
    let src_range = memory_range(src, len, inst.memory(src_mem).data().len());
    let dst_range = memory_range(dst, len, inst.memory(dst_mem).data().len());
    let src_ptr = inst.memory(src_mem).data().as_ptr();
    let dst_ptr = inst.memory(dst_mem).data_mut().as_mut_ptr();
    // SAFETY: both ranges are checked; `copy` handles overlap.
    unsafe {
        std::ptr::copy(
            src_ptr.add(src_range.start),
            dst_ptr.add(dst_range.start),
            len as usize,
        );
    }
}

unsafe extern "C" fn memory_init(
    vmctx: *mut VMContext,
    mem: u32,
    data_index: u32,
    dst: u32,
    src: u32,
    len: u32,
) {
    // SAFETY: compiled code passes its own live vmctx.
    let inst = unsafe { instance(vmctx) };
    let segment: &[u8] = inst.data_segment(data_index);
    let src_range = memory_range(src, len, segment.len());
    let segment_ptr = segment.as_ptr();
    let data = inst.memory(mem).data_mut();
    let dst_range = memory_range(dst, len, data.len());
    // SAFETY: both ranges are checked; a data segment never overlaps linear memory.
    unsafe {
        std::ptr::copy_nonoverlapping(
            segment_ptr.add(src_range.start),
            data.as_mut_ptr().add(dst_range.start),
            len as usize,
        );
    }
}

unsafe extern "C" fn data_drop(vmctx: *mut VMContext, data_index: u32) {
    // SAFETY: compiled code passes its own live vmctx.
    unsafe { instance(vmctx) }.drop_data(data_index);
}

unsafe extern "C" fn table_grow(vmctx: *mut VMContext, table: u32, init: usize, delta: u32) -> i32 {
    // SAFETY: compiled code passes its own live vmctx.
    let inst = unsafe { instance(vmctx) };
    match inst.table(table).grow(u64::from(delta), init) {
        Some(old) => old as i32,
        None => -1,
    }
}

unsafe extern "C" fn table_fill(vmctx: *mut VMContext, table: u32, dst: u32, val: usize, len: u32) {
    // SAFETY: compiled code passes its own live vmctx.
    let inst = unsafe { instance(vmctx) };
    if let Err(trap) = inst.table(table).fill(dst.into(), val, len.into()) {
        // SAFETY: inside a wasm call; nothing here needs dropping.
        unsafe { raise_trap(trap) }
    }
}

unsafe extern "C" fn table_copy(
    vmctx: *mut VMContext,
    dst_table: u32,
    src_table: u32,
    dst: u32,
    src: u32,
    len: u32,
) {
    // SAFETY: compiled code passes its own live vmctx.
    let inst = unsafe { instance(vmctx) };
    let src_range = table_range(src, len, inst.table(src_table).size());
    let dst_range = table_range(dst, len, inst.table(dst_table).size());
    let src_ptr = inst.table(src_table).elements().as_ptr();
    let dst_ptr = inst.table(dst_table).elements_mut().as_mut_ptr();
    // SAFETY: both ranges are checked; `copy` handles the same-table overlap.
    unsafe {
        std::ptr::copy(
            src_ptr.add(src_range.start),
            dst_ptr.add(dst_range.start),
            len as usize,
        );
    }
}

unsafe extern "C" fn table_init(
    vmctx: *mut VMContext,
    table: u32,
    elem_index: u32,
    dst: u32,
    src: u32,
    len: u32,
) {
    // SAFETY: compiled code passes its own live vmctx.
    let inst = unsafe { instance(vmctx) };
    let segment_len = inst.element_segment_len(elem_index);
    let src_range = table_range(src, len, segment_len as u64);
    let dst_range = table_range(dst, len, inst.table(table).size());
    for (d, s) in dst_range.zip(src_range) {
        let value = inst.element_value(elem_index, s);
        inst.table(table).elements_mut()[d] = value;
    }
}

unsafe extern "C" fn elem_drop(vmctx: *mut VMContext, elem_index: u32) {
    // SAFETY: compiled code passes its own live vmctx.
    unsafe { instance(vmctx) }.drop_element(elem_index);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_discriminant_and_has_no_duplicates() {
        for (i, libcall) in Libcall::ALL.iter().enumerate() {
            assert_eq!(*libcall as usize, i, "{libcall:?}");
        }
        let mut entries = LIBCALLS.0.to_vec();
        entries.sort();
        entries.dedup();
        assert_eq!(entries.len(), Libcall::ALL.len());
    }
}
