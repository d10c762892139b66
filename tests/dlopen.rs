//! Run-time linking through the Rust API: bounded load/unload cycles, a
//! failed dlopen leaving nothing behind, stale handles, pinned objects.
//! (The guest-side behaviour is in the `dlopen*` fixture cases.)

use std::path::PathBuf;
use wrun::link::dlopen::flags::{RTLD_GLOBAL, RTLD_NODELETE, RTLD_NOW};
use wrun::link::{Symbol, SymbolKind};
use wrun::wasi::WasiCtx;
use wrun::{Engine, Process, ProcessConfig, Val};

fn case(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("wasm-fixtures/dylink")
        .join(name)
}

fn process(name: &str) -> Process {
    let quiet = WasiCtx::builder().inherit_stdio(false).build();
    let config = ProcessConfig::new().lib_path(case(name)).wasi(quiet);
    let mut process = Process::new(&Engine::default(), config).unwrap();
    process.load_main(case(name).join("main.wasm")).unwrap();
    process
}

/// Memory pages, table slots and object slots of a process.
fn footprint(process: &Process) -> (u64, u64, usize) {
    let store = process.store();
    (
        process.memory().unwrap().size(store),
        process.table().unwrap().size(store),
        process.objects().len(),
    )
}

fn read_i32(process: &Process, address: u32) -> i32 {
    let mut bytes = [0u8; 4];
    let memory = process.memory().unwrap();
    memory
        .read(process.store(), address as usize, &mut bytes)
        .unwrap();
    i32::from_le_bytes(bytes)
}

#[test]
fn load_unload_cycles_do_not_grow_the_process() {
    let mut p = process("dlopen-cycles");
    assert_eq!(p.invoke("cycles", &[Val::I32(1)]).unwrap(), [Val::I32(0)]);
    let after_first = footprint(&p);
    assert_eq!(p.invoke("cycles", &[Val::I32(999)]).unwrap(), [Val::I32(0)]);
    assert_eq!(
        footprint(&p),
        after_first,
        "memory, table and objects after 1,000 cycles"
    );
    let runs = match p.dlsym(None, SymbolKind::Data, "big_ctor_runs").unwrap() {
        Symbol::Data { address } => read_i32(&p, address),
        other => panic!("data symbol expected, got {other:?}"),
    };
    assert_eq!(runs, 1000, "one constructor run per fresh load");
    let big = p
        .objects()
        .iter()
        .find(|o| o.name() == "libbig.wasm")
        .unwrap();
    assert!(!big.is_loaded(), "unloaded after its last dlclose");
}

#[test]
fn a_failed_dlopen_leaves_nothing_behind() {
    let mut p = process("dlopen-errors");
    let before = footprint(&p);
    let error = p.dlopen("libbroken.wasm", RTLD_NOW).unwrap_err();
    assert!(error.to_string().contains("missing_function"), "{error}");
    let error = p.dlopen("libctorfail.wasm", RTLD_NOW).unwrap_err();
    assert!(error.to_string().contains("unreachable"), "{error}");
    let (pages, slots, _) = footprint(&p);
    assert!(pages >= before.0 && slots >= before.1);
    // What the failures took is free again: loading them again (failing
    // again) and a good library reuse it instead of growing further.
    let grown = footprint(&p);
    for _ in 0..20 {
        assert!(p.dlopen("libbroken.wasm", RTLD_NOW).is_err());
        assert!(p.dlopen("libctorfail.wasm", RTLD_NOW).is_err());
    }
    assert_eq!(footprint(&p), grown, "failed loads reuse their regions");
    for object in p.objects() {
        if object.name() == "libbroken.wasm" || object.name() == "libctorfail.wasm" {
            assert!(!object.is_loaded(), "{} left loaded", object.name());
        }
    }
    assert!(p.lookup("broken_value").is_none(), "no scope entry left");
    let ok = p.dlopen("libok.wasm", RTLD_NOW).unwrap();
    let Symbol::Func { func, .. } = p.dlsym(Some(ok), SymbolKind::Func, "ok_value").unwrap() else {
        panic!("a function")
    };
    let ok_value = func.typed::<(), i32>(p.store()).unwrap();
    assert_eq!(ok_value.call(p.store_mut(), ()).unwrap(), 17);
}

#[test]
fn handles_and_functions_of_an_unloaded_library_are_refused_safely() {
    let mut p = process("dlopen");
    let h = p.dlopen("libplugin.wasm", RTLD_NOW).unwrap();
    let Symbol::Func { func, table_index } =
        p.dlsym(Some(h), SymbolKind::Func, "plugin_add").unwrap()
    else {
        panic!("a function")
    };
    let add = func.typed::<(i32, i32), i32>(p.store()).unwrap();
    assert_eq!(add.call(p.store_mut(), (2, 3)).unwrap(), 5);
    let table = p.table().unwrap();
    assert!(matches!(
        table.get(p.store(), u64::from(table_index)),
        Some(Val::FuncRef(Some(_)))
    ));
    p.dlclose(h).unwrap();

    // The host's stale handle fails cleanly; the table slot is empty.
    let error = add.call(p.store_mut(), (2, 3)).unwrap_err();
    assert!(error.to_string().contains("unloaded"), "{error}");
    assert_eq!(
        table.get(p.store(), u64::from(table_index)),
        Some(Val::FuncRef(None))
    );
    let error = p.dlclose(h).unwrap_err();
    assert!(error.to_string().contains("invalid handle"), "{error}");

    // A new incarnation gets a new handle; the old one stays invalid.
    let h2 = p.dlopen("libplugin.wasm", RTLD_NOW).unwrap();
    assert_ne!(h, h2);
    assert!(p.dlsym(Some(h), SymbolKind::Func, "plugin_add").is_err());
    assert!(p.dlsym(Some(h2), SymbolKind::Func, "plugin_add").is_ok());
}

#[test]
fn nodelete_and_load_time_libraries_stay_loaded() {
    let mut p = process("dlopen");
    let h = p
        .dlopen("libplugin.wasm", RTLD_NOW | RTLD_NODELETE | RTLD_GLOBAL)
        .unwrap();
    p.dlclose(h).unwrap();
    assert!(
        p.lookup("plugin_add").is_some(),
        "RTLD_NODELETE: still loaded, global"
    );

    let mut q = process("ctors");
    let main_object_count = q.objects().len();
    let h = q.dlopen("liba.wasm", RTLD_NOW).unwrap();
    q.dlclose(h).unwrap();
    assert!(
        q.objects().iter().all(|o| o.is_loaded()),
        "load-time objects stay"
    );
    assert_eq!(q.objects().len(), main_object_count);
}

#[test]
fn paths_are_refused_unless_the_embedder_allows_them() {
    let path = case("dlopen").join("libplugin.wasm");
    let path = path.to_str().unwrap();
    let mut p = process("dlopen-errors");
    let error = p.dlopen(path, RTLD_NOW).unwrap_err();
    assert!(error.to_string().contains("refused"), "{error}");

    let quiet = WasiCtx::builder().inherit_stdio(false).build();
    let config = ProcessConfig::new()
        .lib_path(case("dlopen-errors"))
        .wasi(quiet)
        .allow_dlopen_paths(true);
    let mut p = Process::new(&Engine::default(), config).unwrap();
    p.load_main(case("dlopen-errors").join("main.wasm"))
        .unwrap();
    let h = p.dlopen(path, RTLD_NOW).unwrap();
    assert!(p.dlsym(Some(h), SymbolKind::Func, "plugin_add").is_ok());
}

#[test]
fn hostile_dyld_calls_get_errors_not_crashes() {
    let module = crate::wat(
        r#"(module
        (import "dyld" "load_object" (func $load (param i32 i32 i32 i32) (result i32)))
        (import "dyld" "resolve_symbol" (func $sym (param i32 i32 i32 i32 i32) (result i32)))
        (import "dyld" "close_object" (func $close (param i32) (result i32)))
        (import "dyld" "error_message" (func $err (param i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 16) "libnope.wasm")
        (func (export "huge_name") (result i32) (call $load (i32.const 0) (i32.const -1) (i32.const 0) (i32.const 0)))
        (func (export "name_out_of_bounds") (result i32) (call $load (i32.const 65530) (i32.const 100) (i32.const 0) (i32.const 0)))
        (func (export "missing") (result i32) (call $load (i32.const 16) (i32.const 12) (i32.const 0) (i32.const 0)))
        (func (export "bad_symtype") (result i32) (call $sym (i32.const 0) (i32.const 9) (i32.const 16) (i32.const 3) (i32.const 0)))
        (func (export "bad_handle") (result i32) (call $close (i32.const 77)))
        (func (export "message") (result i32) (call $err (i32.const 100) (i32.const 200))))"#,
    );
    let config = ProcessConfig::new().without_wasi();
    let mut p = Process::new(&Engine::default(), config).unwrap();
    p.load_main_bytes("hostile.wasm", &module).unwrap();
    let call = |p: &mut Process, name: &str| p.invoke(name, &[]).unwrap()[0].i32().unwrap();
    for (export, errno) in [
        ("huge_name", 28),
        ("name_out_of_bounds", 21),
        ("missing", 44),
        ("bad_symtype", 28),
        ("bad_handle", 28),
    ] {
        assert_eq!(call(&mut p, export), errno, "{export}");
    }
    let len = call(&mut p, "message");
    assert!(len > 0);
    let mut text = vec![0u8; len as usize];
    p.memory().unwrap().read(p.store(), 100, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("invalid handle"), "{text}");
    assert_eq!(call(&mut p, "message"), 0, "cleared once read");
}
