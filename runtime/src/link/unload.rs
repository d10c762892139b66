//! Unloading (`dlclose`): which objects go, their finalisers, and taking
//! an object out of the process so that nothing can reach freed code (see
//! the `dlopen` module docs for the rules).

use super::bind::failing_stub;
use super::dlopen::{Fini, LibraryHandle};
use super::loader::{run_inits, with_loader, Loader};
use super::symbols::Scope;
use super::ProcessData;
use crate::error::{Error, Result};
use crate::store::{AsContextMut, StoreContextMut, StoreOpaque};
use crate::values::Val;

impl<T: 'static> Loader<T> {
    /// Drops a reference; returns the objects to unload (dependents first)
    /// and the finalisers to run before.
    pub(crate) fn dlclose(
        &mut self,
        store: &StoreOpaque,
        handle: LibraryHandle,
    ) -> Result<(Vec<usize>, Vec<Fini>)> {
        let index = self.handle_object(handle)?;
        let object = &mut self.set.objects[index];
        if object.refs == 0 {
            return Err(Error::msg(format!(
                "{}: dlclose without a matching dlopen",
                object.name
            )));
        }
        object.refs -= 1;
        let order = self.users_first(self.unloadable());
        let mut finis = Vec::new();
        for &i in &order {
            let object = &self.set.objects[i];
            let region = u64::from(object.memory_base)
                ..u64::from(object.memory_base) + u64::from(object.memory_size());
            let table = self.table;
            finis.extend(
                self.dyld
                    .atexit
                    .iter()
                    .rev()
                    .filter(|(_, _, dso)| region.contains(&u64::from(*dso)))
                    .filter_map(|&(func, arg, _)| {
                        let func = table?.get_in(store, u64::from(func))?;
                        match func {
                            Val::FuncRef(Some(func)) => Some(Fini::AtExit { func, arg }),
                            _ => None,
                        }
                    }),
            );
            finis.extend(
                self.inits(&[i], "__wasm_call_dtors")
                    .into_iter()
                    .map(Fini::Export),
            );
        }
        Ok((order, finis))
    }

    /// `doomed` ordered so that an object comes before every object it uses
    /// (its destructors run while what it uses is still there); a cycle is
    /// broken in load order.
    fn users_first(&self, mut doomed: Vec<usize>) -> Vec<usize> {
        let mut order = Vec::with_capacity(doomed.len());
        while !doomed.is_empty() {
            let used = |i: usize| {
                doomed
                    .iter()
                    .any(|&d| d != i && self.set.objects[d].uses.contains(&i))
            };
            let next = doomed
                .iter()
                .position(|&i| !used(i))
                .unwrap_or(doomed.len() - 1);
            order.push(doomed.remove(next));
        }
        order
    }

    /// Objects with no references, not pinned, that no object staying
    /// loaded uses.
    fn unloadable(&self) -> Vec<usize> {
        let objects = &self.set.objects;
        let mut doomed: Vec<usize> = (0..objects.len())
            .filter(|&i| objects[i].loaded && !objects[i].pinned && objects[i].refs == 0)
            .collect();
        loop {
            let before = doomed.len();
            let kept = |i: usize| objects[i].loaded && !doomed.contains(&i);
            let used: Vec<usize> = (0..objects.len())
                .filter(|&i| kept(i))
                .flat_map(|i| objects[i].uses.iter().copied())
                .collect();
            doomed.retain(|i| !used.contains(i));
            if doomed.len() == before {
                return doomed;
            }
        }
    }

    /// Unloads each of `objects`, in order.
    pub(crate) fn unload_objects(&mut self, store: &mut StoreOpaque, objects: &[usize]) {
        for &i in objects {
            self.unload_object(store, i);
        }
    }

    /// Unloads `index` (see the module docs).
    pub(crate) fn unload_object(&mut self, store: &mut StoreOpaque, index: usize) {
        if let Some(instance) = self.set.objects[index].instance {
            self.kill(store, instance);
        }
        let object = &self.set.objects[index];
        let (base, size) = (
            u64::from(object.memory_base),
            u64::from(object.memory_size()),
        );
        if size > 0 {
            if let Some(memory) = self.memory {
                if let Some(bytes) = memory
                    .data_mut_in(store)
                    .get_mut(base as usize..(base + size) as usize)
                {
                    bytes.fill(0);
                    self.dyld.free_memory.give(base, size);
                }
            }
        }
        let (slot, slots) = (u64::from(object.table_base), u64::from(object.table_size()));
        if slots > 0 {
            self.dyld.free_table.give(slot, slots);
        }
        let region = base..base + size;
        self.dyld
            .atexit
            .retain(|(_, _, dso)| !region.contains(&u64::from(*dso)));
        self.got.forget(index);
        if self.set.objects[index].global {
            self.dyld.global_order.retain(|&i| i != index);
            self.scope =
                std::sync::Arc::new(Scope::rebuild(&self.set.objects, &self.dyld.global_order));
        }
        let object = &mut self.set.objects[index];
        object.loaded = false;
        object.linked = false;
        object.refs = 0;
        object.pinned = false;
        object.global = false;
        object.uses.clear();
        object.needed.clear();
    }

    /// Points the instance's functions at failing stubs and clears every
    /// table slot that named one of them.
    fn kill(&mut self, store: &mut StoreOpaque, instance: crate::Instance) {
        let range = instance.vmctx_range(store);
        let info_types: Vec<u32> = {
            let module = instance.module_in(store).clone();
            let info = module.info();
            (0..info.functions.len() as u32)
                .map(|f| module.signature_id(info.functions[f as usize]))
                .collect()
        };
        for type_id in info_types {
            if !self.dyld.dead.contains_key(&type_id) {
                let ty = store.engine().signature(type_id);
                let stub = failing_stub::<T>(store, ty, || {
                    Error::msg("called a function of a library that dlclose unloaded")
                });
                if let Ok(stub) = stub {
                    // SAFETY: the stub's funcref lives as long as the store.
                    self.dyld.dead.insert(type_id, unsafe { *stub.raw() });
                }
            }
        }
        let dead = &self.dyld.dead;
        instance.kill_functions(store, |type_id| dead.get(&type_id).copied());
        if let Some(table) = self.table {
            self.slots.forget(&range);
            for index in 0..table.size_in(store) {
                if let Some(Val::FuncRef(Some(f))) = table.get_in(store, index) {
                    if range.contains(&(f.raw() as usize)) {
                        let _ = table.set_in(store, index, Val::FuncRef(None));
                    }
                }
            }
        }
    }
}

/// `dlclose` on a live process: drops the reference, runs the finalisers
/// of what is unloaded (dependents first, loader in the store), then
/// unloads it. A failing finaliser does not stop the unloading.
pub(crate) fn close<T: 'static>(
    mut cx: StoreContextMut<'_, ProcessData<T>>,
    handle: LibraryHandle,
) -> Result<()> {
    let (doomed, finis) = with_loader(cx.as_context_mut(), |loader, store| {
        loader.dlclose(store, handle)
    })?;
    let mut outcome = Ok(());
    for fini in &finis {
        let result = match fini {
            Fini::AtExit { func, arg } => {
                func.call_in(cx.opaque_mut(), &[Val::I32(*arg as i32)], &mut [])
            }
            Fini::Export(init) => run_inits(cx.opaque_mut(), std::slice::from_ref(init)),
        };
        if outcome.is_ok() {
            outcome = result;
        }
    }
    with_loader(cx, |loader, store| {
        loader.unload_objects(store, &doomed);
        Ok(())
    })?;
    outcome
}
