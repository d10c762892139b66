//! Instantiation: imports checked and bound, memories/tables/globals created,
//! segments applied, start function run.

use crate::environ::{EntityIndex, SegmentMode};
use crate::error::{Error, Result, Trap};
use crate::externals::{Extern, Global, Memory, Table};
use crate::func::Func;
use crate::module::Module;
use crate::store::{AsContext, AsContextMut, StoreContext, StoreOpaque};
use crate::typed::{TypedFunc, WasmParams, WasmResults};
use crate::types::{limits_match, ExternType};
use crate::vm::instance::{InstanceData, ResolvedImports};
use crate::vm::memory::LinearMemory;
use crate::vm::table::{checked_range, Table as VmTable};
use crate::vm::VMFuncRef;

/// An instance of a module in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance {
    store_id: u64,
    index: usize,
}

fn type_mismatch(module: &Module, import: &crate::environ::Import, found: &ExternType) -> Error {
    Error::link(
        module.name(),
        format!("{}.{}", import.module, import.name),
        format!(
            "incompatible import type: expected {}, found {found}",
            import.ty
        ),
    )
}

/// Checks `imports` against `module` and collects the raw pieces.
fn resolve_imports(
    store: &StoreOpaque,
    module: &Module,
    imports: &[Extern],
) -> Result<(ResolvedImports, Vec<*mut LinearMemory>, Vec<*mut VmTable>)> {
    let wanted = module.imports();
    if wanted.len() != imports.len() {
        return Err(Error::msg(format!(
            "{} expects {} imports, {} given",
            module.name(),
            wanted.len(),
            imports.len()
        )));
    }
    let mut resolved = ResolvedImports {
        funcs: Vec::new(),
        globals: Vec::new(),
        tags: Vec::new(),
        tag_aliases: Vec::new(),
    };
    let (mut memories, mut tables) = (Vec::new(), Vec::new());
    for (import, item) in wanted.iter().zip(imports) {
        if item.store_id() != store.id() {
            return Err(Error::link(
                module.name(),
                format!("{}.{}", import.module, import.name),
                "the import belongs to another store",
            ));
        }
        let found = item.ty_in(store);
        let ok = match (&import.ty, item, &found) {
            (ExternType::Func(_), Extern::Func(f), _) => {
                let EntityIndex::Func(i) = import.index else {
                    unreachable!()
                };
                let expected = module.signature_id(module.info().functions[i as usize]);
                let ok = f.type_id() == expected;
                // SAFETY: the funcref lives as long as the store.
                resolved.funcs.push(unsafe { *f.raw() });
                ok
            }
            (ExternType::Global(want), Extern::Global(g), _) => {
                resolved.globals.push(g.raw());
                *want == g.ty()
            }
            (ExternType::Tag(_), Extern::Tag(t), _) => {
                let EntityIndex::Tag(i) = import.index else {
                    unreachable!()
                };
                resolved.tags.push(t.raw());
                t.type_id() == module.signature_id(module.info().tags[i as usize])
            }
            (ExternType::Memory(want), Extern::Memory(m), ExternType::Memory(have)) => {
                memories.push(m.raw());
                limits_match(have.minimum, have.maximum, want.minimum, want.maximum)
            }
            (ExternType::Table(want), Extern::Table(t), ExternType::Table(have)) => {
                tables.push(t.raw());
                want.element == have.element
                    && limits_match(have.minimum, have.maximum, want.minimum, want.maximum)
            }
            _ => false,
        };
        if !ok {
            return Err(type_mismatch(module, import, &found));
        }
    }
    Ok((resolved, memories, tables))
}

impl Instance {
    /// Instantiates `module` with `imports` given in the module's import order.
    ///
    /// If a segment is out of bounds or the start function traps, the error is
    /// returned but the instance's effects on imported memories and tables
    /// stay, as the spec requires.
    pub fn new(
        mut store: impl AsContextMut,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        Instance::new_in(store.as_context_mut().opaque_mut(), module, imports)
    }

    pub(crate) fn new_in(
        store: &mut StoreOpaque,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        Instance::new_reusing(store, module, imports, None, &[])
    }

    /// As [`Instance::new`]; if `reuse` is an instance of the same module
    /// that defines no memory or table of its own (an unloaded library being
    /// loaded again), its vmctx is reused instead of allocating another, so
    /// load/unload cycles do not grow the store. Each `(i, tag)` of
    /// `tag_aliases` makes defined tag `i` be `tag` (the dynamic loader's
    /// way to give a tag to importers instantiated before its definer).
    pub(crate) fn new_reusing(
        store: &mut StoreOpaque,
        module: &Module,
        imports: &[Extern],
        reuse: Option<Instance>,
        tag_aliases: &[(u32, crate::tag::Tag)],
    ) -> Result<Instance> {
        if !crate::Engine::same(store.engine(), module.engine()) {
            return Err(Error::msg("module and store belong to different engines"));
        }
        if reuse.is_none() {
            crate::limits::StoreLimits::check_count(
                store.limits.instances,
                store.instances.len(),
                "instances",
            )?;
        }
        let (mut resolved, mut memories, mut tables) = resolve_imports(store, module, imports)?;
        let info = module.info();
        for (defined, tag) in tag_aliases {
            let index = info.num_imported_tags + defined;
            if tag.type_id() != module.signature_id(info.tags[index as usize]) {
                return Err(Error::link(
                    module.name(),
                    format!("tag {index}"),
                    "was imported with another type",
                ));
            }
            resolved.tag_aliases.push((*defined, tag.raw()));
        }
        for ty in &info.memories[info.num_imported_memories as usize..] {
            let memory = Memory::new_in(store, *ty)?;
            memories.push(memory.raw());
        }
        for ty in &info.tables[info.num_imported_tables as usize..] {
            let init = crate::values::Val::default_for(ty.element);
            let table = Table::new_in(store, *ty, init)?;
            tables.push(table.raw());
        }
        let store_ctx: *const crate::vm::VMStoreContext = &*store.vm;
        let owns_nothing = info.num_imported_memories as usize == info.memories.len()
            && info.num_imported_tables as usize == info.tables.len();
        let reusable = reuse.filter(|old| {
            store.check(old.store_id);
            owns_nothing && Module::same(&store.instances[old.index].module, module)
        });
        let instance = match reusable {
            Some(old) => {
                let data = &mut store.instances[old.index];
                data.refill(store_ctx, &resolved, memories, tables);
                data.init_globals();
                old
            }
            None => {
                let mut data =
                    InstanceData::new(module.clone(), store_ctx, &resolved, memories, tables);
                data.init_globals();
                store.instances.push(data);
                Instance {
                    store_id: store.id(),
                    index: store.instances.len() - 1,
                }
            }
        };
        instance.apply_segments(store)?;
        if let Some(start) = info.start {
            let f = instance.func(store, start);
            f.call_in(store, &[], &mut [])?;
        }
        Ok(instance)
    }

    fn data<'a>(&self, store: &'a StoreOpaque) -> &'a InstanceData {
        store.check(self.store_id);
        &store.instances[self.index]
    }

    fn data_mut<'a>(&self, store: &'a mut StoreOpaque) -> &'a mut InstanceData {
        store.check(self.store_id);
        &mut store.instances[self.index]
    }

    /// Active element segments, then active data segments, in order; the
    /// first out-of-bounds one traps (earlier writes stay).
    fn apply_segments(&self, store: &mut StoreOpaque) -> Result<()> {
        let data = self.data_mut(store);
        let module = data.module.clone();
        let info = module.info();
        for (i, segment) in info.elements.iter().enumerate() {
            match segment.mode {
                SegmentMode::Active { index, offset } => {
                    let offset = data.eval_const(&offset) as u32;
                    let len = segment.items.len() as u64;
                    let range = checked_range(offset.into(), len, data.table(index).size())?;
                    for (item, slot) in range.enumerate() {
                        let value = data.element_value(i as u32, item);
                        data.table(index).elements_mut()[slot] = value;
                    }
                    data.drop_element(i as u32);
                }
                SegmentMode::Declared => data.drop_element(i as u32),
                SegmentMode::Passive => {}
            }
        }
        for (i, segment) in info.data.iter().enumerate() {
            if let SegmentMode::Active { index, offset } = segment.mode {
                let offset = data.eval_const(&offset) as u32 as usize;
                let memory = data.memory(index).data_mut();
                let bytes = module.data_segment(i as u32);
                let end = offset
                    .checked_add(bytes.len())
                    .filter(|&end| end <= memory.len())
                    .ok_or(Trap::MemoryOutOfBounds)?;
                memory[offset..end].copy_from_slice(bytes);
                data.drop_data(i as u32);
            }
        }
        Ok(())
    }

    /// Function `index` of the instance: a pointer to its `VMFuncRef` slot in the
    /// vmctx (for an imported function, the slot holding the import).
    pub(crate) fn func(&self, store: &StoreOpaque, index: u32) -> Func {
        let funcref: *mut VMFuncRef = self.data(store).funcref(index);
        Func::from_raw(self.store_id, funcref).expect("funcref slots are never null")
    }

    /// Function `index` of the instance's function index space (imports
    /// first): the same `Func` that `ref.func index` evaluates to inside the
    /// instance, so the two compare equal. `None` past the last function.
    ///
    /// Hidden from the docs: it exists so the spec-suite driver can check
    /// which function a returned funcref is; embedders should use exports.
    #[doc(hidden)]
    pub fn func_at(&self, store: impl AsContext, index: u32) -> Option<Func> {
        let store = store.as_context();
        let store = store.opaque();
        let count = self.data(store).info().functions.len();
        (usize::try_from(index).ok()? < count).then(|| self.func(store, index))
    }

    /// See [`InstanceData::kill_functions`].
    pub(crate) fn kill_functions(
        &self,
        store: &mut StoreOpaque,
        dead: impl Fn(u32) -> Option<crate::vm::VMFuncRef>,
    ) {
        self.data_mut(store).kill_functions(dead);
    }

    /// The addresses of the instance's vmctx.
    pub(crate) fn vmctx_range(&self, store: &StoreOpaque) -> std::ops::Range<usize> {
        self.data(store).vmctx_range()
    }

    pub(crate) fn module_in<'a>(&self, store: &'a StoreOpaque) -> &'a Module {
        &self.data(store).module
    }

    /// The module this is an instance of.
    pub fn module<'a, T: 'static>(&self, store: impl Into<StoreContext<'a, T>>) -> &'a Module {
        &self.data(store.into().opaque()).module
    }

    /// An export by name.
    pub fn get_export(&self, store: impl AsContext, name: &str) -> Option<Extern> {
        self.get_export_in(store.as_context().opaque(), name)
    }

    pub(crate) fn get_export_in(&self, store: &StoreOpaque, name: &str) -> Option<Extern> {
        let data = self.data(store);
        let index = data.info().export_index.get(name).copied()?;
        Some(entity(data, self.store_id, index))
    }

    /// All exports, in order.
    pub fn exports(&self, store: impl AsContext) -> Vec<(String, Extern)> {
        let data = self.data(store.as_context().opaque());
        data.info()
            .exports
            .iter()
            .map(|(name, index)| (name.to_string(), entity(data, self.store_id, *index)))
            .collect()
    }

    /// An exported function.
    pub fn get_func(&self, store: impl AsContext, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// An exported function as a [`TypedFunc`] with parameters `P` and
    /// results `R`; an error if there is no such export or its type differs.
    pub fn get_typed_func<P: WasmParams, R: WasmResults>(
        &self,
        store: impl AsContext,
        name: &str,
    ) -> Result<TypedFunc<P, R>> {
        let store = store.as_context();
        let func = self
            .get_func(store, name)
            .ok_or_else(|| Error::msg(format!("no exported function `{name}`")))?;
        func.typed(store)
    }

    /// An exported global.
    pub fn get_global(&self, store: impl AsContext, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// An exported memory.
    pub fn get_memory(&self, store: impl AsContext, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// An exported table.
    pub fn get_table(&self, store: impl AsContext, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }
}

/// The item `index` of an instance as a handle of store `store_id`.
pub(crate) fn entity(data: &InstanceData, store_id: u64, index: EntityIndex) -> Extern {
    match index {
        EntityIndex::Func(i) => Extern::Func(
            Func::from_raw(store_id, data.funcref(i)).expect("funcref slots are never null"),
        ),
        EntityIndex::Global(i) => Extern::Global(Global::from_raw(
            store_id,
            data.global_ptr(i),
            data.info().globals[i as usize],
        )),
        EntityIndex::Memory(i) => Extern::Memory(Memory::from_raw(store_id, data.memory_ptr(i))),
        EntityIndex::Table(i) => Extern::Table(Table::from_raw(store_id, data.table_ptr(i))),
        EntityIndex::Tag(i) => Extern::Tag(crate::tag::Tag::from_raw(store_id, data.tag_ptr(i))),
    }
}
