//! What a call costs inside one module, across modules through an import
//! (a call into a shared library), and through a function pointer made by
//! another library (`call_indirect` on the shared table), in one group:
//!
//! ```text
//! cargo bench --bench calls -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Each sample is one host call of `loop_N(n)`, which calls a tiny `inc`
//! 1,000 times the given way; `Throughput::Elements(1000)` makes criterion
//! report calls per second, and the time per call is the sample / 1,000.
//!
//! The group `calls_without_exceptions` is the same with
//! `Config::wasm_exceptions(false)`: calls that may throw (imports,
//! `call_indirect`) then carry no pending-exception check, so the two
//! groups side by side are what exception handling costs a call.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use wrun::{Config, Engine, Instance, Linker, Module, Store};

const CALLS: i32 = 1000;

fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut module = wast::parser::parse::<wast::Wat<'_>>(&buf).expect("parse");
    module.encode().expect("encode")
}

fn calls(c: &mut Criterion) {
    calls_with(c, "calls", Config::new());
    calls_with(
        c,
        "calls_without_exceptions",
        Config::new().wasm_exceptions(false),
    );
}

fn calls_with(c: &mut Criterion, group_name: &str, config: Config) {
    let engine = Engine::new(config).unwrap();
    // The "library": `inc`, exported, and placed in the shared table.
    let lib = wat(r#"(module
      (table (export "table") 1 funcref)
      (func $inc (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (elem (i32.const 0) func $inc))"#);
    // The "main": the same loop three ways.
    let main = wat(r#"(module
      (import "lib" "inc" (func $imported (param i32) (result i32)))
      (import "lib" "table" (table 1 funcref))
      (type $t (func (param i32) (result i32)))
      (func $local (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (export "loop_local") (param $n i32) (result i32) (local $x i32)
        (loop $l (local.set $x (call $local (local.get $x)))
          (br_if $l (i32.lt_s (local.get $x) (local.get $n)))) (local.get $x))
      (func (export "loop_import") (param $n i32) (result i32) (local $x i32)
        (loop $l (local.set $x (call $imported (local.get $x)))
          (br_if $l (i32.lt_s (local.get $x) (local.get $n)))) (local.get $x))
      (func (export "loop_indirect") (param $n i32) (result i32) (local $x i32)
        (loop $l (local.set $x (call_indirect (type $t) (local.get $x) (i32.const 0)))
          (br_if $l (i32.lt_s (local.get $x) (local.get $n)))) (local.get $x)))"#);
    let mut store = Store::new(&engine, ());
    let lib = Instance::new(&mut store, &Module::new(&engine, &lib).unwrap(), &[]).unwrap();
    let mut linker = Linker::new();
    linker.instance(&store, "lib", lib);
    let main = linker
        .instantiate(&mut store, &Module::new(&engine, &main).unwrap())
        .unwrap();
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(CALLS as u64));
    for (name, export) in [
        ("inside_module", "loop_local"),
        ("across_modules_import", "loop_import"),
        ("call_indirect_other_library", "loop_indirect"),
    ] {
        let f = main.get_typed_func::<i32, i32>(&store, export).unwrap();
        assert_eq!(f.call(&mut store, CALLS).unwrap(), CALLS);
        group.bench_function(name, |b| {
            b.iter(|| f.call(&mut store, black_box(CALLS)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, calls);
criterion_main!(benches);
