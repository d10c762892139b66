//! Run-time linking: `dlopen`, `dlsym` and `dlclose` on a live process.
//!
//! - Opening a library already loaded returns the same handle and counts a
//!   reference; its constructors do not run again. A new library is loaded
//!   with the NEEDED libraries it brings, laid out, bound (eagerly, even for
//!   RTLD_LAZY, which permits it), instantiated, and initialised
//!   (relocations, then constructors, dependencies first).
//! - A failure at any step leaves nothing behind: every object of the
//!   half-loaded group is unloaded again (scope entries, regions, table slots).
//! - RTLD_GLOBAL puts the group's exports in the global scope; RTLD_LOCAL
//!   keeps them reachable only from the group itself and through its handle.
//! - `dlclose` drops a reference; an object with no references that no
//!   loaded object uses (bound a symbol from, or NEEDS) is unloaded, with its
//!   destructors, and so on transitively. Objects loaded at start and
//!   RTLD_NODELETE ones stay.
//!
//! Unloading is real but memory-safe: every function reference of the
//! object is pointed at a stub that fails with a clear error (so stale
//! handles and function pointers never run freed code), table slots that
//! named its functions are cleared (a stale `call_indirect` traps with
//! "uninitialized element"), and its data and table regions go to free
//! lists that later loads reuse (zeroed, so a reused region looks fresh).
//! The object's slot keeps its instance allocation and cached imports, so
//! opening the same library again reuses them: load/unload cycles do not
//! grow the process.

use super::graph::init_order;
use super::loader::{run_inits, with_loader, Init, Loader};
use super::regions::{self, FreeList, Request};
use super::symbols::{Binding, Planner};
use super::ProcessData;
use crate::error::{Error, ErrorKind, Result};
use crate::externals::Extern;
use crate::func::Func;
use crate::store::{AsContextMut, StoreContextMut, StoreOpaque};
use crate::vm::VMFuncRef;
use hashbrown::HashMap;
use std::path::{Path, PathBuf};

/// `dlopen` flags, with musl's (and so wasi-libc's) values.
pub mod flags {
    /// Bind functions when first called (wrun binds at open, which this permits).
    pub const RTLD_LAZY: u32 = 1;
    /// Bind everything at open.
    pub const RTLD_NOW: u32 = 2;
    /// Only return a handle if the library is already loaded.
    pub const RTLD_NOLOAD: u32 = 4;
    /// Keep the library's symbols out of the global scope (the default).
    pub const RTLD_LOCAL: u32 = 8;
    /// Add the library's symbols to the global scope.
    pub const RTLD_GLOBAL: u32 = 0x100;
    /// Never unload the library.
    pub const RTLD_NODELETE: u32 = 0x1000;
    /// Every flag wrun knows.
    pub const ALL: u32 =
        RTLD_LAZY | RTLD_NOW | RTLD_NOLOAD | RTLD_LOCAL | RTLD_GLOBAL | RTLD_NODELETE;
}

/// What `dlsym` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    /// A function: its table index (a function pointer).
    Func,
    /// A data symbol: its address in the process memory.
    Data,
}

/// A symbol found by [`crate::Process::dlsym`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Symbol {
    /// A function, callable from the host, and its table index (the value
    /// of a function pointer to it in the guest).
    Func {
        /// The function.
        func: Func,
        /// Its slot in the process table.
        table_index: u32,
    },
    /// A data symbol's address in the process memory.
    Data {
        /// The address.
        address: u32,
    },
}

/// A handle returned by `dlopen`: an object slot and the incarnation it
/// was opened in, so a handle outliving its library is recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LibraryHandle(pub(crate) u32);

impl LibraryHandle {
    /// The handle as the guest sees it (never 0, which means RTLD_DEFAULT).
    pub fn raw(self) -> u32 {
        self.0
    }

    /// A handle from its guest value.
    pub fn from_raw(raw: u32) -> LibraryHandle {
        LibraryHandle(raw)
    }

    fn new(index: usize, generation: u16) -> LibraryHandle {
        LibraryHandle((u32::from(generation) << 16) | (index as u32 + 1))
    }

    fn index(self) -> Option<usize> {
        (self.0 & 0xffff).checked_sub(1).map(|i| i as usize)
    }

    fn generation(self) -> u16 {
        (self.0 >> 16) as u16
    }
}

/// Most objects a process can hold (handles keep the slot in 16 bits).
const MAX_OBJECTS: usize = 0xfffe;

/// Run-time loading state of a process.
#[derive(Default)]
pub(crate) struct DyldState {
    /// Objects in the global scope, in load order.
    pub global_order: Vec<usize>,
    /// Data regions given back by unloaded objects.
    pub free_memory: FreeList,
    /// Table regions given back by unloaded objects.
    pub free_table: FreeList,
    /// The failing stub each unloaded function now points to, by signature.
    pub dead: HashMap<u32, VMFuncRef>,
    /// `__cxa_atexit` registrations: (function table index, argument, DSO handle).
    pub atexit: Vec<(u32, u32, u32)>,
    /// The text `dlerror` returns next.
    pub last_error: Option<String>,
}

/// A finaliser to run before objects are unloaded.
#[derive(Debug, Clone)]
pub(crate) enum Fini {
    /// A `__cxa_atexit` handler: `func(arg)`.
    AtExit { func: Func, arg: u32 },
    /// `__wasm_call_dtors` (or another `() -> ()` export) of an object.
    Export(Init),
}

/// Checks `dlopen` flags: unknown bits are an error that names them.
pub(crate) fn check_flags(value: u32) -> Result<()> {
    let unknown = value & !flags::ALL;
    if unknown != 0 {
        return Err(Error::msg(format!(
            "invalid dlopen flags {value:#x}: unknown bits {unknown:#x}"
        )));
    }
    if value & flags::RTLD_LAZY != 0 && value & flags::RTLD_NOW != 0 {
        return Err(Error::msg(
            "invalid dlopen flags: RTLD_LAZY and RTLD_NOW together",
        ));
    }
    Ok(())
}

impl<T: 'static> Loader<T> {
    /// The object a handle names, if the handle is current.
    pub(crate) fn handle_object(&self, handle: LibraryHandle) -> Result<usize> {
        handle
            .index()
            .filter(|&i| {
                self.set.objects.get(i).is_some_and(|o| {
                    o.loaded && o.generation == handle.generation() && (o.refs > 0 || o.pinned)
                })
            })
            .ok_or_else(|| {
                Error::msg(format!(
                    "invalid handle {:#x} (not open, or its library was closed)",
                    handle.raw()
                ))
            })
    }

    /// Where `name` is: searched like a NEEDED name (`-L`, `WRUN_LIBRARY_PATH`,
    /// the main's directory); a name with `/` or `..` only if allowed.
    fn find_library(&self, name: &str) -> Result<PathBuf> {
        if super::search::is_path(name) && !self.config.dlopen_paths {
            return Err(Error::msg(format!(
                "{name}: a library name with `/` or `..` is refused (only the search path is used)"
            )));
        }
        let main_dir = self.search.main_dir.clone().unwrap_or_default();
        self.search.find(name, &main_dir, &[]).map_err(|searched| {
            Error::new(ErrorKind::LibraryNotFound {
                name: name.to_string(),
                needed_by: "dlopen".to_string(),
                searched,
            })
        })
    }

    /// Opens a library (see the module docs). Returns its handle and the
    /// initialisers to run (none if it was loaded already).
    pub(crate) fn dlopen(
        &mut self,
        store: &mut StoreOpaque,
        name: &str,
        flags: u32,
    ) -> Result<(LibraryHandle, Vec<Init>)> {
        check_flags(flags)?;
        let path = self.find_library(name)?;
        let known = std::fs::canonicalize(&path)
            .ok()
            .and_then(|c| self.set.by_path.get(&c).copied())
            .filter(|&i| self.set.objects[i].loaded);
        if let Some(index) = known {
            self.add_reference(index, flags);
            let object = &self.set.objects[index];
            return Ok((LibraryHandle::new(index, object.generation), Vec::new()));
        }
        if flags & flags::RTLD_NOLOAD != 0 {
            return Err(Error::msg(format!("{name}: not loaded (RTLD_NOLOAD)")));
        }
        if self.set.objects.len() >= MAX_OBJECTS {
            return Err(Error::msg("too many libraries in one process"));
        }
        match self.load_group(store, &path, flags) {
            Ok(result) => Ok(result),
            Err(e) => {
                self.roll_back(store);
                Err(e)
            }
        }
    }

    fn add_reference(&mut self, index: usize, flags: u32) {
        let object = &mut self.set.objects[index];
        object.refs += 1;
        if flags & flags::RTLD_NODELETE != 0 {
            object.pinned = true;
        }
        if flags & flags::RTLD_GLOBAL != 0 && !object.global {
            self.make_global(&[index]);
        }
    }

    /// Appends `objects` to the global scope. Definitions already there
    /// win, so adding at the end is the same as rebuilding (which only
    /// removal needs).
    fn make_global(&mut self, objects: &[usize]) {
        for &i in objects {
            self.set.objects[i].global = true;
            self.dyld.global_order.push(i);
            std::sync::Arc::make_mut(&mut self.scope).add(&self.set.objects, i);
        }
    }

    /// Loads `path` and what it NEEDS; on error the caller rolls back every
    /// object left loaded but not linked.
    fn load_group(
        &mut self,
        store: &mut StoreOpaque,
        path: &Path,
        flags: u32,
    ) -> Result<(LibraryHandle, Vec<Init>)> {
        let engine = self.engine.clone();
        let was_loaded: Vec<bool> = self.set.objects.iter().map(|o| o.loaded).collect();
        let loaded = self
            .set
            .add(
                &engine,
                path,
                Some("opened with dlopen"),
                false,
                &mut self.stats,
            )
            .and_then(|(root, _)| {
                let group =
                    self.set
                        .load_needed_of(&engine, &self.search, vec![root], &mut self.stats)?;
                Ok((root, group))
            });
        // Whatever became loaded here is not linked until the end, so a
        // failure anywhere (also while reading NEEDED ones) rolls it back.
        for (i, object) in self.set.objects.iter_mut().enumerate() {
            if object.loaded && !was_loaded.get(i).copied().unwrap_or(false) {
                object.linked = false;
            }
        }
        let (root, group) = loaded?;
        self.check_code_size()?;
        for &i in &group {
            let object = &mut self.set.objects[i];
            object.pinned = i == root && flags & flags::RTLD_NODELETE != 0;
            object.global = false;
            object.refs = 0;
        }
        self.set.objects[root].refs = 1;
        if flags & flags::RTLD_GLOBAL != 0 {
            self.make_global(&group);
        }
        for &i in &group {
            self.place_object(store, i)?;
        }
        let local = self.closure(root);
        let bindings = {
            let mut planner = Planner {
                objects: &self.set.objects,
                scope: &self.scope,
                local: &local,
                linker: &self.linker,
                got: &mut self.got,
                host_items: &mut self.host_items,
            };
            group
                .iter()
                .map(|&i| planner.plan(store, i))
                .collect::<Result<Vec<_>>>()?
        };
        for (&i, bindings) in group.iter().zip(&bindings) {
            self.record_uses(i, bindings);
        }
        let order: Vec<usize> = init_order(&self.set.objects, &[root], &[])
            .into_iter()
            .filter(|i| group.contains(i))
            .collect();
        for &i in &order {
            let position = group.iter().position(|&g| g == i).expect("in the group");
            self.instantiate(store, i, &bindings[position])?;
        }
        self.finish_linking(store)?;
        for &i in &group {
            self.set.objects[i].linked = true;
        }
        let mut inits = self.inits(&order, "__wasm_apply_data_relocs");
        inits.extend(self.inits(&order, "__wasm_call_ctors"));
        Ok((
            LibraryHandle::new(root, self.set.objects[root].generation),
            inits,
        ))
    }

    /// The object and everything it NEEDS, breadth-first (its local scope).
    pub(crate) fn closure(&self, root: usize) -> Vec<usize> {
        let mut out = vec![root];
        let mut next = 0;
        while next < out.len() {
            for &dep in &self.set.objects[out[next]].needed {
                if !out.contains(&dep) {
                    out.push(dep);
                }
            }
            next += 1;
        }
        out
    }

    /// Remembers which objects `index` bound symbols from.
    fn record_uses(&mut self, index: usize, bindings: &[Binding]) {
        let mut uses = self.set.objects[index].needed.clone();
        for binding in bindings {
            let definer = match binding {
                Binding::Export { object } => Some(*object),
                Binding::Got(cell) => self.got.definition(*cell),
                _ => None,
            };
            if let Some(d) = definer.filter(|&d| d != index && !uses.contains(&d)) {
                uses.push(d);
            }
        }
        self.set.objects[index].uses = uses;
    }

    /// Gives a dlopen'ed object its data and table regions: from the free
    /// lists, else from the main's allocator (a non-PIE main with libc),
    /// else from the end of memory and table.
    fn place_object(&mut self, store: &mut StoreOpaque, index: usize) -> Result<()> {
        let object = &self.set.objects[index];
        let (size, align) = (
            u64::from(object.memory_size()),
            object.module.dylink().map_or(0, |d| d.memory_alignment),
        );
        let (slots, slot_align) = (
            u64::from(object.table_size()),
            object.module.dylink().map_or(0, |d| d.table_alignment),
        );
        let name = object.name.clone();
        let memory_base = if size == 0 {
            self.memory.map_or(0, |m| {
                regions::memory_end(store, &m).min(u64::from(u32::MAX))
            })
        } else {
            match self.dyld.free_memory.take(size, align) {
                Some(base) => base,
                None => self.new_memory_region(store, &name, size, align)?,
            }
        };
        let table_base = if slots == 0 {
            0
        } else {
            match self.dyld.free_table.take(slots, slot_align) {
                Some(base) => base,
                None => {
                    let table = self.ensure_table(store)?;
                    let request = Request {
                        owner: name,
                        size: slots,
                        align_log2: slot_align,
                    };
                    u64::from(regions::allocate_table(store, &table, &[request])?[0])
                }
            }
        };
        let object = &mut self.set.objects[index];
        object.memory_base = memory_base as u32;
        object.table_base = table_base as u32;
        Ok(())
    }

    /// Unloads every object left loaded but not linked by a failed `dlopen`.
    fn roll_back(&mut self, store: &mut StoreOpaque) {
        let doomed: Vec<usize> = (0..self.set.objects.len())
            .filter(|&i| self.set.objects[i].loaded && !self.set.objects[i].linked)
            .collect();
        self.unload_objects(store, &doomed);
    }

    /// Finds a symbol (see [`crate::Process::dlsym`]).
    pub(crate) fn dlsym(
        &mut self,
        store: &mut StoreOpaque,
        handle: Option<LibraryHandle>,
        kind: SymbolKind,
        name: &str,
    ) -> Result<Symbol> {
        let exports = |i: usize| self.set.objects[i].module.export_index(name).is_some();
        let (definer, root) = match handle {
            None => (self.scope.lookup(name).map(|(i, _)| i), None),
            Some(h) => {
                let root = self.handle_object(h)?;
                // The library itself first; its NEEDED closure only if not.
                let definer = if exports(root) {
                    Some(root)
                } else {
                    self.closure(root).into_iter().find(|&i| exports(i))
                };
                (definer, Some(root))
            }
        };
        let undefined = || {
            let scope = root.map_or("the global scope", |r| self.set.objects[r].name.as_str());
            Error::msg(format!("undefined symbol: {name} (in {scope})"))
        };
        let object = &self.set.objects[definer.ok_or_else(undefined)?];
        let item = object
            .instance
            .and_then(|i| i.get_export_in(store, name))
            .ok_or_else(undefined)?;
        match (kind, item) {
            (SymbolKind::Func, Extern::Func(func)) => {
                let table = self
                    .table
                    .ok_or_else(|| Error::msg("function pointers need a function table"))?;
                let table_index = self.slots.slot_for(store, &table, func)?;
                Ok(Symbol::Func { func, table_index })
            }
            (SymbolKind::Data, Extern::Global(global)) => {
                let offset = global.get_in(store).i32().ok_or_else(|| {
                    Error::msg(format!("{name} is not a data symbol (an i32 global)"))
                })? as u32;
                let base = if object.is_relocatable() {
                    object.memory_base
                } else {
                    0
                };
                Ok(Symbol::Data {
                    address: base.wrapping_add(offset),
                })
            }
            (SymbolKind::Func, _) => Err(Error::msg(format!("{name} is not a function"))),
            (SymbolKind::Data, _) => Err(Error::msg(format!("{name} is not a data symbol"))),
        }
    }
}

/// `dlopen` on a live process: links with the loader taken out of the
/// store, then runs the new objects' initialisers with it back in (so they
/// may `dlopen` too). If an initialiser fails, the library is unloaded
/// again and the error returned.
pub(crate) fn open<T: 'static>(
    mut cx: StoreContextMut<'_, ProcessData<T>>,
    name: &str,
    flags: u32,
) -> Result<LibraryHandle> {
    let (handle, inits) = with_loader(cx.as_context_mut(), |loader, store| {
        loader.dlopen(store, name, flags)
    })?;
    if let Err(error) = run_inits(cx.opaque_mut(), &inits) {
        with_loader(cx, |loader, store| {
            let (doomed, _) = loader.dlclose(store, handle)?;
            loader.unload_objects(store, &doomed);
            Ok(())
        })?;
        return Err(Error::msg(format!(
            "{name}: initialisation failed: {error}"
        )));
    }
    Ok(handle)
}

/// `dlsym` on a live process.
pub(crate) fn sym<T: 'static>(
    cx: StoreContextMut<'_, ProcessData<T>>,
    handle: Option<LibraryHandle>,
    kind: SymbolKind,
    name: &str,
) -> Result<Symbol> {
    with_loader(cx, |loader, store| loader.dlsym(store, handle, kind, name))
}
