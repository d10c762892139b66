//! Exception handling beyond the spec files: the legacy form (`try`,
//! `catch`, `catch_all`, `rethrow`, `delegate`, which the bundled suite does
//! not carry), tags shared across modules, the host boundary, and exception
//! objects being freed.

use crate::{call, i32_of, increment_epoch_soon, wat};
use wrun::{Engine, Extern, FuncType, Instance, Linker, Module, Store, Tag, Trap, Val, ValType};

fn instantiate(text: &str) -> (Store<()>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat(text)).expect("valid module");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new()
        .instantiate(&mut store, &module)
        .expect("instantiates");
    (store, instance)
}

#[test]
fn legacy_try_catch_catch_all_rethrow_and_delegate() {
    let (mut store, inst) = instantiate(
        r#"(module
        (tag $e (param i32))
        (tag $f)
        (func $throw_e (param i32) (throw $e (local.get 0)))
        ;; catch the value, catch_all the other tag, nothing thrown: -1
        (func (export "pick") (param i32) (result i32)
          try (result i32)
            (if (i32.eq (local.get 0) (i32.const 1)) (then (call $throw_e (i32.const 41))))
            (if (i32.eq (local.get 0) (i32.const 2)) (then (throw $f)))
            i32.const -1
          catch $e
            i32.const 1
            i32.add
          catch_all
            i32.const 100
          end)
        ;; rethrow from an inner catch reaches the outer one, value intact
        (func (export "rethrown") (result i32)
          try (result i32)
            try
              (call $throw_e (i32.const 7))
            catch $e
              drop
              rethrow 0
            end
            i32.const 0
          catch $e
            i32.const 6
            i32.mul
          end)
        ;; delegate 1 skips the try around it and goes to the outer one
        (func (export "delegated") (result i32)
          try (result i32)
            try (result i32)
              try
                (call $throw_e (i32.const 5))
              delegate 1
              i32.const 0
            catch $e
              drop
              i32.const 111
            end
          catch $e
            i32.const 1000
            i32.add
          end)
        ;; a br out of a catch body, many times: the caught exceptions are
        ;; freed, not kept
        (func (export "loop_catch") (param i32) (result i32)
          (local $sum i32)
          block $done
            loop $again
              (br_if $done (i32.eqz (local.get 0)))
              block $next
                try
                  (call $throw_e (local.get 0))
                catch $e
                  local.get $sum
                  i32.add
                  local.set $sum
                  br $next
                end
              end
              (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
              br $again
            end
          end
          local.get $sum)
        (func (export "uncaught") (call $throw_e (i32.const 3))))"#,
    );
    assert_eq!(i32_of(call(&mut store, inst, "pick", &[Val::I32(1)])), 42);
    assert_eq!(i32_of(call(&mut store, inst, "pick", &[Val::I32(2)])), 100);
    assert_eq!(i32_of(call(&mut store, inst, "pick", &[Val::I32(0)])), -1);
    assert_eq!(i32_of(call(&mut store, inst, "rethrown", &[])), 42);
    assert_eq!(i32_of(call(&mut store, inst, "delegated", &[])), 1005);
    // 1 + 2 + ... + n (mod 2^32), one exception thrown and caught each: more
    // than a store keeps alive at once, so each must be freed by the `br`.
    let n: i64 = 1_100_000;
    let want = (n * (n + 1) / 2) as i32;
    assert_eq!(
        i32_of(call(&mut store, inst, "loop_catch", &[Val::I32(n as i32)])),
        want
    );
    let error = call(&mut store, inst, "uncaught", &[]).unwrap_err();
    assert_eq!(error.trap(), Some(Trap::UncaughtException), "{error}");
    // The store is still usable after an uncaught exception.
    assert_eq!(i32_of(call(&mut store, inst, "pick", &[Val::I32(1)])), 42);
}

/// Exceptions thrown and caught with `try_table` a million times (in the
/// catching function and through a call) leave no objects behind: if each
/// leaked, the store's cap on live exceptions would turn the loop into a
/// trap.
#[test]
fn a_million_throws_free_their_exceptions() {
    let (mut store, inst) = instantiate(
        r#"(module
        (tag $e (param i64))
        (func $thrower (param i64) (throw $e (local.get 0)))
        (func (export "run") (param i32) (result i64)
          (local $sum i64)
          (loop $again
            (block $caught (result i64)
              (try_table (catch $e $caught)
                (call $thrower (i64.extend_i32_u (local.get 0))))
              (i64.const 0))
            (local.set $sum (i64.add (local.get $sum)))
            (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))
            (br_if $again))
          (local.get $sum)))"#,
    );
    let n: i64 = 1_100_000;
    let result = call(&mut store, inst, "run", &[Val::I32(n as i32)]).unwrap();
    assert_eq!(result, vec![Val::I64(n * (n + 1) / 2)]);
}

/// A tag defined by one module and imported by another is one tag: an
/// exception thrown in the "library" is caught by tag in the "main", and a
/// tag of the same type defined elsewhere does not match it.
#[test]
fn tags_are_shared_across_modules_by_identity() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let lib = Module::new(
        &engine,
        &wat(r#"(module
            (tag $err (export "err") (param i32))
            (tag $other (export "other") (param i32))
            (func (export "fail") (param i32) (throw $err (local.get 0)))
            (func (export "fail_other") (param i32) (throw $other (local.get 0))))"#),
    )
    .unwrap();
    let mut linker = Linker::new();
    let lib = linker.instantiate(&mut store, &lib).unwrap();
    linker.instance(&store, "lib", lib);
    let main = Module::new(
        &engine,
        &wat(r#"(module
            (import "lib" "err" (tag $err (param i32)))
            (import "lib" "fail" (func $fail (param i32)))
            (import "lib" "fail_other" (func $fail_other (param i32)))
            (func (export "catch_err") (param i32) (result i32)
              (block $h (result i32)
                (try_table (catch $err $h)
                  (if (local.get 0)
                    (then (call $fail_other (i32.const 9)))
                    (else (call $fail (i32.const 8)))))
                (i32.const -1)))
            (func (export "via_table") (result i32)
              (block $h (result i32)
                (try_table (catch $err $h)
                  (call_indirect (param i32) (i32.const 77) (i32.const 0)))
                (i32.const -1)))
            (table 1 funcref)
            (elem (i32.const 0) $fail))"#),
    )
    .unwrap();
    let main = linker.instantiate(&mut store, &main).unwrap();
    assert_eq!(
        i32_of(call(&mut store, main, "catch_err", &[Val::I32(0)])),
        8
    );
    assert_eq!(i32_of(call(&mut store, main, "via_table", &[])), 77);
    // `other` has the same type but is another tag: not caught.
    let error = call(&mut store, main, "catch_err", &[Val::I32(1)]).unwrap_err();
    assert_eq!(error.trap(), Some(Trap::UncaughtException), "{error}");
    // The host sees the tag as an export of its type.
    let tag = lib
        .get_export(&store, "err")
        .and_then(Extern::into_tag)
        .unwrap();
    assert_eq!(tag.ty(&store), FuncType::new([ValType::I32], []));
}

/// The documented host boundary: an exception does not pass through host
/// frames. A wasm call the host makes (here from inside a host function)
/// fails with "uncaught wasm exception"; the host function may handle that
/// or return the error, which the calling wasm sees as a trap, not as an
/// exception its handlers could catch.
#[test]
fn exceptions_stop_at_host_frames() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new();
    let tag = Tag::new(&mut store, &FuncType::new([ValType::I32], [])).unwrap();
    linker.define("host", "tag", tag);
    let inner = Module::new(
        &engine,
        &wat(r#"(module
            (import "host" "tag" (tag $t (param i32)))
            (func (export "throws") (throw $t (i32.const 5))))"#),
    )
    .unwrap();
    let inner = linker.instantiate(&mut store, &inner).unwrap();
    let throws = inner.get_func(&store, "throws").unwrap();
    // Calls wasm that throws; answers 1 if the call failed with the
    // uncaught-exception trap, or passes the error on when asked to.
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    linker
        .func_new("host", "reenter", ty, move |mut caller, params, results| {
            let error = throws.call(&mut caller, &[], &mut []).unwrap_err();
            if params[0].i32() == Some(1) {
                return Err(error);
            }
            results[0] = Val::I32(i32::from(error.trap() == Some(Trap::UncaughtException)));
            Ok(())
        })
        .unwrap();
    let outer = Module::new(
        &engine,
        &wat(r#"(module
            (import "host" "tag" (tag $t (param i32)))
            (import "host" "reenter" (func $reenter (param i32) (result i32)))
            (func (export "outer") (param i32) (result i32)
              (block $h (result i32)
                (try_table (result i32) (catch $t $h) (call $reenter (local.get 0))))
              (i32.const 100)
              (i32.add)))"#),
    )
    .unwrap();
    let outer = linker.instantiate(&mut store, &outer).unwrap();
    // The handler around the host call does not see the inner exception.
    assert_eq!(
        i32_of(call(&mut store, outer, "outer", &[Val::I32(0)])),
        101
    );
    let error = call(&mut store, outer, "outer", &[Val::I32(1)]).unwrap_err();
    assert!(error.trap().is_some(), "{error}");
    assert!(
        error.to_string().contains("uncaught wasm exception"),
        "{error}"
    );
}

/// A host can receive an exnref but not pass a non-null one back.
#[test]
fn exnrefs_stay_inside_wasm() {
    let (mut store, inst) = instantiate(
        r#"(module
        (tag $e)
        (func (export "caught") (result exnref)
          (block $h (result exnref)
            (try_table (catch_all_ref $h) (throw $e))
            (ref.null exn)))
        (func (export "rethrow") (param exnref) (throw_ref (local.get 0))))"#,
    );
    let exn = call(&mut store, inst, "caught", &[]).unwrap();
    assert!(matches!(exn[0], Val::ExnRef(Some(_))), "{exn:?}");
    let error = call(&mut store, inst, "rethrow", &exn).unwrap_err();
    assert!(
        error.to_string().contains("cannot be passed from the host"),
        "{error}"
    );
    let error = call(&mut store, inst, "rethrow", &[Val::ExnRef(None)]).unwrap_err();
    assert_eq!(error.trap(), Some(Trap::NullExceptionReference), "{error}");
    let ty = wrun::GlobalType {
        content: ValType::ExnRef,
        mutable: true,
    };
    assert!(wrun::Global::new(&mut store, ty, exn[0]).is_err());
    let global = wrun::Global::new(&mut store, ty, Val::ExnRef(None)).unwrap();
    assert!(global.set(&mut store, exn[0]).is_err());
}

/// When an exception object is freed: never while wasm can still name it
/// (a legacy catch body, a copy of an exnref in a local or a global), and
/// always once nothing can (the loops below throw more exceptions than a
/// store keeps alive at once, 2^20, so each must be freed).
#[test]
fn exception_objects_live_exactly_as_long_as_something_names_them() {
    let (mut store, inst) = instantiate(
        r#"(module
        (tag $e (param i32))
        (tag $f (param i32))
        (tag $g)
        (global $kept (mut exnref) (ref.null exn))
        ;; an inner catch_all of the same exception, rethrown, must not end
        ;; the outer catch body's hold on it
        (func (export "nested_rethrow") (result i32)
          try (result i32)
            try
              (throw $e (i32.const 9))
            catch_all
              try
                rethrow 1
              catch_all
              end
              rethrow 0
            end
            i32.const 0
          catch $e
          end)
        ;; an exnref kept in a local, thrown and caught twice
        (func (export "throw_ref_twice") (result i32)
          (local $x exnref)
          (local.set $x (block $h (result exnref)
            (try_table (catch_all_ref $h) (throw $e (i32.const 4)))
            (unreachable)))
          (block $a (try_table (catch_all $a) (throw_ref (local.get $x))))
          (block $b (result i32)
            (try_table (catch $e $b) (throw_ref (local.get $x)))
            (i32.const -1)))
        ;; C++'s `catch (A) { throw B; }`: a new exception leaves the body
        (func (export "replace_in_catch") (param $n i32) (result i32)
          (local $sum i32)
          loop $again
            block $got (result i32)
              try_table (catch $f $got)
                try
                  local.get $n
                  throw $e
                catch $e
                  throw $f
                end
              end
              i32.const 0
            end
            local.get $sum
            i32.add
            local.set $sum
            local.get $n
            i32.const 1
            i32.sub
            local.tee $n
            br_if $again
          end
          local.get $sum)
        ;; a try_table clause branching out of a legacy catch body
        (func (export "branch_out_of_catch") (param $n i32) (result i32)
          (local $count i32)
          loop $again
            block $out
              try
                (throw $e (local.get $n))
              catch $e
                drop
                try_table (catch_all $out)
                  throw $g
                end
              end
            end
            (local.set $count (i32.add (local.get $count) (i32.const 1)))
            (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
            br_if $again
          end
          local.get $count)
        ;; exnrefs handed to wasm and dropped: freed when the call returns
        (func (export "drop_refs") (param $n i32)
          loop $again
            (drop (block $h (result exnref)
              (try_table (catch_all_ref $h) (throw $g))
              (unreachable)))
            (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
            br_if $again
          end)
        ;; one kept in a global survives that, and is thrown later
        (func (export "keep") (global.set $kept (block $h (result exnref)
          (try_table (catch_all_ref $h) (throw $e (i32.const 77)))
          (unreachable))))
        (func (export "rethrow_kept") (result i32)
          (block $h (result i32)
            (try_table (catch $e $h) (throw_ref (global.get $kept)))
            (i32.const -1))))"#,
    );
    assert_eq!(i32_of(call(&mut store, inst, "nested_rethrow", &[])), 9);
    assert_eq!(i32_of(call(&mut store, inst, "throw_ref_twice", &[])), 4);
    let n: i64 = 1_100_000;
    let want = (n * (n + 1) / 2) as i32;
    assert_eq!(
        i32_of(call(
            &mut store,
            inst,
            "replace_in_catch",
            &[Val::I32(n as i32)]
        )),
        want
    );
    let count = call(
        &mut store,
        inst,
        "branch_out_of_catch",
        &[Val::I32(n as i32)],
    );
    assert_eq!(i32_of(count), n as i32);
    call(&mut store, inst, "keep", &[]).unwrap();
    for _ in 0..1100 {
        call(&mut store, inst, "drop_refs", &[Val::I32(1000)]).unwrap();
    }
    assert_eq!(i32_of(call(&mut store, inst, "rethrow_kept", &[])), 77);
    assert_eq!(i32_of(call(&mut store, inst, "rethrow_kept", &[])), 77);
}

/// A throw unwinds straight to the nearest frame with a handler: frames
/// without one in between (plain calls, `call_indirect`, a function with
/// stack-passed parameters, a recursion 200 deep) are skipped, and the
/// catching frame goes on with every value it kept live across the call,
/// its stack pointer where it was (10,000 throws in a row would exhaust the
/// stack otherwise) and, with epoch interruption on, the pinned register
/// intact (the spin after the catch is still interrupted).
#[test]
fn a_throw_skips_frames_without_handlers_and_the_catcher_resumes_intact() {
    const TEXT: &str = r#"(module
        (tag $t (param i64))
        (type $wide (func (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i32)))
        (table 1 funcref)
        (elem (i32.const 0) $wide)
        (func $deep (param $n i32) (param $v i64)
          (if (i32.eqz (local.get $n)) (then (throw $t (local.get $v))))
          (call $deep (i32.sub (local.get $n) (i32.const 1))
                      (i64.add (local.get $v) (i64.const 1)))
          ;; never reached: the throw skips this frame
          (drop (i32.div_u (i32.const 1) (i32.const 0))))
        (func $wide (type $wide)
          (call $deep (local.get 12)
            (i64.add (local.get 0) (i64.add (local.get 5) (local.get 11)))))
        (func $catch (param $k i64) (result i64)
          (local $a i64) (local $b i64) (local $c f64) (local $d i64)
          (local.set $a (i64.mul (local.get $k) (i64.const 3)))
          (local.set $b (i64.xor (local.get $k) (i64.const 0x5555)))
          (local.set $c (f64.convert_i64_s (local.get $k)))
          (local.set $d (i64.rotl (local.get $k) (i64.const 17)))
          (block $h (result i64)
            (try_table (catch $t $h)
              (call_indirect (type $wide)
                (local.get $k) (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)
                (i64.const 5) (i64.const 6) (i64.const 7) (i64.const 8) (i64.const 9)
                (i64.const 10) (i64.const 11) (i32.const 200) (i32.const 0)))
            (i64.const -1)
            (return))
          ;; payload = k + 5 + 11 + 200; add what this frame kept live
          (i64.add (local.get $a))
          (i64.add (local.get $b))
          (i64.add (i64.trunc_f64_s (local.get $c)))
          (i64.add (local.get $d)))
        (func (export "many") (param $times i32) (result i64)
          (local $sum i64) (local $i i32)
          (loop $l
            (local.set $sum (i64.add (local.get $sum)
              (call $catch (i64.extend_i32_u (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $times))))
          (local.get $sum))
        (func (export "catch_then_spin") (result i64)
          (drop (call $catch (i64.const 1)))
          (loop $spin (br $spin))
          (i64.const 0)))"#;
    let expected = |k: i64| k + 216 + k * 3 + (k ^ 0x5555) + k + k.rotate_left(17);
    let times = 10_000;
    let want: i64 = (0..times).map(expected).sum();
    for epoch in [false, true] {
        let engine = Engine::new(wrun::Config::new().epoch_interruption(epoch)).unwrap();
        let module = Module::new(&engine, &wat(TEXT)).expect("valid module");
        let mut store = Store::new(&engine, ());
        store.set_epoch_deadline(u64::MAX / 2);
        let instance = Linker::new().instantiate(&mut store, &module).unwrap();
        let many = call(&mut store, instance, "many", &[Val::I32(times as i32)]).unwrap();
        assert_eq!(many[0].i64(), Some(want), "epoch {epoch}");
        if epoch {
            store.set_epoch_deadline(1);
            let ticker = increment_epoch_soon(&engine);
            let error = call(&mut store, instance, "catch_then_spin", &[]).unwrap_err();
            assert_eq!(error.trap(), Some(Trap::Interrupt), "{error}");
            ticker.join().unwrap();
        }
    }
}
