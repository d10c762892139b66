;; simd.wat: a 128-bit SIMD function (i32x4.add).
;;   sum4(i32, i32) -> i32: splats both, adds lane-wise, extracts lane 0
(module
  (func (export "sum4") (param $a i32) (param $b i32) (result i32)
    local.get $a
    i32x4.splat
    local.get $b
    i32x4.splat
    i32x4.add
    i32x4.extract_lane 0))
