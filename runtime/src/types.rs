//! WebAssembly types as wrun sees them: what the API shows and what the
//! compiler and linker compare.

use crate::error::{Error, Result};
use std::fmt;

/// A value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// 128-bit vector (SIMD).
    V128,
    /// Nullable function reference.
    FuncRef,
    /// Nullable host reference.
    ExternRef,
    /// Nullable reference to a caught exception (exception handling).
    ExnRef,
}

impl ValType {
    pub(crate) fn from_wasm(ty: wasmparser::ValType) -> Result<ValType> {
        use wasmparser::ValType as W;
        Ok(match ty {
            W::I32 => ValType::I32,
            W::I64 => ValType::I64,
            W::F32 => ValType::F32,
            W::F64 => ValType::F64,
            W::V128 => ValType::V128,
            W::Ref(r) => ValType::from_ref(r)?,
        })
    }

    pub(crate) fn from_ref(r: wasmparser::RefType) -> Result<ValType> {
        if r == wasmparser::RefType::FUNCREF {
            Ok(ValType::FuncRef)
        } else if r == wasmparser::RefType::EXTERNREF {
            Ok(ValType::ExternRef)
        } else if r == wasmparser::RefType::EXNREF {
            Ok(ValType::ExnRef)
        } else {
            Err(Error::unsupported(format!("reference type {r}")))
        }
    }

    /// Whether values of this type are references.
    pub fn is_ref(self) -> bool {
        matches!(
            self,
            ValType::FuncRef | ValType::ExternRef | ValType::ExnRef
        )
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
            ValType::ExnRef => "exnref",
        })
    }
}

/// A function signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FuncType {
    params: Box<[ValType]>,
    results: Box<[ValType]>,
}

impl FuncType {
    /// Creates a signature.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> Self {
        FuncType {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }

    pub(crate) fn from_wasm(ty: &wasmparser::FuncType) -> Result<FuncType> {
        let params = ty
            .params()
            .iter()
            .map(|t| ValType::from_wasm(*t))
            .collect::<Result<Vec<_>>>()?;
        let results = ty
            .results()
            .iter()
            .map(|t| ValType::from_wasm(*t))
            .collect::<Result<Vec<_>>>()?;
        Ok(FuncType::new(params, results))
    }

    /// Parameter types.
    pub fn params(&self) -> &[ValType] {
        &self.params
    }

    /// Result types.
    pub fn results(&self) -> &[ValType] {
        &self.results
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[ValType]| {
            v.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(f, "({}) -> ({})", list(&self.params), list(&self.results))
    }
}

/// Mutability and type of a global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// The value type.
    pub content: ValType,
    /// Whether `global.set` is allowed.
    pub mutable: bool,
}

impl fmt::Display for GlobalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mutable {
            write!(f, "(mut {})", self.content)
        } else {
            write!(f, "{}", self.content)
        }
    }
}

/// Limits of a linear memory, in 64 KiB pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// Initial size in pages.
    pub minimum: u64,
    /// Maximum size in pages, if any.
    pub maximum: Option<u64>,
}

/// Limits and element type of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableType {
    /// `FuncRef` or `ExternRef`.
    pub element: ValType,
    /// Initial size in elements.
    pub minimum: u64,
    /// Maximum size in elements, if any.
    pub maximum: Option<u64>,
}

/// The type of an import or export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternType {
    /// A function (its signature).
    Func(FuncType),
    /// A global.
    Global(GlobalType),
    /// A linear memory.
    Memory(MemoryType),
    /// A table.
    Table(TableType),
    /// An exception tag (the types of the values an exception carries).
    Tag(FuncType),
}

impl fmt::Display for ExternType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternType::Func(t) => write!(f, "func {t}"),
            ExternType::Global(t) => write!(f, "global {t}"),
            ExternType::Memory(t) => write!(f, "memory {:?}..{:?}", t.minimum, t.maximum),
            ExternType::Table(t) => {
                write!(f, "table {} {:?}..{:?}", t.element, t.minimum, t.maximum)
            }
            ExternType::Tag(t) => write!(f, "tag {t}"),
        }
    }
}

/// Whether limits `actual` satisfy a requirement `wanted` (import subtyping).
pub(crate) fn limits_match(
    actual_min: u64,
    actual_max: Option<u64>,
    wanted_min: u64,
    wanted_max: Option<u64>,
) -> bool {
    actual_min >= wanted_min
        && match (actual_max, wanted_max) {
            (_, None) => true,
            (Some(a), Some(w)) => a <= w,
            (None, Some(_)) => false,
        }
}
