//! The dynamic loader's state of one process (ld.so's link map): the
//! objects, the global scope, the GOT, the shared memory, table and stack,
//! and the host definitions imports bind to.
//!
//! It lives in the store's data ([`ProcessData`]), so that host functions
//! (the `dyld` module behind `dlopen`) reach the loader of the process that
//! called them. While the loader links, it is taken out of the store
//! ([`with_loader`]); code that runs during linking (a start function)
//! therefore cannot re-enter it, while constructors, which run after
//! linking, can call `dlopen`.

use super::bind::Patches;
use super::got::{FuncSlots, Got};
use super::graph::{init_order, ObjectSet};
use super::search::SearchPath;
use super::symbols::{HostItems, Planner, Scope};
use super::{LoadStats, ProcessConfig, ProcessData};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::externals::{Extern, Global, Memory, Table};
use crate::instance::Instance;
use crate::linker::Linker;
use crate::store::{StoreContextMut, StoreOpaque};
use std::path::PathBuf;
use std::time::Instant;

/// The loader of one process.
pub(crate) struct Loader<T: 'static> {
    pub(crate) linker: Linker<ProcessData<T>>,
    pub(crate) engine: Engine,
    pub(crate) config: ProcessConfig,
    pub(crate) set: ObjectSet,
    /// Shared with the link plan it came from until `dlopen` changes it.
    pub(crate) scope: std::sync::Arc<Scope>,
    pub(crate) got: Got,
    pub(crate) slots: FuncSlots,
    pub(crate) patches: Patches,
    pub(crate) memory: Option<Memory>,
    pub(crate) table: Option<Table>,
    pub(crate) stack_pointer: Option<Global>,
    pub(crate) heap_base: u32,
    pub(crate) main: Option<usize>,
    pub(crate) stats: LoadStats,
    /// Where NEEDED (and `dlopen`) names are searched.
    pub(crate) search: SearchPath,
    /// Linker definitions placed in the store (see `Planner::host_items`).
    pub(crate) host_items: HostItems,
    /// State of run-time loading (`dlopen`).
    pub(crate) dyld: super::dlopen::DyldState,
    /// For a main whose constructors the loader ran itself (see
    /// [`MAIN_ENTRIES`]): the entry `Process::run_start` calls instead of
    /// `_start`, which would run them again.
    pub(crate) main_entry: Option<&'static str>,
    /// The bindings of the objects linked at load time, by object (kept
    /// for a link plan, see `pre.rs`).
    pub(crate) load_bindings: Vec<Vec<super::symbols::Binding>>,
    /// The libraries linked at load time, in init order.
    pub(crate) init_order: Vec<usize>,
    /// The layout of a PIE main's memory, table and stack.
    pub(crate) pie_layout: Option<super::layout::PieLayout>,
}

/// What wasi-libc's `_start` calls after `__wasm_call_ctors`: `__main_void`
/// (current wasi-libc) or `__original_main` (older releases, Debian's). A
/// non-PIE main that exports `__wasm_call_ctors` and one of these is
/// initialised before its libraries' constructors run, so they can use its
/// libc (stdio, preopened directories).
pub(crate) const MAIN_ENTRIES: [&str; 2] = ["__main_void", "__original_main"];

/// An initialiser to run once linking is done: `name() -> ()` of an object.
#[derive(Debug, Clone)]
pub(crate) struct Init {
    pub object: String,
    pub instance: Instance,
    pub name: &'static str,
}

/// Runs `f` with the loader taken out of the store's data, so that `f` can
/// use the store freely; puts it back afterwards, whatever `f` returned.
pub(crate) fn with_loader<T: 'static, R>(
    mut cx: StoreContextMut<'_, ProcessData<T>>,
    f: impl FnOnce(&mut Loader<T>, &mut StoreOpaque) -> Result<R>,
) -> Result<R> {
    let mut loader = cx.data_mut().loader.take().ok_or_else(|| {
        Error::msg(
            "the dynamic loader is busy: a start function cannot load libraries while its own library is being linked",
        )
    })?;
    let result = f(&mut loader, cx.opaque_mut());
    // Linking is where host functions get their stubs: keep the new ones
    // for the next process (a no-op when there are none).
    loader.engine.save_trampolines();
    cx.data_mut().loader = Some(loader);
    result
}

impl<T: 'static> Loader<T> {
    pub(crate) fn new(
        engine: &Engine,
        config: ProcessConfig,
        linker: Linker<ProcessData<T>>,
    ) -> Self {
        Loader {
            linker,
            engine: engine.clone(),
            config,
            set: ObjectSet::default(),
            scope: Default::default(),
            got: Got::default(),
            slots: FuncSlots::default(),
            patches: Patches::default(),
            memory: None,
            table: None,
            stack_pointer: None,
            heap_base: 0,
            main: None,
            stats: LoadStats::default(),
            search: SearchPath::default(),
            host_items: HostItems::default(),
            dyld: Default::default(),
            main_entry: None,
            load_bindings: Vec::new(),
            init_order: Vec::new(),
            pie_layout: None,
        }
    }

    /// Links the main `objects[main]` with its preloads and NEEDED
    /// libraries: layout, binding, instantiation and the GOT. Returns the
    /// initialisers to run, in order.
    pub(crate) fn link_main(
        &mut self,
        store: &mut StoreOpaque,
        main: usize,
        main_dir: Option<PathBuf>,
    ) -> Result<Vec<Init>> {
        self.resolve_main(main, main_dir)?;
        self.link_resolved(store, main)
    }

    /// Loads the preloads and every NEEDED library of the main
    /// `objects[main]` (the object graph, without a store).
    fn resolve_main(&mut self, main: usize, main_dir: Option<PathBuf>) -> Result<()> {
        let engine = self.engine.clone();
        self.main = Some(main);
        for lib in self.config.preload.clone() {
            self.set.add(
                &engine,
                &lib,
                Some("given with --lib"),
                false,
                &mut self.stats,
            )?;
        }
        self.search = SearchPath {
            lib_paths: self.config.lib_paths.clone(),
            env_paths: self.config.env_lib_paths.clone(),
            main_dir,
            allow_paths: self.config.dlopen_paths,
        };
        self.set
            .load_needed(&engine, &self.search, 0, &mut self.stats)?;
        self.check_code_size()
    }

    /// Links the objects `resolve_main` found: scope, bindings, layout,
    /// instantiation and the GOT.
    pub(crate) fn link_resolved(
        &mut self,
        store: &mut StoreOpaque,
        main: usize,
    ) -> Result<Vec<Init>> {
        self.main = Some(main);
        let t = Instant::now();
        let count = self.set.objects.len();
        self.dyld.global_order = (0..count).collect();
        self.scope =
            std::sync::Arc::new(Scope::rebuild(&self.set.objects, &self.dyld.global_order));
        let mut planner = Planner {
            objects: &self.set.objects,
            scope: &self.scope,
            local: &[],
            linker: &self.linker,
            got: &mut self.got,
            host_items: &mut self.host_items,
        };
        let bindings = (0..count)
            .map(|i| planner.plan(store, i))
            .collect::<Result<Vec<_>>>()?;
        let libs: Vec<usize> = (0..count).filter(|&i| i != main).collect();
        let order = init_order(&self.set.objects, &libs, &[main]);
        if self.is_pie(main) {
            let layout = self.layout_pie(main, &libs)?;
            self.apply_pie_layout(store, &layout)?;
            self.pie_layout = Some(layout);
            for &i in &order {
                self.instantiate(store, i, &bindings[i])?;
            }
            self.instantiate(store, main, &bindings[main])?;
        } else {
            self.prepare_fixed_main(store, main, &bindings[main])?;
            self.instantiate(store, main, &bindings[main])?;
            self.adopt_main_exports(store, main)?;
            self.place_libraries(store, &libs)?;
            for &i in &order {
                self.instantiate(store, i, &bindings[i])?;
            }
        }
        self.finish_linking(store)?;
        self.load_bindings = bindings;
        self.init_order = order;
        self.stats.link += t.elapsed();
        Ok(self.load_time_inits(store, main))
    }

    /// Links a PIE main and its libraries as `plan` says (the graph, the
    /// bindings, the layout and the GOT of an earlier process): only the
    /// store's items are made.
    pub(crate) fn link_planned(
        &mut self,
        store: &mut StoreOpaque,
        plan: &super::pre::PiePlan,
        main: usize,
    ) -> Result<Vec<Init>> {
        let t = Instant::now();
        self.main = Some(main);
        self.dyld.global_order = (0..self.set.objects.len()).collect();
        self.host_items = HostItems::replay(store, &self.linker, &plan.host)?;
        for (kind, name, definition) in &plan.got {
            self.got.entry(store, *kind, name, *definition)?;
        }
        self.apply_pie_layout(store, &plan.layout)?;
        for &i in &plan.order {
            self.instantiate(store, i, &plan.bindings[i])?;
        }
        self.instantiate(store, main, &plan.bindings[main])?;
        self.finish_linking(store)?;
        self.init_order = plan.order.clone();
        self.stats.link += t.elapsed();
        Ok(self.load_time_inits(store, main))
    }

    /// The initialisers of a program linked at load time, in the order
    /// they run.
    fn load_time_inits(&mut self, store: &StoreOpaque, main: usize) -> Vec<Init> {
        // ld.so's order: every object relocated before any initialiser
        // runs; libraries are initialised dependencies first, before the
        // main. A main that carries libc and lets the loader run its
        // constructors goes first instead: libc is what ld.so initialises
        // first, and here it lives in the main.
        let order = &self.init_order;
        let mut all = order.clone();
        all.push(main);
        let mut inits = self.inits(&all, "__wasm_apply_data_relocs");
        self.main_entry = self.separate_main_entry(store, main);
        if self.main_entry.is_some() {
            inits.extend(self.inits(&[main], "__wasm_call_ctors"));
        }
        inits.extend(self.inits(order, "__wasm_call_ctors"));
        // A WASI reactor initialises itself through `_initialize`.
        inits.extend(self.inits(&[main], "_initialize"));
        inits
    }

    /// Fails if the loaded objects' machine code passes
    /// `ProcessConfig::max_code_size`.
    pub(crate) fn check_code_size(&self) -> Result<()> {
        let Some(limit) = self.config.max_code_size else {
            return Ok(());
        };
        let total: usize = self
            .set
            .objects
            .iter()
            .filter(|o| o.loaded)
            .map(|o| o.module.code_size())
            .sum();
        if total > limit {
            return Err(Error::msg(format!(
                "resource limit exceeded: the process's objects have {total} bytes of machine code, more than its limit of {limit}"
            )));
        }
        Ok(())
    }

    /// After instantiation: placeholder imports patched, the table's new
    /// function slots recorded, and every GOT cell not yet filled filled.
    pub(crate) fn finish_linking(&mut self, store: &mut StoreOpaque) -> Result<()> {
        self.apply_patches(store)?;
        if let Some(table) = self.table {
            self.slots.scan(store, &table);
        }
        self.got.fill(
            store,
            &self.set.objects,
            self.table.as_ref(),
            &mut self.slots,
            self.heap_base,
        )
    }

    /// `name` of each of `objects` that is instantiated, in order.
    pub(crate) fn inits(&self, objects: &[usize], name: &'static str) -> Vec<Init> {
        objects
            .iter()
            .filter_map(|&object| {
                let instance = self.set.objects[object].instance?;
                Some(Init {
                    object: self.set.objects[object].name.clone(),
                    instance,
                    name,
                })
            })
            .collect()
    }

    /// The entry of a non-PIE main that exports `__wasm_call_ctors`, `_start`
    /// and one of [`MAIN_ENTRIES`], of the types wasi-libc gives them.
    fn separate_main_entry(&self, store: &StoreOpaque, main: usize) -> Option<&'static str> {
        let object = &self.set.objects[main];
        if object.is_relocatable() {
            return None;
        }
        let instance = object.instance?;
        let func_type = |name: &str| {
            let func = instance.get_export_in(store, name)?.into_func()?;
            Some(func.ty_in(store))
        };
        let unit = |name: &str| {
            func_type(name).is_some_and(|t| t.params().is_empty() && t.results().is_empty())
        };
        if !unit("__wasm_call_ctors") || !unit("_start") {
            return None;
        }
        MAIN_ENTRIES.into_iter().find(|name| {
            func_type(name).is_some_and(|t| {
                t.params().is_empty() && t.results() == [crate::types::ValType::I32]
            })
        })
    }

    /// A PIE main has dylink.0 and imports its memory.
    fn is_pie(&self, main: usize) -> bool {
        let module = &self.set.objects[main].module;
        module.dylink().is_some()
            && module
                .imports()
                .iter()
                .any(|i| i.module == "env" && i.name == "memory")
    }

    /// Looks `name` up in the global scope, like `dlsym(RTLD_DEFAULT, name)`.
    pub(crate) fn lookup(&self, store: &StoreOpaque, name: &str) -> Option<Extern> {
        let (index, _) = self.scope.lookup(name)?;
        self.set.objects[index].instance?.get_export_in(store, name)
    }
}

/// Runs initialisers (each `() -> ()`, skipped if not exported), in order;
/// the loader is in the store meanwhile, so they may call `dlopen`.
pub(crate) fn run_inits(store: &mut StoreOpaque, inits: &[Init]) -> Result<()> {
    for init in inits {
        let Some(func) = init
            .instance
            .get_export_in(store, init.name)
            .and_then(Extern::into_func)
        else {
            continue;
        };
        let ty = func.ty_in(store);
        if !ty.params().is_empty() || !ty.results().is_empty() {
            return Err(Error::msg(format!(
                "{}: {} has type {ty}, expected () -> ()",
                init.object, init.name
            )));
        }
        if super::debug::flags().init {
            super::debug::trace(
                "init",
                format_args!("{} {}", crate::error::printable(&init.object), init.name),
            );
        }
        func.call_in(store, &[], &mut [])?;
    }
    Ok(())
}
