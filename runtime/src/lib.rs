//! # wrun
//!
//! A WebAssembly runtime for programs split into a main module and shared
//! libraries (the `dylink.0` convention), JIT-compiled once with Cranelift.
//!
//! The core API follows wasmtime's shape: an [`Engine`] compiles [`Module`]s
//! (immutable, shareable); a [`Store`] holds the run-time state of one program;
//! [`Instance`]s are created from modules with imports resolved by a
//! [`Linker`]; [`Func::call`] runs code and turns traps into [`Error`]s.
//!
//! ```
//! use wrun::{Engine, Instance, Module, Store, Val};
//!
//! // (module (func (export "add") (param i32 i32) (result i32)
//! //   local.get 0 local.get 1 i32.add))
//! let wasm = [
//!     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
//!     0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // type: (i32 i32) -> i32
//!     0x03, 0x02, 0x01, 0x00, // one function of type 0
//!     0x07, 0x07, 0x01, 0x03, b'a', b'd', b'd', 0x00, 0x00, // export "add"
//!     0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, // body
//! ];
//! let engine = Engine::default();
//! let module = Module::new(&engine, &wasm)?; // compiled once, shareable
//! let mut store = Store::new(&engine, ()); // one program's state (host data: none)
//! let instance = Instance::new(&mut store, &module, &[])?;
//! let add = instance.get_func(&store, "add").expect("exported");
//! let mut results = [Val::I32(0)];
//! add.call(&mut store, &[Val::I32(2), Val::I32(40)], &mut results)?;
//! assert_eq!(results[0], Val::I32(42));
//! # Ok::<(), wrun::Error>(())
//! ```
//!

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub(crate) mod compile;
pub mod dylink;
mod engine;
mod environ;
mod error;
mod externals;
mod func;
mod instance;
mod libcall;
pub mod link;
mod linker;
mod module;
mod store;
mod typed;
mod types;
mod values;
pub(crate) mod vm;
pub mod vmoffsets;
pub mod wasi;

pub use dylink::{DylinkInfo, SymbolFlags};
pub use engine::{Config, Engine};
pub use environ::{EntityIndex, Import};
pub use error::{Error, ErrorKind, Result, Trap, TRAP_EXIT_STATUS};
pub use externals::{Extern, Global, Memory, Table};
pub use func::{Caller, Func};
pub use instance::Instance;
pub use link::{Process, ProcessConfig, ProcessData};
pub use linker::Linker;
pub use module::Module;
pub use store::{AsContext, AsContextMut, Store, StoreContext, StoreContextMut};
pub use typed::{IntoFunc, TypedFunc, WasmParams, WasmResults, WasmRet, WasmTy};
pub use types::{ExternType, FuncType, GlobalType, MemoryType, TableType, ValType};
pub use values::Val;
