//! Signature-specific glue between the host and wasm code, compiled once per
//! signature per engine:
//! - an *entry trampoline* `extern "C" fn(code, callee_vmctx, caller_vmctx, values,
//!   epoch_poll)` loads arguments from a `ValRaw` array, calls wasm, stores the
//!   results back; when the engine compiles epoch checks it also puts the
//!   store's poll page in the pinned register for the call, and gives the
//!   caller's value back after (the host's ABI has it callee-saved);
//! - a *host stub* in the wasm calling convention spills its arguments to a
//!   stack array and calls the host dispatcher `fn(host_ctx, caller_vmctx, values)`
//!   whose address is the first field of the host context.
//!
//! Both are position-independent and need no relocation, so their bytes can
//! be kept on disk (`disk_cache::trampoline_set`) and copied into a later
//! engine with the same code settings: a process linking a libc with thirty
//! host signatures then compiles none of them.

use crate::compile::translator::{ir_type, trusted, wasm_signature};
use crate::compile::JitCode;
use crate::error::{Error, Result};
use crate::types::FuncType;
use crate::vmoffsets::HOST_CTX_DISPATCH;
use cranelift_codegen::ir::{
    types::I64, AbiParam, InstBuilder, StackSlotData, StackSlotKind, UserFuncName,
};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::JITModule;
use cranelift_module::Module as _;

const SLOT: i32 = 16;

/// Which kind of trampoline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TrampolineKind {
    Entry,
    HostStub,
}

/// A trampoline's machine code, as the disk cache keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TrampolineCode {
    pub kind: TrampolineKind,
    pub ty: FuncType,
    pub bytes: Vec<u8>,
}

/// The engine's trampolines, compiled on demand (or copied from a set an
/// earlier engine saved) into one JIT module.
pub(crate) struct Trampolines {
    jit: JitCode,
    cache: hashbrown::HashMap<(TrampolineKind, u32), usize>,
    /// Trampolines copied from a saved set, by type, until first asked for.
    preloaded: hashbrown::HashMap<(TrampolineKind, FuncType), usize>,
    /// The code of every trampoline here, for saving the set.
    code: Vec<TrampolineCode>,
    /// Whether a saved set was looked for (once per engine).
    pub looked_for_saved: bool,
}

/// The most trampolines a saved set keeps: past it, new ones stay in memory.
pub(crate) const MAX_SAVED: usize = 4096;

/// Function alignment in the JIT (as `log2_min_function_alignment`).
const ALIGN: u64 = 32;

fn jit_error(e: impl std::fmt::Debug) -> Error {
    Error::msg(format!("trampoline: {e:?}"))
}

impl Trampolines {
    pub fn new(isa: cranelift_codegen::isa::OwnedTargetIsa) -> Self {
        Trampolines {
            jit: JitCode(Some(crate::compile::new_jit(isa))),
            cache: hashbrown::HashMap::new(),
            preloaded: hashbrown::HashMap::new(),
            code: Vec::new(),
            looked_for_saved: false,
        }
    }

    fn jit(&mut self) -> &mut JITModule {
        self.jit
            .0
            .as_mut()
            .expect("engine JIT lives as long as the engine")
    }

    /// The trampoline of `kind` for signature `sig_id` (of type `ty`), and
    /// whether it had to be compiled (and joined the set to save, unless
    /// that holds `MAX_SAVED` already).
    pub fn get(
        &mut self,
        kind: TrampolineKind,
        sig_id: u32,
        ty: &FuncType,
    ) -> Result<(usize, bool)> {
        if let Some(addr) = self.cache.get(&(kind, sig_id)) {
            return Ok((*addr, false));
        }
        let preloaded = self.preloaded.remove(&(kind, ty.clone()));
        let addr = match preloaded {
            Some(addr) => addr,
            None => {
                let jit = self.jit();
                let (addr, bytes) = match kind {
                    TrampolineKind::Entry => compile_entry(jit, ty)?,
                    TrampolineKind::HostStub => compile_host_stub(jit, ty)?,
                };
                if self.code.len() < MAX_SAVED {
                    self.code.push(TrampolineCode {
                        kind,
                        ty: ty.clone(),
                        bytes,
                    });
                }
                addr
            }
        };
        self.cache.insert((kind, sig_id), addr);
        Ok((addr, preloaded.is_none()))
    }

    /// Copies a saved set into the JIT (one executable mapping for all).
    pub fn preload(&mut self, set: Vec<TrampolineCode>) -> Result<()> {
        let jit = self.jit();
        let mut ids = Vec::with_capacity(set.len());
        for t in &set {
            let sig = match t.kind {
                TrampolineKind::Entry => entry_signature(jit),
                TrampolineKind::HostStub => wasm_signature(&t.ty)?,
            };
            let id = jit.declare_anonymous_function(&sig).map_err(jit_error)?;
            jit.define_function_bytes(id, ALIGN, &t.bytes, &[])
                .map_err(jit_error)?;
            ids.push(id);
        }
        jit.finalize_definitions().map_err(jit_error)?;
        let addrs: Vec<usize> = ids
            .into_iter()
            .map(|id| jit.get_finalized_function(id) as usize)
            .collect();
        for (t, addr) in set.iter().zip(addrs) {
            self.preloaded.insert((t.kind, t.ty.clone()), addr);
        }
        self.code = set;
        self.code.truncate(MAX_SAVED);
        Ok(())
    }

    /// The set to save: every trampoline loaded or compiled here.
    pub fn saved_set(&self) -> &[TrampolineCode] {
        &self.code
    }
}

/// Compiles `ctx` and defines its bytes in the JIT; returns its address and
/// the bytes. Trampolines have no relocations: that is what lets the disk
/// cache copy them.
fn finish(jit: &mut JITModule, ctx: &mut cranelift_codegen::Context) -> Result<(usize, Vec<u8>)> {
    let sig = ctx.func.signature.clone();
    let id = jit.declare_anonymous_function(&sig).map_err(jit_error)?;
    let compiled = ctx
        .compile(jit.isa(), &mut Default::default())
        .map_err(|e| jit_error(e.inner))?;
    if !compiled.buffer.relocs().is_empty() {
        return Err(Error::msg("trampoline: unexpected relocation"));
    }
    let bytes = compiled.code_buffer().to_vec();
    jit.define_function_bytes(id, ALIGN, &bytes, &[])
        .map_err(jit_error)?;
    jit.clear_context(ctx);
    jit.finalize_definitions().map_err(jit_error)?;
    Ok((jit.get_finalized_function(id) as usize, bytes))
}

/// `extern "C" fn(code, callee_vmctx, caller_vmctx, values, epoch_poll)`.
fn entry_signature(jit: &JITModule) -> cranelift_codegen::ir::Signature {
    let mut sig = jit.make_signature();
    for _ in 0..5 {
        sig.params.push(AbiParam::new(I64));
    }
    sig
}

/// Starts a function made of one block; returns the function's parameters.
fn single_block(b: &mut FunctionBuilder<'_>) -> Vec<cranelift_codegen::ir::Value> {
    let block = b.create_block();
    b.append_block_params_for_function_params(block);
    b.switch_to_block(block);
    b.seal_block(block);
    b.block_params(block).to_vec()
}

fn compile_entry(jit: &mut JITModule, ty: &FuncType) -> Result<(usize, Vec<u8>)> {
    let mut ctx = jit.make_context();
    ctx.func.signature = entry_signature(jit);
    ctx.func.name = UserFuncName::user(1, 0);
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
    let p = single_block(&mut b);
    let (code, callee_vmctx, caller_vmctx, values, epoch_poll) = (p[0], p[1], p[2], p[3], p[4]);
    let pinned = jit.isa().flags().enable_pinned_reg();
    let host_pinned = pinned.then(|| b.ins().get_pinned_reg(I64));
    if pinned {
        b.ins().set_pinned_reg(epoch_poll);
    }
    let mut args = vec![callee_vmctx, caller_vmctx];
    for (i, t) in ty.params().iter().enumerate() {
        args.push(
            b.ins()
                .load(ir_type(*t)?, trusted(), values, i as i32 * SLOT),
        );
    }
    let sig = b.import_signature(wasm_signature(ty)?);
    let call = b.ins().call_indirect(sig, code, &args);
    let results = b.inst_results(call).to_vec();
    for (i, r) in results.iter().enumerate() {
        b.ins().store(trusted(), *r, values, i as i32 * SLOT);
    }
    if let Some(host_pinned) = host_pinned {
        b.ins().set_pinned_reg(host_pinned);
    }
    b.ins().return_(&[]);
    b.finalize(jit.isa().frontend_config());
    finish(jit, &mut ctx)
}

fn compile_host_stub(jit: &mut JITModule, ty: &FuncType) -> Result<(usize, Vec<u8>)> {
    let mut ctx = jit.make_context();
    ctx.func.signature = wasm_signature(ty)?;
    ctx.func.name = UserFuncName::user(1, 1);
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
    let p = single_block(&mut b);
    let (host_ctx, caller_vmctx) = (p[0], p[1]);
    let slots = ty.params().len().max(ty.results().len()).max(1) as u32;
    let slot = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        slots * SLOT as u32,
        4,
    ));
    let values = b.ins().stack_addr(I64, slot, 0);
    for (i, v) in p[2..].iter().enumerate() {
        b.ins().store(trusted(), *v, values, i as i32 * SLOT);
    }
    let mut dispatch_sig = jit.make_signature();
    for _ in 0..3 {
        dispatch_sig.params.push(AbiParam::new(I64));
    }
    let dispatch_sig = b.import_signature(dispatch_sig);
    let dispatch = b.ins().load(I64, trusted(), host_ctx, HOST_CTX_DISPATCH);
    b.ins()
        .call_indirect(dispatch_sig, dispatch, &[host_ctx, caller_vmctx, values]);
    let mut results = Vec::new();
    for (i, t) in ty.results().iter().enumerate() {
        results.push(
            b.ins()
                .load(ir_type(*t)?, trusted(), values, i as i32 * SLOT),
        );
    }
    b.ins().return_(&results);
    b.finalize(jit.isa().frontend_config());
    finish(jit, &mut ctx)
}
