//! The `dylink.0` custom section: what a shared library or PIE main needs from
//! the loader (tool-conventions DynamicLinking.md).

use crate::error::{Error, Result};

/// Largest `memorysize`/`tablesize` accepted from a dylink.0 section; larger
/// values are rejected as absurd rather than attempted.
pub const MAX_DYLINK_MEMORY_SIZE: u32 = 1 << 31;

/// Largest alignment (log2) of a library's data or table region: a wasm
/// page. More is no real library's need, and at 2^31 one 16-byte region
/// would grow the process memory to 2 GiB.
const MAX_DYLINK_ALIGNMENT: u32 = 16;

/// Symbol flags the loader cares about (from EXPORT_INFO / IMPORT_INFO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SymbolFlags {
    /// `WASM_SYM_BINDING_WEAK`.
    pub weak: bool,
    /// `WASM_SYM_TLS`.
    pub tls: bool,
}

impl SymbolFlags {
    fn from_wasm(flags: wasmparser::SymbolFlags) -> Self {
        SymbolFlags {
            weak: flags.contains(wasmparser::SymbolFlags::BINDING_WEAK),
            tls: flags.contains(wasmparser::SymbolFlags::TLS),
        }
    }
}

/// The decoded `dylink.0` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DylinkInfo {
    /// Bytes of static data the module needs (`memorysize`).
    pub memory_size: u32,
    /// Alignment of that data, as a power of two.
    pub memory_alignment: u32,
    /// Table slots the module needs.
    pub table_size: u32,
    /// Alignment of those slots, as a power of two.
    pub table_alignment: u32,
    /// Libraries this module needs, in order.
    pub needed: Vec<String>,
    /// Flags of exports, by name.
    pub export_info: Vec<(String, SymbolFlags)>,
    /// Flags of imports, by (module, field).
    pub import_info: Vec<(String, String, SymbolFlags)>,
    /// RUNTIME_PATH entries (may contain `$ORIGIN`).
    pub runtime_path: Vec<String>,
    /// Subsections wrun does not know, kept as (id, bytes).
    pub unknown: Vec<(u8, Vec<u8>)>,
}

impl DylinkInfo {
    pub(crate) fn read(reader: wasmparser::Dylink0SectionReader<'_>) -> Result<Self> {
        use wasmparser::Dylink0Subsection as S;
        let mut info = DylinkInfo::default();
        for sub in reader {
            match sub? {
                S::MemInfo(m) => {
                    if m.memory_size > MAX_DYLINK_MEMORY_SIZE
                        || m.table_size > MAX_DYLINK_MEMORY_SIZE
                        || m.memory_alignment > MAX_DYLINK_ALIGNMENT
                        || m.table_alignment > MAX_DYLINK_ALIGNMENT
                    {
                        return Err(Error::msg(format!(
                            "dylink.0: absurd MEM_INFO (memory {} bytes at 2^{}, table {} slots at 2^{})",
                            m.memory_size, m.memory_alignment, m.table_size, m.table_alignment
                        )));
                    }
                    info.memory_size = m.memory_size;
                    info.memory_alignment = m.memory_alignment;
                    info.table_size = m.table_size;
                    info.table_alignment = m.table_alignment;
                }
                S::Needed(names) => info.needed.extend(names.iter().map(|s| s.to_string())),
                S::ExportInfo(list) => info.export_info.extend(
                    list.iter()
                        .map(|e| (e.name.to_string(), SymbolFlags::from_wasm(e.flags))),
                ),
                S::ImportInfo(list) => info.import_info.extend(list.iter().map(|e| {
                    (
                        e.module.to_string(),
                        e.field.to_string(),
                        SymbolFlags::from_wasm(e.flags),
                    )
                })),
                S::RuntimePath(paths) => info
                    .runtime_path
                    .extend(paths.iter().map(|s| s.to_string())),
                S::TargetArch(_) => {}
                S::Unknown { ty, data, .. } => info.unknown.push((ty, data.to_vec())),
            }
        }
        Ok(info)
    }

    /// Whether the import `module.field` is marked weak.
    pub fn is_weak_import(&self, module: &str, field: &str) -> bool {
        self.import_info
            .iter()
            .any(|(m, f, flags)| m == module && f == field && flags.weak)
    }
}
