//! Real C libraries split into a main and shared libraries, nobody here
//! wrote, under a non-PIE main carrying wasi-libc: zlib as `libz.wasm`
//! (checked against host `gzip`) and lz4 as three libraries, one NEEDING
//! the other two (checked against host `lz4`); both also against the same
//! sources linked statically (byte-identical output); and Lua as `liblua.wasm`,
//! whose errors and coroutines are wasm exceptions (checked against host
//! `lua5.4`); and SQLite as `libsqlite3.wasm` (checked against host `sqlite3`).
//! Then over a shared libc (`libc.so`, wasi-libc rebuilt position-independent):
//! a PIE main with a library of our own, zlib, SQLite, Lua and a dlopen'ed
//! library, each against its static twin (or the fixture's expected output).
//!
//! Sources come from crates.io at test time (`wasm-fixtures/real/*/build.sh`;
//! wasi-libc's from PyPI's ziglang wheel)
//! and nothing built from them is committed. Without the toolchain the
//! tests skip with a note, unless `WRUN_REQUIRE_LIBC_TOOLCHAIN` is set (CI).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Builds `wasm-fixtures/real/NAME` into `target/real-libs/NAME` once per
/// test run; `None` (skip) when it cannot be built and CI does not insist.
fn built(name: &str) -> Option<PathBuf> {
    static BUILT: Mutex<Vec<(String, bool)>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let out = root().join("target/real-libs").join(name);
    if let Some((_, ok)) = built.iter().find(|(n, _)| n == name) {
        return ok.then_some(out);
    }
    let script = root()
        .join("wasm-fixtures/real")
        .join(name)
        .join("build.sh");
    let result = Command::new("bash").arg(&script).arg(&out).output();
    let ok = matches!(&result, Ok(o) if o.status.success());
    if !ok {
        let why = match &result {
            Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
            Err(e) => e.to_string(),
        };
        let message = format!(
            "{}: cannot build ({why}); install clang-19 lld-19 llvm-19 wasi-libc",
            script.display()
        );
        assert!(
            std::env::var_os("WRUN_REQUIRE_LIBC_TOOLCHAIN").is_none(),
            "{message}"
        );
        eprintln!("skipped: {message}");
    }
    built.push((name.to_string(), ok));
    ok.then_some(out)
}

fn wrun(dir: &Path, work: &Path, args: &[&str]) -> Output {
    let mapping = format!("{}::/w", work.display());
    Command::new(env!("CARGO_BIN_EXE_wrun"))
        .current_dir(dir)
        .args(["--dir", &mapping])
        .args(args)
        .output()
        .expect("wrun runs")
}

fn ok(out: &Output, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `size` bytes that compress like real data: words from a small
/// vocabulary, numbers and some noise, from a fixed seed.
fn sample(size: usize, seed: u64) -> Vec<u8> {
    const WORDS: [&str; 12] = [
        "shared ", "library ", "memory ", "table ", "linker ", "wasm ", "code ", "page ",
        "symbol ", "GOT ", "export ", "\n",
    ];
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let mut out = Vec::with_capacity(size + 16);
    while out.len() < size {
        match next() % 10 {
            0 => out.extend(format!("{} ", next() % 100_000).bytes()),
            1 => out.push((next() & 0xff) as u8),
            _ => out.extend(WORDS[next() % WORDS.len()].bytes()),
        }
    }
    out.truncate(size);
    out
}

/// A compressor split into a main and libraries: `dynamic` is the
/// argument list that runs it (before its own `c`/`d` arguments), `host` the
/// host's tool for the format (`gzip`, `lz4`), `ext` the file extension.
struct Codec<'a> {
    dir: &'a Path,
    work: &'a Path,
    dynamic: &'a [&'a str],
    /// The static twin's file.
    twin: &'a str,
    host: &'a str,
    ext: &'a str,
}

impl Codec<'_> {
    fn run(&self, args: &[&str]) -> Output {
        let mut full = self.dynamic.to_vec();
        full.extend_from_slice(args);
        wrun(self.dir, self.work, &full)
    }

    /// Compresses `input` at `level` and checks that the host's tool and
    /// the program itself read it back, and that the static twin writes
    /// the same bytes.
    fn check(&self, input: &[u8], level: &str) {
        let what = format!("{} bytes at level {level}", input.len());
        std::fs::write(self.work.join("in"), input).unwrap();
        let packed = format!("/w/dyn.{}", self.ext);
        let dynamic = self.run(&["c", level, "/w/in", &packed]);
        ok(&dynamic, &what);
        let file = self.work.join(format!("dyn.{}", self.ext));
        let bytes = std::fs::read(&file).unwrap();
        let host = Command::new(self.host)
            .args(["-dc", file.to_str().unwrap()])
            .output()
            .unwrap_or_else(|e| panic!("{} is installed: {e}", self.host));
        assert!(
            host.status.success(),
            "{what}: host {} -d failed",
            self.host
        );
        assert!(
            host.stdout == input,
            "{what}: host {} -d differs",
            self.host
        );
        ok(&self.run(&["d", &packed, "/w/out"]), &what);
        assert!(
            std::fs::read(self.work.join("out")).unwrap() == input,
            "{what}: round trip"
        );
        let static_packed = format!("/w/static.{}", self.ext);
        let stat = wrun(
            self.dir,
            self.work,
            &[self.twin, "c", level, "/w/in", &static_packed],
        );
        ok(&stat, &what);
        let static_bytes = std::fs::read(self.work.join(format!("static.{}", self.ext))).unwrap();
        assert!(static_bytes == bytes, "{what}: static twin");
        assert_eq!(dynamic.stdout, stat.stdout, "{what}");
    }
}

#[test]
fn zlib_as_a_shared_library_round_trips_and_matches_its_static_twin() {
    let Some(dir) = built("zlib") else { return };
    let work = std::env::temp_dir().join(format!("wrun-zlib-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let version = wrun(&dir, &work, &["--lib", "libz.wasm", "main.wasm", "v"]);
    ok(&version, "zgz v");
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("zlib "));
    let codec = Codec {
        dir: &dir,
        work: &work,
        dynamic: &["--lib", "libz.wasm", "main.wasm"],
        twin: "static.wasm",
        host: "gzip",
        ext: "gz",
    };
    for (i, size) in [1 << 10, 64 << 10, 1 << 20, 5 << 20]
        .into_iter()
        .enumerate()
    {
        let input = sample(size, i as u64 + 1);
        for level in ["1", "6", "9"] {
            codec.check(&input, level);
        }
    }
    std::fs::remove_dir_all(&work).unwrap();
}

/// The arguments that run a PIE main of `wasm-fixtures/real/pie-libc`
/// over `libc.so` (in its `libc` directory) and its own libraries.
const OVER_SHARED_LIBC: [&str; 4] = ["-L", ".", "-L", "libc"];

/// `wrun` with `OVER_SHARED_LIBC` and then `args` (module and its arguments).
fn wrun_over_shared_libc(dir: &Path, work: &Path, args: &[&str]) -> Output {
    wrun(dir, work, &[&OVER_SHARED_LIBC[..], args].concat())
}

/// The built `wasm-fixtures/real/pie-libc` directory and a fresh work
/// directory (mapped to /w) named after `tag`; `None` when it cannot be
/// built (see `built`).
fn over_shared_libc_work(tag: &str) -> Option<(PathBuf, PathBuf)> {
    let dir = built("pie-libc")?;
    let work = std::env::temp_dir().join(format!("wrun-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    Some((dir, work))
}

#[test]
fn a_pie_main_and_a_library_over_a_shared_libc_match_their_static_twin() {
    // check.wasm NEEDS libwords.so and libc.so. libwords' constructor
    // mallocs and writes a file under the preopened /w (so libc.so must be
    // initialised first); the main checks calloc'd blocks of hundreds of
    // KiB byte by byte before and after, frees what the library allocated,
    // and has the library qsort with its comparison function.
    let Some((dir, work)) = over_shared_libc_work("pie-libc") else {
        return;
    };
    let dynamic = wrun_over_shared_libc(&dir, &work, &["check.wasm"]);
    ok(&dynamic, "check.wasm over libc.so");
    std::fs::remove_file(work.join("ctor.txt")).unwrap();
    let twin = wrun(&dir, &work, &["check-static.wasm"]);
    ok(&twin, "check-static.wasm");
    let text = String::from_utf8_lossy(&dynamic.stdout);
    assert!(
        text.contains("its file says: constructor ran: libwords ready (42)")
            && text.contains("after the library was used: 6 calloc'd blocks"),
        "{text}"
    );
    assert_eq!(text, String::from_utf8_lossy(&twin.stdout));
    // The program graph, as `--list` shows it: libc.so is one object,
    // found once though both the main and libwords NEED it.
    let listing = wrun_over_shared_libc(&dir, &work, &["--list", "check.wasm"]);
    ok(&listing, "--list");
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert_eq!(listing.matches("libc.so =>").count(), 1, "{listing}");
    assert!(listing.contains("libwords.so =>"), "{listing}");
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn a_library_opened_at_run_time_over_a_shared_libc_never_overlaps_its_heap() {
    // The dlopen-libc fixture's program, built as a PIE main over libc.so:
    // megabytes malloc'd and calloc'd before and after it opens libbuf.wasm
    // (whose data region then comes from the end of memory, as libc's sbrk
    // does), every byte checked. It prints what the fixture expects of its
    // non-PIE build.
    let Some((dir, work)) = over_shared_libc_work("dl-libc") else {
        return;
    };
    let out = wrun_over_shared_libc(&dir, &work, &["dl.wasm"]);
    ok(&out, "dl.wasm over libc.so");
    let case = root().join("wasm-fixtures/dylink/dlopen-libc/expected");
    let expected = super::dylink::parse_expected(&std::fs::read_to_string(case).unwrap());
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected.stdout);
    std::fs::remove_dir_all(&work).unwrap();
}

/// Runs `main` of `wasm-fixtures/real/pie-libc` over libc.so with `args`,
/// and its twin `twin` (static, or one module over libc.so); both must
/// succeed and print the same bytes, which are returned.
fn over_shared_libc_and_static(
    dir: &Path,
    work: &Path,
    main: &str,
    twin: &str,
    args: &[&str],
) -> String {
    let split = wrun_over_shared_libc(dir, work, &[&[main], args].concat());
    ok(&split, &format!("{main} over libc.so"));
    // The same search path (a twin that NEEDS nothing ignores it).
    let stat = wrun_over_shared_libc(dir, work, &[&[twin], args].concat());
    ok(&stat, twin);
    let text = String::from_utf8_lossy(&split.stdout).into_owned();
    assert_eq!(
        text,
        String::from_utf8_lossy(&stat.stdout),
        "{main} vs {twin}"
    );
    text
}

#[test]
fn sqlite_over_a_shared_libc_answers_like_the_host_sqlite3() {
    // sqlrun.wasm NEEDS libsqlite3.so, which NEEDS libc.so and wasi-libc's
    // emulation libraries (mman, getpid, process clocks), each a .so.
    let Some((dir, work)) = over_shared_libc_work("sqlite-libc") else {
        return;
    };
    let script = root().join("wasm-fixtures/real/sqlite/check.sql");
    std::fs::copy(&script, work.join("check.sql")).unwrap();
    let text = over_shared_libc_and_static(
        &dir,
        &work,
        "sqlrun.wasm",
        "sqlrun-static.wasm",
        &["/w/check.sql"],
    );
    assert!(text.contains("100000|5000050000|338001|100000"), "{text}");
    let host = Command::new("sqlite3")
        .arg(":memory:")
        .stdin(std::fs::File::open(&script).unwrap())
        .output();
    same_as_host(&text, host, "sqlite3");

    // 100,000 INSERT statements in one transaction into a database file
    // under --dir, then an index and aggregates; the file is then read by
    // the host's sqlite3.
    let mut bulk =
        String::from("CREATE TABLE bulk(id INTEGER PRIMARY KEY, v INTEGER, s TEXT);\nBEGIN;\n");
    for i in 1..=100_000u64 {
        bulk.push_str(&format!(
            "INSERT INTO bulk(v, s) VALUES ({}, 'row{i}');\n",
            i * 7919 % 1000
        ));
    }
    bulk.push_str(
        "COMMIT;\nCREATE INDEX bulk_v ON bulk(v);\n\
         SELECT count(*), sum(v), count(DISTINCT v), max(s) FROM bulk;\n\
         SELECT v, count(*) FROM bulk WHERE v < 3 GROUP BY v;\n\
         SELECT s, rank() OVER (ORDER BY v DESC, id) FROM bulk WHERE id % 25000 = 0;\n",
    );
    std::fs::write(work.join("bulk.sql"), &bulk).unwrap();
    let _ = std::fs::remove_file(work.join("bulk.db"));
    let out = wrun_over_shared_libc(&dir, &work, &["sqlrun.wasm", "/w/bulk.sql", "/w/bulk.db"]);
    ok(&out, "sqlrun.wasm bulk.sql bulk.db");
    let host_db = work.join("host.db");
    let _ = std::fs::remove_file(&host_db);
    let host = Command::new("sqlite3")
        .arg(&host_db)
        .stdin(std::fs::File::open(work.join("bulk.sql")).unwrap())
        .output();
    same_as_host(&String::from_utf8_lossy(&out.stdout), host, "sqlite3");
    let written = Command::new("sqlite3")
        .arg(work.join("bulk.db"))
        .arg("PRAGMA integrity_check; SELECT count(*) FROM bulk;")
        .output();
    same_as_host(
        "ok\n100000\n",
        written,
        "sqlite3 reading the file wrun wrote",
    );
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn lua_over_a_shared_libc_runs_errors_and_coroutines_like_the_host_lua() {
    // luarun.wasm NEEDS liblua.so (Lua plus the setjmp/longjmp runtime: its
    // errors and coroutines are wasm exceptions), which NEEDS libc.so;
    // luarun-static.wasm is the same objects in one module.
    let Some((dir, work)) = over_shared_libc_work("lua-libc") else {
        return;
    };
    let script = root().join("wasm-fixtures/real/lua/check.lua");
    std::fs::copy(&script, work.join("check.lua")).unwrap();
    let text = over_shared_libc_and_static(
        &dir,
        &work,
        "luarun.wasm",
        "luarun-static.wasm",
        &["/w/check.lua"],
    );
    assert!(text.contains("coroutine total\t255000"), "{text}");
    same_as_host(
        &text,
        Command::new("lua5.4").arg(&script).output(),
        "lua5.4",
    );
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn cpp_exceptions_cross_modules_over_a_shared_libc() {
    // catcher.wasm NEEDS libthrow.so and libc++abi.so (the C++ runtime,
    // exceptions as wasm exceptions). libthrow throws Oops to the main; the
    // main's callback throws through libthrow, whose destructors run and
    // which rethrows. No module defines the __cpp_exception tag: the loader
    // gives every importer the same one. catcher-one.wasm is the same code
    // in one module.
    let Some((dir, work)) = over_shared_libc_work("cxx") else {
        return;
    };
    let text = over_shared_libc_and_static(&dir, &work, "catcher.wasm", "catcher-one.wasm", &[]);
    assert_eq!(
        text,
        "risky(3) = 6\n\
         risky(-7) threw Oops{7}, caught in the main\n\
         risky(5) = 10\n\
         risky(-1) threw Oops{1}, caught in the main\n\
         through(callback, 4) = 5\n\
         through(callback, 13) = -13\n\
         Oops{500} from the main's callback passed through libthrow, caught in the main\n\
         destructors run in libthrow: 3\n\
         caught int 42\n"
    );
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn zlib_over_a_shared_libc_round_trips_and_matches_its_static_twin() {
    // zgz.wasm NEEDS libz.so and libc.so; zgz-static.wasm is zgz + zlib +
    // zig's static wasi-libc in one module.
    let Some((dir, work)) = over_shared_libc_work("zlib-libc") else {
        return;
    };
    let mut dynamic = OVER_SHARED_LIBC.to_vec();
    dynamic.push("zgz.wasm");
    let codec = Codec {
        dir: &dir,
        work: &work,
        dynamic: &dynamic,
        twin: "zgz-static.wasm",
        host: "gzip",
        ext: "gz",
    };
    for (i, size) in [1 << 10, 1 << 20, 5 << 20].into_iter().enumerate() {
        let input = sample(size, i as u64 + 11);
        for level in ["1", "6", "9"] {
            codec.check(&input, level);
        }
    }
    std::fs::remove_dir_all(&work).unwrap();
}

#[test]
fn lz4_split_into_three_libraries_round_trips_and_matches_its_static_twin() {
    // main.wasm uses liblz4frame.wasm (given with --lib), which NEEDS
    // liblz4.wasm and libxxhash.wasm, found through -L.
    let Some(dir) = built("lz4") else { return };
    let work = std::env::temp_dir().join(format!("wrun-lz4-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let codec = Codec {
        dir: &dir,
        work: &work,
        dynamic: &["-L", ".", "--lib", "liblz4frame.wasm", "main.wasm"],
        twin: "static.wasm",
        host: "lz4",
        ext: "lz4",
    };
    for (i, size) in [1 << 10, 1 << 20, 5 << 20].into_iter().enumerate() {
        let input = sample(size, 100 + i as u64);
        for level in ["0", "9"] {
            codec.check(&input, level);
        }
    }
    std::fs::remove_dir_all(&work).unwrap();
}

/// Runs `main.wasm` with the shared library `lib`, and the static twin, on
/// the script `/w/SCRIPT`; both must succeed and print the same. That output.
fn split_and_static(dir: &Path, work: &Path, lib: &str, script: &str) -> String {
    let path = format!("/w/{script}");
    let split = wrun(dir, work, &["--lib", lib, "main.wasm", &path]);
    ok(&split, &format!("{lib} + main.wasm"));
    let stat = wrun(dir, work, &["static.wasm", &path]);
    ok(&stat, "static.wasm");
    let text = String::from_utf8_lossy(&split.stdout).into_owned();
    assert_eq!(
        text,
        String::from_utf8_lossy(&stat.stdout),
        "split vs static"
    );
    text
}

/// Checks that `text` is what the host's `tool` printed (`host`, its run).
/// Without the tool the comparison is skipped with a note, except in CI.
fn same_as_host(text: &str, host: std::io::Result<Output>, tool: &str) {
    match host {
        Ok(host) => {
            ok(&host, &format!("host {tool}"));
            assert_eq!(
                text,
                String::from_utf8_lossy(&host.stdout),
                "wrun vs host {tool}"
            );
        }
        Err(e) => {
            assert!(
                std::env::var_os("WRUN_REQUIRE_LIBC_TOOLCHAIN").is_none(),
                "no host {tool} to compare with: {e}"
            );
            eprintln!("note: no host {tool} ({e}); compared split and static only");
        }
    }
}

/// Lua 5.4 as `liblua.wasm` under our small `luarun` main. Lua raises
/// errors and yields coroutines with longjmp, built here into wasm
/// exceptions (`-mllvm -wasm-enable-sjlj`): `check.lua` goes through
/// pcall, error objects, errors in metamethods and comparators, stack
/// overflow, and coroutines yielding across pcall, and its output must be
/// byte for byte the static twin's and the host `lua5.4`'s.
#[test]
fn lua_as_a_shared_library_runs_errors_and_coroutines_like_the_host_lua() {
    let Some(dir) = built("lua") else { return };
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let script = root().join("wasm-fixtures/real/lua/check.lua");
    std::fs::copy(&script, work.join("check.lua")).unwrap();
    let text = split_and_static(&dir, &work, "liblua.wasm", "check.lua");
    assert!(text.contains("coroutine total\t255000"), "{text}");
    same_as_host(
        &text,
        Command::new("lua5.4").arg(&script).output(),
        "lua5.4",
    );
}

/// SQLite (the amalgamation and the WASI VFS that rusqlite uses) as
/// `libsqlite3.wasm` under our small `sqlrun` main: `check.sql` (tables,
/// indexes, joins, aggregates, window functions, recursive CTEs over 100,000
/// rows, triggers, views, a rolled-back transaction, upsert, JSON) must
/// print byte for byte what the static twin and the host `sqlite3` shell do.
#[test]
fn sqlite_as_a_shared_library_answers_like_the_host_sqlite3() {
    let Some(dir) = built("sqlite") else { return };
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let script = root().join("wasm-fixtures/real/sqlite/check.sql");
    std::fs::copy(&script, work.join("check.sql")).unwrap();
    let text = split_and_static(&dir, &work, "libsqlite3.wasm", "check.sql");
    assert!(text.contains("100000|5000050000|338001|100000"), "{text}");
    let host = Command::new("sqlite3")
        .arg(":memory:")
        .stdin(std::fs::File::open(&script).unwrap())
        .output();
    same_as_host(&text, host, "sqlite3");
}
