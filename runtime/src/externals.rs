//! Globals, memories, tables, and `Extern`, the sum of everything importable.

use crate::error::{Error, Result};
use crate::func::Func;
use crate::store::Store;
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

// SAFETY (all three): handles, dereferenced only through their store (id-checked).
unsafe impl Send for Global {}
unsafe impl Sync for Global {}
unsafe impl Send for Memory {}
unsafe impl Sync for Memory {}
unsafe impl Send for Table {}
unsafe impl Sync for Table {}

impl Global {
    /// Creates a global owned by the store.
    pub fn new(store: &mut Store, ty: GlobalType, value: Val) -> Result<Global> {
        if value.ty() != ty.content {
            return Err(Error::msg(format!(
                "global of type {ty} initialised with {value:?}"
            )));
        }
        let mut def = Box::new(VMGlobalDefinition {
            bits: value.to_raw(),
        });
        let ptr = NonNull::from(&mut *def);
        store.inner_mut().globals.push(def);
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
    pub fn get(&self, store: &Store) -> Val {
        store.check(self.store_id);
        // SAFETY: storage lives as long as the store.
        let bits = unsafe { (*self.def.as_ptr()).bits };
        Val::from_raw(bits, self.ty.content, self.store_id)
    }

    /// Sets the value (the global must be mutable).
    pub fn set(&self, store: &mut Store, value: Val) -> Result<()> {
        store.check(self.store_id);
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
    pub fn new(store: &mut Store, ty: MemoryType) -> Result<Memory> {
        let mut mem = Box::new(LinearMemory::new(ty.minimum, ty.maximum)?);
        let ptr = NonNull::from(&mut *mem);
        store.inner_mut().memories.push(mem);
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

    fn get<'a>(&self, store: &'a Store) -> &'a LinearMemory {
        store.check(self.store_id);
        // SAFETY: owned by the store.
        unsafe { &*self.mem.as_ptr() }
    }

    /// Current type: current size as minimum, and the maximum.
    pub fn ty(&self, store: &Store) -> MemoryType {
        let m = self.get(store);
        MemoryType {
            minimum: m.size_pages(),
            maximum: m.declared_maximum(),
        }
    }

    /// Current size in pages.
    pub fn size(&self, store: &Store) -> u64 {
        self.get(store).size_pages()
    }

    /// The memory's bytes.
    pub fn data<'a>(&self, store: &'a Store) -> &'a [u8] {
        self.get(store).data()
    }

    /// The memory's bytes, mutable.
    pub fn data_mut<'a>(&self, store: &'a mut Store) -> &'a mut [u8] {
        store.check(self.store_id);
        // SAFETY: owned by the store, which we borrow mutably.
        unsafe { (*self.mem.as_ptr()).data_mut() }
    }

    /// Grows by `delta` pages; returns the previous size.
    pub fn grow(&self, store: &mut Store, delta: u64) -> Result<u64> {
        store.check(self.store_id);
        // SAFETY: owned by the store, which we borrow mutably.
        unsafe { (*self.mem.as_ptr()).grow(delta) }
            .ok_or_else(|| Error::msg("memory cannot grow that far"))
    }
}

impl Table {
    /// Creates a table owned by the store, every element `init`.
    pub fn new(store: &mut Store, ty: TableType, init: Val) -> Result<Table> {
        if init.ty() != ty.element {
            return Err(Error::msg("table initial value has the wrong type"));
        }
        let mut table = Box::new(
            VmTable::new(ty.element, ty.minimum, ty.maximum, init.to_raw() as usize)
                .ok_or_else(|| Error::msg("table too large"))?,
        );
        let ptr = NonNull::from(&mut *table);
        store.inner_mut().tables.push(table);
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

    fn get_table<'a>(&self, store: &'a Store) -> &'a VmTable {
        store.check(self.store_id);
        // SAFETY: owned by the store.
        unsafe { &*self.table.as_ptr() }
    }

    /// Current type: current size as minimum.
    pub fn ty(&self, store: &Store) -> TableType {
        let t = self.get_table(store);
        TableType {
            element: t.element_type(),
            minimum: t.size(),
            maximum: t.maximum(),
        }
    }

    /// Number of elements.
    pub fn size(&self, store: &Store) -> u64 {
        self.get_table(store).size()
    }

    /// Element `index`, or `None` out of bounds.
    pub fn get(&self, store: &Store, index: u64) -> Option<Val> {
        let t = self.get_table(store);
        let raw = t.get(index).ok()?;
        Some(Val::from_raw(raw as u128, t.element_type(), self.store_id))
    }

    /// Sets element `index`.
    pub fn set(&self, store: &mut Store, index: u64, value: Val) -> Result<()> {
        store.check(self.store_id);
        // SAFETY: owned by the store, which we borrow mutably.
        let t = unsafe { &mut *self.table.as_ptr() };
        if value.ty() != t.element_type() {
            return Err(Error::msg("table element has the wrong type"));
        }
        t.set(index, value.to_raw() as usize).map_err(Error::from)
    }

    /// Grows by `delta` elements set to `init`; returns the previous size.
    pub fn grow(&self, store: &mut Store, delta: u64, init: Val) -> Result<u64> {
        store.check(self.store_id);
        // SAFETY: owned by the store, which we borrow mutably.
        let t = unsafe { &mut *self.table.as_ptr() };
        t.grow(delta, init.to_raw() as usize)
            .ok_or_else(|| Error::msg("table cannot grow that far"))
    }
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
}

impl Extern {
    /// The item's current type.
    pub fn ty(&self, store: &Store) -> ExternType {
        match self {
            Extern::Func(f) => ExternType::Func(f.ty(store)),
            Extern::Global(g) => ExternType::Global(g.ty()),
            Extern::Memory(m) => ExternType::Memory(m.ty(store)),
            Extern::Table(t) => ExternType::Table(t.ty(store)),
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

    pub(crate) fn store_id(&self) -> u64 {
        match self {
            Extern::Func(f) => f.store_id(),
            Extern::Global(g) => g.store_id(),
            Extern::Memory(m) => m.store_id(),
            Extern::Table(t) => t.store_id(),
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
