//! Name-based import resolution, like wasmtime's `Linker`: define items under
//! `(module, name)` and instantiate modules against them.

use crate::error::{Error, Result};
use crate::externals::Extern;
use crate::func::{Caller, HostFunc};
use crate::instance::Instance;
use crate::module::Module;
use crate::store::{AsContext, AsContextMut, StoreOpaque};
use crate::typed::IntoFunc;
use crate::types::FuncType;
use crate::values::Val;
use hashbrown::{Equivalent, HashMap};
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

/// One definition: an item of a particular store, or a host function that
/// is placed in whichever store instantiates against the linker.
#[derive(Clone)]
enum Definition {
    Extern(Extern),
    HostFunc(HostFunc),
}

type Definitions = HashMap<(String, String), Definition>;

/// `(module, name)` borrowed, to look definitions up without allocating:
/// hashes exactly as the owned `(String, String)` key does.
struct NameRef<'a>(&'a str, &'a str);

impl Hash for NameRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
        self.1.hash(state);
    }
}

impl Equivalent<(String, String)> for NameRef<'_> {
    fn equivalent(&self, key: &(String, String)) -> bool {
        self.0 == key.0 && self.1 == key.1
    }
}

/// Host functions shared by many linkers (e.g. WASI, defined once per
/// engine and store data type, not once per process): see
/// [`Linker::share`] and [`Linker::with_base`].
pub(crate) struct SharedDefinitions(Arc<Definitions>);

impl Clone for SharedDefinitions {
    fn clone(&self) -> Self {
        SharedDefinitions(self.0.clone())
    }
}

/// A set of named definitions that modules' imports are resolved against,
/// for stores holding host data `T`.
///
/// Host functions defined with [`Linker::func_wrap`] / [`Linker::func_new`]
/// belong to no store: each instantiation places the ones it imports in its
/// own store, so one linker serves many stores.
pub struct Linker<T> {
    definitions: Definitions,
    /// Looked up after `definitions`; holds host functions only.
    base: Option<SharedDefinitions>,
    _data: PhantomData<fn(T) -> T>,
}

impl<T> Default for Linker<T> {
    fn default() -> Self {
        Linker {
            definitions: HashMap::new(),
            base: None,
            _data: PhantomData,
        }
    }
}

impl<T> Clone for Linker<T> {
    fn clone(&self) -> Self {
        Linker {
            definitions: self.definitions.clone(),
            base: self.base.clone(),
            _data: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Linker<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let base = self.base.iter().flat_map(|b| b.0.keys());
        let mut names: Vec<_> = self.definitions.keys().chain(base).collect();
        names.sort();
        f.debug_struct("Linker")
            .field("definitions", &names)
            .finish()
    }
}

impl<T: 'static> Linker<T> {
    /// An empty linker.
    pub fn new() -> Linker<T> {
        Linker::default()
    }

    /// Defines `module.name` as an item of a store (replacing an earlier definition).
    pub fn define(&mut self, module: &str, name: &str, item: impl Into<Extern>) -> &mut Self {
        self.insert(module, name, Definition::Extern(item.into()))
    }

    fn insert(&mut self, module: &str, name: &str, definition: Definition) -> &mut Self {
        self.definitions
            .insert((module.to_string(), name.to_string()), definition);
        self
    }

    /// Defines a host function `module.name` over the dynamic [`Val`] interface.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        Ok(self.insert(module, name, Definition::HostFunc(HostFunc::new(ty, f))))
    }

    /// Defines a host function `module.name` from a Rust closure (see
    /// [`crate::Func::wrap`]).
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self> {
        Ok(self.insert(module, name, Definition::HostFunc(f.into_host_func())))
    }

    /// Defines every export of `instance` under module name `module`.
    pub fn instance(
        &mut self,
        store: impl AsContext<Data = T>,
        module: &str,
        instance: Instance,
    ) -> &mut Self {
        for (name, item) in instance.exports(store) {
            self.define(module, &name, item);
        }
        self
    }

    /// Whether `module.name` is defined.
    pub fn contains(&self, module: &str, name: &str) -> bool {
        self.definition(module, name).is_some()
    }

    fn definition(&self, module: &str, name: &str) -> Option<&Definition> {
        let key = NameRef(module, name);
        self.definitions
            .get(&key)
            .or_else(|| self.base.as_ref()?.0.get(&key))
    }

    /// Freezes this linker's host functions for sharing (items of a store
    /// are left out: they belong to one store).
    pub(crate) fn share(self) -> SharedDefinitions {
        let host_funcs = self
            .definitions
            .into_iter()
            .filter(|(_, d)| matches!(d, Definition::HostFunc(_)))
            .collect();
        SharedDefinitions(Arc::new(host_funcs))
    }

    /// An empty linker that falls back to `base` for names it does not
    /// define itself.
    pub(crate) fn with_base(base: SharedDefinitions) -> Linker<T> {
        Linker {
            base: Some(base),
            ..Linker::default()
        }
    }

    /// The definition of `module.name` as an item of `store` (a host
    /// function is placed in the store by this call).
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        self.get_in(store.as_context_mut().opaque_mut(), module, name)
            .and_then(Result::ok)
    }

    /// As [`Linker::get`], on the store's engine-facing part (whose data
    /// type the caller guarantees is `T`).
    pub(crate) fn get_in(
        &self,
        store: &mut StoreOpaque,
        module: &str,
        name: &str,
    ) -> Option<Result<Extern>> {
        Some(match self.definition(module, name)? {
            Definition::Extern(item) => Ok(*item),
            Definition::HostFunc(f) => f.place(store).map(Extern::Func),
        })
    }

    /// Resolves every import of `module` by name and instantiates it.
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance> {
        let mut cx = store.as_context_mut();
        let store = cx.opaque_mut();
        let imports = module
            .imports()
            .iter()
            .map(|import| {
                self.get_in(store, &import.module, &import.name)
                    .unwrap_or_else(|| {
                        Err(Error::link(
                            module.name(),
                            format!("{}.{}", import.module, import.name),
                            format!("unknown import: no definition of {}", import.ty),
                        ))
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Instance::new_in(store, module, &imports)
    }
}
