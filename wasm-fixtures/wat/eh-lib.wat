;; eh-lib.wat: the "library" of the throw/catch benchmark (benches/compare_eh.py).
;; Defines and exports the tag $err and `fail`, which throws it.
(module
  (tag $err (export "err") (param i32))
  (func (export "fail") (param i32)
    (throw $err (local.get 0))))
