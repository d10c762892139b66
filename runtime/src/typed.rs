//! Statically typed calls in both directions, as in wasmtime:
//! [`Func::wrap`] makes a host function from a Rust closure, and
//! [`TypedFunc`] calls a wasm function with Rust arguments. Neither
//! allocates or takes a lock per call: arguments and results travel through
//! a fixed array on the stack, and the entry trampoline is looked up once.
//!
//! ```
//! use wrun::{Caller, Engine, Func, Store};
//!
//! let engine = Engine::default();
//! let mut store = Store::new(&engine, 10u32); // host data: a counter
//! let add = Func::wrap(&mut store, |mut caller: Caller<'_, u32>, a: i32, b: i32| {
//!     *caller.data_mut() += 1;
//!     a + b
//! })?;
//! let typed = add.typed::<(i32, i32), i32>(&store)?;
//! assert_eq!(typed.call(&mut store, (2, 40))?, 42);
//! assert_eq!(*store.data(), 11);
//! # Ok::<(), wrun::Error>(())
//! ```

use crate::compile::trampolines::TrampolineKind;
use crate::error::{Error, Result};
use crate::func::{call_raw, Caller, Func, HostFunc};
use crate::store::AsContextMut;
use crate::types::{FuncType, ValType};
use crate::vm::{VMContext, ValRaw};
use std::marker::PhantomData;

/// Most parameters or results a typed call carries (the fixed array's size).
const MAX_TYPED_SLOTS: usize = 16;

mod sealed {
    pub trait Sealed {}
}

/// A Rust type that is a WebAssembly value type: `i32`, `u32` (as i32),
/// `i64`, `u64` (as i64), `f32`, `f64`.
pub trait WasmTy: Copy + Send + Sync + 'static + sealed::Sealed {
    /// The WebAssembly type.
    fn valtype() -> ValType;
    #[doc(hidden)]
    fn to_raw(self) -> ValRaw;
    #[doc(hidden)]
    fn from_raw(raw: ValRaw) -> Self;
}

macro_rules! wasm_ty {
    ($($t:ty => $vt:ident, |$x:ident| $to:expr, |$r:ident| $from:expr;)*) => {$(
        impl sealed::Sealed for $t {}
        impl WasmTy for $t {
            fn valtype() -> ValType {
                ValType::$vt
            }
            fn to_raw(self) -> ValRaw {
                let $x = self;
                $to
            }
            fn from_raw($r: ValRaw) -> Self {
                $from
            }
        }
    )*};
}

wasm_ty! {
    i32 => I32, |x| u128::from(x as u32), |r| r as u32 as i32;
    u32 => I32, |x| u128::from(x), |r| r as u32;
    i64 => I64, |x| u128::from(x as u64), |r| r as u64 as i64;
    u64 => I64, |x| u128::from(x), |r| r as u64;
    f32 => F32, |x| u128::from(x.to_bits()), |r| f32::from_bits(r as u32);
    f64 => F64, |x| u128::from(x.to_bits()), |r| f64::from_bits(r as u64);
}

/// A list of values: a single [`WasmTy`], `()`, or a tuple of them (up to 8).
/// The parameters or results of a typed function.
pub trait WasmParams: Send + Sized + sealed::Sealed {
    /// The WebAssembly types, in order.
    fn types() -> Vec<ValType>;
    #[doc(hidden)]
    fn count() -> usize;
    /// # Safety
    /// `values` has a slot per value.
    #[doc(hidden)]
    unsafe fn store(self, values: *mut ValRaw);
    /// # Safety
    /// `values` has a slot per value.
    #[doc(hidden)]
    unsafe fn load(values: *const ValRaw) -> Self;
}

/// The results of a typed function: a [`WasmParams`] list.
pub use WasmParams as WasmResults;

impl<T: WasmTy> WasmParams for T {
    fn types() -> Vec<ValType> {
        vec![T::valtype()]
    }
    fn count() -> usize {
        1
    }
    unsafe fn store(self, values: *mut ValRaw) {
        // SAFETY: one slot, as the caller promises.
        unsafe { *values = self.to_raw() }
    }
    unsafe fn load(values: *const ValRaw) -> Self {
        // SAFETY: one slot, as the caller promises.
        T::from_raw(unsafe { *values })
    }
}

macro_rules! tuple_params {
    ($(($($t:ident $i:tt),*))*) => {$(
        impl<$($t: WasmTy),*> sealed::Sealed for ($($t,)*) {}
        impl<$($t: WasmTy),*> WasmParams for ($($t,)*) {
            fn types() -> Vec<ValType> {
                vec![$($t::valtype()),*]
            }
            fn count() -> usize {
                <[&str]>::len(&[$(stringify!($t)),*])
            }
            #[allow(unused_variables)]
            unsafe fn store(self, values: *mut ValRaw) {
                // SAFETY: a slot per value, as the caller promises.
                $(unsafe { *values.add($i) = self.$i.to_raw() };)*
            }
            #[allow(unused_variables, clippy::unused_unit)]
            unsafe fn load(values: *const ValRaw) -> Self {
                // SAFETY: a slot per value, as the caller promises.
                ($($t::from_raw(unsafe { *values.add($i) }),)*)
            }
        }
    )*};
}

tuple_params! {
    ()
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
}

/// What a host closure may return: results, or `Result` of results (an
/// `Err` becomes a trap carrying the error).
pub trait WasmRet: sealed::Sealed {
    /// The results.
    type Ok: WasmResults;
    #[doc(hidden)]
    fn into_result(self) -> Result<Self::Ok>;
}

impl<R: WasmResults> WasmRet for R {
    type Ok = R;
    fn into_result(self) -> Result<R> {
        Ok(self)
    }
}

impl<R: WasmResults> sealed::Sealed for Result<R> {}
impl<R: WasmResults> WasmRet for Result<R> {
    type Ok = R;
    fn into_result(self) -> Result<R> {
        self
    }
}

/// A Rust closure usable as a host function: `Fn(Caller<'_, T>, A...) -> R`
/// or `Fn(A...) -> R`, up to 8 arguments of [`WasmTy`] types.
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_host_func(self) -> HostFunc;
}

macro_rules! into_func {
    ($(($($a:ident $v:ident $i:tt),*))*) => {$(
        impl<T: 'static, F, R, $($a: WasmTy),*> IntoFunc<T, (Caller<'_, T>, $($a,)*), R> for F
        where
            F: Fn(Caller<'_, T>, $($a),*) -> R + Send + Sync + 'static,
            R: WasmRet,
        {
            fn into_host_func(self) -> HostFunc {
                let ty = FuncType::new(vec![$($a::valtype()),*], R::Ok::types());
                let raw = move |store: *mut u8, vmctx: *mut VMContext, values: *mut ValRaw| {
                    // SAFETY: the host stub passes the store this function was
                    // placed in (which holds a `T`) and a slot per parameter
                    // and per result.
                    let caller = unsafe { Caller::<T>::new(store, vmctx) };
                    #[allow(clippy::unused_unit, unused_unsafe)]
                    // SAFETY: as above.
                    let args = unsafe { ($($a::from_raw(*values.add($i)),)*) };
                    let _ = &args;
                    let results = self(caller, $(args.$i),*).into_result()?;
                    // SAFETY: as above.
                    unsafe { results.store(values) };
                    Ok(())
                };
                HostFunc::from_raw::<T, _>(ty, raw)
            }
        }

        impl<T: 'static, F, R, $($a: WasmTy),*> IntoFunc<T, ($($a,)*), R> for F
        where
            F: Fn($($a),*) -> R + Send + Sync + 'static,
            R: WasmRet,
        {
            fn into_host_func(self) -> HostFunc {
                let with_caller = move |_: Caller<'_, T>, $($v: $a),*| self($($v),*);
                IntoFunc::<T, (Caller<'_, T>, $($a,)*), R>::into_host_func(with_caller)
            }
        }
    )*};
}

into_func! {
    ()
    (A1 a1 0)
    (A1 a1 0, A2 a2 1)
    (A1 a1 0, A2 a2 1, A3 a3 2)
    (A1 a1 0, A2 a2 1, A3 a3 2, A4 a4 3)
    (A1 a1 0, A2 a2 1, A3 a3 2, A4 a4 3, A5 a5 4)
    (A1 a1 0, A2 a2 1, A3 a3 2, A4 a4 3, A5 a5 4, A6 a6 5)
    (A1 a1 0, A2 a2 1, A3 a3 2, A4 a4 3, A5 a5 4, A6 a6 5, A7 a7 6)
    (A1 a1 0, A2 a2 1, A3 a3 2, A4 a4 3, A5 a5 4, A6 a6 5, A7 a7 6, A8 a8 7)
}

impl Func {
    /// Creates a host function from a Rust closure; its WebAssembly type
    /// comes from the closure's argument and result types.
    pub fn wrap<T: 'static, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Result<Func> {
        f.into_host_func()
            .into_func(store.as_context_mut().opaque_mut())
    }

    /// This function as a [`TypedFunc`] with parameters `P` and results `R`
    /// (an error if they are not its type).
    pub fn typed<P: WasmParams, R: WasmResults>(
        &self,
        store: impl crate::AsContext,
    ) -> Result<TypedFunc<P, R>> {
        let store = store.as_context();
        let ty = self.ty(store);
        let wanted = FuncType::new(P::types(), R::types());
        if ty != wanted {
            return Err(Error::msg(format!(
                "type mismatch: the function has type {ty}, not {wanted}"
            )));
        }
        let entry = store
            .engine()
            .trampoline(TrampolineKind::Entry, self.type_id())?;
        Ok(TypedFunc {
            func: *self,
            entry,
            _types: PhantomData,
        })
    }
}

/// A function whose type was checked once, called without per-call
/// allocation, type checks or locks.
pub struct TypedFunc<P, R> {
    func: Func,
    entry: usize,
    _types: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P, R> Copy for TypedFunc<P, R> {}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    /// The untyped function.
    pub fn func(&self) -> Func {
        self.func
    }

    /// Calls the function.
    pub fn call(&self, mut store: impl AsContextMut, params: P) -> Result<R> {
        let mut cx = store.as_context_mut();
        let store = cx.opaque_mut();
        store.check(self.func.store_id());
        debug_assert!(P::count().max(R::count()) <= MAX_TYPED_SLOTS);
        // Not zeroed: every slot read is written first (parameters by
        // `store`, results by the callee).
        let mut values = [std::mem::MaybeUninit::<ValRaw>::uninit(); MAX_TYPED_SLOTS];
        let values = values.as_mut_ptr().cast::<ValRaw>();
        // SAFETY: the type was checked in `Func::typed`, `entry` is its entry
        // trampoline, and the array has room for every parameter and result
        // (tuples have at most 8).
        unsafe {
            params.store(values);
            call_raw(store, self.entry, self.func.raw(), values)?;
            Ok(R::load(values))
        }
    }
}
