//! What compiling a module tells the run time about its machine code:
//! function ranges, trap sites and names (for the trap handler and
//! backtraces). Plain data; `vm/code_registry` makes it findable by PC.

use super::trap_table::TrapTable;
use crate::error::Trap;

/// Code ranges and trap sites of one compiled module.
#[derive(Debug, Default)]
pub(crate) struct CodeInfo {
    /// (start, end, function index), sorted by start.
    pub functions: Vec<(usize, usize, u32)>,
    /// Address of the text the trap offsets are relative to.
    pub text_base: usize,
    /// Trap sites by offset in the text: the layout's own table, where the
    /// cache file maps it (a module has a trap site per memory access,
    /// 100,000s for SQLite, so no absolute copy is made at load).
    pub traps: TrapTable,
    /// Landing pads of `try_call` sites, sorted by return address.
    pub handlers: Vec<LandingPad<usize>>,
    /// Function names from the name section (shared with the module's
    /// `ModuleInfo`).
    pub names: crate::function_names::FunctionNames,
    /// Module name for backtraces.
    pub module_name: String,
}

/// Where an exception raised in a callee resumes in the caller: the call's
/// return address, the handler, and the distance from the caller's frame
/// pointer down to its stack pointer at the call (Cranelift's `sp_to_fp`).
/// `A` is an offset in the image (`u32`) or an address once loaded (`usize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LandingPad<A> {
    pub ret_addr: A,
    pub handler: A,
    pub sp_to_fp: u32,
}

/// What the unwinder finds at a return address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallerFrame {
    /// A wasm function called from inside a handler's scope: resume here.
    Handler { pc: usize, sp_to_fp: u32 },
    /// A wasm function with no handler around this call: skip its frame.
    NoHandler,
    /// Not inside a wasm function (a trampoline or host code): stop.
    NotWasm,
}

impl CodeInfo {
    /// What the return address `ret` of a frame is (see [`CallerFrame`]).
    pub fn caller_frame(&self, ret: usize) -> CallerFrame {
        if let Ok(i) = self.handlers.binary_search_by_key(&ret, |h| h.ret_addr) {
            let pad = self.handlers[i];
            return CallerFrame::Handler {
                pc: pad.handler,
                sp_to_fp: pad.sp_to_fp,
            };
        }
        let i = self.functions.partition_point(|(s, _, _)| *s < ret);
        // A return address may equal a function's end (a call that ends it).
        match i.checked_sub(1).map(|i| self.functions[i]) {
            Some((start, end, _)) if start < ret && ret <= end => CallerFrame::NoHandler,
            _ => CallerFrame::NotWasm,
        }
    }

    /// The trap recorded for the instruction at `pc`, if it is a trap site.
    pub fn trap_at(&self, pc: usize) -> Option<Trap> {
        let offset = u32::try_from(pc.checked_sub(self.text_base)?).ok()?;
        self.traps.trap_at(offset)
    }

    /// The address range covering every function of the module.
    pub fn range(&self) -> Option<(usize, usize)> {
        let start = self.functions.first()?.0;
        let end = self.functions.iter().map(|f| f.1).max()?;
        Some((start, end))
    }

    /// A readable name for the function containing `pc`.
    pub fn describe(&self, pc: usize) -> Option<String> {
        let i = self.functions.partition_point(|(s, _, _)| *s <= pc);
        let (start, end, index) = *self.functions.get(i.checked_sub(1)?)?;
        if pc < start || pc >= end {
            return None;
        }
        Some(match self.names.get(index) {
            Some(name) => format!("{}!{name}", self.module_name),
            None => format!("{}!<wasm function {index}>", self.module_name),
        })
    }
}
