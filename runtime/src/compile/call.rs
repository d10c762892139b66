//! Direct, imported and indirect calls, and calls to runtime libcalls.

use crate::compile::translator::ir_type;
use crate::compile::translator::{readonly, trap_codes, trusted, wasm_signature, FuncTranslator};
use crate::error::Result;
use crate::libcall::Libcall;
use crate::vmoffsets::{FUNCREF_CODE, FUNCREF_TYPE_ID, FUNCREF_VMCTX};
use cranelift_codegen::ir::{
    condcodes::IntCC,
    types::{I32, I64},
    AbiParam, ExtFuncData, ExternalName, InstBuilder, Signature, UserExternalName, Value,
};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_call(&mut self, op: &Operator<'_>) -> Result<bool> {
        match op {
            Operator::Call { function_index } => self.call_function(*function_index, false)?,
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(*type_index, *table_index, false)?,
            // Tail calls: the callee replaces this function's frame and
            // returns to its caller, so the rest of the block is unreachable.
            Operator::ReturnCall { function_index } => {
                self.call_function(*function_index, true)?;
                self.reachable = false;
            }
            Operator::ReturnCallIndirect {
                type_index,
                table_index,
            } => {
                self.call_indirect(*type_index, *table_index, true)?;
                self.reachable = false;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// A call to function `index`; with `tail`, a `return_call`.
    fn call_function(&mut self, index: u32, tail: bool) -> Result<()> {
        let info = self.env.info;
        let num_params = info.func_type(index).params().len();
        let args = self.pop_n(num_params);
        if index < info.num_imported_funcs {
            // Imports are called through their VMFuncRef slot in the vmctx.
            let offset = self.env.offsets.funcref(index);
            let code = self.load_vmctx_ptr(offset, readonly());
            let callee_vmctx = self.load_vmctx_ptr(offset + 8, readonly());
            let sig = self.signature_ref(info.functions[index as usize])?;
            let mut full = vec![callee_vmctx, self.vmctx];
            full.extend(args);
            self.finish_indirect(sig, code, &full, tail)?;
        } else {
            let func_ref = self.direct_func_ref(index)?;
            let mut full = vec![self.vmctx, self.vmctx];
            full.extend(args);
            if tail {
                self.release_caught_left_by_branch(self.control.len() as u32 - 1)?;
                self.b.ins().return_call(func_ref, &full);
            } else if self.call_may_throw(index) && self.in_handler_scope() {
                let sig = self.b.func.dfg.ext_funcs[func_ref].signature;
                let results = self.try_call(sig, |this, table| {
                    this.b.ins().try_call(func_ref, &full, table);
                });
                self.stack.extend(results);
            } else {
                let call = self.b.ins().call(func_ref, &full);
                let results = self.b.inst_results(call).to_vec();
                self.stack.extend(results);
            }
        }
        Ok(())
    }

    /// Calls `code` (a `call_indirect` or a `return_call_indirect`) and,
    /// for a plain call, pushes its results (a `try_call_indirect` inside
    /// a handler's scope).
    fn finish_indirect(
        &mut self,
        sig: cranelift_codegen::ir::SigRef,
        code: Value,
        args: &[Value],
        tail: bool,
    ) -> Result<()> {
        if tail {
            self.release_caught_left_by_branch(self.control.len() as u32 - 1)?;
            self.b.ins().return_call_indirect(sig, code, args);
        } else if self.in_handler_scope() {
            let results = self.try_call(sig, |this, table| {
                this.b.ins().try_call_indirect(code, args, table);
            });
            self.stack.extend(results);
        } else {
            let call = self.b.ins().call_indirect(sig, code, args);
            let results = self.b.inst_results(call).to_vec();
            self.stack.extend(results);
        }
        Ok(())
    }

    /// `call_indirect` through `table`; with `tail`, `return_call_indirect`.
    fn call_indirect(&mut self, type_index: u32, table: u32, tail: bool) -> Result<()> {
        let index = self.pop();
        let num_params = self.env.info.types[type_index as usize].params().len();
        let args = self.pop_n(num_params);
        let addr = self.table_element_address(table, index, trap_codes::UNDEFINED_ELEMENT);
        let funcref = self.b.ins().load(I64, trusted(), addr, 0);
        self.b
            .ins()
            .trapz(funcref, trap_codes::UNINITIALIZED_ELEMENT);
        let type_id = self.b.ins().load(I32, trusted(), funcref, FUNCREF_TYPE_ID);
        // The expected id is read from the vmctx, not baked in: ids are
        // engine-wide and code may be shared by engines in other processes.
        let expected = self.b.ins().load(
            I32,
            readonly(),
            self.vmctx,
            self.env.offsets.type_id(type_index) as i32,
        );
        let mismatch = self.b.ins().icmp(IntCC::NotEqual, type_id, expected);
        self.b.ins().trapnz(mismatch, trap_codes::BAD_SIGNATURE);
        let code = self.b.ins().load(I64, trusted(), funcref, FUNCREF_CODE);
        let callee_vmctx = self.b.ins().load(I64, trusted(), funcref, FUNCREF_VMCTX);
        let sig = self.signature_ref(type_index)?;
        let mut full = vec![callee_vmctx, self.vmctx];
        full.extend(args);
        self.finish_indirect(sig, code, &full, tail)
    }

    fn signature_ref(&mut self, type_index: u32) -> Result<cranelift_codegen::ir::SigRef> {
        if let Some(sig) = self.sig_refs.get(&type_index) {
            return Ok(*sig);
        }
        let sig = wasm_signature(&self.env.info.types[type_index as usize])?;
        let sig_ref = self.b.import_signature(sig);
        self.sig_refs.insert(type_index, sig_ref);
        Ok(sig_ref)
    }

    /// A direct call to a function of this module: a PC-relative call that
    /// is resolved when the module's functions are laid out together.
    fn direct_func_ref(&mut self, index: u32) -> Result<cranelift_codegen::ir::FuncRef> {
        if let Some(f) = self.func_refs.get(&index) {
            return Ok(*f);
        }
        let sig = wasm_signature(self.env.info.func_type(index))?;
        let signature = self.b.import_signature(sig);
        let name = self
            .b
            .func
            .declare_imported_user_function(UserExternalName::new(0, index));
        let f = self.b.import_function(ExtFuncData {
            name: ExternalName::User(name),
            signature,
            colocated: true,
            patchable: false,
        });
        self.func_refs.insert(index, f);
        Ok(f)
    }

    /// Calls a runtime libcall with the vmctx prepended; returns its results.
    /// The entry point comes from the libcall table the vmctx points to.
    pub(crate) fn call_libcall(&mut self, libcall: Libcall, args: &[Value]) -> Result<Vec<Value>> {
        let sig = match self.libcall_refs.get(&libcall) {
            Some(sig) => *sig,
            None => {
                let (params, results) = libcall.signature();
                let mut sig = Signature::new(self.env.host_call_conv);
                sig.params.push(AbiParam::new(I64));
                for p in params {
                    sig.params.push(AbiParam::new(ir_type(*p)?));
                }
                for r in results {
                    sig.returns.push(AbiParam::new(ir_type(*r)?));
                }
                let sig = self.b.import_signature(sig);
                self.libcall_refs.insert(libcall, sig);
                sig
            }
        };
        let table = self.load_vmctx_ptr(self.env.offsets.libcalls(), readonly());
        let code = self
            .b
            .ins()
            .load(I64, readonly(), table, (libcall as usize * 8) as i32);
        let mut full = vec![self.vmctx];
        full.extend_from_slice(args);
        let call = self.b.ins().call_indirect(sig, code, &full);
        Ok(self.b.inst_results(call).to_vec())
    }
}
