//! The seed question, answered with wrun: a shared library's code is
//! compiled once and shared, while every process gets its own copy of the
//! library's global variables.
//!
//! Two processes of one program (the PIE main and `libcounter.wasm` of
//! `wasm-fixtures/seed`) from one engine. Each bumps the library's global
//! `counter` by its own amount and prints its own value; then the example
//! prints how many modules the engine compiled and where the library's
//! `bump` function is in each process.
//!
//! ```text
//! cargo run --release -p wrun --example seed
//! ```

use std::path::PathBuf;
use wrun::link::dlopen::SymbolKind;
use wrun::link::Symbol;
use wrun::wasi::WasiCtx;
use wrun::{Engine, Module, Process, ProcessConfig, Val};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../wasm-fixtures/seed")
}

/// A process of the seed program, loaded and initialised (`main` not run).
fn start(engine: &Engine) -> wrun::Result<Process> {
    let dir = fixture_dir();
    let quiet = WasiCtx::builder().inherit_stdio(false).build();
    let mut process = Process::new(engine, ProcessConfig::new().lib_path(&dir).wasi(quiet))?;
    process.load_main(dir.join("main.wasm"))?;
    Ok(process)
}

/// Calls the library's `bump(by)` in `process`; returns the new counter.
fn bump(process: &mut Process, by: i32) -> wrun::Result<i32> {
    let Symbol::Func { func, .. } = process.dlsym(None, SymbolKind::Func, "bump")? else {
        unreachable!("asked for a function");
    };
    let mut result = [Val::I32(0)];
    func.call(process.store_mut(), &[Val::I32(by)], &mut result)?;
    Ok(result[0].i32().expect("bump returns an i32"))
}

/// The library's `counter`, read from `process`'s own memory.
fn counter(process: &mut Process) -> wrun::Result<i32> {
    let Symbol::Data { address } = process.dlsym(None, SymbolKind::Data, "counter")? else {
        unreachable!("asked for data");
    };
    let memory = process.memory().expect("a PIE main's process has a memory");
    let mut bytes = [0; 4];
    memory.read(process.store(), address as usize, &mut bytes)?;
    Ok(i32::from_le_bytes(bytes))
}

/// The library's module in `process`.
fn library(process: &Process) -> &Module {
    process
        .objects()
        .iter()
        .find(|o| o.name() == "libcounter.wasm")
        .expect("libcounter.wasm is loaded")
        .module()
}

/// Where `bump`'s machine code is in `process`.
fn bump_code(process: &Process) -> usize {
    library(process)
        .function_address("bump")
        .expect("bump is a defined function")
}

fn main() -> wrun::Result<()> {
    let engine = Engine::default();
    let mut a = start(&engine)?;
    let compiled_for_a = engine.module_cache_stats().compiled;
    let mut b = start(&engine)?;
    let compiled_for_b = engine.module_cache_stats().compiled - compiled_for_a;
    bump(&mut a, 1)?;
    bump(&mut b, 100)?;
    bump(&mut a, 1)?;
    println!("process A: bump(1) twice, counter = {}", counter(&mut a)?);
    println!("process B: bump(100) once, counter = {}", counter(&mut b)?);
    println!(
        "modules compiled: {compiled_for_a} for process A (main.wasm, libcounter.wasm), \
         {compiled_for_b} more for process B"
    );
    let compilations = if Module::same(library(&a), library(&b)) {
        1
    } else {
        2
    };
    println!("libcounter.wasm compile count: {compilations}");
    println!(
        "bump's machine code: A {:#x}, B {:#x}",
        bump_code(&a),
        bump_code(&b)
    );
    assert_eq!(compiled_for_b, 0, "B reuses A's compilation");
    assert_eq!(bump_code(&a), bump_code(&b), "one copy of the code");
    Ok(())
}
