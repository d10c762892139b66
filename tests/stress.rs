//! Traps must be recognised whatever other threads do: several threads trap
//! over and over while others compile and drop modules (which rewrites the
//! code registry the signal handler reads). With the registry behind a lock
//! that the handler could only `try_read`, this killed the host with SIGSEGV
//! within seconds. Also: stores interrupted by a ticking epoch on two
//! threads, thousands of processes and of dlopen/dlclose cycles with flat
//! memory, and memory growth in fifty OS processes at once.

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

/// Stores come and go on two threads, each running into its deadline while
/// a ticker bumps the epoch every millisecond (and other stores set new
/// deadlines under the watch's lock): every store is interrupted, none is
/// interrupted early, and poll pages are reused.
#[test]
fn stores_on_two_threads_are_interrupted_by_a_ticking_epoch() {
    let engine = Engine::new(Config::new().epoch_interruption(true)).unwrap();
    let spin = Module::new(
        &engine,
        &wat(r#"(module (func (export "spin") (loop (br 0))))"#),
    )
    .unwrap();
    let counter = Module::new(
        &engine,
        &wat(
            r#"(module (func (export "count") (param i32) (result i32) (local i32)
              (loop $l (local.set 1 (i32.add (local.get 1) (i32.const 1)))
                (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
              (local.get 1)))"#,
        ),
    )
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (engine, stop) = (engine.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
                engine.increment_epoch();
            }
        })
    };
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (spin, counter) = (spin.clone(), counter.clone());
            std::thread::spawn(move || {
                for _ in 0..200 {
                    let mut store = Store::new(spin.engine(), ());
                    // Far off: this store must finish its count undisturbed.
                    store.set_epoch_deadline(1 << 40);
                    let count = Instance::new(&mut store, &counter, &[]).unwrap();
                    let count = count.get_typed_func::<i32, i32>(&store, "count").unwrap();
                    assert_eq!(count.call(&mut store, 100_000).unwrap(), 100_000);
                    store.set_epoch_deadline(2);
                    let spin = Instance::new(&mut store, &spin, &[]).unwrap();
                    let spin = spin.get_typed_func::<(), ()>(&store, "spin").unwrap();
                    let e = spin.call(&mut store, ()).unwrap_err();
                    assert_eq!(e.trap(), Some(Trap::Interrupt), "{e}");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("no worker panicked");
    }
    stop.store(true, Ordering::Relaxed);
    ticker.join().unwrap();
}

/// Resident set size of this OS process, in KiB (`/proc/self/statm`).
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    pages * page / 1024
}

/// Runs the test `name` alone in a child process of this test binary and
/// returns true there (the caller then does the work); in the parent,
/// waits for the child and returns false. Resident memory is a property of
/// the whole OS process: tests running beside it in other threads (and the
/// memories their engines keep for reuse) would move it.
fn in_own_process(name: &str) -> bool {
    const CHILD: &str = "WRUN_TEST_ALONE";
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(
        out.status.success(),
        "{name} failed in its own process:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("1 passed"), "{name} did not run");
    // The child's figures, for `--nocapture` runs of the parent.
    for line in text(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("stress:"))
    {
        eprintln!("{line}");
    }
    false
}

#[test]
fn ten_thousand_processes_of_a_program_with_libraries_leave_memory_flat() {
    // The bundled example's main and two libraries: create, link,
    // initialise, run and drop a process 10,000 times from one engine.
    if !in_own_process(
        "stress::ten_thousand_processes_of_a_program_with_libraries_leave_memory_flat",
    ) {
        return;
    }
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
    eprintln!(
        "stress: resident {after_warm_up} KiB after 1,000 processes, +{grown} KiB after 9,000 more"
    );
    // A leak of even 100 bytes per process would show as 900 KiB.
    assert!(
        grown < 512,
        "resident memory grew by {grown} KiB over 9,000 processes"
    );
}

#[test]
fn ten_thousand_dlopen_dlclose_cycles_leave_host_memory_flat() {
    // A library with 1 MiB of data, opened, called and closed by the guest
    // (`dlopen-cycles`): after a warm-up, host memory must not grow with
    // the count (the guest-side footprint is checked in dlopen.rs).
    if !in_own_process("stress::ten_thousand_dlopen_dlclose_cycles_leave_host_memory_flat") {
        return;
    }
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("wasm-fixtures/dylink/dlopen-cycles");
    let quiet = wrun::wasi::WasiCtx::builder().inherit_stdio(false).build();
    let config = wrun::ProcessConfig::new().lib_path(&dir).wasi(quiet);
    let mut process = wrun::Process::new(&Engine::default(), config).unwrap();
    process.load_main(dir.join("main.wasm")).unwrap();
    let mut cycles = |n: i32| {
        let stale = process.invoke("cycles", &[wrun::Val::I32(n)]).unwrap();
        assert_eq!(stale, [wrun::Val::I32(0)], "every load saw fresh data");
    };
    cycles(1_000);
    let after_warm_up = rss_kib();
    cycles(9_000);
    let grown = rss_kib().saturating_sub(after_warm_up);
    eprintln!("stress: resident {after_warm_up} KiB after 1,000 dlopen/dlclose cycles, +{grown} KiB after 9,000 more");
    assert!(
        grown < 512,
        "resident memory grew by {grown} KiB over 9,000 dlopen/dlclose cycles"
    );
}

/// 50 `wrun` OS processes at once, each growing its memory to 3 GiB
/// (49,152 pages) and writing one byte in every MiB of it, then checking
/// what it wrote: 150 GiB of guest memory reserved together without the
/// host refusing or killing any of them (only the touched pages, about
/// 12 MiB a process, are resident).
#[test]
fn fifty_processes_grow_memory_to_three_gib_at_once() {
    let dir = std::env::temp_dir().join(format!("wrun-grow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let module = dir.join("grow.wasm");
    std::fs::write(
        &module,
        wat(r#"(module
          (memory 1)
          ;; grows to 3 GiB, stores i*7 at every MiB, sums the bytes back
          (func (export "run") (result i64)
            (local $i i32) (local $sum i64)
            (if (i32.eq (memory.grow (i32.const 49151)) (i32.const -1)) (then (unreachable)))
            (block $done (loop $again
              (br_if $done (i32.ge_u (local.get $i) (i32.const 3072)))
              (i32.store8 (i32.shl (local.get $i) (i32.const 20)) (i32.mul (local.get $i) (i32.const 7)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $again)))
            (local.set $i (i32.const 0))
            (block $done (loop $again
              (br_if $done (i32.ge_u (local.get $i) (i32.const 3072)))
              (local.set $sum (i64.add (local.get $sum)
                (i64.load8_u (i32.shl (local.get $i) (i32.const 20)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $again)))
            (i64.add (local.get $sum) (i64.extend_i32_u (memory.size)))))"#),
    )
    .unwrap();
    let children: Vec<_> = (0..50)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_wrun"))
                .args(["--no-cache", "--invoke", "run"])
                .arg(&module)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("wrun starts")
        })
        .collect();
    // Bytes (i*7 mod 256) summed over 3072 MiB, plus the 49,152 pages.
    let want: u64 = (0..3072u64).map(|i| (i * 7) % 256).sum::<u64>() + 49_152;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            want.to_string()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
