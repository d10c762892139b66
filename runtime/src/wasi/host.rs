//! Registers WASI preview 1 as host functions: each import reads and writes
//! the *calling* instance's memory, so one WASI context serves a main module
//! and all its shared libraries (they share one memory).

use super::{functions, WasiCtx, WasiExit, WasiValType, MODULE_NAME};
use crate::error::{Error, ErrorKind, Result, Trap};
use crate::func::Func;
use crate::linker::Linker;
use crate::store::Store;
use crate::types::{FuncType, ValType};
use crate::values::Val;
use std::sync::{Arc, Mutex};

fn val_type(t: WasiValType) -> ValType {
    match t {
        WasiValType::I32 => ValType::I32,
        WasiValType::I64 => ValType::I64,
    }
}

fn raw_arg(v: &Val) -> u64 {
    match v {
        Val::I32(x) => u64::from(*x as u32),
        Val::I64(x) => *x as u64,
        _ => 0,
    }
}

/// Defines every `wasi_snapshot_preview1` function in `linker`, backed by `ctx`.
pub fn add_to_linker(
    linker: &mut Linker,
    store: &mut Store,
    ctx: Arc<Mutex<WasiCtx>>,
) -> Result<()> {
    for function in functions() {
        let ty = FuncType::new(
            function.params.iter().map(|t| val_type(*t)),
            function.results.iter().map(|t| val_type(*t)),
        );
        let ctx = ctx.clone();
        let name = function.name;
        let func = Func::new(store, ty, move |caller, params, results| {
            let args: Vec<u64> = params.iter().map(raw_arg).collect();
            let memory = caller.memory();
            let mut empty = [];
            let bytes: &mut [u8] = match memory {
                Some(m) => m.data_mut(caller.store()),
                None => &mut empty,
            };
            let mut wasi = ctx.lock().unwrap_or_else(|e| e.into_inner());
            match wasi.call(name, bytes, &args) {
                Ok(raw) => {
                    for ((slot, value), ty) in results.iter_mut().zip(raw).zip(function.results) {
                        *slot = match ty {
                            WasiValType::I32 => Val::I32(value as u32 as i32),
                            WasiValType::I64 => Val::I64(value as i64),
                        };
                    }
                    Ok(())
                }
                Err(WasiExit::Exit(code)) => Err(Error::new(ErrorKind::Exit(code))),
                Err(WasiExit::MemoryOutOfBounds) => Err(Trap::MemoryOutOfBounds.into()),
            }
        })?;
        linker.define(MODULE_NAME, name, func);
    }
    Ok(())
}
