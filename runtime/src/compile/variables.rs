//! local.get/set/tee and global.get/set.

use crate::compile::translator::{ir_type, readonly, trusted, FuncTranslator};
use crate::error::Result;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_variable(&mut self, op: &Operator<'_>) -> Result<bool> {
        match op {
            Operator::LocalGet { local_index } => {
                let v = self.b.use_var(self.locals[*local_index as usize]);
                self.push(v);
            }
            Operator::LocalSet { local_index } => {
                let v = self.pop();
                self.b.def_var(self.locals[*local_index as usize], v);
            }
            Operator::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated: local.tee operand");
                self.b.def_var(self.locals[*local_index as usize], v);
            }
            Operator::GlobalGet { global_index } => {
                let index = *global_index;
                let ty = self.env.info.globals[index as usize];
                let imported = self.env.info.num_imported_globals;
                let constant = match self.env.info.imported_constant_slots.get(index as usize) {
                    Some(&Some(slot)) => Some(self.env.offsets.imported_constant(slot)),
                    _ => None,
                };
                let v = if let Some(offset) = constant {
                    // Not `readonly`: that would make the load pure, and
                    // Cranelift would keep one value of `__memory_base`
                    // live (spilled) through a whole function. One load
                    // at each use is cheaper (SQLite's interpreter loop:
                    // 11% more instructions than its static twin with the
                    // shared value, 2% with a load at each use).
                    let ty = ir_type(ty.content)?;
                    self.b.ins().load(ty, trusted(), self.vmctx, offset as i32)
                } else {
                    let (addr, offset) = self.global_address(index);
                    let flags = if ty.mutable || index < imported {
                        trusted()
                    } else {
                        readonly()
                    };
                    self.b.ins().load(ir_type(ty.content)?, flags, addr, offset)
                };
                self.push(v);
            }
            Operator::GlobalSet { global_index } => {
                let v = self.pop();
                let (addr, offset) = self.global_address(*global_index);
                self.b.ins().store(trusted(), v, addr, offset);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Address (base value + offset) of a global's storage.
    fn global_address(&mut self, index: u32) -> (Value, i32) {
        let imported = self.env.info.num_imported_globals;
        if index < imported {
            // Loaded at each access, for the reason given for constants
            // above (`__stack_pointer` and GOT entries are imported).
            let offset = self.env.offsets.imported_global(index);
            let flags: MemFlagsData = trusted();
            (self.load_vmctx_ptr(offset, flags), 0)
        } else {
            let offset = self.env.offsets.defined_global(index - imported);
            (self.vmctx, offset as i32)
        }
    }
}
