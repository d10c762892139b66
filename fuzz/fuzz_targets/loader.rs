//! The dynamic loader on arbitrary input: up to three modules cut from the
//! input (a main and two libraries it may NEED, as `liba.wasm` and
//! `libb.wasm`), written to a directory and loaded as a process with that
//! directory on the search path; `_start` runs under an epoch deadline.
//! Whatever the bytes, the outcome is a value (loaded, an error, a trap),
//! never a panic or a crash. Seed the corpus with wasm-fixtures/dylink/*.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;
use common::engine;

fuzz_target!(|data: &[u8]| {
    // Layout: two u16 lengths, then main, liba, libb (the rest).
    if data.len() < 4 {
        return;
    }
    let a = usize::from(u16::from_le_bytes([data[0], data[1]]));
    let b = usize::from(u16::from_le_bytes([data[2], data[3]]));
    let rest = &data[4..];
    let a = a.min(rest.len());
    let b = b.min(rest.len() - a);
    let (main, rest) = rest.split_at(a);
    let (liba, libb) = rest.split_at(b);
    let dir = std::env::temp_dir().join(format!("wrun-fuzz-loader-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    std::fs::write(dir.join("liba.wasm"), liba).unwrap();
    std::fs::write(dir.join("libb.wasm"), libb).unwrap();
    let quiet = wrun::wasi::WasiCtx::builder().inherit_stdio(false).build();
    let config = wrun::ProcessConfig::new()
        .lib_path(&dir)
        .wasi(quiet)
        .limits(
            wrun::StoreLimits::new()
                .memory_size(64 << 20)
                .table_elements(100_000),
        );
    let Ok(mut process) = wrun::Process::new(engine(), config) else {
        return;
    };
    process.store_mut().set_epoch_deadline(20);
    if process.load_main_bytes("main.wasm", main).is_ok() {
        let _ = process.run_start();
    }
});
