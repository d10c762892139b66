//! Call overhead across the host/wasm boundary, wrun against wasmtime, in
//! one criterion group (`calls`):
//!
//! ```text
//! cd benches/peer && cargo bench --bench calls -- --warm-up-time 1 --measurement-time 5
//! ```
//!
//! - `calls/host_to_wasm/{wrun,wasmtime}`: one typed call from Rust of the
//!   export `add1 : (i32) -> i32`, which returns its argument plus one. A
//!   sample is one `TypedFunc::call`; the time reported is per call.
//! - `calls/wasm_to_host/{wrun,wasmtime}`: the export `call_host(n)` loops
//!   n = 1000 times calling the imported `host.inc : (i32) -> i32`, a
//!   closure given to `Linker::func_wrap` that takes the `Caller`, bumps a
//!   counter in the store's data and returns x + 1. One typed call of
//!   `call_host(1000)` is timed with `iter_custom` and the time divided by
//!   1000, so the time reported is per wasm→host call (the one host→wasm
//!   entry and the loop's few instructions are spread over the 1000 calls).
//!   `Throughput::Elements(1)` makes criterion print host calls per second.
//!
//! Both runtimes compile the same module with their default engine
//! configuration (Cranelift for both), and each store holds a `Ctx` as its
//! data. Compilation and instantiation happen once, outside the measurement.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Host calls per `call_host` call.
const N: u32 = 1000;

const WAT: &str = r#"(module
    (import "host" "inc" (func $inc (param i32) (result i32)))
    (func (export "add1") (param i32) (result i32)
        (i32.add (local.get 0) (i32.const 1)))
    (func (export "call_host") (param $n i32) (result i32)
        (local $acc i32)
        (block $done
            (loop $top
                (br_if $done (i32.eqz (local.get $n)))
                (local.set $acc (call $inc (local.get $acc)))
                (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                (br $top)))
        (local.get $acc)))"#;

/// The store's host data, for both runtimes.
#[derive(Default)]
struct Ctx {
    host_calls: u64,
}

/// Times `iters` calls of `call_host(N)` and returns the time per host call;
/// adds `iters` to `runs`.
fn per_host_call(iters: u64, runs: &mut u64, mut call_host: impl FnMut() -> i32) -> Duration {
    *runs += iters;
    let start = Instant::now();
    for _ in 0..iters {
        assert_eq!(black_box(call_host()), N as i32);
    }
    start.elapsed() / N
}

fn calls(c: &mut Criterion) {
    let wasm = wat::parse_str(WAT).expect("WAT assembles");

    // wrun
    let w_engine = wrun::Engine::default();
    let w_module = wrun::Module::new(&w_engine, &wasm).expect("wrun compiles");
    let mut w_linker = wrun::Linker::<Ctx>::new();
    w_linker
        .func_wrap("host", "inc", |mut caller: wrun::Caller<'_, Ctx>, x: i32| {
            caller.data_mut().host_calls += 1;
            x.wrapping_add(1)
        })
        .expect("wrun defines host.inc");
    let mut w_store = wrun::Store::new(&w_engine, Ctx::default());
    let w_instance = w_linker
        .instantiate(&mut w_store, &w_module)
        .expect("wrun instantiates");
    let w_add1 = w_instance
        .get_typed_func::<i32, i32>(&w_store, "add1")
        .expect("wrun add1");
    let w_call_host = w_instance
        .get_typed_func::<i32, i32>(&w_store, "call_host")
        .expect("wrun call_host");

    // wasmtime
    let t_engine = wasmtime::Engine::default();
    let t_module = wasmtime::Module::new(&t_engine, &wasm).expect("wasmtime compiles");
    let mut t_linker = wasmtime::Linker::<Ctx>::new(&t_engine);
    t_linker
        .func_wrap("host", "inc", |mut caller: wasmtime::Caller<'_, Ctx>, x: i32| {
            caller.data_mut().host_calls += 1;
            x.wrapping_add(1)
        })
        .expect("wasmtime defines host.inc");
    let mut t_store = wasmtime::Store::new(&t_engine, Ctx::default());
    let t_instance = t_linker
        .instantiate(&mut t_store, &t_module)
        .expect("wasmtime instantiates");
    let t_add1 = t_instance
        .get_typed_func::<i32, i32>(&mut t_store, "add1")
        .expect("wasmtime add1");
    let t_call_host = t_instance
        .get_typed_func::<i32, i32>(&mut t_store, "call_host")
        .expect("wasmtime call_host");

    // Both compute the same thing before anything is timed.
    assert_eq!(w_add1.call(&mut w_store, 41).unwrap(), 42);
    assert_eq!(t_add1.call(&mut t_store, 41).unwrap(), 42);
    assert_eq!(w_call_host.call(&mut w_store, N as i32).unwrap(), N as i32);
    assert_eq!(t_call_host.call(&mut t_store, N as i32).unwrap(), N as i32);
    assert_eq!(w_store.data().host_calls, u64::from(N));
    assert_eq!(t_store.data().host_calls, u64::from(N));

    // `call_host` calls so far, each worth N host calls.
    let (mut w_runs, mut t_runs) = (1u64, 1u64);

    let mut group = c.benchmark_group("calls");
    group.throughput(Throughput::Elements(1));
    group.bench_function("host_to_wasm/wrun", |b| {
        b.iter(|| w_add1.call(&mut w_store, black_box(41)).unwrap())
    });
    group.bench_function("host_to_wasm/wasmtime", |b| {
        b.iter(|| t_add1.call(&mut t_store, black_box(41)).unwrap())
    });
    group.bench_function("wasm_to_host/wrun", |b| {
        b.iter_custom(|iters| {
            per_host_call(iters, &mut w_runs, || {
                w_call_host
                    .call(&mut w_store, black_box(N as i32))
                    .unwrap()
            })
        })
    });
    group.bench_function("wasm_to_host/wasmtime", |b| {
        b.iter_custom(|iters| {
            per_host_call(iters, &mut t_runs, || {
                t_call_host
                    .call(&mut t_store, black_box(N as i32))
                    .unwrap()
            })
        })
    });
    group.finish();

    // Every timed call_host really called the host N times.
    assert_eq!(w_store.data().host_calls, w_runs * u64::from(N));
    assert_eq!(t_store.data().host_calls, t_runs * u64::from(N));
}

criterion_group!(benches, calls);
criterion_main!(benches);
