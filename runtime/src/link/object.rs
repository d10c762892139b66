//! An object: one module loaded into a process.

use crate::instance::Instance;
use crate::module::Module;
use std::path::{Path, PathBuf};

/// A module loaded into a [`Process`](super::Process): its instance and the
/// memory and table regions it was given.
#[derive(Debug, Clone)]
pub struct Object {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) canonical: PathBuf,
    pub(crate) module: Module,
    pub(crate) instance: Option<Instance>,
    pub(crate) memory_base: u32,
    pub(crate) table_base: u32,
    pub(crate) needed: Vec<usize>,
    pub(crate) is_main: bool,
    /// Whether it is loaded (an unloaded object stays as a tombstone, so
    /// that loading it again reuses its slot, instance and cached imports).
    pub(crate) loaded: bool,
    /// Whether linking it finished (a failed `dlopen` unloads the objects
    /// it left unlinked).
    pub(crate) linked: bool,
    /// Bumped each time the object is loaded, so handles of an earlier
    /// incarnation are recognised as stale.
    pub(crate) generation: u16,
    /// Open `dlopen` handles on it.
    pub(crate) refs: u32,
    /// Never unloaded: loaded at start, or opened with RTLD_NODELETE.
    pub(crate) pinned: bool,
    /// Its exports are in the global scope (load time, or RTLD_GLOBAL).
    pub(crate) global: bool,
    /// Objects it bound symbols from (and its NEEDED ones): they stay
    /// loaded while it is.
    pub(crate) uses: Vec<usize>,
    /// Host items made for its imports (base globals, weak stubs), by
    /// import index, reused when it is loaded again.
    pub(crate) import_items: Vec<Option<crate::externals::Extern>>,
    /// Tags it defines and exports that an object instantiated before it
    /// already imported: (defined tag index, the tag the importer got). Its
    /// instance uses that tag as its own, so both name one tag.
    pub(crate) tag_aliases: Vec<(u32, crate::tag::Tag)>,
}

impl Object {
    pub(crate) fn new(path: PathBuf, canonical: PathBuf, module: Module, is_main: bool) -> Object {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Object {
            name,
            path,
            canonical,
            module,
            instance: None,
            memory_base: 0,
            table_base: 0,
            needed: Vec::new(),
            is_main,
            loaded: true,
            linked: true,
            generation: 0,
            refs: 0,
            pinned: true,
            global: true,
            uses: Vec::new(),
            import_items: Vec::new(),
            tag_aliases: Vec::new(),
        }
    }

    /// This object as it is before any store holds it (for a link plan):
    /// the same module, bases and graph, no instance, no store items.
    pub(crate) fn fresh_copy(&self) -> Object {
        Object {
            instance: None,
            import_items: Vec::new(),
            tag_aliases: Vec::new(),
            ..self.clone()
        }
    }

    /// The file name, as used in error messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The path it was loaded from (as given or as found on the search path).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The canonical path: the identity of a library within a process.
    pub fn canonical_path(&self) -> &Path {
        &self.canonical
    }

    /// The compiled module (shared with every other process that loads the same bytes).
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// The instance, once the object is linked.
    pub fn instance(&self) -> Option<Instance> {
        self.instance
    }

    /// Start of its data region in the process memory (`__memory_base`); 0 for a non-PIE main.
    pub fn memory_base(&self) -> u32 {
        self.memory_base
    }

    /// Start of its table region (`__table_base`); 0 for a non-PIE main.
    pub fn table_base(&self) -> u32 {
        self.table_base
    }

    /// Bytes of its data region (dylink.0 `memorysize`; 0 without dylink.0).
    pub fn memory_size(&self) -> u32 {
        self.module.dylink().map_or(0, |d| d.memory_size)
    }

    /// Slots of its table region (dylink.0 `tablesize`; 0 without dylink.0).
    pub fn table_size(&self) -> u32 {
        self.module.dylink().map_or(0, |d| d.table_size)
    }

    /// Indices (into [`Process::objects`](super::Process::objects)) of the
    /// libraries it NEEDS, in NEEDED order.
    pub fn needed(&self) -> &[usize] {
        &self.needed
    }

    /// Whether it is currently loaded (`false` after it was unloaded by `dlclose`).
    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// Open `dlopen` references on it.
    pub fn ref_count(&self) -> u32 {
        self.refs
    }

    /// Whether this is the main module.
    pub fn is_main(&self) -> bool {
        self.is_main
    }

    /// Whether its exported data addresses are relative to `__memory_base`
    /// (it has dylink.0) rather than absolute.
    pub(crate) fn is_relocatable(&self) -> bool {
        self.module.dylink().is_some()
    }
}
