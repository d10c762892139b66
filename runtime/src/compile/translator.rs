//! Translation state for one function body and the operator dispatch.
//!
//! Operators are translated by family in sibling files (control, variables,
//! memory, numeric, table, call); each family's `translate_*` returns
//! `Ok(false)` for operators that are not its own.

use crate::compile::ModuleEnv;
use crate::error::{Error, Result};
use crate::types::ValType;
use cranelift_codegen::ir::{
    self, types, AbiParam, ArgumentPurpose, BlockArg, GlobalValueData, InstBuilder, MemFlagsData,
    Signature, Value,
};
use cranelift_frontend::{FunctionBuilder, Variable};
use hashbrown::HashMap;
use wasmparser::{FunctionBody, Operator};

/// Our user trap codes (Cranelift's reserved ones cover the rest).
pub(crate) mod trap_codes {
    use cranelift_codegen::ir::TrapCode;
    pub const UNREACHABLE: TrapCode = TrapCode::unwrap_user(1);
    pub const UNDEFINED_ELEMENT: TrapCode = TrapCode::unwrap_user(2);
    pub const UNINITIALIZED_ELEMENT: TrapCode = TrapCode::unwrap_user(3);
    pub const BAD_SIGNATURE: TrapCode = TrapCode::unwrap_user(4);
    pub const TABLE_OUT_OF_BOUNDS: TrapCode = TrapCode::unwrap_user(5);
    pub const INTERRUPT: TrapCode = TrapCode::unwrap_user(6);
}

/// Cranelift type of a wasm value type.
pub(crate) fn ir_type(ty: ValType) -> Result<ir::Type> {
    Ok(match ty {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::FuncRef | ValType::ExternRef | ValType::ExnRef => types::I64,
        ValType::V128 => types::I8X16,
    })
}

/// The calling convention of every wasm function (and host stub): Cranelift's
/// `tail`, the one in which `return_call` reuses the caller's frame, so that
/// tail calls run in constant stack, also across modules.
pub(crate) const WASM_CALL_CONV: cranelift_codegen::isa::CallConv =
    cranelift_codegen::isa::CallConv::Tail;

/// Signature of a wasm function in wrun's calling convention:
/// `(callee_vmctx, caller_vmctx, params...) -> results`.
pub(crate) fn wasm_signature(ty: &crate::types::FuncType) -> Result<Signature> {
    let mut sig = Signature::new(WASM_CALL_CONV);
    sig.params
        .push(AbiParam::special(types::I64, ArgumentPurpose::VMContext));
    sig.params.push(AbiParam::new(types::I64));
    for p in ty.params() {
        sig.params.push(AbiParam::new(ir_type(*p)?));
    }
    for r in ty.results() {
        sig.returns.push(AbiParam::new(ir_type(*r)?));
    }
    Ok(sig)
}

pub(crate) fn block_args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|v| BlockArg::Value(*v)).collect()
}

/// Flags for loads/stores of vmctx fields and runtime structs: always valid, aligned.
pub(crate) fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Flags for vmctx fields that never change after instantiation.
pub(crate) fn readonly() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameKind {
    Function,
    Block,
    Loop,
    If,
    /// `try_table`.
    TryTable,
    /// Legacy `try`, before its first `catch`.
    Try,
    /// Legacy `try`, in a `catch` or `catch_all` body.
    Catch,
}

/// One entry of the control stack.
#[derive(Debug)]
pub(crate) struct Frame {
    pub kind: FrameKind,
    /// Where `br` to this frame goes: the loop header, or `next`.
    pub br_target: ir::Block,
    /// The block after `end`; its params are the frame's results.
    pub next: ir::Block,
    pub num_params: usize,
    pub num_results: usize,
    /// Operand stack height below the frame's params.
    pub height: usize,
    /// Whether some branch targets `next`.
    pub exit_reachable: bool,
    /// For `if`: the else block and the params to re-push for it, until `else` is seen.
    pub pending_else: Option<(ir::Block, Vec<Value>)>,
    /// For `try_table` and legacy `try`: handlers and caught exceptions.
    pub eh: Option<Box<crate::compile::exceptions::ExceptionFrame>>,
}

impl Frame {
    /// A frame with nothing pending: no `else`, no handler, no exit reached yet.
    pub fn new(
        kind: FrameKind,
        br_target: ir::Block,
        next: ir::Block,
        num_params: usize,
        num_results: usize,
        height: usize,
    ) -> Frame {
        Frame {
            kind,
            br_target,
            next,
            num_params,
            num_results,
            height,
            exit_reachable: false,
            pending_else: None,
            eh: None,
        }
    }

    /// How many values a branch to this frame carries.
    pub fn branch_arity(&self) -> usize {
        if self.kind == FrameKind::Loop {
            self.num_params
        } else {
            self.num_results
        }
    }
}

/// Translates one function body into Cranelift IR.
pub(crate) struct FuncTranslator<'a, 'b> {
    pub b: FunctionBuilder<'b>,
    pub env: &'a ModuleEnv<'a>,
    pub stack: Vec<Value>,
    pub control: Vec<Frame>,
    pub reachable: bool,
    /// Nesting depth of blocks opened while unreachable (skipped entirely).
    pub unreachable_depth: u32,
    pub locals: Vec<Variable>,
    pub vmctx: Value,
    pub func_refs: HashMap<u32, ir::FuncRef>,
    pub sig_refs: HashMap<u32, ir::SigRef>,
    /// Signature of each libcall called so far (they are called indirectly).
    pub libcall_refs: HashMap<crate::libcall::Libcall, ir::SigRef>,
    /// Whether the engine has epoch interruption on (see `epoch_check`).
    pub epoch_checks: bool,
    /// Where exceptions with no handler in this function go: a block that
    /// unwinds to a caller's handler (created on first use; see
    /// `compile/exceptions.rs`).
    pub unwind: Option<ir::Block>,
}

impl<'a, 'b> FuncTranslator<'a, 'b> {
    /// Sets up the entry block, locals and the function frame.
    pub fn new(
        mut b: FunctionBuilder<'b>,
        env: &'a ModuleEnv<'a>,
        func_index: u32,
    ) -> Result<Self> {
        let ty = env.info.func_type(func_index);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let vmctx = b.block_params(entry)[0];
        let vmctx_gv = b.func.create_global_value(GlobalValueData::VMContext);

        // Stack limit: vmctx -> store context -> stack_limit, checked in the prologue.
        let flags = b.func.dfg.mem_flags.insert(readonly()).expect("memflags");
        let store_ctx = b.func.create_global_value(GlobalValueData::Load {
            base: vmctx_gv,
            offset: (env.offsets.store_context() as i32).into(),
            global_type: types::I64,
            flags,
        });
        let limit = b.func.create_global_value(GlobalValueData::Load {
            base: store_ctx,
            offset: 0.into(),
            global_type: types::I64,
            flags,
        });
        b.func.stack_limit = Some(limit);
        let epoch_checks = env.epoch_interruption;

        let mut locals = Vec::new();
        for (i, p) in ty.params().iter().enumerate() {
            let var = b.declare_var(ir_type(*p)?);
            let value = b.block_params(entry)[i + 2];
            b.def_var(var, value);
            locals.push(var);
        }
        let results = ty
            .results()
            .iter()
            .map(|t| ir_type(*t))
            .collect::<Result<Vec<_>>>()?;
        let exit = b.create_block();
        for t in &results {
            b.append_block_param(exit, *t);
        }
        let frame = Frame::new(FrameKind::Function, exit, exit, 0, results.len(), 0);
        let mut translator = FuncTranslator {
            b,
            env,
            stack: Vec::new(),
            control: vec![frame],
            reachable: true,
            unreachable_depth: 0,
            locals,
            vmctx,
            func_refs: HashMap::new(),
            sig_refs: HashMap::new(),
            libcall_refs: HashMap::new(),
            epoch_checks,
            unwind: None,
        };
        translator.epoch_check();
        Ok(translator)
    }

    /// Traps with "interrupt" once the engine's epoch reached the store's
    /// deadline (emitted at function entry and loop headers when the engine
    /// has epoch interruption on; nothing is emitted otherwise): one read of
    /// the store's poll page, which the entry trampoline put in the pinned
    /// register. The engine protects the page at the deadline
    /// (`vm::epoch_watch`), and the fault at this PC is the trap.
    pub fn epoch_check(&mut self) {
        if !self.epoch_checks {
            return;
        }
        let poll = self.b.ins().get_pinned_reg(types::I64);
        // An atomic load: a plain load whose value is unused would be
        // removed, and one in a loop without stores would be merged with the
        // one before it (Cranelift's redundant-load elimination). On x86-64
        // it is a plain `mov`.
        let flags = MemFlagsData::new()
            .with_aligned()
            .with_trap_code(Some(trap_codes::INTERRUPT));
        self.b.ins().atomic_load(types::I32, flags, poll);
    }

    /// Translates locals and operators of `body`, then finishes the function.
    pub fn translate_body(mut self, body: &FunctionBody<'_>) -> Result<()> {
        for local in body.get_locals_reader()? {
            let (count, ty) = local?;
            let ty = ValType::from_wasm(ty)?;
            let ir_ty = ir_type(ty)?;
            for _ in 0..count {
                let var = self.b.declare_var(ir_ty);
                let zero = self.zero(ir_ty);
                self.b.def_var(var, zero);
                self.locals.push(var);
            }
        }
        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            self.translate_operator(&op)?;
        }
        self.finish_unwind_block()?;
        self.b.finalize(self.env.frontend_config);
        Ok(())
    }

    pub fn zero(&mut self, ty: ir::Type) -> Value {
        match ty {
            types::F32 => self.b.ins().f32const(0.0),
            types::F64 => self.b.ins().f64const(0.0),
            ty if ty.is_vector() => self.vconst(ty, &[0; 16]),
            _ => self.b.ins().iconst(ty, 0),
        }
    }

    fn translate_operator(&mut self, op: &Operator<'_>) -> Result<()> {
        if !self.reachable {
            return self.translate_unreachable_operator(op);
        }
        if self.translate_control(op)?
            || self.translate_variable(op)?
            || self.translate_numeric(op)?
            || self.translate_memory(op)?
            || self.translate_call(op)?
            || self.translate_table(op)?
            || self.translate_simd(op)?
            || self.translate_exceptions(op)?
        {
            return Ok(());
        }
        Err(unsupported_operator(op))
    }

    /// Pops one operand.
    pub fn pop(&mut self) -> Value {
        self.stack
            .pop()
            .expect("validated: operand stack underflow")
    }

    /// Pops two operands (in push order).
    pub fn pop2(&mut self) -> (Value, Value) {
        let b = self.pop();
        let a = self.pop();
        (a, b)
    }

    /// Pops three operands (in push order).
    pub fn pop3(&mut self) -> (Value, Value, Value) {
        let c = self.pop();
        let (a, b) = self.pop2();
        (a, b, c)
    }

    /// Pops `n` operands (in push order).
    pub fn pop_n(&mut self, n: usize) -> Vec<Value> {
        let at = self.stack.len() - n;
        self.stack.split_off(at)
    }

    /// The top `n` operands, without popping.
    pub fn peek_n(&self, n: usize) -> &[Value] {
        &self.stack[self.stack.len() - n..]
    }

    pub fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    /// Loads a pointer-sized field of the vmctx.
    pub fn load_vmctx_ptr(&mut self, offset: u32, flags: MemFlagsData) -> Value {
        self.b
            .ins()
            .load(types::I64, flags, self.vmctx, offset as i32)
    }
}

pub(crate) fn unsupported_operator(op: &Operator<'_>) -> Error {
    let name = format!("{op:?}");
    let short = name.split([' ', '{', '(']).next().unwrap_or(&name);
    let is_simd = short.starts_with("V128")
        || ["x2", "x4", "x8", "x16"]
            .iter()
            .any(|lanes| short.contains(lanes));
    if is_simd {
        Error::unsupported(format!("SIMD (operator {short})"))
    } else {
        Error::unsupported(format!("operator {short}"))
    }
}
