//! Tables and references: table.get/set/size inline, the rest via libcalls;
//! ref.null, ref.is_null, ref.func.

use crate::compile::translator::{readonly, trap_codes, trusted, FuncTranslator};
use crate::error::Result;
use crate::libcall::Libcall;
use crate::vmoffsets::{TABLE_DEF_BASE, TABLE_DEF_LENGTH};
use cranelift_codegen::ir::{
    condcodes::IntCC,
    types::{I32, I64},
    InstBuilder, TrapCode, Value,
};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_table(&mut self, op: &Operator<'_>) -> Result<bool> {
        match op {
            Operator::TableGet { table } => {
                let index = self.pop();
                let addr =
                    self.table_element_address(*table, index, trap_codes::TABLE_OUT_OF_BOUNDS);
                let v = self.b.ins().load(I64, trusted(), addr, 0);
                self.push(v);
            }
            Operator::TableSet { table } => {
                let (index, value) = self.pop2();
                let addr =
                    self.table_element_address(*table, index, trap_codes::TABLE_OUT_OF_BOUNDS);
                self.b.ins().store(trusted(), value, addr, 0);
            }
            Operator::TableSize { table } => {
                let def = self.table_definition(*table);
                let len = self.b.ins().load(I64, trusted(), def, TABLE_DEF_LENGTH);
                let v = self.b.ins().ireduce(I32, len);
                self.push(v);
            }
            Operator::TableGrow { table } => {
                let (init, delta) = self.pop2();
                let t = self.b.ins().iconst(I32, i64::from(*table));
                let v = self.call_libcall(Libcall::TableGrow, &[t, init, delta])?;
                self.push(v[0]);
            }
            Operator::TableFill { table } => {
                let (dst, value, len) = self.pop3();
                let t = self.b.ins().iconst(I32, i64::from(*table));
                self.call_libcall(Libcall::TableFill, &[t, dst, value, len])?;
            }
            Operator::TableCopy {
                dst_table,
                src_table,
            } => {
                let (dst, src, len) = self.pop3();
                let d = self.b.ins().iconst(I32, i64::from(*dst_table));
                let s = self.b.ins().iconst(I32, i64::from(*src_table));
                self.call_libcall(Libcall::TableCopy, &[d, s, dst, src, len])?;
            }
            Operator::TableInit { elem_index, table } => {
                let (dst, src, len) = self.pop3();
                let t = self.b.ins().iconst(I32, i64::from(*table));
                let e = self.b.ins().iconst(I32, i64::from(*elem_index));
                self.call_libcall(Libcall::TableInit, &[t, e, dst, src, len])?;
            }
            Operator::ElemDrop { elem_index } => {
                let e = self.b.ins().iconst(I32, i64::from(*elem_index));
                self.call_libcall(Libcall::ElemDrop, &[e])?;
            }
            Operator::RefNull { .. } => {
                let v = self.b.ins().iconst(I64, 0);
                self.push(v);
            }
            Operator::RefIsNull => {
                let r = self.pop();
                let c = self.b.ins().icmp_imm_u(IntCC::Equal, r, 0);
                let v = self.b.ins().uextend(I32, c);
                self.push(v);
            }
            Operator::RefFunc { function_index } => {
                let offset = self.env.offsets.funcref(*function_index);
                let v = self.b.ins().iadd_imm_u(self.vmctx, i64::from(offset));
                self.push(v);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Pointer to table `table`'s definition.
    pub(crate) fn table_definition(&mut self, table: u32) -> Value {
        let offset = self.env.offsets.table(table);
        self.load_vmctx_ptr(offset, readonly())
    }

    /// Address of element `index` of `table`, trapping with `oob` past the end.
    pub(crate) fn table_element_address(
        &mut self,
        table: u32,
        index: Value,
        oob: TrapCode,
    ) -> Value {
        let def = self.table_definition(table);
        // A table whose maximum is its minimum never grows (for an import,
        // subtyping guarantees the same of the actual table), so its length
        // is a constant and its elements never move: both can be hoisted.
        let ty = self.env.info.tables[table as usize];
        let fixed_size = ty.maximum == Some(ty.minimum);
        let len = if fixed_size {
            self.b.ins().iconst(I64, ty.minimum as i64)
        } else {
            self.b.ins().load(I64, trusted(), def, TABLE_DEF_LENGTH)
        };
        let index = self.b.ins().uextend(I64, index);
        let out_of_bounds = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
        self.b.ins().trapnz(out_of_bounds, oob);
        let base_flags = if fixed_size { readonly() } else { trusted() };
        let base = self.b.ins().load(I64, base_flags, def, TABLE_DEF_BASE);
        let byte_offset = self.b.ins().ishl_imm_u(index, 3);
        self.b.ins().iadd(base, byte_offset)
    }
}
