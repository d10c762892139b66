//! Differential execution for what wasmi cannot run: a wasm-smith module
//! with exception handling, tail calls and SIMD (bounded to terminate, NaNs
//! canonicalised) runs on wrun and on the wasmtime crate (48, Cranelift as
//! well, but its own translation, exception unwinder and tail-call ABI).
//! Every exported function is called with arguments from the input;
//! results, whether and how a call traps, exported globals and exported
//! memories must agree.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

mod smith;

/// What kind of trap ended a call, in terms both engines can say (their
/// own codes differ in detail: wasmtime reports an out-of-bounds
/// `call_indirect` as a table access, for one).
#[derive(Debug, PartialEq, Clone, Copy)]
enum TrapKind {
    Unreachable,
    Memory,
    /// Tables and indirect calls: out of bounds, null, wrong signature.
    TableOrCall,
    Arithmetic,
    /// An exception no handler caught before the host.
    Uncaught,
    /// `throw_ref` of a null exnref.
    NullReference,
    Other,
}

/// One call's outcome: results as raw bits (references as null or not),
/// or how it trapped.
#[derive(Debug, PartialEq)]
enum Outcome {
    Values(Vec<u128>),
    Trap(TrapKind),
    /// Stack exhaustion: engines' frames differ in size, so not compared.
    Exhausted,
}

fn wrun_trap(error: &wrun::Error) -> Outcome {
    use wrun::Trap as T;
    Outcome::Trap(match error.trap() {
        Some(T::StackOverflow) => return Outcome::Exhausted,
        Some(T::Unreachable) => TrapKind::Unreachable,
        Some(T::MemoryOutOfBounds) => TrapKind::Memory,
        Some(
            T::TableOutOfBounds
            | T::UndefinedElement
            | T::UninitializedElement
            | T::IndirectCallTypeMismatch,
        ) => TrapKind::TableOrCall,
        Some(T::IntegerDivisionByZero | T::IntegerOverflow | T::BadConversionToInteger) => {
            TrapKind::Arithmetic
        }
        Some(T::UncaughtException) => TrapKind::Uncaught,
        Some(T::NullExceptionReference) => TrapKind::NullReference,
        _ => TrapKind::Other,
    })
}

fn wasmtime_trap(error: &wasmtime::Error) -> Outcome {
    use wasmtime::Trap as T;
    if error.is::<wasmtime::ThrownException>() {
        return Outcome::Trap(TrapKind::Uncaught);
    }
    Outcome::Trap(match error.downcast_ref::<T>() {
        Some(T::StackOverflow) => return Outcome::Exhausted,
        Some(T::UnreachableCodeReached) => TrapKind::Unreachable,
        Some(T::MemoryOutOfBounds) => TrapKind::Memory,
        Some(T::TableOutOfBounds | T::IndirectCallToNull | T::BadSignature) => {
            TrapKind::TableOrCall
        }
        Some(T::IntegerDivisionByZero | T::IntegerOverflow | T::BadConversionToInteger) => {
            TrapKind::Arithmetic
        }
        Some(T::NullReference) => TrapKind::NullReference,
        _ => TrapKind::Other,
    })
}

fn wasmtime_bits(store: &wasmtime::Store<wasmtime::StoreLimits>, v: &wasmtime::Val) -> u128 {
    match v {
        wasmtime::Val::I32(x) => u128::from(*x as u32),
        wasmtime::Val::I64(x) => u128::from(*x as u64),
        wasmtime::Val::F32(bits) => u128::from(*bits),
        wasmtime::Val::F64(bits) => u128::from(*bits),
        wasmtime::Val::V128(x) => x.as_u128(),
        wasmtime::Val::FuncRef(f) => u128::from(f.is_some()),
        wasmtime::Val::ExternRef(r) => u128::from(r.is_some()),
        wasmtime::Val::ExnRef(r) => u128::from(r.is_some()),
        other => panic!("a value wasm-smith should not make here: {other:?} ({store:?})"),
    }
}

/// Arguments for `ty` on both engines from the input; `None` when a
/// parameter has no value the host can make (an exnref: only wasm creates
/// exceptions).
fn arguments(
    u: &mut Unstructured<'_>,
    ty: &wrun::FuncType,
) -> Option<(Vec<wrun::Val>, Vec<wasmtime::Val>)> {
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for p in ty.params() {
        let bits: u128 = u.arbitrary().unwrap_or(0);
        let (a, b) = match p {
            wrun::ValType::I32 => (wrun::Val::I32(bits as i32), wasmtime::Val::I32(bits as i32)),
            wrun::ValType::I64 => (wrun::Val::I64(bits as i64), wasmtime::Val::I64(bits as i64)),
            wrun::ValType::F32 => (wrun::Val::F32(bits as u32), wasmtime::Val::F32(bits as u32)),
            wrun::ValType::F64 => (wrun::Val::F64(bits as u64), wasmtime::Val::F64(bits as u64)),
            wrun::ValType::V128 => (wrun::Val::V128(bits), wasmtime::Val::V128(bits.into())),
            wrun::ValType::FuncRef => (wrun::Val::FuncRef(None), wasmtime::Val::FuncRef(None)),
            wrun::ValType::ExternRef => {
                (wrun::Val::ExternRef(None), wasmtime::Val::ExternRef(None))
            }
            wrun::ValType::ExnRef => return None,
        };
        ours.push(a);
        theirs.push(b);
    }
    Some((ours, theirs))
}

fn wasmtime_engine() -> wasmtime::Engine {
    let mut config = wasmtime::Config::new();
    config
        .wasm_exceptions(true)
        .wasm_tail_call(true)
        .wasm_simd(true)
        .wasm_relaxed_simd(false);
    wasmtime::Engine::new(&config).expect("wasmtime engine")
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Some(bytes) = smith::module(smith::config_beyond_wasmi(), &mut u) else {
        return;
    };
    let engine = wrun::Engine::default();
    let module = wrun::Module::new(&engine, &bytes)
        .unwrap_or_else(|e| panic!("wrun rejected a wasm-smith module: {e}"));
    let mut store = wrun::Store::new(&engine, ());
    let instance = wrun::Instance::new(&mut store, &module, &[]);

    let wt_engine = wasmtime_engine();
    let Ok(wt_module) = wasmtime::Module::new(&wt_engine, &bytes) else {
        // wasmtime's own limits (e.g. on locals or table sizes) are not
        // wrun's: nothing to compare against.
        return;
    };
    // Tables may grow as far as wrun lets them (growth past an engine's
    // limit answers -1, which the spec allows; the limit must be the same
    // on both sides to compare). Found: table.grow of an externref table by
    // about 2^30 took wasmtime 16 GB and 47 s, -1 on wrun.
    let limits = wasmtime::StoreLimitsBuilder::new()
        .table_elements(10_000_000)
        .build();
    let mut wt_store = wasmtime::Store::new(&wt_engine, limits);
    wt_store.limiter(|limits| limits);
    let wt_instance = wasmtime::Instance::new(&mut wt_store, &wt_module, &[]);
    let (instance, wt_instance) = match (instance, wt_instance) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(_), Err(_)) => return,
        (a, b) => panic!(
            "instantiation differs: wrun {:?}, wasmtime {:?}",
            a.err(),
            b.err()
        ),
    };

    let exports: Vec<(String, wrun::ExternType)> =
        module.exports().map(|(n, t)| (n.to_string(), t)).collect();
    for (name, ty) in &exports {
        let wrun::ExternType::Func(fty) = ty else {
            continue;
        };
        let Some((args, wt_args)) = arguments(&mut u, fty) else {
            continue;
        };
        let func = instance.get_func(&store, name).expect("export");
        let mut results: Vec<wrun::Val> = fty
            .results()
            .iter()
            .map(|t| wrun::Val::default_for(*t))
            .collect();
        let ours = match func.call(&mut store, &args, &mut results) {
            Ok(()) => Outcome::Values(results.iter().map(smith::bits).collect()),
            Err(e) => wrun_trap(&e),
        };
        let wt_func = wt_instance.get_func(&mut wt_store, name).expect("export");
        let mut wt_results = vec![wasmtime::Val::I32(0); fty.results().len()];
        let theirs = match wt_func.call(&mut wt_store, &wt_args, &mut wt_results) {
            Ok(()) => Outcome::Values(
                wt_results
                    .iter()
                    .map(|v| wasmtime_bits(&wt_store, v))
                    .collect(),
            ),
            Err(e) => {
                let outcome = wasmtime_trap(&e);
                // The exception waits in the store until taken.
                let _ = wt_store.take_pending_exception();
                outcome
            }
        };
        if ours == Outcome::Exhausted || theirs == Outcome::Exhausted {
            return; // the states may differ from here on
        }
        assert_eq!(ours, theirs, "{name}: wrun and wasmtime disagree");
    }
    for (name, ty) in &exports {
        match ty {
            wrun::ExternType::Global(_) => {
                let ours = instance.get_global(&store, name).unwrap().get(&store);
                let theirs = wt_instance
                    .get_global(&mut wt_store, name)
                    .unwrap()
                    .get(&mut wt_store);
                assert_eq!(
                    smith::bits(&ours),
                    wasmtime_bits(&wt_store, &theirs),
                    "global {name}"
                );
            }
            wrun::ExternType::Memory(_) => {
                let ours = instance.get_memory(&store, name).unwrap();
                let theirs = wt_instance.get_memory(&mut wt_store, name).unwrap();
                assert!(ours.data(&store) == theirs.data(&wt_store), "memory {name}");
            }
            _ => {}
        }
    }
});
