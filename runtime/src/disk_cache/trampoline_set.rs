//! The layout of a saved trampoline set: the entry and host-stub
//! trampolines (`compile::trampolines`) an engine compiled, for the next
//! engine with the same code settings to copy instead of compiling. Like a
//! module's cache file it is untrusted input, checked whole before use.
//!
//! ```text
//! 0    magic "WRUNTRMP"
//! 8    format version      u32
//! 12   trampoline count    u32
//! 16   key                 [u8; 32]  (the engine's code settings)
//! 48   checksum            [u8; 32]  `checksum` of bytes 80..end
//! 80   per trampoline: kind u8 (0 entry, 1 host stub),
//!      parameter count u16, parameter types u8 each,
//!      result count u16, result types u8 each,
//!      code length u32, code
//! ```
//! All integers are little-endian.

use super::checksum::checksum;
use super::format::{Key, Reader};
use crate::compile::trampolines::{TrampolineCode, TrampolineKind, MAX_SAVED};
use crate::types::{FuncType, ValType};

const MAGIC: &[u8; 8] = b"WRUNTRMP";
const FORMAT: u32 = 2;
const CHECKSUMMED_FROM: usize = 80;
/// Larger than any trampoline (their frames are a few loads and stores per
/// value; a signature has at most `MAX_VALUES` parameters).
const MAX_CODE: usize = 256 << 10;
/// The most parameters, or results, of a wasm function type (wasmparser's
/// limit).
const MAX_VALUES: usize = 1000;

const TYPES: [ValType; 8] = [
    ValType::I32,
    ValType::I64,
    ValType::F32,
    ValType::F64,
    ValType::V128,
    ValType::FuncRef,
    ValType::ExternRef,
    ValType::ExnRef,
];

fn type_code(ty: ValType) -> u8 {
    TYPES
        .iter()
        .position(|t| *t == ty)
        .expect("every type listed") as u8
}

fn types(out: &mut Vec<u8>, list: &[ValType]) {
    out.extend_from_slice(&(list.len() as u16).to_le_bytes());
    out.extend(list.iter().map(|t| type_code(*t)));
}

/// Serialises `set` under `key`.
pub(crate) fn encode(key: &Key, set: &[TrampolineCode]) -> Vec<u8> {
    let mut out = Vec::with_capacity(CHECKSUMMED_FROM + set.len() * 128);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&(set.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&[0; 32]); // checksum, filled in last
    for t in set {
        out.push(match t.kind {
            TrampolineKind::Entry => 0,
            TrampolineKind::HostStub => 1,
        });
        types(&mut out, t.ty.params());
        types(&mut out, t.ty.results());
        out.extend_from_slice(&(t.bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&t.bytes);
    }
    let sum = checksum(&out[CHECKSUMMED_FROM..]);
    out[48..80].copy_from_slice(&sum);
    out
}

fn read_types(r: &mut Reader<'_>) -> Result<Vec<ValType>, String> {
    let count = u16::from_le_bytes(r.take(2)?.try_into().expect("2 bytes"));
    if usize::from(count) > MAX_VALUES {
        return Err("too many parameters or results".into());
    }
    r.take(count.into())?
        .iter()
        .map(|code| {
            TYPES
                .get(usize::from(*code))
                .copied()
                .ok_or_else(|| "bad value type".into())
        })
        .collect()
}

/// Checks `bytes` as the saved set for `key` and reads it. The error says
/// what is wrong.
pub(crate) fn decode(bytes: &[u8], key: &Key) -> Result<Vec<TrampolineCode>, String> {
    let mut r = Reader::after_header(bytes, CHECKSUMMED_FROM, MAGIC, "trampoline set", FORMAT)?;
    let count = r.u32()? as usize;
    if count > MAX_SAVED {
        return Err("too many trampolines".into());
    }
    r.key_and_checksum(key, CHECKSUMMED_FROM)?;
    let mut set = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = match r.take(1)?[0] {
            0 => TrampolineKind::Entry,
            1 => TrampolineKind::HostStub,
            _ => return Err("bad trampoline kind".into()),
        };
        let params = read_types(&mut r)?;
        let results = read_types(&mut r)?;
        let len = r.u32()? as usize;
        if len == 0 || len > MAX_CODE {
            return Err("bad code length".into());
        }
        let bytes = r.take(len)?.to_vec();
        set.push(TrampolineCode {
            kind,
            ty: FuncType::new(params, results),
            bytes,
        });
    }
    if r.at != bytes.len() {
        return Err("trailing bytes".into());
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> Vec<TrampolineCode> {
        vec![
            TrampolineCode {
                kind: TrampolineKind::Entry,
                ty: FuncType::new([ValType::I32, ValType::V128], [ValType::F64]),
                bytes: vec![0xc3; 40],
            },
            TrampolineCode {
                kind: TrampolineKind::HostStub,
                ty: FuncType::new([], [ValType::ExnRef, ValType::FuncRef]),
                bytes: vec![0x90, 0xc3],
            },
        ]
    }

    #[test]
    fn a_set_reads_back_as_written() {
        let key = [7; 32];
        let bytes = encode(&key, &set());
        assert_eq!(decode(&bytes, &key).unwrap(), set());
    }

    #[test]
    fn a_damaged_or_foreign_set_is_refused() {
        let key = [7; 32];
        let bytes = encode(&key, &set());
        assert_eq!(decode(&bytes, &[8; 32]).unwrap_err(), "key mismatch");
        for at in [CHECKSUMMED_FROM, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 1;
            assert_eq!(decode(&flipped, &key).unwrap_err(), "checksum mismatch");
        }
        for len in [0, 20, CHECKSUMMED_FROM, bytes.len() - 1] {
            assert!(decode(&bytes[..len], &key).is_err(), "truncated to {len}");
        }
    }
}
