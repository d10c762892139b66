//! Dynamic linking (`dylink.0`): a [`Process`] loads a main module and the
//! shared libraries it needs into one memory and one table, binds their
//! imports through a global symbol scope, and runs them; while it runs,
//! libraries come and go with `dlopen`/`dlclose` ([`dlopen`], and the guest
//! ABI in `dyld.rs`).
//!
//! The protocol (WebAssembly tool-conventions `DynamicLinking.md`):
//!
//! 1. Load the main, then the `preload` libraries in order, then NEEDED
//!    libraries breadth-first (searched as described in [`search`]); each
//!    file (by canonical path) is loaded once, so NEEDED cycles terminate.
//! 2. Regions: a PIE main (dylink.0 and an `env.memory` import) gets a
//!    memory made by the loader: the stack at the bottom, then the main's
//!    data, each library's data, then the heap. A non-PIE main defines and
//!    exports memory, table and `__stack_pointer`; each library's data
//!    region is then taken from the end of memory with `memory.grow`, and
//!    its table region by growing the table.
//! 3. Symbols: the first definition in load order wins; `GOT.mem.X` is the
//!    exported address plus the definer's `__memory_base`; `GOT.func.X` is
//!    one table slot per function (the slot it already occupies, if any).
//!    Weak undefined symbols are 0 (function imports get a failing stub).
//!    Everything is checked before any guest code runs.
//! 4. Init: `__wasm_apply_data_relocs` of every object, then
//!    `__wasm_call_ctors` of every library, dependencies first; the main's
//!    own constructors run from its `_start`.
//!    This is ld.so's order: every object is relocated before any
//!    initialiser runs.
//!
//! ```
//! use wrun::link::{Process, ProcessConfig};
//! use wrun::Engine;
//!
//! let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../wasm-fixtures/example");
//! let engine = Engine::default();
//! let config = ProcessConfig::new().lib_path(example); // like `-L`
//! let mut process = Process::new(&engine, config)?;
//! process.load_main(format!("{example}/main.wasm"))?; // loads libgreet, libart
//! let names: Vec<&str> = process.objects().iter().map(|o| o.name()).collect();
//! assert_eq!(names, ["main.wasm", "libgreet.wasm", "libart.wasm"]);
//! assert_eq!(process.run_start()?, 0); // runs main's _start
//! # Ok::<(), wrun::Error>(())
//! ```

mod bind;
mod debug;
pub mod dlopen;
mod dyld;
mod got;
mod graph;
mod layout;
mod loader;
mod object;
mod pre;
mod process;
mod regions;
pub mod search;
mod symbols;
mod unload;

pub use dlopen::{LibraryHandle, Symbol, SymbolKind};
pub use object::Object;
pub use pre::ProcessPre;
pub use process::{exit_status_of, Process};
pub use search::{library_path_from_env, LIBRARY_PATH_VAR};

use crate::wasi::WasiCtx;
use std::path::PathBuf;
use std::time::Duration;

/// Default size of the stack a PIE main gets: 1 MiB.
pub const DEFAULT_STACK_SIZE: u32 = 1 << 20;

/// How a [`Process`] finds and lays out its objects, and the WASI context
/// its guest gets. Built with chained setters (fields stay readable; the
/// struct is `#[non_exhaustive]`, so new settings are not breaking):
///
/// ```
/// let config = wrun::ProcessConfig::new()
///     .lib_path("wasm-fixtures/example") // like `-L`
///     .stack_size(256 << 10)
///     .wasi(wrun::wasi::WasiCtx::builder().args(vec!["main".into()]).build());
/// assert_eq!(config.lib_paths.len(), 1);
/// ```
#[non_exhaustive]
pub struct ProcessConfig {
    /// Directories searched first for NEEDED libraries (`-L`), in order.
    pub lib_paths: Vec<PathBuf>,
    /// Directories searched next (`WRUN_LIBRARY_PATH`), in order.
    pub env_lib_paths: Vec<PathBuf>,
    /// Libraries loaded right after the main, before its NEEDED ones (`--lib`).
    pub preload: Vec<PathBuf>,
    /// Bytes of stack for a PIE main (or for libraries of a main without one).
    pub stack_size: u32,
    /// Whether `dlopen` and NEEDED entries accept names with `/` or `..`
    /// (paths outside the search path); off by default.
    pub dlopen_paths: bool,
    /// The WASI context (arguments, environment, preopens, stdio); `None`
    /// defines no WASI functions at all. Default: inherited stdio, no
    /// arguments, no environment, no preopens.
    pub wasi: Option<WasiCtx>,
    /// Resource limits of the process's store (memory and table sizes,
    /// instances = objects); unlimited by default.
    pub limits: crate::StoreLimits,
    /// Most bytes of machine code the process's objects may have in total
    /// (load time and `dlopen`); unlimited by default.
    pub max_code_size: Option<usize>,
}

impl Default for ProcessConfig {
    fn default() -> Self {
        ProcessConfig {
            lib_paths: Vec::new(),
            env_lib_paths: Vec::new(),
            preload: Vec::new(),
            stack_size: DEFAULT_STACK_SIZE,
            dlopen_paths: false,
            wasi: Some(WasiCtx::builder().build()),
            limits: crate::StoreLimits::default(),
            max_code_size: None,
        }
    }
}

impl ProcessConfig {
    /// The default configuration.
    pub fn new() -> Self {
        ProcessConfig::default()
    }

    /// Sets the process's resource limits.
    pub fn limits(mut self, limits: crate::StoreLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the most bytes of machine code its objects may have in total.
    pub fn max_code_size(mut self, bytes: usize) -> Self {
        self.max_code_size = Some(bytes);
        self
    }

    /// Adds a directory searched for NEEDED libraries (`-L`).
    pub fn lib_path(mut self, dir: impl Into<PathBuf>) -> Self {
        self.lib_paths.push(dir.into());
        self
    }

    /// Adds a library loaded right after the main (`--lib`).
    pub fn preload(mut self, library: impl Into<PathBuf>) -> Self {
        self.preload.push(library.into());
        self
    }

    /// Sets the stack size of a PIE main, in bytes.
    pub fn stack_size(mut self, bytes: u32) -> Self {
        self.stack_size = bytes;
        self
    }

    /// Sets the guest's WASI context.
    pub fn wasi(mut self, ctx: WasiCtx) -> Self {
        self.wasi = Some(ctx);
        self
    }

    /// Lets `dlopen` and NEEDED entries name libraries with `/` or `..`
    /// (not only the search path).
    pub fn allow_dlopen_paths(mut self, allow: bool) -> Self {
        self.dlopen_paths = allow;
        self
    }

    /// Defines no WASI functions (a guest importing them fails to link).
    pub fn without_wasi(mut self) -> Self {
        self.wasi = None;
        self
    }

    /// A copy of every setting but the WASI context (which owns open
    /// descriptors and is not copied): `wasi` is `None`.
    pub(crate) fn settings_without_wasi(&self) -> ProcessConfig {
        ProcessConfig {
            lib_paths: self.lib_paths.clone(),
            env_lib_paths: self.env_lib_paths.clone(),
            preload: self.preload.clone(),
            stack_size: self.stack_size,
            dlopen_paths: self.dlopen_paths,
            wasi: None,
            limits: self.limits,
            max_code_size: self.max_code_size,
        }
    }

    /// Sets `env_lib_paths` from `$WRUN_LIBRARY_PATH`.
    pub fn with_env_library_path(mut self) -> Self {
        self.env_lib_paths = library_path_from_env();
        self
    }
}

impl std::fmt::Debug for ProcessConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessConfig")
            .field("lib_paths", &self.lib_paths)
            .field("env_lib_paths", &self.env_lib_paths)
            .field("preload", &self.preload)
            .field("stack_size", &self.stack_size)
            .field("wasi", &self.wasi.is_some())
            .finish()
    }
}

/// The store data of a process: its WASI context and the embedder's own
/// state `T`, both reachable from host functions through
/// [`crate::Caller::data`].
pub struct ProcessData<T: 'static> {
    wasi: Option<WasiCtx>,
    host: T,
    /// The process's loader; taken out while it links (see `loader.rs`).
    loader: Option<Box<loader::Loader<T>>>,
}

impl<T: 'static> ProcessData<T> {
    /// The WASI context, if the process has one.
    pub fn wasi(&self) -> Option<&WasiCtx> {
        self.wasi.as_ref()
    }

    /// The WASI context, mutably.
    pub fn wasi_mut(&mut self) -> Option<&mut WasiCtx> {
        self.wasi.as_mut()
    }

    /// The embedder's state.
    pub fn host(&self) -> &T {
        &self.host
    }

    /// The embedder's state, mutably.
    pub fn host_mut(&mut self) -> &mut T {
        &mut self.host
    }
}

/// Time spent in each loading phase.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoadStats {
    /// Reading files.
    pub read: Duration,
    /// Validating and compiling (near zero for cached modules).
    pub compile: Duration,
    /// Layout, symbol binding and instantiation.
    pub link: Duration,
    /// Data relocations and constructors.
    pub init: Duration,
}
