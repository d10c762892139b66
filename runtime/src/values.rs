//! Values passed between the host and wasm.

use crate::func::Func;
use crate::types::ValType;
use crate::vm::ValRaw;

/// A WebAssembly value. Floats are kept as bits so NaN payloads survive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// i32
    I32(i32),
    /// i64
    I64(i64),
    /// f32, as its bits
    F32(u32),
    /// f64, as its bits
    F64(u64),
    /// funcref (None is null)
    FuncRef(Option<Func>),
    /// externref: an opaque host value (None is null)
    ExternRef(Option<u32>),
    /// v128 (SIMD), as its 128 bits; lane 0 is the least significant
    V128(u128),
    /// exnref: a caught exception, as an opaque handle valid in its store
    /// (None is null). The host can receive one and pass null, but not
    /// pass a non-null one back into wasm.
    ExnRef(Option<u32>),
}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
            Val::V128(_) => ValType::V128,
            Val::ExnRef(_) => ValType::ExnRef,
        }
    }

    /// The zero/null value of a type.
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
            ValType::V128 => Val::V128(0),
            ValType::ExnRef => Val::ExnRef(None),
        }
    }

    /// The i32, if this is one.
    pub fn i32(&self) -> Option<i32> {
        match self {
            Val::I32(v) => Some(*v),
            _ => None,
        }
    }

    /// The i64, if this is one.
    pub fn i64(&self) -> Option<i64> {
        match self {
            Val::I64(v) => Some(*v),
            _ => None,
        }
    }

    pub(crate) fn to_raw(self) -> ValRaw {
        match self {
            Val::I32(v) => u128::from(v as u32),
            Val::I64(v) => u128::from(v as u64),
            Val::F32(v) => u128::from(v),
            Val::F64(v) => u128::from(v),
            Val::FuncRef(f) => f.map_or(0, |f| f.raw() as usize as u128),
            Val::ExternRef(r) => r.map_or(0, |r| u128::from(r) + 1),
            Val::V128(bits) => bits,
            Val::ExnRef(r) => r.map_or(0, |r| u128::from(r) + 1),
        }
    }

    pub(crate) fn from_raw(raw: ValRaw, ty: ValType, store_id: u64) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw as u32 as i32),
            ValType::I64 => Val::I64(raw as u64 as i64),
            ValType::F32 => Val::F32(raw as u32),
            ValType::F64 => Val::F64(raw as u64),
            ValType::FuncRef => Val::FuncRef(Func::from_raw(store_id, raw as usize as *mut _)),
            ValType::V128 => Val::V128(raw),
            ValType::ExnRef => Val::ExnRef(match raw as usize {
                0 => None,
                r => Some((r - 1) as u32),
            }),
            ValType::ExternRef => Val::ExternRef(match raw as usize {
                0 => None,
                r => Some((r - 1) as u32),
            }),
        }
    }
}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::I32(v) => write!(f, "{v}"),
            Val::I64(v) => write!(f, "{v}"),
            Val::F32(b) => write!(f, "{}", f32::from_bits(*b)),
            Val::F64(b) => write!(f, "{}", f64::from_bits(*b)),
            Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) => write!(f, "null"),
            Val::ExnRef(Some(r)) => write!(f, "<exnref {r}>"),
            Val::FuncRef(Some(_)) => write!(f, "<funcref>"),
            Val::ExternRef(Some(r)) => write!(f, "<externref {r}>"),
            Val::V128(bits) => write!(f, "{bits:#034x}"),
        }
    }
}
