;; simd.wat: uses a 128-bit SIMD instruction (i32x4.add).  wrun does not
;; support the SIMD proposal: loading this module must fail with an
;; "unsupported feature" style error, not crash.
;;   sum4(i32, i32) -> i32: splats both, adds lane-wise, extracts lane 0
(module
  (func (export "sum4") (param $a i32) (param $b i32) (result i32)
    local.get $a
    i32x4.splat
    local.get $b
    i32x4.splat
    i32x4.add
    i32x4.extract_lane 0))
