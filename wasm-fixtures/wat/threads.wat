;; threads.wat: uses the threads proposal (a shared memory and an atomic
;; read-modify-write), which wrun does not implement: loading it must fail
;; with "unsupported feature: threads", not "invalid module" or a crash.
;;   bump() -> i32: atomically adds 1 to the word at address 0
(module
  (memory 1 1 shared)
  (func (export "bump") (result i32)
    i32.const 0
    i32.const 1
    i32.atomic.rmw.add))
