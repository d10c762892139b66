//! Helpers shared by the bench targets (each target includes this file with
//! `mod common;`, so not every helper is used by every target).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Absolute path of a file under `wasm-fixtures/`.
pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("wasm-fixtures")
        .join(relative)
}

/// Reads a fixture, panicking with its path if it is missing.
pub fn read_fixture(relative: &str) -> Vec<u8> {
    let path = fixture(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Reads an unsigned LEB128 u32 at `*pos`, advancing `*pos`.
fn read_u32_leb(bytes: &[u8], pos: &mut usize) -> u32 {
    let mut result: u32 = 0;
    let mut shift = 0;
    loop {
        let byte = bytes[*pos];
        *pos += 1;
        result |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return result;
        }
        shift += 7;
        assert!(shift < 35, "malformed LEB128 section size");
    }
}

/// Size in bytes of the payload of the code section (id 10), i.e. what
/// `wasm-objdump -h` reports as the Code section size. Panics if the module
/// has no code section.
pub fn code_section_size(bytes: &[u8]) -> u64 {
    assert!(
        bytes.len() >= 8 && &bytes[0..4] == b"\0asm",
        "not a wasm binary"
    );
    let mut pos = 8; // magic + version
    while pos < bytes.len() {
        let id = bytes[pos];
        pos += 1;
        let size = read_u32_leb(bytes, &mut pos) as usize;
        if id == 10 {
            return size as u64;
        }
        pos += size;
    }
    panic!("module has no code section");
}

/// The compute kernels and the n used by `benches/kernels.rs` (about
/// 50–200 ms per call on the 2-core dev machine; the recommended n of
/// wasm-fixtures/README.md is 3–10x larger).
pub const KERNELS: &[(&str, i32)] = &[
    ("sieve", 10_000_000),
    ("matmul", 400),
    ("hash", 50_000_000),
    ("nbody", 1_000_000),
    ("qsort", 500_000),
];

/// The README's "small check" of each kernel: (n, expected result).
pub fn small_check(kernel: &str) -> (i32, i64) {
    match kernel {
        "sieve" => (1000, 184717953542495),
        "matmul" => (50, 281756),
        "hash" => (1000, -5372274750824212817),
        "nbody" => (1000, -169087605),
        "qsort" => (1000, 412495757491600),
        _ => panic!("unknown kernel {kernel}"),
    }
}
