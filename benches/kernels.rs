//! Execution speed of the compute kernels in wasm-fixtures/kernels.
//!
//! ```text
//! cargo bench --bench kernels -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Each kernel is compiled and instantiated once, outside the measurement;
//! a sample is one `run(n)` call on that instance, with the n of
//! `common::KERNELS` (smaller than the README's recommended n, so a call takes
//! about 50–200 ms). The kernels reset their bump allocator on every call, so
//! after the warm-up the memory is already grown and touched: this measures
//! steady-state generated code. Before benchmarking, every kernel is checked
//! against the README's small-n checksum.

mod common;

use common::{read_fixture, small_check, KERNELS};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use wrun::{Engine, Func, Linker, Module, Store, Val};

fn call_run(store: &mut Store<()>, run: Func, n: i32) -> i64 {
    let mut results = [Val::I64(0)];
    run.call(store, &[Val::I32(n)], &mut results)
        .expect("run(n) does not trap");
    results[0].i64().expect("run returns an i64")
}

fn kernels(c: &mut Criterion) {
    let engine = Engine::default();
    let mut group = c.benchmark_group("kernels");
    group.sample_size(10);
    for (kernel, n) in KERNELS {
        let module = Module::new(&engine, &read_fixture(&format!("kernels/{kernel}.wasm")))
            .expect("kernel compiles");
        let mut store = Store::new(&engine, ());
        let instance = Linker::new()
            .instantiate(&mut store, &module)
            .expect("kernel instantiates");
        let run = instance.get_func(&store, "run").expect("exports run");
        let (check_n, expected) = small_check(kernel);
        assert_eq!(
            call_run(&mut store, run, check_n),
            expected,
            "{kernel}.wasm run({check_n}) checksum"
        );
        group.bench_function(format!("{kernel}/{n}"), |bench| {
            bench.iter(|| call_run(&mut store, run, black_box(*n)))
        });
    }
    group.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
