//! Globals, memories, tables, and `Extern`, the sum of everything importable.

use crate::error::{Error, Result};
use crate::func::Func;
use crate::limits::StoreLimits;
use crate::store::{AsContext, AsContextMut, StoreContext, StoreContextMut, StoreOpaque};
use crate::types::{ExternType, GlobalType, MemoryType, TableType};
use crate::values::Val;
use crate::vm::memory::LinearMemory;
use crate::vm::table::Table as VmTable;
use crate::vm::VMGlobalDefinition;
use std::ptr::NonNull;

/// A global variable in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Global {
    store_id: u64,
    def: NonNull<VMGlobalDefinition>,
    ty: GlobalType,
}

/// A linear memory in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    store_id: u64,
    mem: NonNull<LinearMemory>,
}

/// A table in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    store_id: u64,
    table: NonNull<VmTable>,
}

// SAFETY: handles, dereferenced only through their store (id-checked).
unsafe impl Send for Global {}
// SAFETY: as above.
unsafe impl Sync for Global {}
// SAFETY: as above.
unsafe impl Send for Memory {}
// SAFETY: as above.
unsafe impl Sync for Memory {}
// SAFETY: as above.
unsafe impl Send for Table {}
// SAFETY: as above.
unsafe impl Sync for Table {}

impl Global {
    /// Creates a global owned by the store.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, value: Val) -> Result<Global> {
        Global::new_in(store.as_context_mut().opaque_mut(), ty, value)
    }

    pub(crate) fn new_in(store: &mut StoreOpaque, ty: GlobalType, value: Val) -> Result<Global> {
        refuse_host_exnref(&value)?;
        if value.ty() != ty.content {
            return Err(Error::msg(format!(
                "global of type {ty} initialised with {value:?}"
            )));
        }
        let mut def = Box::new(VMGlobalDefinition {
            bits: value.to_raw(),
        });
        let ptr = NonNull::from(&mut *def);
        store.globals.push(def);
        Ok(Global {
            store_id: store.id(),
            def: ptr,
            ty,
        })
    }

    pub(crate) fn from_raw(store_id: u64, def: *mut VMGlobalDefinition, ty: GlobalType) -> Global {
        Global {
            store_id,
            def: NonNull::new(def).expect("global storage is never null"),
            ty,
        }
    }

    pub(crate) fn raw(&self) -> *mut VMGlobalDefinition {
        self.def.as_ptr()
    }

    pub(crate) fn store_id(&self) -> u64 {
        self.store_id
    }

    /// The global's type.
    pub fn ty(&self) -> GlobalType {
        self.ty
    }

    /// Current value.
    pub fn get(&self, store: impl AsContext) -> Val {
        self.get_in(store.as_context().opaque())
    }

    pub(crate) fn get_in(&self, store: &StoreOpaque) -> Val {
        store.check(self.store_id);
        // SAFETY: storage lives as long as the store.
        let bits = unsafe { (*self.def.as_ptr()).bits };
        Val::from_raw(bits, self.ty.content, self.store_id)
    }

    /// Sets the value (the global must be mutable).
    pub fn set(&self, mut store: impl AsContextMut, value: Val) -> Result<()> {
        self.set_in(store.as_context_mut().opaque_mut(), value)
    }

    pub(crate) fn set_in(&self, store: &mut StoreOpaque, value: Val) -> Result<()> {
        store.check(self.store_id);
        refuse_host_exnref(&value)?;
        if !self.ty.mutable {
            return Err(Error::msg("cannot set an immutable global"));
        }
        if value.ty() != self.ty.content {
            return Err(Error::msg(format!(
                "global of type {} set to {value:?}",
                self.ty
            )));
        }
        // SAFETY: storage lives as long as the store.
        unsafe { (*self.def.as_ptr()).bits = value.to_raw() };
        Ok(())
    }
}

impl Memory {
    /// Creates a memory owned by the store.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        Memory::new_in(store.as_context_mut().opaque_mut(), ty)
    }

    pub(crate) fn new_in(store: &mut StoreOpaque, ty: MemoryType) -> Result<Memory> {
        let limits = store.limits;
        StoreLimits::check_count(limits.memories, store.memories.len(), "memories")?;
        if let Some(pages) = limits.memory_pages() {
            if ty.minimum > pages {
                return Err(Error::msg(format!(
                    "resource limit exceeded: a memory of {} bytes is larger than the store's limit of {} bytes",
                    ty.minimum.saturating_mul(65536),
                    limits.memory_size.unwrap_or(0)
                )));
            }
        }
        let guard = store.engine().memory_guard();
        let mut mem = Box::new(LinearMemory::new(
            ty.minimum,
            ty.maximum,
            guard,
            limits.memory_pages(),
            Some(store.engine().memory_pool().clone()),
            store.engine().config().memory_huge_pages,
        )?);
        let ptr = NonNull::from(&mut *mem);
        store.memories.push(mem);
        Ok(Memory {
            store_id: store.id(),
            mem: ptr,
        })
    }

    pub(crate) fn from_raw(store_id: u64, mem: *mut LinearMemory) -> Memory {
        Memory {
            store_id,
            mem: NonNull::new(mem).expect("memory is never null"),
        }
    }

    pub(crate) fn raw(&self) -> *mut LinearMemory {
        self.mem.as_ptr()
    }

    pub(crate) fn store_id(&self) -> u64 {
        self.store_id
    }

    fn get<'a>(&self, store: &'a StoreOpaque) -> &'a LinearMemory {
        store.check(self.store_id);
        // SAFETY: owned by the store.
        unsafe { &*self.mem.as_ptr() }
    }

    /// Current type: current size as minimum, and the maximum.
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        self.ty_in(store.as_context().opaque())
    }

    pub(crate) fn ty_in(&self, store: &StoreOpaque) -> MemoryType {
        let m = self.get(store);
        MemoryType {
            minimum: m.size_pages(),
            maximum: m.declared_maximum(),
        }
    }

    /// Current size in pages.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.size_in(store.as_context().opaque())
    }

    pub(crate) fn size_in(&self, store: &StoreOpaque) -> u64 {
        self.get(store).size_pages()
    }

    /// Current size in bytes.
    pub fn data_size(&self, store: impl AsContext) -> usize {
        self.get(store.as_context().opaque()).data().len()
    }

    /// The memory's bytes.
    pub fn data<'a, T: 'static>(&self, store: impl Into<StoreContext<'a, T>>) -> &'a [u8] {
        self.get(store.into().opaque()).data()
    }

    /// The memory's bytes, mutable.
    pub fn data_mut<'a, T: 'static>(
        &self,
        store: impl Into<StoreContextMut<'a, T>>,
    ) -> &'a mut [u8] {
        let store = store.into().into_opaque_mut();
        store.check(self.store_id);
        // SAFETY: owned by the store, which we borrow mutably for 'a.
        unsafe { (*self.mem.as_ptr()).data_mut() }
    }

    pub(crate) fn data_mut_in<'a>(&self, store: &'a mut StoreOpaque) -> &'a mut [u8] {
        store.check(self.store_id);
        // SAFETY: owned by the store, which we borrow mutably for 'a.
        unsafe { (*self.mem.as_ptr()).data_mut() }
    }

    /// Copies `buffer.len()` bytes at `offset` into `buffer`; an error (and
    /// nothing copied) if the range is out of bounds.
    pub fn read(&self, store: impl AsContext, offset: usize, buffer: &mut [u8]) -> Result<()> {
        let data = self.get(store.as_context().opaque()).data();
        let range = offset..offset.saturating_add(buffer.len());
        let bytes = data.get(range).ok_or_else(out_of_bounds)?;
        buffer.copy_from_slice(bytes);
        Ok(())
    }

    /// Copies `bytes` into memory at `offset`; an error (and nothing
    /// written) if the range is out of bounds.
    pub fn write(&self, mut store: impl AsContextMut, offset: usize, bytes: &[u8]) -> Result<()> {
        let data = self.data_mut(store.as_context_mut());
        let range = offset..offset.saturating_add(bytes.len());
        data.get_mut(range)
            .ok_or_else(out_of_bounds)?
            .copy_from_slice(bytes);
        Ok(())
    }

    /// Grows by `delta` pages; returns the previous size.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        self.grow_in(store.as_context_mut().opaque_mut(), delta)
    }

    pub(crate) fn grow_in(&self, store: &mut StoreOpaque, delta: u64) -> Result<u64> {
        store.check(self.store_id);
        // SAFETY: owned by the store, which we borrow mutably.
        unsafe { (*self.mem.as_ptr()).grow(delta) }
            .ok_or_else(|| Error::msg("memory cannot grow that far"))
    }
}

impl Table {
    /// Creates a table owned by the store, every element `init`.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        Table::new_in(store.as_context_mut().opaque_mut(), ty, init)
    }

    pub(crate) fn new_in(store: &mut StoreOpaque, ty: TableType, init: Val) -> Result<Table> {
        refuse_host_exnref(&init)?;
        if init.ty() != ty.element {
            return Err(Error::msg("table initial value has the wrong type"));
        }
        let limits = store.limits;
        StoreLimits::check_count(limits.tables, store.tables.len(), "tables")?;
        if let Some(limit) = limits.table_elements {
            if ty.minimum > limit {
                return Err(Error::msg(format!(
                    "resource limit exceeded: a table of {} elements is larger than the store's limit of {limit}",
                    ty.minimum
                )));
            }
        }
        let mut table = Box::new(
            VmTable::new(ty.element, ty.minimum, ty.maximum, init.to_raw() as usize)
                .ok_or_else(|| Error::msg("table too large"))?,
        );
        if let Some(limit) = limits.table_elements {
            table.limit_elements(limit);
        }
        let ptr = NonNull::from(&mut *table);
        store.tables.push(table);
        Ok(Table {
            store_id: store.id(),
            table: ptr,
        })
    }

    pub(crate) fn from_raw(store_id: u64, table: *mut VmTable) -> Table {
        Table {
            store_id,
            table: NonNull::new(table).expect("table is never null"),
        }
    }

    pub(crate) fn raw(&self) -> *mut VmTable {
        self.table.as_ptr()
    }

    pub(crate) fn store_id(&self) -> u64 {
        self.store_id
    }

    fn get_table<'a>(&self, store: &'a StoreOpaque) -> &'a VmTable {
        store.check(self.store_id);
        // SAFETY: owned by the store.
        unsafe { &*self.table.as_ptr() }
    }

    /// Current type: current size as minimum.
    pub fn ty(&self, store: impl AsContext) -> TableType {
        self.ty_in(store.as_context().opaque())
    }

    pub(crate) fn ty_in(&self, store: &StoreOpaque) -> TableType {
        let t = self.get_table(store);
        TableType {
            element: t.element_type(),
            minimum: t.size(),
            maximum: t.maximum(),
        }
    }

    /// Number of elements.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.size_in(store.as_context().opaque())
    }

    pub(crate) fn size_in(&self, store: &StoreOpaque) -> u64 {
        self.get_table(store).size()
    }

    /// Element `index`, or `None` out of bounds.
    pub fn get(&self, store: impl AsContext, index: u64) -> Option<Val> {
        self.get_in(store.as_context().opaque(), index)
    }

    pub(crate) fn get_in(&self, store: &StoreOpaque, index: u64) -> Option<Val> {
        let t = self.get_table(store);
        let raw = t.get(index).ok()?;
        Some(Val::from_raw(raw as u128, t.element_type(), self.store_id))
    }

    /// Sets element `index`.
    pub fn set(&self, mut store: impl AsContextMut, index: u64, value: Val) -> Result<()> {
        self.set_in(store.as_context_mut().opaque_mut(), index, value)
    }

    pub(crate) fn set_in(&self, store: &mut StoreOpaque, index: u64, value: Val) -> Result<()> {
        store.check(self.store_id);
        refuse_host_exnref(&value)?;
        // SAFETY: owned by the store, which we borrow mutably.
        let t = unsafe { &mut *self.table.as_ptr() };
        if value.ty() != t.element_type() {
            return Err(Error::msg("table element has the wrong type"));
        }
        t.set(index, value.to_raw() as usize).map_err(Error::from)
    }

    /// Grows by `delta` elements set to `init`; returns the previous size.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64, init: Val) -> Result<u64> {
        self.grow_in(store.as_context_mut().opaque_mut(), delta, init)
    }

    pub(crate) fn grow_in(&self, store: &mut StoreOpaque, delta: u64, init: Val) -> Result<u64> {
        store.check(self.store_id);
        refuse_host_exnref(&init)?;
        // SAFETY: owned by the store, which we borrow mutably.
        let t = unsafe { &mut *self.table.as_ptr() };
        t.grow(delta, init.to_raw() as usize)
            .ok_or_else(|| Error::msg("table cannot grow that far"))
    }
}

fn out_of_bounds() -> Error {
    Error::msg("out of bounds memory access")
}

/// An exnref names a slot of its store's exception table; the host may
/// pass null but not a non-null one (it could name a freed or foreign slot).
pub(crate) fn refuse_host_exnref(value: &Val) -> Result<()> {
    if matches!(value, Val::ExnRef(Some(_))) {
        return Err(Error::msg(
            "a non-null exnref cannot be passed from the host into wasm",
        ));
    }
    Ok(())
}

/// Anything that can be imported or exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A global.
    Global(Global),
    /// A memory.
    Memory(Memory),
    /// A table.
    Table(Table),
    /// An exception tag.
    Tag(crate::tag::Tag),
}

impl Extern {
    /// The item's current type.
    pub fn ty(&self, store: impl AsContext) -> ExternType {
        self.ty_in(store.as_context().opaque())
    }

    pub(crate) fn ty_in(&self, store: &StoreOpaque) -> ExternType {
        match self {
            Extern::Func(f) => ExternType::Func(f.ty_in(store)),
            Extern::Global(g) => ExternType::Global(g.ty()),
            Extern::Memory(m) => ExternType::Memory(m.ty_in(store)),
            Extern::Table(t) => ExternType::Table(t.ty_in(store)),
            Extern::Tag(t) => ExternType::Tag(t.ty_in(store)),
        }
    }

    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func> {
        match self {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }

    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global> {
        match self {
            Extern::Global(g) => Some(g),
            _ => None,
        }
    }

    /// The memory, if this is one.
    pub fn into_memory(self) -> Option<Memory> {
        match self {
            Extern::Memory(m) => Some(m),
            _ => None,
        }
    }

    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table> {
        match self {
            Extern::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The tag, if this is one.
    pub fn into_tag(self) -> Option<crate::tag::Tag> {
        match self {
            Extern::Tag(t) => Some(t),
            _ => None,
        }
    }

    pub(crate) fn store_id(&self) -> u64 {
        match self {
            Extern::Func(f) => f.store_id(),
            Extern::Global(g) => g.store_id(),
            Extern::Memory(m) => m.store_id(),
            Extern::Table(t) => t.store_id(),
            Extern::Tag(t) => t.store_id(),
        }
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Self {
        Extern::Func(f)
    }
}
impl From<Global> for Extern {
    fn from(g: Global) -> Self {
        Extern::Global(g)
    }
}
impl From<Memory> for Extern {
    fn from(m: Memory) -> Self {
        Extern::Memory(m)
    }
}
impl From<Table> for Extern {
    fn from(t: Table) -> Self {
        Extern::Table(t)
    }
}
impl From<crate::tag::Tag> for Extern {
    fn from(t: crate::tag::Tag) -> Self {
        Extern::Tag(t)
    }
}
