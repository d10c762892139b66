//! A program linked once and started many times: wasmtime's `InstancePre`
//! for a main module and its shared libraries.
//!
//! [`ProcessPre::new`] does everything that does not depend on a process:
//! it finds and compiles the files (NEEDED, `--lib`), builds the global
//! scope, binds every import, lays out memory and table and decides the
//! GOT and the init order — by linking one process that never runs, so
//! every link error surfaces there. [`ProcessPre::instantiate`] then only
//! makes the new process's items: its memory, table and stack pointer, the
//! host functions and GOT cells, each object's vmctx and data, and runs the
//! initialisers.
//!
//! For a PIE main all of that is planned. A non-PIE main takes its
//! libraries' regions from its own `malloc` (guest code, so per process):
//! its plan keeps the object graph and each process binds and lays out
//! again.

use super::graph::ObjectSet;
use super::layout::PieLayout;
use super::object::Object;
use super::process::Process;
use super::search::SearchPath;
use super::symbols::{Binding, HostKey, Scope};
use super::ProcessConfig;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::file_cache::FileIdentity;
use crate::wasi::WasiCtx;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A main module and its libraries, found, compiled and linked once; each
/// [`ProcessPre::instantiate`] starts one more process of it. Cheap to
/// clone; `Send + Sync`, so threads can start processes of one plan.
///
/// ```
/// use wrun::link::{ProcessConfig, ProcessPre};
/// use wrun::wasi::WasiCtx;
///
/// let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/../wasm-fixtures/seed");
/// let engine = wrun::Engine::default();
/// let pre = ProcessPre::new(&engine, ProcessConfig::new(), format!("{seed}/main.wasm"))?;
/// for _ in 0..2 {
///     let quiet = WasiCtx::builder().inherit_stdio(false).build();
///     let mut process = pre.instantiate(Some(quiet))?;
///     assert_eq!(process.run_start()?, 0);
/// }
/// assert!(pre.is_current()); // the files are unchanged
/// # Ok::<(), wrun::Error>(())
/// ```
#[derive(Clone)]
pub struct ProcessPre {
    engine: Engine,
    plan: Arc<LinkPlan>,
}

/// What a process of the program starts from.
struct LinkPlan {
    /// The process settings, without a WASI context.
    settings: ProcessConfig,
    /// Whether the plan binds WASI imports (each process then needs a context).
    with_wasi: bool,
    main: usize,
    /// The objects as loaded and laid out, with no store items.
    objects: Vec<Object>,
    by_path: hashbrown::HashMap<PathBuf, usize>,
    by_name: hashbrown::HashMap<String, Vec<usize>>,
    scope: Arc<Scope>,
    search: SearchPath,
    /// Each object's file and what it was when planned.
    files: Vec<(PathBuf, Option<FileIdentity>)>,
    /// The rest of the plan, for a PIE main.
    pie: Option<PiePlan>,
}

/// The store-independent link of a PIE main's process.
pub(crate) struct PiePlan {
    /// Memory, table and stack.
    pub layout: PieLayout,
    /// Each object's imports, by object.
    pub bindings: Vec<Vec<Binding>>,
    /// The GOT cells, in order: (kind, symbol, definer).
    pub got: Vec<(super::got::GotKind, String, Option<usize>)>,
    /// The host items bindings refer to, in order.
    pub host: Arc<Vec<HostKey>>,
    /// The libraries in init order.
    pub order: Vec<usize>,
}

impl ProcessPre {
    /// Finds, compiles and links the main module at `path` with `config`'s
    /// libraries and search path, as [`Process::load_main`] would, and
    /// keeps the result. `config.wasi` is only used for this link (to know
    /// whether WASI is defined); each process gets its own context.
    /// Link errors (a missing library or symbol, a type mismatch) are
    /// reported here.
    pub fn new(
        engine: &Engine,
        config: ProcessConfig,
        path: impl AsRef<Path>,
    ) -> Result<ProcessPre> {
        let settings = config.settings_without_wasi();
        let with_wasi = config.wasi.is_some();
        let mut scratch = Process::new(engine, config)?;
        scratch.link_without_init(path.as_ref())?;
        let loader = scratch.loader();
        let main = loader
            .main
            .ok_or_else(|| Error::msg("linking gave no main module"))?;
        let objects: Vec<Object> = loader.set.objects.iter().map(Object::fresh_copy).collect();
        let files = objects
            .iter()
            .map(|o| (o.path.clone(), FileIdentity::of(&o.path)))
            .collect();
        let pie = loader.pie_layout.clone().map(|layout| PiePlan {
            layout,
            bindings: loader.load_bindings.clone(),
            got: loader.got.cells(),
            host: loader.host_items.keys(),
            order: loader.init_order.clone(),
        });
        let plan = LinkPlan {
            settings,
            with_wasi,
            main,
            objects,
            by_path: loader.set.by_path.clone(),
            by_name: loader.set.by_name.clone(),
            scope: loader.scope.clone(),
            search: loader.search.clone(),
            files,
            pie,
        };
        Ok(ProcessPre {
            engine: engine.clone(),
            plan: Arc::new(plan),
        })
    }

    /// Starts one more process of the program: its memory, table, host
    /// items, vmctxs and GOT cells made, data copied, relocations and
    /// constructors run (not `_start`; see [`Process::run_start`]).
    /// `wasi` is its WASI context; `None` if the plan was made without one.
    pub fn instantiate(&self, wasi: Option<WasiCtx>) -> Result<Process<()>> {
        self.instantiate_with_data(wasi, ())
    }

    /// As [`ProcessPre::instantiate`], with the embedder's state `host`.
    pub fn instantiate_with_data<T: 'static>(
        &self,
        wasi: Option<WasiCtx>,
        host: T,
    ) -> Result<Process<T>> {
        let plan = &*self.plan;
        if wasi.is_some() != plan.with_wasi {
            return Err(Error::msg(if plan.with_wasi {
                "this program was linked with WASI: give each process a WASI context"
            } else {
                "this program was linked without WASI: its processes take no WASI context"
            }));
        }
        let mut config = plan.settings.settings_without_wasi();
        config.wasi = wasi;
        let mut process = Process::with_data(&self.engine, config, host)?;
        process.link_from_plan(|loader, store| {
            loader.set = ObjectSet {
                objects: plan.objects.clone(),
                by_path: plan.by_path.clone(),
                by_name: plan.by_name.clone(),
            };
            loader.search = plan.search.clone();
            loader.scope = plan.scope.clone();
            match &plan.pie {
                Some(pie) => loader.link_planned(store, pie, plan.main),
                None => loader.link_resolved(store, plan.main),
            }
        })?;
        Ok(process)
    }

    /// Whether every file of the program is as it was when planned (same
    /// device, inode, size and times: one `stat` each). A plan that is not
    /// current still starts the program it planned, from the code compiled
    /// then.
    pub fn is_current(&self) -> bool {
        self.plan
            .files
            .iter()
            .all(|(path, identity)| identity.is_some() && FileIdentity::of(path) == *identity)
    }

    /// The program's objects in load order (main first), with the bases
    /// every process gives them.
    pub fn objects(&self) -> &[Object] {
        &self.plan.objects
    }

    /// The engine the program was compiled with.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}
