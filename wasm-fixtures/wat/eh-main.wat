;; eh-main.wat: the "main" of the throw/catch benchmark. run(n) calls the
;; library's `fail` n times, each through try_table catching `err`, and
;; returns the sum of the caught values (n*(n-1)/2 mod 2^32). Both modules
;; are given to the runtime with `--preload lib=eh-lib.wasm`.
(module
  (import "lib" "err" (tag $err (param i32)))
  (import "lib" "fail" (func $fail (param i32)))
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (block $caught (result i32)
          (try_table (catch $err $caught)
            (call $fail (local.get $i)))
          (i32.const 0))
        (local.set $sum (i32.add (local.get $sum)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (local.get $sum)))
