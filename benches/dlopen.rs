//! Run-time linking on a live process: `dlopen` + `dlclose` of a library
//! whose module is already compiled (the Engine keeps it while the
//! process's object slot does), and `dlsym` of a function and of data.
//!
//! ```text
//! cargo bench --bench dlopen -- --warm-up-time 1 --measurement-time 3
//! bash benches/compare_dlopen.sh     # the same beside glibc, in one run
//! ```
//!
//! The library is `wasm-fixtures/dylink/dlopen/libplugin.wasm`: data, .bss,
//! a constructor and a destructor (registered with `__cxa_atexit`), so a
//! cycle includes relocating, zeroing and running guest initialisers. Its
//! native twin is `benches/native/plugin.c`.

mod common;

use common::fixture;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use wrun::link::dlopen::flags::RTLD_NOW;
use wrun::link::SymbolKind;
use wrun::wasi::WasiCtx;
use wrun::{Engine, Process, ProcessConfig};

fn process() -> Process {
    let dir = fixture("dylink/dlopen");
    let quiet = WasiCtx::builder().inherit_stdio(false).build();
    let config = ProcessConfig::new().lib_path(&dir).wasi(quiet);
    let mut process = Process::new(&Engine::default(), config).expect("process");
    process
        .load_main(dir.join("main.wasm"))
        .expect("main loads");
    process
}

fn dlopen(c: &mut Criterion) {
    let mut group = c.benchmark_group("dlopen");
    let mut p = process();
    // First load compiles; the measured loads reuse the compiled module.
    let h = p.dlopen("libplugin.wasm", RTLD_NOW).expect("opens");
    p.dlclose(h).expect("closes");
    group.bench_function("dlopen+dlclose/compiled", |b| {
        b.iter(|| {
            let h = p.dlopen(black_box("libplugin.wasm"), RTLD_NOW).unwrap();
            p.dlclose(h).unwrap();
        })
    });
    let h = p.dlopen("libplugin.wasm", RTLD_NOW).expect("opens");
    group.bench_function("dlsym/func", |b| {
        b.iter(|| {
            p.dlsym(Some(h), SymbolKind::Func, black_box("plugin_add"))
                .unwrap()
        })
    });
    group.bench_function("dlsym/data", |b| {
        b.iter(|| {
            p.dlsym(Some(h), SymbolKind::Data, black_box("plugin_seed"))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, dlopen);
criterion_main!(benches);
