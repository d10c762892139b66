//! A process: one store, one memory, one table, one stack pointer, a global
//! symbol scope and the objects loaded into it.

use super::dlopen::{LibraryHandle, Symbol, SymbolKind};
use super::loader::{run_inits, with_loader, Init, Loader};
use super::object::Object;
use super::search::directory_of;
use super::{LoadStats, ProcessConfig, ProcessData};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::externals::{Extern, Global, Memory, Table};
use crate::func::Caller;
use crate::func::Func;
use crate::linker::Linker;
use crate::store::{AsContext, AsContextMut, Store, StoreContext, StoreContextMut};
use crate::typed::IntoFunc;
use crate::types::FuncType;
use crate::values::Val;
use crate::wasi::WasiCtx;
use std::path::Path;
use std::time::Instant;

/// One running program: a main module and its shared libraries, sharing one
/// linear memory, one function table and one stack. `T` is the embedder's
/// own state, reachable from host functions as
/// `caller.data().host()` (see [`ProcessData`]).
///
/// ```no_run
/// # fn main() -> wrun::Result<()> {
/// let engine = wrun::Engine::default();
/// let mut process = wrun::link::Process::new(&engine, wrun::link::ProcessConfig::default())?;
/// process.load_main("main.wasm")?;
/// let _status = process.run_start()?;
/// # Ok(()) }
/// ```
pub struct Process<T: 'static = ()> {
    store: Store<ProcessData<T>>,
}

/// The WASI context of a process that was configured with one (host
/// functions for WASI are only defined then).
pub(crate) fn wasi_of<T>(data: &mut ProcessData<T>) -> &mut WasiCtx {
    data.wasi
        .as_mut()
        .expect("WASI functions are only defined for a process with a WASI context")
}

impl Process<()> {
    /// A process with no objects yet and no embedder state. WASI is defined
    /// from `config.wasi` (none if it is `None`).
    pub fn new(engine: &Engine, config: ProcessConfig) -> Result<Process<()>> {
        Process::with_data(engine, config, ())
    }
}

impl<T: 'static> Process<T> {
    /// A process with no objects yet, holding the embedder's state `host`.
    pub fn with_data(engine: &Engine, mut config: ProcessConfig, host: T) -> Result<Process<T>> {
        let wasi = config.wasi.take();
        // WASI and `dyld` are the same host functions in every process of
        // this engine: built once, shared by every process's linker.
        let base = if wasi.is_some() {
            engine.shared_definitions::<ProcessData<T>>("wasi+dyld", |linker| {
                crate::wasi::add_to_linker(linker, wasi_of::<T>)?;
                super::dyld::add_to_linker(linker)
            })?
        } else {
            engine.shared_definitions::<ProcessData<T>>("dyld", super::dyld::add_to_linker)?
        };
        let linker = Linker::with_base(base);
        let limits = config.limits;
        let loader = Loader::new(engine, config, linker);
        let data = ProcessData {
            wasi,
            host,
            loader: Some(Box::new(loader)),
        };
        let mut store = Store::new(engine, data);
        store.set_limits(limits);
        Ok(Process { store })
    }

    pub(super) fn loader(&self) -> &Loader<T> {
        self.store
            .data()
            .loader
            .as_deref()
            .expect("the loader is in the store outside of linking")
    }

    fn loader_mut(&mut self) -> &mut Loader<T> {
        self.store
            .data_mut()
            .loader
            .as_deref_mut()
            .expect("the loader is in the store outside of linking")
    }

    /// Defines a host item that imports of `module.name` bind to (after the
    /// objects' own exports, for `env`). Definitions are looked up when an
    /// object that imports them is linked, so define them before then.
    pub fn define(&mut self, module: &str, name: &str, item: impl Into<Extern>) -> &mut Self {
        self.loader_mut().linker.define(module, name, item);
        self
    }

    /// Instantiates the module at `path` in this process, with the process's
    /// host definitions (WASI, earlier definitions) as its imports, runs
    /// its `_initialize` if it is a reactor, and defines its exports as
    /// import module `name` for the objects loaded later: wasmtime's
    /// `--preload NAME=FILE`. Its memory, if any, is its own, not the
    /// process memory.
    pub fn preload_module(&mut self, name: &str, path: impl AsRef<Path>) -> Result<()> {
        let module = crate::Module::from_file(self.engine(), path)?;
        let linker = self.loader().linker.clone();
        let instance = linker.instantiate(&mut self.store, &module)?;
        if let Some(init) = instance.get_func(&self.store, "_initialize") {
            init.call(&mut self.store, &[], &mut [])?;
        }
        let exports = instance.exports(&self.store);
        for (export, item) in exports {
            self.define(name, &export, item);
        }
        Ok(())
    }

    /// Defines a host function `module.name` from a Rust closure; it reaches
    /// the process's state through `caller.data()` / `data_mut()`.
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<ProcessData<T>, Params, Results>,
    ) -> Result<&mut Self> {
        self.loader_mut().linker.func_wrap(module, name, f)?;
        Ok(self)
    }

    /// Defines a host function `module.name` over the dynamic `Val` interface.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, ProcessData<T>>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        self.loader_mut().linker.func_new(module, name, ty, f)?;
        Ok(self)
    }

    /// Loads the main module from `path`, then the `preload` libraries and
    /// every NEEDED library; lays out memory and table; binds every import
    /// (a missing symbol or a type mismatch fails here, before any guest
    /// code runs); instantiates; fills the GOT; then runs
    /// `__wasm_apply_data_relocs` of every object and `__wasm_call_ctors` of
    /// every library, dependencies first. The main's own constructors run
    /// from its `_start`, except for a non-PIE main carrying wasi-libc that
    /// exports `__wasm_call_ctors` and its entry: its constructors run
    /// first, before the libraries' (see [`Process::run_start`]). NEEDED
    /// libraries are also searched for in the main's directory.
    pub fn load_main(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let inits = self.link_main(path.as_ref())?;
        self.run_inits(&inits)
    }

    /// Loads and links the main and its libraries as [`Process::load_main`]
    /// does, but runs no initialiser and no guest code: for looking at the
    /// resolved program ([`Process::objects`]), as `wrun --list` (ld.so's
    /// `--list`, `ldd`) does. The process is not meant to run afterwards.
    pub fn link_without_init(&mut self, path: impl AsRef<Path>) -> Result<()> {
        self.link_main(path.as_ref()).map(drop)
    }

    fn link_main(&mut self, path: &Path) -> Result<Vec<Init>> {
        self.check_no_main()?;
        with_loader(self.store.as_context_mut(), |loader, store| {
            let engine = loader.engine.clone();
            let (main, _) = loader
                .set
                .add(&engine, path, None, true, &mut loader.stats)?;
            loader.link_main(store, main, Some(directory_of(path)))
        })
    }

    /// As [`Process::load_main`], for a main module given as bytes and
    /// known by `name` (NEEDED libraries come from the search path only).
    pub fn load_main_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.check_no_main()?;
        let inits = with_loader(self.store.as_context_mut(), |loader, store| {
            let t = Instant::now();
            let module = crate::Module::with_name(&loader.engine, bytes, name)?;
            loader.stats.compile += t.elapsed();
            let main = loader.set.insert(name.into(), name.into(), module, true);
            loader.link_main(store, main, None)
        })?;
        self.run_inits(&inits)
    }

    /// Links with the loader `link` fills from a plan (`pre.rs`), then
    /// runs the initialisers it returns.
    pub(super) fn link_from_plan(
        &mut self,
        link: impl FnOnce(&mut Loader<T>, &mut crate::store::StoreOpaque) -> Result<Vec<Init>>,
    ) -> Result<()> {
        self.check_no_main()?;
        let inits = with_loader(self.store.as_context_mut(), link)?;
        self.run_inits(&inits)
    }

    fn run_inits(&mut self, inits: &[Init]) -> Result<()> {
        let t = Instant::now();
        let result = run_inits(self.store.opaque_mut(), inits);
        self.loader_mut().stats.init += t.elapsed();
        result
    }

    fn check_no_main(&self) -> Result<()> {
        match self.loader().main {
            Some(_) => Err(Error::msg("this process already has a main module")),
            None => Ok(()),
        }
    }

    /// Opens a library while the process runs, like `dlopen(name, flags)`
    /// (flags from [`super::dlopen::flags`]; 0 is RTLD_LAZY | RTLD_LOCAL).
    /// `name` is searched like a NEEDED entry; a library already loaded
    /// returns the same handle and counts a reference.
    pub fn dlopen(&mut self, name: &str, flags: u32) -> Result<LibraryHandle> {
        super::dlopen::open(self.store.as_context_mut(), name, flags)
    }

    /// Finds a symbol in a library and what it NEEDS (`Some(handle)`), or
    /// in the global scope (`None`, RTLD_DEFAULT), like `dlsym`.
    pub fn dlsym(
        &mut self,
        handle: Option<LibraryHandle>,
        kind: SymbolKind,
        name: &str,
    ) -> Result<Symbol> {
        super::dlopen::sym(self.store.as_context_mut(), handle, kind, name)
    }

    /// Releases a handle, like `dlclose`; a library nothing needs any more
    /// is unloaded (destructors first).
    pub fn dlclose(&mut self, handle: LibraryHandle) -> Result<()> {
        super::unload::close(self.store.as_context_mut(), handle)
    }

    /// The text of the last failed `dlopen`/`dlsym`/`dlclose` made by the
    /// guest (through the `dyld` module), clearing it, like `dlerror`.
    pub fn dlerror(&mut self) -> Option<String> {
        self.loader_mut().dyld.last_error.take()
    }

    /// Runs the main's `_start` (if it has one). Returns the exit status:
    /// the `proc_exit` code, or 0 when `_start` returns.
    ///
    /// For a main whose constructors the loader already ran (a non-PIE main
    /// carrying wasi-libc that exports `__wasm_call_ctors` and its entry,
    /// see the README), this does what wasi-libc's `_start` does after
    /// them: the entry, `__wasm_call_dtors`, and `exit(status)` if the
    /// status is not 0.
    pub fn run_start(&mut self) -> Result<i32> {
        if let Some(entry) = self.loader().main_entry {
            return exit_status_of(self.run_entry(entry));
        }
        let Some(start) = self.get_func("_start") else {
            return Ok(0);
        };
        exit_status_of(start.call(&mut self.store, &[], &mut []))
    }

    /// wasi-libc's `_start` after its constructors, with the main's status
    /// carried out as a `proc_exit` would.
    fn run_entry(&mut self, entry: &str) -> Result<()> {
        let status = self.invoke(entry, &[])?[0].i32().unwrap_or(0);
        if let Some(dtors) = self.get_func("__wasm_call_dtors") {
            dtors.call(&mut self.store, &[], &mut [])?;
        }
        if status == 0 {
            return Ok(());
        }
        match self.get_func("exit") {
            Some(exit) => exit.call(&mut self.store, &[Val::I32(status)], &mut []),
            None => Err(Error::new(crate::error::ErrorKind::Exit(status))),
        }
    }

    /// Calls the main's export `name` with `args`; returns its results.
    pub fn invoke(&mut self, name: &str, args: &[Val]) -> Result<Vec<Val>> {
        let func = self.get_func(name).ok_or_else(|| {
            let main = self.main().map_or("the main module", |m| m.name());
            Error::msg(format!("{main} has no exported function `{name}`"))
        })?;
        let ty = func.ty(&self.store);
        let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
        func.call(&mut self.store, args, &mut results)?;
        Ok(results)
    }

    /// An exported function of the main module.
    pub fn get_func(&self, name: &str) -> Option<Func> {
        self.main()?.instance?.get_func(&self.store, name)
    }

    /// Looks `name` up in the global scope (main first, then libraries in
    /// load order), like `dlsym(RTLD_DEFAULT, name)`.
    pub fn lookup(&self, name: &str) -> Option<Extern> {
        self.loader().lookup(self.store.opaque(), name)
    }

    /// Every object slot, in load order (main first). A library that
    /// `dlclose` unloaded keeps its slot (reused if it is opened again) and
    /// reports [`Object::is_loaded`] false.
    pub fn objects(&self) -> &[Object] {
        &self.loader().set.objects
    }

    /// The main module's object.
    pub fn main(&self) -> Option<&Object> {
        let loader = self.loader();
        loader.set.objects.get(loader.main?)
    }

    /// The shared memory (once loaded; `None` for a main without one).
    pub fn memory(&self) -> Option<Memory> {
        self.loader().memory
    }

    /// The shared function table.
    pub fn table(&self) -> Option<Table> {
        self.loader().table
    }

    /// The stack pointer shared by every object.
    pub fn stack_pointer(&self) -> Option<Global> {
        self.loader().stack_pointer
    }

    /// Where the heap starts (`__heap_base`).
    pub fn heap_base(&self) -> u32 {
        self.loader().heap_base
    }

    /// Time spent reading, compiling, linking and initialising.
    pub fn stats(&self) -> LoadStats {
        self.loader().stats
    }

    /// The store holding every object's state (to read memory, globals, ...).
    pub fn store(&self) -> StoreContext<'_, ProcessData<T>> {
        self.store.as_context()
    }

    /// The store, mutably (to call functions or touch memory).
    pub fn store_mut(&mut self) -> StoreContextMut<'_, ProcessData<T>> {
        self.store.as_context_mut()
    }

    /// The embedder's state.
    pub fn data(&self) -> &T {
        self.store.data().host()
    }

    /// The embedder's state, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.store.data_mut().host_mut()
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        self.store.engine()
    }
}

/// A program's exit status from how its entry point ended: 0 when it
/// returned, the `proc_exit` code when it exited; traps and other errors
/// stay errors (see [`Error::exit_status`] for the number a command-line
/// runner reports for them).
pub fn exit_status_of(outcome: Result<()>) -> Result<i32> {
    match outcome {
        Ok(()) => Ok(0),
        Err(e) => match e.exit_code() {
            Some(code) => Ok(code),
            None => Err(e),
        },
    }
}
