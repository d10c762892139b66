//! Traps never crash the host.
//!
//! Every host→wasm call runs inside [`catch_traps`], which saves the callee-saved
//! registers in a jump buffer (hand-written assembly, so no Rust frame ever
//! "returns twice"). A trap then resumes there in one of two ways:
//! - a fault in compiled code (SIGSEGV/SIGBUS on a guard page, SIGILL on a
//!   Cranelift `ud2` trap, SIGFPE on a division) is looked up by PC in the
//!   global code registry; if it is a known trap site the signal handler
//!   rewrites the interrupted context to jump into `wrun_longjmp`;
//! - a libcall or host function calls [`raise_trap`] / [`raise_error`].
//!
//! Signals that are not ours (no wasm call on this thread, or a PC outside
//! compiled code) are passed on to the handler that was installed before.

use super::code_registry::{lookup_code, trap_at, CallerFrame};
use crate::error::{Error, Trap};
use std::cell::{Cell, UnsafeCell};
use std::sync::Once;

/// Callee-saved registers, stack pointer and return address.
#[repr(C)]
#[derive(Default)]
struct JmpBuf([usize; 8]);

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".globl wrun_call_with_jmpbuf",
    "wrun_call_with_jmpbuf:",
    // rdi = jmpbuf, rsi = callback, rdx = callback data
    "mov [rdi], rbx",
    "mov [rdi + 8], rbp",
    "mov [rdi + 16], r12",
    "mov [rdi + 24], r13",
    "mov [rdi + 32], r14",
    "mov [rdi + 40], r15",
    "lea rax, [rsp + 8]",
    "mov [rdi + 48], rax",
    "mov rax, [rsp]",
    "mov [rdi + 56], rax",
    "sub rsp, 8",
    "mov rdi, rdx",
    "call rsi",
    "add rsp, 8",
    "xor eax, eax",
    "ret",
    ".p2align 4",
    ".globl wrun_longjmp",
    "wrun_longjmp:",
    // rdi = jmpbuf; returns 1 from the matching wrun_call_with_jmpbuf
    "mov rbx, [rdi]",
    "mov rbp, [rdi + 8]",
    "mov r12, [rdi + 16]",
    "mov r13, [rdi + 24]",
    "mov r14, [rdi + 32]",
    "mov r15, [rdi + 40]",
    "mov rsp, [rdi + 48]",
    "mov eax, 1",
    "jmp qword ptr [rdi + 56]",
    ".p2align 4",
    ".globl wrun_resume_at_handler",
    "wrun_resume_at_handler:",
    // rdi = sp, rsi = fp, rdx = handler pc, rcx = pinned register value.
    // Cranelift's landing pads expect every other register clobbered and
    // the exception payload in rax/rdx (wrun passes it in the store).
    "mov rsp, rdi",
    "mov rbp, rsi",
    "mov r15, rcx",
    "mov r11, rdx",
    "xor eax, eax",
    "xor edx, edx",
    "jmp r11",
);

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
compile_error!("wrun's trap handling is implemented for x86_64 Linux only so far");

unsafe extern "C" {
    fn wrun_call_with_jmpbuf(
        buf: *mut JmpBuf,
        callback: unsafe extern "C" fn(*mut u8),
        data: *mut u8,
    ) -> i32;
    fn wrun_longjmp(buf: *const JmpBuf) -> !;
    fn wrun_resume_at_handler(sp: usize, fp: usize, pc: usize, pinned: usize) -> !;
}

/// State of one host→wasm call on this thread.
struct CallState {
    jmpbuf: UnsafeCell<JmpBuf>,
    trap: Cell<Option<Trap>>,
    error: UnsafeCell<Option<Error>>,
    backtrace: UnsafeCell<Backtrace>,
}

/// Most frames a trap's backtrace records.
const MAX_FRAMES: usize = 64;

/// Return addresses of the wasm frames at a trap, innermost first. A fixed
/// array, because it is filled inside the signal handler, which must not
/// allocate.
pub(crate) struct Backtrace {
    /// Only `..len` is initialised: the buffer is set up on every call into
    /// wasm, and zeroing 512 bytes each time was a measurable share of a call.
    pcs: [std::mem::MaybeUninit<usize>; MAX_FRAMES],
    len: usize,
}

impl Backtrace {
    const fn new() -> Backtrace {
        Backtrace {
            pcs: [std::mem::MaybeUninit::uninit(); MAX_FRAMES],
            len: 0,
        }
    }

    fn push(&mut self, pc: usize) -> bool {
        if self.len == MAX_FRAMES {
            return false;
        }
        self.pcs[self.len] = std::mem::MaybeUninit::new(pc);
        self.len += 1;
        true
    }

    /// The recorded code addresses.
    pub fn pcs(&self) -> &[usize] {
        // SAFETY: the first `len` entries were written by `push`.
        unsafe { std::slice::from_raw_parts(self.pcs.as_ptr().cast::<usize>(), self.len) }
    }
}

thread_local! {
    static CURRENT: Cell<*const CallState> = const { Cell::new(std::ptr::null()) };
    static STACK_BOUNDS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// How a call into wasm ended abnormally.
pub(crate) struct Unwound {
    pub trap: Trap,
    pub error: Option<Error>,
    pub backtrace: Backtrace,
}

/// Runs `f` (which calls into compiled code) so that traps come back as values.
///
/// `f` must hold nothing that needs dropping: a trap skips its frame.
pub(crate) fn catch_traps<F: FnOnce()>(f: F) -> Result<(), Box<Unwound>> {
    install_signal_handlers();
    let state = CallState {
        jmpbuf: UnsafeCell::new(JmpBuf::default()),
        trap: Cell::new(None),
        error: UnsafeCell::new(None),
        backtrace: UnsafeCell::new(Backtrace::new()),
    };
    let previous = CURRENT.with(|c| c.replace(&state));
    let mut closure = Some(f);

    unsafe extern "C" fn call_closure<F: FnOnce()>(data: *mut u8) {
        // SAFETY: `data` is the `Option<F>` below, alive for the whole call.
        let f = unsafe { (*data.cast::<Option<F>>()).take() };
        if let Some(f) = f {
            f();
        }
    }
    // SAFETY: the jump buffer and closure outlive the call; longjmp only
    // targets this frame while CURRENT points at `state`.
    let rc = unsafe {
        wrun_call_with_jmpbuf(
            state.jmpbuf.get(),
            call_closure::<F>,
            (&mut closure as *mut Option<F>).cast(),
        )
    };
    CURRENT.with(|c| c.set(previous));
    if rc == 0 {
        return Ok(());
    }
    Err(Box::new(Unwound {
        trap: state.trap.get().unwrap_or(Trap::HostError),
        error: state.error.into_inner(),
        backtrace: state.backtrace.into_inner(),
    }))
}

/// Unwinds to the innermost [`catch_traps`] with `trap`.
///
/// # Safety
/// Must be called on a thread inside `catch_traps`, from a frame whose
/// skipped callers hold nothing that needs dropping.
pub(crate) unsafe fn raise_trap(trap: Trap) -> ! {
    let state = CURRENT.with(|c| c.get());
    assert!(!state.is_null(), "trap raised outside of a wasm call");
    // SAFETY: `state` is live (see catch_traps).
    unsafe {
        (*state).trap.set(Some(trap));
        wrun_longjmp((*state).jmpbuf.get())
    }
}

/// Unwinds to the innermost [`catch_traps`] carrying a host error.
///
/// # Safety
/// As [`raise_trap`].
pub(crate) unsafe fn raise_error(error: Error) -> ! {
    let state = CURRENT.with(|c| c.get());
    assert!(!state.is_null(), "error raised outside of a wasm call");
    // SAFETY: `state` is live; the error is moved in before the jump.
    unsafe {
        *(*state).error.get() = Some(error);
        raise_trap(Trap::HostError)
    }
}

/// Libcall `UnwindToHandler`: a throw (or an exception a handler did not
/// match) left the function whose frame pointer is `fp` with no handler
/// there. Follows the frame-pointer chain up to the innermost host entry
/// and resumes at the landing pad of the first call site that has one
/// (calls inside a `try_table` or `try` are Cranelift `try_call`s), so
/// frames without handlers cost nothing and are skipped whole. No landing
/// pad before the host: the trap "uncaught wasm exception". The exception
/// itself stays pending in the store, where the handler reads it.
///
/// # Safety
/// Called only by compiled code, with its own frame pointer, inside a
/// host→wasm call (`catch_traps`); `pinned` is the pinned register's value
/// (the epoch poll page) or anything when the engine pins none.
pub(crate) unsafe extern "C" fn unwind_to_handler(
    _vmctx: *mut crate::vm::VMContext,
    fp: usize,
    pinned: usize,
) -> ! {
    let state = CURRENT.with(|c| c.get());
    let (low, mut high) = thread_stack_bounds();
    if high == 0 {
        high = usize::MAX;
    }
    if !state.is_null() {
        // SAFETY: `state` is live; index 6 is the entry's stack pointer.
        // Frames at or above it belong to the host, never to be unwound.
        high = high.min(unsafe { (*(*state).jmpbuf.get()).0[6] });
    }
    for (ret, caller_fp) in frames(fp, low, high) {
        match (lookup_code(ret, |info| info.caller_frame(ret)), caller_fp) {
            (Some(CallerFrame::Handler { pc, sp_to_fp }), Some(caller_fp)) => {
                // SAFETY: `caller_fp` is the frame of the wasm function that
                // made the `try_call` returning to `ret`; Cranelift's frame
                // layout puts its stack pointer `sp_to_fp` below it. The
                // frames skipped (this libcall's and wasm's) own nothing.
                unsafe {
                    wrun_resume_at_handler(caller_fp - sp_to_fp as usize, caller_fp, pc, pinned)
                }
            }
            (Some(CallerFrame::NoHandler), Some(_)) => {}
            _ => break,
        }
    }
    // SAFETY: inside catch_traps (see above); nothing owned is alive here.
    unsafe { raise_trap(Trap::UncaughtException) }
}

// ---------------------------------------------------------------------------
// Stack limit.

/// How much host stack must stay free below the wasm stack limit, for host
/// functions, libcalls and the signal handler.
const HOST_STACK_RESERVE: usize = 128 * 1024;

/// The lowest stack address wasm code may use for a call entered here, given
/// a budget of `max_wasm_stack` bytes.
pub(crate) fn stack_limit(max_wasm_stack: usize) -> usize {
    let marker = 0u8;
    let sp = &marker as *const u8 as usize;
    let (low, _) = thread_stack_bounds();
    let budget = if low == 0 {
        max_wasm_stack
    } else {
        max_wasm_stack.min(sp.saturating_sub(low).saturating_sub(HOST_STACK_RESERVE))
    };
    sp - budget
}

fn thread_stack_bounds() -> (usize, usize) {
    STACK_BOUNDS.with(|b| {
        if b.get() == (0, 0) {
            b.set(query_stack_bounds().unwrap_or((0, 0)));
        }
        b.get()
    })
}

fn query_stack_bounds() -> Option<(usize, usize)> {
    // SAFETY: plain pthread queries on the current thread with valid out-pointers.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let rc = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        (rc == 0).then(|| (addr as usize, addr as usize + size))
    }
}

// ---------------------------------------------------------------------------
// Signal handling.

const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];
static mut PREVIOUS: [Option<libc::sigaction>; 4] = [None; 4];
static INSTALL: Once = Once::new();

fn install_signal_handlers() {
    INSTALL.call_once(|| {
        for (i, &sig) in SIGNALS.iter().enumerate() {
            // SAFETY: installing a handler with a zeroed, then filled, sigaction;
            // PREVIOUS is written only here, once, before any handler runs.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = trap_handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &action, &mut old) == 0 {
                    (*std::ptr::addr_of_mut!(PREVIOUS))[i] = Some(old);
                }
            }
        }
    });
}

/// The frame-pointer chain from the frame at `fp` outwards, for frames that
/// lie in `low..high` of this thread's stack: each frame's return address,
/// and its caller's frame pointer (`None` when the chain does not go up,
/// so it is corrupt and this frame is the last). Wasm code keeps frame
/// pointers; the caller decides where wasm frames end. Reads memory only,
/// never allocates: the signal handler uses it.
fn frames(mut fp: usize, low: usize, high: usize) -> impl Iterator<Item = (usize, Option<usize>)> {
    std::iter::from_fn(move || {
        if fp == 0 || !fp.is_multiple_of(8) || fp < low || fp.checked_add(16)? > high {
            return None;
        }
        // SAFETY: fp is aligned and its two words lie within `low..high`,
        // which callers take from this thread's stack.
        let (caller_fp, ret) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
        let caller_fp = (caller_fp > fp).then_some(caller_fp);
        fp = caller_fp.unwrap_or(0);
        Some((ret, caller_fp))
    })
}

/// Follows the frame-pointer chain from a trapping wasm frame, recording the
/// return addresses that are wasm code (compiled with frame pointers kept).
fn capture_backtrace(pc: usize, fp: usize, out: &mut Backtrace) {
    let (low, high) = thread_stack_bounds();
    out.push(pc);
    for (ret, _) in frames(fp, low, high) {
        if lookup_code(ret, |_| ()).is_none() || !out.push(ret) {
            break;
        }
    }
}

extern "C" fn trap_handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let state = CURRENT.with(|c| c.get());
    if !state.is_null() {
        // SAFETY: the kernel passes a valid ucontext for SA_SIGINFO handlers.
        let uc = unsafe { &mut *ctx.cast::<libc::ucontext_t>() };
        let gregs = &mut uc.uc_mcontext.gregs;
        let pc = gregs[libc::REG_RIP as usize] as usize;
        if let Some(trap) = trap_at(pc) {
            // SAFETY: `state` is the live CallState of this thread.
            unsafe {
                (*state).trap.set(Some(trap));
                let fp = gregs[libc::REG_RBP as usize] as usize;
                capture_backtrace(pc, fp, &mut *(*state).backtrace.get());
                // Resume in wrun_longjmp(jmpbuf) once the handler returns, so
                // the kernel restores the signal mask the normal way.
                gregs[libc::REG_RDI as usize] = (*state).jmpbuf.get() as i64;
            }
            gregs[libc::REG_RIP as usize] = wrun_longjmp as *const () as i64;
            return;
        }
    }
    chain_to_previous(sig, info, ctx);
}

fn chain_to_previous(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let index = SIGNALS.iter().position(|&s| s == sig).unwrap_or(0);
    // SAFETY: PREVIOUS was fully written before our handler was installed.
    let previous = unsafe { (*std::ptr::addr_of!(PREVIOUS))[index] };
    match previous {
        Some(old) if old.sa_sigaction == libc::SIG_IGN => {}
        Some(old) if old.sa_sigaction != libc::SIG_DFL => {
            // SAFETY: calling the previously installed handler as it asked to be called.
            unsafe {
                if old.sa_flags & libc::SA_SIGINFO != 0 {
                    let handler: extern "C" fn(
                        libc::c_int,
                        *mut libc::siginfo_t,
                        *mut libc::c_void,
                    ) = std::mem::transmute(old.sa_sigaction);
                    handler(sig, info, ctx);
                } else {
                    let handler: extern "C" fn(libc::c_int) = std::mem::transmute(old.sa_sigaction);
                    handler(sig);
                }
            }
        }
        _ => {
            // Default action: restore it and return, so the faulting
            // instruction runs again and the process dies as it would have.
            // SAFETY: resetting a signal disposition to its default.
            unsafe {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
    }
}
