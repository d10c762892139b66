//! Exception handling: `throw`, `throw_ref`, `try_table` (the standard
//! form) and `try`/`catch`/`catch_all`/`rethrow`/`delegate` (the legacy form
//! clang-19 emits for `-fwasm-exceptions`).
//!
//! A throw stores the exception in the store
//! (`VMStoreContext::pending_exception`, see `vm::exceptions`) and jumps to
//! the innermost handler of its function. With none there, it calls the
//! libcall `UnwindToHandler` (`vm::traps::unwind_to_handler`), which follows
//! the frame-pointer chain to the nearest caller waiting in a handler's
//! scope and resumes at that call's landing pad: calls made inside a
//! `try_table` or `try` body (or a legacy catch body, which must release
//! what it caught) are Cranelift `try_call`s whose exceptional edge goes to
//! the handler. Every other call is a plain call with nothing after it, so
//! code pays for exceptions only inside handler scopes ("zero cost").
//! A handler compares the exception's tag with each `catch` clause in
//! order and branches to the first that matches, or passes the exception on
//! outwards. Inside a handler's scope, direct calls to functions of the
//! module that cannot throw (nothing they reach throws, imports or calls
//! indirectly) stay plain calls too. An exception with no handler before
//! the host becomes the trap "uncaught wasm exception".

use crate::compile::translator::{
    block_args, ir_type, readonly, trap_codes, trusted, Frame, FrameKind, FuncTranslator,
};
use crate::environ::ModuleInfo;
use crate::error::Result;
use crate::libcall::Libcall;
use crate::types::ValType;
use crate::vmoffsets::STORE_CTX_PENDING_EXCEPTION;
use cranelift_codegen::ir::{
    self, condcodes::IntCC, types::I64, InstBuilder, StackSlotData, StackSlotKind, Value,
};
use cranelift_frontend::Variable;
use wasmparser::{Catch, FunctionBody, Operator};

/// What a frame needs for exception handling.
#[derive(Debug, Default)]
pub(crate) struct ExceptionFrame {
    /// Where exceptions raised inside the frame's body go (`try_table`, and
    /// legacy `try` before its first `catch`).
    pub handler: Option<ir::Block>,
    /// `try_table`'s clauses, dispatched at its `end`.
    pub catches: Vec<Catch>,
    /// Legacy `try` after a `catch`: the block testing the next clause (an
    /// exception no clause so far matched), or none after `catch_all`.
    pub next_test: Option<ir::Block>,
    /// Legacy `catch` body: the caught exnref (for `rethrow`; the body
    /// holds it, and releases it however it is left).
    pub caught: Option<Variable>,
    /// Legacy `catch` body: where an exception raised in it goes first, to
    /// release `caught` on its way outwards (created on first use).
    pub cleanup: Option<ir::Block>,
    /// Legacy `try ... delegate l`: the label its exceptions go to.
    pub delegate: Option<u32>,
}

/// Which functions of a module may return with an exception pending: those
/// that throw, call an import or call indirectly, and those that call one.
/// Indexed by function index (imports first, all `true`).
pub(crate) fn functions_that_may_throw(
    info: &ModuleInfo,
    bodies: &[FunctionBody<'_>],
) -> Result<Vec<bool>> {
    let imported = info.num_imported_funcs as usize;
    let mut throws = vec![true; imported];
    throws.resize(info.functions.len(), false);
    let mut callers: Vec<Vec<usize>> = vec![Vec::new(); info.functions.len()];
    for (i, body) in bodies.iter().enumerate() {
        let index = imported + i;
        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            match reader.read()? {
                Operator::Throw { .. }
                | Operator::ThrowRef
                | Operator::Rethrow { .. }
                | Operator::CallIndirect { .. }
                | Operator::ReturnCallIndirect { .. }
                | Operator::CallRef { .. }
                | Operator::ReturnCallRef { .. } => throws[index] = true,
                Operator::Call { function_index } | Operator::ReturnCall { function_index } => {
                    callers[function_index as usize].push(index)
                }
                _ => {}
            }
        }
    }
    let mut work: Vec<usize> = (0..throws.len()).filter(|&f| throws[f]).collect();
    while let Some(f) = work.pop() {
        for &caller in &callers[f] {
            if !throws[caller] {
                throws[caller] = true;
                work.push(caller);
            }
        }
    }
    Ok(throws)
}

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_exceptions(&mut self, op: &Operator<'_>) -> Result<bool> {
        match op {
            Operator::Throw { tag_index } => {
                let params: Vec<ValType> = self.env.info.tag_type(*tag_index).params().to_vec();
                let values = self.pop_n(params.len());
                let slot = self.value_slots(params.len());
                let zero = self.b.ins().iconst(I64, 0);
                for (i, v) in values.iter().enumerate() {
                    // Every byte of a 16-byte slot is written: the runtime
                    // copies whole slots.
                    let offset = (i * 16) as i32;
                    if self.b.func.dfg.value_type(*v).bytes() < 16 {
                        self.b.ins().stack_store(I64, zero, slot, offset);
                        self.b.ins().stack_store(I64, zero, slot, offset + 8);
                    }
                    self.b.ins().stack_store(I64, *v, slot, offset);
                }
                let addr = self.b.ins().stack_addr(I64, slot, 0);
                let tag = self.b.ins().iconst(ir::types::I32, i64::from(*tag_index));
                self.call_libcall(Libcall::Throw, &[tag, addr])?;
                self.propagate();
            }
            Operator::ThrowRef => {
                let exn = self.pop();
                self.call_libcall(Libcall::ThrowRef, &[exn])?;
                self.propagate();
            }
            Operator::TryTable { try_table } => {
                self.open_block(FrameKind::TryTable, try_table.ty)?;
                let handler = self.b.create_block();
                let frame = self.control.last_mut().expect("just pushed");
                frame.eh = Some(Box::new(ExceptionFrame {
                    handler: Some(handler),
                    catches: try_table.catches.clone(),
                    ..ExceptionFrame::default()
                }));
            }
            Operator::Try { blockty } => {
                self.open_block(FrameKind::Try, *blockty)?;
                let handler = self.b.create_block();
                let frame = self.control.last_mut().expect("just pushed");
                frame.eh = Some(Box::new(ExceptionFrame {
                    handler: Some(handler),
                    ..ExceptionFrame::default()
                }));
            }
            Operator::Catch { tag_index } => self.legacy_catch(Some(*tag_index))?,
            Operator::CatchAll => self.legacy_catch(None)?,
            Operator::Rethrow { relative_depth } => {
                let caught = self
                    .frame_at(*relative_depth)
                    .eh
                    .as_ref()
                    .and_then(|eh| eh.caught)
                    .expect("validated: rethrow names a catch");
                let exn = self.b.use_var(caught);
                self.call_libcall(Libcall::ThrowRef, &[exn])?;
                self.propagate();
            }
            Operator::Delegate { relative_depth } => {
                let frame = self
                    .control
                    .last_mut()
                    .expect("validated: delegate ends a try");
                frame.eh.as_mut().expect("a try frame").delegate = Some(*relative_depth);
                self.translate_end()?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// A stack slot of `count` 16-byte value slots (the layout the
    /// exception libcalls read and write).
    fn value_slots(&mut self, count: usize) -> ir::StackSlot {
        let size = (count.max(1) * 16) as u32;
        self.b
            .create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, size, 4))
    }

    /// The store context's pending-exception field, loaded now.
    fn pending_exception(&mut self) -> Value {
        let store_ctx = self.load_vmctx_ptr(self.env.offsets.store_context(), readonly());
        self.b
            .ins()
            .load(I64, trusted(), store_ctx, STORE_CTX_PENDING_EXCEPTION)
    }

    fn clear_pending_exception(&mut self) {
        let store_ctx = self.load_vmctx_ptr(self.env.offsets.store_context(), readonly());
        let zero = self.b.ins().iconst(I64, 0);
        self.b
            .ins()
            .store(trusted(), zero, store_ctx, STORE_CTX_PENDING_EXCEPTION);
    }

    /// The block an exception raised here goes to: the handler of the
    /// innermost `try_table` or legacy `try` body among the frames up to
    /// index `top`, or the function's unwind block. A legacy catch body on
    /// the way is passed through its cleanup block (which releases what it
    /// caught, then goes on outwards).
    fn handler_from(&mut self, top: usize) -> ir::Block {
        let Some(index) = self.handler_frame(top) else {
            return self.unwind_block();
        };
        let frame = &mut self.control[index];
        let eh = frame.eh.as_mut().expect("handler_frame: a frame with eh");
        match frame.kind {
            FrameKind::Catch => *eh.cleanup.get_or_insert_with(|| self.b.create_block()),
            _ => eh.handler.expect("handler_frame: a body with its handler"),
        }
    }

    /// Index of the innermost frame up to `top` where an exception raised
    /// inside stays in this function: a `try_table` or legacy `try` body
    /// (its handler), or a legacy catch body holding what it caught (its
    /// cleanup). `None`: the exception leaves the function.
    fn handler_frame(&self, top: usize) -> Option<usize> {
        (0..=top).rev().find(|&index| {
            let frame = &self.control[index];
            frame.eh.as_ref().is_some_and(|eh| match frame.kind {
                FrameKind::TryTable | FrameKind::Try => eh.handler.is_some(),
                FrameKind::Catch => eh.caught.is_some(),
                _ => false,
            })
        })
    }

    /// The function's unwind block (see `finish_unwind_block`), created on
    /// first use.
    fn unwind_block(&mut self) -> ir::Block {
        *self.unwind.get_or_insert_with(|| self.b.create_block())
    }

    /// Fills the cleanup block of the catch clause ending in the frame at
    /// `index` (if anything used it): release the caught exception, then on
    /// to the handler outside the frame.
    fn finish_catch_cleanup(&mut self, index: usize, eh: &mut ExceptionFrame) -> Result<()> {
        let (Some(cleanup), Some(caught)) = (eh.cleanup.take(), eh.caught) else {
            return Ok(());
        };
        self.b.seal_block(cleanup);
        self.b.switch_to_block(cleanup);
        let exn = self.b.use_var(caught);
        self.call_libcall(Libcall::ExceptionRelease, &[exn])?;
        let target = match index.checked_sub(1) {
            Some(outer) => self.handler_from(outer),
            None => self.unwind_block(),
        };
        self.b.ins().jump(target, &[]);
        Ok(())
    }

    /// Sends the pending exception to the innermost handler; what follows
    /// is unreachable.
    fn propagate(&mut self) {
        let handler = self.handler_from(self.control.len() - 1);
        self.b.ins().jump(handler, &[]);
        self.reachable = false;
    }

    /// Whether an exception raised here has a handler in this function
    /// (the frames `handler_from` would find one in), i.e. whether a call
    /// that may throw must be a `try_call`.
    pub(crate) fn in_handler_scope(&self) -> bool {
        self.env.exceptions && self.handler_frame(self.control.len() - 1).is_some()
    }

    /// Emits a call that may throw inside a handler's scope: `call` builds
    /// the `try_call` (or `try_call_indirect`) from an exception table whose
    /// normal return goes on in a new block and whose exceptional edge goes
    /// to the innermost handler. Returns the call's results.
    pub(crate) fn try_call(
        &mut self,
        sig: ir::SigRef,
        call: impl FnOnce(&mut Self, ir::ExceptionTable),
    ) -> Vec<Value> {
        let returns: Vec<ir::Type> = self.b.func.dfg.signatures[sig]
            .returns
            .iter()
            .map(|r| r.value_type)
            .collect();
        let next = self.b.create_block();
        for ty in &returns {
            self.b.append_block_param(next, *ty);
        }
        let results: Vec<ir::BlockArg> = (0..returns.len() as u32)
            .map(ir::BlockArg::TryCallRet)
            .collect();
        let normal = self.b.func.dfg.block_call(next, &results);
        let handler = self.handler_from(self.control.len() - 1);
        let exceptional = self.b.func.dfg.block_call(handler, &[]);
        let table = ir::ExceptionTableData::new(
            sig,
            normal,
            [ir::ExceptionTableItem::Default(exceptional)],
        );
        let table = self.b.func.dfg.exception_tables.push(table);
        call(self, table);
        self.b.seal_block(next);
        self.b.switch_to_block(next);
        self.b.block_params(next).to_vec()
    }

    /// Whether a direct call to function `index` may throw (and so is a
    /// `try_call` inside a handler's scope).
    pub(crate) fn call_may_throw(&self, index: u32) -> bool {
        self.env
            .may_throw
            .get(index as usize)
            .copied()
            .unwrap_or(true)
    }

    /// The exception's values, typed as tag `tag`'s params.
    fn exception_values(&mut self, exn: Value, tag: u32) -> Result<Vec<Value>> {
        let params: Vec<ValType> = self.env.info.tag_type(tag).params().to_vec();
        if params.is_empty() {
            return Ok(Vec::new());
        }
        let slot = self.value_slots(params.len());
        let addr = self.b.ins().stack_addr(I64, slot, 0);
        self.call_libcall(Libcall::ExceptionPayload, &[exn, addr])?;
        params
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Ok(self
                    .b
                    .ins()
                    .stack_load(I64, ir_type(*t)?, slot, (i * 16) as i32))
            })
            .collect()
    }

    /// Branches to `matched` if `exn`'s tag is tag `tag` of this module,
    /// else to a new block, which is returned (sealed, not switched to).
    fn test_tag(&mut self, exn: Value, tag: u32, matched: ir::Block) -> Result<ir::Block> {
        let actual = self.call_libcall(Libcall::ExceptionTag, &[exn])?[0];
        let wanted = self.load_vmctx_ptr(self.env.offsets.tag(tag), readonly());
        let same = self.b.ins().icmp(IntCC::Equal, actual, wanted);
        let other = self.b.create_block();
        self.b.ins().brif(same, matched, &[], other, &[]);
        self.b.seal_block(matched);
        self.b.seal_block(other);
        Ok(other)
    }

    /// Releases the exnrefs caught by the legacy `catch` bodies a branch to
    /// depth `depth` leaves.
    pub(crate) fn release_caught_left_by_branch(&mut self, depth: u32) -> Result<()> {
        let len = self.control.len();
        let caught: Vec<Variable> = self.control[len - 1 - depth as usize..]
            .iter()
            .filter(|f| f.kind == FrameKind::Catch)
            .filter_map(|f| f.eh.as_ref().and_then(|eh| eh.caught))
            .collect();
        for var in caught {
            let exn = self.b.use_var(var);
            self.call_libcall(Libcall::ExceptionRelease, &[exn])?;
        }
        Ok(())
    }

    /// Whether a branch to depth `depth` leaves a legacy `catch` body.
    pub(crate) fn branch_leaves_catch(&self, depth: u32) -> bool {
        let len = self.control.len();
        self.control[len - 1 - depth as usize..]
            .iter()
            .any(|f| f.kind == FrameKind::Catch)
    }

    /// Legacy `catch tag` (`Some`) or `catch_all` (`None`): ends the try
    /// body or the previous catch body, and starts this clause's body with
    /// the exception's values on the stack.
    fn legacy_catch(&mut self, tag: Option<u32>) -> Result<()> {
        let frame = self.control.last().expect("validated: catch inside try");
        let (next, arity, height, kind) = (frame.next, frame.num_results, frame.height, frame.kind);
        if self.reachable {
            if kind == FrameKind::Catch {
                self.release_caught_left_by_branch(0)?;
            }
            let args = block_args(self.peek_n(arity));
            self.b.ins().jump(next, &args);
            self.control.last_mut().expect("frame").exit_reachable = true;
        }
        self.stack.truncate(height);
        let eh = self
            .control
            .last_mut()
            .expect("frame")
            .eh
            .as_mut()
            .expect("a try frame");
        let test = if kind == FrameKind::Try {
            // The body is over: every branch to its handler is known.
            let handler = eh.handler.take().expect("a try has a handler");
            self.b.seal_block(handler);
            handler
        } else {
            eh.next_test
                .take()
                .expect("validated: no catch after catch_all")
        };
        let caught = self.b.declare_var(I64);
        self.b.switch_to_block(test);
        let exn = self.pending_exception();
        let body = self.b.create_block();
        let next_test = match tag {
            Some(tag) => Some(self.test_tag(exn, tag, body)?),
            None => {
                self.b.ins().jump(body, &[]);
                self.b.seal_block(body);
                None
            }
        };
        self.b.switch_to_block(body);
        self.clear_pending_exception();
        self.b.def_var(caught, exn);
        self.call_libcall(Libcall::ExceptionHold, &[exn])?;
        let values = match tag {
            Some(tag) => self.exception_values(exn, tag)?,
            None => Vec::new(),
        };
        self.stack.extend(values);
        let frame = self.control.last_mut().expect("frame");
        frame.kind = FrameKind::Catch;
        let eh = frame.eh.as_mut().expect("a try frame");
        eh.next_test = next_test;
        eh.caught = Some(caught);
        self.reachable = true;
        Ok(())
    }

    /// Before a frame's `end` jumps to its exit: a catch body left normally
    /// releases its exception.
    pub(crate) fn end_exception_body(&mut self) -> Result<()> {
        let kind = self.control.last().map(|f| f.kind);
        if self.reachable && kind == Some(FrameKind::Catch) {
            self.release_caught_left_by_branch(0)?;
        }
        Ok(())
    }

    /// After a frame's `end` (the frame popped, so the control stack is
    /// the context outside it): fills the handler blocks it left, whose
    /// exceptions go to outer handlers.
    pub(crate) fn finish_exception_frame(&mut self, frame: &mut Frame) -> Result<()> {
        let Some(eh) = frame.eh.as_mut() else {
            return Ok(());
        };
        let outer = self.control.len() - 1;
        match frame.kind {
            FrameKind::TryTable => {
                let handler = eh.handler.take().expect("try_table has a handler");
                let catches = std::mem::take(&mut eh.catches);
                self.b.seal_block(handler);
                self.b.switch_to_block(handler);
                self.dispatch_catches(&catches)?;
            }
            FrameKind::Try => {
                // No catch: a try ... end passes exceptions on; with
                // `delegate l`, to the handler around label l.
                let handler = eh.handler.take().expect("try has a handler");
                let top = eh.delegate.map_or(outer, |l| outer - l as usize);
                self.b.seal_block(handler);
                self.b.switch_to_block(handler);
                let target = self.handler_from(top);
                self.b.ins().jump(target, &[]);
            }
            FrameKind::Catch => {
                // Exceptions raised in the last clause's body, released
                // first; then one no clause matched goes on outwards.
                self.finish_catch_cleanup(outer + 1, eh)?;
                if let Some(test) = eh.next_test.take() {
                    self.b.switch_to_block(test);
                    let target = self.handler_from(outer);
                    self.b.ins().jump(target, &[]);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// `try_table`'s handler: the clauses in order, in the context outside
    /// the `try_table` (their labels are relative to it).
    fn dispatch_catches(&mut self, catches: &[Catch]) -> Result<()> {
        let exn = self.pending_exception();
        for catch in catches {
            let (tag, label, keep_ref) = match *catch {
                Catch::One { tag, label } => (Some(tag), label, false),
                Catch::OneRef { tag, label } => (Some(tag), label, true),
                Catch::All { label } => (None, label, false),
                Catch::AllRef { label } => (None, label, true),
            };
            let matched = self.b.create_block();
            let other = match tag {
                Some(tag) => Some(self.test_tag(exn, tag, matched)?),
                None => {
                    self.b.ins().jump(matched, &[]);
                    self.b.seal_block(matched);
                    None
                }
            };
            self.b.switch_to_block(matched);
            self.clear_pending_exception();
            let mut args = match tag {
                Some(tag) => self.exception_values(exn, tag)?,
                None => Vec::new(),
            };
            if keep_ref {
                self.call_libcall(Libcall::ExceptionExpose, &[exn])?;
                args.push(exn);
            }
            // The label may be outside legacy catch bodies: as for `br`.
            self.release_caught_left_by_branch(label)?;
            if !keep_ref {
                self.call_libcall(Libcall::ExceptionCaught, &[exn])?;
            }
            let target = self.frame_at(label).br_target;
            self.mark_exit(label);
            self.b.ins().jump(target, &block_args(&args));
            match other {
                Some(other) => self.b.switch_to_block(other),
                // catch_all: later clauses are never reached.
                None => return Ok(()),
            }
        }
        let target = self.handler_from(self.control.len() - 1);
        self.b.ins().jump(target, &[]);
        Ok(())
    }

    /// The unwind block, if used: hands the pending exception to the
    /// nearest caller with a handler (`UnwindToHandler` never returns).
    pub(crate) fn finish_unwind_block(&mut self) -> Result<()> {
        let Some(unwind) = self.unwind else {
            return Ok(());
        };
        self.b.seal_block(unwind);
        self.b.switch_to_block(unwind);
        let fp = self.b.ins().get_frame_pointer(I64);
        // The landing pad expects the pinned register (the epoch poll
        // page) as it was; Rust code in between may have used it.
        let pinned = if self.epoch_checks {
            self.b.ins().get_pinned_reg(I64)
        } else {
            self.b.ins().iconst(I64, 0)
        };
        self.call_libcall(Libcall::UnwindToHandler, &[fp, pinned])?;
        self.b.ins().trap(trap_codes::UNREACHABLE);
        Ok(())
    }
}
