//! Epoch interruption by page protection.
//!
//! Code compiled with epoch checks reads one word of its store's *poll page*
//! at every function entry and loop header: one load that hits L1, with no
//! compare and no branch, through the pinned register (r15 on x86-64), which
//! the entry trampoline sets to the page for the call. When the
//! engine's epoch reaches a store's deadline, the engine makes that store's
//! page unreadable. The next check faults, and the signal handler turns the
//! fault at that check's PC into `Trap::Interrupt`, like any other trap.
//! (Comparing the epoch with the deadline at each check cost up to 39% on
//! loop-heavy kernels, and the poll address as an ordinary value was
//! spilled and reloaded on loop back edges; see `benches/epoch_cost.py`.)
//!
//! [`EpochWatch::increment`] never blocks, so `Engine::increment_epoch` stays
//! callable from a signal handler: when the list of watched stores is locked
//! (a store changing its deadline), it leaves a rescan request, which the
//! holder of the lock carries out before it returns. It never allocates.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

const PAGE: usize = 4096;

/// Poll pages of dropped stores kept for the next stores (each is 4 KiB).
const KEPT_PAGES: usize = 64;

/// What a store polls before it has a page of its own (mapping one failed):
/// always readable, so such a store cannot be interrupted.
static NEVER_INTERRUPTED: u64 = 0;

/// The engine's epoch and the stores waiting for it.
#[derive(Default)]
pub(crate) struct EpochWatch {
    epoch: AtomicU64,
    state: Mutex<WatchState>,
    /// Set by an `increment` that found the state locked.
    rescan: AtomicBool,
}

#[derive(Default)]
struct WatchState {
    /// Stores with a deadline: their page, and whether it is protected.
    watched: Vec<Watched>,
    /// Readable pages of dropped stores.
    idle: Vec<usize>,
}

struct Watched {
    page: usize,
    deadline: u64,
    fired: bool,
}

impl EpochWatch {
    /// The current epoch.
    pub fn current(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Advances the epoch and protects the pages of stores it reaches.
    pub fn increment(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.fire();
    }

    /// Protects every watched page whose deadline the epoch reached, or asks
    /// the current holder of the lock to.
    fn fire(&self) {
        loop {
            self.rescan.store(true, Ordering::SeqCst);
            let mut state = match self.state.try_lock() {
                Ok(state) => state,
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                // The holder rescans before it lets go (`unlock`).
                Err(TryLockError::WouldBlock) => return,
            };
            while self.rescan.swap(false, Ordering::SeqCst) {
                state.fire_due(self.current());
            }
            drop(state);
            // A request that came in between the last swap and the unlock
            // found the lock still held: take it up.
            if !self.rescan.load(Ordering::SeqCst) {
                return;
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, WatchState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lets go of the state, then carries out a rescan asked for meanwhile.
    fn unlock(&self, state: MutexGuard<'_, WatchState>) {
        drop(state);
        if self.rescan.load(Ordering::SeqCst) {
            self.fire();
        }
    }
}

impl WatchState {
    fn fire_due(&mut self, now: u64) {
        for watched in self.watched.iter_mut() {
            if !watched.fired && watched.deadline <= now {
                protect(watched.page, libc::PROT_NONE);
                watched.fired = true;
            }
        }
    }

    /// Stops watching `page` and makes it readable again.
    fn forget(&mut self, page: usize) {
        if let Some(at) = self.watched.iter().position(|w| w.page == page) {
            if self.watched.swap_remove(at).fired {
                protect(page, libc::PROT_READ);
            }
        }
    }
}

impl Drop for EpochWatch {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        for &page in &state.idle {
            // SAFETY: an idle page was mapped by `map_page` and nothing points to it.
            unsafe { libc::munmap(page as *mut libc::c_void, PAGE) };
        }
    }
}

/// A store's poll page, returned to its engine's watch when dropped.
pub(crate) struct EpochPoll {
    watch: Arc<EpochWatch>,
    /// The page, or 0 while the store has none (see [`NEVER_INTERRUPTED`]).
    page: usize,
}

impl EpochPoll {
    /// A readable page for a new store, from the idle ones or freshly mapped.
    pub fn new(watch: &Arc<EpochWatch>) -> EpochPoll {
        let mut poll = EpochPoll {
            watch: watch.clone(),
            page: 0,
        };
        poll.ensure_page();
        poll
    }

    /// The address compiled code reads (passed to the entry trampoline).
    pub fn address(&self) -> *const u64 {
        if self.page == 0 {
            &NEVER_INTERRUPTED
        } else {
            self.page as *const u64
        }
    }

    /// Interrupts the store once the epoch reaches `deadline` (`u64::MAX`:
    /// never). A store whose page could not be mapped tries again here;
    /// wasm entered from then on reads the new page (a call already running
    /// keeps the address its entry trampoline was given). If mapping fails again
    /// the store stays uninterruptible: the system is out of mappings.
    pub fn set_deadline(&mut self, deadline: u64) {
        self.ensure_page();
        if self.page == 0 {
            return;
        }
        let watch = &self.watch;
        let mut state = watch.lock();
        state.forget(self.page);
        if deadline != u64::MAX {
            state.watched.push(Watched {
                page: self.page,
                deadline,
                fired: false,
            });
            // An epoch already past it fires now; one arriving after this
            // read finds the lock held and leaves a rescan for `unlock`.
            state.fire_due(watch.current());
        }
        watch.unlock(state);
    }

    fn ensure_page(&mut self) {
        if self.page != 0 {
            return;
        }
        let idle = self.watch.lock().idle.pop();
        self.page = idle.or_else(map_page).unwrap_or(0);
    }
}

impl Drop for EpochPoll {
    fn drop(&mut self) {
        if self.page == 0 {
            return;
        }
        let mut state = self.watch.lock();
        state.forget(self.page);
        if state.idle.len() < KEPT_PAGES {
            state.idle.push(self.page);
        } else {
            // SAFETY: the page was mapped by `map_page`; the store that
            // polled it is being dropped, and no watch entry names it.
            unsafe { libc::munmap(self.page as *mut libc::c_void, PAGE) };
        }
        self.watch.unlock(state);
    }
}

fn map_page() -> Option<usize> {
    // SAFETY: a fresh anonymous mapping; nothing else refers to it.
    let page = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            PAGE,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    (page != libc::MAP_FAILED).then_some(page as usize)
}

fn protect(page: usize, prot: libc::c_int) {
    // SAFETY: `page` is a poll page this watch mapped; changing its
    // protection only changes whether compiled code's checks fault.
    // mprotect is a plain system call, safe in a signal handler.
    unsafe { libc::mprotect(page as *mut libc::c_void, PAGE, prot) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the page can be read, without faulting: writing from it to a
    /// pipe fails with EFAULT when it cannot.
    fn readable(page: *const u64) -> bool {
        let mut byte = 0u8;
        let mut fds = [0; 2];
        // SAFETY: plain system calls on our own descriptors and page.
        unsafe {
            libc::pipe(fds.as_mut_ptr());
            let wrote = libc::write(fds[1], page.cast(), 1);
            if wrote == 1 {
                libc::read(fds[0], (&mut byte as *mut u8).cast(), 1);
            }
            libc::close(fds[0]);
            libc::close(fds[1]);
            wrote == 1
        }
    }

    #[test]
    fn a_page_is_protected_when_the_epoch_reaches_its_deadline_and_readable_again_after() {
        let watch = Arc::new(EpochWatch::default());
        let mut poll = EpochPoll::new(&watch);
        assert!(readable(poll.address()));
        poll.set_deadline(watch.current() + 2);
        watch.increment();
        assert!(readable(poll.address()), "one tick before the deadline");
        watch.increment();
        assert!(!readable(poll.address()), "at the deadline");
        poll.set_deadline(u64::MAX);
        assert!(readable(poll.address()), "a new deadline makes it readable");
        watch.increment();
        assert!(readable(poll.address()), "never means never");
    }

    #[test]
    fn a_deadline_already_reached_protects_at_once_and_pages_are_reused_readable() {
        let watch = Arc::new(EpochWatch::default());
        let mut poll = EpochPoll::new(&watch);
        poll.set_deadline(watch.current());
        assert!(!readable(poll.address()));
        let page = poll.address();
        drop(poll);
        let next = EpochPoll::new(&watch);
        assert_eq!(next.address(), page, "the idle page is reused");
        assert!(readable(next.address()));
    }

    #[test]
    fn an_increment_while_the_state_is_locked_is_carried_out_by_the_holder() {
        let watch = Arc::new(EpochWatch::default());
        let mut poll = EpochPoll::new(&watch);
        poll.set_deadline(watch.current() + 1);
        let state = watch.lock();
        watch.increment(); // as from a signal handler on this thread
        assert!(readable(poll.address()), "nothing done under the lock");
        watch.unlock(state);
        assert!(!readable(poll.address()), "the holder fired it");
    }
}
