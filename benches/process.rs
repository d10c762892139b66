//! One more process of a program whose modules the engine compiled before:
//!
//! - `nth/example/cached`: the bundled example (a PIE main and two
//!   libraries found through NEEDED); a sample is `Process::new` +
//!   `load_main` (search, stat, link, instantiate, relocate, constructors)
//!   + drop;
//! - `nth/example/uncached`: the same with the module cache off (every
//!   process compiles again);
//! - `nth_main+1side`: `wasm-fixtures/seed` (a PIE main and one library)
//!   from a kept link plan: a sample is `ProcessPre::instantiate` (memory,
//!   table, vmctxs, GOT, data, relocations, constructors) + drop, the
//!   workload `benches/peer`'s `process` group runs beside wasmtime's
//!   `InstancePre::instantiate`;
//! - `nth_main+1side/load_main`: the same program through `load_main`
//!   (no kept plan), to show what the plan saves.
//!
//! ```text
//! cargo bench --bench process -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! `_start` does not run.

mod common;

use common::fixture;
use criterion::{criterion_group, criterion_main, Criterion};
use wrun::wasi::WasiCtx;
use wrun::{Config, Engine, Process, ProcessConfig, ProcessPre};

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
    let seed = fixture("seed");
    let pre =
        ProcessPre::new(&cached, ProcessConfig::new(), seed.join("main.wasm")).expect("links");
    let quiet = || Some(WasiCtx::builder().inherit_stdio(false).build());
    group.bench_function("nth_main+1side", |b| {
        b.iter(|| pre.instantiate(quiet()).expect("instantiates"))
    });
    group.bench_function("nth_main+1side/load_main", |b| {
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
