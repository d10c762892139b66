//! A store owns everything one running program creates: instances, memories,
//! tables, globals and host functions, plus the host's own state for that
//! program (`T`). Handles (`Func`, `Memory`, ...) are only valid with the
//! store that made them.
//!
//! Like wasmtime, functions that need a store take `impl AsContext` or
//! `impl AsContextMut`, so a [`Store`], a [`crate::Caller`] (inside a host
//! function) or a [`StoreContextMut`] can be passed. None of them hands out
//! an owned `Store` that could be replaced or dropped while wasm frames are
//! live.
//!
//! ```compile_fail
//! // A host function cannot reach an owning `&mut Store` (and so cannot
//! // `mem::replace` it and free the store under the running wasm code).
//! let engine = wrun::Engine::default();
//! let mut store = wrun::Store::new(&engine, ());
//! wrun::Func::wrap(&mut store, |mut caller: wrun::Caller<'_, ()>| {
//!     let owned: &mut wrun::Store<()> = caller.store();
//!     drop(std::mem::replace(owned, wrun::Store::new(&wrun::Engine::default(), ())));
//! });
//! ```

use crate::engine::Engine;
use crate::func::HostFuncCtx;
use crate::vm::instance::InstanceData;
use crate::vm::memory::LinearMemory;
use crate::vm::table::Table;
use crate::vm::{VMGlobalDefinition, VMStoreContext};
use std::any::TypeId;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// The part of a store that does not depend on the host's data type.
// Each item is boxed on purpose: compiled code and handles hold raw pointers
// into them, so they must not move when the vectors grow.
#[allow(clippy::vec_box)]
pub(crate) struct StoreOpaque {
    pub id: u64,
    /// `TypeId` of the host data `T`, so type-erased host functions made for
    /// another `T` are refused.
    pub data_type: TypeId,
    pub engine: Engine,
    /// Read by compiled code through every vmctx of this store.
    pub vm: Box<VMStoreContext>,
    /// The page epoch checks read, when the engine compiles them (the entry
    /// trampoline puts its address in the pinned register).
    pub epoch_poll: Option<crate::vm::epoch_watch::EpochPoll>,
    pub instances: Vec<Box<InstanceData>>,
    pub memories: Vec<Box<LinearMemory>>,
    pub tables: Vec<Box<Table>>,
    pub globals: Vec<Box<VMGlobalDefinition>>,
    pub host_funcs: Vec<Box<HostFuncCtx>>,
    /// Tags created by the host ([`crate::Tag::new`]).
    pub tags: Vec<Box<crate::vm::VMTagDefinition>>,
    /// Exceptions thrown and not yet freed.
    pub exceptions: crate::vm::exceptions::Exceptions,
    /// Host-to-wasm calls under way (nested through host functions); at 0
    /// no wasm frame is live and unreachable exceptions can be collected.
    pub calls_in_progress: u32,
    /// See [`Store::set_limits`].
    pub limits: crate::limits::StoreLimits,
}

impl StoreOpaque {
    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// This store's unique id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// See [`Store::set_epoch_deadline`].
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        let deadline = self.engine.current_epoch().saturating_add(ticks);
        if let Some(poll) = &mut self.epoch_poll {
            poll.set_deadline(deadline);
        }
    }

    /// Panics with a clear message when a handle from another store is used.
    pub fn check(&self, store_id: u64) {
        assert_eq!(
            store_id, self.id,
            "a wasm object was used with a store other than the one that created it"
        );
    }
}

/// A store's state: the engine-facing part first, so a pointer to the whole
/// is also a pointer to its [`StoreOpaque`] (`repr(C)`).
#[repr(C)]
pub(crate) struct StoreInner<T> {
    pub opaque: StoreOpaque,
    pub data: T,
}

/// Owner of one program's run-time state and of the host data `T` that its
/// host functions reach through [`crate::Caller::data`]. Dropping it frees
/// every instance, memory and table it holds.
pub struct Store<T: 'static> {
    // A raw pointer rather than a Box: compiled code and host functions
    // re-enter the store through this same pointer (`VMStoreContext::store`)
    // while a call from the host is in progress, which a Box's uniqueness
    // would forbid.
    inner: NonNull<StoreInner<T>>,
    _owns: PhantomData<Box<StoreInner<T>>>,
}

// SAFETY: a store's raw pointers all point into memory the store owns, and
// host functions are `Send + Sync`; so moving a store (with its `T`) to another
// thread, or sharing `&Store` when `T` allows it, is as safe as for a Box.
unsafe impl<T: Send> Send for Store<T> {}
// SAFETY: as above; `&Store` only reads.
unsafe impl<T: Sync> Sync for Store<T> {}

impl<T> std::fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("id", &self.opaque().id)
            .finish()
    }
}

impl<T: 'static> Store<T> {
    /// Creates an empty store holding the host's `data`.
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        let epoch_poll = engine
            .config()
            .epoch_interruption
            .then(|| crate::vm::epoch_watch::EpochPoll::new(&engine.inner.epoch_watch));
        let inner = Box::into_raw(Box::new(StoreInner {
            opaque: StoreOpaque {
                id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
                data_type: TypeId::of::<T>(),
                engine: engine.clone(),
                vm: Box::new(VMStoreContext {
                    stack_limit: 0,
                    store: std::ptr::null_mut(),
                    pending_exception: 0,
                }),
                epoch_poll,
                instances: Vec::new(),
                memories: Vec::new(),
                tables: Vec::new(),
                globals: Vec::new(),
                host_funcs: Vec::new(),
                tags: Vec::new(),
                exceptions: Default::default(),
                calls_in_progress: 0,
                limits: crate::limits::StoreLimits::default(),
            },
            data,
        }));
        // SAFETY: freshly allocated above, and never null.
        unsafe { (*inner).opaque.vm.store = inner.cast() };
        Store {
            // SAFETY: Box::into_raw never returns null.
            inner: unsafe { NonNull::new_unchecked(inner) },
            _owns: PhantomData,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.opaque().engine
    }

    /// The host data.
    pub fn data(&self) -> &T {
        &self.inner().data
    }

    /// Sets the store's resource limits (memory and table sizes, numbers of
    /// instances, memories and tables); they apply to what is created from
    /// now on.
    pub fn set_limits(&mut self, limits: crate::limits::StoreLimits) {
        self.opaque_mut().limits = limits;
    }

    /// With epoch interruption on ([`crate::Config::epoch_interruption`]),
    /// wasm code of this store traps with "interrupt" once the engine's
    /// epoch has advanced `ticks` more times. The default is never.
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        self.opaque_mut().set_epoch_deadline(ticks);
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.inner_mut().data
    }

    /// Drops the store's wasm state and returns the host data.
    pub fn into_data(self) -> T {
        let inner = self.inner;
        std::mem::forget(self);
        // SAFETY: created by Box::into_raw in `new`; `self` was forgotten, so
        // this is the only owner now.
        let inner = unsafe { Box::from_raw(inner.as_ptr()) };
        let StoreInner { opaque, data } = *inner;
        drop(opaque);
        data
    }

    fn inner(&self) -> &StoreInner<T> {
        // SAFETY: owned for self's lifetime.
        unsafe { self.inner.as_ref() }
    }

    fn inner_mut(&mut self) -> &mut StoreInner<T> {
        // SAFETY: owned for self's lifetime; &mut self gives exclusivity.
        unsafe { self.inner.as_mut() }
    }

    pub(crate) fn opaque(&self) -> &StoreOpaque {
        &self.inner().opaque
    }

    pub(crate) fn opaque_mut(&mut self) -> &mut StoreOpaque {
        &mut self.inner_mut().opaque
    }
}

impl<T> Drop for Store<T> {
    fn drop(&mut self) {
        // SAFETY: created by Box::into_raw in `new`; dropped once.
        unsafe { drop(Box::from_raw(self.inner.as_ptr())) }
    }
}

/// A shared borrow of a store, for reading handles' state. `Copy`, like `&`.
pub struct StoreContext<'a, T>(pub(crate) &'a StoreInner<T>);

impl<T> Clone for StoreContext<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for StoreContext<'_, T> {}

/// An exclusive borrow of a store, for calling functions and changing state.
pub struct StoreContextMut<'a, T>(pub(crate) &'a mut StoreInner<T>);

impl<'a, T> StoreContext<'a, T> {
    /// The host data.
    pub fn data(&self) -> &'a T {
        &self.0.data
    }

    /// The engine.
    pub fn engine(&self) -> &'a Engine {
        &self.0.opaque.engine
    }

    pub(crate) fn opaque(&self) -> &'a StoreOpaque {
        &self.0.opaque
    }
}

impl<'a, T> StoreContextMut<'a, T> {
    /// The host data.
    pub fn data(&self) -> &T {
        &self.0.data
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.0.data
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.0.opaque.engine
    }

    pub(crate) fn opaque_mut(&mut self) -> &mut StoreOpaque {
        &mut self.0.opaque
    }

    /// See [`Store::set_epoch_deadline`].
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        self.0.opaque.set_epoch_deadline(ticks);
    }

    /// Consumes the borrow, keeping its full lifetime.
    pub(crate) fn into_opaque_mut(self) -> &'a mut StoreOpaque {
        &mut self.0.opaque
    }
}

/// Anything that can lend a shared borrow of a store: [`Store`],
/// [`crate::Caller`], the context types, and references to them.
pub trait AsContext {
    /// The host data type of the store.
    type Data: 'static;
    /// Borrows the store.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Anything that can lend an exclusive borrow of a store.
pub trait AsContextMut: AsContext {
    /// Borrows the store exclusively.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T: 'static> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.inner())
    }
}

impl<T: 'static> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.inner_mut())
    }
}

impl<T: 'static> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T: 'static> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T: 'static> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.0)
    }
}

impl<C: AsContext + ?Sized> AsContext for &C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContext + ?Sized> AsContext for &mut C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContextMut + ?Sized> AsContextMut for &mut C {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        (**self).as_context_mut()
    }
}

impl<'a, T: 'static> From<&'a Store<T>> for StoreContext<'a, T> {
    fn from(store: &'a Store<T>) -> Self {
        StoreContext(store.inner())
    }
}

impl<'a, T: 'static> From<&'a mut Store<T>> for StoreContext<'a, T> {
    fn from(store: &'a mut Store<T>) -> Self {
        StoreContext(store.inner())
    }
}

impl<'a, T: 'static> From<&'a mut Store<T>> for StoreContextMut<'a, T> {
    fn from(store: &'a mut Store<T>) -> Self {
        StoreContextMut(store.inner_mut())
    }
}

impl<'a, T: 'static> From<&'a StoreContextMut<'_, T>> for StoreContext<'a, T> {
    fn from(store: &'a StoreContextMut<'_, T>) -> Self {
        StoreContext(store.0)
    }
}

impl<'a, T: 'static> From<&'a mut StoreContextMut<'_, T>> for StoreContextMut<'a, T> {
    fn from(store: &'a mut StoreContextMut<'_, T>) -> Self {
        StoreContextMut(store.0)
    }
}
