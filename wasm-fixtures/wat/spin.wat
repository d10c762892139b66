;; Never ends: only an interruption (--timeout) stops it.
(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $forever (br $forever)))
  (func (export "spin_calls") (call $again))
  (func $again (call $again2))
  (func $again2 (loop $l (br $l))))
