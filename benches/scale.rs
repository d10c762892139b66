//! How load costs grow with the number of libraries and with code size, on
//! programs that `benches/scale/gen.py` generates (and builds with clang-19
//! into `target/scale` the first time; without clang the bench says so and
//! measures nothing).
//!
//! ```text
//! cargo bench --bench scale -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! - `scale/nth_process/libs-N`: one more process (`Process::new` +
//!   `load_main` + drop) of a PIE main with N libraries (N = 1 … 1000; 8
//!   functions, 1 KiB of data and 8 exports each, library i calling i-1),
//!   from an engine that compiled them: link, bind N*8 symbols,
//!   instantiate, relocate, run constructors. Throughput: libraries.
//! - `scale/compile/code-K`: `Module::new` with the module cache off of a
//!   library with about K KiB of code; throughput: bytes of its wasm file.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::path::{Path, PathBuf};
use std::process::Command;
use wrun::wasi::WasiCtx;
use wrun::{Config, Engine, Module, Process, ProcessConfig};

fn programs() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("target/scale");
    if out.join("code-4096/main.wasm").exists() {
        return Some(out);
    }
    let built = Command::new("python3")
        .arg(root.join("benches/scale/gen.py"))
        .arg(&out)
        .status();
    match built {
        Ok(s) if s.success() => Some(out),
        other => {
            eprintln!(
                "scale: cannot generate the programs ({other:?}); needs clang-19 and wasm-ld-19"
            );
            None
        }
    }
}

fn load(engine: &Engine, dir: &Path) {
    let quiet = WasiCtx::builder().inherit_stdio(false).build();
    let mut process = Process::new(engine, ProcessConfig::new().lib_path(dir).wasi(quiet)).unwrap();
    process.load_main(dir.join("main.wasm")).unwrap();
}

fn scale(c: &mut Criterion) {
    let Some(out) = programs() else { return };
    let mut group = c.benchmark_group("scale/nth_process");
    group.sample_size(10);
    let engine = Engine::default();
    for n in [1u64, 10, 100, 1000] {
        let dir = out.join(format!("libs-{n}"));
        load(&engine, &dir);
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::new("libs", n), &dir, |b, dir| {
            b.iter(|| load(&engine, dir))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("scale/compile");
    group.sample_size(10);
    let uncached = Engine::new(Config::new().cache_modules(false)).unwrap();
    for k in [16u64, 128, 1024, 4096] {
        let bytes = std::fs::read(out.join(format!("code-{k}/libcode.wasm"))).unwrap();
        let code = Module::new(&uncached, &bytes).unwrap().code_size();
        eprintln!(
            "code-{k}: {} bytes of wasm, {code} bytes of machine code",
            bytes.len()
        );
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("code", k), &bytes, |b, bytes| {
            b.iter_with_large_drop(|| Module::new(&uncached, bytes).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
