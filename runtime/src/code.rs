//! A module's machine code in memory, ready to run: where each function
//! starts, and the code's ranges and trap sites registered with the trap
//! handler for as long as the code is mapped.

use crate::compile::code_info::{CodeInfo, LandingPad};
use crate::compile::image::CodeLayout;
use crate::environ::ModuleInfo;
use crate::vm::code_memory::CodeMemory;
use crate::vm::code_registry::{register_code, unregister_code};
use std::sync::Arc;

/// Mapped, executable code of one module.
pub(crate) struct LoadedCode {
    /// Entry point of each defined function.
    functions: Vec<usize>,
    info: Arc<CodeInfo>,
    code_size: usize,
    /// Dropped after `info` is unregistered (see `Drop`); a trap table in
    /// a mapped cache file holds the mapping too.
    memory: Arc<CodeMemory>,
}

impl LoadedCode {
    /// Takes `memory` (whose text has `layout`) into use for the module
    /// described by `info`, named `module_name` in backtraces.
    pub fn new(
        memory: Arc<CodeMemory>,
        layout: CodeLayout,
        info: &ModuleInfo,
        module_name: &str,
    ) -> LoadedCode {
        let base = memory.text_start();
        let mut code_info = CodeInfo {
            module_name: module_name.to_string(),
            names: info.func_names.clone(),
            text_base: base,
            ..CodeInfo::default()
        };
        let mut functions = Vec::with_capacity(layout.functions.len());
        for (defined, range) in layout.functions.iter().enumerate() {
            let start = base + range.offset as usize;
            functions.push(start);
            let index = info.num_imported_funcs + defined as u32;
            code_info
                .functions
                .push((start, start + range.len as usize, index));
        }
        code_info.functions.sort_unstable();
        code_info.handlers = layout
            .handlers
            .iter()
            .map(|h| LandingPad {
                ret_addr: base + h.ret_addr as usize,
                handler: base + h.handler as usize,
                sp_to_fp: h.sp_to_fp,
            })
            .collect();
        code_info.traps = layout.traps;
        let info = Arc::new(code_info);
        // Known to the trap handler from now until the code is unmapped.
        register_code(&info);
        LoadedCode {
            functions,
            code_size: layout.functions.iter().map(|f| f.len as usize).sum(),
            info,
            memory,
        }
    }

    /// Entry point of defined function `defined_index`.
    pub fn function(&self, defined_index: u32) -> *const u8 {
        self.functions[defined_index as usize] as *const u8
    }

    /// Bytes of function code.
    pub fn code_size(&self) -> usize {
        self.code_size
    }

    /// Whether the code is mapped from a cache file (shared between OS
    /// processes) rather than private memory.
    pub fn file_backed(&self) -> bool {
        self.memory.file_backed()
    }
}

impl Drop for LoadedCode {
    fn drop(&mut self) {
        // Before `memory` is unmapped with the fields.
        unregister_code(&self.info);
    }
}
