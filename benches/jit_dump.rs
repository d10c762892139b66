//! Investigation tool (not a benchmark): writes the machine code wrun
//! generated for a module to a file, so it can be disassembled, and
//! optionally runs an export under `perf record` so hot addresses can be
//! matched to that disassembly.
//!
//! ```text
//! cargo bench --no-run --bench jit_dump
//! target/release/deps/jit_dump-HASH MODULE.wasm OUT.bin [EXPORT I32_ARG [CALLS]]
//! objdump -D -b binary -m i386:x86-64 --adjust-vma=START OUT.bin
//! ```
//!
//! wrun exposes only `Func::code_address` and `Module::code_size`, not the
//! extent of each function, so the tool dumps the whole executable mapping
//! (from /proc/self/maps) that holds the exported functions and prints
//! `START` and each export's address. Cranelift functions start with
//! `push rbp; mov rbp, rsp`, which shows the boundaries. With `EXPORT ARG`,
//! it then calls `EXPORT(ARG)` `CALLS` times (default 1) and prints the
//! result: run it as `perf record -e cpu-clock -- jit_dump ...` and compare
//! `perf script -F ip` with the dump (the mapping is the same in-process).
//!
//! With `WRUN_EPOCH=1` in the environment, the code has epoch checks (as
//! under `--timeout`).
//!
//! Run without arguments (as `cargo bench` does), it does nothing.

use std::io::Write;
use wrun::{Engine, Linker, Module, Store, Val};

/// (start, end) of the /proc/self/maps line containing `addr`.
fn mapping_of(addr: usize) -> Option<(usize, usize)> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    for line in maps.lines() {
        let range = line.split_whitespace().next()?;
        let (a, b) = range.split_once('-')?;
        let (a, b) = (
            usize::from_str_radix(a, 16).ok()?,
            usize::from_str_radix(b, 16).ok()?,
        );
        if (a..b).contains(&addr) {
            return Some((a, b));
        }
    }
    None
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if args.len() < 2 {
        eprintln!("usage: jit_dump MODULE.wasm OUT.bin [EXPORT I32_ARG [CALLS]]");
        return;
    }
    // WRUN_EPOCH=1 compiles the epoch checks in, as `--timeout` does.
    let epoch = std::env::var_os("WRUN_EPOCH").is_some();
    let engine = Engine::new(wrun::Config::new().epoch_interruption(epoch)).expect("engine");
    let module = Module::from_file(&engine, &args[0]).expect("module compiles");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new()
        .instantiate(&mut store, &module)
        .expect("module instantiates");
    let mut funcs: Vec<(String, usize)> = instance
        .exports(&store)
        .into_iter()
        .filter_map(|(name, ext)| ext.into_func().map(|f| (name, f.code_address(&store))))
        .collect();
    funcs.sort_by_key(|(_, addr)| *addr);
    let first = funcs.first().expect("module exports a function").1;
    let (start, end) = mapping_of(first).expect("code is mapped");
    // Cap the dump: the mapping may be larger than this module's code.
    let len = (end - start).min(module.code_size() + (1 << 20));
    // SAFETY: [start, start+len) lies inside a readable executable mapping.
    let code = unsafe { std::slice::from_raw_parts(start as *const u8, len) };
    std::fs::File::create(&args[1])
        .and_then(|mut f| f.write_all(code))
        .expect("write dump");
    println!(
        "START=0x{start:x} len={len} code_size={}",
        module.code_size()
    );
    for (name, addr) in &funcs {
        println!("export {name} at 0x{addr:x} (+0x{:x})", addr - start);
    }
    if let Some(memory) = instance.get_memory(&store, "memory") {
        println!("memory base 0x{:x}", memory.data(&store).as_ptr() as usize);
    }
    if args.len() >= 4 {
        let func = instance.get_func(&store, &args[2]).expect("export exists");
        let arg: i32 = args[3].parse().expect("i32 argument");
        let calls: usize = args.get(4).and_then(|c| c.parse().ok()).unwrap_or(1);
        let mut results = vec![Val::I64(0); func.ty(&store).results().len()];
        for _ in 0..calls {
            func.call(&mut store, &[Val::I32(arg)], &mut results)
                .expect("call succeeds");
        }
        println!("{}({arg}) x{calls} = {results:?}", args[2]);
    }
}
