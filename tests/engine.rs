//! Core engine: shared code, independent instances, traps as values, host
//! functions, cross-module function references, and bad input.

use crate::{call, i32_of, increment_epoch_soon, wat};
use std::path::PathBuf;
use wrun::{
    Config, Engine, ErrorKind, Func, FuncType, Instance, Linker, Module, Store, Trap, Val, ValType,
};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("wasm-fixtures")
        .join(path)
}

#[test]
fn two_instances_share_code_but_not_state() {
    let engine = Engine::default();
    let module = Module::from_file(&engine, fixture("wat/counter.wasm")).unwrap();
    let mut store = Store::new(&engine, ());
    let a = Instance::new(&mut store, &module, &[]).unwrap();
    let b = Instance::new(&mut store, &module, &[]).unwrap();

    assert_eq!(i32_of(call(&mut store, a, "inc", &[])), 1);
    assert_eq!(i32_of(call(&mut store, a, "inc", &[])), 2);
    assert_eq!(
        i32_of(call(&mut store, b, "inc", &[])),
        1,
        "globals are per instance"
    );
    assert_eq!(i32_of(call(&mut store, a, "bump_mem", &[])), 101);
    assert_eq!(i32_of(call(&mut store, a, "bump_mem", &[])), 102);
    assert_eq!(
        i32_of(call(&mut store, b, "bump_mem", &[])),
        101,
        "memories are per instance"
    );

    let fa = a.get_func(&store, "inc").unwrap();
    let fb = b.get_func(&store, "inc").unwrap();
    assert_ne!(fa, fb, "each instance has its own function reference");
    assert_eq!(
        fa.code_address(&store),
        fb.code_address(&store),
        "one copy of the code"
    );

    // A second process (store) and a second load of the same bytes share it too.
    let again = Module::from_file(&engine, fixture("wat/counter.wasm")).unwrap();
    assert!(
        Module::same(&module, &again),
        "same bytes compile once per engine"
    );
    let mut other = Store::new(&engine, ());
    let c = Instance::new(&mut other, &again, &[]).unwrap();
    let fc = c.get_func(&other, "inc").unwrap();
    assert_eq!(fc.code_address(&other), fa.code_address(&store));
    assert_eq!(i32_of(call(&mut other, c, "get", &[])), 0);
}

#[test]
fn modules_are_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Module>();
    assert_send_sync::<Engine>();
    let engine = Engine::default();
    let module = Module::from_file(&engine, fixture("wat/counter.wasm")).unwrap();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (engine, module) = (engine.clone(), module.clone());
            std::thread::spawn(move || {
                let mut store = Store::new(&engine, ());
                let inst = Instance::new(&mut store, &module, &[]).unwrap();
                (0..1000)
                    .map(|_| i32_of(call(&mut store, inst, "inc", &[])))
                    .last()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), Some(1000));
    }
}

#[test]
fn memory_grow_honours_the_maximum() {
    let engine = Engine::default();
    let module = Module::from_file(&engine, fixture("wat/counter.wasm")).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Instance::new(&mut store, &module, &[]).unwrap();
    // (memory 1 4): three more pages fit, the fourth does not.
    for expected in [1, 2, 3, -1, -1] {
        assert_eq!(i32_of(call(&mut store, inst, "grow", &[])), expected);
    }
    assert_eq!(i32_of(call(&mut store, inst, "pages", &[])), 4);
}

#[test]
fn every_trap_is_a_value_and_the_engine_keeps_working() {
    check_every_trap(&Engine::default());
}

#[test]
fn every_trap_is_recognised_in_code_mapped_from_the_disk_cache() {
    // The trap table of a mapped cache file is used where it lies.
    let dir = std::env::temp_dir().join(format!("wrun-trap-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cached = || Engine::new(Config::new().cache_dir(Some(dir.clone()))).unwrap();
    let first = cached();
    check_every_trap(&first);
    assert_eq!(first.module_cache_stats().disk_writes, 1);
    let second = cached();
    check_every_trap(&second);
    assert_eq!(second.module_cache_stats().disk_hits, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn check_every_trap(engine: &Engine) {
    let module = Module::from_file(engine, fixture("wat/trap.wasm")).unwrap();
    let mut store = Store::new(engine, ());
    let inst = Instance::new(&mut store, &module, &[]).unwrap();
    let cases: &[(&str, &[Val], Trap)] = &[
        ("unreachable", &[], Trap::Unreachable),
        ("div_zero", &[Val::I32(0)], Trap::IntegerDivisionByZero),
        ("div_overflow", &[], Trap::IntegerOverflow),
        ("oob", &[], Trap::MemoryOutOfBounds),
        ("oob_at", &[Val::I32(-4)], Trap::MemoryOutOfBounds),
        ("recurse", &[Val::I32(0)], Trap::StackOverflow),
        ("bad_indirect", &[], Trap::IndirectCallTypeMismatch),
        ("null_indirect", &[], Trap::UninitializedElement),
        ("bad_convert", &[], Trap::BadConversionToInteger),
    ];
    for (name, params, expected) in cases {
        let error = call(&mut store, inst, name, params).expect_err(name);
        assert_eq!(error.trap(), Some(*expected), "{name}: {error}");
        // The same instance still runs after every trap.
        assert_eq!(i32_of(call(&mut store, inst, "ok", &[])), 1, "after {name}");
    }
}

#[test]
fn unbounded_recursion_traps_on_a_small_thread_stack() {
    let engine = Engine::default();
    let module = Module::from_file(&engine, fixture("wat/trap.wasm")).unwrap();
    let outcome = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let mut store = Store::new(&engine, ());
            let inst = Instance::new(&mut store, &module, &[]).unwrap();
            call(&mut store, inst, "recurse", &[Val::I32(0)])
                .map(|_| ())
                .unwrap_err()
                .trap()
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(outcome, Some(Trap::StackOverflow));
}

#[test]
fn host_functions_are_called_and_their_errors_come_back() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new();
    let ty = FuncType::new([ValType::I32, ValType::I32], [ValType::I32]);
    linker
        .func_new("host", "mul", ty.clone(), |_, p, r| {
            r[0] = Val::I32(p[0].i32().unwrap() * p[1].i32().unwrap());
            Ok(())
        })
        .unwrap()
        .func_new("host", "fail", ty.clone(), |_, _, _| {
            Err(wrun::Error::msg("no thanks"))
        })
        .unwrap()
        .func_new("host", "panic", ty, |_, _, _| panic!("host bug"))
        .unwrap();
    let module = Module::new(
        &engine,
        &wat(r#"(module
            (import "host" "mul" (func $mul (param i32 i32) (result i32)))
            (import "host" "fail" (func $fail (param i32 i32) (result i32)))
            (import "host" "panic" (func $panic (param i32 i32) (result i32)))
            (func (export "square_plus_one") (param i32) (result i32)
                (i32.add (call $mul (local.get 0) (local.get 0)) (i32.const 1)))
            (func (export "fail") (result i32) (call $fail (i32.const 1) (i32.const 2)))
            (func (export "panic") (result i32) (call $panic (i32.const 1) (i32.const 2))))"#),
    )
    .unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    assert_eq!(
        i32_of(call(&mut store, inst, "square_plus_one", &[Val::I32(7)])),
        50
    );
    let error = call(&mut store, inst, "fail", &[]).unwrap_err();
    assert_eq!(error.to_string(), "no thanks");
    let error = call(&mut store, inst, "panic", &[]).unwrap_err();
    assert!(error.to_string().contains("panicked"), "{error}");
    assert_eq!(
        i32_of(call(&mut store, inst, "square_plus_one", &[Val::I32(2)])),
        5
    );
}

#[test]
fn a_funcref_from_one_module_is_callable_from_another() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let provider = Module::new(
        &engine,
        &wat(r#"(module
            (table (export "table") 2 funcref)
            (func $seven (result i32) (i32.const 7))
            (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
            (elem (i32.const 0) $seven $add))"#),
    )
    .unwrap();
    let provider = Instance::new(&mut store, &provider, &[]).unwrap();
    let mut linker = Linker::new();
    linker.instance(&store, "provider", provider);
    let user = Module::new(
        &engine,
        &wat(r#"(module
            (import "provider" "table" (table 2 funcref))
            (type $nullary (func (result i32)))
            (type $binary (func (param i32 i32) (result i32)))
            (func (export "call0") (param i32) (result i32)
                (call_indirect (type $nullary) (local.get 0)))
            (func (export "call2") (param i32) (result i32)
                (call_indirect (type $binary) (i32.const 20) (i32.const 22) (local.get 0))))"#),
    )
    .unwrap();
    let user = linker.instantiate(&mut store, &user).unwrap();
    assert_eq!(i32_of(call(&mut store, user, "call0", &[Val::I32(0)])), 7);
    assert_eq!(i32_of(call(&mut store, user, "call2", &[Val::I32(1)])), 42);
    let error = call(&mut store, user, "call0", &[Val::I32(1)]).unwrap_err();
    assert_eq!(error.trap(), Some(Trap::IndirectCallTypeMismatch));
    let error = call(&mut store, user, "call0", &[Val::I32(5)]).unwrap_err();
    assert_eq!(error.trap(), Some(Trap::UndefinedElement));
}

#[test]
fn simd_modules_run_unless_simd_is_turned_off() {
    let engine = Engine::default();
    let module = Module::from_file(&engine, fixture("wat/simd.wasm")).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new().instantiate(&mut store, &module).unwrap();
    let result = call(&mut store, instance, "sum4", &[Val::I32(40), Val::I32(2)]);
    assert_eq!(i32_of(result), 42);

    // Turned off, SIMD is a validation error (as in wasmtime), because wrun
    // implements it.
    let engine = Engine::new(Config::new().wasm_simd(false)).unwrap();
    let error = Module::from_file(&engine, fixture("wat/simd.wasm")).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Invalid { .. }), "{error}");
    assert!(error.to_string().contains("SIMD"), "{error}");
}

/// v128 values cross the host boundary both ways: as arguments and
/// results of `Func::call`, of host functions, and as global values.
#[test]
fn v128_values_reach_host_functions_calls_and_globals() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new();
    // Reverses the order of the four i32 lanes.
    let ty = FuncType::new([ValType::V128], [ValType::V128]);
    linker
        .func_new("host", "reverse", ty, |_, p, r| {
            let Val::V128(bits) = p[0] else {
                panic!("not a v128: {:?}", p[0])
            };
            let lanes: Vec<u128> = (0..4).map(|i| (bits >> (32 * i)) & 0xffff_ffff).collect();
            r[0] = Val::V128(lanes[3] | lanes[2] << 32 | lanes[1] << 64 | lanes[0] << 96);
            Ok(())
        })
        .unwrap();
    let start = wrun::Global::new(
        &mut store,
        wrun::GlobalType {
            content: ValType::V128,
            mutable: false,
        },
        Val::V128(0x0000_0004_0000_0003_0000_0002_0000_0001),
    )
    .unwrap();
    linker.define("host", "start", start);
    let module = Module::new(
        &engine,
        &wat(r#"(module
            (import "host" "reverse" (func $reverse (param v128) (result v128)))
            (import "host" "start" (global $start v128))
            (global $last (export "last") (mut v128) (v128.const i64x2 0 0))
            (func (export "add_reversed") (param v128) (result v128)
                (global.set $last
                    (i32x4.add (call $reverse (local.get 0)) (global.get $start)))
                (global.get $last)))"#),
    )
    .unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let arg = Val::V128(0x0000_0040_0000_0030_0000_0020_0000_0010);
    let result = call(&mut store, inst, "add_reversed", &[arg]).unwrap();
    let want = Val::V128(0x0000_0014_0000_0023_0000_0032_0000_0041);
    assert_eq!(result, vec![want]);
    let last = inst.get_global(&store, "last").unwrap();
    assert_eq!(last.get(&store), want);
}

#[test]
fn proposals_wrun_does_not_implement_are_unsupported_features_not_invalid() {
    let engine = Engine::default();
    let error = Module::from_file(&engine, fixture("wat/threads.wasm")).unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::Unsupported { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("unsupported feature: threads"),
        "{error}"
    );
    // A module invalid under every proposal stays a validation error.
    let bad = wat("(module (func (result i32) (i64.const 1)))");
    let error = Module::new(&engine, &bad).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Invalid { .. }), "{error}");
}

#[test]
fn truncated_and_corrupted_modules_are_errors_not_crashes() {
    let engine = Engine::default();
    let bytes = std::fs::read(fixture("compile-bench/compile-bench.wasm")).unwrap();
    let step = (bytes.len() / 200).max(1);
    for len in (0..bytes.len()).step_by(step) {
        let error = Module::new(&engine, &bytes[..len]).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::Invalid { .. }),
            "at {len}: {error}"
        );
    }
    // Flip bytes throughout the code section: every outcome must be Ok or a clean error.
    let mut corrupted = bytes.clone();
    for i in (8..corrupted.len()).step_by(1013) {
        corrupted[i] ^= 0x5a;
        let _ = Module::new(&engine, &corrupted);
        corrupted[i] ^= 0x5a;
    }
    assert!(Module::new(&engine, &bytes).is_ok());
}

#[test]
fn a_memory_declared_with_the_largest_maximum_can_be_imported_as_such() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let ty = wrun::MemoryType {
        minimum: 1,
        maximum: Some(65536),
    };
    let memory = wrun::Memory::new(&mut store, ty).unwrap();
    assert_eq!(memory.ty(&store), ty);
    let wanting = |limits: &str| {
        Module::new(
            &engine,
            &wat(&format!(r#"(module (import "env" "m" (memory {limits})))"#)),
        )
        .unwrap()
    };
    assert!(Instance::new(&mut store, &wanting("1 65536"), &[memory.into()]).is_ok());
    assert!(Instance::new(&mut store, &wanting("1"), &[memory.into()]).is_ok());
    let error = Instance::new(&mut store, &wanting("1 2"), &[memory.into()]).unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::Link { .. }), "{error}");
}

#[test]
fn imports_are_type_checked() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let host = Func::new(&mut store, FuncType::new([], []), |_, _, _| Ok(())).unwrap();
    let module = Module::new(
        &engine,
        &wat(r#"(module (import "env" "f" (func (param i32))))"#),
    )
    .unwrap();
    let error = Instance::new(&mut store, &module, &[host.into()]).unwrap_err();
    let text = error.to_string();
    assert!(matches!(error.kind(), ErrorKind::Link { .. }), "{text}");
    assert!(
        text.contains("env.f") && text.contains("expected func (i32)"),
        "{text}"
    );
}

#[test]
fn compiled_modules_outlive_their_handles_within_a_budget() {
    let engine = Engine::default();
    let bytes = std::fs::read(fixture("wat/counter.wasm")).unwrap();
    let first = Module::new(&engine, &bytes).unwrap();
    let address = {
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &first, &[]).unwrap();
        instance
            .get_func(&store, "inc")
            .unwrap()
            .code_address(&store)
    };
    drop(first);
    let stats = engine.module_cache_stats();
    assert_eq!((stats.misses, stats.hits, stats.entries), (1, 0, 1));
    // No handle is left, yet the same bytes are not compiled again.
    let again = Module::new(&engine, &bytes).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &again, &[]).unwrap();
    assert_eq!(
        instance
            .get_func(&store, "inc")
            .unwrap()
            .code_address(&store),
        address
    );
    assert_eq!(engine.module_cache_stats().hits, 1);

    // A budget smaller than two modules keeps only the most recent one.
    let small = Engine::new(wrun::Config::new().module_cache_bytes(1)).unwrap();
    let other = std::fs::read(fixture("wat/add.wasm")).unwrap();
    drop(Module::new(&small, &bytes).unwrap());
    drop(Module::new(&small, &other).unwrap());
    let stats = small.module_cache_stats();
    assert_eq!((stats.entries, stats.evictions), (1, 1));
    drop(Module::new(&small, &other).unwrap());
    drop(Module::new(&small, &bytes).unwrap());
    let stats = small.module_cache_stats();
    assert_eq!(
        (stats.hits, stats.misses),
        (1, 3),
        "the evicted one compiled again"
    );
}

#[test]
fn epoch_deadlines_interrupt_wasm_from_another_thread() {
    let spin = std::fs::read(fixture("wat/spin.wasm")).unwrap();
    let engine = Engine::new(wrun::Config::new().epoch_interruption(true)).unwrap();
    let module = Module::new(&engine, &spin).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
    store.set_epoch_deadline(1);
    let ticker = increment_epoch_soon(&engine);
    let error = start.call(&mut store, ()).unwrap_err();
    assert_eq!(error.trap(), Some(Trap::Interrupt), "{error}");
    ticker.join().unwrap();
    // The deadline passed; a new one lets the store run again.
    store.set_epoch_deadline(1);
    let add = Module::from_file(&engine, fixture("wat/add.wasm")).unwrap();
    let add = Instance::new(&mut store, &add, &[]).unwrap();
    let add = add
        .get_typed_func::<(i32, i32), i32>(&store, "add")
        .unwrap();
    assert_eq!(add.call(&mut store, (1, 2)).unwrap(), 3);

    // Off (the default), no check is compiled at all.
    let plain = Module::new(&Engine::default(), &spin).unwrap();
    assert!(plain.code_size() < module.code_size());
}

/// Each store polls its own page: a host function of store A that runs
/// store B into B's deadline gets B's interrupt, and A, whose deadline is
/// not reached, goes on (the entry trampoline gives A's page back).
#[test]
fn an_interrupt_of_a_store_run_from_another_stores_host_function_stays_there() {
    type Other = (Store<()>, wrun::TypedFunc<(), ()>, u32);
    let engine = Engine::new(wrun::Config::new().epoch_interruption(true)).unwrap();
    let spin = Module::from_file(&engine, fixture("wat/spin.wasm")).unwrap();
    let mut b = Store::new(&engine, ());
    let b_spin = Instance::new(&mut b, &spin, &[])
        .unwrap()
        .get_typed_func::<(), ()>(&b, "_start")
        .unwrap();
    b.set_epoch_deadline(0); // reached at once
    let a_module = Module::new(
        &engine,
        &wat(r#"(module
          (import "host" "other" (func $other))
          (func (export "run") (param i32) (result i32) (local i32)
            (loop $again
              (call $other)
              (local.set 1 (i32.add (local.get 1) (i32.const 1)))
              (br_if $again (i32.lt_u (local.get 1) (local.get 0))))
            (local.get 1)))"#),
    )
    .unwrap();
    let mut linker: Linker<Other> = Linker::new();
    linker
        .func_wrap("host", "other", |mut caller: wrun::Caller<'_, Other>| {
            let (store, spin, interrupts) = caller.data_mut();
            let error = spin.call(&mut *store, ()).unwrap_err();
            assert_eq!(error.trap(), Some(Trap::Interrupt), "{error}");
            *interrupts += 1;
        })
        .unwrap();
    let mut a = Store::new(&engine, (b, b_spin, 0));
    let run = linker
        .instantiate(&mut a, &a_module)
        .unwrap()
        .get_typed_func::<i32, i32>(&a, "run")
        .unwrap();
    assert_eq!(run.call(&mut a, 5).unwrap(), 5);
    assert_eq!(a.data().2, 5);
    // And A is interrupted at its own deadline.
    a.set_epoch_deadline(0);
    let error = run.call(&mut a, 5).unwrap_err();
    assert_eq!(error.trap(), Some(Trap::Interrupt), "{error}");
}

/// `even`/`odd` split over two modules: A's `even` tail-calls B's `odd`
/// through a table, B's `odd` tail-calls A's `even` through an import.
/// With `call` instead of `return_call` (`tail` false) the same program
/// needs a frame per step.
fn mutual_recursion_across_modules(tail: bool, n: i64) -> wrun::Result<Vec<Val>> {
    let (direct, indirect) = if tail {
        ("return_call", "return_call_indirect")
    } else {
        ("call", "call_indirect")
    };
    let a = wat(&format!(
        r#"(module
          (type $t (func (param i64) (result i32)))
          (table (export "table") 1 funcref)
          (func $even (export "even") (param i64) (result i32)
            (if (result i32) (i64.eqz (local.get 0))
              (then (i32.const 1))
              (else (local.get 0) (i64.const 1) (i64.sub) (i32.const 0)
                    ({indirect} (type $t))))))"#
    ));
    let b = wat(&format!(
        r#"(module
          (import "a" "even" (func $even (param i64) (result i32)))
          (import "a" "table" (table 1 funcref))
          (elem (i32.const 0) func $odd)
          (func $odd (param i64) (result i32)
            (if (result i32) (i64.eqz (local.get 0))
              (then (i32.const 0))
              (else (local.get 0) (i64.const 1) (i64.sub) ({direct} $even)))))"#
    ));
    // A small thread stack: a million frames could never fit in it.
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            let engine = Engine::default();
            let mut store = Store::new(&engine, ());
            let a = Module::new(&engine, &a)?;
            let b = Module::new(&engine, &b)?;
            let a = Instance::new(&mut store, &a, &[])?;
            let mut linker = Linker::new();
            linker.instance(&store, "a", a);
            linker.instantiate(&mut store, &b)?;
            call(&mut store, a, "even", &[Val::I64(n)])
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn tail_calls_across_modules_run_in_constant_stack() {
    let even = mutual_recursion_across_modules(true, 1_000_000).unwrap();
    assert_eq!(even[0].i32(), Some(1));
    let odd = mutual_recursion_across_modules(true, 1_000_001).unwrap();
    assert_eq!(odd[0].i32(), Some(0));
    // The same recursion with plain calls exhausts the stack.
    let plain = mutual_recursion_across_modules(false, 1_000_000).unwrap_err();
    assert_eq!(plain.trap(), Some(Trap::StackOverflow));
}

/// Fuzz findings `fuzz/regressions/table-grow-909-million` and
/// `table-grow-2e30-externref`: a reference engine grew a table by that
/// many elements (gigabytes, tens of seconds); wrun answers -1 at once past
/// its default cap of 10 million elements, which the spec allows, and the
/// table stays usable.
#[test]
fn table_growth_past_the_default_cap_is_refused_at_once() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        &wat(r#"(module
          (table 80 externref)
          (table 0 funcref)
          (func (export "grow_extern") (param i32) (result i32)
            (table.grow 0 (ref.null extern) (local.get 0)))
          (func (export "grow_func") (param i32) (result i32)
            (table.grow 1 (ref.null func) (local.get 0)))
          (func (export "size") (result i32) (table.size 0)))"#),
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Instance::new(&mut store, &module, &[]).unwrap();
    for delta in [1 << 30, 909_000_000, 10_000_001] {
        let grow =
            |store: &mut Store<()>, name| i32_of(call(store, inst, name, &[Val::I32(delta)]));
        assert_eq!(grow(&mut store, "grow_extern"), -1, "externref by {delta}");
        assert_eq!(grow(&mut store, "grow_func"), -1, "funcref by {delta}");
    }
    assert_eq!(i32_of(call(&mut store, inst, "size", &[])), 80);
    let grow = |store: &mut Store<()>| i32_of(call(store, inst, "grow_extern", &[Val::I32(1000)]));
    assert_eq!(grow(&mut store), 80);
}

#[test]
fn store_limits_cap_memory_and_table_growth_and_instance_counts() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        &wat(r#"(module
          (memory (export "memory") 1)
          (table 1 funcref)
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "grow_table") (param i32) (result i32)
            (table.grow (ref.null func) (local.get 0))))"#),
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    store.set_limits(
        wrun::StoreLimits::new()
            .memory_size(4 * 65536)
            .table_elements(10)
            .instances(1),
    );
    let inst = Instance::new(&mut store, &module, &[]).unwrap();
    // Growth up to the limit works; past it memory.grow answers -1, as at a
    // declared maximum, and the guest carries on.
    assert_eq!(i32_of(call(&mut store, inst, "grow", &[Val::I32(3)])), 1);
    assert_eq!(i32_of(call(&mut store, inst, "grow", &[Val::I32(1)])), -1);
    assert_eq!(
        i32_of(call(&mut store, inst, "grow_table", &[Val::I32(9)])),
        1
    );
    assert_eq!(
        i32_of(call(&mut store, inst, "grow_table", &[Val::I32(1)])),
        -1
    );
    // A second instance is refused with a clear error.
    let error = Instance::new(&mut store, &module, &[]).unwrap_err();
    assert!(error.to_string().contains("at most 1 instances"), "{error}");
    // A memory whose minimum is already over the limit is refused.
    let mut small = Store::new(&engine, ());
    small.set_limits(wrun::StoreLimits::new().memory_size(65535));
    let error = Instance::new(&mut small, &module, &[]).unwrap_err();
    assert!(
        error.to_string().contains("resource limit exceeded"),
        "{error}"
    );
}
