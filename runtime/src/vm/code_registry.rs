//! Which addresses are compiled wasm code, and their trap sites — readable
//! from a signal handler without taking any lock.
//!
//! The registry is an immutable, sorted snapshot behind an [`AtomicPtr`].
//! Writers (a module compiled or dropped) serialise on a mutex, build a new
//! snapshot and swap it in; readers (the trap handler, backtrace capture)
//! only announce themselves in a counter and load the pointer. A writer
//! frees a retired snapshot once it has seen the counter at zero *after*
//! the swap: any reader that started later loads the new snapshot, so none
//! can still be looking at the old one.
//!
//! An earlier version used `RwLock::try_read` in the handler and passed the
//! fault on (killing the host) whenever a compiling thread held the write
//! lock; a trap must be recognised whatever other threads are doing.

pub(crate) use crate::compile::code_info::{CallerFrame, CodeInfo};
use crate::error::Trap;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One immutable view: one `(start, end, info)` range per module, sorted by start.
type Snapshot = Vec<(usize, usize, Arc<CodeInfo>)>;

static CURRENT: AtomicPtr<Snapshot> = AtomicPtr::new(std::ptr::null_mut());
static READERS: AtomicUsize = AtomicUsize::new(0);

/// Writers' side: serialises updates and keeps snapshots that a reader may
/// still hold until it is safe to free them.
struct Writer {
    retired: Vec<*mut Snapshot>,
}

// SAFETY: the raw pointers are owned snapshots, only touched under the mutex.
unsafe impl Send for Writer {}

static WRITER: Mutex<Writer> = Mutex::new(Writer {
    retired: Vec::new(),
});

fn update(change: impl FnOnce(&mut Snapshot)) {
    let mut writer = WRITER.lock().unwrap_or_else(|e| e.into_inner());
    let old = CURRENT.load(Ordering::SeqCst);
    // SAFETY: snapshots are only freed under this mutex, which we hold.
    let mut next: Snapshot = unsafe { old.as_ref() }.cloned().unwrap_or_default();
    change(&mut next);
    let next = Box::into_raw(Box::new(next));
    CURRENT.store(next, Ordering::SeqCst);
    if !old.is_null() {
        writer.retired.push(old);
    }
    if READERS.load(Ordering::SeqCst) == 0 {
        for snapshot in writer.retired.drain(..) {
            // SAFETY: retired snapshots were made by Box::into_raw and are no
            // longer reachable: every reader active now started after the
            // swap above (the counter was zero after it) and sees `next`.
            drop(unsafe { Box::from_raw(snapshot) });
        }
    }
}

/// Makes a module's code known to the signal handler.
pub(crate) fn register_code(info: &Arc<CodeInfo>) {
    let Some((start, end)) = info.range() else {
        return;
    };
    update(|snapshot| {
        let at = snapshot.partition_point(|(s, _, _)| *s < start);
        snapshot.insert(at, (start, end, info.clone()));
    });
}

/// Forgets a module's code (before its memory is freed).
pub(crate) fn unregister_code(info: &Arc<CodeInfo>) {
    update(|snapshot| snapshot.retain(|(_, _, i)| !Arc::ptr_eq(i, info)));
}

/// Calls `f` with the module whose code contains `pc`. Lock-free and
/// allocation-free, so it may run inside a signal handler.
pub(crate) fn lookup_code<R>(pc: usize, f: impl FnOnce(&CodeInfo) -> R) -> Option<R> {
    READERS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: while READERS counts us, the snapshot we load is not freed.
    let result = unsafe { CURRENT.load(Ordering::SeqCst).as_ref() }.and_then(|snapshot| {
        let i = snapshot.partition_point(|(s, _, _)| *s <= pc);
        let (_, end, info) = snapshot.get(i.checked_sub(1)?)?;
        (pc < *end).then(|| f(info))
    });
    READERS.fetch_sub(1, Ordering::SeqCst);
    result
}

/// Describes a code address for backtraces.
pub(crate) fn describe_pc(pc: usize) -> Option<String> {
    lookup_code(pc, |info| info.describe(pc)).flatten()
}

/// The trap at a faulting `pc`, if it is a trap site of compiled code.
pub(crate) fn trap_at(pc: usize) -> Option<Trap> {
    lookup_code(pc, |info| info.trap_at(pc)).flatten()
}
