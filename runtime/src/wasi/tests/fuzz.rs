//! A deterministic random-call test: arbitrary arguments must never panic,
//! and path-like garbage must never touch anything outside the sandbox.

use super::*;
use crate::wasi::{functions, WasiValType};

/// Small xorshift generator, so the test is reproducible without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Fills memory with bytes that often form paths (`..`, `/`, short names)
/// and small little-endian integers (plausible pointers and lengths).
fn scramble(rng: &mut Rng, mem: &mut [u8]) {
    const ALPHABET: &[u8] = b"ab./..//x";
    for b in mem.iter_mut() {
        *b = match rng.below(4) {
            0 | 1 => ALPHABET[rng.below(ALPHABET.len() as u64) as usize],
            2 => rng.below(16) as u8,
            _ => rng.next() as u8,
        };
    }
}

/// A random argument: mostly small values (fds, lengths, in-bounds
/// pointers), sometimes anything. 64-bit values are kept small so that
/// `fd_allocate`/`fd_filestat_set_size` cannot fill the host disk.
fn arg(rng: &mut Rng, ty: WasiValType, mem_len: u64) -> u64 {
    match (ty, rng.below(8)) {
        (WasiValType::I64, _) => rng.below(4096),
        (WasiValType::I32, 0..=2) => rng.below(12),
        (WasiValType::I32, 3..=5) => rng.below(mem_len + 64),
        (WasiValType::I32, _) => rng.next() & 0xffff_ffff,
    }
}

#[test]
fn random_calls_never_panic_or_escape() {
    with_openat2(random_calls);
}

#[test]
fn random_calls_never_panic_or_escape_walk() {
    with_walk(random_calls);
}

/// Body of the two tests above, one per path resolver.
fn random_calls() {
    let root = TempDir::new("fuzz");
    let sandbox = root.path().join("sandbox");
    let outside = root.path().join("outside");
    std::fs::create_dir_all(sandbox.join("a/b")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("keep"), b"keep").unwrap();
    std::fs::write(sandbox.join("a/x"), b"x").unwrap();

    // poll_oneoff could sleep for random durations and proc_exit ends the
    // guest; both are covered by dedicated tests.
    let candidates: Vec<_> = functions()
        .iter()
        .filter(|f| f.name != "poll_oneoff" && f.name != "proc_exit")
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut mem = vec![0u8; 1024];
    for round in 0..40 {
        let mut ctx = WasiCtxBuilder::new()
            .inherit_stdio(false)
            .preopened_dir(sandbox.clone(), "/".to_string())
            .unwrap()
            .build();
        for _ in 0..500 {
            if rng.below(8) == 0 {
                scramble(&mut rng, &mut mem);
            }
            let f = candidates[rng.below(candidates.len() as u64) as usize];
            let args: Vec<u64> = f
                .params
                .iter()
                .map(|&ty| arg(&mut rng, ty, mem.len() as u64))
                .collect();
            let r = ctx.call(f.name, &mut mem, &args);
            match r {
                Ok(v) => assert_eq!(v.len(), 1, "round {round}: {}", f.name),
                Err(e) => panic!("round {round}: {} returned {e:?}", f.name),
            }
        }
    }
    // Nothing outside the sandbox was created, removed or changed.
    let mut top: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    top.sort();
    assert_eq!(top, ["outside", "sandbox"]);
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);
    assert_eq!(std::fs::read(outside.join("keep")).unwrap(), b"keep");
}
