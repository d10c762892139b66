//! Run-time state of processes: the structs that compiled code reads through
//! the vmctx, linear memories, tables, trap handling and libcalls.
//!
//! Nothing here knows how code is generated; the layout contract between the
//! two sides is [`crate::vmoffsets::VmOffsets`] plus the `#[repr(C)]` structs
//! below.

pub(crate) mod code_memory;
pub(crate) mod code_registry;
pub(crate) mod epoch_watch;
pub(crate) mod exceptions;
pub(crate) mod instance;
pub(crate) mod libcalls;
pub(crate) mod memory;
pub(crate) mod memory_pool;
pub(crate) mod table;
pub(crate) mod traps;

/// Opaque instance context; code receives a pointer to one as its first argument.
#[repr(C)]
pub struct VMContext {
    _private: [u8; 0],
}

/// A function as wasm code sees it: where its code is, which vmctx it runs
/// with, and its engine-wide signature id (checked by `call_indirect`).
/// Table elements of type funcref are pointers to these.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VMFuncRef {
    /// Entry point, in the wasm calling convention `(callee_vmctx, caller_vmctx, params...)`.
    pub code: *const u8,
    /// The vmctx passed as first argument (a host function's context for host functions).
    pub vmctx: *mut VMContext,
    /// Engine-wide signature id.
    pub type_id: u32,
}

/// Where a linear memory is and how large it currently is.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemoryDefinition {
    /// Base address; never moves for the memory's lifetime.
    pub base: *mut u8,
    /// Accessible length in bytes.
    pub current_length: u64,
}

/// Where a table's elements are and how many there are.
#[repr(C)]
#[derive(Debug)]
pub struct VMTableDefinition {
    /// Pointer to the first element (each a pointer-sized raw reference).
    pub base: *mut usize,
    /// Number of elements.
    pub current_elements: u64,
}

/// Storage of one global: 16 bytes so any value type fits.
#[repr(C, align(16))]
#[derive(Debug, Default, Clone, Copy)]
pub struct VMGlobalDefinition {
    /// The value's bits, little-endian, zero-extended.
    pub bits: u128,
}

/// Per-store state that compiled code reads: the stack limit checked in
/// every function prologue, and the store for host calls.
#[repr(C)]
#[derive(Debug)]
pub struct VMStoreContext {
    /// Lowest stack address wasm code may use; below it a function traps
    /// with "call stack exhausted" instead of overflowing the host stack.
    pub stack_limit: usize,
    /// The owning store (type-erased).
    pub store: *mut u8,
    /// The exception being thrown (an exnref: store slot + 1), 0 when none.
    /// A `throw` sets it and returns; after each call that may throw,
    /// compiled code checks it and goes to its handler or returns in turn.
    pub pending_exception: u64,
}

/// An exception tag's definition; its address is the tag's identity.
#[repr(C)]
#[derive(Debug)]
pub struct VMTagDefinition {
    /// Engine-wide signature id of the tag's type.
    pub type_id: u32,
    _pad: u32,
}

impl VMTagDefinition {
    /// A definition of a tag of signature `type_id`.
    pub fn new(type_id: u32) -> Self {
        VMTagDefinition { type_id, _pad: 0 }
    }
}

/// One argument or result slot in the array passed between host and
/// trampolines: 16 bytes, value bits stored little-endian from offset 0.
pub type ValRaw = u128;

/// A raw reference value as stored in tables and globals: 0 is null.
pub type RawRef = usize;
