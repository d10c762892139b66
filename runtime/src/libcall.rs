//! Descriptions of the runtime functions compiled code calls ("libcalls"):
//! their signatures and table order, shared by the code generator and `vm/`,
//! which implements them. Compile-time code only needs this description.

use crate::types::ValType;

/// The libcalls; the discriminant is the index in the libcall table every
/// vmctx points to (`vm::libcalls::LIBCALLS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Libcall {
    /// `(mem, delta) -> old pages or -1`
    MemoryGrow,
    /// `(mem, dst, value, len)`
    MemoryFill,
    /// `(dst_mem, src_mem, dst, src, len)`
    MemoryCopy,
    /// `(mem, data, dst, src, len)`
    MemoryInit,
    /// `(data)`
    DataDrop,
    /// `(table, init, delta) -> old size or -1`
    TableGrow,
    /// `(table, dst, value, len)`
    TableFill,
    /// `(dst_table, src_table, dst, src, len)`
    TableCopy,
    /// `(table, elem, dst, src, len)`
    TableInit,
    /// `(elem)`
    ElemDrop,
    /// `(tag, values)`: allocates the exception, sets it pending
    Throw,
    /// `(exnref)`: sets a caught exception pending again (null traps)
    ThrowRef,
    /// `(exnref) -> tag identity`
    ExceptionTag,
    /// `(exnref, out)`: copies the exception's values to `out`
    ExceptionPayload,
    /// `(exnref)`: a legacy catch body starts holding it
    ExceptionHold,
    /// `(exnref)`: a legacy catch body holding it is left
    ExceptionRelease,
    /// `(exnref)`: caught by a clause that keeps no reference
    ExceptionCaught,
    /// `(exnref)`: handed to wasm as a value
    ExceptionExpose,
    /// `(frame pointer, pinned register)`: never returns; resumes at the
    /// handler of the nearest calling frame that has one for the pending
    /// exception, or traps with "uncaught wasm exception" at the host
    UnwindToHandler,
}

use ValType::{I32, I64};

impl Libcall {
    /// Every libcall, in discriminant order.
    pub const ALL: [Libcall; 19] = [
        Libcall::MemoryGrow,
        Libcall::MemoryFill,
        Libcall::MemoryCopy,
        Libcall::MemoryInit,
        Libcall::DataDrop,
        Libcall::TableGrow,
        Libcall::TableFill,
        Libcall::TableCopy,
        Libcall::TableInit,
        Libcall::ElemDrop,
        Libcall::Throw,
        Libcall::ThrowRef,
        Libcall::ExceptionTag,
        Libcall::ExceptionPayload,
        Libcall::ExceptionHold,
        Libcall::ExceptionRelease,
        Libcall::ExceptionCaught,
        Libcall::ExceptionExpose,
        Libcall::UnwindToHandler,
    ];

    /// Parameters after the vmctx, and results.
    pub fn signature(self) -> (&'static [ValType], &'static [ValType]) {
        match self {
            Libcall::MemoryGrow => (&[I32, I32], &[I32]),
            Libcall::MemoryFill => (&[I32, I32, I32, I32], &[]),
            Libcall::MemoryCopy | Libcall::MemoryInit => (&[I32, I32, I32, I32, I32], &[]),
            Libcall::DataDrop | Libcall::ElemDrop => (&[I32], &[]),
            Libcall::TableGrow => (&[I32, I64, I32], &[I32]),
            Libcall::TableFill => (&[I32, I32, I64, I32], &[]),
            Libcall::TableCopy | Libcall::TableInit => (&[I32, I32, I32, I32, I32], &[]),
            Libcall::Throw => (&[I32, I64], &[]),
            Libcall::ThrowRef
            | Libcall::ExceptionHold
            | Libcall::ExceptionRelease
            | Libcall::ExceptionCaught
            | Libcall::ExceptionExpose => (&[I64], &[]),
            Libcall::ExceptionTag => (&[I64], &[I64]),
            Libcall::ExceptionPayload | Libcall::UnwindToHandler => (&[I64, I64], &[]),
        }
    }
}
