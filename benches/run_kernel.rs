//! Times `run(n)` of one kernel through the wrun API, for
//! `benches/compare_kernels.py` (harness = false, no criterion).
//!
//! ```text
//! cargo bench --no-run --bench run_kernel       # build; cargo prints the executable path
//! target/release/deps/run_kernel-HASH [--reps R] [--warm] [--epoch] KERNEL.wasm N
//! ```
//!
//! The module is compiled once (module cache irrelevant: one load). Then, for
//! each of the R repetitions (default 5):
//! - default ("fresh") mode: a new `Store` and instance are created (not
//!   timed) and only the first `run(n)` call on it is timed, so the time
//!   includes the kernel's own `memory.grow` and first touch of its pages,
//!   exactly as in a one-shot `wrun --invoke run` process;
//! - `--warm`: one instance, one untimed call first, then R timed calls that
//!   reuse the already grown and touched memory.
//!
//! `--epoch` compiles the epoch checks in (as `wrun --timeout` does) and gives
//! each store a deadline that is never reached: what interruptibility costs.
//!
//! Output is one JSON object on stdout:
//! `{"kernel": ..., "n": ..., "mode": ..., "compile_ms": ..., "results": [...], "run_ms": [...]}`.
//!
//! Run with no kernel (which is what a plain `cargo bench` does), it runs
//! every kernel at its README small-check n and checks the checksums.

mod common;

use common::{fixture, small_check, KERNELS};
use std::time::Instant;
use wrun::{Engine, Func, Linker, Module, Store, Val};

fn call_run(store: &mut Store<()>, run: Func, n: i32) -> i64 {
    let mut results = [Val::I64(0)];
    if let Err(e) = run.call(store, &[Val::I32(n)], &mut results) {
        eprintln!("run({n}) failed: {e}");
        std::process::exit(1);
    }
    results[0].i64().expect("run returns an i64")
}

fn instantiate(engine: &Engine, module: &Module) -> (Store<()>, Func) {
    let mut store = Store::new(engine, ());
    store.set_epoch_deadline(u64::MAX / 2);
    let instance = Linker::new()
        .instantiate(&mut store, module)
        .unwrap_or_else(|e| panic!("instantiation failed: {e}"));
    let run = instance
        .get_func(&store, "run")
        .expect("the kernel exports run");
    (store, run)
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

fn usage() -> ! {
    eprintln!("usage: run_kernel [--reps R] [--warm] [--epoch] KERNEL.wasm N");
    std::process::exit(2);
}

fn smoke() {
    let engine = Engine::default();
    for (kernel, _) in KERNELS {
        let module = Module::from_file(&engine, fixture(&format!("kernels/{kernel}.wasm")))
            .unwrap_or_else(|e| panic!("{kernel}: {e}"));
        let (mut store, run) = instantiate(&engine, &module);
        let (n, expected) = small_check(kernel);
        let start = Instant::now();
        let got = call_run(&mut store, run, n);
        let t = ms(start);
        let status = if got == expected { "ok" } else { "MISMATCH" };
        println!("run_kernel smoke: {kernel}.wasm run({n}) = {got} [{status}] in {t:.3} ms");
        assert_eq!(got, expected, "{kernel} checksum");
    }
}

fn main() {
    let mut reps = 5usize;
    let mut warm = false;
    let mut epoch = false;
    let mut positional = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--reps" => {
                reps = args
                    .next()
                    .and_then(|r| r.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--warm" => warm = true,
            "--epoch" => epoch = true,
            // What `cargo bench` passes to harness = false targets.
            "--bench" => {}
            "-h" | "--help" => usage(),
            _ if arg.starts_with("--") => {}
            _ => positional.push(arg),
        }
    }
    let (path, n) = match positional.as_slice() {
        [] => return smoke(),
        [path, n] => (path.clone(), n.parse::<i32>().unwrap_or_else(|_| usage())),
        // `cargo bench FILTER` passes a filter; ignore it and smoke-test.
        [_] => return smoke(),
        _ => usage(),
    };

    let engine = Engine::new(wrun::Config::new().epoch_interruption(epoch)).unwrap_or_else(|e| {
        eprintln!("engine: {e}");
        std::process::exit(1);
    });
    let start = Instant::now();
    let module = Module::from_file(&engine, &path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1);
    });
    let compile_ms = ms(start);

    let mut results = Vec::with_capacity(reps);
    let mut times = Vec::with_capacity(reps);
    if warm {
        let (mut store, run) = instantiate(&engine, &module);
        call_run(&mut store, run, n);
        for _ in 0..reps {
            let start = Instant::now();
            results.push(call_run(&mut store, run, n));
            times.push(ms(start));
        }
    } else {
        for _ in 0..reps {
            let (mut store, run) = instantiate(&engine, &module);
            let start = Instant::now();
            results.push(call_run(&mut store, run, n));
            times.push(ms(start));
            drop(store);
        }
    }
    let kernel = std::path::Path::new(&path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let list = |v: Vec<String>| v.join(", ");
    println!(
        "{{\"kernel\": \"{kernel}\", \"n\": {n}, \"mode\": \"{}\", \"compile_ms\": {compile_ms:.3}, \"results\": [{}], \"run_ms\": [{}]}}",
        if warm { "warm" } else { "fresh" },
        list(results.iter().map(|r| r.to_string()).collect()),
        list(times.iter().map(|t| format!("{t:.3}")).collect()),
    );
}
