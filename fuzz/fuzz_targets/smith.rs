//! The wasm-smith settings the execution targets share.

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
