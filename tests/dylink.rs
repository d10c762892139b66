//! Dynamic linking (dylink.0): every fixture case through the real `wrun`
//! binary, plus API-level checks of the loader (search order, load-once,
//! cycles, layout) and of bad input.

use std::path::{Path, PathBuf};
use std::process::Command;
use wrun::link::{Process, ProcessConfig};
use wrun::wasi::WasiCtxBuilder;
use wrun::{Engine, ErrorKind, Val};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("wasm-fixtures")
}

fn case_dir(case: &str) -> PathBuf {
    fixtures().join("dylink").join(case)
}

// ------------------------------------------------------------ expected files

/// A parsed `expected` file (format in wasm-fixtures/README.md).
#[derive(Debug)]
pub(crate) struct Expected {
    args: Vec<String>,
    status: Option<i32>,
    stderr_contains: Option<String>,
    pub(crate) stdout: String,
}

pub(crate) fn parse_expected(text: &str) -> Expected {
    let (head, stdout) = text
        .split_once("\nstdout:\n")
        .or_else(|| text.strip_suffix("\nstdout:").map(|h| (h, "")))
        .expect("expected file has a stdout: line");
    let field = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
    };
    let command = field("command:").expect("command: line");
    let mut words = command.split(' ').filter(|w| !w.is_empty());
    assert_eq!(words.next(), Some("wrun"), "command must start with wrun");
    let status = field("status:").expect("status: line");
    Expected {
        args: words.map(String::from).collect(),
        status: match status.as_str() {
            "nonzero" => None,
            n => Some(n.parse().expect("numeric status")),
        },
        stderr_contains: field("stderr-contains:"),
        stdout: stdout.to_string(),
    }
}

fn wrun(dir: &Path, args: &[String], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wrun"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("WRUN_LIBRARY_PATH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run wrun")
}

/// Cases with a `libc-main` file have a non-PIE main that links wasi-libc
/// statically. Binaries built from third-party code are not committed, so
/// the main is built here, once per test run, into the case directory
/// (git-ignored), the way `wasm-fixtures/build.sh` builds it. Returns false
/// (the test is skipped, with a note) when clang-19 or wasi-libc is missing,
/// unless `WRUN_REQUIRE_LIBC_TOOLCHAIN` is set (CI installs them and sets it).
pub(crate) fn ensure_libc_main(dir: &Path) -> bool {
    static BUILT: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    let args_file = dir.join("libc-main");
    if !args_file.exists() {
        return true;
    }
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if built.iter().any(|d| d == dir) {
        return true;
    }
    let cc = std::env::var("WRUN_LIBC_CC").unwrap_or_else(|_| "clang-19".into());
    let extra = std::fs::read_to_string(&args_file).unwrap();
    let support = fixtures().join("support/wasi_start.c");
    let status = Command::new(&cc)
        .current_dir(dir)
        .args(
            "--target=wasm32-wasi -mcpu=mvp -mmutable-globals -msign-ext -Wall -Wextra -Werror -O2 \
             -nostartfiles -Wl,--export-table -Wl,--growable-table -Wl,--export=__stack_pointer"
                .split_whitespace(),
        )
        .args(extra.split_whitespace())
        .args(["-o", "main.wasm", "main.c"])
        .arg(&support)
        .status();
    match status {
        Ok(s) if s.success() => {
            built.push(dir.to_path_buf());
            true
        }
        outcome => {
            let why = format!(
                "{}: cannot build its wasi-libc main with {cc} ({outcome:?}); \
                 install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32",
                dir.display()
            );
            assert!(
                std::env::var_os("WRUN_REQUIRE_LIBC_TOOLCHAIN").is_none(),
                "{why}"
            );
            eprintln!("skipped: {why}");
            false
        }
    }
}

/// Runs the case in `dir` as its `expected` file says and checks stdout
/// exactly, the status, and the stderr substring.
fn check_case(dir: &Path) {
    if !ensure_libc_main(dir) {
        return;
    }
    let text = std::fs::read_to_string(dir.join("expected")).expect("read expected");
    let want = parse_expected(&text);
    let out = wrun(dir, &want.args, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out
        .status
        .code()
        .expect("wrun exited normally (not by a signal)");
    if std::env::var_os("WRUN_BLESS").is_some_and(|v| v == "1") {
        bless(dir, &text, want.status.map(|_| code), &stdout);
        return;
    }
    match want.status {
        Some(s) => assert_eq!(code, s, "{}: status; stderr:\n{stderr}", dir.display()),
        None => assert_ne!(code, 0, "{}: status must be non-zero", dir.display()),
    }
    assert_eq!(
        stdout,
        want.stdout,
        "{}: stdout; stderr:\n{stderr}",
        dir.display()
    );
    if let Some(s) = &want.stderr_contains {
        assert!(
            stderr.contains(s.as_str()),
            "{}: stderr lacks {s:?}:\n{stderr}",
            dir.display()
        );
    }
}

/// `WRUN_BLESS=1`: rewrites `dir/expected` with the observed stdout (and
/// status, where it is a number), keeping the command, comments and the
/// stderr substring as they are. Review the diff before committing it.
fn bless(dir: &Path, text: &str, status: Option<i32>, stdout: &str) {
    let head = text.split_once("\nstdout:").map_or(text, |(head, _)| head);
    let head: Vec<String> = head
        .lines()
        .map(|line| match (line.strip_prefix("status:"), status) {
            (Some(_), Some(code)) => format!("status: {code}"),
            _ => line.to_string(),
        })
        .collect();
    let blessed = format!("{}\nstdout:\n{stdout}", head.join("\n"));
    std::fs::write(dir.join("expected"), blessed).expect("write expected");
    eprintln!("blessed {}", dir.join("expected").display());
}

macro_rules! fixture_cases {
    ($($test:ident => $case:expr,)*) => {$(
        #[test]
        fn $test() {
            check_case(&case_dir($case));
        }
    )*};
}

fixture_cases! {
    case_args_env => "args-env",
    case_callbacks => "callbacks",
    case_ctors => "ctors",
    case_data_relocs => "data-relocs",
    case_data_relocs_extconst => "data-relocs-extconst",
    case_dlopen => "dlopen",
    case_dlopen_cycles => "dlopen-cycles",
    case_dlopen_errors => "dlopen-errors",
    case_dlopen_libc => "dlopen-libc",
    case_dlopen_scope => "dlopen-scope",
    case_dlopen_stale => "dlopen-stale",
    case_files => "files",
    case_fnptr_eq => "fnptr-eq",
    case_libc_init_order => "libc-init-order",
    case_lib_oob => "lib-oob",
    case_lib_recursion => "lib-recursion",
    case_missing_lib => "missing-lib",
    case_missing_symbol => "missing-symbol",
    case_needed_cycle => "needed-cycle",
    case_nonpie_libc => "nonpie-libc",
    case_sig_mismatch => "sig-mismatch",
    case_simd => "simd",
    case_sjlj => "sjlj",
    case_tail_call => "tail-call",
    case_timeout_ctor => "timeout-ctor",
    case_weak => "weak",
}

#[test]
fn case_example() {
    check_case(&fixtures().join("example"));
}

#[test]
fn every_fixture_case_has_a_test() {
    let mut cases: Vec<String> = std::fs::read_dir(fixtures().join("dylink"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    let source = include_str!("dylink.rs");
    for case in cases {
        assert!(
            source.contains(&format!("=> \"{case}\",")),
            "no test for fixture case {case}"
        );
    }
}

#[test]
fn expected_parser_reads_every_field() {
    let e = parse_expected(
        "# c\ncommand: wrun -L . m.wasm a\nstatus: nonzero\nstderr-contains: x y\nstdout:\nline\n",
    );
    assert_eq!(e.args, vec!["-L", ".", "m.wasm", "a"]);
    assert_eq!(e.status, None);
    assert_eq!(e.stderr_contains.as_deref(), Some("x y"));
    assert_eq!(e.stdout, "line\n");
}

// ------------------------------------------------------------ helpers

/// A scratch directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("wrun-dylink-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn sub(&self, name: &str) -> PathBuf {
        let d = self.0.join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn quiet_config() -> ProcessConfig {
    {
        let mut config = ProcessConfig::default();
        config.wasi = Some(WasiCtxBuilder::new().inherit_stdio(false).build());
        config
    }
}

/// A quiet process whose only search directory (`-L`) is `dir`.
fn process_searching(engine: &Engine, dir: &Path) -> Process {
    let config = {
        let mut config = quiet_config();
        config.lib_paths = vec![dir.to_path_buf()];
        config
    };
    Process::new(engine, config).unwrap()
}

fn copy(from: &Path, to_dir: &Path) -> PathBuf {
    let to = to_dir.join(from.file_name().unwrap());
    std::fs::copy(from, &to).unwrap();
    to
}

fn names(process: &Process) -> Vec<String> {
    process
        .objects()
        .iter()
        .map(|o| o.name().to_string())
        .collect()
}

// ------------------------------------------------ a tiny module encoder

fn leb(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn name(s: &str, out: &mut Vec<u8>) {
    leb(s.len() as u64, out);
    out.extend_from_slice(s.as_bytes());
}

fn section(id: u8, body: &[u8], out: &mut Vec<u8>) {
    out.push(id);
    leb(body.len() as u64, out);
    out.extend_from_slice(body);
}

/// What a synthetic dylink module contains.
#[derive(Default)]
struct Synth<'a> {
    mem_info: (u32, u32, u32, u32),
    needed: &'a [&'a str],
    runtime_path: &'a [&'a str],
    import_memory: bool,
    /// An export `which() -> i32` returning this.
    which: Option<i32>,
}

fn synth(s: &Synth) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    let mut dylink = Vec::new();
    name("dylink.0", &mut dylink);
    let mut sub = Vec::new();
    for v in [s.mem_info.0, s.mem_info.1, s.mem_info.2, s.mem_info.3] {
        leb(u64::from(v), &mut sub);
    }
    section(1, &sub, &mut dylink);
    for (kind, list) in [(2u8, s.needed), (5u8, s.runtime_path)] {
        if !list.is_empty() {
            let mut sub = Vec::new();
            leb(list.len() as u64, &mut sub);
            for n in list {
                name(n, &mut sub);
            }
            section(kind, &sub, &mut dylink);
        }
    }
    section(0, &dylink, &mut m);
    if s.which.is_some() {
        section(1, &[1, 0x60, 0, 1, 0x7f], &mut m); // type: () -> i32
    }
    if s.import_memory {
        let mut imports = vec![1];
        name("env", &mut imports);
        name("memory", &mut imports);
        imports.extend_from_slice(&[2, 0, 0]); // memory, min 0, no max
        section(2, &imports, &mut m);
    }
    if let Some(value) = s.which {
        section(3, &[1, 0], &mut m); // one function of type 0
        let mut exports = vec![1];
        name("which", &mut exports);
        exports.extend_from_slice(&[0, 0]);
        section(7, &exports, &mut m);
        let mut body = vec![0, 0x41]; // no locals; i32.const
        let mut v = Vec::new();
        // signed LEB of small positive values equals unsigned below 64
        assert!((0..64).contains(&value));
        leb(value as u64, &mut v);
        body.extend(v);
        body.push(0x0b);
        let mut code = vec![1];
        leb(body.len() as u64, &mut code);
        code.extend(body);
        section(10, &code, &mut m);
    }
    m
}

fn which(process: &mut Process) -> i32 {
    let f = process
        .lookup("which")
        .and_then(|e| e.into_func())
        .expect("some library exports which");
    let mut out = [Val::I32(0)];
    f.call(process.store_mut(), &[], &mut out).unwrap();
    out[0].i32().unwrap()
}

// ------------------------------------------------------------ API tests

#[test]
fn search_order_is_lib_paths_then_env_then_runtime_path_then_main_dir() {
    let tmp = TempDir::new("search");
    let main_dir = tmp.sub("app");
    let main = main_dir.join("main.wasm");
    let main_module = Synth {
        needed: &["libx.wasm"],
        runtime_path: &["$ORIGIN/rp"],
        import_memory: true,
        ..Synth::default()
    };
    std::fs::write(&main, synth(&main_module)).unwrap();
    let l = tmp.sub("L");
    let e = tmp.sub("E");
    let r = tmp.sub("app/rp");
    for (dir, value) in [(&l, 1), (&e, 2), (&r, 3), (&main_dir, 4)] {
        let lib = Synth {
            which: Some(value),
            ..Synth::default()
        };
        std::fs::write(dir.join("libx.wasm"), synth(&lib)).unwrap();
    }
    let engine = Engine::default();
    let load = || {
        let mut p = Process::new(&engine, {
            let mut config = quiet_config();
            config.lib_paths = vec![l.clone()];
            config.env_lib_paths = vec![e.clone()];
            config
        })
        .unwrap();
        p.load_main(&main).unwrap();
        p
    };
    for (dir, value) in [(&l, 1), (&e, 2), (&r, 3), (&main_dir, 4)] {
        let mut p = load();
        assert_eq!(
            which(&mut p),
            value,
            "library should come from {}",
            dir.display()
        );
        let lib = &p.objects()[1];
        assert_eq!(
            lib.canonical_path(),
            std::fs::canonicalize(dir.join("libx.wasm")).unwrap()
        );
        std::fs::remove_file(dir.join("libx.wasm")).unwrap();
    }
    // Nothing left: the error lists every searched directory, in order.
    let mut p = Process::new(&engine, {
        let mut config = quiet_config();
        config.lib_paths = vec![l.clone()];
        config.env_lib_paths = vec![e.clone()];
        config
    })
    .unwrap();
    let err = p.load_main(&main).unwrap_err();
    match err.kind() {
        ErrorKind::LibraryNotFound {
            name,
            needed_by,
            searched,
        } => {
            assert_eq!(name, "libx.wasm");
            assert_eq!(needed_by, "main.wasm");
            assert_eq!(
                searched,
                &vec![l.clone(), e.clone(), main_dir.join("rp"), main_dir.clone()]
            );
        }
        other => panic!("expected LibraryNotFound, got {other:?}"),
    }
}

#[test]
fn wrun_library_path_is_searched_by_the_cli() {
    let tmp = TempDir::new("envpath");
    let app = tmp.sub("app");
    let libs = tmp.sub("libs");
    let case = case_dir("ctors");
    copy(&case.join("main.wasm"), &app);
    copy(&case.join("liba.wasm"), &libs);
    copy(&case.join("libb.wasm"), &libs);
    let args = vec!["main.wasm".to_string()];
    let without = wrun(&app, &args, &[]);
    assert_ne!(without.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&without.stderr).contains("liba.wasm"));
    let list = format!("/nonexistent:{}", libs.display());
    let with = wrun(&app, &args, &[("WRUN_LIBRARY_PATH", &list)]);
    assert_eq!(
        with.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    assert!(String::from_utf8_lossy(&with.stdout).starts_with("libb: constructor"));
}

#[test]
fn a_library_needed_twice_is_loaded_once() {
    // main NEEDS libgreet and libart; libart NEEDS libgreet.
    let dir = fixtures().join("example");
    let engine = Engine::default();
    let mut p = process_searching(&engine, &dir);
    p.load_main(dir.join("main.wasm")).unwrap();
    assert_eq!(names(&p), vec!["main.wasm", "libgreet.wasm", "libart.wasm"]);
    assert_eq!(p.objects()[0].needed(), &[1, 2]);
    assert_eq!(p.objects()[2].needed(), &[1]);
    assert_eq!(p.run_start().unwrap(), 0);
}

#[test]
fn a_preload_satisfies_needed_entries_of_its_file_name() {
    // As ld.so's LD_PRELOAD: main NEEDS liba and libb, liba NEEDS libb; the
    // preloaded a/libb.wasm is that libb, although b/ holds another file
    // of the same name on the search path.
    let tmp = TempDir::new("twodirs");
    let a = tmp.sub("a");
    let b = tmp.sub("b");
    let case = case_dir("ctors");
    let preloaded = copy(&case.join("libb.wasm"), &a);
    copy(&case.join("liba.wasm"), &b);
    copy(&case.join("libb.wasm"), &b);
    let engine = Engine::default();
    let config = {
        let mut config = quiet_config();
        config.lib_paths = vec![b.clone()];
        config.preload = vec![preloaded.clone()];
        config
    };
    let mut p = Process::new(&engine, config).unwrap();
    p.load_main(case.join("main.wasm")).unwrap();
    assert_eq!(names(&p), vec!["main.wasm", "libb.wasm", "liba.wasm"]);
    assert_eq!(
        p.objects()[1].canonical_path(),
        std::fs::canonicalize(&preloaded).unwrap()
    );
    assert_eq!(p.run_start().unwrap(), 0);

    // And with no search path at all (the main alone in its directory),
    // the preloads are what NEEDED finds.
    let alone = copy(&case.join("main.wasm"), &tmp.sub("m"));
    let config = {
        let mut config = quiet_config();
        config.preload = vec![preloaded, b.join("liba.wasm")];
        config
    };
    let mut p = Process::new(&engine, config).unwrap();
    p.load_main(&alone).unwrap();
    assert_eq!(names(&p), vec!["main.wasm", "libb.wasm", "liba.wasm"]);
}

#[test]
fn needed_cycle_terminates_and_loads_each_library_once() {
    let dir = case_dir("needed-cycle");
    let engine = Engine::default();
    let mut p = process_searching(&engine, &dir);
    p.load_main(dir.join("main.wasm")).unwrap();
    assert_eq!(names(&p), vec!["main.wasm", "liba.wasm", "libb.wasm"]);
    assert_eq!(p.objects()[1].needed(), &[2]);
    assert_eq!(p.objects()[2].needed(), &[1]);
    let f = p.lookup("b_calls_a").and_then(|e| e.into_func()).unwrap();
    let mut out = [Val::I32(0)];
    f.call(p.store_mut(), &[], &mut out).unwrap();
    assert_eq!(out[0], Val::I32(110), "liba's constructor ran before main");
}

#[test]
fn pie_layout_keeps_stack_regions_and_heap_apart() {
    let dir = fixtures().join("example");
    let engine = Engine::default();
    let config = {
        let mut config = quiet_config();
        config.lib_paths = vec![dir.clone()];
        config.stack_size = 64 * 1024;
        config
    };
    let mut p = Process::new(&engine, config).unwrap();
    p.load_main(dir.join("main.wasm")).unwrap();
    let store = p.store();
    let sp = p.stack_pointer().unwrap().get(store).i32().unwrap() as u32;
    assert_eq!(sp, 64 * 1024, "stack first, sized by stack_size");
    let memory_len = p.memory().unwrap().data(store).len() as u64;
    let mut regions: Vec<(u64, u64)> = p
        .objects()
        .iter()
        .map(|o| {
            (
                u64::from(o.memory_base()),
                u64::from(o.memory_base()) + u64::from(o.memory_size()),
            )
        })
        .collect();
    regions.push((0, u64::from(sp)));
    regions.sort();
    for pair in regions.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "regions overlap: {regions:?}");
    }
    let end = regions.iter().map(|r| r.1).max().unwrap();
    assert!(u64::from(p.heap_base()) >= end && end <= memory_len);
    // Table regions: slot 0 stays null; every region inside the table.
    let table = p.table().unwrap();
    assert_eq!(table.get(store, 0), Some(Val::FuncRef(None)));
    for o in p.objects() {
        assert!(o.table_base() >= 1);
        assert!(u64::from(o.table_base()) + u64::from(o.table_size()) <= table.size(store));
    }
}

#[test]
fn non_pie_main_libraries_take_their_data_regions_from_the_mains_malloc() {
    let dir = case_dir("nonpie-libc");
    if !ensure_libc_main(&dir) {
        return;
    }
    let engine = Engine::default();
    let config = {
        let mut config = quiet_config();
        config.preload = vec![dir.join("libplugin.wasm")];
        config
    };
    let mut p = Process::new(&engine, config).unwrap();
    p.load_main(dir.join("main.wasm")).unwrap();
    let main = &p.objects()[0];
    let plugin = &p.objects()[1];
    assert_eq!((main.memory_base(), main.table_base()), (0, 0));
    let align = plugin.module().dylink().unwrap().memory_alignment;
    assert_eq!(plugin.memory_base() % (1 << align), 0, "aligned as asked");
    // Whether it is a heap block shows in the case's output: blocks of
    // hundreds of KiB calloc'ed before and after never touch it.
    let len = p.memory().unwrap().data(p.store()).len() as u64;
    assert!(u64::from(plugin.memory_base()) + u64::from(plugin.memory_size()) <= len);
    assert_eq!(p.run_start().unwrap(), 0);
}

#[test]
fn plain_modules_run_through_the_process_loader() {
    let engine = Engine::default();
    let mut p = Process::new(&engine, quiet_config()).unwrap();
    p.load_main(fixtures().join("wat/add.wasm")).unwrap();
    assert_eq!(p.objects().len(), 1);
    assert_eq!(
        p.invoke("add", &[Val::I32(40), Val::I32(2)]).unwrap(),
        vec![Val::I32(42)]
    );
    let out = wrun(
        &fixtures().join("wat"),
        &[
            "--invoke".into(),
            "add".into(),
            "add.wasm".into(),
            "1".into(),
            "2".into(),
        ],
        &[],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3\n");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn absurd_mem_info_is_rejected_cleanly() {
    let tmp = TempDir::new("absurd");
    let engine = Engine::default();
    let main = tmp.0.join("main.wasm");
    std::fs::write(
        &main,
        synth(&Synth {
            import_memory: true,
            ..Synth::default()
        }),
    )
    .unwrap();
    // (name, MEM_INFO (memory size, its alignment, table size, its alignment), copies)
    type Case = (&'static str, (u32, u32, u32, u32), usize);
    let cases: [Case; 4] = [
        ("huge-mem", (0xffff_fff0, 0, 0, 0), 1),
        ("huge-align", (16, 40, 0, 0), 1),
        ("huge-table", (0, 0, 0x7fff_ffff, 0), 1),
        // Each is accepted alone, but three of them cannot fit in 4 GiB.
        ("too-many", (0x7fff_0000, 0, 0, 0), 3),
    ];
    for (name, mem_info, copies) in cases {
        let preload: Vec<PathBuf> = (0..copies)
            .map(|i| {
                let dir = tmp.sub(&format!("{name}{i}"));
                let path = dir.join(format!("lib{name}.wasm"));
                std::fs::write(
                    &path,
                    synth(&Synth {
                        mem_info,
                        which: Some(i as i32),
                        ..Synth::default()
                    }),
                )
                .unwrap();
                path
            })
            .collect();
        let mut p = Process::new(&engine, {
            let mut config = quiet_config();
            config.preload = preload.clone();
            config
        })
        .unwrap();
        let err = p.load_main(&main).expect_err(name).to_string();
        assert!(
            err.contains(&format!("lib{name}.wasm")),
            "{name}: error does not name the library: {err}"
        );
        let args: Vec<String> = preload
            .iter()
            .flat_map(|p| ["--lib".to_string(), p.display().to_string()])
            .chain(["main.wasm".to_string()])
            .collect();
        let out = wrun(&tmp.0, &args, &[]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("wrun: error:"));
    }
}

#[test]
fn truncated_and_missing_files_are_clean_errors() {
    let tmp = TempDir::new("truncated");
    let case = case_dir("ctors");
    copy(&case.join("main.wasm"), &tmp.0);
    copy(&case.join("libb.wasm"), &tmp.0);
    let bytes = std::fs::read(case.join("liba.wasm")).unwrap();
    std::fs::write(tmp.0.join("liba.wasm"), &bytes[..bytes.len() / 2]).unwrap();
    let engine = Engine::default();
    let mut p = Process::new(&engine, {
        let mut config = quiet_config();
        config.lib_paths = vec![tmp.0.clone()];
        config
    })
    .unwrap();
    let err = p
        .load_main(tmp.0.join("main.wasm"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("liba.wasm (needed by main.wasm)") && err.contains("invalid module"),
        "{err}"
    );

    let out = wrun(&tmp.0, &["-L".into(), ".".into(), "main.wasm".into()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing runs before the load fails");

    let mut p = Process::new(&engine, quiet_config()).unwrap();
    let err = p.load_main(tmp.0.join("nope.wasm")).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Io { .. }), "{err}");
    let out = wrun(&tmp.0, &["nope.wasm".into()], &[]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn link_errors_name_the_symbol_and_the_importer() {
    let dir = case_dir("sig-mismatch");
    let engine = Engine::default();
    let mut p = process_searching(&engine, &dir);
    let err = p.load_main(dir.join("main.wasm")).unwrap_err();
    match err.kind() {
        ErrorKind::Link {
            importer,
            symbol,
            reason,
        } => {
            assert_eq!(importer, "main.wasm");
            assert_eq!(symbol, "env.frob");
            assert!(
                reason.contains("(i32) -> (i32)") && reason.contains("(i32, i32) -> (i32)"),
                "{reason}"
            );
        }
        other => panic!("expected a link error, got {other:?}"),
    }
    // No guest code ran: the error comes before any instance exists.
    assert!(p.objects().iter().all(|o| o.instance().is_none()));
}

#[test]
fn stats_and_stack_size_options() {
    let dir = fixtures().join("example");
    let args: Vec<String> = ["--stats", "--stack-size", "65536", "-L", ".", "main.wasm"]
        .map(String::from)
        .to_vec();
    let out = wrun(&dir, &args, &[]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for phase in ["read", "compile", "link", "init", "run"] {
        assert!(
            stderr.contains(&format!("{phase} ")),
            "--stats lacks {phase}: {stderr}"
        );
    }
}

#[test]
fn loader_provided_names_imported_as_the_wrong_kind_say_so() {
    for (import, wanted) in [
        ("(import \"env\" \"memory\" (table 1 funcref))", "a memory"),
        (
            "(import \"env\" \"__memory_base\" (global i64))",
            "an i32 global",
        ),
        (
            "(import \"env\" \"__stack_pointer\" (global (mut i64)))",
            "an i32 global",
        ),
        (
            "(import \"env\" \"__indirect_function_table\" (memory 1))",
            "a table",
        ),
    ] {
        let module = crate::wat(&format!("(module {import})"));
        let mut p = Process::new(&Engine::default(), quiet_config()).unwrap();
        let error = p.load_main_bytes("wrongkind.wasm", &module).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains(&format!("provided by the dynamic loader as {wanted}")),
            "{import}: {text}"
        );
    }
}

#[test]
fn a_library_of_a_non_pie_main_that_hides_its_stack_pointer_is_refused() {
    // The main defines its memory and its own stack pointer but does not
    // export it: the library would silently run on a second stack.
    let main = crate::wat(
        r#"(module
          (global $sp (mut i32) (i32.const 65536))
          (memory (export "memory") 2)
          (func (export "_start") (global.set $sp (global.get $sp))))"#,
    );
    let lib = crate::wat(
        r#"(module
          (@dylink.0 (mem-info (memory 16 2)))
          (import "env" "memory" (memory 1))
          (import "env" "__stack_pointer" (global (mut i32)))
          (import "env" "__memory_base" (global i32))
          (func (export "f") (result i32) (global.get 0)))"#,
    );
    let tmp = TempDir::new("hidden-sp");
    let dir = tmp.sub("d");
    std::fs::write(dir.join("main.wasm"), main).unwrap();
    std::fs::write(dir.join("libsp.wasm"), lib).unwrap();
    let engine = Engine::default();
    let mut config = quiet_config();
    config.preload = vec![dir.join("libsp.wasm")];
    let mut p = Process::new(&engine, config).unwrap();
    let error = p.load_main(dir.join("main.wasm")).unwrap_err().to_string();
    assert!(error.contains("libsp.wasm"), "{error}");
    assert!(error.contains("-Wl,--export=__stack_pointer"), "{error}");
}
