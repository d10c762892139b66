;; add.wat: the simplest fixtures.
;;   add(i32, i32) -> i32
;;   divmod(i32, i32) -> (i32, i32)   multi-value: quotient and remainder (unsigned)
;;   swap(i64, f64) -> (f64, i64)     multi-value with mixed types
;;   answer() -> i64                  constant 42
(module
  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.add)

  (func (export "divmod") (param $a i32) (param $b i32) (result i32 i32)
    local.get $a
    local.get $b
    i32.div_u
    local.get $a
    local.get $b
    i32.rem_u)

  (func (export "swap") (param $x i64) (param $y f64) (result f64 i64)
    local.get $y
    local.get $x)

  (func (export "answer") (result i64)
    i64.const 42))
