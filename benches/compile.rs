//! Compilation, instantiation and first-call benchmarks.
//!
//! ```text
//! cargo bench --bench compile -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Groups:
//! - `validate`: `Module::validate` (wasmparser validation and wrun's parse
//!   of the module's sections, no code generation) of `compile-bench.wasm`,
//!   per byte of code section, the first step of every `Module::new`.
//! - `compile`: `Module::new` (validate + parse + translate + Cranelift +
//!   layout + mapping) of `compile-bench.wasm` with the module cache off,
//!   on every core (`compile-bench`) and on one thread
//!   (`compile-bench-1thread`, and `compile-bench-1thread-no-exceptions`
//!   with exception handling off). Throughput is bytes of *code section* per second, so it can be
//!   compared with other engines' "wasm bytes compiled per second". The five
//!   kernels are compiled too, for small-module latency. Dropping the module
//!   (freeing the JIT memory) is not timed.
//! - `instantiate`: a fresh `Store` plus `Linker::instantiate` of an
//!   already-compiled module (memory reservation, data segments, vmctx);
//!   dropping the store is not timed, except in `compile-bench-and-drop`.
//! - `first_call`: the first `Func::call` on a fresh instance, instantiation
//!   excluded; `hot_call` is the same call repeated on one instance, for
//!   comparison. `first_call/add-fresh-engine` uses a brand-new engine each
//!   time, so it includes compiling the entry trampoline for the signature.

mod common;

use common::{code_section_size, read_fixture, KERNELS};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;
use wrun::{Config, Engine, Linker, Module, Store, Val};

/// An engine whose `Module::new` always compiles (no reuse of earlier results).
fn uncached_engine() -> Engine {
    Engine::new(Config::new().cache_modules(false)).expect("host supported")
}

/// The same, compiling on one thread.
fn uncached_serial_engine() -> Engine {
    Engine::new(
        Config::new()
            .cache_modules(false)
            .parallel_compilation(false),
    )
    .expect("host supported")
}

fn compile(c: &mut Criterion) {
    let engine = uncached_engine();
    let bytes = read_fixture("compile-bench/compile-bench.wasm");
    let code_bytes = code_section_size(&bytes);
    // Sanity: the module cache really is off, and the module compiles.
    let a = Module::new(&engine, &bytes).expect("compile-bench compiles");
    let b = Module::new(&engine, &bytes).expect("compile-bench compiles");
    assert!(!Module::same(&a, &b), "module cache is still on");
    eprintln!(
        "compile-bench.wasm: {} bytes, code section {} bytes, {} bytes of machine code",
        bytes.len(),
        code_bytes,
        a.code_size()
    );
    drop((a, b));

    let mut group = c.benchmark_group("validate");
    group.throughput(Throughput::Bytes(code_bytes));
    group.bench_function("compile-bench", |bench| {
        bench.iter(|| Module::validate(&engine, black_box(&bytes)).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(code_bytes));
    group.bench_function("compile-bench", |bench| {
        bench.iter_with_large_drop(|| Module::new(&engine, black_box(&bytes)).unwrap())
    });
    let serial = uncached_serial_engine();
    group.bench_function("compile-bench-1thread", |bench| {
        bench.iter_with_large_drop(|| Module::new(&serial, black_box(&bytes)).unwrap())
    });
    // What exception handling adds to compiling (the may-throw analysis
    // and the checks after calls that may throw).
    let serial_no_eh = Engine::new(
        Config::new()
            .cache_modules(false)
            .parallel_compilation(false)
            .wasm_exceptions(false),
    )
    .expect("host supported");
    group.bench_function("compile-bench-1thread-no-exceptions", |bench| {
        bench.iter_with_large_drop(|| Module::new(&serial_no_eh, black_box(&bytes)).unwrap())
    });
    for (kernel, _) in KERNELS {
        let bytes = read_fixture(&format!("kernels/{kernel}.wasm"));
        group.throughput(Throughput::Bytes(code_section_size(&bytes)));
        group.bench_function(*kernel, |bench| {
            bench.iter_with_large_drop(|| Module::new(&engine, black_box(&bytes)).unwrap())
        });
    }
    group.finish();
}

/// (name, fixture, export, params, number of results). Both calls are
/// trivial (`add(17, 25)`, `cb_isdigit('7')`), so the time is call overhead.
const CALLS: &[(&str, &str, &str, &[Val], usize)] = &[
    (
        "add",
        "wat/add.wasm",
        "add",
        &[Val::I32(17), Val::I32(25)],
        1,
    ),
    (
        "compile-bench",
        "compile-bench/compile-bench.wasm",
        "cb_isdigit",
        &[Val::I32(b'7' as i32)],
        1,
    ),
];

fn instantiate(c: &mut Criterion) {
    let engine = Engine::default();
    let mut group = c.benchmark_group("instantiate");
    group.measurement_time(Duration::from_secs(3));
    for (name, path, ..) in CALLS {
        let module = Module::new(&engine, &read_fixture(path)).unwrap();
        group.bench_function(*name, |bench| {
            bench.iter_with_large_drop(|| {
                let mut store = Store::new(&engine, ());
                let instance = Linker::new().instantiate(&mut store, &module).unwrap();
                (store, instance)
            })
        });
    }
    // The same, with the store's teardown (unmapping the memory reservation) timed too.
    let module = Module::new(&engine, &read_fixture("compile-bench/compile-bench.wasm")).unwrap();
    group.bench_function("compile-bench-and-drop", |bench| {
        bench.iter(|| {
            let mut store = Store::new(&engine, ());
            let instance = Linker::new().instantiate(&mut store, &module).unwrap();
            black_box(instance);
        })
    });
    group.finish();
}

fn first_call(c: &mut Criterion) {
    let engine = Engine::default();
    let mut group = c.benchmark_group("first_call");
    for (name, path, export, params, num_results) in CALLS {
        let module = Module::new(&engine, &read_fixture(path)).unwrap();
        // First call on a fresh instance (the engine has seen the signature).
        group.bench_function(*name, |bench| {
            bench.iter_batched(
                || {
                    let mut store = Store::new(&engine, ());
                    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
                    let func = instance.get_func(&store, export).unwrap();
                    (store, func, vec![Val::I32(0); *num_results])
                },
                |(mut store, func, mut results)| {
                    func.call(&mut store, black_box(params), &mut results)
                        .unwrap();
                    (store, results)
                },
                BatchSize::PerIteration,
            )
        });
        // The same call, again and again on one instance.
        let mut store = Store::new(&engine, ());
        let instance = Linker::new().instantiate(&mut store, &module).unwrap();
        let func = instance.get_func(&store, export).unwrap();
        let mut results = vec![Val::I32(0); *num_results];
        group.bench_function(format!("{name}-hot_call"), |bench| {
            bench.iter(|| {
                func.call(&mut store, black_box(params), &mut results)
                    .unwrap();
            })
        });
    }
    // First call with a brand-new engine: includes the entry trampoline.
    let bytes = read_fixture("wat/add.wasm");
    group.bench_function("add-fresh-engine", |bench| {
        bench.iter_batched(
            || {
                let engine = Engine::default();
                let module = Module::new(&engine, &bytes).unwrap();
                let mut store = Store::new(&engine, ());
                let instance = Linker::new().instantiate(&mut store, &module).unwrap();
                let func = instance.get_func(&store, "add").unwrap();
                (engine, module, store, func)
            },
            |(engine, module, mut store, func)| {
                let mut results = [Val::I32(0)];
                func.call(&mut store, &[Val::I32(17), Val::I32(25)], &mut results)
                    .unwrap();
                (engine, module, store, results)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, compile, instantiate, first_call);
criterion_main!(benches);
