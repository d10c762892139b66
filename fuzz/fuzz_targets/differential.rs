//! Differential execution: a module from wasm-smith (bounded to terminate,
//! NaNs canonicalised, proposals wrun implements, SIMD included) runs on wrun and on
//! wasmi; every exported function is called with arguments from the input,
//! and results, traps, exported globals and exported memory must agree.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

mod smith;

/// One engine's outcome of a call: results as raw bits, or a trap.
#[derive(Debug, PartialEq)]
enum Outcome {
    Values(Vec<u128>),
    Trap,
    /// Stack exhaustion: engines have different depths, so not compared.
    Exhausted,
}

fn wasmi_value(v: &wasmi::Val) -> u128 {
    match v {
        wasmi::Val::I32(x) => u128::from(*x as u32),
        wasmi::Val::I64(x) => u128::from(*x as u64),
        wasmi::Val::F32(x) => u128::from(x.to_bits()),
        wasmi::Val::F64(x) => u128::from(x.to_bits()),
        wasmi::Val::FuncRef(f) => u128::from(!f.is_null()),
        wasmi::Val::ExternRef(r) => u128::from(!r.is_null()),
        wasmi::Val::V128(x) => x.as_u128(),
    }
}

fuzz_target!(|data: &[u8]| {
    // On a thread with a large stack: the reference (wasmi 2.0.0) was seen
    // to overflow the 8 MiB of libFuzzer's main thread (SIGSEGV, no
    // alternate stack there); a panic in the thread is still a finding.
    let data = data.to_vec();
    let outcome = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || one_input(&data))
        .expect("thread")
        .join();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
});

fn one_input(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Some(bytes) = smith::module(smith::config(), &mut u) else {
        return;
    };

    // WRUN_FUZZ_ONLY_WASMI=1 runs the reference alone (to tell whose crash
    // a finding is).
    if std::env::var_os("WRUN_FUZZ_ONLY_WASMI").is_some() {
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, &bytes).unwrap();
        let mut store = wasmi::Store::new(&engine, ());
        if let Ok(instance) =
            wasmi::Linker::<()>::new(&engine).instantiate_and_start(&mut store, &module)
        {
            for export in module.exports() {
                let Some(f) = instance.get_func(&store, export.name()) else {
                    continue;
                };
                let ty = f.ty(&store);
                let args: Vec<_> = ty
                    .params()
                    .iter()
                    .map(|t| wasmi::Val::default_for_ty(*t))
                    .collect();
                let mut out: Vec<_> = ty
                    .results()
                    .iter()
                    .map(|t| wasmi::Val::default_for_ty(*t))
                    .collect();
                let _ = f.call(&mut store, &args, &mut out);
            }
        }
        return;
    }
    let engine = wrun::Engine::default();
    let Ok(wmod) = wrun::Module::new(&engine, &bytes) else {
        // wasmi must reject it too: wasm-smith makes valid modules only of
        // proposals both implement.
        panic!(
            "wrun rejected a wasm-smith module: {:?}",
            wrun::Module::new(&engine, &bytes).err()
        );
    };
    let mut wstore = wrun::Store::new(&engine, ());
    let winst = wrun::Instance::new(&mut wstore, &wmod, &[]);

    let ri_engine = wasmi::Engine::default();
    let rmod = wasmi::Module::new(&ri_engine, &bytes).expect("wasmi accepts it");
    // Tables may grow as far as wrun lets them (growth past an engine's
    // limit answers -1, which the spec allows; the limit must be the same
    // on both sides to compare). Found: table.grow by 909 million.
    let limits = wasmi::StoreLimitsBuilder::new()
        .table_elements(10_000_000)
        .build();
    let mut rstore = wasmi::Store::new(&ri_engine, limits);
    rstore.limiter(|limits| limits);
    let linker = wasmi::Linker::<wasmi::StoreLimits>::new(&ri_engine);
    let rinst = linker.instantiate_and_start(&mut rstore, &rmod);
    let (winst, rinst) = match (winst, rinst) {
        (Ok(w), Ok(r)) => (w, r),
        (Err(_), Err(_)) => return,
        (w, r) => panic!(
            "instantiation differs: wrun {:?}, wasmi {:?}",
            w.err(),
            r.err()
        ),
    };

    let exports: Vec<(String, wrun::ExternType)> =
        wmod.exports().map(|(n, t)| (n.to_string(), t)).collect();
    for (name, ty) in &exports {
        let wrun::ExternType::Func(fty) = ty else {
            continue;
        };
        let mut wargs = Vec::new();
        let mut rargs = Vec::new();
        for p in fty.params() {
            let bits: u64 = u.arbitrary().unwrap_or(0);
            match p {
                wrun::ValType::I32 => {
                    wargs.push(wrun::Val::I32(bits as i32));
                    rargs.push(wasmi::Val::I32(bits as i32));
                }
                wrun::ValType::I64 => {
                    wargs.push(wrun::Val::I64(bits as i64));
                    rargs.push(wasmi::Val::I64(bits as i64));
                }
                wrun::ValType::F32 => {
                    wargs.push(wrun::Val::F32(bits as u32));
                    rargs.push(wasmi::Val::F32(wasmi::F32::from_bits(bits as u32)));
                }
                wrun::ValType::F64 => {
                    wargs.push(wrun::Val::F64(bits));
                    rargs.push(wasmi::Val::F64(wasmi::F64::from_bits(bits)));
                }
                // Reference parameters: null on both sides.
                wrun::ValType::FuncRef => {
                    wargs.push(wrun::Val::FuncRef(None));
                    rargs.push(wasmi::Val::FuncRef(wasmi::Nullable::Null));
                }
                wrun::ValType::ExternRef => {
                    wargs.push(wrun::Val::ExternRef(None));
                    rargs.push(wasmi::Val::ExternRef(wasmi::Nullable::Null));
                }
                wrun::ValType::V128 => {
                    let bits: u128 = u.arbitrary().unwrap_or(0);
                    wargs.push(wrun::Val::V128(bits));
                    rargs.push(wasmi::Val::V128(wasmi::V128::from(bits)));
                }
                // wasmi has no exception handling (and wasm-smith is told
                // not to generate it): nothing to compare against.
                wrun::ValType::ExnRef => return,
            }
        }
        let wfunc = winst.get_func(&wstore, name).unwrap();
        let mut wres: Vec<wrun::Val> = fty
            .results()
            .iter()
            .map(|t| wrun::Val::default_for(*t))
            .collect();
        let w = match wfunc.call(&mut wstore, &wargs, &mut wres) {
            Ok(()) => Outcome::Values(wres.iter().map(smith::bits).collect()),
            Err(e) if e.trap() == Some(wrun::Trap::StackOverflow) => Outcome::Exhausted,
            Err(e) if e.trap().is_some() => Outcome::Trap,
            Err(e) => panic!("{name}: wrun failed without a trap: {e}"),
        };
        let rfunc = rinst.get_func(&rstore, name).unwrap();
        let mut rres: Vec<wasmi::Val> = rfunc
            .ty(&rstore)
            .results()
            .iter()
            .map(|t| wasmi::Val::default_for_ty(*t))
            .collect();
        let r = match rfunc.call(&mut rstore, &rargs, &mut rres) {
            Ok(()) => Outcome::Values(rres.iter().map(wasmi_value).collect()),
            Err(e) if e.as_trap_code() == Some(wasmi::TrapCode::StackOverflow) => {
                Outcome::Exhausted
            }
            Err(_) => Outcome::Trap,
        };
        if w == Outcome::Exhausted || r == Outcome::Exhausted {
            // Different stack depths: the states may differ from here on.
            return;
        }
        assert_eq!(w, r, "{name}: wrun and wasmi disagree");
    }
    // Exported state after every call.
    for (name, ty) in &exports {
        match ty {
            wrun::ExternType::Global(_) => {
                let w = smith::bits(&winst.get_global(&wstore, name).unwrap().get(&wstore));
                let r = wasmi_value(&rinst.get_global(&rstore, name).unwrap().get(&rstore));
                assert_eq!(w, r, "global {name}");
            }
            wrun::ExternType::Memory(_) => {
                let w = winst.get_memory(&wstore, name).unwrap();
                let r = rinst.get_memory(&rstore, name).unwrap();
                assert!(w.data(&wstore) == r.data(&rstore), "memory {name}");
            }
            _ => {}
        }
    }
}
