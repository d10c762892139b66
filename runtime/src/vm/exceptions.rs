//! Exceptions in flight and caught: a store's table of exception objects,
//! and the libcalls compiled code uses to throw, inspect and free them.
//!
//! An exnref is a slot index plus one (0 is null). Throwing allocates a
//! slot and sets `VMStoreContext::pending_exception`; the throwing function
//! then branches to its handler, or unwinds to the landing pad of the
//! nearest caller inside a handler's scope (`vm::traps::unwind_to_handler`,
//! see `compile/exceptions.rs`), where the handler reads the field.
//!
//! When a slot is freed: wasm may copy an exnref (locals, globals, tables)
//! once it has one, so an exception that was ever handed to wasm as a value
//! (`catch_ref`, `catch_all_ref`: "exposed") is freed only by [`collect`],
//! when no wasm frame is live. Otherwise an exception is freed as soon as
//! nothing can name it: caught by a `catch` that keeps no reference, or its
//! last legacy `catch` body left (legacy catch bodies "hold" the exception
//! they caught, for `rethrow`), and never while it is the pending one.

use crate::error::Trap;
use crate::store::StoreOpaque;
use crate::vm::instance::InstanceData;
use crate::vm::traps::raise_trap;
use crate::vm::{VMContext, VMStoreContext, VMTagDefinition, ValRaw};

/// How many exceptions a store keeps alive at once. Only exnrefs that wasm
/// keeps (`catch_ref`) and never rethrows stay alive; past this many, a
/// throw traps instead of growing the store without bound.
pub(crate) const MAX_LIVE_EXCEPTIONS: usize = 1 << 20;

/// One thrown exception: its tag and the values it carries.
pub(crate) struct ExceptionObject {
    pub tag: *const VMTagDefinition,
    pub payload: Box<[ValRaw]>,
    /// Legacy catch bodies running with it caught.
    pub holders: u32,
    /// Handed to wasm as an exnref value (only [`collect`] frees it).
    pub exposed: bool,
}

/// A store's exception objects.
#[derive(Default)]
pub(crate) struct Exceptions {
    slots: Vec<Option<ExceptionObject>>,
    free: Vec<u32>,
}

impl Exceptions {
    /// Stores `object`; its exnref, or `None` past [`MAX_LIVE_EXCEPTIONS`].
    pub fn alloc(&mut self, object: ExceptionObject) -> Option<u64> {
        if let Some(slot) = self.free.pop() {
            self.slots[slot as usize] = Some(object);
            return Some(u64::from(slot) + 1);
        }
        if self.slots.len() >= MAX_LIVE_EXCEPTIONS {
            return None;
        }
        self.slots.push(Some(object));
        Some(self.slots.len() as u64)
    }

    /// The exception `exnref` names, if it is alive.
    pub fn get(&self, exnref: u64) -> Option<&ExceptionObject> {
        let slot = usize::try_from(exnref.checked_sub(1)?).ok()?;
        self.slots.get(slot)?.as_ref()
    }

    fn get_mut(&mut self, exnref: u64) -> Option<&mut ExceptionObject> {
        let slot = usize::try_from(exnref.checked_sub(1)?).ok()?;
        self.slots.get_mut(slot)?.as_mut()
    }

    /// Frees `exnref`'s slot (nothing if it is not alive).
    pub fn free(&mut self, exnref: u64) {
        if self.get(exnref).is_some() {
            let slot = exnref as usize - 1;
            self.slots[slot] = None;
            self.free.push(slot as u32);
        }
    }

    /// Frees `exnref` if nothing can name it any more: no legacy catch
    /// holds it, wasm never got it as a value, and it is not `pending`.
    pub fn free_if_unnamed(&mut self, exnref: u64, pending: u64) {
        if let Some(object) = self.get(exnref) {
            if object.holders == 0 && !object.exposed && exnref != pending {
                self.free(exnref);
            }
        }
    }

    /// How many exceptions are alive.
    pub fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}

/// With no wasm frame live (the outermost call back in the host): frees
/// every exception that no exnref global or table of the store holds. Host
/// globals are scanned conservatively (any value that could be an exnref
/// keeps that slot).
pub(crate) fn collect(store: &mut StoreOpaque) {
    if store.exceptions.live() == 0 {
        return;
    }
    let slots = store.exceptions.slots.len();
    let mut marked = vec![false; slots];
    let mut mark = |raw: u128| {
        if let Some(slot) = (raw as u64).checked_sub(1) {
            if let Some(m) = marked.get_mut(slot as usize) {
                *m = true;
            }
        }
    };
    for inst in &store.instances {
        for (i, ty) in inst.info().globals.iter().enumerate() {
            if ty.content == crate::types::ValType::ExnRef {
                // SAFETY: global storage lives as long as the instance.
                mark(unsafe { (*inst.global_ptr(i as u32)).bits });
            }
        }
    }
    for global in &store.globals {
        mark(global.bits);
    }
    for table in &store.tables {
        if table.element_type() == crate::types::ValType::ExnRef {
            for i in 0..table.size() {
                if let Ok(raw) = table.get(i) {
                    mark(raw as u128);
                }
            }
        }
    }
    for (slot, keep) in marked.iter().enumerate() {
        if !keep {
            store.exceptions.free(slot as u64 + 1);
        }
    }
}

/// The store and instance of a libcall's caller.
///
/// # Safety
/// `vmctx` must be a live instance's vmctx, called from compiled code.
unsafe fn caller<'a>(vmctx: *mut VMContext) -> (&'a mut StoreOpaque, &'a mut InstanceData) {
    // SAFETY: offset 0 of every vmctx is its store context, whose `store`
    // points at the store (a `StoreInner`, which starts with `StoreOpaque`).
    unsafe {
        let ctx = *vmctx.cast::<*mut VMStoreContext>();
        let store = &mut *(*ctx).store.cast::<StoreOpaque>();
        (store, InstanceData::from_vmctx(vmctx))
    }
}

/// The live exception `exnref` of `store`, or a trap.
fn live(store: &StoreOpaque, exnref: u64) -> &ExceptionObject {
    match store.exceptions.get(exnref) {
        Some(object) => object,
        // SAFETY: called only from libcalls, with nothing to drop.
        None => unsafe { raise_trap(Trap::NullExceptionReference) },
    }
}

/// `throw tag`: the tag's values are in `values` (one 16-byte slot each).
pub(crate) unsafe extern "C" fn throw(vmctx: *mut VMContext, tag: u32, values: *const ValRaw) {
    // SAFETY: compiled code passes its own vmctx and a slot per tag param.
    let (store, inst) = unsafe { caller(vmctx) };
    let count = inst.info().tag_type(tag).params().len();
    // SAFETY: as above.
    let payload = unsafe { std::slice::from_raw_parts(values, count) }.into();
    let object = ExceptionObject {
        tag: inst.tag_ptr(tag),
        payload,
        holders: 0,
        exposed: false,
    };
    match store.exceptions.alloc(object) {
        Some(exnref) => store.vm.pending_exception = exnref,
        // SAFETY: nothing owned is alive here.
        None => unsafe { raise_trap(Trap::TooManyExceptions) },
    }
}

/// `throw_ref`: throws the caught exception `exnref` again.
pub(crate) unsafe extern "C" fn throw_ref(vmctx: *mut VMContext, exnref: u64) {
    // SAFETY: compiled code passes its own vmctx.
    let (store, _) = unsafe { caller(vmctx) };
    live(store, exnref);
    store.vm.pending_exception = exnref;
}

/// The identity (definition address) of `exnref`'s tag.
pub(crate) unsafe extern "C" fn exception_tag(vmctx: *mut VMContext, exnref: u64) -> u64 {
    // SAFETY: compiled code passes its own vmctx.
    let (store, _) = unsafe { caller(vmctx) };
    live(store, exnref).tag as u64
}

/// Copies `exnref`'s values into `out` (one 16-byte slot each).
pub(crate) unsafe extern "C" fn exception_payload(
    vmctx: *mut VMContext,
    exnref: u64,
    out: *mut ValRaw,
) {
    // SAFETY: compiled code passes its own vmctx.
    let (store, _) = unsafe { caller(vmctx) };
    let object = live(store, exnref);
    // SAFETY: `out` has a slot per value of the tag the handler matched.
    unsafe { std::ptr::copy_nonoverlapping(object.payload.as_ptr(), out, object.payload.len()) };
}

/// A legacy catch body starts with `exnref` caught.
pub(crate) unsafe extern "C" fn exception_hold(vmctx: *mut VMContext, exnref: u64) {
    // SAFETY: compiled code passes its own vmctx.
    let (store, _) = unsafe { caller(vmctx) };
    if let Some(object) = store.exceptions.get_mut(exnref) {
        object.holders += 1;
    }
}

/// A legacy catch body holding `exnref` is left (normally, by a branch,
/// or by another exception).
pub(crate) unsafe extern "C" fn exception_release(vmctx: *mut VMContext, exnref: u64) {
    // SAFETY: compiled code passes its own vmctx.
    let (store, _) = unsafe { caller(vmctx) };
    if let Some(object) = store.exceptions.get_mut(exnref) {
        object.holders = object.holders.saturating_sub(1);
    }
    let pending = store.vm.pending_exception;
    store.exceptions.free_if_unnamed(exnref, pending);
}

/// A `try_table` clause without `_ref` caught `exnref`.
pub(crate) unsafe extern "C" fn exception_caught(vmctx: *mut VMContext, exnref: u64) {
    // SAFETY: compiled code passes its own vmctx.
    let (store, _) = unsafe { caller(vmctx) };
    let pending = store.vm.pending_exception;
    store.exceptions.free_if_unnamed(exnref, pending);
}

/// A `catch_ref`/`catch_all_ref` clause hands `exnref` to wasm as a value.
pub(crate) unsafe extern "C" fn exception_expose(vmctx: *mut VMContext, exnref: u64) {
    // SAFETY: compiled code passes its own vmctx.
    let (store, _) = unsafe { caller(vmctx) };
    if let Some(object) = store.exceptions.get_mut(exnref) {
        object.exposed = true;
    }
}
