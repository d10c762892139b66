//! Signals that are not wasm traps are passed on to whoever handled them before.
//!
//! Each check re-runs this test binary as a child process (selected by an
//! environment variable) because it ends that process on purpose.

use std::path::PathBuf;
use std::process::Command;
use wrun::{Engine, Instance, Module, Store, Val};

const CHILD_VAR: &str = "WRUN_SIGNAL_TEST_CHILD";
/// Exit status the child's own SIGSEGV handler uses.
const PREVIOUS_HANDLER_STATUS: i32 = 42;

fn run_wasm_once() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("wasm-fixtures/wat/add.wasm");
    let engine = Engine::default();
    let module = Module::from_file(&engine, path).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let add = instance.get_func(&store, "add").unwrap();
    let mut results = [Val::I32(0)];
    add.call(&mut store, &[Val::I32(1), Val::I32(2)], &mut results)
        .unwrap();
    assert_eq!(results[0], Val::I32(3));
}

extern "C" fn previous_handler(_: libc::c_int) {
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(PREVIOUS_HANDLER_STATUS) }
}

fn host_segfault() {
    // SAFETY: deliberately not safe: a host bug, which must not be taken for a wasm trap.
    unsafe {
        std::ptr::read_volatile(std::ptr::null::<u8>().wrapping_add(16));
    }
}

/// Runs in the child: what the parent asked for via the environment.
#[test]
fn signal_child() {
    match std::env::var(CHILD_VAR).as_deref() {
        Ok("previous-handler") => {
            // SAFETY: installing a plain handler before wrun installs its own.
            unsafe { libc::signal(libc::SIGSEGV, previous_handler as *const () as usize) };
            run_wasm_once();
            host_segfault();
        }
        Ok("default") => {
            run_wasm_once();
            host_segfault();
        }
        _ => {} // Not a child: nothing to do.
    }
}

fn run_child(mode: &str) -> std::process::ExitStatus {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "signals::signal_child",
            "--exact",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CHILD_VAR, mode)
        .output()
        .unwrap()
        .status
}

#[test]
fn a_host_fault_reaches_the_previous_handler() {
    let status = run_child("previous-handler");
    assert_eq!(status.code(), Some(PREVIOUS_HANDLER_STATUS), "{status:?}");
}

#[test]
fn a_host_fault_without_a_handler_kills_the_process() {
    use std::os::unix::process::ExitStatusExt;
    let status = run_child("default");
    // Rust's runtime may print its own message first; either way the process
    // dies of SIGSEGV instead of being resumed as a wasm trap.
    assert_eq!(status.signal(), Some(libc::SIGSEGV), "{status:?}");
}
