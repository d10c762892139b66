;; trap.wat: every export traps (except ok and read_in_bounds).
;;   unreachable()            -> "unreachable" trap
;;   div_zero(i32) -> i32     i32.div_s by zero: "integer divide by zero"
;;   div_overflow() -> i32    INT32_MIN / -1: "integer overflow"
;;   oob() -> i32             load at 0x10000 past the 1-page memory: "out of bounds memory access"
;;   oob_at(i32) -> i32       load at the given address
;;   recurse(i32) -> i32      unbounded recursion: "call stack exhausted"
;;   bad_indirect() -> i32    call_indirect with the wrong signature: "indirect call type mismatch"
;;   null_indirect() -> i32   call_indirect through an empty slot: "uninitialized element"
;;   bad_convert() -> i32     i32.trunc_f64_s of NaN: "invalid conversion to integer"
;;   ok() -> i32              returns 1 (the instance is still usable after a trap)
(module
  (type $i32_to_i32 (func (param i32) (result i32)))
  (type $void_to_i32 (func (result i32)))
  (memory (export "memory") 1 1)
  (table 3 funcref)
  (elem (i32.const 0) $ok $takes_one)

  (func $ok (export "ok") (result i32)
    i32.const 1)

  (func $takes_one (param i32) (result i32)
    local.get 0)

  (func (export "unreachable")
    unreachable)

  (func (export "div_zero") (param $x i32) (result i32)
    local.get $x
    i32.const 0
    i32.div_s)

  (func (export "div_overflow") (result i32)
    i32.const 0x80000000
    i32.const -1
    i32.div_s)

  (func (export "oob") (result i32)
    i32.const 0x10000
    i32.load)

  (func (export "oob_at") (param $addr i32) (result i32)
    local.get $addr
    i32.load)

  (func (export "read_in_bounds") (result i32)
    i32.const 0xfffc
    i32.load)

  (func $recurse (export "recurse") (param $n i32) (result i32)
    local.get $n
    i32.const 1
    i32.add
    call $recurse
    i32.const 1
    i32.add)

  (func (export "bad_indirect") (result i32)
    ;; slot 1 holds $takes_one (i32) -> i32, called as () -> i32
    i32.const 1
    call_indirect (type $void_to_i32))

  (func (export "null_indirect") (result i32)
    i32.const 2
    call_indirect (type $void_to_i32))

  (func (export "bad_convert") (result i32)
    f64.const nan
    i32.trunc_f64_s))
