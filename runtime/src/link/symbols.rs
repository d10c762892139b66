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
    /// An item defined by the embedder (WASI, or host functions).
    Host(Extern),
    /// An export (same name as the import) of another object (or this one).
    Export { object: usize },
    /// A weak undefined function: a stub that fails if called.
    WeakFunc,
    /// A GOT cell.
    Got(usize),
}

/// The global scope: for each exported name, the first object defining it
/// and what the name is in that object.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    definitions: HashMap<Arc<str>, (usize, EntityIndex)>,
}

impl Scope {
    /// Adds the exports of `objects[index]` (names already defined keep
    /// their earlier definition).
    pub fn add(&mut self, objects: &[Object], index: usize) {
        let info = objects[index].module.info();
        self.definitions.reserve(info.exports.len());
        for (name, (_, entity)) in info.export_names.iter().zip(&info.exports) {
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
    pub host_items: &'a mut HashMap<(String, String), Extern>,
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
        if let Some(item) = self.host_item(store, &import.module, &import.name) {
            let item = item?;
            let found = item.ty_in(store);
            if !type_matches(&import.ty, &found) {
                return Err(link_err(format!(
                    "incompatible import type: expected {}, found {found} (provided by the host)",
                    import.ty
                )));
            }
            return Ok(Binding::Host(item));
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
                let tag = crate::tag::Tag::new_in(store, ty)?;
                let item = Extern::Tag(tag);
                self.host_items
                    .insert((import.module.clone(), import.name.clone()), item);
                return Ok(Binding::Host(item));
            }
            return Err(link_err(self.undefined()));
        }
        Err(link_err(format!(
            "unknown import module `{}` (expected env, GOT.mem, GOT.func or a host module)",
            import.module
        )))
    }

    /// The linker's definition of `module.name`, placed in the store once.
    fn host_item(
        &mut self,
        store: &mut StoreOpaque,
        module: &str,
        name: &str,
    ) -> Option<Result<Extern>> {
        let key = (module.to_string(), name.to_string());
        if let Some(item) = self.host_items.get(&key) {
            return Some(Ok(*item));
        }
        let item = self.linker.get_in(store, module, name)?;
        if let Ok(item) = &item {
            self.host_items.insert(key, *item);
        }
        Some(item)
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
