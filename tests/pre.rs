//! Kept link plans (`ProcessPre`): processes started from one plan behave
//! as processes linked by `load_main`, each with its own data; errors come
//! when planning; a plan notices changed files; threads share a plan.

use std::path::{Path, PathBuf};
use wrun::wasi::{OutputBuffer, WasiCtx};
use wrun::{Engine, Process, ProcessConfig, ProcessPre, Val};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("wasm-fixtures")
}

fn capturing(stdout: &OutputBuffer) -> WasiCtx {
    WasiCtx::builder()
        .args(vec!["main.wasm".into()])
        .stdout(stdout.clone())
        .build()
}

/// `-L dir`, and the `--lib` preloads of the case's `expected` command.
fn config_for(dir: &Path) -> ProcessConfig {
    let mut config = ProcessConfig::new().lib_path(dir);
    let expected = std::fs::read_to_string(dir.join("expected")).unwrap_or_default();
    let command = expected.lines().find(|l| l.starts_with("command:"));
    let words: Vec<&str> = command.unwrap_or("").split_whitespace().collect();
    for pair in words.windows(2).filter(|w| w[0] == "--lib") {
        config = config.preload(dir.join(pair[1]));
    }
    config
}

/// The status and stdout of `_start` in a process linked by `load_main`.
fn run_loaded(engine: &Engine, dir: &Path) -> (i32, Vec<u8>) {
    let stdout = OutputBuffer::new();
    let config = config_for(dir).wasi(capturing(&stdout));
    let mut process = Process::new(engine, config).unwrap();
    process.load_main(dir.join("main.wasm")).unwrap();
    let status = process.run_start().unwrap();
    (status, stdout.contents())
}

/// The same from a process of `pre`.
fn run_planned(pre: &ProcessPre) -> (i32, Vec<u8>) {
    let stdout = OutputBuffer::new();
    let mut process = pre.instantiate(Some(capturing(&stdout))).unwrap();
    let status = process.run_start().unwrap();
    (status, stdout.contents())
}

fn plan(engine: &Engine, dir: &Path) -> wrun::Result<ProcessPre> {
    ProcessPre::new(engine, config_for(dir), dir.join("main.wasm"))
}

#[test]
fn processes_from_a_plan_do_what_load_main_does() {
    let engine = Engine::default();
    let dylink = fixtures().join("dylink");
    let mut dirs = vec![fixtures().join("example"), fixtures().join("seed")];
    // PIE mains with libraries found through NEEDED (in a cycle too),
    // given with --lib and opened with dlopen; constructors, data
    // relocations, function pointers across modules, weak symbols, tags
    // shared through env (setjmp/longjmp); and a non-PIE main carrying
    // wasi-libc (its graph planned, bound and laid out per process).
    for case in [
        "dlopen",
        "dlopen-scope",
        "ctors",
        "data-relocs",
        "data-relocs-extconst",
        "fnptr-eq",
        "callbacks",
        "weak",
        "sjlj",
        "needed-cycle",
        "nonpie-libc",
    ] {
        dirs.push(dylink.join(case));
    }
    for dir in dirs {
        if !super::dylink::ensure_libc_main(&dir) {
            continue;
        }
        let want = run_loaded(&engine, &dir);
        assert!(!want.1.is_empty(), "{}: prints something", dir.display());
        let pre = plan(&engine, &dir).unwrap();
        for round in 0..3 {
            assert_eq!(
                run_planned(&pre),
                want,
                "{}: process {round} of the plan",
                dir.display()
            );
        }
    }
}

#[test]
fn each_process_of_a_plan_has_its_own_library_data() {
    let engine = Engine::default();
    let pre = plan(&engine, &fixtures().join("seed")).unwrap();
    let mut first = pre.instantiate(Some(WasiCtx::builder().build())).unwrap();
    let mut second = pre.instantiate(Some(WasiCtx::builder().build())).unwrap();
    let bump = |p: &mut Process, by: i32| {
        let func = p.lookup("bump").unwrap().into_func().unwrap();
        let mut out = [Val::I32(0)];
        func.call(p.store_mut(), &[Val::I32(by)], &mut out).unwrap();
        out[0].i32().unwrap()
    };
    assert_eq!(bump(&mut first, 2), 2);
    assert_eq!(bump(&mut first, 98), 100);
    assert_eq!(
        bump(&mut second, 1),
        1,
        "the second process's counter is its own"
    );
    assert_eq!(bump(&mut first, 0), 100);
    // The layout is the plan's in every process.
    let bases = |objects: &[wrun::link::Object]| -> Vec<(u32, u32)> {
        objects
            .iter()
            .map(|o| (o.memory_base(), o.table_base()))
            .collect()
    };
    assert_eq!(bases(first.objects()), bases(pre.objects()));
    assert_eq!(bases(second.objects()), bases(pre.objects()));
    assert!(
        bases(pre.objects())[1].0 > 0,
        "the library has a data region"
    );
}

#[test]
fn link_errors_come_when_planning() {
    let engine = Engine::default();
    let dylink = fixtures().join("dylink");
    let missing = plan(&engine, &dylink.join("missing-lib")).err().unwrap();
    assert!(
        matches!(missing.kind(), wrun::ErrorKind::LibraryNotFound { .. }),
        "{missing}"
    );
    let symbol = plan(&engine, &dylink.join("missing-symbol")).err().unwrap();
    assert!(symbol.to_string().contains("undefined symbol"), "{symbol}");
}

#[test]
fn a_plan_made_with_wasi_needs_a_context_and_one_without_refuses_it() {
    let engine = Engine::default();
    let seed = fixtures().join("seed");
    let pre = plan(&engine, &seed).unwrap();
    let err = pre.instantiate(None).err().unwrap();
    assert!(
        err.to_string().contains("give each process a WASI context"),
        "{err}"
    );
    // A main that imports WASI cannot be planned without it.
    let config = ProcessConfig::new().without_wasi();
    assert!(ProcessPre::new(&engine, config, seed.join("main.wasm")).is_err());
}

#[test]
fn a_plan_knows_when_its_files_changed() {
    let dir = std::env::temp_dir().join(format!("wrun-pre-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["main.wasm", "libcounter.wasm"] {
        std::fs::copy(fixtures().join("seed").join(file), dir.join(file)).unwrap();
    }
    let engine = Engine::default();
    let pre = plan(&engine, &dir).unwrap();
    assert!(pre.is_current());
    // The same bytes written again: a new file as far as the plan knows.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let bytes = std::fs::read(dir.join("libcounter.wasm")).unwrap();
    std::fs::remove_file(dir.join("libcounter.wasm")).unwrap();
    std::fs::write(dir.join("libcounter.wasm"), bytes).unwrap();
    assert!(!pre.is_current());
    // It still starts the program it planned.
    assert_eq!(run_planned(&pre).0, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn threads_start_processes_of_one_plan() {
    fn shareable<T: Send + Sync>(_: &T) {}
    let engine = Engine::default();
    let dir = fixtures().join("example");
    let want = run_loaded(&engine, &dir);
    let pre = plan(&engine, &dir).unwrap();
    shareable(&pre);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..50 {
                    assert_eq!(run_planned(&pre), want);
                }
            });
        }
    });
}
