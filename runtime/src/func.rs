//! Functions: calling wasm from the host, and host functions callable from wasm.

use crate::compile::trampolines::TrampolineKind;
use crate::error::{Error, ErrorKind, Result, Trap};
use crate::externals::{Extern, Memory};
use crate::store::{
    AsContext, AsContextMut, StoreContext, StoreContextMut, StoreInner, StoreOpaque,
};
use crate::types::FuncType;
use crate::values::Val;
use crate::vm::code_registry::describe_pc;
use crate::vm::instance::InstanceData;
use crate::vm::traps::{self, catch_traps, raise_error, Unwound};
use crate::vm::{VMContext, VMFuncRef, ValRaw};
use std::any::{Any, TypeId};
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

/// The dispatcher a host stub calls: `(its context, caller vmctx, values)`.
type Dispatch = unsafe extern "C" fn(*mut HostFuncCtx, *mut VMContext, *mut ValRaw);

/// A host function not yet placed in a store: what a [`crate::Linker`]
/// keeps, so one definition serves every store it instantiates into.
/// (Public only so that [`crate::IntoFunc`] can name it; not reachable
/// from outside the crate.)
#[derive(Clone)]
pub struct HostFunc {
    pub(crate) ty: FuncType,
    /// The closure, called by `dispatch` (made for its concrete type, so
    /// the call is direct and can be inlined: no second indirect call).
    func: Arc<dyn Any + Send + Sync>,
    dispatch: Dispatch,
    /// The `T` of the `StoreInner<T>` that the closure expects.
    data_type: TypeId,
    /// Its signature id and host stub in the first engine it was placed
    /// with (shared by clones): a linker's functions are placed in every
    /// store of one engine, and looking both up each time is most of what
    /// placing costs.
    placed: Arc<std::sync::OnceLock<EngineStub>>,
}

/// A host function's signature id and stub in one engine. The `Weak`
/// names the engine and keeps its address from being reused by another.
struct EngineStub {
    engine: std::sync::Weak<crate::engine::EngineInner>,
    type_id: u32,
    stub: usize,
}

impl HostFunc {
    /// A host function from a closure with the store erased: it is called
    /// with the store (a `*mut StoreInner<T>`), the calling instance's vmctx
    /// (null when called from the host) and the argument/result array.
    pub(crate) fn from_raw<T: 'static, F>(ty: FuncType, raw: F) -> HostFunc
    where
        F: Fn(*mut u8, *mut VMContext, *mut ValRaw) -> Result<()> + Send + Sync + 'static,
    {
        HostFunc {
            ty,
            func: Arc::new(raw),
            dispatch: host_dispatch::<F>,
            data_type: TypeId::of::<T>(),
            placed: Arc::default(),
        }
    }

    /// A host function over the dynamic `Val` interface.
    pub(crate) fn new<T: 'static>(
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> HostFunc {
        let signature = ty.clone();
        let raw = move |store: *mut u8, caller_vmctx: *mut VMContext, values: *mut ValRaw| {
            // SAFETY: the host stub passes the store this function was placed
            // in, which holds a `T` (checked when it was placed), and a values
            // array with a slot per parameter and per result.
            let caller = unsafe { Caller::new(store, caller_vmctx) };
            let id = caller.store.opaque.id;
            let params: Vec<Val> = signature
                .params()
                .iter()
                .enumerate()
                // SAFETY: the array has a slot per parameter.
                .map(|(i, t)| Val::from_raw(unsafe { *values.add(i) }, *t, id))
                .collect();
            let mut results: Vec<Val> = signature
                .results()
                .iter()
                .map(|t| Val::default_for(*t))
                .collect();
            f(caller, &params, &mut results)?;
            for (i, (r, t)) in results.iter().zip(signature.results()).enumerate() {
                if r.ty() != *t {
                    return Err(Error::msg(format!(
                        "host function returned {r:?} where {t} was expected"
                    )));
                }
                // SAFETY: the array has a slot per result.
                unsafe { *values.add(i) = r.to_raw() };
            }
            Ok(())
        };
        HostFunc::from_raw::<T, _>(ty, raw)
    }

    /// Places the function in `store`, which must hold the `T` it was made for.
    pub(crate) fn into_func(self, store: &mut StoreOpaque) -> Result<Func> {
        self.place(store)
    }

    /// The signature id and host stub of the function in `engine`.
    fn stub_in(&self, engine: &crate::Engine) -> Result<(u32, *const u8)> {
        if let Some(placed) = self.placed.get() {
            if std::ptr::eq(placed.engine.as_ptr(), Arc::as_ptr(&engine.inner)) {
                return Ok((placed.type_id, placed.stub as *const u8));
            }
        }
        let type_id = engine.signature_id(&self.ty);
        let stub = engine.trampoline(TrampolineKind::HostStub, type_id)?;
        let _ = self.placed.set(EngineStub {
            engine: Arc::downgrade(&engine.inner),
            type_id,
            stub,
        });
        Ok((type_id, stub as *const u8))
    }

    /// As `into_func`, without giving up the definition.
    pub(crate) fn place(&self, store: &mut StoreOpaque) -> Result<Func> {
        // The closure casts the store to `StoreInner<T>`: never let it see
        // another `T` (the types line up everywhere this is called; this
        // keeps it so).
        if self.data_type != store.data_type {
            return Err(Error::msg(
                "a host function was defined for a store with another data type",
            ));
        }
        let (type_id, stub) = self.stub_in(store.engine())?;
        let mut ctx = Box::new(HostFuncCtx {
            dispatch: self.dispatch,
            store: store.vm.store,
            func: self.func.clone(),
            funcref: VMFuncRef {
                code: stub,
                vmctx: std::ptr::null_mut(),
                type_id,
            },
        });
        let ctx_ptr: *mut HostFuncCtx = &mut *ctx;
        ctx.funcref.vmctx = ctx_ptr.cast();
        let funcref = NonNull::from(&mut ctx.funcref);
        store.host_funcs.push(ctx);
        Ok(Func {
            store_id: store.id(),
            funcref,
        })
    }
}

/// Context of a host function; compiled host stubs find the dispatcher at offset 0.
#[repr(C)]
pub(crate) struct HostFuncCtx {
    dispatch: Dispatch,
    /// The owning store, type-erased (a `*mut StoreInner<T>`).
    store: *mut u8,
    /// The closure; its concrete type is the one `dispatch` was made for.
    func: Arc<dyn Any + Send + Sync>,
    funcref: VMFuncRef,
}

/// What a host function sees of its caller: the store's data and the
/// calling instance. Implements [`AsContextMut`], so it can be passed
/// wherever a store is expected (to call back into wasm, read memory, ...).
pub struct Caller<'a, T: 'static> {
    store: &'a mut StoreInner<T>,
    caller_vmctx: *mut VMContext,
}

impl<'a, T: 'static> Caller<'a, T> {
    /// # Safety
    /// `store` must point to a live `StoreInner<T>` not otherwise borrowed
    /// for `'a`; `caller_vmctx` is null or a live instance of that store.
    pub(crate) unsafe fn new(store: *mut u8, caller_vmctx: *mut VMContext) -> Caller<'a, T> {
        Caller {
            // SAFETY: as the caller promises.
            store: unsafe { &mut *store.cast::<StoreInner<T>>() },
            caller_vmctx,
        }
    }

    /// The store's host data.
    pub fn data(&self) -> &T {
        &self.store.data
    }

    /// The store's host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.store.data
    }

    /// The engine.
    pub fn engine(&self) -> &crate::Engine {
        &self.store.opaque.engine
    }

    fn instance(&self) -> Option<&InstanceData> {
        if self.caller_vmctx.is_null() {
            return None;
        }
        // SAFETY: a non-null caller vmctx is a live wasm instance of this store.
        Some(unsafe { InstanceData::from_vmctx(self.caller_vmctx) })
    }

    /// An export of the calling instance (`None` when called from the host).
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        let instance = self.instance()?;
        let index = *instance.info().export_index.get(name)?;
        Some(crate::instance::entity(
            instance,
            self.store.opaque.id,
            index,
        ))
    }

    /// The calling instance's memory 0, defined or imported (shared
    /// libraries import the process's memory rather than export it).
    pub fn memory(&self) -> Option<Memory> {
        let instance = self.instance()?;
        if instance.info().memories.is_empty() {
            return None;
        }
        Some(Memory::from_raw(
            self.store.opaque.id,
            instance.memory_ptr(0),
        ))
    }

    /// The calling instance's memory 0 as bytes, together with the host
    /// data (disjoint borrows, e.g. for a WASI context writing into memory).
    pub fn memory_and_data(&mut self) -> (&mut [u8], &mut T) {
        let bytes: &mut [u8] = match self.memory() {
            // SAFETY: the memory is owned by this store, which we borrow
            // exclusively; the host data is a disjoint field.
            Some(memory) => unsafe { (*memory.raw()).data_mut() },
            None => &mut [],
        };
        (bytes, &mut self.store.data)
    }
}

impl<T: 'static> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.store)
    }
}

impl<T: 'static> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.store)
    }
}

impl<'a, T: 'static> From<&'a Caller<'_, T>> for StoreContext<'a, T> {
    fn from(caller: &'a Caller<'_, T>) -> Self {
        StoreContext(caller.store)
    }
}

impl<'a, T: 'static> From<&'a mut Caller<'_, T>> for StoreContext<'a, T> {
    fn from(caller: &'a mut Caller<'_, T>) -> Self {
        StoreContext(caller.store)
    }
}

impl<'a, T: 'static> From<&'a mut Caller<'_, T>> for StoreContextMut<'a, T> {
    fn from(caller: &'a mut Caller<'_, T>) -> Self {
        StoreContextMut(caller.store)
    }
}

impl Func {
    /// Creates a host function over the dynamic [`Val`] interface.
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<Func> {
        HostFunc::new(ty, f).into_func(store.as_context_mut().opaque_mut())
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
    pub fn code_address(&self, store: impl AsContext) -> usize {
        store.as_context().opaque().check(self.store_id);
        // SAFETY: the funcref lives as long as the store.
        unsafe { (*self.funcref.as_ptr()).code as usize }
    }

    /// The function's signature.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        self.ty_in(store.as_context().opaque())
    }

    pub(crate) fn ty_in(&self, store: &StoreOpaque) -> FuncType {
        store.check(self.store_id);
        store.engine().signature(self.type_id())
    }

    /// Calls the function. `results` must have one slot per result.
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        self.call_in(store.as_context_mut().opaque_mut(), params, results)
    }

    pub(crate) fn call_in(
        &self,
        store: &mut StoreOpaque,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let ty = self.ty_in(store);
        if params.len() != ty.params().len()
            || params.iter().zip(ty.params()).any(|(v, t)| v.ty() != *t)
        {
            return Err(Error::msg(format!(
                "wrong arguments for a function of type {ty}: {params:?}"
            )));
        }
        for value in params {
            crate::externals::refuse_host_exnref(value)?;
        }
        if results.len() != ty.results().len() {
            return Err(Error::msg(format!(
                "{} result slots for a function of type {ty}",
                results.len()
            )));
        }
        // Arguments and results share one array: on the stack for the usual
        // small signatures, on the heap only for very wide ones.
        let slots = params.len().max(results.len()).max(1);
        let mut small = [0 as ValRaw; 16];
        let mut large = Vec::new();
        let values: &mut [ValRaw] = if slots <= small.len() {
            &mut small[..slots]
        } else {
            large.resize(slots, 0);
            &mut large
        };
        for (slot, p) in values.iter_mut().zip(params) {
            *slot = p.to_raw();
        }
        let entry = store
            .engine()
            .trampoline(TrampolineKind::Entry, self.type_id())?;
        // SAFETY: the entry trampoline was made for this function's
        // signature, and `values` has a slot per parameter and result.
        unsafe { call_raw(store, entry, self.funcref.as_ptr(), values.as_mut_ptr()) }?;
        let id = store.id();
        for ((slot, raw), t) in results.iter_mut().zip(values.iter()).zip(ty.results()) {
            *slot = Val::from_raw(*raw, *t, id);
        }
        Ok(())
    }
}

/// The signature of entry trampolines: `(code, callee_vmctx, caller_vmctx,
/// values, epoch_poll)`.
pub(crate) type EntryTrampoline =
    unsafe extern "C" fn(*const u8, *mut VMContext, *mut VMContext, *mut ValRaw, *const u64);

/// Calls `funcref` through an entry trampoline with the arguments in
/// `values` (results are written back there); traps come back as errors.
///
/// # Safety
/// `entry` must be the entry trampoline for the function's signature,
/// `funcref` a live function of `store`, and `values` must have a slot per
/// parameter and per result.
pub(crate) unsafe fn call_raw(
    store: &mut StoreOpaque,
    entry: usize,
    funcref: *const VMFuncRef,
    values: *mut ValRaw,
) -> Result<()> {
    // SAFETY: entry trampolines have exactly this ABI.
    let entry: EntryTrampoline = unsafe { std::mem::transmute(entry) };
    // SAFETY: the funcref lives as long as its store.
    let funcref = unsafe { *funcref };
    let max_stack = store.engine().config().max_wasm_stack;
    let vm = &mut store.vm;
    let saved_limit = vm.stack_limit;
    // Keep the outer budget for calls nested in a call of this store (its
    // limit is set only while one runs); a new call chain gets a fresh one.
    let fresh = traps::stack_limit(max_stack);
    vm.stack_limit = if saved_limit != 0 {
        saved_limit.max(fresh)
    } else {
        fresh
    };
    store.calls_in_progress += 1;
    let epoch_poll = store
        .epoch_poll
        .as_ref()
        .map_or(std::ptr::null(), |poll| poll.address());
    let outcome = catch_traps(|| {
        // SAFETY: code and vmctx come from a live funcref of this store;
        // the poll page is readable (or protected) as long as the store lives.
        unsafe {
            entry(
                funcref.code,
                funcref.vmctx,
                std::ptr::null_mut(),
                values,
                epoch_poll,
            )
        }
    });
    store.calls_in_progress -= 1;
    store.vm.stack_limit = saved_limit;
    // An exception no wasm handler caught stops at the host: it is freed
    // (unless wasm kept a copy) and the call fails with a trap (host frames
    // are not unwound through).
    let pending = std::mem::take(&mut store.vm.pending_exception);
    if store.calls_in_progress == 0 {
        // No wasm frame is live: free what no global or table holds.
        crate::vm::exceptions::collect(store);
    }
    if pending != 0 {
        store.exceptions.free_if_unnamed(pending, 0);
        if outcome.is_ok() {
            return Err(Error::new(ErrorKind::Trap {
                trap: Trap::UncaughtException,
                backtrace: Vec::new(),
            }));
        }
    }
    outcome.map_err(unwound_error)
}

/// The error a trap or host error unwound with, its backtrace named.
fn unwound_error(unwound: Box<Unwound>) -> Error {
    match unwound.error {
        Some(error) => error,
        None => Error::new(ErrorKind::Trap {
            trap: unwound.trap,
            backtrace: collapse_repeats(
                unwound
                    .backtrace
                    .pcs()
                    .iter()
                    .filter_map(|pc| describe_pc(*pc)),
            ),
        }),
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

/// Called by host stubs, one instance per closure type `F`. Errors and
/// panics become traps carrying the error.
unsafe extern "C" fn host_dispatch<F>(
    ctx: *mut HostFuncCtx,
    caller_vmctx: *mut VMContext,
    values: *mut ValRaw,
) where
    F: Fn(*mut u8, *mut VMContext, *mut ValRaw) -> Result<()> + Send + Sync + 'static,
{
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the stub passes its own context, which lives in its store,
        // and this dispatcher was stored beside a closure of type `F`.
        let (f, store) = unsafe {
            let ctx = &*ctx;
            (&*Arc::as_ptr(&ctx.func).cast::<F>(), ctx.store)
        };
        f(store, caller_vmctx, values)
    }));
    let error = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(error)) => error,
        Err(_) => Error::msg("host function panicked"),
    };
    // SAFETY: we are inside a wasm call; every local of this frame is dropped or moved.
    unsafe { raise_error(error) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_function_made_for_another_data_type_is_refused() {
        let engine = crate::Engine::default();
        let mut store = crate::Store::new(&engine, ());
        let for_u8 = HostFunc::new::<u8>(FuncType::new([], []), |_, _, _| Ok(()));
        let error = for_u8.into_func(store.opaque_mut()).expect_err("refused");
        assert!(error.to_string().contains("another data type"), "{error}");
        let for_unit = HostFunc::new::<()>(FuncType::new([], []), |_, _, _| Ok(()));
        assert!(for_unit.into_func(store.opaque_mut()).is_ok());
    }
}
