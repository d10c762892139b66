//! From a validated module to machine code: each function body is translated
//! to Cranelift IR by family of operators and compiled on its own (on every
//! core, for large modules), then the functions are laid out as one
//! position-independent image (`image`). Code never embeds an instance or a
//! host address: every function takes its vmctx as first parameter, libcalls
//! and signature ids are read through it, so one compilation serves every
//! instance and can be mapped from a cache file by any OS process.

mod call;
pub(crate) mod code_info;
mod control;
pub(crate) mod exceptions;
pub(crate) mod function;
pub(crate) mod image;
mod memory;
mod numeric;
mod simd;
mod simd_arith;
mod simd_relaxed;
mod table;
pub(crate) mod trampolines;
pub(crate) mod translator;
pub(crate) mod trap_table;
mod variables;

use crate::environ::ModuleInfo;
use crate::error::{Error, ErrorKind, Result, Trap};
use crate::vmoffsets::VmOffsets;
use cranelift_codegen::ir::TrapCode;
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa, TargetIsa};
use cranelift_jit::{JITBuilder, JITModule};
use function::{CompiledFunction, FunctionCompiler};
use image::CodeImage;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// What the translator needs to know about the module being compiled.
pub(crate) struct ModuleEnv<'a> {
    pub info: &'a ModuleInfo,
    pub offsets: VmOffsets,
    /// Calling convention of libcalls (the host's C convention).
    pub host_call_conv: CallConv,
    pub frontend_config: cranelift_codegen::isa::TargetFrontendConfig,
    /// Emit epoch checks at function entries and loop headers.
    pub epoch_interruption: bool,
    /// Check every memory access against the memory's length (memories
    /// have no guard pages); see `Engine`.
    pub bounds_checks: bool,
    /// Exception handling is on: calls that may throw are followed by a
    /// check of the pending exception.
    pub exceptions: bool,
    /// Per function index, whether a call to it may return with an
    /// exception pending (see `exceptions::functions_that_may_throw`).
    pub may_throw: Vec<bool>,
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
            // SAFETY: the owner is being dropped, so no caller can still run
            // this code.
            unsafe { jit.free_memory() };
        }
    }
}

/// What the engine's settings decide about generated code.
#[derive(Clone, Copy)]
pub(crate) struct CodegenOptions {
    /// Emit epoch checks (see `Config::epoch_interruption`).
    pub epoch_interruption: bool,
    /// Compile functions on every core (see `Config::parallel_compilation`).
    pub parallel: bool,
    /// Explicit bounds checks instead of guard pages.
    pub bounds_checks: bool,
    /// Exception handling on (see `Config::wasm_exceptions`).
    pub exceptions: bool,
}

/// A JIT module for code that calls no libcalls (trampolines).
pub(crate) fn new_jit(isa: OwnedTargetIsa) -> JITModule {
    JITModule::new(JITBuilder::with_isa(
        isa,
        cranelift_module::default_libcall_names(),
    ))
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

/// The trap code that `trap_from_code` maps to `trap` (for cache files);
/// `None` for traps that are not raised by compiled code.
pub(crate) fn trap_code(trap: Trap) -> Option<TrapCode> {
    use translator::trap_codes as t;
    Some(match trap {
        Trap::StackOverflow => TrapCode::STACK_OVERFLOW,
        Trap::IntegerOverflow => TrapCode::INTEGER_OVERFLOW,
        Trap::MemoryOutOfBounds => TrapCode::HEAP_OUT_OF_BOUNDS,
        Trap::IntegerDivisionByZero => TrapCode::INTEGER_DIVISION_BY_ZERO,
        Trap::BadConversionToInteger => TrapCode::BAD_CONVERSION_TO_INTEGER,
        Trap::Unreachable => t::UNREACHABLE,
        Trap::UndefinedElement => t::UNDEFINED_ELEMENT,
        Trap::UninitializedElement => t::UNINITIALIZED_ELEMENT,
        Trap::IndirectCallTypeMismatch => t::BAD_SIGNATURE,
        Trap::TableOutOfBounds => t::TABLE_OUT_OF_BOUNDS,
        Trap::Interrupt => t::INTERRUPT,
        Trap::HostError
        | Trap::UncaughtException
        | Trap::NullExceptionReference
        | Trap::TooManyExceptions => return None,
    })
}

/// Bytes of function bodies per extra compile thread: below this, starting a
/// thread costs more than it saves.
const BYTES_PER_THREAD: u64 = 16 << 10;

/// How many threads compile `code_bytes` of function bodies.
fn compile_threads(code_bytes: u64, num_bodies: usize, parallel: bool) -> usize {
    if !parallel {
        return 1;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let by_size = usize::try_from(code_bytes / BYTES_PER_THREAD).unwrap_or(usize::MAX);
    cores.min(by_size).min(num_bodies).max(1)
}

/// Compiles every function body of a module and lays the code out as one image.
pub(crate) fn compile_module(
    isa: &OwnedTargetIsa,
    info: &ModuleInfo,
    bodies: &[wasmparser::FunctionBody<'_>],
    offsets: VmOffsets,
    options: CodegenOptions,
) -> Result<CodeImage> {
    let env = ModuleEnv {
        info,
        offsets,
        host_call_conv: isa.default_call_conv(),
        frontend_config: isa.frontend_config(),
        epoch_interruption: options.epoch_interruption,
        bounds_checks: options.bounds_checks,
        exceptions: options.exceptions,
        may_throw: if options.exceptions {
            exceptions::functions_that_may_throw(info, bodies)?
        } else {
            Vec::new()
        },
    };
    let code_bytes: u64 = bodies
        .iter()
        .map(|b| b.range())
        .map(|r| r.end - r.start)
        .sum();
    let threads = compile_threads(code_bytes, bodies.len(), options.parallel);
    let functions = if threads == 1 {
        let mut compiler = FunctionCompiler::default();
        bodies
            .iter()
            .enumerate()
            .map(|(defined, body)| {
                let index = info.num_imported_funcs + defined as u32;
                compiler.compile(&**isa, &env, index, body)
            })
            .collect::<Result<Vec<_>>>()?
    } else {
        compile_in_parallel(&**isa, &env, bodies, threads)?
    };
    image::link(
        functions,
        info.num_imported_funcs,
        isa.function_alignment().minimum,
    )
}

/// Compiles `bodies` on `threads` threads (this one included), each taking
/// the next uncompiled body, so one large function does not hold up the
/// others. The result is in body order, whatever order they finished in.
fn compile_in_parallel(
    isa: &dyn TargetIsa,
    env: &ModuleEnv<'_>,
    bodies: &[wasmparser::FunctionBody<'_>],
    threads: usize,
) -> Result<Vec<CompiledFunction>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<CompiledFunction>>>> =
        Mutex::new((0..bodies.len()).map(|_| None).collect());
    let work = || {
        let mut compiler = FunctionCompiler::default();
        loop {
            let defined = next.fetch_add(1, Ordering::Relaxed);
            let Some(body) = bodies.get(defined) else {
                break;
            };
            let index = env.info.num_imported_funcs + defined as u32;
            let result = compiler.compile(isa, env, index, body);
            let failed = result.is_err();
            results.lock().unwrap_or_else(|e| e.into_inner())[defined] = Some(result);
            if failed {
                // Stop everyone: the module fails with this error.
                next.store(bodies.len(), Ordering::Relaxed);
            }
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(work);
        }
        work();
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut functions = Vec::with_capacity(bodies.len());
    for (defined, result) in results.into_iter().enumerate() {
        match result {
            Some(result) => functions.push(result?),
            // Not compiled: an earlier failure stopped the work.
            None => {
                return Err(compile_error(
                    env.info.num_imported_funcs + defined as u32,
                    "not compiled after an error in another function",
                ))
            }
        }
    }
    Ok(functions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trap_codes_round_trip() {
        for raw in 1..=u8::MAX {
            let code = TrapCode::from_raw(std::num::NonZeroU8::new(raw).unwrap());
            if let Some(trap) = trap_from_code(code) {
                assert_eq!(trap_code(trap), Some(code), "{trap:?}");
            }
        }
        assert_eq!(trap_code(Trap::HostError), None);
    }
}
