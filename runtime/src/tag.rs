//! Exception tags as host-visible handles (`Extern::Tag`).

use crate::store::{AsContext, AsContextMut, StoreOpaque};
use crate::types::FuncType;
use crate::vm::VMTagDefinition;
use std::ptr::NonNull;

/// An exception tag in a store: what a `throw` names and a `catch` matches.
/// Two handles are the same tag when they name the same definition, so a
/// tag exported by one instance and imported by others is shared by all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    store_id: u64,
    def: NonNull<VMTagDefinition>,
}

// SAFETY: a handle, dereferenced only through its store (id-checked).
unsafe impl Send for Tag {}
// SAFETY: as above.
unsafe impl Sync for Tag {}

impl Tag {
    /// Creates a tag owned by the store, whose exceptions carry values of
    /// `ty`'s parameter types (`ty` has no results).
    pub fn new(mut store: impl AsContextMut, ty: &FuncType) -> crate::Result<Tag> {
        Tag::new_in(store.as_context_mut().opaque_mut(), ty)
    }

    pub(crate) fn new_in(store: &mut StoreOpaque, ty: &FuncType) -> crate::Result<Tag> {
        if !ty.results().is_empty() {
            return Err(crate::Error::msg(format!(
                "a tag's type has no results, not {ty}"
            )));
        }
        let type_id = store.engine().signature_id(ty);
        let mut def = Box::new(VMTagDefinition::new(type_id));
        let ptr = NonNull::from(&mut *def);
        store.tags.push(def);
        Ok(Tag {
            store_id: store.id(),
            def: ptr,
        })
    }

    /// The signature of the values the tag's exceptions carry.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        self.ty_in(store.as_context().opaque())
    }

    pub(crate) fn ty_in(&self, store: &StoreOpaque) -> FuncType {
        store.check(self.store_id);
        store.engine().signature(self.type_id())
    }

    /// Engine-wide signature id of the tag's type.
    pub(crate) fn type_id(&self) -> u32 {
        // SAFETY: definitions live as long as their store.
        unsafe { self.def.as_ref().type_id }
    }

    pub(crate) fn from_raw(store_id: u64, def: *const VMTagDefinition) -> Tag {
        Tag {
            store_id,
            def: NonNull::new(def.cast_mut()).expect("tag definitions are never null"),
        }
    }

    pub(crate) fn raw(&self) -> *const VMTagDefinition {
        self.def.as_ptr()
    }

    pub(crate) fn store_id(&self) -> u64 {
        self.store_id
    }
}
