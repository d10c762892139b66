//! The guest side of run-time linking: the host import module `dyld`
//! (toywasm's names and signatures, so programs written for it run
//! unchanged), and `env.__cxa_atexit` for libraries whose main has no libc.
//!
//! ```text
//! dyld.load_object(name, name_len, flags, handle_out) -> errno
//! dyld.resolve_symbol(handle, symtype, name, name_len, addr_out) -> errno
//!        handle 0 = RTLD_DEFAULT; symtype 1 = function (its table index),
//!        2 = data (its address)
//! dyld.close_object(handle) -> errno
//! dyld.error_message(buf, buf_len) -> length of the last error's text
//!        (copied, truncated to buf_len; 0 when there is none; cleared)
//! ```
//! Pointers and sizes are i32; results are 0 or a WASI errno: ENOENT (44)
//! for a missing library or symbol, EINVAL (28) for bad flags or handles,
//! ENOEXEC (45) for a library that cannot be loaded or linked, EFAULT (21)
//! for a pointer outside memory. Every failure leaves a text for
//! `error_message`.

use super::dlopen::{LibraryHandle, Symbol, SymbolKind};
use super::loader::Loader;
use super::ProcessData;
use crate::error::{Error, ErrorKind, Result};
use crate::func::Caller;
use crate::linker::Linker;
use crate::store::AsContextMut;

const ENOENT: i32 = 44;
const EINVAL: i32 = 28;
const ENOEXEC: i32 = 45;
const EFAULT: i32 = 21;

/// Longest library or symbol name accepted (PATH_MAX).
const MAX_NAME: u32 = 4096;

/// The errno a failed dyld call returns for `error`.
fn errno_of(error: &Error) -> i32 {
    match error.kind() {
        ErrorKind::LibraryNotFound { .. } => ENOENT,
        ErrorKind::Link { .. }
        | ErrorKind::Invalid { .. }
        | ErrorKind::Unsupported { .. }
        | ErrorKind::Io { .. }
        | ErrorKind::Trap { .. } => ENOEXEC,
        ErrorKind::Message(m) if m.starts_with("undefined symbol") => ENOENT,
        _ => EINVAL,
    }
}

fn loader_mut<'a, T>(caller: &'a mut Caller<'_, ProcessData<T>>) -> Option<&'a mut Loader<T>> {
    caller.data_mut().loader.as_deref_mut()
}

/// Records `error` for `error_message` and returns its errno.
fn fail<T>(caller: &mut Caller<'_, ProcessData<T>>, error: Error) -> i32 {
    let errno = errno_of(&error);
    if let Some(loader) = loader_mut(caller) {
        loader.dyld.last_error = Some(error.to_string());
    }
    errno
}

/// Reads `len` bytes at `ptr` of the caller's memory as a name.
fn read_name<T>(caller: &Caller<'_, ProcessData<T>>, ptr: u32, len: u32) -> Result<String> {
    // Bounded before allocating: a guest must not make the host allocate 4 GiB.
    if len > MAX_NAME {
        return Err(Error::msg(format!(
            "name of {len} bytes is too long (at most {MAX_NAME})"
        )));
    }
    let memory = caller
        .memory()
        .ok_or_else(|| Error::msg("dyld called from a module without memory"))?;
    let mut bytes = vec![0u8; len as usize];
    memory
        .read(caller, ptr as usize, &mut bytes)
        .map_err(|_| Error::msg("name outside memory"))?;
    String::from_utf8(bytes).map_err(|_| Error::msg("name is not UTF-8"))
}

fn write_u32<T>(caller: &mut Caller<'_, ProcessData<T>>, ptr: u32, value: u32) -> Result<()> {
    let memory = caller
        .memory()
        .ok_or_else(|| Error::msg("dyld called from a module without memory"))?;
    memory
        .write(caller, ptr as usize, &value.to_le_bytes())
        .map_err(|_| Error::msg("result pointer outside memory"))
}

/// Runs `op`; turns its outcome into 0 or an errno (recording the error).
fn errno<T>(
    caller: &mut Caller<'_, ProcessData<T>>,
    op: impl FnOnce(&mut Caller<'_, ProcessData<T>>) -> Result<()>,
) -> i32 {
    match op(caller) {
        Ok(()) => 0,
        Err(e) if e.to_string().contains("outside memory") => {
            let _ = fail(caller, e);
            EFAULT
        }
        Err(e) => fail(caller, e),
    }
}

/// Defines the `dyld` module and `env.__cxa_atexit` in `linker`.
pub(crate) fn add_to_linker<T: 'static>(linker: &mut Linker<ProcessData<T>>) -> Result<()> {
    linker.func_wrap(
        "dyld",
        "load_object",
        |mut caller: Caller<'_, ProcessData<T>>, name: u32, len: u32, flags: u32, out: u32| {
            errno(&mut caller, |caller| {
                let name = read_name(caller, name, len)?;
                let handle = super::dlopen::open(caller.as_context_mut(), &name, flags)?;
                write_u32(caller, out, handle.raw())
            })
        },
    )?;
    linker.func_wrap(
        "dyld",
        "resolve_symbol",
        |mut caller: Caller<'_, ProcessData<T>>,
         handle: u32,
         symtype: u32,
         name: u32,
         len: u32,
         out: u32| {
            errno(&mut caller, |caller| {
                let kind = match symtype {
                    1 => SymbolKind::Func,
                    2 => SymbolKind::Data,
                    other => return Err(Error::msg(format!("invalid symbol type {other}"))),
                };
                let name = read_name(caller, name, len)?;
                let handle = (handle != 0).then_some(LibraryHandle::from_raw(handle));
                let value = match super::dlopen::sym(caller.as_context_mut(), handle, kind, &name)?
                {
                    Symbol::Func { table_index, .. } => table_index,
                    Symbol::Data { address } => address,
                };
                write_u32(caller, out, value)
            })
        },
    )?;
    linker.func_wrap(
        "dyld",
        "close_object",
        |mut caller: Caller<'_, ProcessData<T>>, handle: u32| {
            errno(&mut caller, |caller| {
                super::unload::close(caller.as_context_mut(), LibraryHandle::from_raw(handle))
            })
        },
    )?;
    linker.func_wrap(
        "dyld",
        "error_message",
        |mut caller: Caller<'_, ProcessData<T>>, buf: u32, buf_len: u32| -> Result<u32> {
            let Some(text) = loader_mut(&mut caller).and_then(|l| l.dyld.last_error.take()) else {
                return Ok(0);
            };
            let bytes = text.as_bytes();
            let n = bytes.len().min(buf_len as usize);
            let memory = caller
                .memory()
                .ok_or_else(|| Error::msg("dyld called from a module without memory"))?;
            memory.write(&mut caller, buf as usize, &bytes[..n])?;
            Ok(bytes.len() as u32)
        },
    )?;
    // `__cxa_atexit(func, arg, dso)` for libraries whose destructors are
    // registered this way (clang lowers `__attribute__((destructor))` to it)
    // when no loaded object defines it (a main with libc does): they run at
    // `dlclose` of the library whose data holds `dso` (its `__dso_handle`).
    linker.func_wrap(
        "env",
        "__cxa_atexit",
        |mut caller: Caller<'_, ProcessData<T>>, func: u32, arg: u32, dso: u32| -> i32 {
            match loader_mut(&mut caller) {
                Some(loader) => {
                    loader.dyld.atexit.push((func, arg, dso));
                    0
                }
                None => -1,
            }
        },
    )?;
    Ok(())
}
