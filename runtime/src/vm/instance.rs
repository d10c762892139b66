//! Per-instance run-time state: the vmctx allocation and what libcalls need
//! (memories, tables, segments not yet dropped).

use crate::environ::{ConstExpr, ModuleInfo};
use crate::module::Module;
use crate::vm::memory::LinearMemory;
use crate::vm::table::Table;
use crate::vm::{
    RawRef, VMContext, VMFuncRef, VMGlobalDefinition, VMStoreContext, VMTagDefinition, ValRaw,
};
use std::alloc::Layout;

/// Imports of an instance, already checked against the module's types.
pub(crate) struct ResolvedImports {
    pub funcs: Vec<VMFuncRef>,
    pub globals: Vec<*mut VMGlobalDefinition>,
    pub tags: Vec<*const VMTagDefinition>,
    /// Defined tags that are another tag (see `Instance::new_reusing`).
    pub tag_aliases: Vec<(u32, *const VMTagDefinition)>,
}

/// An instance's state. Lives in a `Box` owned by its store, so the vmctx's
/// back-pointer to it stays valid.
pub(crate) struct InstanceData {
    pub module: Module,
    vmctx: *mut VMContext,
    layout: Layout,
    /// Every memory of the instance (imported first), owned by the store.
    memories: Vec<*mut LinearMemory>,
    /// Every table of the instance (imported first), owned by the store.
    tables: Vec<*mut Table>,
    dropped_data: Vec<bool>,
    dropped_elements: Vec<bool>,
}

impl InstanceData {
    /// Allocates and fills the vmctx: header, memories, tables, function
    /// references and imported globals. Defined globals are initialised by
    /// [`InstanceData::init_globals`].
    pub fn new(
        module: Module,
        store_ctx: *const VMStoreContext,
        imports: &ResolvedImports,
        memories: Vec<*mut LinearMemory>,
        tables: Vec<*mut Table>,
    ) -> Box<Self> {
        let offsets = *module.offsets();
        let layout = Layout::from_size_align(offsets.size().max(16) as usize, 16)
            .expect("vmctx layout is small");
        // SAFETY: non-zero size layout.
        let vmctx = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<VMContext>();
        if vmctx.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        let info = module.info();
        let mut data = Box::new(InstanceData {
            dropped_data: vec![false; info.data.len()],
            dropped_elements: vec![false; info.elements.len()],
            module: module.clone(),
            vmctx,
            layout,
            memories,
            tables,
        });
        data.fill(store_ctx, imports);
        data
    }

    /// Makes this (unloaded) instance a fresh instance of the same module
    /// again, reusing its vmctx allocation: handles to the old incarnation
    /// then point into the new one, never into freed memory.
    pub fn refill(
        &mut self,
        store_ctx: *const VMStoreContext,
        imports: &ResolvedImports,
        memories: Vec<*mut LinearMemory>,
        tables: Vec<*mut Table>,
    ) {
        // SAFETY: the vmctx is `layout.size()` bytes, allocated in `new`.
        unsafe { std::ptr::write_bytes(self.vmctx.cast::<u8>(), 0, self.layout.size()) };
        self.memories = memories;
        self.tables = tables;
        self.dropped_data.fill(false);
        self.dropped_elements.fill(false);
        self.fill(store_ctx, imports);
    }

    /// Writes the vmctx: header, memories, tables, imported globals, every
    /// function reference and the type ids.
    fn fill(&mut self, store_ctx: *const VMStoreContext, imports: &ResolvedImports) {
        let module = self.module.clone();
        let offsets = *module.offsets();
        let info = module.info();
        let vmctx = self.vmctx;
        let data_ptr: *mut InstanceData = self;
        let data = &*self;
        // SAFETY: every offset below is inside the zeroed vmctx (VmOffsets).
        unsafe {
            data.write(offsets.store_context(), store_ctx);
            data.write(offsets.instance(), data_ptr);
            data.write(offsets.libcalls(), crate::vm::libcalls::LIBCALLS.as_ptr());
            for t in 0..info.types.len() as u32 {
                data.write(offsets.type_id(t), module.signature_id(t));
            }
            for (i, m) in data.memories.iter().enumerate() {
                let definition = (**m).definition_ptr();
                data.write(offsets.memory(i as u32), definition);
                data.write(offsets.memory_base(i as u32), (*definition).base);
            }
            for (i, t) in data.tables.iter().enumerate() {
                data.write(offsets.table(i as u32), (**t).definition_ptr());
            }
            for (i, g) in imports.globals.iter().enumerate() {
                data.write(offsets.imported_global(i as u32), *g);
                if let Some(slot) = info.imported_constant_slots[i] {
                    // Immutable: its exporter's value is final already.
                    data.write(offsets.imported_constant(slot), (**g).bits);
                }
            }
            for (i, f) in imports.funcs.iter().enumerate() {
                data.write(offsets.funcref(i as u32), *f);
            }
            for (i, t) in imports.tags.iter().enumerate() {
                data.write(offsets.tag(i as u32), *t);
            }
            for i in info.num_imported_tags..info.tags.len() as u32 {
                let defined = offsets.defined_tag(i - info.num_imported_tags);
                let type_id = module.signature_id(info.tags[i as usize]);
                data.write(defined, VMTagDefinition::new(type_id));
                let ptr = vmctx.cast::<u8>().add(defined as usize);
                data.write(offsets.tag(i), ptr.cast::<VMTagDefinition>().cast_const());
            }
            for (defined, tag) in &imports.tag_aliases {
                data.write(offsets.tag(info.num_imported_tags + defined), *tag);
            }
            for i in info.num_imported_funcs..info.functions.len() as u32 {
                let funcref = VMFuncRef {
                    code: module.function_code(i),
                    vmctx,
                    type_id: module.signature_id(info.functions[i as usize]),
                };
                data.write(offsets.funcref(i), funcref);
            }
        }
    }

    /// The addresses of the vmctx (every `VMFuncRef` of the instance is inside).
    pub fn vmctx_range(&self) -> std::ops::Range<usize> {
        let start = self.vmctx as usize;
        start..start + self.layout.size()
    }

    /// Points every function reference of the instance (imported and
    /// defined) at `dead(type_id)`, so that any handle, table entry or
    /// function pointer still naming one of its functions reaches that
    /// instead of the instance's code. (Where `dead` has none, the slot is
    /// left: its code and vmctx stay allocated, so it is still safe to run.)
    pub fn kill_functions(&mut self, dead: impl Fn(u32) -> Option<VMFuncRef>) {
        for i in 0..self.info().functions.len() as u32 {
            let slot = self.funcref(i);
            // SAFETY: `slot` is a VMFuncRef inside our vmctx.
            unsafe {
                if let Some(stub) = dead((*slot).type_id) {
                    *slot = stub;
                }
            }
        }
    }

    unsafe fn write<T>(&self, offset: u32, value: T) {
        // SAFETY: caller guarantees offset is a T-sized, aligned vmctx field.
        unsafe {
            self.vmctx
                .cast::<u8>()
                .add(offset as usize)
                .cast::<T>()
                .write(value)
        }
    }

    /// Recovers the instance from a vmctx passed to a libcall.
    ///
    /// # Safety
    /// `vmctx` must belong to a live instance.
    pub unsafe fn from_vmctx<'a>(vmctx: *mut VMContext) -> &'a mut InstanceData {
        // SAFETY: offset 8 holds the back-pointer written in `new`.
        unsafe { &mut **vmctx.cast::<u8>().add(8).cast::<*mut InstanceData>() }
    }

    pub fn info(&self) -> &ModuleInfo {
        self.module.info()
    }

    /// Memory `index`.
    pub fn memory(&mut self, index: u32) -> &mut LinearMemory {
        // SAFETY: memories are owned by the store, which outlives its instances.
        unsafe { &mut *self.memories[index as usize] }
    }

    /// Raw pointer to memory `index`.
    pub fn memory_ptr(&self, index: u32) -> *mut LinearMemory {
        self.memories[index as usize]
    }

    /// Table `index`.
    pub fn table(&mut self, index: u32) -> &mut Table {
        // SAFETY: tables are owned by the store, which outlives its instances.
        unsafe { &mut *self.tables[index as usize] }
    }

    /// Raw pointer to table `index`.
    pub fn table_ptr(&self, index: u32) -> *mut Table {
        self.tables[index as usize]
    }

    /// Pointer to function `index`'s `VMFuncRef`.
    pub fn funcref(&self, index: u32) -> *mut VMFuncRef {
        let offset = self.module.offsets().funcref(index);
        // SAFETY: inside the vmctx.
        unsafe { self.vmctx.cast::<u8>().add(offset as usize).cast() }
    }

    /// Pointer to tag `index`'s definition (its identity).
    pub fn tag_ptr(&self, index: u32) -> *const VMTagDefinition {
        let offset = self.module.offsets().tag(index);
        // SAFETY: inside the vmctx, written at instantiation.
        unsafe { *self.vmctx.cast::<u8>().add(offset as usize).cast() }
    }

    /// Pointer to global `index`'s storage.
    pub fn global_ptr(&self, index: u32) -> *mut VMGlobalDefinition {
        let info = self.info();
        let offsets = self.module.offsets();
        // SAFETY: offsets are inside the vmctx; imported slots hold valid pointers.
        unsafe {
            let base = self.vmctx.cast::<u8>();
            if index < info.num_imported_globals {
                *base
                    .add(offsets.imported_global(index) as usize)
                    .cast::<*mut VMGlobalDefinition>()
            } else {
                base.add(offsets.defined_global(index - info.num_imported_globals) as usize)
                    .cast()
            }
        }
    }

    /// Value of a constant expression in this instance.
    pub fn eval_const(&self, expr: &ConstExpr) -> ValRaw {
        match *expr {
            ConstExpr::I32(v) => u128::from(v as u32),
            ConstExpr::I64(v) => u128::from(v as u64),
            ConstExpr::F32(bits) => u128::from(bits),
            ConstExpr::F64(bits) => u128::from(bits),
            ConstExpr::V128(bits) => bits,
            ConstExpr::RefNull => 0,
            ConstExpr::RefFunc(f) => self.funcref(f) as usize as u128,
            // SAFETY: global storage is valid for the instance's lifetime.
            ConstExpr::GlobalGet(g) => unsafe { (*self.global_ptr(g)).bits },
            ConstExpr::Extended(i) => {
                let module = self.module.clone();
                let ops = &module.info().extended_consts[i as usize];
                // SAFETY: as above.
                crate::environ::eval_extended(ops, |g| unsafe { (*self.global_ptr(g)).bits })
            }
        }
    }

    /// Evaluates the initialisers of defined globals.
    pub fn init_globals(&mut self) {
        let info = self.module.info();
        for (i, init) in info.global_inits.iter().enumerate() {
            let value = self.eval_const(init);
            let index = info.num_imported_globals + i as u32;
            // SAFETY: a defined global's storage inside our vmctx.
            unsafe { (*self.global_ptr(index)).bits = value };
        }
    }

    /// Bytes of data segment `index` (empty once dropped).
    pub fn data_segment(&self, index: u32) -> &[u8] {
        if self.dropped_data[index as usize] {
            &[]
        } else {
            self.module.data_segment(index)
        }
    }

    pub fn drop_data(&mut self, index: u32) {
        self.dropped_data[index as usize] = true;
    }

    /// Number of items in element segment `index` (0 once dropped).
    pub fn element_segment_len(&self, index: u32) -> usize {
        if self.dropped_elements[index as usize] {
            0
        } else {
            self.module.info().elements[index as usize].items.len()
        }
    }

    /// Item `item` of element segment `index`, as a raw reference.
    pub fn element_value(&self, index: u32, item: usize) -> RawRef {
        let expr = self.module.info().elements[index as usize].items[item];
        self.eval_const(&expr) as RawRef
    }

    pub fn drop_element(&mut self, index: u32) {
        self.dropped_elements[index as usize] = true;
    }
}

impl Drop for InstanceData {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.vmctx.cast(), self.layout) }
    }
}
