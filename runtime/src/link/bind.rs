//! Turning bindings into imports and instantiating objects.
//!
//! Objects import from each other in cycles (a PIE main calls a library that
//! calls the main's `print_str`), while `Instance::new` wants every import to
//! exist. A function export of an object that is not instantiated yet is
//! therefore passed as a placeholder of the right type; once every object
//! exists, the importer's vmctx slot is overwritten with the real function
//! ([`Patches::apply`]). Every binding was type-checked while planning, and
//! the placeholder only fails loudly if a start function calls it early.

use super::got::func_identity;
use super::loader::Loader;
use super::object::Object;
use super::symbols::Binding;
use super::ProcessData;
use crate::environ::EntityIndex;
use crate::error::{Error, Result};
use crate::externals::{Extern, Global};
use crate::func::{Func, HostFunc};
use crate::instance::Instance;
use crate::store::StoreOpaque;
use crate::types::{ExternType, GlobalType, ValType};
use crate::values::Val;
use hashbrown::HashSet;

/// An import slot to overwrite once its definition is instantiated.
#[derive(Debug)]
struct Patch {
    importer: usize,
    func_index: u32,
    definer: usize,
    name: String,
}

/// Function imports bound to placeholders, waiting for their definitions.
#[derive(Debug, Default)]
pub(crate) struct Patches {
    pending: Vec<Patch>,
    placeholders: HashSet<(usize, usize)>,
}

/// The i32 global `cached` for an import of type `ty`, set to `value`;
/// made (and cached) on first use, so loading an object again makes none.
fn reuse_i32(
    store: &mut StoreOpaque,
    cached: &mut Option<Extern>,
    ty: &ExternType,
    value: u32,
) -> Result<Extern> {
    if let Some(Extern::Global(global)) = cached {
        if global.ty().mutable {
            global.set_in(store, Val::I32(value as i32))?;
        } else {
            // An immutable global's value is only fixed for its importer,
            // which is being instantiated again: rewrite it in place.
            // SAFETY: the global is owned by this store and nothing reads it
            // while the loader runs.
            unsafe { (*global.raw()).bits = Val::I32(value as i32).to_raw() };
        }
        return Ok(*cached.as_ref().expect("just matched"));
    }
    let mutable = matches!(ty, ExternType::Global(GlobalType { mutable: true, .. }));
    let global = Global::new_in(
        store,
        GlobalType {
            content: ValType::I32,
            mutable,
        },
        Val::I32(value as i32),
    )?;
    *cached = Some(global.into());
    Ok(global.into())
}

/// A host function of type `ty` in a process store that fails with
/// `error()` whenever it is called (placeholders, weak stubs, the stubs
/// unloaded functions point to).
pub(crate) fn failing_stub<T: 'static>(
    store: &mut StoreOpaque,
    ty: crate::types::FuncType,
    error: impl Fn() -> Error + Send + Sync + 'static,
) -> Result<Func> {
    HostFunc::new::<ProcessData<T>>(ty, move |_, _, _| Err(error())).into_func(store)
}

impl<T: 'static> Loader<T> {
    fn placeholder(
        &mut self,
        store: &mut StoreOpaque,
        ty: &ExternType,
        name: &str,
        importer: &str,
    ) -> Result<Func> {
        let ExternType::Func(ty) = ty else {
            return Err(Error::link(
                importer,
                name,
                "cannot bind a non-function across an import cycle",
            ));
        };
        let message = format!(
            "{importer}: {name} was called before dynamic linking completed (from a start function)"
        );
        let func = failing_stub::<T>(store, ty.clone(), move || Error::msg(message.clone()))?;
        self.patches.placeholders.insert(func_identity(&func));
        Ok(func)
    }

    fn weak_stub(
        &mut self,
        store: &mut StoreOpaque,
        ty: &ExternType,
        name: &str,
        importer: &str,
    ) -> Result<Func> {
        let ExternType::Func(ty) = ty else {
            return Err(Error::msg("weak stubs are functions"));
        };
        let (importer, name) = (importer.to_string(), name.to_string());
        failing_stub::<T>(store, ty.clone(), move || {
            Error::link(
                &importer,
                &name,
                "called an undefined weak function (no loaded module defines it)",
            )
        })
    }

    /// Instantiates `objects[index]` with its planned `bindings` (this runs
    /// its start function, if any).
    pub(crate) fn instantiate(
        &mut self,
        store: &mut StoreOpaque,
        index: usize,
        bindings: &[Binding],
    ) -> Result<()> {
        let module = self.set.objects[index].module.clone();
        let importer = self.set.objects[index].name.clone();
        let mut externs = Vec::with_capacity(bindings.len());
        let mut cache = std::mem::take(&mut self.set.objects[index].import_items);
        cache.resize(bindings.len(), None);
        for (n, (import, binding)) in module.imports().iter().zip(bindings).enumerate() {
            // Only errors and stubs name the symbol: not built for every import.
            let symbol = || format!("{}.{}", import.module, import.name);
            let missing =
                |what: &str| Error::link(&importer, symbol(), format!("the process has no {what}"));
            let object = &self.set.objects[index];
            let (memory_base, table_base) = (object.memory_base, object.table_base);
            let item: Extern = match binding {
                Binding::Memory => self
                    .memory
                    .ok_or_else(|| missing("shared memory (the main module does not export one)"))?
                    .into(),
                Binding::Table => self.ensure_table(store)?.into(),
                Binding::StackPointer => {
                    if self.stack_pointer.is_none() && self.main_keeps_its_stack(index) {
                        let main = &self.set.objects[self.main.expect("checked")].name;
                        return Err(Error::link(
                            &importer,
                            symbol(),
                            format!(
                                "{main} has its own stack but does not export __stack_pointer, \
                                 so this library would run on a second one; link {main} with \
                                 -Wl,--export=__stack_pointer"
                            ),
                        ));
                    }
                    self.ensure_stack(store)?.into()
                }
                Binding::MemoryBase => reuse_i32(store, &mut cache[n], &import.ty, memory_base)?,
                Binding::TableBase => reuse_i32(store, &mut cache[n], &import.ty, table_base)?,
                Binding::HeapBase => reuse_i32(store, &mut cache[n], &import.ty, self.heap_base)?,
                Binding::HeapEnd => {
                    let end = self
                        .memory
                        .map_or(0, |m| super::regions::memory_end(store, &m));
                    let end = end.min(u64::from(u32::MAX)) as u32;
                    reuse_i32(store, &mut cache[n], &import.ty, end)?
                }
                Binding::Host(i) => self.host_items.get(*i),
                Binding::Got(i) => self.got.global(*i).into(),
                Binding::WeakFunc => match cache[n] {
                    Some(stub) => stub,
                    None => {
                        let stub: Extern = self
                            .weak_stub(store, &import.ty, &symbol(), &importer)?
                            .into();
                        cache[n] = Some(stub);
                        stub
                    }
                },
                Binding::Export { object } => {
                    let definer = *object;
                    match self.set.objects[definer].instance {
                        Some(instance) => instance
                            .get_export_in(store, &import.name)
                            .ok_or_else(|| Error::link(&importer, symbol(), "export vanished"))?,
                        None if matches!(import.index, EntityIndex::Tag(_)) => {
                            self.tag_defined_later(store, definer, &import.name, &import.ty)?
                        }
                        None => {
                            let EntityIndex::Func(func_index) = import.index else {
                                return Err(Error::link(
                                    &importer,
                                    symbol(),
                                    format!(
                                        "imports a global from {}, which is instantiated after it",
                                        self.set.objects[definer].name
                                    ),
                                ));
                            };
                            let func = self.placeholder(store, &import.ty, &symbol(), &importer)?;
                            self.patches.pending.push(Patch {
                                importer: index,
                                func_index,
                                definer,
                                name: import.name.clone(),
                            });
                            func.into()
                        }
                    }
                }
            };
            externs.push(item);
        }
        self.set.objects[index].import_items = cache;
        // An object loaded again reuses its earlier instance's vmctx.
        let previous = self.set.objects[index].instance.take();
        let aliases = self.set.objects[index].tag_aliases.clone();
        let instance = Instance::new_reusing(store, &module, &externs, previous, &aliases)?;
        self.set.objects[index].instance = Some(instance);
        Ok(())
    }

    /// The tag an import gets when its definer (exporting it as `name`) is
    /// instantiated later: a tag made now, which the definer's instance
    /// then takes as its own definition (`Object::tag_aliases`).
    fn tag_defined_later(
        &mut self,
        store: &mut StoreOpaque,
        definer: usize,
        name: &str,
        ty: &crate::types::ExternType,
    ) -> Result<Extern> {
        let object = &self.set.objects[definer];
        let Some(EntityIndex::Tag(index)) = object.module.export_index(name) else {
            return Err(Error::link(&object.name, name, "export vanished"));
        };
        // A definer that re-exports a tag it imports itself: its import is
        // not bound yet either, so there is no tag to give.
        let Some(defined) = index.checked_sub(object.module.info().num_imported_tags) else {
            return Err(Error::link(
                &object.name,
                name,
                "re-exports an imported tag to an object instantiated before it",
            ));
        };
        if let Some((_, tag)) = object.tag_aliases.iter().find(|(i, _)| *i == defined) {
            return Ok(Extern::Tag(*tag));
        }
        let crate::types::ExternType::Tag(func_ty) = ty else {
            return Err(Error::link(&object.name, name, "not a tag"));
        };
        let tag = crate::tag::Tag::new_in(store, func_ty)?;
        self.set.objects[definer].tag_aliases.push((defined, tag));
        Ok(Extern::Tag(tag))
    }

    /// Points every placeholder-bound import at its real definition. A
    /// definition that is itself a re-exported import is resolved once
    /// that import is patched; a cycle of re-exports is a link error.
    pub(crate) fn apply_patches(&mut self, store: &mut StoreOpaque) -> Result<()> {
        let mut pending = std::mem::take(&mut self.patches.pending);
        while !pending.is_empty() {
            let before = pending.len();
            let mut rest = Vec::new();
            for patch in pending {
                let real = self.definition(store, &patch)?;
                if self.patches.placeholders.contains(&func_identity(&real)) {
                    rest.push(patch);
                    continue;
                }
                let objects: &[Object] = &self.set.objects;
                let importer = objects[patch.importer]
                    .instance
                    .ok_or_else(|| Error::msg("importer not instantiated"))?;
                let slot = importer.func(store, patch.func_index).raw();
                // SAFETY: both point to live VMFuncRefs of this store; the
                // planner checked that the signatures are equal, and nothing
                // runs concurrently with the loader.
                unsafe {
                    if (*slot).type_id != (*real.raw()).type_id {
                        return Err(Error::link(
                            &objects[patch.importer].name,
                            &patch.name,
                            "signature changed while linking",
                        ));
                    }
                    *slot = *real.raw();
                }
            }
            if rest.len() == before {
                let p = &rest[0];
                return Err(Error::link(
                    &self.set.objects[p.importer].name,
                    format!("env.{}", p.name),
                    "only defined through a cycle of re-exported imports",
                ));
            }
            pending = rest;
        }
        self.patches.placeholders.clear();
        Ok(())
    }

    fn definition(&self, store: &StoreOpaque, patch: &Patch) -> Result<Func> {
        let definer = &self.set.objects[patch.definer];
        definer
            .instance
            .and_then(|i| i.get_export_in(store, &patch.name))
            .and_then(Extern::into_func)
            .ok_or_else(|| {
                Error::link(
                    &self.set.objects[patch.importer].name,
                    format!("env.{}", patch.name),
                    format!("{} does not export it as a function", definer.name),
                )
            })
    }
}
