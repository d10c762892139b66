//! Symbol resolution, like ELF's global scope: the exports of every object
//! in load order (main, `--lib` preloads, NEEDED breadth-first); the first
//! definition of a name wins. Each import of an object becomes a
//! [`Binding`], decided (and type-checked) before any guest code runs.

use super::got::{Got, GotKind};
use super::object::Object;
use crate::environ::EntityIndex;
use crate::environ::Import;
use crate::error::{printable, Error, Result};
use crate::externals::Extern;
use crate::linker::Linker;
use crate::store::StoreOpaque;
use crate::types::{limits_match, ExternType, GlobalType, ValType};
use hashbrown::HashMap;
use std::sync::Arc;

/// The data symbol the loader defines when no object does: where the heap
/// starts, after every load-time region.
pub(crate) const LOADER_HEAP_BASE: &str = "__heap_base";

/// What satisfies one import.
#[derive(Debug, Clone)]
pub(crate) enum Binding {
    /// `env.memory`: the process memory.
    Memory,
    /// `env.__indirect_function_table`: the process table.
    Table,
    /// `env.__stack_pointer`: the process stack pointer.
    StackPointer,
    /// `env.__memory_base`: the object's data region.
    MemoryBase,
    /// `env.__table_base`: the object's table region.
    TableBase,
    /// `env.__heap_base`: where the heap starts.
    HeapBase,
    /// `env.__heap_end`: the end of memory at load time.
    HeapEnd,
    /// An item defined by the embedder (WASI, or host functions), or a tag
    /// the loader defined: entry `i` of the process's [`HostItems`].
    Host(usize),
    /// An export (same name as the import) of another object (or this one).
    Export { object: usize },
    /// A weak undefined function: a stub that fails if called.
    WeakFunc,
    /// A GOT cell.
    Got(usize),
}

/// The global scope: for each exported name, the first object defining it
/// and what the name is in that object.
#[derive(Debug, Default, Clone)]
pub(crate) struct Scope {
    definitions: HashMap<Arc<str>, (usize, EntityIndex)>,
}

impl Scope {
    /// Adds the exports of `objects[index]` (names already defined keep
    /// their earlier definition).
    pub fn add(&mut self, objects: &[Object], index: usize) {
        let info = objects[index].module.info();
        self.definitions.reserve(info.exports.len());
        for (name, entity) in &info.exports {
            self.definitions
                .entry(name.clone())
                .or_insert((index, *entity));
        }
    }

    /// The object defining `name`, and the export in it.
    pub fn lookup(&self, name: &str) -> Option<(usize, EntityIndex)> {
        self.definitions.get(name).copied()
    }

    /// The scope of the global objects `order`, in that order (after an
    /// object left it, a definition it shadowed becomes visible again).
    pub fn rebuild(objects: &[Object], order: &[usize]) -> Scope {
        let mut scope = Scope::default();
        for &i in order {
            scope.add(objects, i);
        }
        scope
    }
}

/// Where a dlopen'ed group's symbols are looked up after the global scope
/// (its RTLD_LOCAL scope): the objects in `objects`, in order.
pub(crate) fn local_lookup(
    objects: &[Object],
    local: &[usize],
    name: &str,
) -> Option<(usize, ExternType)> {
    local.iter().find_map(|&i| {
        let ty = objects[i].module.exports().find(|(n, _)| *n == name)?.1;
        Some((i, ty))
    })
}

fn is_i32_global(ty: &ExternType) -> bool {
    matches!(
        ty,
        ExternType::Global(GlobalType {
            content: ValType::I32,
            ..
        })
    )
}

/// Whether `found` satisfies an import of type `wanted`.
fn type_matches(wanted: &ExternType, found: &ExternType) -> bool {
    match (wanted, found) {
        (ExternType::Func(a), ExternType::Func(b)) => a == b,
        (ExternType::Global(a), ExternType::Global(b)) => a == b,
        (ExternType::Memory(w), ExternType::Memory(h)) => {
            limits_match(h.minimum, h.maximum, w.minimum, w.maximum)
        }
        (ExternType::Table(w), ExternType::Table(h)) => {
            w.element == h.element && limits_match(h.minimum, h.maximum, w.minimum, w.maximum)
        }
        (ExternType::Tag(a), ExternType::Tag(b)) => a == b,
        _ => false,
    }
}

/// Plans the bindings of every import of `objects[index]`.
pub(crate) struct Planner<'a, T> {
    pub objects: &'a [Object],
    pub scope: &'a Scope,
    /// Objects searched after the global scope (a dlopen'ed group).
    pub local: &'a [usize],
    pub linker: &'a Linker<T>,
    pub got: &'a mut Got,
    /// Linker definitions already placed in the store, so each host
    /// function exists once per process however often objects are loaded.
    pub host_items: &'a mut HostItems,
}

/// What a host item of a process is, without a store: enough to place the
/// same item in another process's store (a kept link plan).
#[derive(Debug, Clone)]
pub(crate) enum HostKey {
    /// The linker's definition of `module.name`.
    Linker { module: String, name: String },
    /// A tag `env.name` the loader defined because no object does.
    LoaderTag {
        name: String,
        ty: crate::types::FuncType,
    },
}

impl HostKey {
    /// The import it satisfies: `(module, name)`.
    fn name(&self) -> (String, String) {
        match self {
            HostKey::Linker { module, name } => (module.clone(), name.clone()),
            HostKey::LoaderTag { name, .. } => ("env".to_string(), name.clone()),
        }
    }
}

/// The host items a process's imports are bound to, each placed in its
/// store once: [`Binding::Host`] indexes them.
#[derive(Debug, Default)]
pub(crate) struct HostItems {
    items: Vec<Extern>,
    /// Shared with the link plan a process was made from, until it binds more.
    keys: Arc<Vec<HostKey>>,
    /// Index of each item by `(module, name)`; built on the first
    /// lookup, so that a process made from a plan builds it only if it
    /// binds more imports later (`dlopen`).
    by_name: Option<HashMap<(String, String), usize>>,
}

impl HostItems {
    /// Item `index`.
    pub fn get(&self, index: usize) -> Extern {
        self.items[index]
    }

    /// What each item is, in index order.
    pub fn keys(&self) -> Arc<Vec<HostKey>> {
        self.keys.clone()
    }

    fn push(&mut self, item: Extern, key: HostKey) -> usize {
        let index = self.items.len();
        if let Some(by_name) = &mut self.by_name {
            by_name.insert(key.name(), index);
        }
        self.items.push(item);
        Arc::make_mut(&mut self.keys).push(key);
        index
    }

    fn index(&mut self) -> &HashMap<(String, String), usize> {
        self.by_name.get_or_insert_with(|| {
            let mut by_name = HashMap::new();
            for (index, key) in self.keys.iter().enumerate() {
                by_name.insert(key.name(), index);
            }
            by_name
        })
    }

    /// The linker's definition of `module.name`, placed in the store on
    /// first use; `None` if the linker has none.
    pub fn place_from_linker<T: 'static>(
        &mut self,
        store: &mut StoreOpaque,
        linker: &Linker<T>,
        module: &str,
        name: &str,
    ) -> Option<Result<usize>> {
        if let Some(&index) = self.index().get(&(module.to_string(), name.to_string())) {
            return Some(Ok(index));
        }
        let item = match linker.get_in(store, module, name)? {
            Ok(item) => item,
            Err(e) => return Some(Err(e)),
        };
        let key = HostKey::Linker {
            module: module.to_string(),
            name: name.to_string(),
        };
        Some(Ok(self.push(item, key)))
    }

    /// A tag `env.name` of type `ty` defined by the loader (found by
    /// `place_from_linker` from then on, so every importer gets this one).
    pub fn loader_tag(
        &mut self,
        store: &mut StoreOpaque,
        name: &str,
        ty: &crate::types::FuncType,
    ) -> Result<usize> {
        let tag = crate::tag::Tag::new_in(store, ty)?;
        let key = HostKey::LoaderTag {
            name: name.to_string(),
            ty: ty.clone(),
        };
        Ok(self.push(Extern::Tag(tag), key))
    }

    /// The items `keys` name, placed in `store`, with the same indices.
    pub fn replay<T: 'static>(
        store: &mut StoreOpaque,
        linker: &Linker<T>,
        keys: &Arc<Vec<HostKey>>,
    ) -> Result<HostItems> {
        let mut items = Vec::with_capacity(keys.len());
        for key in keys.iter() {
            let item = match key {
                HostKey::Linker { module, name } => {
                    linker.get_in(store, module, name).unwrap_or_else(|| {
                        Err(Error::msg(format!(
                            "the process defines no {module}.{name}, which its link plan binds"
                        )))
                    })?
                }
                HostKey::LoaderTag { ty, .. } => Extern::Tag(crate::tag::Tag::new_in(store, ty)?),
            };
            items.push(item);
        }
        Ok(HostItems {
            items,
            keys: keys.clone(),
            by_name: None,
        })
    }
}

impl<T: 'static> Planner<'_, T> {
    /// The definition of `name`: the global scope first, then the local one.
    fn lookup(&self, name: &str) -> Option<(usize, ExternType)> {
        self.scope
            .lookup(name)
            .map(|(i, entity)| (i, self.objects[i].module.info().entity_type(entity)))
            .or_else(|| local_lookup(self.objects, self.local, name))
    }

    pub fn plan(&mut self, store: &mut StoreOpaque, index: usize) -> Result<Vec<Binding>> {
        let object = &self.objects[index];
        let trace = super::debug::flags().bindings;
        object
            .module
            .imports()
            .iter()
            .map(|import| {
                let binding = self.bind(store, object, import)?;
                if trace {
                    self.trace_binding(object, import, &binding);
                }
                Ok(binding)
            })
            .collect()
    }

    /// `WRUN_DEBUG=bindings`: one line per import.
    fn trace_binding(&self, object: &Object, import: &Import, binding: &Binding) {
        let to = match binding {
            Binding::Export { object } => format!("{}", printable(&self.objects[*object].name)),
            Binding::Host(_) => "a host definition".to_string(),
            Binding::Got(_) => "a GOT cell".to_string(),
            Binding::WeakFunc => "nothing (weak, a stub that fails if called)".to_string(),
            other => format!("the loader ({other:?})"),
        };
        super::debug::trace(
            "bindings",
            format_args!(
                "{}: {}.{} -> {to}",
                printable(&object.name),
                printable(&import.module),
                printable(&import.name)
            ),
        );
    }

    fn bind(
        &mut self,
        store: &mut StoreOpaque,
        object: &Object,
        import: &Import,
    ) -> Result<Binding> {
        let symbol = || format!("{}.{}", import.module, import.name);
        let link_err = |reason: String| Error::link(&object.name, symbol(), reason);
        let weak = || {
            object.module.dylink().is_some_and(|d| {
                d.is_weak_import(&import.module, &import.name)
                    || d.is_weak_import("env", &import.name)
            })
        };
        if let Some(kind) = GotKind::from_module(&import.module) {
            if !matches!(
                import.ty,
                ExternType::Global(GlobalType {
                    content: ValType::I32,
                    mutable: true
                })
            ) {
                return Err(link_err(format!(
                    "a GOT import must be a mutable i32 global, not {}",
                    import.ty
                )));
            }
            let definition = match self.lookup(&import.name) {
                Some((def, ty)) => {
                    let ok = match kind {
                        GotKind::Mem => is_i32_global(&ty),
                        GotKind::Func => matches!(ty, ExternType::Func(_)),
                    };
                    if !ok {
                        let wanted = match kind {
                            GotKind::Mem => "a data symbol (an i32 global export)",
                            GotKind::Func => "a function",
                        };
                        return Err(link_err(format!(
                            "expected {wanted}, found {ty} (defined in {})",
                            self.objects[def].name
                        )));
                    }
                    Some(def)
                }
                // No object defines the heap's start: the loader's
                // `__heap_base` is the address (see `Got::fill`), as a
                // shared libc's allocator expects.
                None if kind == GotKind::Mem && import.name == LOADER_HEAP_BASE => None,
                None if weak() => None,
                None => return Err(link_err(self.undefined())),
            };
            return Ok(Binding::Got(self.got.entry(
                store,
                kind,
                &import.name,
                definition,
            )?));
        }
        if import.module == "env" {
            let special = match (import.name.as_str(), &import.ty) {
                ("memory", ExternType::Memory(_)) => Some(Binding::Memory),
                ("__indirect_function_table", ExternType::Table(_)) => Some(Binding::Table),
                ("__stack_pointer", ty) if is_i32_global(ty) => Some(Binding::StackPointer),
                ("__memory_base", ty) if is_i32_global(ty) => Some(Binding::MemoryBase),
                ("__table_base", ty) if is_i32_global(ty) => Some(Binding::TableBase),
                ("__heap_base", ty) if is_i32_global(ty) => Some(Binding::HeapBase),
                ("__heap_end", ty) if is_i32_global(ty) => Some(Binding::HeapEnd),
                _ => None,
            };
            if let Some(binding) = special {
                return Ok(binding);
            }
            // A name the loader provides, imported as the wrong kind: say
            // so, rather than "undefined symbol".
            let wanted = match import.name.as_str() {
                "memory" => Some("a memory"),
                "__indirect_function_table" => Some("a table"),
                "__stack_pointer" | "__memory_base" | "__table_base" | "__heap_base"
                | "__heap_end" => Some("an i32 global"),
                _ => None,
            };
            if let Some(wanted) = wanted {
                return Err(link_err(format!(
                    "provided by the dynamic loader as {wanted}, but imported as {}",
                    import.ty
                )));
            }
            if let Some((def, ty)) = self.lookup(&import.name) {
                if matches!(ty, ExternType::Memory(_) | ExternType::Table(_))
                    || !type_matches(&import.ty, &ty)
                {
                    return Err(link_err(format!(
                        "incompatible import type: expected {}, found {ty} (defined in {})",
                        import.ty, self.objects[def].name
                    )));
                }
                return Ok(Binding::Export { object: def });
            }
        }
        if let Some(index) =
            self.host_items
                .place_from_linker(store, self.linker, &import.module, &import.name)
        {
            let index = index?;
            let found = self.host_items.get(index).ty_in(store);
            if !type_matches(&import.ty, &found) {
                return Err(link_err(format!(
                    "incompatible import type: expected {}, found {found} (provided by the host)",
                    import.ty
                )));
            }
            return Ok(Binding::Host(index));
        }
        if import.module == "env" {
            if weak() && matches!(import.ty, ExternType::Func(_)) {
                return Ok(Binding::WeakFunc);
            }
            if let ExternType::Tag(ty) = &import.ty {
                // A tag no object defines (`__cpp_exception`, `__c_longjmp`
                // in side modules): the loader defines it, once per process,
                // so every object that imports it throws and catches the
                // same tag.
                let index = self.host_items.loader_tag(store, &import.name, ty)?;
                return Ok(Binding::Host(index));
            }
            return Err(link_err(self.undefined()));
        }
        Err(link_err(format!(
            "unknown import module `{}` (expected env, GOT.mem, GOT.func or a host module)",
            import.module
        )))
    }

    fn undefined(&self) -> String {
        let names: Vec<&str> = self
            .objects
            .iter()
            .filter(|o| o.loaded)
            .map(|o| o.name.as_str())
            .collect();
        format!("undefined symbol (not exported by {})", names.join(", "))
    }
}
