//! The global offset table: one `GOT.mem.X` / `GOT.func.X` cell per symbol
//! and process, shared by every object that imports it, and the table slots
//! that give each function one address.

use super::object::Object;
use super::regions::grow_table_to;
use super::symbols::LOADER_HEAP_BASE;
use crate::error::{Error, Result};
use crate::externals::{Extern, Global, Table};
use crate::func::Func;
use crate::store::StoreOpaque;
use crate::types::{GlobalType, ValType};
use crate::values::Val;
use hashbrown::HashMap;

/// Which GOT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum GotKind {
    /// `GOT.mem.X`: the address of data symbol X.
    Mem,
    /// `GOT.func.X`: the table index of function X.
    Func,
}

impl GotKind {
    pub fn from_module(module: &str) -> Option<GotKind> {
        match module {
            "GOT.mem" => Some(GotKind::Mem),
            "GOT.func" => Some(GotKind::Func),
            _ => None,
        }
    }
}

/// One GOT cell.
#[derive(Debug)]
pub(crate) struct GotEntry {
    pub kind: GotKind,
    pub name: String,
    pub global: Global,
    /// The defining object; `None` for a weak undefined symbol (value 0).
    pub definition: Option<usize>,
    pub filled: bool,
    /// Its definer was unloaded: the next import of it resolves it again.
    pub rebind: bool,
}

/// All GOT cells of a process.
#[derive(Debug, Default)]
pub(crate) struct Got {
    entries: Vec<GotEntry>,
    index: HashMap<(GotKind, String), usize>,
}

impl Got {
    /// The cell for `kind.name` (a mutable i32), created holding 0 on first use.
    pub fn entry(
        &mut self,
        store: &mut StoreOpaque,
        kind: GotKind,
        name: &str,
        definition: Option<usize>,
    ) -> Result<usize> {
        let key = (kind, name.to_string());
        if let Some(&i) = self.index.get(&key) {
            let entry = &mut self.entries[i];
            if entry.rebind {
                entry.definition = definition;
                entry.rebind = false;
            }
            return Ok(i);
        }
        let ty = GlobalType {
            content: ValType::I32,
            mutable: true,
        };
        let global = Global::new_in(store, ty, Val::I32(0))?;
        let i = self.entries.len();
        self.entries.push(GotEntry {
            kind,
            name: name.to_string(),
            global,
            definition,
            filled: false,
            rebind: false,
        });
        self.index.insert(key, i);
        Ok(i)
    }

    /// Every cell as (kind, symbol, definer), in creation order: what a
    /// link plan needs to make the same cells in another store.
    pub fn cells(&self) -> Vec<(GotKind, String, Option<usize>)> {
        self.entries
            .iter()
            .map(|e| (e.kind, e.name.clone(), e.definition))
            .collect()
    }

    /// The object cell `i` was bound to (`None`: weak undefined, or not yet).
    pub fn definition(&self, i: usize) -> Option<usize> {
        self.entries[i].definition
    }

    /// Forgets `object` as a definition (it is being unloaded): its cells
    /// read 0 and are bound again when an object loaded later imports them.
    pub fn forget(&mut self, object: usize) {
        for entry in &mut self.entries {
            if entry.definition == Some(object) {
                entry.definition = None;
                entry.filled = false;
                entry.rebind = true;
            }
        }
    }

    /// The global of cell `i`.
    pub fn global(&self, i: usize) -> Global {
        self.entries[i].global
    }

    /// Sets every cell not yet filled: data addresses, and table slots for
    /// functions (reusing a slot the function already occupies). A
    /// `GOT.mem.__heap_base` that no object defines is `heap_base`.
    pub fn fill(
        &mut self,
        store: &mut StoreOpaque,
        objects: &[Object],
        table: Option<&Table>,
        slots: &mut FuncSlots,
        heap_base: u32,
    ) -> Result<()> {
        for entry in self.entries.iter_mut().filter(|e| !e.filled) {
            let value = match entry.definition {
                None if entry.kind == GotKind::Mem && entry.name == LOADER_HEAP_BASE => heap_base,
                None => 0,
                Some(def) => {
                    let object = &objects[def];
                    let instance = object
                        .instance
                        .ok_or_else(|| Error::msg(format!("{}: not instantiated", object.name)))?;
                    match entry.kind {
                        GotKind::Mem => {
                            let offset = instance
                                .get_export_in(store, &entry.name)
                                .and_then(Extern::into_global)
                                .and_then(|g| g.get_in(store).i32())
                                .ok_or_else(|| {
                                    Error::link(
                                        &object.name,
                                        &entry.name,
                                        "exported data symbol is not an i32 global",
                                    )
                                })?;
                            let base = if object.is_relocatable() {
                                object.memory_base
                            } else {
                                0
                            };
                            base.wrapping_add(offset as u32)
                        }
                        GotKind::Func => {
                            let func = instance
                                .get_export_in(store, &entry.name)
                                .and_then(Extern::into_func)
                                .ok_or_else(|| {
                                    Error::link(
                                        &object.name,
                                        &entry.name,
                                        "export is not a function",
                                    )
                                })?;
                            let table = table.ok_or_else(|| {
                                Error::msg("GOT.func entries need a function table")
                            })?;
                            slots.slot_for(store, table, func)?
                        }
                    }
                }
            };
            // GOT cells are always mutable i32 globals (checked when planning).
            entry.global.set_in(store, Val::I32(value as i32))?;
            entry.filled = true;
        }
        Ok(())
    }
}

/// Identity of a function: its code and the vmctx it runs with. An imported
/// function's slot in the importer's vmctx is a copy with the same identity.
pub(crate) fn func_identity(func: &Func) -> (usize, usize) {
    // SAFETY: a Func points to a VMFuncRef that lives as long as its store.
    let raw = unsafe { *func.raw() };
    (raw.code as usize, raw.vmctx as usize)
}

/// The table slot of each function that has one.
#[derive(Debug, Default)]
pub(crate) struct FuncSlots {
    slots: HashMap<(usize, usize), u32>,
    scanned: u64,
    /// Slots appended by `slot_for` (not part of any object's table region).
    appended: hashbrown::HashSet<u32>,
    /// Appended slots given back by unloaded objects, reused first.
    free: Vec<u32>,
}

impl FuncSlots {
    /// Records the functions in table slots not scanned yet (the first slot
    /// of a function wins).
    pub fn scan(&mut self, store: &StoreOpaque, table: &Table) {
        let size = table.size_in(store);
        for index in self.scanned..size {
            if let Some(Val::FuncRef(Some(f))) = table.get_in(store, index) {
                self.slots.entry(func_identity(&f)).or_insert(index as u32);
            }
        }
        self.scanned = size;
    }

    /// The slot of `func`: the one it occupies already, else a new one
    /// appended to the table.
    pub fn slot_for(&mut self, store: &mut StoreOpaque, table: &Table, func: Func) -> Result<u32> {
        self.scan(store, table);
        let key = func_identity(&func);
        if let Some(&slot) = self.slots.get(&key) {
            return Ok(slot);
        }
        if let Some(slot) = self.free.pop() {
            table.set_in(store, u64::from(slot), Val::FuncRef(Some(func)))?;
            self.slots.insert(key, slot);
            return Ok(slot);
        }
        let index = table.size_in(store);
        grow_table_to(store, table, index + 1)?;
        table.set_in(store, index, Val::FuncRef(Some(func)))?;
        let slot = u32::try_from(index).map_err(|_| Error::msg("function table too large"))?;
        self.slots.insert(key, slot);
        self.appended.insert(slot);
        self.scanned = index + 1;
        Ok(slot)
    }

    /// Forgets the functions whose vmctx lies in `vmctx` (an instance being
    /// unloaded); slots `slot_for` appended for them become free.
    pub fn forget(&mut self, vmctx: &std::ops::Range<usize>) {
        let free = &mut self.free;
        let appended = &self.appended;
        self.slots.retain(|&(_, ctx), slot| {
            let dies = vmctx.contains(&ctx);
            if dies && appended.contains(slot) {
                free.push(*slot);
            }
            !dies
        });
    }
}
