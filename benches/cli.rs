//! Cold CLI runs of the bundled example (`wrun -L wasm-fixtures/example
//! wasm-fixtures/example/main.wasm`, a PIE main and two libraries, output
//! discarded): one sample is a whole OS process, spawn to exit.
//!
//! - `cli/example/cache_warm`: the disk code cache holds the three modules
//!   (one untimed run fills it), so the process maps their code;
//! - `cli/example/no_cache`: `--no-cache`, so every process compiles them.
//!
//! ```text
//! cargo build --release && cargo bench --bench cli -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! The cache lives in a directory of its own (`WRUN_CACHE_DIR`), so these
//! runs neither read nor fill the user's. `benches/compare_cli.py` runs the
//! same processes beside the wasmtime CLI and toywasm.

mod common;

use common::fixture;
use criterion::{criterion_group, criterion_main, Criterion};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The release CLI next to this bench's executable (target/release/wrun).
fn wrun() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("wrun");
    path.exists().then_some(path)
}

fn run(wrun: &Path, cache_dir: &Path, extra: &[&str]) {
    let dir = fixture("example");
    let status = Command::new(wrun)
        .env("WRUN_CACHE_DIR", cache_dir)
        .args(extra)
        .arg("-L")
        .arg(&dir)
        .arg(dir.join("main.wasm"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("wrun starts");
    assert!(status.success(), "wrun failed: {status}");
}

fn cli(c: &mut Criterion) {
    let Some(wrun) = wrun() else {
        eprintln!("cli: target/release/wrun is missing; run cargo build --release first");
        return;
    };
    let cache_dir = std::env::temp_dir().join(format!("wrun-bench-cli-{}", std::process::id()));
    let mut group = c.benchmark_group("cli/example");
    group.sample_size(20);
    run(&wrun, &cache_dir, &[]); // fill the cache
    group.bench_function("cache_warm", |b| b.iter(|| run(&wrun, &cache_dir, &[])));
    group.bench_function("no_cache", |b| {
        b.iter(|| run(&wrun, &cache_dir, &["--no-cache"]))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&cache_dir);
}

criterion_group!(benches, cli);
criterion_main!(benches);
