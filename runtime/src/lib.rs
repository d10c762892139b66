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

pub(crate) mod compile;
pub mod dylink;
mod engine;
mod environ;
mod error;
mod externals;
mod func;
mod instance;
mod linker;
mod module;
mod store;
mod types;
mod values;
pub(crate) mod vm;
pub mod vmoffsets;
pub mod wasi;

pub use dylink::{DylinkInfo, SymbolFlags};
pub use engine::{Config, Engine};
pub use environ::{EntityIndex, Import};
pub use error::{Error, ErrorKind, Result, Trap};
pub use externals::{Extern, Global, Memory, Table};
pub use func::{Caller, Func, HostFn};
pub use instance::Instance;
pub use linker::Linker;
pub use module::Module;
pub use store::Store;
pub use types::{ExternType, FuncType, GlobalType, MemoryType, TableType, ValType};
pub use values::Val;
