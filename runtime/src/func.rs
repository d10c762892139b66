//! Functions: calling wasm from the host, and host functions callable from wasm.

use crate::compile::trampolines::TrampolineKind;
use crate::error::{Error, ErrorKind, Result};
use crate::externals::Memory;
use crate::store::{Store, StoreInner};
use crate::types::FuncType;
use crate::values::Val;
use crate::vm::instance::InstanceData;
use crate::vm::traps::{self, catch_traps, raise_error};
use crate::vm::{VMContext, VMFuncRef, ValRaw};
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::Arc;

/// A function (wasm or host) in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Func {
    store_id: u64,
    funcref: NonNull<VMFuncRef>,
}

// SAFETY: a Func is a handle; it is only dereferenced through its store, which
// checks the store id.
unsafe impl Send for Func {}
// SAFETY: as above.
unsafe impl Sync for Func {}

/// The closure type of host functions.
pub type HostFn = dyn Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<()> + Send + Sync;

/// Context of a host function; compiled host stubs find the dispatcher at offset 0.
#[repr(C)]
pub(crate) struct HostFuncCtx {
    dispatch: unsafe extern "C" fn(*mut HostFuncCtx, *mut VMContext, *mut ValRaw),
    store: *mut StoreInner,
    ty: FuncType,
    func: Arc<HostFn>,
    funcref: VMFuncRef,
}

/// What a host function sees of its caller.
pub struct Caller<'a> {
    store: &'a mut Store,
    caller_vmctx: *mut VMContext,
}

impl Caller<'_> {
    /// The store, e.g. to call back into wasm.
    pub fn store(&mut self) -> &mut Store {
        self.store
    }

    /// The calling instance's memory 0, if the caller is a wasm instance with one.
    pub fn memory(&self) -> Option<Memory> {
        if self.caller_vmctx.is_null() {
            return None;
        }
        // SAFETY: a non-null caller vmctx is a live wasm instance of this store.
        let instance = unsafe { InstanceData::from_vmctx(self.caller_vmctx) };
        if instance.info().memories.is_empty() {
            return None;
        }
        Some(Memory::from_raw(self.store.id(), instance.memory_ptr(0)))
    }
}

impl Func {
    /// Creates a host function.
    pub fn new(
        store: &mut Store,
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<Func> {
        let engine = store.engine().clone();
        let type_id = engine.signature_id(&ty);
        let stub = engine.trampoline(TrampolineKind::HostStub, type_id)?;
        let inner = store.inner_ptr();
        let mut ctx = Box::new(HostFuncCtx {
            dispatch: host_dispatch,
            store: inner,
            ty,
            func: Arc::new(f),
            funcref: VMFuncRef {
                code: stub as *const u8,
                vmctx: std::ptr::null_mut(),
                type_id,
            },
        });
        let ctx_ptr: *mut HostFuncCtx = &mut *ctx;
        ctx.funcref.vmctx = ctx_ptr.cast();
        let funcref = NonNull::from(&mut ctx.funcref);
        store.inner_mut().host_funcs.push(ctx);
        Ok(Func {
            store_id: store.id(),
            funcref,
        })
    }

    pub(crate) fn from_raw(store_id: u64, funcref: *mut VMFuncRef) -> Option<Func> {
        NonNull::new(funcref).map(|funcref| Func { store_id, funcref })
    }

    pub(crate) fn raw(&self) -> *mut VMFuncRef {
        self.funcref.as_ptr()
    }

    pub(crate) fn store_id(&self) -> u64 {
        self.store_id
    }

    /// Engine-wide signature id.
    pub(crate) fn type_id(&self) -> u32 {
        // SAFETY: the funcref lives as long as its store.
        unsafe { (*self.funcref.as_ptr()).type_id }
    }

    /// Address of the function's machine code (for wasm functions, shared by
    /// every instance of the module; for host functions, the signature's stub).
    pub fn code_address(&self, store: &Store) -> usize {
        store.check(self.store_id);
        // SAFETY: the funcref lives as long as the store.
        unsafe { (*self.funcref.as_ptr()).code as usize }
    }

    /// The function's signature.
    pub fn ty(&self, store: &Store) -> FuncType {
        store.check(self.store_id);
        store.engine().signature(self.type_id())
    }

    /// Calls the function. `results` must have one slot per result.
    pub fn call(&self, store: &mut Store, params: &[Val], results: &mut [Val]) -> Result<()> {
        store.check(self.store_id);
        let ty = self.ty(store);
        if params.len() != ty.params().len()
            || params.iter().zip(ty.params()).any(|(v, t)| v.ty() != *t)
        {
            return Err(Error::msg(format!(
                "wrong arguments for a function of type {ty}: {params:?}"
            )));
        }
        if results.len() != ty.results().len() {
            return Err(Error::msg(format!(
                "{} result slots for a function of type {ty}",
                results.len()
            )));
        }
        let slots = params.len().max(results.len()).max(1);
        let mut values: Vec<ValRaw> = vec![0; slots];
        for (slot, p) in values.iter_mut().zip(params) {
            *slot = p.to_raw();
        }
        let entry = store
            .engine()
            .trampoline(TrampolineKind::Entry, self.type_id())?;
        // SAFETY: the entry trampoline for this signature has exactly this ABI.
        let entry: unsafe extern "C" fn(*const u8, *mut VMContext, *mut VMContext, *mut ValRaw) =
            unsafe { std::mem::transmute(entry) };
        // SAFETY: the funcref lives as long as its store.
        let funcref = unsafe { *self.funcref.as_ptr() };
        let max_stack = store.engine().config().max_wasm_stack;
        let vm = &mut store.inner_mut().vm;
        let saved_limit = vm.stack_limit;
        // Keep the outer budget for nested calls; a new call chain gets a fresh one.
        let fresh = traps::stack_limit(max_stack);
        vm.stack_limit = if traps::in_wasm_call() {
            saved_limit.max(fresh)
        } else {
            fresh
        };
        let values_ptr = values.as_mut_ptr();
        let outcome = catch_traps(|| {
            // SAFETY: code and vmctx come from a live funcref of this store.
            unsafe {
                entry(
                    funcref.code,
                    funcref.vmctx,
                    std::ptr::null_mut(),
                    values_ptr,
                )
            }
        });
        store.inner_mut().vm.stack_limit = saved_limit;
        match outcome {
            Ok(()) => {
                let id = store.id();
                for ((slot, raw), t) in results.iter_mut().zip(&values).zip(ty.results()) {
                    *slot = Val::from_raw(*raw, *t, id);
                }
                Ok(())
            }
            Err(unwound) => Err(match unwound.error {
                Some(error) => error,
                None => Error::new(ErrorKind::Trap {
                    trap: unwound.trap,
                    backtrace: collapse_repeats(
                        unwound
                            .backtrace
                            .iter()
                            .filter_map(|pc| traps::describe_pc(*pc)),
                    ),
                }),
            }),
        }
    }
}

/// Frame names with runs of the same function (deep recursion) folded into one line.
fn collapse_repeats(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for name in names {
        match out.last_mut() {
            Some((last, count)) if *last == name => *count += 1,
            _ => out.push((name, 1)),
        }
    }
    out.into_iter()
        .map(|(name, count)| match count {
            1 => name,
            n => format!("{name} (repeated {n} times)"),
        })
        .collect()
}

/// Called by host stubs. Errors and panics become traps carrying the error.
unsafe extern "C" fn host_dispatch(
    ctx: *mut HostFuncCtx,
    caller_vmctx: *mut VMContext,
    values: *mut ValRaw,
) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the stub passes its own context and a values array sized for the signature.
        unsafe { call_host(ctx, caller_vmctx, values) }
    }));
    let error = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(error)) => error,
        Err(_) => Error::msg("host function panicked"),
    };
    // SAFETY: we are inside a wasm call; every local of this frame is dropped or moved.
    unsafe { raise_error(error) }
}

unsafe fn call_host(
    ctx: *mut HostFuncCtx,
    caller_vmctx: *mut VMContext,
    values: *mut ValRaw,
) -> Result<()> {
    // SAFETY: ctx is a live host context owned by its store.
    let ctx = unsafe { &*ctx };
    let func = ctx.func.clone();
    let ty = ctx.ty.clone();
    // SAFETY: the store outlives the call; the view is never dropped.
    let mut store = ManuallyDrop::new(unsafe { Store::borrowed(ctx.store) });
    let id = store.id();
    let params: Vec<Val> = ty
        .params()
        .iter()
        .enumerate()
        // SAFETY: the array has a slot per parameter.
        .map(|(i, t)| Val::from_raw(unsafe { *values.add(i) }, *t, id))
        .collect();
    let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
    let mut caller = Caller {
        store: &mut store,
        caller_vmctx,
    };
    func(&mut caller, &params, &mut results)?;
    for (i, (r, t)) in results.iter().zip(ty.results()).enumerate() {
        if r.ty() != *t {
            return Err(Error::msg(format!(
                "host function returned {r:?} where {t} was expected"
            )));
        }
        // SAFETY: the array has a slot per result.
        unsafe { *values.add(i) = r.to_raw() };
    }
    Ok(())
}
