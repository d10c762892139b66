//! What compiling a module tells the run time about its machine code:
//! function ranges, trap sites and names (for the trap handler and
//! backtraces). Plain data; `vm/code_registry` makes it findable by PC.

use crate::error::Trap;

/// Code ranges and trap sites of one compiled module.
#[derive(Debug, Default)]
pub(crate) struct CodeInfo {
    /// (start, end, function index), sorted by start.
    pub functions: Vec<(usize, usize, u32)>,
    /// (pc, trap), sorted by pc.
    pub traps: Vec<(usize, Trap)>,
    /// Function names from the name section, by function index.
    pub names: hashbrown::HashMap<u32, String>,
    /// Module name for backtraces.
    pub module_name: String,
}

impl CodeInfo {
    /// The trap recorded for the instruction at `pc`, if it is a trap site.
    pub fn trap_at(&self, pc: usize) -> Option<Trap> {
        self.traps
            .binary_search_by_key(&pc, |(p, _)| *p)
            .ok()
            .map(|i| self.traps[i].1)
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
        Some(match self.names.get(&index) {
            Some(name) => format!("{}!{name}", self.module_name),
            None => format!("{}!<wasm function {index}>", self.module_name),
        })
    }
}
