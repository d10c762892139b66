//! The `wrun` command line: arguments, results, exit statuses and messages.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("wasm-fixtures")
        .join(path)
}

fn wrun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wrun"))
        .args(args)
        .output()
        .expect("wrun runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn invoke_prints_each_result_on_its_own_line() {
    let add = fixture("wat/add.wasm");
    let out = wrun(&["--invoke", "add", add.to_str().unwrap(), "2", "-5"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "-3\n");
}

#[test]
fn invoke_handles_all_number_types_and_multiple_results() {
    let add = fixture("wat/add.wasm");
    // swap: (i64, f64) -> (f64, i64)
    let out = wrun(&["--invoke", "swap", add.to_str().unwrap(), "-7", "2.5"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "2.5\n-7\n");
    // divmod: (i32, i32) -> (i32, i32)
    let out = wrun(&["--invoke", "divmod", add.to_str().unwrap(), "17", "5"]);
    assert_eq!(text(&out.stdout), "3\n2\n");
}

#[test]
fn a_trap_exits_134_with_the_spec_message() {
    let trap = fixture("wat/trap.wasm");
    for (export, args, message) in [
        ("unreachable", vec![], "wasm trap: unreachable"),
        ("div_zero", vec!["0"], "wasm trap: integer divide by zero"),
        ("oob", vec![], "wasm trap: out of bounds memory access"),
        ("recurse", vec!["0"], "wasm trap: call stack exhausted"),
    ] {
        let mut argv = vec!["--invoke", export, trap.to_str().unwrap()];
        argv.extend(args);
        let out = wrun(&argv);
        assert_eq!(out.status.code(), Some(134), "{export}");
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with(message), "{export}: {stderr}");
        assert!(stderr.contains("wasm backtrace:"), "{export}: {stderr}");
    }
}

#[test]
fn proposals_are_on_by_default_and_w_turns_them_off() {
    let simd = fixture("wat/simd.wasm");
    let simd = simd.to_str().unwrap();
    let out = wrun(&["--invoke", "sum4", simd, "40", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "42");
    let out = wrun(&["-W", "simd=n", "--invoke", "sum4", simd, "40", "2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("SIMD support is not enabled"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn load_errors_exit_1_with_one_clear_line() {
    let missing = wrun(&["/nonexistent/x.wasm"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("cannot read /nonexistent/x.wasm"));

    let threads = fixture("wat/threads.wasm");
    let out = wrun(&[threads.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unsupported feature: threads"),
        "{}",
        text(&out.stderr)
    );

    let dir = std::env::temp_dir().join(format!("wrun-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.wasm");
    std::fs::write(&garbage, b"\0asm\x01\0\0\0\x01\xff\xff\xff").unwrap();
    let out = wrun(&[garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("invalid module"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_are_reported() {
    let add = fixture("wat/add.wasm");
    let out = wrun(&["--invoke", "add", add.to_str().unwrap(), "2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("takes 2 arguments"),
        "{}",
        text(&out.stderr)
    );
    let out = wrun(&["--invoke", "add", add.to_str().unwrap(), "2", "x"]);
    assert!(
        text(&out.stderr).contains("cannot parse `x` as i32"),
        "{}",
        text(&out.stderr)
    );
    let out = wrun(&["--no-such-option", add.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown option"));
}

#[test]
fn help_and_version() {
    let out = wrun(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("--invoke <NAME>"));
    let out = wrun(&["--version"]);
    assert!(text(&out.stdout).starts_with("wrun "));
}

#[test]
fn what_is_not_a_module_is_refused_in_one_line_without_reading_it_all() {
    let dir = std::env::temp_dir().join(format!("wrun-notwasm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text_file = dir.join("notes.wasm");
    std::fs::write(&text_file, "hello, this is text\n").unwrap();
    let out = wrun(&[text_file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not a WebAssembly module"), "{stderr}");

    // /dev/zero would be read without end: refused before reading.
    let add = fixture("wat/add.wasm");
    for args in [
        vec!["/dev/zero"],
        vec!["--lib", "/dev/zero", add.to_str().unwrap()],
    ] {
        let out = wrun(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(text(&out.stderr).contains("not a regular file"), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_exit_status_beyond_a_byte_is_an_error_not_a_wrapped_success() {
    let out = wrun(&[fixture("wat/exit256.wasm").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("status 256"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn names_from_modules_cannot_forge_lines() {
    let error = wrun::Error::new(wrun::ErrorKind::LibraryNotFound {
        name: "libx.wasm\nwrun: all good\x1b[2J".into(),
        needed_by: "main.wasm".into(),
        searched: vec![],
    });
    let shown = error.to_string();
    assert_eq!(shown.lines().count(), 1, "{shown}");
    assert!(!shown.contains('\x1b'), "{shown}");
}

#[test]
fn timeout_interrupts_an_endless_loop() {
    let spin = fixture("wat/spin.wasm");
    let out = wrun(&["--timeout", "100ms", spin.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(134));
    assert!(
        text(&out.stderr).starts_with("wasm trap: interrupt"),
        "{}",
        text(&out.stderr)
    );
    let out = wrun(&["--timeout", "forever", spin.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn redirected_stdio_is_not_reported_as_a_terminal() {
    // stdin is /dev/null (a character device), stdout and stderr are pipes:
    // wasi-libc's isatty() must say no for all three (CPython would print
    // its interactive banner otherwise). The guest exits with the mask.
    let out = Command::new(env!("CARGO_BIN_EXE_wrun"))
        .arg(fixture("wat/isatty.wasm"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("wrun runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "fds that looked like terminals (bit mask)"
    );
}

#[test]
fn list_prints_the_resolved_libraries_without_running_anything() {
    let example = fixture("example");
    let main = example.join("main.wasm");
    let out = wrun(&[
        "--list",
        "-L",
        example.to_str().unwrap(),
        main.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].starts_with("main.wasm => ") && lines[0].contains("(main)"));
    assert!(
        lines[1].starts_with("libgreet.wasm => ") && lines[1].contains("(needed by main.wasm)")
    );
    assert!(lines[2].starts_with("libart.wasm => ") && lines[2].contains("table 1+0"));
    // No constructor ran: libgreet's prints a line when it does.
    assert!(!stdout.contains("constructor ran"), "{stdout}");
}

#[test]
fn wrun_debug_traces_search_bindings_and_init_order() {
    let example = fixture("example");
    let main = example.join("main.wasm");
    let out = Command::new(env!("CARGO_BIN_EXE_wrun"))
        .env("WRUN_DEBUG", "libs,bindings,init")
        .args(["-L", example.to_str().unwrap(), main.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("wrun: libs: libgreet.wasm needed by main.wasm: found "),
        "{stderr}"
    );
    assert!(stderr.contains("wrun: libs: libgreet.wasm needed by libart.wasm: already loaded"));
    assert!(stderr.contains("wrun: bindings: libart.wasm: env.greet -> libgreet.wasm"));
    let inits: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("wrun: init:") && l.ends_with("__wasm_call_ctors"))
        .collect();
    assert_eq!(
        inits,
        [
            "wrun: init: libgreet.wasm __wasm_call_ctors",
            "wrun: init: libart.wasm __wasm_call_ctors"
        ]
    );
}

#[test]
fn preload_satisfies_imports_from_a_named_module_as_wasmtime_does() {
    let dir = std::env::temp_dir().join(format!("wrun-preload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A helper with state of its own (a call counter) and a WASI import.
    let helper = crate::wat(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
          (global $calls (mut i32) (i32.const 0))
          (func (export "double") (param i32) (result i32)
            (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
            (i32.mul (local.get 0) (i32.const 2)))
          (func (export "calls") (result i32) (global.get $calls)))"#,
    );
    let user = crate::wat(
        r#"(module
          (import "helper" "double" (func $double (param i32) (result i32)))
          (import "helper" "calls" (func $calls (result i32)))
          (func (export "run") (param i32) (result i32)
            (drop (call $double (local.get 0)))
            (i32.add (call $double (local.get 0)) (i32.mul (call $calls) (i32.const 1000)))))"#,
    );
    std::fs::write(dir.join("helper.wasm"), helper).unwrap();
    std::fs::write(dir.join("user.wasm"), user).unwrap();
    let spec = format!("helper={}", dir.join("helper.wasm").display());
    let user = dir.join("user.wasm");
    let out = wrun(&[
        "--preload",
        &spec,
        "--invoke",
        "run",
        user.to_str().unwrap(),
        "21",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "2042\n");
    // Without it, the import is a link error naming it.
    let out = wrun(&["--invoke", "run", user.to_str().unwrap(), "21"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("helper.double"),
        "{}",
        text(&out.stderr)
    );
    let out = wrun(&["--preload", "helper", user.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn limits_given_with_dash_w_stop_a_program_with_a_clear_error() {
    let example = fixture("example");
    let main = example.join("main.wasm");
    let (dir, main) = (example.to_str().unwrap(), main.to_str().unwrap());
    for (limit, message) in [
        ("max-instances=2", "at most 2 instances"),
        ("max-code-size=1000", "more than its limit of 1000"),
        (
            "max-memory-size=1048576",
            "resource limit exceeded: at most 1048576 bytes",
        ),
    ] {
        let out = wrun(&["-W", limit, "-L", dir, main]);
        assert_eq!(out.status.code(), Some(1), "{limit}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(message), "{limit}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{limit}: one line: {stderr}");
    }
    // Generous limits change nothing.
    let out = wrun(&[
        "-W",
        "max-instances=3,max-memory-size=4194304",
        "-L",
        dir,
        main,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A small wasm stack makes deep recursion trap sooner, still as a trap.
    let trap = fixture("wat/trap.wasm");
    let out = wrun(&[
        "-W",
        "max-wasm-stack=65536",
        "--invoke",
        "recurse",
        trap.to_str().unwrap(),
        "0",
    ]);
    assert_eq!(out.status.code(), Some(134));
    assert!(text(&out.stderr).starts_with("wasm trap: call stack exhausted"));
}

#[test]
fn under_an_address_space_limit_memories_fall_back_to_bounds_checks() {
    // 6 GB of address space cannot hold one guarded 8 GiB reservation:
    // wrun then compiles explicit bounds checks and still runs the program,
    // and an out-of-bounds access is still a trap.
    let example = fixture("example");
    let trap = fixture("wat/trap.wasm");
    let script = format!(
        "ulimit -v 6000000 && \"$0\" --no-cache -L {dir} {dir}/main.wasm && \
         \"$0\" --no-cache --invoke oob {trap}",
        dir = example.display(),
        trap = trap.display()
    );
    let out = Command::new("bash")
        .args(["-c", &script, env!("CARGO_BIN_EXE_wrun")])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("=== bye ==="),
        "{stdout}{}",
        text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(134), "{}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("wasm trap: out of bounds memory access"));
}
