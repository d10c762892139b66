//! The embedding API: host data in the store, typed calls in both
//! directions, linker-defined host functions, memory access, and processes
//! configured from the host (bytes, captured output, optional WASI).

use crate::wat;
use std::path::PathBuf;
use wrun::wasi::{OutputBuffer, WasiCtx};
use wrun::{Caller, Engine, ErrorKind, Instance, Linker, Module, Process, ProcessConfig, Store};

fn example_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("wasm-fixtures/example")
}

/// Counts host calls in the store's data and lets wasm call back into the host.
const COUNTER: &str = r#"(module
    (import "host" "tick" (func $tick (param i32) (result i32)))
    (memory (export "memory") 1)
    (func (export "run") (param i32) (result i32)
        (call $tick (local.get 0)))
    (func (export "add3") (param i32 i64 f64) (result f64)
        (f64.add (f64.convert_i32_s (local.get 0))
                 (f64.add (f64.convert_i64_s (local.get 1)) (local.get 2))))
    (func (export "store_byte") (param i32 i32)
        (i32.store8 (local.get 0) (local.get 1))))"#;

/// An instance of COUNTER whose `host.tick` returns its argument.
fn counter_with_identity_tick() -> (Store<()>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat(COUNTER)).unwrap();
    let mut linker = Linker::new();
    linker.func_wrap("host", "tick", |x: i32| x).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance)
}

struct Counter {
    calls: u32,
    last: i32,
}

#[test]
fn host_functions_reach_the_store_data() {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat(COUNTER)).unwrap();
    let mut linker = Linker::new();
    linker
        .func_wrap("host", "tick", |mut caller: Caller<'_, Counter>, x: i32| {
            let data = caller.data_mut();
            data.calls += 1;
            data.last = x;
            x * 2
        })
        .unwrap();
    // One linker, two stores: each store gets its own copy of the function
    // and its own data.
    for round in 1..=2 {
        let mut store = Store::new(&engine, Counter { calls: 0, last: 0 });
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
        for i in 0..round {
            assert_eq!(run.call(&mut store, 20 + i).unwrap(), 2 * (20 + i));
        }
        assert_eq!(store.data().calls, round as u32);
        assert_eq!(store.into_data().last, 20 + round - 1);
    }
}

#[test]
fn typed_calls_check_types_once() {
    let (mut store, instance) = counter_with_identity_tick();
    let add3 = instance
        .get_typed_func::<(i32, i64, f64), f64>(&store, "add3")
        .unwrap();
    assert_eq!(add3.call(&mut store, (1, 2, 0.5)).unwrap(), 3.5);
    let wrong = instance.get_typed_func::<i32, i32>(&store, "add3");
    let message = wrong.err().expect("a type mismatch").to_string();
    assert!(message.contains("type mismatch"), "{message}");
    assert!(instance
        .get_typed_func::<(), ()>(&store, "missing")
        .is_err());
}

#[test]
fn host_errors_from_typed_host_functions_become_errors() {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat(COUNTER)).unwrap();
    let mut linker = Linker::new();
    linker
        .func_wrap("host", "tick", |x: i32| -> wrun::Result<i32> {
            if x < 0 {
                Err(wrun::Error::msg("negative tick"))
            } else {
                Ok(x)
            }
        })
        .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 5).unwrap(), 5);
    let error = run.call(&mut store, -1).unwrap_err();
    assert!(error.to_string().contains("negative tick"), "{error}");
    assert_eq!(
        run.call(&mut store, 6).unwrap(),
        6,
        "usable after the error"
    );
}

#[test]
fn host_functions_call_back_into_wasm_through_the_caller() {
    let engine = Engine::default();
    // `outer` calls the host, which calls `inner` through its Caller.
    let module = Module::new(
        &engine,
        &wat(r#"(module
            (import "host" "reenter" (func $reenter (param i32) (result i32)))
            (func (export "inner") (param i32) (result i32)
                (i32.mul (local.get 0) (i32.const 10)))
            (func (export "outer") (param i32) (result i32)
                (i32.add (call $reenter (local.get 0)) (i32.const 1))))"#),
    )
    .unwrap();
    let mut linker: Linker<Option<Instance>> = Linker::new();
    linker
        .func_wrap(
            "host",
            "reenter",
            |mut caller: Caller<'_, Option<Instance>>, x: i32| -> wrun::Result<i32> {
                let instance = caller.data().expect("instance recorded");
                let inner = instance.get_typed_func::<i32, i32>(&caller, "inner")?;
                inner.call(&mut caller, x)
            },
        )
        .unwrap();
    let mut store = Store::new(&engine, None);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    *store.data_mut() = Some(instance);
    let outer = instance
        .get_typed_func::<i32, i32>(&store, "outer")
        .unwrap();
    assert_eq!(outer.call(&mut store, 4).unwrap(), 41);
}

#[test]
fn memory_read_and_write_are_bounds_checked() {
    let (mut store, instance) = counter_with_identity_tick();
    let memory = instance.get_memory(&store, "memory").unwrap();
    assert_eq!(memory.data_size(&store), 65536);
    memory.write(&mut store, 100, b"hello").unwrap();
    let store_byte = instance
        .get_typed_func::<(i32, i32), ()>(&store, "store_byte")
        .unwrap();
    store_byte.call(&mut store, (100, i32::from(b'j'))).unwrap();
    let mut buf = [0u8; 5];
    memory.read(&store, 100, &mut buf).unwrap();
    assert_eq!(&buf, b"jello");
    assert!(memory.read(&store, 65534, &mut buf).is_err());
    assert!(memory.write(&mut store, usize::MAX, b"x").is_err());
    assert_eq!(
        &memory.data(&store)[100..105],
        b"jello",
        "failed writes left nothing"
    );
}

fn captured_process(stdout: &OutputBuffer) -> Process {
    let wasi = WasiCtx::builder()
        .args(vec!["main.wasm".into(), "embedder".into()])
        .stdout(stdout.clone())
        .build();
    let config = ProcessConfig::new().lib_path(example_dir()).wasi(wasi);
    Process::new(&Engine::default(), config).unwrap()
}

#[test]
fn a_process_loads_its_main_from_bytes_and_captures_output() {
    let stdout = OutputBuffer::new();
    let mut process = captured_process(&stdout);
    let bytes = std::fs::read(example_dir().join("main.wasm")).unwrap();
    process.load_main_bytes("main.wasm", &bytes).unwrap();
    assert_eq!(process.run_start().unwrap(), 0);
    let text = String::from_utf8(stdout.contents()).unwrap();
    assert!(text.contains("Hello, embedder!"), "{text}");
    assert!(text.ends_with("=== bye ===\n"), "{text}");
}

#[test]
fn a_process_without_wasi_refuses_a_guest_that_imports_it() {
    let config = ProcessConfig::new().lib_path(example_dir()).without_wasi();
    let mut process = Process::new(&Engine::default(), config).unwrap();
    let error = process
        .load_main(example_dir().join("main.wasm"))
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::Link { symbol, .. } if symbol.starts_with("wasi_snapshot_preview1.")),
        "{error}"
    );
    assert_eq!(error.exit_status(), 1);
}

#[test]
fn process_host_functions_reach_the_embedder_state() {
    let module = wat(r#"(module
        (import "host" "log" (func $log (param i32)))
        (func (export "_start") (call $log (i32.const 7)) (call $log (i32.const 9))))"#);
    let config = ProcessConfig::new().without_wasi();
    let mut process = Process::with_data(&Engine::default(), config, Vec::<i32>::new()).unwrap();
    process
        .func_wrap(
            "host",
            "log",
            |mut caller: Caller<'_, wrun::ProcessData<Vec<i32>>>, x: i32| {
                caller.data_mut().host_mut().push(x);
            },
        )
        .unwrap();
    process.load_main_bytes("plain.wasm", &module).unwrap();
    assert_eq!(process.run_start().unwrap(), 0);
    assert_eq!(process.data(), &[7, 9]);
}

#[test]
fn exit_status_is_shared_with_the_cli() {
    let trap: wrun::Error = wrun::Trap::Unreachable.into();
    assert_eq!(trap.exit_status(), wrun::TRAP_EXIT_STATUS);
    assert_eq!(wrun::Error::new(ErrorKind::Exit(3)).exit_status(), 3);
    assert_eq!(wrun::Error::msg("link").exit_status(), 1);
    assert_eq!(
        wrun::link::exit_status_of(Err(wrun::Error::new(ErrorKind::Exit(7)))).unwrap(),
        7
    );
}

#[test]
fn captured_and_null_stdio_are_not_terminals() {
    let module = std::fs::read(example_dir().join("../wat/isatty.wasm")).unwrap();
    let wasi = WasiCtx::builder()
        .inherit_stdio(false)
        .stdout(OutputBuffer::new())
        .build();
    let mut process = Process::new(&Engine::default(), ProcessConfig::new().wasi(wasi)).unwrap();
    process.load_main_bytes("isatty.wasm", &module).unwrap();
    assert_eq!(
        process.run_start().unwrap(),
        0,
        "bit mask of fds that look like terminals"
    );
}

#[test]
fn a_trap_backtrace_names_functions_from_the_name_section() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        &wat(r#"(module $traps
            (func $inner unreachable)
            (func $outer (export "run") call $inner)
            (func (export "unnamed_is_numbered") unreachable))"#),
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let error = crate::call(&mut store, instance, "run", &[]).unwrap_err();
    let text = error.to_string();
    let inner = text.find("traps!inner").expect(&text);
    let outer = text.find("traps!outer").expect(&text);
    assert!(inner < outer, "innermost frame first: {text}");
    let error = crate::call(&mut store, instance, "unnamed_is_numbered", &[]).unwrap_err();
    assert!(
        error.to_string().contains("traps!<wasm function 2>"),
        "{error}"
    );
}
