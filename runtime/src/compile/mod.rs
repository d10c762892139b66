//! From a validated module to machine code: each function body is translated
//! to Cranelift IR by family of operators and compiled into one JIT module per
//! wasm module. Code never embeds an instance address: every function takes
//! its vmctx as first parameter, so one compilation serves every instance.

mod call;
pub(crate) mod code_info;
mod control;
mod memory;
mod numeric;
mod table;
pub(crate) mod trampolines;
pub(crate) mod translator;
mod variables;

use crate::environ::ModuleInfo;
use crate::error::{Error, ErrorKind, Result, Trap};
use crate::libcall::Libcall;
use crate::vmoffsets::VmOffsets;
use code_info::CodeInfo;
use cranelift_codegen::ir::{self, AbiParam, TrapCode, UserFuncName};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{ArenaMemoryProvider, JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module as _};
use std::sync::Arc;
use translator::{ir_type, wasm_signature, FuncTranslator};

/// What the translator needs to know about the module being compiled.
pub(crate) struct ModuleEnv<'a> {
    pub info: &'a ModuleInfo,
    pub offsets: VmOffsets,
    /// Engine-wide signature id of each type index.
    pub sig_ids: &'a [u32],
    /// JIT ids of defined functions.
    pub func_ids: Vec<FuncId>,
    /// JIT ids of libcalls, by `Libcall` discriminant.
    pub libcall_ids: Vec<FuncId>,
    pub call_conv: CallConv,
    pub frontend_config: cranelift_codegen::isa::TargetFrontendConfig,
    /// Emit epoch checks at function entries and loop headers.
    pub epoch_interruption: bool,
}

/// A JIT module whose code is finalized and immutable.
pub(crate) struct JitCode(Option<JITModule>);

// SAFETY: after finalization the JIT module is never mutated again; it is only
// kept so its memory can be freed on drop.
unsafe impl Send for JitCode {}
// SAFETY: as above; no method that touches its interior is called after finalization.
unsafe impl Sync for JitCode {}

impl Drop for JitCode {
    fn drop(&mut self) {
        if let Some(jit) = self.0.take() {
            // SAFETY: the owning module is being dropped, so no instance (each holds
            // a Module clone) can still run this code.
            unsafe { jit.free_memory() };
        }
    }
}

/// Machine code of one module.
pub(crate) struct CompiledCode {
    /// Entry point of each defined function.
    functions: Vec<usize>,
    info: Arc<CodeInfo>,
    _jit: JitCode,
}

impl CompiledCode {
    /// Entry point of defined function `defined_index`.
    pub fn function(&self, defined_index: u32) -> *const u8 {
        self.functions[defined_index as usize] as *const u8
    }

    /// Function ranges, trap sites and names, for the run time.
    pub fn info(&self) -> &Arc<CodeInfo> {
        &self.info
    }

    /// Size of all function code in bytes.
    pub fn code_size(&self) -> usize {
        self.info.functions.iter().map(|(s, e, _)| e - s).sum()
    }
}

/// Where each libcall's implementation is: supplied by the run time, so
/// that compile-time code does not depend on it.
pub(crate) type LibcallAddress = fn(Libcall) -> *const u8;

/// What the run time and the engine's settings decide about generated code.
#[derive(Clone, Copy)]
pub(crate) struct CodegenOptions {
    /// Where the libcalls are.
    pub libcalls: LibcallAddress,
    /// Emit epoch checks (see `Config::epoch_interruption`).
    pub epoch_interruption: bool,
}

/// A JIT module for code that calls no libcalls (trampolines).
pub(crate) fn new_jit(isa: OwnedTargetIsa) -> JITModule {
    JITModule::new(JITBuilder::with_isa(
        isa,
        cranelift_module::default_libcall_names(),
    ))
}

fn jit_builder(isa: OwnedTargetIsa, libcalls: LibcallAddress) -> JITBuilder {
    let mut builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
    for libcall in Libcall::ALL {
        builder.symbol(libcall.name(), libcalls(libcall));
    }
    builder
}

/// Address space reserved for one module's machine code, from the size of
/// its code section. Calls between a module's functions are PC-relative
/// (±2 GiB), so its code must be contiguous: with separate allocations, a
/// linear memory's 8 GiB reservation could land between two of them.
fn code_arena_size(code_section_bytes: usize) -> usize {
    const MIN: usize = 64 << 20;
    const MAX: usize = 1 << 30;
    code_section_bytes.saturating_mul(32).clamp(MIN, MAX)
}

/// A JIT module whose code lives in one contiguous reservation.
fn new_module_jit(
    isa: OwnedTargetIsa,
    libcalls: LibcallAddress,
    code_section_bytes: usize,
) -> Result<JITModule> {
    let arena = ArenaMemoryProvider::new_with_size(code_arena_size(code_section_bytes))
        .map_err(|e| compile_error(0, format!("cannot reserve code memory: {e}")))?;
    let mut builder = jit_builder(isa, libcalls);
    builder.memory_provider(Box::new(arena));
    Ok(JITModule::new(builder))
}

fn compile_error(func_index: u32, message: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Compile {
        func_index,
        message: message.to_string(),
    })
}

/// Maps a Cranelift trap code at a trap site to the wasm trap.
pub(crate) fn trap_from_code(code: TrapCode) -> Option<Trap> {
    use translator::trap_codes as t;
    Some(match code {
        TrapCode::STACK_OVERFLOW => Trap::StackOverflow,
        TrapCode::INTEGER_OVERFLOW => Trap::IntegerOverflow,
        TrapCode::HEAP_OUT_OF_BOUNDS => Trap::MemoryOutOfBounds,
        TrapCode::INTEGER_DIVISION_BY_ZERO => Trap::IntegerDivisionByZero,
        TrapCode::BAD_CONVERSION_TO_INTEGER => Trap::BadConversionToInteger,
        t::UNREACHABLE => Trap::Unreachable,
        t::UNDEFINED_ELEMENT => Trap::UndefinedElement,
        t::UNINITIALIZED_ELEMENT => Trap::UninitializedElement,
        t::BAD_SIGNATURE => Trap::IndirectCallTypeMismatch,
        t::TABLE_OUT_OF_BOUNDS => Trap::TableOutOfBounds,
        t::INTERRUPT => Trap::Interrupt,
        _ => return None,
    })
}

/// Compiles every function body of a module.
pub(crate) fn compile_module(
    isa: OwnedTargetIsa,
    info: &ModuleInfo,
    bodies: &[wasmparser::FunctionBody<'_>],
    sig_ids: &[u32],
    offsets: VmOffsets,
    module_name: &str,
    options: CodegenOptions,
) -> Result<CompiledCode> {
    let CodegenOptions {
        libcalls,
        epoch_interruption,
    } = options;
    let call_conv = isa.default_call_conv();
    let frontend_config = isa.frontend_config();
    let code_bytes: u64 = bodies
        .iter()
        .map(|b| b.range())
        .map(|r| r.end - r.start)
        .sum();
    let mut jit = new_module_jit(
        isa,
        libcalls,
        usize::try_from(code_bytes).unwrap_or(usize::MAX),
    )?;
    let mut env = ModuleEnv {
        info,
        offsets,
        sig_ids,
        func_ids: Vec::new(),
        libcall_ids: Vec::new(),
        call_conv,
        frontend_config,
        epoch_interruption,
    };
    for libcall in Libcall::ALL {
        let (params, results) = libcall.signature();
        let mut sig = jit.make_signature();
        sig.params.push(AbiParam::new(ir::types::I64));
        for p in params {
            sig.params.push(AbiParam::new(ir_type(*p)?));
        }
        for r in results {
            sig.returns.push(AbiParam::new(ir_type(*r)?));
        }
        let id = jit
            .declare_function(libcall.name(), Linkage::Import, &sig)
            .map_err(|e| compile_error(0, e))?;
        env.libcall_ids.push(id);
    }
    for index in info.num_imported_funcs..info.functions.len() as u32 {
        let sig = wasm_signature(info.func_type(index), call_conv)?;
        let id = jit
            .declare_anonymous_function(&sig)
            .map_err(|e| compile_error(index, e))?;
        env.func_ids.push(id);
    }

    let mut ctx = jit.make_context();
    let mut builder_ctx = FunctionBuilderContext::new();
    // (defined index, size, trap sites relative to the function start)
    let mut compiled: Vec<(usize, Vec<(u32, Trap)>)> = Vec::with_capacity(bodies.len());
    for (defined, body) in bodies.iter().enumerate() {
        let index = info.num_imported_funcs + defined as u32;
        ctx.func.signature = wasm_signature(info.func_type(index), call_conv)?;
        ctx.func.name = UserFuncName::user(0, index);
        {
            let builder = FunctionBuilder::new(&mut ctx.func, &mut builder_ctx);
            let translator = FuncTranslator::new(builder, &env, &mut jit, index)?;
            translator.translate_body(body)?;
        }
        jit.define_function(env.func_ids[defined], &mut ctx)
            .map_err(|e| compile_error(index, format!("{e:?}")))?;
        let code = ctx.compiled_code().expect("just compiled");
        let traps = code
            .buffer
            .traps()
            .iter()
            .filter_map(|t| trap_from_code(t.code).map(|trap| (t.offset, trap)))
            .collect();
        compiled.push((code.buffer.data().len(), traps));
        jit.clear_context(&mut ctx);
    }
    jit.finalize_definitions()
        .map_err(|e| compile_error(0, format!("{e:?}")))?;

    let mut code_info = CodeInfo {
        module_name: module_name.to_string(),
        names: info.func_names.clone(),
        ..CodeInfo::default()
    };
    let mut functions = Vec::with_capacity(compiled.len());
    for (defined, (size, traps)) in compiled.into_iter().enumerate() {
        let start = jit.get_finalized_function(env.func_ids[defined]) as usize;
        functions.push(start);
        let index = info.num_imported_funcs + defined as u32;
        code_info.functions.push((start, start + size, index));
        code_info.traps.extend(
            traps
                .into_iter()
                .map(|(offset, trap)| (start + offset as usize, trap)),
        );
    }
    code_info.functions.sort_unstable();
    code_info.traps.sort_unstable_by_key(|(pc, _)| *pc);
    Ok(CompiledCode {
        functions,
        info: Arc::new(code_info),
        _jit: JitCode(Some(jit)),
    })
}
