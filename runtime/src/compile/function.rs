//! Compiling one function body: wasm → Cranelift IR → machine code, with
//! the relocations the image linker resolves. Independent of every other
//! function, so bodies can compile on several threads at once.

use crate::compile::code_info::LandingPad;
use crate::compile::translator::{wasm_signature, FuncTranslator};
use crate::compile::{compile_error, trap_from_code, ModuleEnv};
use crate::error::{Result, Trap};
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{ExternalName, UserFuncName};
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::{Context, FinalizedMachExceptionHandler, FinalizedRelocTarget};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

/// A call from one function of the module to another, to patch at layout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallSite {
    /// Offset of the patched field from the calling function's start.
    pub offset: u32,
    pub kind: Reloc,
    /// Function index of the callee (a defined function).
    pub callee: u32,
    pub addend: i64,
}

/// Machine code of one function, not yet placed.
pub(crate) struct CompiledFunction {
    pub code: Vec<u8>,
    /// Required alignment of the function's start.
    pub alignment: u32,
    pub calls: Vec<CallSite>,
    /// (offset from the function's start, trap).
    pub traps: Vec<(u32, Trap)>,
    /// Landing pads of its `try_call`s, offsets from the function's start.
    pub handlers: Vec<LandingPad<u32>>,
}

/// Reusable per-thread state: Cranelift's context and the builder's.
pub(crate) struct FunctionCompiler {
    ctx: Context,
    builder_ctx: FunctionBuilderContext,
}

impl Default for FunctionCompiler {
    fn default() -> Self {
        FunctionCompiler {
            ctx: Context::new(),
            builder_ctx: FunctionBuilderContext::new(),
        }
    }
}

impl FunctionCompiler {
    /// Translates and compiles function `index` with body `body`.
    pub fn compile(
        &mut self,
        isa: &dyn TargetIsa,
        env: &ModuleEnv<'_>,
        index: u32,
        body: &wasmparser::FunctionBody<'_>,
    ) -> Result<CompiledFunction> {
        self.ctx.clear();
        let func = &mut self.ctx.func;
        func.signature = wasm_signature(env.info.func_type(index))?;
        func.name = UserFuncName::user(0, index);
        {
            let builder = FunctionBuilder::new(func, &mut self.builder_ctx);
            FuncTranslator::new(builder, env, index)?.translate_body(body)?;
        }
        self.ctx
            .compile(isa, &mut ControlPlane::default())
            .map_err(|e| compile_error(index, format!("{:?}", e.inner)))?;
        let compiled = self.ctx.compiled_code().expect("just compiled");
        let buffer = &compiled.buffer;
        let mut calls = Vec::with_capacity(buffer.relocs().len());
        for reloc in buffer.relocs() {
            let callee = match &reloc.target {
                FinalizedRelocTarget::ExternalName(ExternalName::User(name)) => {
                    self.ctx.func.params.user_named_funcs()[*name].index
                }
                // Code must not depend on where the host is loaded: libcalls
                // go through the vmctx, so any other target is a bug here.
                other => {
                    return Err(compile_error(
                        index,
                        format!("unsupported relocation target {other:?}"),
                    ))
                }
            };
            calls.push(CallSite {
                offset: reloc.offset,
                kind: reloc.kind,
                callee,
                addend: reloc.addend,
            });
        }
        let traps = buffer
            .traps()
            .iter()
            .filter_map(|t| trap_from_code(t.code).map(|trap| (t.offset, trap)))
            .collect();
        let mut handlers = Vec::new();
        for site in buffer.call_sites() {
            for handler in site.exception_handlers {
                let target = match handler {
                    FinalizedMachExceptionHandler::Tag(_, target)
                    | FinalizedMachExceptionHandler::Default(target) => *target,
                    FinalizedMachExceptionHandler::Context(_) => continue,
                };
                let sp_to_fp = site.frame_offset.ok_or_else(|| {
                    compile_error(index, "a try_call site without its frame offset")
                })?;
                handlers.push(LandingPad {
                    ret_addr: site.ret_addr,
                    handler: target,
                    sp_to_fp,
                });
            }
        }
        Ok(CompiledFunction {
            code: buffer.data().to_vec(),
            alignment: buffer.alignment,
            calls,
            traps,
            handlers,
        })
    }
}
