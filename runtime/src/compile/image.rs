//! Laying a module's compiled functions out as one image: every function at
//! its offset, calls between them patched PC-relative. The image holds no
//! absolute address, so the same bytes run wherever they are mapped — from
//! anonymous memory or straight from a cache file, in any OS process.

use crate::compile::code_info::LandingPad;
use crate::compile::function::{CallSite, CompiledFunction};
use crate::compile::trap_table::TrapTable;
use crate::error::{Error, Result, Trap};
use cranelift_codegen::binemit::Reloc;

/// Where one defined function is in the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FunctionRange {
    pub offset: u32,
    pub len: u32,
}

/// Where things are in an image's code.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct CodeLayout {
    /// By defined function index.
    pub functions: Vec<FunctionRange>,
    /// Trap sites by offset in the code.
    pub traps: TrapTable,
    /// Landing pads of `try_call` sites (offsets in the code), sorted by
    /// return address.
    pub handlers: Vec<LandingPad<u32>>,
}

/// Position-independent machine code of one module.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct CodeImage {
    /// All functions' code, each at its range.
    pub text: Vec<u8>,
    pub layout: CodeLayout,
}

fn align_to(offset: usize, alignment: u32) -> usize {
    offset.next_multiple_of(alignment.max(1) as usize)
}

/// Places `functions` (defined functions in order; the first has function
/// index `num_imported`) one after another, each at least at
/// `min_alignment`, and resolves the calls between them.
pub(crate) fn link(
    functions: Vec<CompiledFunction>,
    num_imported: u32,
    min_alignment: u32,
) -> Result<CodeImage> {
    let mut image = CodeImage::default();
    let mut offset = 0usize;
    for f in &functions {
        offset = align_to(offset, f.alignment.max(min_alignment));
        let len = f.code.len();
        let range = FunctionRange {
            offset: u32::try_from(offset).map_err(|_| too_large())?,
            len: u32::try_from(len).map_err(|_| too_large())?,
        };
        image.layout.functions.push(range);
        offset = offset.checked_add(len).ok_or_else(too_large)?;
    }
    if offset > i32::MAX as usize {
        // PC-relative calls reach ±2 GiB.
        return Err(too_large());
    }
    image.text = vec![0; offset];
    let mut traps: Vec<(u32, Trap)> = Vec::new();
    for (f, range) in functions.iter().zip(&image.layout.functions) {
        let start = range.offset as usize;
        image.text[start..start + f.code.len()].copy_from_slice(&f.code);
        for call in &f.calls {
            let callee = call
                .callee
                .checked_sub(num_imported)
                .and_then(|d| image.layout.functions.get(d as usize))
                .ok_or_else(|| Error::msg(format!("call to unknown function {}", call.callee)))?;
            patch(&mut image.text, start, call, callee.offset as usize)?;
        }
        traps.extend(f.traps.iter().map(|(at, trap)| (range.offset + at, *trap)));
        image
            .layout
            .handlers
            .extend(f.handlers.iter().map(|h| LandingPad {
                ret_addr: range.offset + h.ret_addr,
                handler: range.offset + h.handler,
                sp_to_fp: h.sp_to_fp,
            }));
    }
    traps.sort_unstable_by_key(|(pc, _)| *pc);
    image.layout.traps = TrapTable::from_sites(&traps);
    image.layout.handlers.sort_unstable_by_key(|h| h.ret_addr);
    Ok(image)
}

fn too_large() -> Error {
    Error::msg("module too large: its machine code exceeds 2 GiB")
}

/// Writes the PC-relative displacement of `call` (in the function starting
/// at `caller`) to the function at `callee`.
fn patch(text: &mut [u8], caller: usize, call: &CallSite, callee: usize) -> Result<()> {
    let at = caller + call.offset as usize;
    let delta = callee as i64 + call.addend - at as i64;
    match call.kind {
        Reloc::X86CallPCRel4 | Reloc::X86PCRel4 => {
            let field = text
                .get_mut(at..at + 4)
                .ok_or_else(|| Error::msg("relocation outside its function"))?;
            let value = i32::try_from(delta).map_err(|_| too_large())?;
            field.copy_from_slice(&value.to_le_bytes());
        }
        Reloc::Arm64Call => {
            let field = text
                .get_mut(at..at + 4)
                .ok_or_else(|| Error::msg("relocation outside its function"))?;
            let words = delta >> 2;
            if !(-(1 << 25)..(1 << 25)).contains(&words) {
                return Err(too_large());
            }
            let insn = u32::from_le_bytes(field.try_into().expect("4 bytes"));
            let insn = (insn & !0x03ff_ffff) | (words as u32 & 0x03ff_ffff);
            field.copy_from_slice(&insn.to_le_bytes());
        }
        other => return Err(Error::msg(format!("unsupported relocation {other:?}"))),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(code: Vec<u8>, alignment: u32, calls: Vec<CallSite>) -> CompiledFunction {
        CompiledFunction {
            code,
            alignment,
            calls,
            traps: vec![(1, Trap::Unreachable)],
            handlers: vec![LandingPad {
                ret_addr: 2,
                handler: 3,
                sp_to_fp: 16,
            }],
        }
    }

    #[test]
    fn functions_are_aligned_and_calls_are_pc_relative() {
        // Function 2 (defined 0) calls function 3 (defined 1) with a
        // rel32 at offset 1 and the usual -4 addend.
        let call = CallSite {
            offset: 1,
            kind: Reloc::X86CallPCRel4,
            callee: 3,
            addend: -4,
        };
        let image = link(
            vec![
                function(vec![0xe8, 0, 0, 0, 0, 0xc3], 1, vec![call]),
                function(vec![0xc3], 1, vec![]),
            ],
            2,
            32,
        )
        .unwrap();
        assert_eq!(
            image.layout.functions,
            [
                FunctionRange { offset: 0, len: 6 },
                FunctionRange { offset: 32, len: 1 }
            ]
        );
        // Target 32 = end of the field (1 + 4) + displacement.
        assert_eq!(image.text[1..5], 27i32.to_le_bytes());
        assert_eq!(
            image.layout.traps.sites().collect::<Vec<_>>(),
            [(1, Trap::Unreachable), (33, Trap::Unreachable)]
        );
        // Landing pads move with their function, like trap sites.
        let pads: Vec<(u32, u32)> = image
            .layout
            .handlers
            .iter()
            .map(|h| (h.ret_addr, h.handler))
            .collect();
        assert_eq!(pads, [(2, 3), (34, 35)]);
        assert_eq!(image.text.len(), 33);
    }

    #[test]
    fn a_call_to_an_import_or_past_the_end_is_an_error() {
        for callee in [0, 9] {
            let call = CallSite {
                offset: 0,
                kind: Reloc::X86CallPCRel4,
                callee,
                addend: 0,
            };
            let f = function(vec![0; 8], 1, vec![call]);
            assert!(link(vec![f], 1, 16).is_err(), "callee {callee}");
        }
    }
}
