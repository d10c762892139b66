//! Self-differential execution for what the reference (wasmi) cannot run:
//! a wasm-smith module with exception handling, tail calls and SIMD
//! (bounded to terminate, NaNs canonicalised) runs on wrun twice, with the
//! default code generation and with explicit bounds checks plus epoch checks
//! (which keep a register for the poll page). Results, traps, exported
//! globals and memory must agree: code-generation settings must never
//! change what a program does.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

mod smith;

/// One call's outcome: results as raw bits (references as null or not),
/// or the trap.
#[derive(Debug, PartialEq)]
enum Outcome {
    Values(Vec<u128>),
    Trap(Option<wrun::Trap>),
    /// The stack limit: frame sizes differ between settings, so not compared.
    Exhausted,
}

/// One module instantiated under one engine setting.
struct Run {
    store: wrun::Store<()>,
    instance: wrun::Instance,
}

impl Run {
    /// `None` when instantiation traps (the other setting must trap too).
    fn new(config: wrun::Config, bytes: &[u8]) -> Result<Run, Outcome> {
        let engine = wrun::Engine::new(config).expect("engine");
        let module = wrun::Module::new(&engine, bytes)
            .unwrap_or_else(|e| panic!("wrun rejected a wasm-smith module: {e}"));
        let mut store = wrun::Store::new(&engine, ());
        match wrun::Instance::new(&mut store, &module, &[]) {
            Ok(instance) => Ok(Run { store, instance }),
            Err(e) => Err(Outcome::Trap(e.trap())),
        }
    }

    fn call(&mut self, name: &str, args: &[wrun::Val]) -> Outcome {
        let func = self.instance.get_func(&self.store, name).expect("export");
        let ty = func.ty(&self.store);
        let mut results: Vec<wrun::Val> = ty
            .results()
            .iter()
            .map(|t| wrun::Val::default_for(*t))
            .collect();
        match func.call(&mut self.store, args, &mut results) {
            Ok(()) => Outcome::Values(results.iter().map(smith::bits).collect()),
            Err(e) if e.trap() == Some(wrun::Trap::StackOverflow) => Outcome::Exhausted,
            Err(e) => Outcome::Trap(e.trap()),
        }
    }
}

/// Arguments for `ty` from the input; `None` when a parameter has no value
/// the host can make (an exnref: only wasm creates exceptions).
fn arguments(u: &mut Unstructured<'_>, ty: &wrun::FuncType) -> Option<Vec<wrun::Val>> {
    ty.params()
        .iter()
        .map(|p| {
            let bits: u128 = u.arbitrary().unwrap_or(0);
            Some(match p {
                wrun::ValType::I32 => wrun::Val::I32(bits as i32),
                wrun::ValType::I64 => wrun::Val::I64(bits as i64),
                wrun::ValType::F32 => wrun::Val::F32(bits as u32),
                wrun::ValType::F64 => wrun::Val::F64(bits as u64),
                wrun::ValType::V128 => wrun::Val::V128(bits),
                wrun::ValType::FuncRef => wrun::Val::FuncRef(None),
                wrun::ValType::ExternRef => wrun::Val::ExternRef(None),
                wrun::ValType::ExnRef => return None,
            })
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Some(bytes) = smith::module(smith::config_beyond_wasmi(), &mut u) else {
        return;
    };
    let checked = wrun::Config::new()
        .memory_guard(Some(false))
        .epoch_interruption(true);
    let (mut plain, mut other) = match (
        Run::new(wrun::Config::new(), &bytes),
        Run::new(checked, &bytes),
    ) {
        (Ok(plain), Ok(other)) => (plain, other),
        (Err(a), Err(b)) => return assert_eq!(a, b, "instantiation traps differ"),
        (a, b) => panic!(
            "instantiation differs: default {:?}, bounds+epoch checks {:?}",
            a.err(),
            b.err()
        ),
    };
    let module = plain.instance.module(&plain.store);
    let exports: Vec<(String, wrun::ExternType)> =
        module.exports().map(|(n, t)| (n.to_string(), t)).collect();
    for (name, ty) in &exports {
        let wrun::ExternType::Func(fty) = ty else {
            continue;
        };
        let Some(args) = arguments(&mut u, fty) else {
            continue;
        };
        let a = plain.call(name, &args);
        let b = other.call(name, &args);
        if a == Outcome::Exhausted || b == Outcome::Exhausted {
            return; // the states may differ from here on
        }
        assert_eq!(a, b, "{name}: default and bounds+epoch checks disagree");
    }
    for (name, ty) in &exports {
        match ty {
            wrun::ExternType::Global(_) => {
                let a = plain.instance.get_global(&plain.store, name).unwrap();
                let b = other.instance.get_global(&other.store, name).unwrap();
                assert_eq!(
                    smith::bits(&a.get(&plain.store)),
                    smith::bits(&b.get(&other.store)),
                    "global {name}"
                );
            }
            wrun::ExternType::Memory(_) => {
                let a = plain.instance.get_memory(&plain.store, name).unwrap();
                let b = other.instance.get_memory(&other.store, name).unwrap();
                assert!(
                    a.data(&plain.store) == b.data(&other.store),
                    "memory {name}"
                );
            }
            _ => {}
        }
    }
});
