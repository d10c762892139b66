//! # wrun
//!
//! A WebAssembly runtime for programs split into a main module and shared
//! libraries (the `dylink.0` convention), JIT-compiled once with Cranelift.
//!
//! The core API follows wasmtime's shape: an [`Engine`] compiles [`Module`]s
//! (immutable, shareable); a [`Store<T>`] holds the run-time state of one
//! program plus the host's data `T`; [`Instance`]s are created from modules
//! with imports resolved by a [`Linker<T>`]; host functions reach their
//! store's data through [`Caller::data`]; [`TypedFunc::call`] runs code and
//! turns traps into [`Error`]s.
//!
//! ```
//! use wrun::{Caller, Engine, Linker, Module, Store};
//!
//! // (module
//! //   (import "host" "double" (func $double (param i32) (result i32)))
//! //   (func (export "add") (param i32 i32) (result i32)
//! //     (call $double (i32.add (local.get 0) (local.get 1)))))
//! let wasm = [
//!     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
//!     0x01, 0x0c, 0x02, // types: (i32) -> i32, (i32 i32) -> i32
//!     0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
//!     0x02, 0x0f, 0x01, 0x04, b'h', b'o', b's', b't', // import host.double
//!     0x06, b'd', b'o', b'u', b'b', b'l', b'e', 0x00, 0x00,
//!     0x03, 0x02, 0x01, 0x01, // one function of type 1
//!     0x07, 0x07, 0x01, 0x03, b'a', b'd', b'd', 0x00, 0x01, // export "add"
//!     0x0a, 0x0b, 0x01, 0x09, 0x00, // body
//!     0x20, 0x00, 0x20, 0x01, 0x6a, 0x10, 0x00, 0x0b,
//! ];
//! let engine = Engine::default();
//! let module = Module::new(&engine, &wasm)?; // compiled once, shareable
//!
//! // The store's data: here, how often the host was called.
//! let mut store = Store::new(&engine, 0u32);
//! let mut linker = Linker::new();
//! linker.func_wrap("host", "double", |mut caller: Caller<'_, u32>, x: i32| {
//!     *caller.data_mut() += 1;
//!     x * 2
//! })?;
//! let instance = linker.instantiate(&mut store, &module)?;
//! let add = instance.get_typed_func::<(i32, i32), i32>(&store, "add")?;
//! assert_eq!(add.call(&mut store, (2, 19))?, 42);
//! assert_eq!(*store.data(), 1);
//! # Ok::<(), wrun::Error>(())
//! ```
//!
//! Whole programs — a main module and the shared libraries it needs — load
//! through [`link::Process`], with WASI preview 1 from [`wasi`]:
//!
//! ```
//! use wrun::wasi::{OutputBuffer, WasiCtx};
//! use wrun::{Engine, Process, ProcessConfig};
//!
//! let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../wasm-fixtures/example");
//! let stdout = OutputBuffer::new(); // the guest's stdout, captured
//! let wasi = WasiCtx::builder().args(vec!["main".into(), "docs".into()]).stdout(stdout.clone());
//! let config = ProcessConfig::new().lib_path(example).wasi(wasi.build()); // like `-L`
//! let mut process = Process::new(&Engine::default(), config)?;
//! process.load_main(format!("{example}/main.wasm"))?; // + NEEDED libgreet, libart
//! assert_eq!(process.run_start()?, 0); // the exit status
//! let text = String::from_utf8(stdout.contents()).unwrap();
//! assert!(text.contains("Hello, docs! (greeting #1 from libgreet.wasm)"));
//! # Ok::<(), wrun::Error>(())
//! ```

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod code;
pub(crate) mod compile;
pub(crate) mod disk_cache;
pub mod dylink;
mod engine;
mod environ;
mod error;
mod externals;
mod file_cache;
mod func;
mod function_names;
mod instance;
mod libcall;
mod limits;
pub mod link;
mod linker;
mod module;
mod module_cache;
mod module_file;
mod store;
mod tag;
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
pub use limits::StoreLimits;
pub use link::{Process, ProcessConfig, ProcessData, ProcessPre};
pub use linker::Linker;
pub use module::Module;
pub use module_cache::ModuleCacheStats;
pub use store::{AsContext, AsContextMut, Store, StoreContext, StoreContextMut};
pub use tag::Tag;
pub use typed::{IntoFunc, TypedFunc, WasmParams, WasmResults, WasmRet, WasmTy};
pub use types::{ExternType, FuncType, GlobalType, MemoryType, TableType, ValType};
pub use values::Val;
