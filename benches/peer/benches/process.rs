//! One more process of a program whose code is already compiled, wrun
//! against wasmtime, in one criterion group (`process`):
//!
//! ```text
//! cd benches/peer && cargo bench --bench process -- --warm-up-time 1 --measurement-time 5
//! ```
//!
//! - `process/nth_main+1side`: wrun, `wasm-fixtures/seed` split in two: the
//!   PIE main and `libcounter.wasm`, found through NEEDED, linked once into
//!   a `ProcessPre` (the kept link plan) outside the measurement. A sample
//!   is `ProcessPre::instantiate` (memory, table, stack pointer, host
//!   functions, GOT cells, both vmctxs, data, relocations, constructors)
//!   into a fresh process holding a WASI context, + drop.
//! - `process/nth_main+1side/load_main`: the same, through `Process::new` +
//!   `load_main` (search, stat, bind and lay out again in every process).
//! - `process/wasmtime_instance_pre`: wasmtime, the static twin
//!   `seed/static.wasm` (main + library + helper linked into one module),
//!   `InstancePre::instantiate` into a fresh `Store` holding a WASI preview 1
//!   context (`WasiCtxBuilder::build_p1`), + drop. The `InstancePre` (import
//!   resolution) is made once, outside the measurement.
//!
//! Neither runs `_start`. Both have WASI in the store; stdio is not
//! inherited on either side.

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::PathBuf;

fn seed_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../wasm-fixtures/seed")
}

fn quiet_wasi() -> wrun::wasi::WasiCtx {
    wrun::wasi::WasiCtx::builder().inherit_stdio(false).build()
}

fn wrun_process(engine: &wrun::Engine) {
    let dir = seed_dir();
    let config = wrun::ProcessConfig::new().lib_path(&dir).wasi(quiet_wasi());
    let mut process = wrun::Process::new(engine, config).expect("process");
    process.load_main(dir.join("main.wasm")).expect("loads");
}

fn process(c: &mut Criterion) {
    let mut group = c.benchmark_group("process");

    let engine = wrun::Engine::default();
    let main = seed_dir().join("main.wasm");
    let pre = wrun::ProcessPre::new(&engine, wrun::ProcessConfig::new(), main).expect("links");
    group.bench_function("nth_main+1side", |b| {
        b.iter(|| pre.instantiate(Some(quiet_wasi())).expect("instantiates"))
    });
    group.bench_function("nth_main+1side/load_main", |b| b.iter(|| wrun_process(&engine)));

    let engine = wasmtime::Engine::default();
    let bytes = std::fs::read(seed_dir().join("static.wasm")).expect("static twin");
    let module = wasmtime::Module::new(&engine, bytes).expect("compiles");
    let mut linker: wasmtime::Linker<wasmtime_wasi::p1::WasiP1Ctx> = wasmtime::Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |ctx| ctx).expect("wasi");
    let pre = linker.instantiate_pre(&module).expect("imports resolve");
    group.bench_function("wasmtime_instance_pre", |b| {
        b.iter(|| {
            let wasi = wasmtime_wasi::WasiCtxBuilder::new().build_p1();
            let mut store = wasmtime::Store::new(&engine, wasi);
            pre.instantiate(&mut store).expect("instantiates");
        })
    });
    group.finish();
}

criterion_group!(benches, process);
criterion_main!(benches);
