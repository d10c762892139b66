//! The on-disk code cache: hits across engines and OS processes, damaged
//! and foreign cache files recompiled (never run), concurrent writers, and
//! code pages shared between OS processes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use wrun::{Config, Engine, Instance, Module, Store, Val};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("wasm-fixtures")
        .join(path)
}

/// A fresh, empty cache directory for one test.
fn cache_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wrun-cache-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn engine(dir: &Path) -> Engine {
    Engine::new(Config::new().cache_dir(Some(dir.to_path_buf()))).expect("cache dir usable")
}

fn is_trampoline_set(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| bytes.starts_with(b"WRUNTRMP"))
}

fn is_file_index_entry(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| bytes.starts_with(b"WRUNFKEY"))
}

/// The cache's module entries (and temporaries), without the trampoline set
/// and the file index.
fn cache_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("cache dir exists")
        .map(|e| e.unwrap().path())
        .filter(|path| !is_trampoline_set(path) && !is_file_index_entry(path))
        .collect();
    files.sort();
    files
}

fn trampoline_sets(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("cache dir exists")
        .map(|e| e.unwrap().path())
        .filter(|path| is_trampoline_set(path))
        .collect()
}

/// `add(2, -5)` of wat/add.wasm compiled (or mapped) by `engine`.
fn add(engine: &Engine) -> i32 {
    let module = Module::new(engine, &std::fs::read(fixture("wat/add.wasm")).unwrap()).unwrap();
    call_add(engine, &module)
}

/// `add(2, -5)` of `module`.
fn call_add(engine: &Engine, module: &Module) -> i32 {
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, module, &[]).unwrap();
    let f = instance.get_func(&store, "add").unwrap();
    let mut results = [Val::I32(0)];
    f.call(&mut store, &[Val::I32(2), Val::I32(-5)], &mut results)
        .unwrap();
    match results[0] {
        Val::I32(v) => v,
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn a_second_engine_maps_the_code_the_first_compiled() {
    let dir = cache_dir("engines");
    let first = engine(&dir);
    assert_eq!(add(&first), -3);
    let stats = first.module_cache_stats();
    assert_eq!(
        (stats.compiled, stats.disk_writes, stats.disk_hits),
        (1, 1, 0)
    );
    assert_eq!(
        cache_files(&dir).len(),
        1,
        "one file per module, no temporaries"
    );

    let second = engine(&dir);
    assert_eq!(add(&second), -3);
    let stats = second.module_cache_stats();
    assert_eq!((stats.compiled, stats.disk_hits), (0, 1));
    let module = Module::new(&second, &std::fs::read(fixture("wat/add.wasm")).unwrap()).unwrap();
    assert!(module.code_is_shared_file());

    // Other code settings are other code: epoch checks compile differently.
    let epoch = Engine::new(
        Config::new()
            .cache_dir(Some(dir.clone()))
            .epoch_interruption(true),
    )
    .unwrap();
    assert_eq!(add(&epoch), -3);
    assert_eq!(epoch.module_cache_stats().compiled, 1);
    assert_eq!(cache_files(&dir).len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The host-call trampolines an engine compiles are saved when it is
/// dropped (and when a process has linked); the next engine with the same
/// code settings copies them and compiles none. A damaged set is refused
/// and the trampolines compiled again.
#[test]
fn a_second_engine_copies_the_trampolines_the_first_compiled() {
    let dir = cache_dir("trampolines");
    let first = engine(&dir);
    assert_eq!(add(&first), -3);
    let stats = first.module_cache_stats();
    assert_eq!(
        (stats.trampolines_compiled, stats.trampolines_from_disk),
        (1, 0)
    );
    assert!(
        trampoline_sets(&dir).is_empty(),
        "saved when the engine goes"
    );
    drop(first);
    let sets = trampoline_sets(&dir);
    assert_eq!(sets.len(), 1);

    let second = engine(&dir);
    assert_eq!(add(&second), -3);
    let stats = second.module_cache_stats();
    assert_eq!(
        (stats.trampolines_compiled, stats.trampolines_from_disk),
        (0, 1)
    );
    drop(second);

    let mut bytes = std::fs::read(&sets[0]).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&sets[0], &bytes).unwrap();
    let third = engine(&dir);
    assert_eq!(add(&third), -3);
    let stats = third.module_cache_stats();
    assert_eq!(
        (stats.trampolines_compiled, stats.trampolines_from_disk),
        (1, 0)
    );
    drop(third);
    assert_eq!(add(&engine(&dir)), -3);
    assert_eq!(trampoline_sets(&dir).len(), 1, "rewritten in place");

    // A process saves what its linking compiled (WASI's host stubs), and
    // the next process's linking compiles none of them.
    let args = example_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let first = wrun(&dir, &args);
    assert_eq!(first.status.code(), Some(0));
    let second = wrun(&dir, &args);
    assert_eq!(second.stdout, first.stdout);
    let line = cache_line(&second);
    assert!(
        line.contains("trampolines: 0 compiled, ") && !line.ends_with(" 0 from the cache"),
        "{line}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Debug information and names cannot change the code, so a module that
/// differs from a cached one only in such custom sections maps its code.
#[test]
fn a_module_differing_only_in_debug_sections_maps_the_cached_code() {
    let dir = cache_dir("custom");
    let bytes = std::fs::read(fixture("wat/add.wasm")).unwrap();
    Module::new(&engine(&dir), &bytes).unwrap();
    let mut with_debug = bytes.clone();
    with_debug.extend_from_slice(&[0, 15, 11]);
    with_debug.extend_from_slice(b".debug_info\x01\x02\x03");
    let engine = engine(&dir);
    let module = Module::new(&engine, &with_debug).unwrap();
    let stats = engine.module_cache_stats();
    assert_eq!((stats.compiled, stats.disk_hits), (0, 1));
    assert!(module.code_is_shared_file());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Loads `file` in a new engine over the cache `dir`: `add(2, -5)` and the
/// engine's (compiled, mapped, keys from the file index) counts.
fn load_file(dir: &Path, file: &Path) -> (i32, (u64, u64, u64)) {
    let engine = engine(dir);
    let module = Module::from_file(&engine, file).unwrap();
    let s = engine.module_cache_stats();
    let counts = (s.compiled, s.disk_hits, s.disk_file_keys);
    (call_add(&engine, &module), counts)
}

#[test]
fn a_settled_module_file_gets_its_key_from_the_file_index_until_it_is_rewritten() {
    let dir = cache_dir("file-index");
    let work = dir.with_extension("work");
    std::fs::create_dir_all(&work).unwrap();
    let file = work.join("add.wasm");
    let bytes = std::fs::read(fixture("wat/add.wasm")).unwrap();
    std::fs::write(&file, &bytes).unwrap();
    assert_eq!(load_file(&dir, &file), (-3, (1, 0, 0)));
    // Just written: not indexed yet, its key is hashed again.
    assert_eq!(load_file(&dir, &file), (-3, (0, 1, 0)));
    std::thread::sleep(std::time::Duration::from_millis(3500));
    assert_eq!(
        load_file(&dir, &file),
        (-3, (0, 1, 0)),
        "settled now: indexed"
    );
    assert_eq!(
        load_file(&dir, &file),
        (-3, (0, 1, 1)),
        "the key from the index"
    );
    assert_eq!(
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| is_file_index_entry(&e.as_ref().unwrap().path()))
            .count(),
        1
    );
    // The index knows the file, so its function bodies were not read; with
    // the cached code damaged or gone, the file is read whole and compiled.
    let [code] = &cache_files(&dir)[..] else {
        panic!("one code file: {:?}", cache_files(&dir));
    };
    let mut damaged = std::fs::read(code).unwrap();
    *damaged.last_mut().unwrap() ^= 1;
    std::fs::write(code, damaged).unwrap();
    assert_eq!(load_file(&dir, &file), (-3, (1, 0, 0)), "damaged code");
    assert_eq!(load_file(&dir, &file), (-3, (0, 1, 1)));
    for code in cache_files(&dir) {
        std::fs::remove_file(code).unwrap();
    }
    assert_eq!(load_file(&dir, &file), (-3, (1, 0, 0)), "code gone");
    assert_eq!(load_file(&dir, &file), (-3, (0, 1, 1)));
    // Rewritten in place at the same size (i32.add made i32.sub): the same
    // inode, another change time, so the index entry is not the file's.
    let body = [0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b];
    let at = bytes
        .windows(6)
        .position(|w| w == body)
        .expect("add's body");
    let mut sub = bytes.clone();
    sub[at + 4] = 0x6b;
    std::fs::write(&file, &sub).unwrap();
    assert_eq!(load_file(&dir, &file), (7, (1, 0, 0)));
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&work).unwrap();
}

/// Damages a cache file (the first path); the second is another module's file.
type Damage = Box<dyn Fn(&Path, &Path)>;

/// Each way a cache file can be unusable.
fn damages() -> Vec<(&'static str, Damage)> {
    use std::os::unix::fs::PermissionsExt;
    let mut list: Vec<(&'static str, Damage)> = vec![
        (
            "truncated",
            Box::new(|f, _| {
                let len = std::fs::metadata(f).unwrap().len();
                let file = std::fs::OpenOptions::new().write(true).open(f).unwrap();
                file.set_len(len / 2).unwrap();
            }),
        ),
        ("empty", Box::new(|f, _| std::fs::write(f, b"").unwrap())),
        (
            "a flipped code byte",
            Box::new(|f, _| {
                let mut bytes = std::fs::read(f).unwrap();
                let last = bytes.len() - 1;
                bytes[last] ^= 0x01;
                std::fs::write(f, bytes).unwrap();
            }),
        ),
        (
            "garbage",
            Box::new(|f, _| std::fs::write(f, vec![0xcc; 8192]).unwrap()),
        ),
        (
            "another module's file (another key, as from another build)",
            Box::new(|f, other| {
                std::fs::copy(other, f).unwrap();
            }),
        ),
        (
            "writable by others",
            Box::new(|f, _| {
                std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o666)).unwrap()
            }),
        ),
        (
            "a symbolic link",
            Box::new(|f, other| {
                std::fs::remove_file(f).unwrap();
                std::os::unix::fs::symlink(other, f).unwrap();
            }),
        ),
    ];
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        list.push((
            "owned by another user",
            Box::new(|f, _| std::os::unix::fs::chown(f, Some(4242), Some(4242)).unwrap()),
        ));
    }
    list
}

#[test]
fn damaged_or_foreign_cache_files_are_recompiled_not_run() {
    let dir = cache_dir("damage");
    let other_module = std::fs::read(fixture("wat/trap.wasm")).unwrap();
    Module::new(&engine(&dir), &other_module).unwrap();
    let other = cache_files(&dir).pop().unwrap();
    assert_eq!(add(&engine(&dir)), -3);
    let file = cache_files(&dir).into_iter().find(|f| *f != other).unwrap();
    for (what, damage) in damages() {
        damage(&file, &other);
        let engine = engine(&dir);
        assert_eq!(add(&engine), -3, "{what}");
        let stats = engine.module_cache_stats();
        assert_eq!(
            (
                stats.disk_rejected,
                stats.compiled,
                stats.disk_hits,
                stats.disk_writes
            ),
            (1, 1, 0, 1),
            "{what}"
        );
        // The rewritten entry is good again.
        let again = self::engine(&dir);
        assert_eq!(add(&again), -3, "{what}");
        assert_eq!(again.module_cache_stats().disk_hits, 1, "{what}: rewritten");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A module of its own bytes (`k` changes a constant) with enough code to
/// make a cache file of some kilobytes.
fn module_number(k: i32) -> Vec<u8> {
    let mut text = String::from("(module");
    for f in 0..40 {
        text.push_str(&format!(
            "(func (export \"f{f}\") (param i32) (result i32) (i32.add (i32.mul (local.get 0) (i32.const {k})) (i32.const {f})))"
        ));
    }
    text.push(')');
    crate::wat(&text)
}

/// Writing entries past `Config::cache_size_limit` removes the least
/// recently used ones, never the one just written; a hit refreshes an
/// entry's timestamp when it is over an hour old.
#[test]
fn the_cache_keeps_under_its_size_limit_least_recently_used_out() {
    let dir = cache_dir("evict");
    let first = Engine::new(Config::new().cache_dir(Some(dir.clone()))).unwrap();
    Module::new(&first, &module_number(0)).unwrap();
    let one = std::fs::metadata(&cache_files(&dir)[0]).unwrap().len();
    let limit = one * 5 / 2;
    let engine = Engine::new(
        Config::new()
            .cache_dir(Some(dir.clone()))
            .cache_size_limit(limit),
    )
    .unwrap();
    for k in 1..6 {
        Module::new(&engine, &module_number(k)).unwrap();
        let total: u64 = cache_files(&dir)
            .iter()
            .map(|f| std::fs::metadata(f).unwrap().len())
            .sum();
        assert!(total <= limit, "{total} bytes kept, limit {limit}");
    }
    // The newest entry is the one still mapped from the last write: a new
    // engine hits it, and misses the oldest.
    let later = Engine::new(Config::new().cache_dir(Some(dir.clone()))).unwrap();
    Module::new(&later, &module_number(5)).unwrap();
    Module::new(&later, &module_number(0)).unwrap();
    let stats = later.module_cache_stats();
    assert_eq!((stats.disk_hits, stats.compiled), (1, 1), "{stats:?}");

    // An entry last used two hours ago is marked used by a hit.
    let entry = cache_files(&dir)
        .into_iter()
        .find(|f| f.extension().is_some_and(|e| e == "code"))
        .unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&entry)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let fresh = Engine::new(Config::new().cache_dir(Some(dir.clone()))).unwrap();
    for k in 0..6 {
        Module::new(&fresh, &module_number(k)).unwrap();
    }
    let modified = std::fs::metadata(&entry).unwrap().modified().unwrap();
    assert!(modified > old + std::time::Duration::from_secs(3600));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_cache_directory_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = cache_dir("open-dir");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let error = Engine::new(Config::new().cache_dir(Some(dir.clone()))).unwrap_err();
    assert!(error.to_string().contains("writable by others"), "{error}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn threads_compiling_the_same_module_into_one_cache_all_succeed() {
    let dir = cache_dir("threads");
    let results: Vec<i32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| add(&engine(&dir)))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results, [-3; 4]);
    assert_eq!(cache_files(&dir).len(), 1, "one entry, no temporary left");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn wrun(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wrun"))
        .env("WRUN_CACHE_DIR", dir)
        .args(args)
        .output()
        .expect("wrun runs")
}

fn example_args() -> Vec<String> {
    let dir = fixture("example");
    vec![
        "--stats".into(),
        "-L".into(),
        dir.display().to_string(),
        dir.join("main.wasm").display().to_string(),
    ]
}

fn cache_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .find(|l| l.starts_with("code cache:"))
        .unwrap_or_else(|| panic!("no cache line in {stderr}"))
        .to_string()
}

#[test]
fn a_second_wrun_process_compiles_nothing() {
    let dir = cache_dir("cli");
    let args = example_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let first = wrun(&dir, &args);
    assert_eq!(first.status.code(), Some(0));
    assert!(
        cache_line(&first)
            .starts_with("code cache: 3 compiled, 0 mapped from the cache, 3 written, 0 rejected;"),
        "{}",
        cache_line(&first)
    );
    let second = wrun(&dir, &args);
    assert_eq!(second.stdout, first.stdout);
    assert!(
        cache_line(&second).starts_with(
            "code cache: 0 compiled, 3 mapped from the cache, 0 written, 0 rejected; trampolines: 0 compiled,"
        ),
        "{}",
        cache_line(&second)
    );
    // The committed fixtures are older than the file index's settling time.
    assert!(
        cache_line(&second).ends_with("; keys: 3 from the file index"),
        "{}",
        cache_line(&second)
    );
    let mut no_cache = vec!["--no-cache"];
    no_cache.extend(&args);
    let third = wrun(&dir, &no_cache);
    assert_eq!(third.stdout, first.stdout);
    assert!(cache_line(&third).starts_with("code cache: 3 compiled, 0 mapped"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wrun_compile_fills_the_cache_for_later_runs() {
    let dir = cache_dir("compile");
    let example = fixture("example");
    let files = ["main.wasm", "libgreet.wasm", "libart.wasm"].map(|f| example.join(f));
    let mut args = vec!["compile"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = wrun(&dir, &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches(": compiled\n").count(), 3, "{stdout}");
    let again = wrun(&dir, &args);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert_eq!(stdout.matches(": already cached\n").count(), 3, "{stdout}");
    let run_args = example_args();
    let run_args: Vec<&str> = run_args.iter().map(String::as_str).collect();
    let run = wrun(&dir, &run_args);
    assert!(cache_line(&run).starts_with("code cache: 0 compiled, 3 mapped"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wrun_processes_started_together_on_an_empty_cache_all_succeed() {
    let dir = cache_dir("concurrent");
    let args = example_args();
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_wrun"))
                .env("WRUN_CACHE_DIR", &dir)
                .args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for out in &outputs {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, outputs[0].stdout);
    }
    assert_eq!(cache_files(&dir).len(), 3, "three entries, no temporaries");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A program that blocks reading stdin after running its code.
const READS_STDIN: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

/// kB of the executable mapping of a file under `dir` in process `pid`
/// that are mapped by other processes too (`Shared_Clean` + `Shared_Dirty`:
/// a freshly written file's page-cache pages are dirty until written back),
/// and its copied-on-write kB (`Anonymous`), once the mapping is there.
fn shared_code_kb(pid: u32, dir: &Path) -> Option<(u64, u64)> {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).ok()?;
    let dir = dir.to_str()?;
    let mut in_code = false;
    let (mut shared, mut anonymous, mut seen) = (0, 0, false);
    for line in smaps.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // A mapping's header line: `start-end perms offset dev inode [path]`.
        if fields.len() >= 5 && fields[0].contains('-') && !fields[0].ends_with(':') {
            in_code = fields[1] == "r-xp" && fields.get(5).is_some_and(|p| p.starts_with(dir));
            seen |= in_code;
        } else if in_code {
            let kb = || {
                fields
                    .get(1)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            match fields.first() {
                Some(&"Shared_Clean:") | Some(&"Shared_Dirty:") => shared += kb(),
                Some(&"Anonymous:") => anonymous += kb(),
                _ => {}
            }
        }
    }
    seen.then_some((shared, anonymous))
}

#[test]
fn two_wrun_processes_share_the_code_pages_of_a_cached_module() {
    let dir = cache_dir("smaps");
    std::fs::create_dir_all(&dir).unwrap();
    let program = dir.with_extension("wasm");
    std::fs::write(&program, crate::wat(READS_STDIN)).unwrap();
    let start = || {
        Command::new(env!("CARGO_BIN_EXE_wrun"))
            .env("WRUN_CACHE_DIR", &dir)
            .arg(&program)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    };
    // Warm the cache, then two processes that both run the cached code.
    let mut warm = start();
    drop(warm.stdin.take());
    assert!(warm.wait().unwrap().success());
    let mut a = start();
    let mut b = start();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let shared = loop {
        let seen = (shared_code_kb(a.id(), &dir), shared_code_kb(b.id(), &dir));
        if let (Some(x), Some(y)) = seen {
            if x.0 > 0 && y.0 > 0 {
                break Some((x, y));
            }
        }
        if std::time::Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    for child in [&mut a, &mut b] {
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
    }
    let _ = std::fs::remove_file(&program);
    std::fs::remove_dir_all(&dir).unwrap();
    let (x, y) = shared.expect("both processes map the cache file r-x with shared pages");
    assert_eq!((x.1, y.1), (0, 0), "no code page was copied on write");
}
