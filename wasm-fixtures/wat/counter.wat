;; counter.wat: per-instance state.
;;   inc() -> i32       increments a mutable global and returns the new value
;;   get() -> i32       current value of the global
;;   bump_mem() -> i32  increments the i32 at address 16 of the module's own
;;                      memory and returns it
;;   grow() -> i32      memory.grow by 1 page, returns the previous page count
;;   pages() -> i32     memory.size
;; Two instances of this module must count independently.
(module
  (memory (export "memory") 1 4)
  (global $count (export "count") (mut i32) (i32.const 0))
  (data (i32.const 16) "\64\00\00\00") ;; memory cell starts at 100

  (func (export "inc") (result i32)
    global.get $count
    i32.const 1
    i32.add
    global.set $count
    global.get $count)

  (func (export "get") (result i32)
    global.get $count)

  (func (export "bump_mem") (result i32)
    i32.const 16
    i32.const 16
    i32.load
    i32.const 1
    i32.add
    i32.store
    i32.const 16
    i32.load)

  (func (export "grow") (result i32)
    i32.const 1
    memory.grow)

  (func (export "pages") (result i32)
    memory.size))
