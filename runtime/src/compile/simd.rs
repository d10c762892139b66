//! Fixed-width SIMD (v128): constants, lanes, shuffles, bitwise operators,
//! tests and SIMD memory accesses. Arithmetic and conversions are in
//! `simd_arith`, the relaxed-SIMD operators in `simd_relaxed`.
//!
//! Every v128 on the operand stack, in locals, block parameters and
//! signatures has the one Cranelift type `I8X16`; an operator bitcasts its
//! operands to the lane shape it works on (`pop_vec`) and its result back
//! (`push_vec`). Bitcasts between vector shapes are free: they only change
//! how Cranelift reads the same register.

use crate::compile::translator::FuncTranslator;
use crate::error::Result;
use cranelift_codegen::ir::{
    condcodes::{FloatCC, IntCC},
    types::{F32X4, F64X2, I16, I16X8, I32, I32X4, I64, I64X2, I8, I8X16},
    ConstantData, Endianness, InstBuilder, MemFlagsData, Type, Value,
};
use wasmparser::{MemArg, Operator};

/// Flags for bitcasts between vector shapes: lane order is little-endian,
/// as wasm defines it.
fn lane_order() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// Scalar type of one lane of `vector`, and the wasm type it is widened
/// to when it leaves the vector (i8 and i16 lanes are i32 in wasm).
fn lane_scalar(vector: Type) -> (Type, Type) {
    let lane = vector.lane_type();
    let wasm = if lane == I8 || lane == I16 { I32 } else { lane };
    (lane, wasm)
}

impl FuncTranslator<'_, '_> {
    /// Pops a v128 and views it as `shape`.
    pub(crate) fn pop_vec(&mut self, shape: Type) -> Value {
        let v = self.pop();
        self.as_shape(v, shape)
    }

    /// Pops two v128s (in push order), both viewed as `shape`.
    pub(crate) fn pop2_vec(&mut self, shape: Type) -> (Value, Value) {
        let b = self.pop_vec(shape);
        let a = self.pop_vec(shape);
        (a, b)
    }

    /// Pushes a vector of any shape as the canonical v128 (`I8X16`).
    pub(crate) fn push_vec(&mut self, v: Value) {
        let v = self.as_shape(v, I8X16);
        self.push(v);
    }

    /// `v` viewed as `shape` (a no-op bitcast when it already is).
    pub(crate) fn as_shape(&mut self, v: Value, shape: Type) -> Value {
        if self.b.func.dfg.value_type(v) == shape {
            v
        } else {
            self.b.ins().bitcast(shape, lane_order(), v)
        }
    }

    /// A vector constant of the given little-endian bytes.
    pub(crate) fn vconst(&mut self, shape: Type, bytes: &[u8; 16]) -> Value {
        let constant = self
            .b
            .func
            .dfg
            .constants
            .insert(ConstantData::from(&bytes[..]));
        self.b.ins().vconst(shape, constant)
    }

    /// Pops a v128 of `shape`, applies `f`, pushes the result.
    pub(crate) fn vec_unary(&mut self, shape: Type, f: impl FnOnce(&mut Self, Value) -> Value) {
        let a = self.pop_vec(shape);
        let v = f(self, a);
        self.push_vec(v);
    }

    /// Pops two v128s of `shape`, applies `f`, pushes the result.
    pub(crate) fn vec_binary(
        &mut self,
        shape: Type,
        f: impl FnOnce(&mut Self, Value, Value) -> Value,
    ) {
        let (a, b) = self.pop2_vec(shape);
        let v = f(self, a, b);
        self.push_vec(v);
    }

    pub(crate) fn translate_simd(&mut self, op: &Operator<'_>) -> Result<bool> {
        Ok(self.translate_simd_lanes(op)
            || self.translate_simd_bitwise(op)
            || self.translate_simd_compare(op)
            || self.translate_simd_memory(op)?
            || self.translate_simd_int(op)
            || self.translate_simd_float(op)
            || self.translate_simd_relaxed(op))
    }

    /// Constants, splats, lane access, shuffles.
    fn translate_simd_lanes(&mut self, op: &Operator<'_>) -> bool {
        match op {
            Operator::V128Const { value } => {
                let v = self.vconst(I8X16, value.bytes());
                self.push(v);
            }
            Operator::I8x16Shuffle { lanes } => {
                let (a, b) = self.pop2_vec(I8X16);
                let mask = self
                    .b
                    .func
                    .dfg
                    .immediates
                    .push(ConstantData::from(&lanes[..]));
                let v = self.b.ins().shuffle(a, b, mask);
                self.push(v);
            }
            Operator::I8x16Swizzle => self.vec_binary(I8X16, |t, a, b| t.b.ins().swizzle(a, b)),
            Operator::I8x16Splat => self.splat(I8X16),
            Operator::I16x8Splat => self.splat(I16X8),
            Operator::I32x4Splat => self.splat(I32X4),
            Operator::I64x2Splat => self.splat(I64X2),
            Operator::F32x4Splat => self.splat(F32X4),
            Operator::F64x2Splat => self.splat(F64X2),
            Operator::I8x16ExtractLaneS { lane } => self.extract_lane(I8X16, *lane, true),
            Operator::I8x16ExtractLaneU { lane } => self.extract_lane(I8X16, *lane, false),
            Operator::I16x8ExtractLaneS { lane } => self.extract_lane(I16X8, *lane, true),
            Operator::I16x8ExtractLaneU { lane } => self.extract_lane(I16X8, *lane, false),
            Operator::I32x4ExtractLane { lane } => self.extract_lane(I32X4, *lane, false),
            Operator::I64x2ExtractLane { lane } => self.extract_lane(I64X2, *lane, false),
            Operator::F32x4ExtractLane { lane } => self.extract_lane(F32X4, *lane, false),
            Operator::F64x2ExtractLane { lane } => self.extract_lane(F64X2, *lane, false),
            Operator::I8x16ReplaceLane { lane } => self.replace_lane(I8X16, *lane),
            Operator::I16x8ReplaceLane { lane } => self.replace_lane(I16X8, *lane),
            Operator::I32x4ReplaceLane { lane } => self.replace_lane(I32X4, *lane),
            Operator::I64x2ReplaceLane { lane } => self.replace_lane(I64X2, *lane),
            Operator::F32x4ReplaceLane { lane } => self.replace_lane(F32X4, *lane),
            Operator::F64x2ReplaceLane { lane } => self.replace_lane(F64X2, *lane),
            _ => return false,
        }
        true
    }

    /// A wasm scalar narrowed to `shape`'s lane type (i32 to i8/i16).
    fn narrow_to_lane(&mut self, scalar: Value, shape: Type) -> Value {
        let (lane, wasm) = lane_scalar(shape);
        if lane == wasm {
            scalar
        } else {
            self.b.ins().ireduce(lane, scalar)
        }
    }

    fn splat(&mut self, shape: Type) {
        let scalar = self.pop();
        let lane = self.narrow_to_lane(scalar, shape);
        let v = self.b.ins().splat(shape, lane);
        self.push_vec(v);
    }

    fn extract_lane(&mut self, shape: Type, lane: u8, signed: bool) {
        let v = self.pop_vec(shape);
        let x = self.b.ins().extractlane(v, lane);
        let (lane_ty, wasm) = lane_scalar(shape);
        let x = match (lane_ty == wasm, signed) {
            (true, _) => x,
            (false, true) => self.b.ins().sextend(wasm, x),
            (false, false) => self.b.ins().uextend(wasm, x),
        };
        self.push(x);
    }

    fn replace_lane(&mut self, shape: Type, lane: u8) {
        let scalar = self.pop();
        let v = self.pop_vec(shape);
        let x = self.narrow_to_lane(scalar, shape);
        let v = self.b.ins().insertlane(v, x, lane);
        self.push_vec(v);
    }

    /// v128 bitwise operators and whole-vector tests.
    fn translate_simd_bitwise(&mut self, op: &Operator<'_>) -> bool {
        match op {
            Operator::V128Not => self.vec_unary(I8X16, |t, a| t.b.ins().bnot(a)),
            Operator::V128And => self.vec_binary(I8X16, |t, a, b| t.b.ins().band(a, b)),
            Operator::V128AndNot => self.vec_binary(I8X16, |t, a, b| t.b.ins().band_not(a, b)),
            Operator::V128Or => self.vec_binary(I8X16, |t, a, b| t.b.ins().bor(a, b)),
            Operator::V128Xor => self.vec_binary(I8X16, |t, a, b| t.b.ins().bxor(a, b)),
            Operator::V128Bitselect => self.bitselect(),
            Operator::V128AnyTrue => {
                let v = self.pop_vec(I8X16);
                let any = self.b.ins().vany_true(v);
                let any = self.b.ins().uextend(I32, any);
                self.push(any);
            }
            Operator::I8x16AllTrue => self.all_true(I8X16),
            Operator::I16x8AllTrue => self.all_true(I16X8),
            Operator::I32x4AllTrue => self.all_true(I32X4),
            Operator::I64x2AllTrue => self.all_true(I64X2),
            Operator::I8x16Bitmask => self.bitmask(I8X16),
            Operator::I16x8Bitmask => self.bitmask(I16X8),
            Operator::I32x4Bitmask => self.bitmask(I32X4),
            Operator::I64x2Bitmask => self.bitmask(I64X2),
            _ => return false,
        }
        true
    }

    /// `v128.bitselect v1 v2 c`: bits of v1 where c is 1, of v2 elsewhere.
    pub(crate) fn bitselect(&mut self) {
        let c = self.pop_vec(I8X16);
        let (v1, v2) = self.pop2_vec(I8X16);
        let v = self.b.ins().bitselect(c, v1, v2);
        self.push(v);
    }

    fn all_true(&mut self, shape: Type) {
        let v = self.pop_vec(shape);
        let all = self.b.ins().vall_true(v);
        let all = self.b.ins().uextend(I32, all);
        self.push(all);
    }

    fn bitmask(&mut self, shape: Type) {
        let v = self.pop_vec(shape);
        let mask = self.b.ins().vhigh_bits(I32, v);
        self.push(mask);
    }

    /// Lane-wise comparisons: each lane becomes all ones or all zeros.
    fn translate_simd_compare(&mut self, op: &Operator<'_>) -> bool {
        use FloatCC as F;
        use IntCC as I;
        let (int, float) = match op {
            Operator::I8x16Eq => (Some((I8X16, I::Equal)), None),
            Operator::I8x16Ne => (Some((I8X16, I::NotEqual)), None),
            Operator::I8x16LtS => (Some((I8X16, I::SignedLessThan)), None),
            Operator::I8x16LtU => (Some((I8X16, I::UnsignedLessThan)), None),
            Operator::I8x16GtS => (Some((I8X16, I::SignedGreaterThan)), None),
            Operator::I8x16GtU => (Some((I8X16, I::UnsignedGreaterThan)), None),
            Operator::I8x16LeS => (Some((I8X16, I::SignedLessThanOrEqual)), None),
            Operator::I8x16LeU => (Some((I8X16, I::UnsignedLessThanOrEqual)), None),
            Operator::I8x16GeS => (Some((I8X16, I::SignedGreaterThanOrEqual)), None),
            Operator::I8x16GeU => (Some((I8X16, I::UnsignedGreaterThanOrEqual)), None),
            Operator::I16x8Eq => (Some((I16X8, I::Equal)), None),
            Operator::I16x8Ne => (Some((I16X8, I::NotEqual)), None),
            Operator::I16x8LtS => (Some((I16X8, I::SignedLessThan)), None),
            Operator::I16x8LtU => (Some((I16X8, I::UnsignedLessThan)), None),
            Operator::I16x8GtS => (Some((I16X8, I::SignedGreaterThan)), None),
            Operator::I16x8GtU => (Some((I16X8, I::UnsignedGreaterThan)), None),
            Operator::I16x8LeS => (Some((I16X8, I::SignedLessThanOrEqual)), None),
            Operator::I16x8LeU => (Some((I16X8, I::UnsignedLessThanOrEqual)), None),
            Operator::I16x8GeS => (Some((I16X8, I::SignedGreaterThanOrEqual)), None),
            Operator::I16x8GeU => (Some((I16X8, I::UnsignedGreaterThanOrEqual)), None),
            Operator::I32x4Eq => (Some((I32X4, I::Equal)), None),
            Operator::I32x4Ne => (Some((I32X4, I::NotEqual)), None),
            Operator::I32x4LtS => (Some((I32X4, I::SignedLessThan)), None),
            Operator::I32x4LtU => (Some((I32X4, I::UnsignedLessThan)), None),
            Operator::I32x4GtS => (Some((I32X4, I::SignedGreaterThan)), None),
            Operator::I32x4GtU => (Some((I32X4, I::UnsignedGreaterThan)), None),
            Operator::I32x4LeS => (Some((I32X4, I::SignedLessThanOrEqual)), None),
            Operator::I32x4LeU => (Some((I32X4, I::UnsignedLessThanOrEqual)), None),
            Operator::I32x4GeS => (Some((I32X4, I::SignedGreaterThanOrEqual)), None),
            Operator::I32x4GeU => (Some((I32X4, I::UnsignedGreaterThanOrEqual)), None),
            Operator::I64x2Eq => (Some((I64X2, I::Equal)), None),
            Operator::I64x2Ne => (Some((I64X2, I::NotEqual)), None),
            Operator::I64x2LtS => (Some((I64X2, I::SignedLessThan)), None),
            Operator::I64x2GtS => (Some((I64X2, I::SignedGreaterThan)), None),
            Operator::I64x2LeS => (Some((I64X2, I::SignedLessThanOrEqual)), None),
            Operator::I64x2GeS => (Some((I64X2, I::SignedGreaterThanOrEqual)), None),
            Operator::F32x4Eq => (None, Some((F32X4, F::Equal))),
            Operator::F32x4Ne => (None, Some((F32X4, F::NotEqual))),
            Operator::F32x4Lt => (None, Some((F32X4, F::LessThan))),
            Operator::F32x4Gt => (None, Some((F32X4, F::GreaterThan))),
            Operator::F32x4Le => (None, Some((F32X4, F::LessThanOrEqual))),
            Operator::F32x4Ge => (None, Some((F32X4, F::GreaterThanOrEqual))),
            Operator::F64x2Eq => (None, Some((F64X2, F::Equal))),
            Operator::F64x2Ne => (None, Some((F64X2, F::NotEqual))),
            Operator::F64x2Lt => (None, Some((F64X2, F::LessThan))),
            Operator::F64x2Gt => (None, Some((F64X2, F::GreaterThan))),
            Operator::F64x2Le => (None, Some((F64X2, F::LessThanOrEqual))),
            Operator::F64x2Ge => (None, Some((F64X2, F::GreaterThanOrEqual))),
            _ => return false,
        };
        if let Some((shape, cc)) = int {
            self.vec_binary(shape, |t, a, b| t.b.ins().icmp(cc, a, b));
        } else if let Some((shape, cc)) = float {
            self.vec_binary(shape, |t, a, b| t.b.ins().fcmp(cc, a, b));
        }
        true
    }

    /// v128 loads and stores, whole, extending, splatting, zeroing and per lane.
    fn translate_simd_memory(&mut self, op: &Operator<'_>) -> Result<bool> {
        match op {
            Operator::V128Load { memarg } => {
                let (addr, offset) = self.effective_address(memarg, 16)?;
                let v = self.b.ins().load(I8X16, MemFlagsData::new(), addr, offset);
                self.push(v);
            }
            Operator::V128Store { memarg } => {
                let v = self.pop_vec(I8X16);
                let (addr, offset) = self.effective_address(memarg, 16)?;
                self.b.ins().store(MemFlagsData::new(), v, addr, offset);
            }
            Operator::V128Load8x8S { memarg } => self.load_extend(memarg, |t, a, o| {
                t.b.ins().sload8x8(MemFlagsData::new(), a, o)
            })?,
            Operator::V128Load8x8U { memarg } => self.load_extend(memarg, |t, a, o| {
                t.b.ins().uload8x8(MemFlagsData::new(), a, o)
            })?,
            Operator::V128Load16x4S { memarg } => self.load_extend(memarg, |t, a, o| {
                t.b.ins().sload16x4(MemFlagsData::new(), a, o)
            })?,
            Operator::V128Load16x4U { memarg } => self.load_extend(memarg, |t, a, o| {
                t.b.ins().uload16x4(MemFlagsData::new(), a, o)
            })?,
            Operator::V128Load32x2S { memarg } => self.load_extend(memarg, |t, a, o| {
                t.b.ins().sload32x2(MemFlagsData::new(), a, o)
            })?,
            Operator::V128Load32x2U { memarg } => self.load_extend(memarg, |t, a, o| {
                t.b.ins().uload32x2(MemFlagsData::new(), a, o)
            })?,
            Operator::V128Load8Splat { memarg } => self.load_splat(memarg, I8X16)?,
            Operator::V128Load16Splat { memarg } => self.load_splat(memarg, I16X8)?,
            Operator::V128Load32Splat { memarg } => self.load_splat(memarg, I32X4)?,
            Operator::V128Load64Splat { memarg } => self.load_splat(memarg, I64X2)?,
            Operator::V128Load32Zero { memarg } => self.load_zero(memarg, I32, I32X4)?,
            Operator::V128Load64Zero { memarg } => self.load_zero(memarg, I64, I64X2)?,
            Operator::V128Load8Lane { memarg, lane } => self.load_lane(memarg, I8X16, *lane)?,
            Operator::V128Load16Lane { memarg, lane } => self.load_lane(memarg, I16X8, *lane)?,
            Operator::V128Load32Lane { memarg, lane } => self.load_lane(memarg, I32X4, *lane)?,
            Operator::V128Load64Lane { memarg, lane } => self.load_lane(memarg, I64X2, *lane)?,
            Operator::V128Store8Lane { memarg, lane } => self.store_lane(memarg, I8X16, *lane)?,
            Operator::V128Store16Lane { memarg, lane } => self.store_lane(memarg, I16X8, *lane)?,
            Operator::V128Store32Lane { memarg, lane } => self.store_lane(memarg, I32X4, *lane)?,
            Operator::V128Store64Lane { memarg, lane } => self.store_lane(memarg, I64X2, *lane)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Loads 8 bytes and widens each lane (`v128.load8x8_s` and friends).
    fn load_extend(
        &mut self,
        memarg: &MemArg,
        load: impl FnOnce(&mut Self, Value, i32) -> Value,
    ) -> Result<()> {
        let (addr, offset) = self.effective_address(memarg, 8)?;
        let v = load(self, addr, offset);
        self.push_vec(v);
        Ok(())
    }

    fn load_splat(&mut self, memarg: &MemArg, shape: Type) -> Result<()> {
        let lane = shape.lane_type();
        let (addr, offset) = self.effective_address(memarg, lane.bytes())?;
        let x = self.b.ins().load(lane, MemFlagsData::new(), addr, offset);
        let v = self.b.ins().splat(shape, x);
        self.push_vec(v);
        Ok(())
    }

    fn load_zero(&mut self, memarg: &MemArg, scalar: Type, shape: Type) -> Result<()> {
        let (addr, offset) = self.effective_address(memarg, scalar.bytes())?;
        let x = self.b.ins().load(scalar, MemFlagsData::new(), addr, offset);
        // scalar_to_vector zeroes every other lane.
        let v = self.b.ins().scalar_to_vector(shape, x);
        self.push_vec(v);
        Ok(())
    }

    fn load_lane(&mut self, memarg: &MemArg, shape: Type, lane: u8) -> Result<()> {
        let v = self.pop_vec(shape);
        let lane_ty = shape.lane_type();
        let (addr, offset) = self.effective_address(memarg, lane_ty.bytes())?;
        let x = self
            .b
            .ins()
            .load(lane_ty, MemFlagsData::new(), addr, offset);
        let v = self.b.ins().insertlane(v, x, lane);
        self.push_vec(v);
        Ok(())
    }

    fn store_lane(&mut self, memarg: &MemArg, shape: Type, lane: u8) -> Result<()> {
        let v = self.pop_vec(shape);
        let (addr, offset) = self.effective_address(memarg, shape.lane_type().bytes())?;
        let x = self.b.ins().extractlane(v, lane);
        self.b.ins().store(MemFlagsData::new(), x, addr, offset);
        Ok(())
    }
}
