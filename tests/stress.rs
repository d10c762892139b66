//! Traps must be recognised whatever other threads do: several threads trap
//! over and over while others compile and drop modules (which rewrites the
//! code registry the signal handler reads). With the registry behind a lock
//! that the handler could only `try_read`, this killed the host with SIGSEGV
//! within seconds.

use crate::wat;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wrun::{Config, Engine, Instance, Module, Store, Trap};

/// A module whose `oob` export faults on a guard page and `div` on SIGFPE.
const TRAPPER: &str = r#"(module
    (memory 1)
    (func (export "oob") (result i32) (i32.load (i32.const 0x7fff0000)))
    (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0))))"#;

/// A module with `n` distinct functions (distinct bytes per `seed`, so the
/// engine cannot reuse an earlier compilation).
fn generated(seed: u64, n: usize) -> Vec<u8> {
    let mut text = String::from("(module");
    for i in 0..n {
        text.push_str(&format!(
            "(func (export \"f{i}\") (param i32) (result i32) (i32.add (local.get 0) (i32.const {})))",
            seed * 1000 + i as u64
        ));
    }
    text.push(')');
    wat(&text)
}

#[test]
fn traps_are_caught_while_other_threads_compile_and_drop_modules() {
    let engine = Engine::new(Config::new().cache_modules(false)).unwrap();
    let trapper = Module::new(&engine, &wat(TRAPPER)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let traps = Arc::new(AtomicU64::new(0));
    let compiles = Arc::new(AtomicU64::new(0));
    let duration = Duration::from_secs(3);

    let trapping: Vec<_> = (0..3)
        .map(|_| {
            let (module, stop, traps) = (trapper.clone(), stop.clone(), traps.clone());
            std::thread::spawn(move || {
                let mut store = Store::new(module.engine(), ());
                let instance = Instance::new(&mut store, &module, &[]).unwrap();
                let oob = instance.get_typed_func::<(), i32>(&store, "oob").unwrap();
                let div = instance.get_typed_func::<i32, i32>(&store, "div").unwrap();
                while !stop.load(Ordering::Relaxed) {
                    let e = oob.call(&mut store, ()).unwrap_err();
                    assert_eq!(e.trap(), Some(Trap::MemoryOutOfBounds), "{e}");
                    let e = div.call(&mut store, 0).unwrap_err();
                    assert_eq!(e.trap(), Some(Trap::IntegerDivisionByZero), "{e}");
                    assert_eq!(div.call(&mut store, 1).unwrap(), 1);
                    traps.fetch_add(2, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let compiling: Vec<_> = (0..2)
        .map(|thread| {
            let (engine, stop, compiles) = (engine.clone(), stop.clone(), compiles.clone());
            std::thread::spawn(move || {
                let mut seed = thread;
                while !stop.load(Ordering::Relaxed) {
                    // Compiled, registered, then dropped (unregistered) at once.
                    let module = Module::new(&engine, &generated(seed, 20)).unwrap();
                    drop(module);
                    seed += 2;
                    compiles.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    let start = Instant::now();
    while start.elapsed() < duration {
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    for t in trapping.into_iter().chain(compiling) {
        t.join().expect("no thread panicked");
    }
    let (traps, compiles) = (
        traps.load(Ordering::Relaxed),
        compiles.load(Ordering::Relaxed),
    );
    eprintln!("stress: {traps} traps caught while {compiles} modules were compiled and dropped");
    assert!(traps > 1000, "traps ran: {traps}");
    assert!(compiles > 10, "compiles ran: {compiles}");
}

/// Resident set size of this OS process, in KiB (`/proc/self/statm`).
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    pages * page / 1024
}

#[test]
fn ten_thousand_processes_of_a_program_with_libraries_leave_memory_flat() {
    // The bundled example's main and two libraries: create, link,
    // initialise, run and drop a process 10,000 times from one engine.
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("wasm-fixtures/example");
    let engine = wrun::Engine::default();
    let cycle = || {
        let stdout = wrun::wasi::OutputBuffer::new();
        let wasi = wrun::wasi::WasiCtx::builder()
            .stdout(stdout.clone())
            .build();
        let config = wrun::ProcessConfig::new().lib_path(&dir).wasi(wasi);
        let mut process = wrun::Process::new(&engine, config).unwrap();
        process.load_main(dir.join("main.wasm")).unwrap();
        assert_eq!(process.run_start().unwrap(), 0);
        assert!(stdout.contents().ends_with(b"=== bye ===\n"));
    };
    for _ in 0..1_000 {
        cycle();
    }
    let after_warm_up = rss_kib();
    for _ in 0..9_000 {
        cycle();
    }
    let grown = rss_kib().saturating_sub(after_warm_up);
    // A leak of even 100 bytes per process would show as 900 KiB.
    assert!(
        grown < 512,
        "resident memory grew by {grown} KiB over 9,000 processes"
    );
}
