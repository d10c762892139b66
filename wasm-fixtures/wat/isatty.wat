;; Exits with a bit mask of the fds 0, 1, 2 that wasi-libc's isatty() would
;; call terminals: fd_fdstat_get says "character device" (filetype 2) and
;; grants neither FD_SEEK (1 << 2) nor FD_TELL (1 << 5).
(module
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fdstat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $isatty (param $fd i32) (result i32)
    (if (call $fdstat (local.get $fd) (i32.const 0)) (then (return (i32.const 0))))
    (i32.and
      (i32.eq (i32.load8_u (i32.const 0)) (i32.const 2))
      (i64.eqz (i64.and (i64.load (i32.const 8)) (i64.const 36)))))
  (func (export "_start")
    (call $exit
      (i32.or (call $isatty (i32.const 0))
        (i32.or (i32.shl (call $isatty (i32.const 1)) (i32.const 1))
                (i32.shl (call $isatty (i32.const 2)) (i32.const 2)))))))
