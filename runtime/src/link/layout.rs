//! Where each object's memory and table regions go, and the shared memory,
//! table and stack a process provides.

use super::loader::Loader;
use super::object::Object;
use super::regions::{self, align_up, allocate_memory, allocate_table, Request};
use super::symbols::Binding;
use crate::error::{Error, Result};
use crate::externals::{Extern, Global, Memory, Table};
use crate::func::Func;
use crate::store::StoreOpaque;
use crate::types::{ExternType, GlobalType, MemoryType, TableType, ValType};
use crate::values::Val;
use crate::vm::table::MAX_TABLE_ELEMENTS;

/// The memory, table and stack of a PIE main's process, as laid out (the
/// objects' bases are in the objects).
#[derive(Debug, Clone)]
pub(crate) struct PieLayout {
    /// The memory: its size covers the stack, every data region and the
    /// importers' minimum.
    pub memory: MemoryType,
    /// The table: slot 0, every table region and the importers' minimum.
    pub table: TableType,
    /// The stack pointer's first value (the stack grows down from it).
    pub stack_top: u32,
    /// Where the heap starts.
    pub heap_base: u32,
}

impl<T: 'static> Loader<T> {
    /// Minimum and maximum that every importer of `env.NAME` accepts.
    fn import_limits(&self, name: &str) -> (u64, Option<u64>) {
        let (min, max, _) = self.import_limits_and_owner(name);
        (min, max)
    }

    /// As `import_limits`, with the object whose import sets the maximum.
    fn import_limits_and_owner(&self, name: &str) -> (u64, Option<u64>, Option<&str>) {
        let mut min = 0;
        let mut max: Option<u64> = None;
        let mut owner = None;
        for object in &self.set.objects {
            for import in object.module.imports() {
                if import.module != "env" || import.name != name {
                    continue;
                }
                let (lo, hi) = match import.ty {
                    ExternType::Memory(t) => (t.minimum, t.maximum),
                    ExternType::Table(t) => (t.minimum, t.maximum),
                    _ => continue,
                };
                min = min.max(lo);
                if let Some(hi) = hi.filter(|&hi| max.is_none_or(|m| hi < m)) {
                    max = Some(hi);
                    owner = Some(object.name.as_str());
                }
            }
        }
        (min, max, owner)
    }

    fn memory_request(object: &Object) -> Request {
        Request {
            owner: object.name.clone(),
            size: u64::from(object.memory_size()),
            align_log2: object.module.dylink().map_or(0, |d| d.memory_alignment),
        }
    }

    fn table_request(object: &Object) -> Request {
        Request {
            owner: object.name.clone(),
            size: u64::from(object.table_size()),
            align_log2: object.module.dylink().map_or(0, |d| d.table_alignment),
        }
    }

    /// PIE: the loader owns the memory. Stack first (so an overflow runs
    /// below address 0 and traps), then the main's data, then each
    /// library's, then the heap. Table: slot 0 null, then main, then
    /// libraries. Sets each object's bases and the heap base, and returns
    /// the memory, table and stack to make ([`Loader::apply_pie_layout`]);
    /// touches no store.
    pub(crate) fn layout_pie(&mut self, main: usize, libs: &[usize]) -> Result<PieLayout> {
        let (min_pages, max_pages, max_owner) = self.import_limits_and_owner("memory");
        let stack_size = align_up(u64::from(self.config.stack_size), 4)
            .ok_or_else(|| Error::msg("stack size too large"))?;
        let mut requests = vec![Request {
            owner: "the stack".into(),
            size: stack_size,
            align_log2: 4,
        }];
        let objects: Vec<usize> = std::iter::once(main).chain(libs.iter().copied()).collect();
        requests.extend(
            objects
                .iter()
                .map(|&i| Self::memory_request(&self.set.objects[i])),
        );
        let limit = max_pages
            .map_or(regions::MAX_MEMORY_BYTES, |pages| {
                pages.saturating_mul(regions::PAGE)
            })
            .min(regions::MAX_MEMORY_BYTES);
        let (bases, end) = regions::plan(0, &requests, limit, "bytes").map_err(|e| {
            // The memory is as small as the smallest maximum any object
            // imports it with: name that object rather than the region.
            match (max_owner, max_pages) {
                (Some(owner), Some(pages)) => Error::link(
                    owner,
                    "env.memory",
                    format!(
                        "imported with a maximum of {pages} pages ({} bytes), too small for the process ({e})",
                        pages * regions::PAGE
                    ),
                ),
                _ => e,
            }
        })?;
        for (&i, &base) in objects.iter().zip(&bases[1..]) {
            // Every base is below MAX_MEMORY_BYTES, so it fits in 32 bits.
            self.set.objects[i].memory_base = base as u32;
        }
        self.heap_base = align_up(end, 4)
            .filter(|&e| e <= u64::from(u32::MAX))
            .ok_or_else(|| Error::msg("no room for a heap in the 4 GiB memory"))?
            as u32;
        let bytes = end.max(min_pages.saturating_mul(regions::PAGE));

        let (min_slots, max_slots) = self.import_limits("__indirect_function_table");
        let requests: Vec<Request> = objects
            .iter()
            .map(|&i| Self::table_request(&self.set.objects[i]))
            .collect();
        let slot_limit = max_slots.unwrap_or(u64::MAX).min(MAX_TABLE_ELEMENTS);
        let (bases, slots) = regions::plan(1, &requests, slot_limit, "table slots")?;
        for (&i, &base) in objects.iter().zip(&bases) {
            self.set.objects[i].table_base = base as u32;
        }
        Ok(PieLayout {
            memory: MemoryType {
                minimum: bytes.div_ceil(regions::PAGE),
                maximum: max_pages,
            },
            table: TableType {
                element: ValType::FuncRef,
                minimum: slots.max(min_slots).max(1),
                maximum: max_slots,
            },
            stack_top: stack_size as u32,
            heap_base: self.heap_base,
        })
    }

    /// Makes the memory, table and stack pointer `layout` describes.
    pub(crate) fn apply_pie_layout(
        &mut self,
        store: &mut StoreOpaque,
        layout: &PieLayout,
    ) -> Result<()> {
        let bytes = layout.memory.minimum.saturating_mul(regions::PAGE);
        if let Some(limit) = store.limits.memory_size.filter(|&limit| bytes > limit) {
            return Err(Error::msg(format!(
                "the process memory needs {bytes} bytes (resource limit exceeded: at most {limit} bytes)"
            )));
        }
        let memory = Memory::new_in(store, layout.memory)?;
        let sp = Global::new_in(
            store,
            GlobalType {
                content: ValType::I32,
                mutable: true,
            },
            Val::I32(layout.stack_top as i32),
        )?;
        let table = Table::new_in(store, layout.table, Val::FuncRef(None))?;
        self.memory = Some(memory);
        self.table = Some(table);
        self.stack_pointer = Some(sp);
        self.heap_base = layout.heap_base;
        Ok(())
    }

    /// A main with absolute addresses that *imports* its memory or table
    /// gets them created with its own limits.
    pub(crate) fn prepare_fixed_main(
        &mut self,
        store: &mut StoreOpaque,
        main: usize,
        bindings: &[Binding],
    ) -> Result<()> {
        let object = &self.set.objects[main];
        for (import, binding) in object.module.imports().iter().zip(bindings) {
            if let Binding::MemoryBase | Binding::TableBase = binding {
                if object.is_relocatable() {
                    return Err(Error::link(
                        &object.name,
                        format!("env.{}", import.name),
                        "a position-independent main must import its memory (link it with --import-memory)",
                    ));
                }
            }
        }
        let object = &self.set.objects[main];
        for import in object.module.imports() {
            match (&import.ty, import.module.as_str(), import.name.as_str()) {
                (ExternType::Memory(ty), "env", "memory") if self.memory.is_none() => {
                    self.memory = Some(Memory::new_in(store, *ty)?);
                }
                (ExternType::Table(ty), "env", "__indirect_function_table")
                    if self.table.is_none() =>
                {
                    let ty = TableType {
                        maximum: None,
                        ..*ty
                    };
                    self.table = Some(Table::new_in(store, ty, Val::FuncRef(None))?);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A non-PIE main defines the memory, table and stack pointer its
    /// libraries share, and exports them.
    pub(crate) fn adopt_main_exports(
        &mut self,
        store: &mut StoreOpaque,
        main: usize,
    ) -> Result<()> {
        let instance = self.set.objects[main]
            .instance
            .ok_or_else(|| Error::msg("main not instantiated"))?;
        let export = |name: &str| instance.get_export_in(store, name);
        if self.memory.is_none() {
            self.memory = export("memory").and_then(Extern::into_memory);
        }
        if self.table.is_none() {
            self.table = export("__indirect_function_table").and_then(Extern::into_table);
        }
        if self.stack_pointer.is_none() {
            self.stack_pointer = export("__stack_pointer")
                .and_then(Extern::into_global)
                .filter(|g| g.ty().content == ValType::I32 && g.ty().mutable);
        }
        let heap_base = export("__heap_base")
            .and_then(Extern::into_global)
            .and_then(|g| g.get_in(store).i32());
        self.heap_base = match (heap_base, self.memory) {
            (Some(b), _) => b as u32,
            (None, Some(m)) => regions::memory_end(store, &m).min(u64::from(u32::MAX)) as u32,
            (None, None) => 0,
        };
        Ok(())
    }

    /// Gives each library of a non-PIE main its data and table regions.
    /// Data regions come from the main's `malloc` when it exports one: its
    /// allocator (wasi-libc's dlmalloc) takes all memory from `__heap_base`
    /// to the end of memory as its heap the first time it runs, so a region
    /// grown behind its back would be handed out again as heap blocks.
    /// Without a `malloc`, regions go at the end of the (already used)
    /// memory.
    pub(crate) fn place_libraries(
        &mut self,
        store: &mut StoreOpaque,
        libs: &[usize],
    ) -> Result<()> {
        let requests: Vec<Request> = libs
            .iter()
            .map(|&i| Self::memory_request(&self.set.objects[i]))
            .collect();
        if self.main_export_func(store, "malloc").is_some() {
            for (&i, request) in libs.iter().zip(&requests) {
                self.set.objects[i].memory_base = if request.size == 0 {
                    self.memory.map_or(0, |m| {
                        regions::memory_end(store, &m).min(u64::from(u32::MAX)) as u32
                    })
                } else {
                    self.new_memory_region(store, &request.owner, request.size, request.align_log2)?
                        as u32
                };
            }
        } else if requests.iter().any(|r| r.size > 0) {
            let memory = self.memory.ok_or_else(|| {
                let main = self.main.map_or("", |m| self.set.objects[m].name.as_str());
                Error::msg(format!(
                    "{main} does not export its memory, so shared libraries cannot be loaded into it"
                ))
            })?;
            let bases = allocate_memory(store, &memory, &requests)?;
            for (&i, base) in libs.iter().zip(bases) {
                self.set.objects[i].memory_base = base;
            }
        } else if let Some(memory) = self.memory {
            let end = regions::memory_end(store, &memory).min(u64::from(u32::MAX)) as u32;
            for &i in libs {
                self.set.objects[i].memory_base = end;
            }
        }
        let requests: Vec<Request> = libs
            .iter()
            .map(|&i| Self::table_request(&self.set.objects[i]))
            .collect();
        if !requests.is_empty() {
            let table = self.ensure_table(store)?;
            let bases = allocate_table(store, &table, &requests)?;
            for (&i, base) in libs.iter().zip(bases) {
                self.set.objects[i].table_base = base;
            }
        }
        Ok(())
    }

    /// A fresh data region: from the main's `malloc` if it exports one
    /// (its heap may claim the whole memory it sees, so growing memory
    /// behind its back is not safe), else from the end of memory.
    pub(crate) fn new_memory_region(
        &mut self,
        store: &mut StoreOpaque,
        owner: &str,
        size: u64,
        align_log2: u32,
    ) -> Result<u64> {
        let memory = self.memory.ok_or_else(|| {
            Error::msg(format!(
                "{owner}: the process has no shared memory for its data"
            ))
        })?;
        if let Some(malloc) = self.main_export_func(store, "malloc") {
            let padded = align_up(size, align_log2)
                .and_then(|s| s.checked_add((1u64 << align_log2.min(31)) - 1))
                .filter(|&s| s <= u64::from(u32::MAX))
                .ok_or_else(|| Error::msg(format!("{owner}: data region too large")))?;
            let mut result = [Val::I32(0)];
            malloc.call_in(store, &[Val::I32(padded as u32 as i32)], &mut result)?;
            let block = result[0].i32().unwrap_or(0) as u32;
            if block == 0 {
                return Err(Error::msg(format!(
                    "{owner}: the main's malloc could not provide {padded} bytes for its data"
                )));
            }
            let base = align_up(u64::from(block), align_log2).expect("fits: padded above");
            // malloc'ed memory is not necessarily zero, and .bss must be.
            // (A main's malloc is guest code: its answer is checked.)
            memory
                .data_mut_in(store)
                .get_mut(base as usize..(base + size) as usize)
                .ok_or_else(|| {
                    Error::msg(format!(
                        "{owner}: the main's malloc returned a block outside memory ({block:#x})"
                    ))
                })?
                .fill(0);
            return Ok(base);
        }
        let request = Request {
            owner: owner.to_string(),
            size,
            align_log2,
        };
        Ok(u64::from(
            regions::allocate_memory(store, &memory, &[request])?[0],
        ))
    }

    pub(crate) fn main_export_func(&self, store: &StoreOpaque, name: &str) -> Option<Func> {
        let main = &self.set.objects[self.main?];
        if main.is_relocatable() {
            return None;
        }
        main.instance?
            .get_export_in(store, name)
            .and_then(Extern::into_func)
    }

    /// The process table, created (slot 0 null) if no module provided one.
    pub(crate) fn ensure_table(&mut self, store: &mut StoreOpaque) -> Result<Table> {
        if let Some(t) = self.table {
            return Ok(t);
        }
        let ty = TableType {
            element: ValType::FuncRef,
            minimum: 1,
            maximum: None,
        };
        let table = Table::new_in(store, ty, Val::FuncRef(None))?;
        self.table = Some(table);
        Ok(table)
    }

    /// Whether the main is a non-PIE main (it defines its memory, so its
    /// code runs on a stack of its own) and `importer` is another object.
    pub(crate) fn main_keeps_its_stack(&self, importer: usize) -> bool {
        match self.main {
            Some(main) if main != importer => {
                let module = &self.set.objects[main].module;
                !module
                    .imports()
                    .iter()
                    .any(|i| i.module == "env" && i.name == "memory")
                    && !module.info().memories.is_empty()
            }
            _ => false,
        }
    }

    /// The stack pointer, with a stack taken from the end of memory if no
    /// module provided one.
    pub(crate) fn ensure_stack(&mut self, store: &mut StoreOpaque) -> Result<Global> {
        if let Some(sp) = self.stack_pointer {
            return Ok(sp);
        }
        let memory = self
            .memory
            .ok_or_else(|| Error::msg("a stack needs the process memory"))?;
        let size = u64::from(self.config.stack_size);
        let request = Request {
            owner: "the stack".into(),
            size,
            align_log2: 4,
        };
        let base = allocate_memory(store, &memory, &[request])?[0];
        let top = (u64::from(base) + size).min(u64::from(u32::MAX)) as u32;
        let ty = GlobalType {
            content: ValType::I32,
            mutable: true,
        };
        let sp = Global::new_in(store, ty, Val::I32(top as i32))?;
        self.stack_pointer = Some(sp);
        Ok(sp)
    }
}
