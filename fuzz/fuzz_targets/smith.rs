//! What the execution targets share: the wasm-smith settings, generating a
//! module bounded to terminate, and wrun's values as raw bits to compare.

/// Modules of the proposals wrun implements (SIMD included, relaxed SIMD
/// not: engines may differ there by design), NaNs canonicalised, everything
/// exported, no imports, at most two memories of 16 MiB and two tables.
pub fn config() -> wasm_smith::Config {
    wasm_smith::Config {
        gc_enabled: false,
        exceptions_enabled: false,
        memory64_enabled: false,
        simd_enabled: true,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        wide_arithmetic_enabled: false,
        custom_page_sizes_enabled: false,
        canonicalize_nans: true,
        export_everything: true,
        max_imports: 0,
        max_memories: 2,
        max_memory32_bytes: 16 << 20,
        max_tables: 2,
        ..wasm_smith::Config::default()
    }
}

/// `config()` with exception handling and tail calls, which wasmi lacks
/// (for the targets whose reference is wrun itself or wasmtime).
#[allow(dead_code)] // `differential` does not use it
pub fn config_beyond_wasmi() -> wasm_smith::Config {
    wasm_smith::Config {
        exceptions_enabled: true,
        tail_call_enabled: true,
        ..config()
    }
}

/// A value as raw bits; a reference as whether it is null (engines'
/// references are not comparable beyond that).
pub fn bits(v: &wrun::Val) -> u128 {
    match v {
        wrun::Val::I32(x) => u128::from(*x as u32),
        wrun::Val::I64(x) => u128::from(*x as u64),
        wrun::Val::F32(bits) => u128::from(*bits),
        wrun::Val::F64(bits) => u128::from(*bits),
        wrun::Val::V128(bits) => *bits,
        wrun::Val::FuncRef(f) => u128::from(f.is_some()),
        wrun::Val::ExternRef(r) => u128::from(r.is_some()),
        wrun::Val::ExnRef(r) => u128::from(r.is_some()),
    }
}

/// A module from `u`, with fuel checks so that it terminates; `None` when
/// the input does not make one. `WRUN_FUZZ_DUMP=FILE` keeps it, to look at
/// a finding.
pub fn module(config: wasm_smith::Config, u: &mut arbitrary::Unstructured<'_>) -> Option<Vec<u8>> {
    let mut module = wasm_smith::Module::new(config, u).ok()?;
    module.ensure_termination(10_000).ok()?;
    let bytes = module.to_bytes();
    if let Some(path) = std::env::var_os("WRUN_FUZZ_DUMP") {
        std::fs::write(path, &bytes).unwrap();
    }
    Some(bytes)
}
