//! The one layout table for instance contexts (vmctx), shared by the code
//! generator (which emits loads at these offsets) and the runtime (which
//! writes the values there).
//!
//! Layout of a vmctx, in order (all pointers 8 bytes):
//! ```text
//! store context pointer      *const VMStoreContext (stack limit, store)
//! instance pointer           *mut InstanceData     (for libcalls)
//! libcall table              *const [*const u8; N] (libcall entry points)
//! memories                   *mut VMMemoryDefinition   per memory (imported or defined)
//! tables                     *mut VMTableDefinition    per table  (imported or defined)
//! memory bases               *mut u8                   per memory (its base, which never moves)
//! imported globals           *mut VMGlobalDefinition   per imported global
//! defined globals            VMGlobalDefinition (16 bytes, 16-aligned) per defined global
//! imported constants         VMGlobalDefinition (16 bytes) per immutable imported global
//! function references        VMFuncRef (24 bytes) per function, imported first
//! type ids                   u32 per type index    (engine-wide signature ids)
//! tags                       *const VMTagDefinition    per tag (imported or defined; 8-aligned)
//! defined tags               VMTagDefinition (8 bytes) per defined tag
//! ```
//! A tag's identity is the address of its definition: an exception matches
//! a `catch` when the pointers are equal, so a tag imported by several
//! modules (`__cpp_exception`) is one tag.
//! Nothing that differs between OS processes or engines is a constant in
//! compiled code: libcall addresses and signature ids are read from here, so
//! one compilation can be mapped from a cache file by every process.
//! Memories and tables are always reached through a pointer so that a defined
//! and an imported one cost the same and an exported one is shared, not copied.
//! A memory's base is also copied into the vmctx: it never moves, and loads
//! and stores then need one load for it instead of two dependent ones.
//! So is the value of an immutable imported global (`__memory_base`,
//! `__table_base`): it cannot change once its exporter exists, and PIC code
//! reads `__memory_base` for nearly every address of its data.

/// Offsets inside a vmctx for one module's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VmOffsets {
    num_memories: u32,
    num_tables: u32,
    num_imported_globals: u32,
    num_defined_globals: u32,
    num_imported_constants: u32,
    num_funcs: u32,
    num_types: u32,
    num_tags: u32,
    num_defined_tags: u32,
    memories: u32,
    tables: u32,
    memory_bases: u32,
    imported_globals: u32,
    defined_globals: u32,
    imported_constants: u32,
    funcrefs: u32,
    type_ids: u32,
    tags: u32,
    defined_tags: u32,
    size: u32,
}

const PTR: u32 = 8;
// The sizes and field offsets of the run-time structs that compiled code
// reads. Written out here (not taken from `vm/`), so that compile-time code
// does not depend on run-time code; a test checks them against the structs.
const GLOBAL_SIZE: u32 = 16;
const FUNCREF_SIZE: u32 = 24;
const TAG_SIZE: u32 = 8;

/// `VMFuncRef::code`.
pub const FUNCREF_CODE: i32 = 0;
/// `VMFuncRef::vmctx`.
pub const FUNCREF_VMCTX: i32 = 8;
/// `VMFuncRef::type_id`.
pub const FUNCREF_TYPE_ID: i32 = 16;
/// `VMMemoryDefinition::base`.
pub const MEMORY_DEF_BASE: i32 = 0;
/// `VMMemoryDefinition::current_length`.
pub const MEMORY_DEF_LENGTH: i32 = 8;
/// `VMTableDefinition::base`.
pub const TABLE_DEF_BASE: i32 = 0;
/// `VMTableDefinition::current_elements`.
pub const TABLE_DEF_LENGTH: i32 = 8;
/// `VMStoreContext::pending_exception`.
pub const STORE_CTX_PENDING_EXCEPTION: i32 = 16;
/// The dispatcher pointer at the start of a host function's context.
pub const HOST_CTX_DISPATCH: i32 = 0;

fn align(offset: u32, to: u32) -> u32 {
    offset.div_ceil(to) * to
}

impl VmOffsets {
    /// Computes the layout for a module with these counts
    /// (`num_imported_constants`: how many imported globals are immutable).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        num_memories: u32,
        num_tables: u32,
        num_imported_globals: u32,
        num_defined_globals: u32,
        num_imported_constants: u32,
        num_funcs: u32,
        num_types: u32,
        num_tags: u32,
        num_imported_tags: u32,
    ) -> Self {
        let memories = 3 * PTR;
        let tables = memories + num_memories * PTR;
        let memory_bases = tables + num_tables * PTR;
        let imported_globals = memory_bases + num_memories * PTR;
        let defined_globals = align(imported_globals + num_imported_globals * PTR, 16);
        let imported_constants = defined_globals + num_defined_globals * GLOBAL_SIZE;
        let funcrefs = imported_constants + num_imported_constants * GLOBAL_SIZE;
        let type_ids = funcrefs + num_funcs * FUNCREF_SIZE;
        let tags = align(type_ids + num_types * 4, 8);
        let num_defined_tags = num_tags - num_imported_tags;
        let defined_tags = tags + num_tags * PTR;
        let size = defined_tags + num_defined_tags * TAG_SIZE;
        VmOffsets {
            num_tags,
            num_defined_tags,
            tags,
            defined_tags,
            num_memories,
            num_tables,
            num_imported_globals,
            num_defined_globals,
            num_imported_constants,
            num_funcs,
            num_types,
            memories,
            tables,
            memory_bases,
            imported_globals,
            defined_globals,
            imported_constants,
            funcrefs,
            type_ids,
            size,
        }
    }

    /// Offset of the store-context pointer.
    pub const fn store_context(&self) -> u32 {
        0
    }

    /// Offset of the instance back-pointer.
    pub const fn instance(&self) -> u32 {
        PTR
    }

    /// Offset of the pointer to the libcall table.
    pub const fn libcalls(&self) -> u32 {
        2 * PTR
    }

    /// Offset of the pointer to memory `index`'s definition.
    pub fn memory(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_memories);
        self.memories + index * PTR
    }

    /// Offset of memory `index`'s base address (copied at instantiation).
    pub fn memory_base(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_memories);
        self.memory_bases + index * PTR
    }

    /// Offset of the pointer to table `index`'s definition.
    pub fn table(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_tables);
        self.tables + index * PTR
    }

    /// Offset of the pointer to imported global `index`'s storage.
    pub fn imported_global(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_imported_globals);
        self.imported_globals + index * PTR
    }

    /// Offset of defined global `index`'s storage (inline in the vmctx).
    pub fn defined_global(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_defined_globals);
        self.defined_globals + index * GLOBAL_SIZE
    }

    /// Offset of the copy of immutable imported global number `slot`
    /// (counted among the immutable imported globals only).
    pub fn imported_constant(&self, slot: u32) -> u32 {
        debug_assert!(slot < self.num_imported_constants);
        self.imported_constants + slot * GLOBAL_SIZE
    }

    /// Offset of function `index`'s `VMFuncRef`.
    pub fn funcref(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_funcs);
        self.funcrefs + index * FUNCREF_SIZE
    }

    /// Offset of type `index`'s engine-wide signature id.
    pub fn type_id(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_types);
        self.type_ids + index * 4
    }

    /// Offset of the pointer to tag `index`'s definition (its identity).
    pub fn tag(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_tags);
        self.tags + index * PTR
    }

    /// Offset of defined tag `index`'s definition (inline in the vmctx).
    pub fn defined_tag(&self, index: u32) -> u32 {
        debug_assert!(index < self.num_defined_tags);
        self.defined_tags + index * TAG_SIZE
    }

    /// Total size of the vmctx in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_packed_in_order_and_aligned() {
        let o = VmOffsets::new(1, 2, 3, 2, 1, 4, 3, 3, 1);
        assert_eq!(o.store_context(), 0);
        assert_eq!(o.instance(), 8);
        assert_eq!(o.libcalls(), 16);
        assert_eq!(o.memory(0), 24);
        assert_eq!(o.table(0), 32);
        assert_eq!(o.table(1), 40);
        assert_eq!(o.memory_base(0), 48);
        assert_eq!(o.imported_global(0), 56);
        assert_eq!(o.imported_global(2), 72);
        assert_eq!(o.defined_global(0), 80, "globals are 16-aligned");
        assert_eq!(o.defined_global(1), 96);
        assert_eq!(o.imported_constant(0), 112);
        assert_eq!(o.funcref(0), 128);
        assert_eq!(o.funcref(3), 128 + 3 * 24);
        assert_eq!(o.type_id(0), 128 + 4 * 24);
        assert_eq!(o.type_id(2), 128 + 4 * 24 + 8);
        assert_eq!(o.tag(0), 128 + 4 * 24 + 16, "tags are 8-aligned");
        assert_eq!(o.tag(2), 128 + 4 * 24 + 32);
        assert_eq!(o.defined_tag(0), 128 + 4 * 24 + 40);
        assert_eq!(o.defined_tag(1), 128 + 4 * 24 + 48);
        assert_eq!(o.size(), 128 + 4 * 24 + 56);
    }

    #[test]
    fn sizes_match_the_runtime_structs() {
        use crate::vm::{VMFuncRef, VMGlobalDefinition, VMMemoryDefinition, VMTableDefinition};
        use std::mem::{offset_of, size_of};
        assert_eq!(GLOBAL_SIZE as usize, size_of::<VMGlobalDefinition>());
        assert_eq!(FUNCREF_SIZE as usize, size_of::<VMFuncRef>());
        assert_eq!(FUNCREF_CODE as usize, offset_of!(VMFuncRef, code));
        assert_eq!(FUNCREF_VMCTX as usize, offset_of!(VMFuncRef, vmctx));
        assert_eq!(FUNCREF_TYPE_ID as usize, offset_of!(VMFuncRef, type_id));
        assert_eq!(
            MEMORY_DEF_BASE as usize,
            offset_of!(VMMemoryDefinition, base)
        );
        assert_eq!(
            MEMORY_DEF_LENGTH as usize,
            offset_of!(VMMemoryDefinition, current_length)
        );
        assert_eq!(TABLE_DEF_BASE as usize, offset_of!(VMTableDefinition, base));
        assert_eq!(
            TABLE_DEF_LENGTH as usize,
            offset_of!(VMTableDefinition, current_elements)
        );
        use crate::vm::VMStoreContext;
        assert_eq!(
            STORE_CTX_PENDING_EXCEPTION as usize,
            offset_of!(VMStoreContext, pending_exception)
        );
        assert_eq!(TAG_SIZE as usize, size_of::<crate::vm::VMTagDefinition>());
        // The host stub loads the dispatcher from offset 0 of its context.
        assert_eq!(HOST_CTX_DISPATCH, 0);
    }
}
