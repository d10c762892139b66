//! A store owns everything one running program creates: instances, memories,
//! tables, globals and host functions. Handles (`Func`, `Memory`, ...) are
//! only valid with the store that made them.

use crate::engine::Engine;
use crate::func::HostFuncCtx;
use crate::vm::instance::InstanceData;
use crate::vm::memory::LinearMemory;
use crate::vm::table::Table;
use crate::vm::{VMGlobalDefinition, VMStoreContext};
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

// Each item is boxed on purpose: compiled code and handles hold raw pointers
// into them, so they must not move when the vectors grow.
#[allow(clippy::vec_box)]
pub(crate) struct StoreInner {
    pub id: u64,
    pub engine: Engine,
    /// Read by compiled code through every vmctx of this store.
    pub vm: Box<VMStoreContext>,
    pub instances: Vec<Box<InstanceData>>,
    pub memories: Vec<Box<LinearMemory>>,
    pub tables: Vec<Box<Table>>,
    pub globals: Vec<Box<VMGlobalDefinition>>,
    pub host_funcs: Vec<Box<HostFuncCtx>>,
}

/// Owner of a program's run-time state. Dropping it frees every instance,
/// memory and table it holds.
pub struct Store {
    // A raw pointer rather than a Box: host functions re-enter the store
    // through this same pointer while a call from the host is in progress.
    inner: *mut StoreInner,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("id", &self.inner().id)
            .finish()
    }
}

impl Store {
    /// Creates an empty store.
    pub fn new(engine: &Engine) -> Store {
        let inner = Box::into_raw(Box::new(StoreInner {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            engine: engine.clone(),
            vm: Box::new(VMStoreContext {
                stack_limit: 0,
                store: std::ptr::null_mut(),
            }),
            instances: Vec::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            host_funcs: Vec::new(),
        }));
        // SAFETY: freshly allocated above.
        unsafe { (*inner).vm.store = inner.cast() };
        Store { inner }
    }

    /// A non-owning view of the store behind `inner`, for host calls.
    ///
    /// # Safety
    /// `inner` must be a live store; the view must not be dropped (wrap it in
    /// `ManuallyDrop`).
    pub(crate) unsafe fn borrowed(inner: *mut StoreInner) -> Store {
        Store { inner }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.inner().engine
    }

    pub(crate) fn inner(&self) -> &StoreInner {
        // SAFETY: owned for self's lifetime.
        unsafe { &*self.inner }
    }

    pub(crate) fn inner_mut(&mut self) -> &mut StoreInner {
        // SAFETY: owned for self's lifetime; &mut self gives exclusivity.
        unsafe { &mut *self.inner }
    }

    pub(crate) fn inner_ptr(&self) -> *mut StoreInner {
        self.inner
    }

    pub(crate) fn id(&self) -> u64 {
        self.inner().id
    }

    /// Panics with a clear message when a handle from another store is used.
    pub(crate) fn check(&self, store_id: u64) {
        assert_eq!(
            store_id,
            self.id(),
            "a wasm object was used with a store other than the one that created it"
        );
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // SAFETY: created by Box::into_raw in `new`; dropped once.
        unsafe { drop(Box::from_raw(self.inner)) }
    }
}
