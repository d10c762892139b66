//! One more process of the bundled example (a PIE main and two libraries
//! found through NEEDED) from an engine that already compiled it, against
//! the same with the module cache off (every process compiles again); and
//! `nth_main+1side`, one more process of `wasm-fixtures/seed` (a PIE main
//! and one library), the workload `benches/peer`'s `process` group runs
//! beside wasmtime's `InstancePre::instantiate`.
//!
//! ```text
//! cargo bench --bench process -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! A sample is `Process::new` + `load_main` (read, link, instantiate,
//! relocate, constructors) + drop; `_start` does not run.

mod common;

use common::fixture;
use criterion::{criterion_group, criterion_main, Criterion};
use wrun::wasi::WasiCtx;
use wrun::{Config, Engine, Process, ProcessConfig};

fn load(engine: &Engine) {
    load_program(engine, "example");
}

fn load_program(engine: &Engine, program: &str) {
    let dir = fixture(program);
    let quiet = WasiCtx::builder().inherit_stdio(false).build();
    let config = ProcessConfig::new().lib_path(&dir).wasi(quiet);
    let mut process = Process::new(engine, config).expect("process");
    process.load_main(dir.join("main.wasm")).expect("loads");
}

fn process(c: &mut Criterion) {
    let mut group = c.benchmark_group("process");
    let cached = Engine::default();
    load(&cached); // compiles once; later processes reuse the code
    group.bench_function("nth/example/cached", |b| b.iter(|| load(&cached)));
    load_program(&cached, "seed");
    group.bench_function("nth_main+1side", |b| {
        b.iter(|| load_program(&cached, "seed"))
    });
    let uncached = Engine::new(Config::new().cache_modules(false)).expect("engine");
    group.bench_function("nth/example/uncached", |b| b.iter(|| load(&uncached)));
    group.finish();
    let stats = cached.module_cache_stats();
    eprintln!(
        "module cache: {} hits, {} misses, {} entries",
        stats.hits, stats.misses, stats.entries
    );
}

criterion_group!(benches, process);
criterion_main!(benches);
