//! Relaxed SIMD. The proposal lets each of these operators return one of
//! several results, depending on the host's instructions; wrun always picks
//! the same one, so a program computes the same bits on every host:
//!
//! | operator | wrun's choice |
//! |---|---|
//! | `i8x16.relaxed_swizzle` | `i8x16.swizzle` (out-of-range indices give 0) |
//! | `i32x4.relaxed_trunc_*` | the saturating `trunc_sat` (NaN gives 0) |
//! | `f32x4/f64x2.relaxed_madd`, `relaxed_nmadd` | unfused: `a*b` rounded, then `+ c` |
//! | `*.relaxed_laneselect` | `v128.bitselect` (bit by bit) |
//! | `f32x4/f64x2.relaxed_min/max` | `min`/`max` (NaN-propagating, -0 < +0) |
//! | `i16x8.relaxed_q15mulr_s` | `i16x8.q15mulr_sat_s` (saturates) |
//! | `i16x8.relaxed_dot_i8x16_i7x16_s` | both operands signed, sums wrap |
//! | `i32x4.relaxed_dot_i8x16_i7x16_add_s` | the i16 dot above, widened, pairs summed, `+ c` |

use crate::compile::simd_arith::Half;
use crate::compile::translator::FuncTranslator;
use cranelift_codegen::ir::{
    types::{F32X4, F64X2, I16X8, I32X4, I8X16},
    InstBuilder, Type,
};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_simd_relaxed(&mut self, op: &Operator<'_>) -> bool {
        match op {
            Operator::I8x16RelaxedSwizzle => {
                self.vec_binary(I8X16, |t, a, b| t.b.ins().swizzle(a, b))
            }
            Operator::I32x4RelaxedTruncF32x4S => {
                self.vec_unary(F32X4, |t, a| t.b.ins().fcvt_to_sint_sat(I32X4, a))
            }
            Operator::I32x4RelaxedTruncF32x4U => {
                self.vec_unary(F32X4, |t, a| t.b.ins().fcvt_to_uint_sat(I32X4, a))
            }
            Operator::I32x4RelaxedTruncF64x2SZero => self.trunc_sat_f64x2_zero(true),
            Operator::I32x4RelaxedTruncF64x2UZero => self.trunc_sat_f64x2_zero(false),
            Operator::F32x4RelaxedMadd => self.multiply_add(F32X4, false),
            Operator::F32x4RelaxedNmadd => self.multiply_add(F32X4, true),
            Operator::F64x2RelaxedMadd => self.multiply_add(F64X2, false),
            Operator::F64x2RelaxedNmadd => self.multiply_add(F64X2, true),
            Operator::I8x16RelaxedLaneselect
            | Operator::I16x8RelaxedLaneselect
            | Operator::I32x4RelaxedLaneselect
            | Operator::I64x2RelaxedLaneselect => self.bitselect(),
            Operator::F32x4RelaxedMin => self.vec_binary(F32X4, |t, a, b| t.b.ins().fmin(a, b)),
            Operator::F32x4RelaxedMax => self.vec_binary(F32X4, |t, a, b| t.b.ins().fmax(a, b)),
            Operator::F64x2RelaxedMin => self.vec_binary(F64X2, |t, a, b| t.b.ins().fmin(a, b)),
            Operator::F64x2RelaxedMax => self.vec_binary(F64X2, |t, a, b| t.b.ins().fmax(a, b)),
            Operator::I16x8RelaxedQ15mulrS => {
                self.vec_binary(I16X8, |t, a, b| t.b.ins().sqmul_round_sat(a, b))
            }
            Operator::I16x8RelaxedDotI8x16I7x16S => {
                self.vec_binary(I8X16, |t, a, b| t.dot_pairs(a, b))
            }
            Operator::I32x4RelaxedDotI8x16I7x16AddS => {
                let c = self.pop_vec(I32X4);
                let (a, b) = self.pop2_vec(I8X16);
                let dot = self.dot_pairs(a, b);
                let low = self.widen(dot, Half::Low, true);
                let high = self.widen(dot, Half::High, true);
                let sums = self.b.ins().iadd_pairwise(low, high);
                let v = self.b.ins().iadd(sums, c);
                self.push_vec(v);
            }
            _ => return false,
        }
        true
    }

    /// `a * b + c`, or `-(a * b) + c` when `negate`, rounded after each step.
    fn multiply_add(&mut self, shape: Type, negate: bool) {
        let c = self.pop_vec(shape);
        let (a, b) = self.pop2_vec(shape);
        let mut product = self.b.ins().fmul(a, b);
        if negate {
            product = self.b.ins().fneg(product);
        }
        let v = self.b.ins().fadd(product, c);
        self.push_vec(v);
    }
}
