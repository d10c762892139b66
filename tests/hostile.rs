//! Hostile inputs: absurd sizes and shapes get a clear error (or run), in
//! bounded time and memory, never a panic, an abort or a host crash.

use std::time::Instant;
use wrun::link::{Process, ProcessConfig};
use wrun::{Engine, Module};

fn quiet() -> ProcessConfig {
    ProcessConfig::new().wasi(wrun::wasi::WasiCtx::builder().inherit_stdio(false).build())
}

/// A library with `dylink.0` mem-info `memory SIZE ALIGN` and `table SIZE ALIGN`.
fn library(mem_size: u32, mem_align: u32, table_size: u32, table_align: u32) -> Vec<u8> {
    crate::wat(&format!(
        r#"(module
          (@dylink.0 (mem-info (memory {mem_size} {mem_align}) (table {table_size} {table_align})))
          (import "env" "memory" (memory 1))
          (import "env" "__memory_base" (global i32))
          (import "env" "__table_base" (global i32))
          (func (export "f")))"#
    ))
}

fn load_with_library(test: &str, lib: &[u8]) -> wrun::Result<Process> {
    let dir = std::env::temp_dir().join(format!("wrun-hostile-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let main = crate::wat(
        r#"(module
          (@dylink.0 (mem-info) (needed "libx.wasm"))
          (import "env" "memory" (memory 1))
          (import "env" "f" (func))
          (func (export "_start") (call 0)))"#,
    );
    std::fs::write(dir.join("main.wasm"), main).unwrap();
    std::fs::write(dir.join("libx.wasm"), lib).unwrap();
    let engine = Engine::default();
    let mut p = Process::new(&engine, quiet().lib_path(&dir))?;
    let loaded = p.load_main(dir.join("main.wasm"));
    let _ = std::fs::remove_dir_all(&dir);
    loaded.map(|()| p)
}

#[test]
fn absurd_dylink_sizes_are_errors() {
    for (what, lib) in [
        ("4 GiB of data", library(u32::MAX, 0, 0, 0)),
        ("alignment 2^31", library(16, 31, 0, 0)),
        ("2^32-1 table slots", library(0, 0, u32::MAX, 0)),
        ("table alignment 2^31", library(0, 0, 4, 31)),
    ] {
        let t = Instant::now();
        let outcome = load_with_library("sizes", &lib);
        let message = match outcome {
            Ok(_) => panic!("{what}: loaded"),
            Err(e) => e.to_string(),
        };
        assert!(
            !message.is_empty() && !message.contains('\n'),
            "{what}: {message}"
        );
        assert!(t.elapsed().as_secs() < 10, "{what}: took {:?}", t.elapsed());
    }
}

#[test]
fn ten_thousand_needed_entries_are_an_error_naming_the_first_missing_one() {
    let names: String = (0..10_000).map(|i| format!(" \"lib{i}.wasm\"")).collect();
    let main = crate::wat(&format!(
        r#"(module (@dylink.0 (mem-info) (needed{names})) (import "env" "memory" (memory 1)))"#
    ));
    let engine = Engine::default();
    let mut p = Process::new(&engine, quiet()).unwrap();
    let t = Instant::now();
    let error = p
        .load_main_bytes("main.wasm", &main)
        .unwrap_err()
        .to_string();
    assert!(error.contains("lib0.wasm"), "{error}");
    assert!(t.elapsed().as_secs() < 10);
}

#[test]
fn a_function_with_50000_locals_and_a_1mb_body_compile_in_bounded_time() {
    let engine = Engine::default();
    let many_locals = crate::wat(&format!(
        r#"(module (func (export "f") (result i32) (local {}) (local.set 49999 (i32.const 7)) (local.get 49999)))"#,
        "i32 ".repeat(50_000)
    ));
    let t = Instant::now();
    Module::new(&engine, &many_locals).expect("compiles");
    assert!(
        t.elapsed().as_secs() < 30,
        "50,000 locals: {:?}",
        t.elapsed()
    );

    // About 1 MB of code in one function: 200,000 `i32.const; drop` pairs.
    let body = "(drop (i32.const 123456)) ".repeat(200_000);
    let big = crate::wat(&format!(r#"(module (func (export "f") {body}))"#));
    assert!(big.len() > 1_000_000, "{}", big.len());
    let t = Instant::now();
    Module::new(&engine, &big).expect("compiles");
    assert!(t.elapsed().as_secs() < 60, "1 MB body: {:?}", t.elapsed());
}

#[test]
fn a_library_importing_a_too_small_memory_is_named_in_the_error() {
    let lib = crate::wat(
        r#"(module
          (@dylink.0 (mem-info))
          (import "env" "memory" (memory 1 1))
          (func (export "f")))"#,
    );
    let error = match load_with_library("small-memory", &lib) {
        Ok(_) => panic!("loaded"),
        Err(e) => e.to_string(),
    };
    assert!(error.contains("libx.wasm: env.memory"), "{error}");
    assert!(error.contains("maximum of 1 pages"), "{error}");
}

#[test]
fn needed_entries_that_are_paths_are_refused_unless_allowed() {
    let engine = Engine::default();
    for name in ["../evil.wasm", "/etc/passwd", "sub/lib.wasm"] {
        let main = crate::wat(&format!(
            r#"(module (@dylink.0 (mem-info) (needed "{name}")) (import "env" "memory" (memory 1)))"#
        ));
        let mut p = Process::new(&engine, quiet()).unwrap();
        let error = p
            .load_main_bytes("main.wasm", &main)
            .unwrap_err()
            .to_string();
        assert!(error.contains("is a path"), "{name}: {error}");
        // Allowed, the name is a path: a missing file is "not found".
        let mut p = Process::new(&engine, quiet().allow_dlopen_paths(true)).unwrap();
        let error = p
            .load_main_bytes("main.wasm", &main)
            .unwrap_err()
            .to_string();
        assert!(!error.contains("is a path"), "{name}: {error}");
    }
}
