//! SIMD integer and float arithmetic, narrowing, widening and conversions.
//! Each wasm operator maps to the Cranelift vector instruction of the same
//! meaning; where wasm defines a combined operation (extended multiply,
//! pairwise add, dot product), it is spelled as the widening and pairwise
//! instructions Cranelift's backends recognise and fuse.

use crate::compile::translator::FuncTranslator;
use cranelift_codegen::ir::{
    condcodes::FloatCC,
    types::{F32X4, F64X2, I16X8, I32X4, I64X2, I8X16},
    InstBuilder, Type, Value,
};
use wasmparser::Operator;

/// Which half of the input lanes a widening operator reads.
#[derive(Clone, Copy)]
pub(crate) enum Half {
    Low,
    High,
}

impl FuncTranslator<'_, '_> {
    /// Widens half of `v`'s lanes to twice their width.
    pub(crate) fn widen(&mut self, v: Value, half: Half, signed: bool) -> Value {
        let ins = self.b.ins();
        match (half, signed) {
            (Half::Low, true) => ins.swiden_low(v),
            (Half::High, true) => ins.swiden_high(v),
            (Half::Low, false) => ins.uwiden_low(v),
            (Half::High, false) => ins.uwiden_high(v),
        }
    }

    /// Shifts each lane by the i32 on top of the stack, modulo the lane width.
    fn vec_shift(&mut self, shape: Type, f: impl FnOnce(&mut Self, Value, Value) -> Value) {
        let amount = self.pop();
        let lane_bits = i64::from(shape.lane_bits());
        let amount = self.b.ins().band_imm_u(amount, lane_bits - 1);
        let v = self.pop_vec(shape);
        let r = f(self, v, amount);
        self.push_vec(r);
    }

    /// Extended multiply: both operands' halves widened, then multiplied.
    fn ext_mul(&mut self, shape: Type, half: Half, signed: bool) {
        let (a, b) = self.pop2_vec(shape);
        let a = self.widen(a, half, signed);
        let b = self.widen(b, half, signed);
        let v = self.b.ins().imul(a, b);
        self.push_vec(v);
    }

    /// Adjacent lanes widened and summed.
    fn ext_add_pairwise(&mut self, shape: Type, signed: bool) {
        let v = self.pop_vec(shape);
        let low = self.widen(v, Half::Low, signed);
        let high = self.widen(v, Half::High, signed);
        let r = self.b.ins().iadd_pairwise(low, high);
        self.push_vec(r);
    }

    fn extend(&mut self, shape: Type, half: Half, signed: bool) {
        let v = self.pop_vec(shape);
        let r = self.widen(v, half, signed);
        self.push_vec(r);
    }

    /// Lanes multiplied, signed, into lanes twice as wide, and adjacent
    /// products summed, wrapping (`i32x4.dot_i16x8_s`, and the relaxed
    /// i8 dot products).
    pub(crate) fn dot_pairs(&mut self, a: Value, b: Value) -> Value {
        let a_low = self.widen(a, Half::Low, true);
        let b_low = self.widen(b, Half::Low, true);
        let low = self.b.ins().imul(a_low, b_low);
        let a_high = self.widen(a, Half::High, true);
        let b_high = self.widen(b, Half::High, true);
        let high = self.b.ins().imul(a_high, b_high);
        self.b.ins().iadd_pairwise(low, high)
    }

    pub(crate) fn translate_simd_int(&mut self, op: &Operator<'_>) -> bool {
        use Half::{High, Low};
        match op {
            Operator::I8x16Abs => self.vec_unary(I8X16, |t, a| t.b.ins().iabs(a)),
            Operator::I16x8Abs => self.vec_unary(I16X8, |t, a| t.b.ins().iabs(a)),
            Operator::I32x4Abs => self.vec_unary(I32X4, |t, a| t.b.ins().iabs(a)),
            Operator::I64x2Abs => self.vec_unary(I64X2, |t, a| t.b.ins().iabs(a)),
            Operator::I8x16Neg => self.vec_unary(I8X16, |t, a| t.b.ins().ineg(a)),
            Operator::I16x8Neg => self.vec_unary(I16X8, |t, a| t.b.ins().ineg(a)),
            Operator::I32x4Neg => self.vec_unary(I32X4, |t, a| t.b.ins().ineg(a)),
            Operator::I64x2Neg => self.vec_unary(I64X2, |t, a| t.b.ins().ineg(a)),
            Operator::I8x16Popcnt => self.vec_unary(I8X16, |t, a| t.b.ins().popcnt(a)),
            Operator::I8x16Add => self.vec_binary(I8X16, |t, a, b| t.b.ins().iadd(a, b)),
            Operator::I16x8Add => self.vec_binary(I16X8, |t, a, b| t.b.ins().iadd(a, b)),
            Operator::I32x4Add => self.vec_binary(I32X4, |t, a, b| t.b.ins().iadd(a, b)),
            Operator::I64x2Add => self.vec_binary(I64X2, |t, a, b| t.b.ins().iadd(a, b)),
            Operator::I8x16Sub => self.vec_binary(I8X16, |t, a, b| t.b.ins().isub(a, b)),
            Operator::I16x8Sub => self.vec_binary(I16X8, |t, a, b| t.b.ins().isub(a, b)),
            Operator::I32x4Sub => self.vec_binary(I32X4, |t, a, b| t.b.ins().isub(a, b)),
            Operator::I64x2Sub => self.vec_binary(I64X2, |t, a, b| t.b.ins().isub(a, b)),
            Operator::I16x8Mul => self.vec_binary(I16X8, |t, a, b| t.b.ins().imul(a, b)),
            Operator::I32x4Mul => self.vec_binary(I32X4, |t, a, b| t.b.ins().imul(a, b)),
            Operator::I64x2Mul => self.vec_binary(I64X2, |t, a, b| t.b.ins().imul(a, b)),
            Operator::I8x16AddSatS => self.vec_binary(I8X16, |t, a, b| t.b.ins().sadd_sat(a, b)),
            Operator::I8x16AddSatU => self.vec_binary(I8X16, |t, a, b| t.b.ins().uadd_sat(a, b)),
            Operator::I16x8AddSatS => self.vec_binary(I16X8, |t, a, b| t.b.ins().sadd_sat(a, b)),
            Operator::I16x8AddSatU => self.vec_binary(I16X8, |t, a, b| t.b.ins().uadd_sat(a, b)),
            Operator::I8x16SubSatS => self.vec_binary(I8X16, |t, a, b| t.b.ins().ssub_sat(a, b)),
            Operator::I8x16SubSatU => self.vec_binary(I8X16, |t, a, b| t.b.ins().usub_sat(a, b)),
            Operator::I16x8SubSatS => self.vec_binary(I16X8, |t, a, b| t.b.ins().ssub_sat(a, b)),
            Operator::I16x8SubSatU => self.vec_binary(I16X8, |t, a, b| t.b.ins().usub_sat(a, b)),
            Operator::I8x16MinS => self.vec_binary(I8X16, |t, a, b| t.b.ins().smin(a, b)),
            Operator::I8x16MinU => self.vec_binary(I8X16, |t, a, b| t.b.ins().umin(a, b)),
            Operator::I8x16MaxS => self.vec_binary(I8X16, |t, a, b| t.b.ins().smax(a, b)),
            Operator::I8x16MaxU => self.vec_binary(I8X16, |t, a, b| t.b.ins().umax(a, b)),
            Operator::I16x8MinS => self.vec_binary(I16X8, |t, a, b| t.b.ins().smin(a, b)),
            Operator::I16x8MinU => self.vec_binary(I16X8, |t, a, b| t.b.ins().umin(a, b)),
            Operator::I16x8MaxS => self.vec_binary(I16X8, |t, a, b| t.b.ins().smax(a, b)),
            Operator::I16x8MaxU => self.vec_binary(I16X8, |t, a, b| t.b.ins().umax(a, b)),
            Operator::I32x4MinS => self.vec_binary(I32X4, |t, a, b| t.b.ins().smin(a, b)),
            Operator::I32x4MinU => self.vec_binary(I32X4, |t, a, b| t.b.ins().umin(a, b)),
            Operator::I32x4MaxS => self.vec_binary(I32X4, |t, a, b| t.b.ins().smax(a, b)),
            Operator::I32x4MaxU => self.vec_binary(I32X4, |t, a, b| t.b.ins().umax(a, b)),
            Operator::I8x16AvgrU => self.vec_binary(I8X16, |t, a, b| t.b.ins().avg_round(a, b)),
            Operator::I16x8AvgrU => self.vec_binary(I16X8, |t, a, b| t.b.ins().avg_round(a, b)),
            Operator::I16x8Q15MulrSatS => {
                self.vec_binary(I16X8, |t, a, b| t.b.ins().sqmul_round_sat(a, b))
            }
            Operator::I8x16Shl => self.vec_shift(I8X16, |t, v, n| t.b.ins().ishl(v, n)),
            Operator::I16x8Shl => self.vec_shift(I16X8, |t, v, n| t.b.ins().ishl(v, n)),
            Operator::I32x4Shl => self.vec_shift(I32X4, |t, v, n| t.b.ins().ishl(v, n)),
            Operator::I64x2Shl => self.vec_shift(I64X2, |t, v, n| t.b.ins().ishl(v, n)),
            Operator::I8x16ShrS => self.vec_shift(I8X16, |t, v, n| t.b.ins().sshr(v, n)),
            Operator::I16x8ShrS => self.vec_shift(I16X8, |t, v, n| t.b.ins().sshr(v, n)),
            Operator::I32x4ShrS => self.vec_shift(I32X4, |t, v, n| t.b.ins().sshr(v, n)),
            Operator::I64x2ShrS => self.vec_shift(I64X2, |t, v, n| t.b.ins().sshr(v, n)),
            Operator::I8x16ShrU => self.vec_shift(I8X16, |t, v, n| t.b.ins().ushr(v, n)),
            Operator::I16x8ShrU => self.vec_shift(I16X8, |t, v, n| t.b.ins().ushr(v, n)),
            Operator::I32x4ShrU => self.vec_shift(I32X4, |t, v, n| t.b.ins().ushr(v, n)),
            Operator::I64x2ShrU => self.vec_shift(I64X2, |t, v, n| t.b.ins().ushr(v, n)),
            Operator::I8x16NarrowI16x8S => {
                self.vec_binary(I16X8, |t, a, b| t.b.ins().snarrow(a, b))
            }
            Operator::I8x16NarrowI16x8U => {
                self.vec_binary(I16X8, |t, a, b| t.b.ins().unarrow(a, b))
            }
            Operator::I16x8NarrowI32x4S => {
                self.vec_binary(I32X4, |t, a, b| t.b.ins().snarrow(a, b))
            }
            Operator::I16x8NarrowI32x4U => {
                self.vec_binary(I32X4, |t, a, b| t.b.ins().unarrow(a, b))
            }
            Operator::I16x8ExtendLowI8x16S => self.extend(I8X16, Low, true),
            Operator::I16x8ExtendHighI8x16S => self.extend(I8X16, High, true),
            Operator::I16x8ExtendLowI8x16U => self.extend(I8X16, Low, false),
            Operator::I16x8ExtendHighI8x16U => self.extend(I8X16, High, false),
            Operator::I32x4ExtendLowI16x8S => self.extend(I16X8, Low, true),
            Operator::I32x4ExtendHighI16x8S => self.extend(I16X8, High, true),
            Operator::I32x4ExtendLowI16x8U => self.extend(I16X8, Low, false),
            Operator::I32x4ExtendHighI16x8U => self.extend(I16X8, High, false),
            Operator::I64x2ExtendLowI32x4S => self.extend(I32X4, Low, true),
            Operator::I64x2ExtendHighI32x4S => self.extend(I32X4, High, true),
            Operator::I64x2ExtendLowI32x4U => self.extend(I32X4, Low, false),
            Operator::I64x2ExtendHighI32x4U => self.extend(I32X4, High, false),
            Operator::I16x8ExtMulLowI8x16S => self.ext_mul(I8X16, Low, true),
            Operator::I16x8ExtMulHighI8x16S => self.ext_mul(I8X16, High, true),
            Operator::I16x8ExtMulLowI8x16U => self.ext_mul(I8X16, Low, false),
            Operator::I16x8ExtMulHighI8x16U => self.ext_mul(I8X16, High, false),
            Operator::I32x4ExtMulLowI16x8S => self.ext_mul(I16X8, Low, true),
            Operator::I32x4ExtMulHighI16x8S => self.ext_mul(I16X8, High, true),
            Operator::I32x4ExtMulLowI16x8U => self.ext_mul(I16X8, Low, false),
            Operator::I32x4ExtMulHighI16x8U => self.ext_mul(I16X8, High, false),
            Operator::I64x2ExtMulLowI32x4S => self.ext_mul(I32X4, Low, true),
            Operator::I64x2ExtMulHighI32x4S => self.ext_mul(I32X4, High, true),
            Operator::I64x2ExtMulLowI32x4U => self.ext_mul(I32X4, Low, false),
            Operator::I64x2ExtMulHighI32x4U => self.ext_mul(I32X4, High, false),
            Operator::I16x8ExtAddPairwiseI8x16S => self.ext_add_pairwise(I8X16, true),
            Operator::I16x8ExtAddPairwiseI8x16U => self.ext_add_pairwise(I8X16, false),
            Operator::I32x4ExtAddPairwiseI16x8S => self.ext_add_pairwise(I16X8, true),
            Operator::I32x4ExtAddPairwiseI16x8U => self.ext_add_pairwise(I16X8, false),
            Operator::I32x4DotI16x8S => self.vec_binary(I16X8, |t, a, b| t.dot_pairs(a, b)),
            _ => return false,
        }
        true
    }

    /// `pmin`/`pmax`: wasm's pseudo-minimum `b < a ? b : a` and
    /// pseudo-maximum `a < b ? b : a`, lane-wise (NaNs and signed zeros
    /// pass through as that expression says, unlike `min`/`max`).
    fn pseudo_min_max(&mut self, shape: Type, max: bool) {
        let (a, b) = self.pop2_vec(shape);
        let take_b = if max {
            self.b.ins().fcmp(FloatCC::LessThan, a, b)
        } else {
            self.b.ins().fcmp(FloatCC::LessThan, b, a)
        };
        let take_b = self.as_shape(take_b, shape);
        let v = self.b.ins().bitselect(take_b, b, a);
        self.push_vec(v);
    }

    pub(crate) fn translate_simd_float(&mut self, op: &Operator<'_>) -> bool {
        macro_rules! unary {
            ($shape:expr, $inst:ident) => {
                self.vec_unary($shape, |t, a| t.b.ins().$inst(a))
            };
        }
        macro_rules! binary {
            ($shape:expr, $inst:ident) => {
                self.vec_binary($shape, |t, a, b| t.b.ins().$inst(a, b))
            };
        }
        match op {
            Operator::F32x4Ceil => unary!(F32X4, ceil),
            Operator::F32x4Floor => unary!(F32X4, floor),
            Operator::F32x4Trunc => unary!(F32X4, trunc),
            Operator::F32x4Nearest => unary!(F32X4, nearest),
            Operator::F32x4Abs => unary!(F32X4, fabs),
            Operator::F32x4Neg => unary!(F32X4, fneg),
            Operator::F32x4Sqrt => unary!(F32X4, sqrt),
            Operator::F32x4Add => binary!(F32X4, fadd),
            Operator::F32x4Sub => binary!(F32X4, fsub),
            Operator::F32x4Mul => binary!(F32X4, fmul),
            Operator::F32x4Div => binary!(F32X4, fdiv),
            Operator::F32x4Min => binary!(F32X4, fmin),
            Operator::F32x4Max => binary!(F32X4, fmax),
            Operator::F32x4PMin => self.pseudo_min_max(F32X4, false),
            Operator::F32x4PMax => self.pseudo_min_max(F32X4, true),
            Operator::F64x2Ceil => unary!(F64X2, ceil),
            Operator::F64x2Floor => unary!(F64X2, floor),
            Operator::F64x2Trunc => unary!(F64X2, trunc),
            Operator::F64x2Nearest => unary!(F64X2, nearest),
            Operator::F64x2Abs => unary!(F64X2, fabs),
            Operator::F64x2Neg => unary!(F64X2, fneg),
            Operator::F64x2Sqrt => unary!(F64X2, sqrt),
            Operator::F64x2Add => binary!(F64X2, fadd),
            Operator::F64x2Sub => binary!(F64X2, fsub),
            Operator::F64x2Mul => binary!(F64X2, fmul),
            Operator::F64x2Div => binary!(F64X2, fdiv),
            Operator::F64x2Min => binary!(F64X2, fmin),
            Operator::F64x2Max => binary!(F64X2, fmax),
            Operator::F64x2PMin => self.pseudo_min_max(F64X2, false),
            Operator::F64x2PMax => self.pseudo_min_max(F64X2, true),
            Operator::I32x4TruncSatF32x4S => {
                self.vec_unary(F32X4, |t, a| t.b.ins().fcvt_to_sint_sat(I32X4, a))
            }
            Operator::I32x4TruncSatF32x4U => {
                self.vec_unary(F32X4, |t, a| t.b.ins().fcvt_to_uint_sat(I32X4, a))
            }
            Operator::I32x4TruncSatF64x2SZero => self.trunc_sat_f64x2_zero(true),
            Operator::I32x4TruncSatF64x2UZero => self.trunc_sat_f64x2_zero(false),
            Operator::F32x4ConvertI32x4S => {
                self.vec_unary(I32X4, |t, a| t.b.ins().fcvt_from_sint(F32X4, a))
            }
            Operator::F32x4ConvertI32x4U => {
                self.vec_unary(I32X4, |t, a| t.b.ins().fcvt_from_uint(F32X4, a))
            }
            Operator::F64x2ConvertLowI32x4S => self.vec_unary(I32X4, |t, a| {
                let wide = t.widen(a, Half::Low, true);
                t.b.ins().fcvt_from_sint(F64X2, wide)
            }),
            Operator::F64x2ConvertLowI32x4U => self.vec_unary(I32X4, |t, a| {
                let wide = t.widen(a, Half::Low, false);
                t.b.ins().fcvt_from_uint(F64X2, wide)
            }),
            Operator::F32x4DemoteF64x2Zero => self.vec_unary(F64X2, |t, a| t.b.ins().fvdemote(a)),
            Operator::F64x2PromoteLowF32x4 => {
                self.vec_unary(F32X4, |t, a| t.b.ins().fvpromote_low(a))
            }
            _ => return false,
        }
        true
    }

    /// Both f64 lanes truncated (saturating) to i32, upper two lanes zero.
    pub(crate) fn trunc_sat_f64x2_zero(&mut self, signed: bool) {
        let v = self.pop_vec(F64X2);
        let zero = self.vconst(I64X2, &[0; 16]);
        let r = if signed {
            let wide = self.b.ins().fcvt_to_sint_sat(I64X2, v);
            self.b.ins().snarrow(wide, zero)
        } else {
            let wide = self.b.ins().fcvt_to_uint_sat(I64X2, v);
            self.b.ins().uunarrow(wide, zero)
        };
        self.push_vec(r);
    }
}
