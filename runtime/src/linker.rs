//! Name-based import resolution, like wasmtime's `Linker`: define items under
//! `(module, name)` and instantiate modules against them.

use crate::error::{Error, Result};
use crate::externals::Extern;
use crate::func::{Caller, Func};
use crate::instance::Instance;
use crate::module::Module;
use crate::store::Store;
use crate::types::FuncType;
use crate::values::Val;
use hashbrown::HashMap;

/// A set of named definitions that modules' imports are resolved against.
#[derive(Debug, Default, Clone)]
pub struct Linker {
    definitions: HashMap<(String, String), Extern>,
}

impl Linker {
    /// An empty linker.
    pub fn new() -> Linker {
        Linker::default()
    }

    /// Defines `module.name` (replacing an earlier definition).
    pub fn define(&mut self, module: &str, name: &str, item: impl Into<Extern>) -> &mut Self {
        self.definitions
            .insert((module.to_string(), name.to_string()), item.into());
        self
    }

    /// Defines a host function `module.name`.
    pub fn func_new(
        &mut self,
        store: &mut Store,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        let func = Func::new(store, ty, f)?;
        Ok(self.define(module, name, func))
    }

    /// Defines every export of `instance` under module name `module`.
    pub fn instance(&mut self, store: &Store, module: &str, instance: Instance) -> &mut Self {
        for (name, item) in instance.exports(store) {
            self.define(module, &name, item);
        }
        self
    }

    /// The definition of `module.name`.
    pub fn get(&self, module: &str, name: &str) -> Option<Extern> {
        self.definitions
            .get(&(module.to_string(), name.to_string()))
            .copied()
    }

    /// Resolves every import of `module` by name and instantiates it.
    pub fn instantiate(&self, store: &mut Store, module: &Module) -> Result<Instance> {
        let imports = module
            .imports()
            .iter()
            .map(|import| {
                self.get(&import.module, &import.name).ok_or_else(|| {
                    Error::link(
                        module.name(),
                        format!("{}.{}", import.module, import.name),
                        format!("unknown import: no definition of {}", import.ty),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Instance::new(store, module, &imports)
    }
}
