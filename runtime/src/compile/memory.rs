//! Loads, stores, memory.size/grow and bulk memory.
//!
//! Addresses are `base + zext(i32 index) + offset`. With guard pages (the
//! default), the 8 GiB reservation of every linear memory (see `vm::memory`)
//! makes any such address either valid or a guard-page fault, so no bounds
//! check is emitted. Where the OS refuses such reservations (a `ulimit -v`),
//! the engine compiles explicit checks against the memory's current length
//! instead (`ModuleEnv::bounds_checks`).

use crate::compile::translator::{readonly, trusted, FuncTranslator};
use crate::error::{Error, Result};
use crate::libcall::Libcall;
use crate::vmoffsets::MEMORY_DEF_LENGTH;
use cranelift_codegen::ir::{
    condcodes::IntCC,
    types::{F32, F64, I32, I64},
    InstBuilder, MemFlagsData, TrapCode, Type, Value,
};
use wasmparser::{MemArg, MemArgTarget, Operator};

/// How a load extends its value.
#[derive(Clone, Copy)]
enum Load {
    Plain(Type),
    Signed8(Type),
    Unsigned8(Type),
    Signed16(Type),
    Unsigned16(Type),
    Signed32,
    Unsigned32,
}

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_memory(&mut self, op: &Operator<'_>) -> Result<bool> {
        match op {
            Operator::I32Load { memarg } => self.load(memarg, Load::Plain(I32))?,
            Operator::I64Load { memarg } => self.load(memarg, Load::Plain(I64))?,
            Operator::F32Load { memarg } => self.load(memarg, Load::Plain(F32))?,
            Operator::F64Load { memarg } => self.load(memarg, Load::Plain(F64))?,
            Operator::I32Load8S { memarg } => self.load(memarg, Load::Signed8(I32))?,
            Operator::I32Load8U { memarg } => self.load(memarg, Load::Unsigned8(I32))?,
            Operator::I32Load16S { memarg } => self.load(memarg, Load::Signed16(I32))?,
            Operator::I32Load16U { memarg } => self.load(memarg, Load::Unsigned16(I32))?,
            Operator::I64Load8S { memarg } => self.load(memarg, Load::Signed8(I64))?,
            Operator::I64Load8U { memarg } => self.load(memarg, Load::Unsigned8(I64))?,
            Operator::I64Load16S { memarg } => self.load(memarg, Load::Signed16(I64))?,
            Operator::I64Load16U { memarg } => self.load(memarg, Load::Unsigned16(I64))?,
            Operator::I64Load32S { memarg } => self.load(memarg, Load::Signed32)?,
            Operator::I64Load32U { memarg } => self.load(memarg, Load::Unsigned32)?,
            Operator::I32Store { memarg }
            | Operator::I64Store { memarg }
            | Operator::F32Store { memarg }
            | Operator::F64Store { memarg } => self.store(memarg, 0)?,
            Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => {
                self.store(memarg, 8)?
            }
            Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => {
                self.store(memarg, 16)?
            }
            Operator::I64Store32 { memarg } => self.store(memarg, 32)?,
            Operator::MemorySize { mem } => {
                let def = self.memory_definition(*mem);
                let len = self.b.ins().load(I64, trusted(), def, MEMORY_DEF_LENGTH);
                let pages = self.b.ins().ushr_imm_u(len, 16);
                let v = self.b.ins().ireduce(I32, pages);
                self.push(v);
            }
            Operator::MemoryGrow { mem } => {
                let delta = self.pop();
                let index = self.b.ins().iconst(I32, i64::from(*mem));
                let v = self.call_libcall(Libcall::MemoryGrow, &[index, delta])?;
                self.push(v[0]);
            }
            Operator::MemoryFill { mem } => {
                let (dst, val, len) = self.pop3();
                let index = self.b.ins().iconst(I32, i64::from(*mem));
                self.call_libcall(Libcall::MemoryFill, &[index, dst, val, len])?;
            }
            Operator::MemoryCopy { dst_mem, src_mem } => {
                let (dst, src, len) = self.pop3();
                let d = self.b.ins().iconst(I32, i64::from(*dst_mem));
                let s = self.b.ins().iconst(I32, i64::from(*src_mem));
                self.call_libcall(Libcall::MemoryCopy, &[d, s, dst, src, len])?;
            }
            Operator::MemoryInit { data_index, mem } => {
                let (dst, src, len) = self.pop3();
                let m = self.b.ins().iconst(I32, i64::from(*mem));
                let d = self.b.ins().iconst(I32, i64::from(*data_index));
                self.call_libcall(Libcall::MemoryInit, &[m, d, dst, src, len])?;
            }
            Operator::DataDrop { data_index } => {
                let d = self.b.ins().iconst(I32, i64::from(*data_index));
                self.call_libcall(Libcall::DataDrop, &[d])?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Pointer to memory `index`'s definition (read-only, so Cranelift may hoist it).
    fn memory_definition(&mut self, index: u32) -> Value {
        let offset = self.env.offsets.memory(index);
        self.load_vmctx_ptr(offset, readonly())
    }

    /// Base address of memory `index`, copied into the vmctx at
    /// instantiation: it never moves (see vm::memory).
    fn memory_base(&mut self, index: u32) -> Value {
        let offset = self.env.offsets.memory_base(index);
        self.load_vmctx_ptr(offset, readonly())
    }

    /// Native address and immediate offset for an access of `bytes` bytes
    /// at `memarg`.
    pub(crate) fn effective_address(
        &mut self,
        memarg: &MemArg,
        bytes: u32,
    ) -> Result<(Value, i32)> {
        let MemArgTarget::Memory(memory) = memarg.target else {
            return Err(Error::unsupported("this memory access target"));
        };
        let index = self.pop();
        let base = self.memory_base(memory);
        let index = self.b.ins().uextend(I64, index);
        if self.env.bounds_checks {
            // index + offset + bytes <= current length, in 64 bits (no
            // overflow: each term is below 2^33).
            let def = self.memory_definition(memory);
            let len = self.b.ins().load(I64, trusted(), def, MEMORY_DEF_LENGTH);
            let end = self
                .b
                .ins()
                .iadd_imm_u(index, (memarg.offset + u64::from(bytes)) as i64);
            let out = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
            self.b.ins().trapnz(out, TrapCode::HEAP_OUT_OF_BOUNDS);
        }
        let addr = self.b.ins().iadd(base, index);
        Ok(match i32::try_from(memarg.offset) {
            Ok(offset) => (addr, offset),
            Err(_) => (self.b.ins().iadd_imm_u(addr, memarg.offset as i64), 0),
        })
    }

    fn load(&mut self, memarg: &MemArg, kind: Load) -> Result<()> {
        let bytes = match kind {
            Load::Plain(ty) => ty.bytes(),
            Load::Signed8(_) | Load::Unsigned8(_) => 1,
            Load::Signed16(_) | Load::Unsigned16(_) => 2,
            Load::Signed32 | Load::Unsigned32 => 4,
        };
        let (addr, offset) = self.effective_address(memarg, bytes)?;
        let flags = MemFlagsData::new();
        let ins = self.b.ins();
        let v = match kind {
            Load::Plain(ty) => ins.load(ty, flags, addr, offset),
            Load::Signed8(ty) => ins.sload8(ty, flags, addr, offset),
            Load::Unsigned8(ty) => ins.uload8(ty, flags, addr, offset),
            Load::Signed16(ty) => ins.sload16(ty, flags, addr, offset),
            Load::Unsigned16(ty) => ins.uload16(ty, flags, addr, offset),
            Load::Signed32 => ins.sload32(flags, addr, offset),
            Load::Unsigned32 => ins.uload32(flags, addr, offset),
        };
        self.push(v);
        Ok(())
    }

    /// Stores the top value; `narrow_bits` is 0 for a full-width store.
    fn store(&mut self, memarg: &MemArg, narrow_bits: u8) -> Result<()> {
        let value = self.pop();
        let bytes = match narrow_bits {
            0 => self.b.func.dfg.value_type(value).bytes(),
            bits => u32::from(bits) / 8,
        };
        let (addr, offset) = self.effective_address(memarg, bytes)?;
        let flags = MemFlagsData::new();
        let ins = self.b.ins();
        match narrow_bits {
            8 => ins.istore8(flags, value, addr, offset),
            16 => ins.istore16(flags, value, addr, offset),
            32 => ins.istore32(flags, value, addr, offset),
            _ => ins.store(flags, value, addr, offset),
        };
        Ok(())
    }
}
