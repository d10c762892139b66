//! Structured control flow: block, loop, if/else, end, branches, return,
//! unreachable, plus drop and select.

use crate::compile::translator::{
    block_args, ir_type, trap_codes, Frame, FrameKind, FuncTranslator,
};
use crate::error::Result;
use crate::types::ValType;
use cranelift_codegen::ir::{self, BlockCall, InstBuilder, JumpTableData};
use wasmparser::{BlockType, Operator};

impl FuncTranslator<'_, '_> {
    /// Parameter and result types of a block type.
    pub(crate) fn block_signature(&self, ty: BlockType) -> Result<(Vec<ir::Type>, Vec<ir::Type>)> {
        Ok(match ty {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => (vec![], vec![ir_type(ValType::from_wasm(t)?)?]),
            BlockType::FuncType(index) => {
                let ft = &self.env.info.types[index as usize];
                let params = ft
                    .params()
                    .iter()
                    .map(|t| ir_type(*t))
                    .collect::<Result<_>>()?;
                let results = ft
                    .results()
                    .iter()
                    .map(|t| ir_type(*t))
                    .collect::<Result<_>>()?;
                (params, results)
            }
        })
    }

    pub(crate) fn block_with_params(&mut self, types: &[ir::Type]) -> ir::Block {
        let block = self.b.create_block();
        for t in types {
            self.b.append_block_param(block, *t);
        }
        block
    }

    pub(crate) fn translate_control(&mut self, op: &Operator<'_>) -> Result<bool> {
        match op {
            Operator::Nop => {}
            Operator::Unreachable => {
                self.b.ins().trap(trap_codes::UNREACHABLE);
                self.reachable = false;
            }
            Operator::Block { blockty } => self.open_block(FrameKind::Block, *blockty)?,
            Operator::Loop { blockty } => {
                let (params, results) = self.block_signature(*blockty)?;
                let header = self.block_with_params(&params);
                let next = self.block_with_params(&results);
                let args = self.pop_n(params.len());
                self.b.ins().jump(header, &block_args(&args));
                self.b.switch_to_block(header);
                self.epoch_check();
                self.stack.extend_from_slice(self.b.block_params(header));
                let height = self.stack.len() - params.len();
                self.control.push(Frame::new(
                    FrameKind::Loop,
                    header,
                    next,
                    params.len(),
                    results.len(),
                    height,
                ));
            }
            Operator::If { blockty } => {
                let (params, results) = self.block_signature(*blockty)?;
                let cond = self.pop();
                let then_block = self.b.create_block();
                let else_block = self.b.create_block();
                let next = self.block_with_params(&results);
                self.b.ins().brif(cond, then_block, &[], else_block, &[]);
                self.b.seal_block(then_block);
                self.b.seal_block(else_block);
                self.b.switch_to_block(then_block);
                let saved = self.peek_n(params.len()).to_vec();
                let height = self.stack.len() - params.len();
                let mut frame = Frame::new(
                    FrameKind::If,
                    next,
                    next,
                    params.len(),
                    results.len(),
                    height,
                );
                frame.pending_else = Some((else_block, saved));
                self.control.push(frame);
            }
            Operator::Else => self.translate_else(),
            Operator::End => self.translate_end()?,
            Operator::Br { relative_depth } => {
                self.branch_to(*relative_depth)?;
                self.reachable = false;
            }
            Operator::BrIf { relative_depth } => {
                let cond = self.pop();
                let frame = self.frame_at(*relative_depth);
                let (target, arity) = (frame.br_target, frame.branch_arity());
                self.mark_exit(*relative_depth);
                let args = block_args(self.peek_n(arity));
                let fallthrough = self.b.create_block();
                if self.branch_leaves_catch(*relative_depth) {
                    // The taken edge frees what the catch bodies it leaves caught.
                    let edge = self.b.create_block();
                    self.b.ins().brif(cond, edge, &[], fallthrough, &[]);
                    self.b.seal_block(edge);
                    self.b.switch_to_block(edge);
                    self.release_caught_left_by_branch(*relative_depth)?;
                    self.b.ins().jump(target, &args);
                } else {
                    self.b.ins().brif(cond, target, &args, fallthrough, &[]);
                }
                self.b.seal_block(fallthrough);
                self.b.switch_to_block(fallthrough);
            }
            Operator::BrTable { targets } => {
                let index = self.pop();
                let default = targets.default();
                let arity = self.frame_at(default).branch_arity();
                let args = block_args(self.peek_n(arity));
                // Targets that leave a catch body go through an edge block
                // that frees what it caught, filled after the br_table.
                let mut edges = Vec::new();
                let mut calls = Vec::new();
                for depth in targets.targets() {
                    calls.push(self.branch_call(depth?, &args, &mut edges));
                }
                let default_call = self.branch_call(default, &args, &mut edges);
                let table = self
                    .b
                    .create_jump_table(JumpTableData::new(default_call, &calls));
                self.b.ins().br_table(index, table);
                for (edge, depth) in edges {
                    self.b.seal_block(edge);
                    self.b.switch_to_block(edge);
                    self.release_caught_left_by_branch(depth)?;
                    let target = self.frame_at(depth).br_target;
                    self.b.ins().jump(target, &args);
                }
                self.reachable = false;
            }
            Operator::Return => {
                let depth = self.control.len() as u32 - 1;
                self.branch_to(depth)?;
                self.reachable = false;
            }
            Operator::Drop => {
                self.pop();
            }
            Operator::Select | Operator::TypedSelect { .. } => {
                let (a, b, cond) = self.pop3();
                let v = self.b.ins().select(cond, a, b);
                self.push(v);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Pushes a frame that `br` leaves (`block`, `try`, `try_table`) of `kind`.
    pub(crate) fn open_block(&mut self, kind: FrameKind, ty: BlockType) -> Result<()> {
        let (params, results) = self.block_signature(ty)?;
        let next = self.block_with_params(&results);
        let height = self.stack.len() - params.len();
        self.control.push(Frame::new(
            kind,
            next,
            next,
            params.len(),
            results.len(),
            height,
        ));
        Ok(())
    }

    pub(crate) fn frame_at(&self, depth: u32) -> &Frame {
        &self.control[self.control.len() - 1 - depth as usize]
    }

    pub(crate) fn mark_exit(&mut self, depth: u32) {
        let i = self.control.len() - 1 - depth as usize;
        self.control[i].exit_reachable = true;
    }

    /// A `br_table` target; one that leaves a catch body becomes an edge
    /// block (recorded in `edges` with its depth) without arguments.
    fn branch_call(
        &mut self,
        depth: u32,
        args: &[ir::BlockArg],
        edges: &mut Vec<(ir::Block, u32)>,
    ) -> BlockCall {
        let target = self.frame_at(depth).br_target;
        self.mark_exit(depth);
        if self.branch_leaves_catch(depth) {
            let edge = self.b.create_block();
            edges.push((edge, depth));
            return BlockCall::new(edge, std::iter::empty(), &mut self.b.func.dfg.value_lists);
        }
        BlockCall::new(
            target,
            args.iter().copied(),
            &mut self.b.func.dfg.value_lists,
        )
    }

    /// Unconditional branch to the frame at `depth`, carrying its arity.
    fn branch_to(&mut self, depth: u32) -> Result<()> {
        let frame = self.frame_at(depth);
        let (target, arity) = (frame.br_target, frame.branch_arity());
        self.mark_exit(depth);
        self.release_caught_left_by_branch(depth)?;
        let args = block_args(self.peek_n(arity));
        self.b.ins().jump(target, &args);
        Ok(())
    }

    fn translate_else(&mut self) {
        let frame = self.control.last_mut().expect("validated: else inside if");
        let (else_block, params) = frame
            .pending_else
            .take()
            .expect("validated: one else per if");
        let (next, arity, height) = (frame.next, frame.num_results, frame.height);
        if self.reachable {
            frame.exit_reachable = true;
            let args = block_args(self.peek_n(arity));
            self.b.ins().jump(next, &args);
        }
        self.stack.truncate(height);
        self.stack.extend(params);
        self.b.switch_to_block(else_block);
        self.reachable = true;
    }

    pub(crate) fn translate_end(&mut self) -> Result<()> {
        self.end_exception_body()?;
        let mut frame = self.control.pop().expect("validated: end matches a frame");
        let mut exit_reachable = frame.exit_reachable;
        if self.reachable {
            let args = block_args(self.peek_n(frame.num_results));
            self.b.ins().jump(frame.next, &args);
            exit_reachable = true;
        }
        self.stack.truncate(frame.height);
        if let Some((else_block, params)) = frame.pending_else.take() {
            // `if` without `else`: the false edge carries the params through.
            self.b.switch_to_block(else_block);
            self.b.ins().jump(frame.next, &block_args(&params));
            exit_reachable = true;
        }
        self.finish_exception_frame(&mut frame)?;
        if frame.kind == FrameKind::Loop {
            self.b.seal_block(frame.br_target);
        }
        self.b.switch_to_block(frame.next);
        self.b.seal_block(frame.next);
        self.stack
            .extend_from_slice(self.b.block_params(frame.next));
        self.reachable = exit_reachable;
        if frame.kind == FrameKind::Function {
            if exit_reachable {
                let results = self.b.block_params(frame.next).to_vec();
                self.b.ins().return_(&results);
            } else {
                self.b.ins().trap(trap_codes::UNREACHABLE);
            }
        } else if !exit_reachable {
            // Nothing reaches this block; terminate it so the function is well formed.
            self.b.ins().trap(trap_codes::UNREACHABLE);
        }
        Ok(())
    }

    /// In unreachable code only nesting matters until the enclosing frame's
    /// `else` or `end`.
    pub(crate) fn translate_unreachable_operator(&mut self, op: &Operator<'_>) -> Result<()> {
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. }
            | Operator::Try { .. } => {
                self.unreachable_depth += 1;
            }
            Operator::Else if self.unreachable_depth == 0 => self.translate_else(),
            Operator::End if self.unreachable_depth == 0 => self.translate_end()?,
            Operator::Catch { .. } | Operator::CatchAll | Operator::Delegate { .. }
                if self.unreachable_depth == 0 =>
            {
                self.translate_exceptions(op)?;
            }
            Operator::End | Operator::Delegate { .. } => self.unreachable_depth -= 1,
            _ => {}
        }
        Ok(())
    }
}
