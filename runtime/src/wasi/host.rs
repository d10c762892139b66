//! Registers WASI preview 1 as host functions: each import reads and writes
//! the *calling* instance's memory, so one WASI context serves a main module
//! and all its shared libraries (they share one memory).

use super::{functions, WasiCtx, WasiExit, WasiValType, MODULE_NAME};
use crate::error::{Error, ErrorKind, Result, Trap};
use crate::linker::Linker;
use crate::types::{FuncType, ValType};
use crate::values::Val;

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

/// Defines every `wasi_snapshot_preview1` function in `linker`, backed by
/// the [`WasiCtx`] that `get` finds in the store's data (as in wasmtime:
/// `add_to_linker(&mut linker, |data| &mut data.wasi)`). No lock is taken
/// per call: the context lives in the store, which the call borrows.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Copy + Send + Sync + 'static,
) -> Result<()> {
    for function in functions() {
        let ty = FuncType::new(
            function.params.iter().map(|t| val_type(*t)),
            function.results.iter().map(|t| val_type(*t)),
        );
        let name = function.name;
        linker.func_new(MODULE_NAME, name, ty, move |mut caller, params, results| {
            let mut args = [0u64; MAX_WASI_PARAMS];
            for (arg, param) in args.iter_mut().zip(params) {
                *arg = raw_arg(param);
            }
            let (bytes, data) = caller.memory_and_data();
            match get(data).call(name, bytes, &args[..params.len()]) {
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
    }
    Ok(())
}

/// The most parameters a WASI preview 1 function has (`path_open`: 9).
const MAX_WASI_PARAMS: usize = 9;
