//! The layout of a code cache file, and its checks. A cache file is
//! untrusted input: everything read from one is checked before use, and a
//! file that fails any check is reported, never executed.
//!
//! ```text
//! 0    magic "WRUNCODE"
//! 8    format version      u32
//! 12   page size           u32  (the text is page-aligned for mapping)
//! 16   key                 [u8; 32]  (see `Engine`: module bytes + code settings)
//! 48   checksum            [u8; 32]  `checksum` of bytes 80..end
//! 80   text offset         u64  (a multiple of the page size)
//! 88   text length         u64
//! 96   function count      u32, then per function: offset u32, length u32
//!      trap count          u32, then per trap site: offset u32, trap code u8
//!      landing pad count   u32, then per pad: return address u32,
//!                          handler u32, sp_to_fp u32 (offsets in the text)
//!      zero padding to the text offset
//!      text (machine code)
//! ```
//! All integers are little-endian.

use super::checksum::checksum;
use crate::compile::code_info::LandingPad;
use crate::compile::image::{CodeImage, CodeLayout, FunctionRange};
use crate::compile::trap_table::{TrapTable, RECORD};
use std::ops::Range;

/// A cache key: SHA-256 of everything that determines the code.
pub(crate) type Key = [u8; 32];

const MAGIC: &[u8; 8] = b"WRUNCODE";
const FORMAT: u32 = 5;
const CHECKSUMMED_FROM: usize = 80;
const HEADER_LEN: usize = 96;

/// What a valid file holds, with the text's place in the file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Decoded {
    /// The layout but its trap table, which is `traps`.
    pub layout: CodeLayout,
    /// Where the trap table's records are (checked: `TrapTable::check`).
    pub traps: Range<usize>,
    pub text: Range<usize>,
}

/// Serialises `image` under `key`, with the text at a multiple of `page_size`.
pub(crate) fn encode(key: &Key, image: &CodeImage, page_size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + image.text.len() + page_size);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&(page_size as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&[0; 32]); // checksum, filled in last
    out.extend_from_slice(&[0; 16]); // text offset and length, filled in below
    let layout = &image.layout;
    out.extend_from_slice(&(layout.functions.len() as u32).to_le_bytes());
    for f in &layout.functions {
        out.extend_from_slice(&f.offset.to_le_bytes());
        out.extend_from_slice(&f.len.to_le_bytes());
    }
    out.extend_from_slice(&(layout.traps.len() as u32).to_le_bytes());
    out.extend_from_slice(layout.traps.records());
    out.extend_from_slice(&(layout.handlers.len() as u32).to_le_bytes());
    for pad in &layout.handlers {
        for field in [pad.ret_addr, pad.handler, pad.sp_to_fp] {
            out.extend_from_slice(&field.to_le_bytes());
        }
    }
    let text_offset = out.len().next_multiple_of(page_size);
    out.resize(text_offset, 0);
    out.extend_from_slice(&image.text);
    out[80..88].copy_from_slice(&(text_offset as u64).to_le_bytes());
    out[88..96].copy_from_slice(&(image.text.len() as u64).to_le_bytes());
    let sum = checksum(&out[CHECKSUMMED_FROM..]);
    out[48..80].copy_from_slice(&sum);
    out
}

/// Reads little-endian integers from a byte slice, failing past its end.
pub(crate) struct Reader<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
}

impl<'a> Reader<'a> {
    /// Checks what both kinds of cache file start with (`magic`, then the
    /// format version, at least `min_len` bytes in all) and reads on after
    /// the version. `what` names the kind of file in the error.
    pub fn after_header(
        bytes: &'a [u8],
        min_len: usize,
        magic: &[u8; 8],
        what: &str,
        format: u32,
    ) -> Result<Reader<'a>, String> {
        if bytes.len() < min_len {
            return Err("truncated header".into());
        }
        if &bytes[..8] != magic {
            return Err(format!("not a wrun {what}"));
        }
        let mut r = Reader { bytes, at: 8 };
        let found = r.u32()?;
        if found != format {
            return Err(format!("format {found}, expected {format}"));
        }
        Ok(r)
    }

    /// Checks the key, then the checksum of everything from `checksummed_from`
    /// on, which follows it.
    pub fn key_and_checksum(&mut self, key: &Key, checksummed_from: usize) -> Result<(), String> {
        if self.take(32)? != key {
            return Err("key mismatch".into());
        }
        let bytes = self.bytes;
        if self.take(32)? != checksum(&bytes[checksummed_from..]) {
            return Err("checksum mismatch".into());
        }
        Ok(())
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or("truncated")?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    pub fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    /// A u32 count, then that many records of `size` bytes (as one slice).
    pub fn records(&mut self, size: usize) -> Result<&'a [u8], String> {
        let count = self.u32()? as usize;
        self.take(count.checked_mul(size).ok_or("truncated")?)
    }
    pub fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
}

fn le_u32(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(bytes.try_into().expect("4 bytes"))
}

/// Checks `bytes` as the cache file for `key` on a host with `page_size`
/// pages, and reads its layout. The error says what is wrong.
pub(crate) fn decode(bytes: &[u8], key: &Key, page_size: usize) -> Result<Decoded, String> {
    let mut r = Reader::after_header(bytes, HEADER_LEN, MAGIC, "code cache file", FORMAT)?;
    if r.u32()? as usize != page_size {
        return Err("written for another page size".into());
    }
    r.key_and_checksum(key, CHECKSUMMED_FROM)?;
    let text_offset = usize::try_from(r.u64()?).map_err(|_| "bad text offset")?;
    let text_len = usize::try_from(r.u64()?).map_err(|_| "bad text length")?;
    let text_end = text_offset
        .checked_add(text_len)
        .filter(|&end| end == bytes.len())
        .ok_or("text does not end the file")?;
    if !text_offset.is_multiple_of(page_size) || text_offset < HEADER_LEN {
        return Err("text is not page-aligned".into());
    }
    let mut layout = CodeLayout::default();
    // The two long tables (SQLite has 2,000 functions and 200,000 trap
    // sites) are checked record by record in one bounds-checked slice, the
    // checks folded into flags: a per-field reader made decoding 30% of a
    // warm start's instructions. The trap table is then used where it is.
    let records = r.records(8)?;
    layout.functions.reserve_exact(records.len() / 8);
    let mut outside = false;
    for record in records.chunks_exact(8) {
        let range = FunctionRange {
            offset: le_u32(&record[..4]),
            len: le_u32(&record[4..]),
        };
        outside |= range.offset as usize + range.len as usize > text_len;
        layout.functions.push(range);
    }
    if outside {
        return Err("function outside the text".into());
    }
    let records = r.records(RECORD)?;
    TrapTable::check(records, text_len)?;
    // The records just taken end where the reader is now.
    let traps = r.at - records.len()..r.at;
    let count = r.u32()? as usize;
    let mut last = None;
    for _ in 0..count {
        let pad = LandingPad {
            ret_addr: r.u32()?,
            handler: r.u32()?,
            sp_to_fp: r.u32()?,
        };
        let inside = |at: u32| (at as usize) < text_len;
        if !inside(pad.ret_addr) || !inside(pad.handler) || last.is_some_and(|l| l > pad.ret_addr) {
            return Err("landing pad outside the text or out of order".into());
        }
        last = Some(pad.ret_addr);
        layout.handlers.push(pad);
    }
    if r.at > text_offset {
        return Err("layout overlaps the text".into());
    }
    Ok(Decoded {
        layout,
        traps,
        text: text_offset..text_end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Trap;

    fn image() -> CodeImage {
        CodeImage {
            text: vec![0xc3; 100],
            layout: CodeLayout {
                functions: vec![
                    FunctionRange { offset: 0, len: 40 },
                    FunctionRange {
                        offset: 64,
                        len: 36,
                    },
                ],
                traps: TrapTable::from_sites(&[(3, Trap::Unreachable), (70, Trap::StackOverflow)]),
                handlers: vec![LandingPad {
                    ret_addr: 72,
                    handler: 90,
                    sp_to_fp: 48,
                }],
            },
        }
    }

    #[test]
    fn round_trips_with_the_text_page_aligned() {
        let key = [7; 32];
        let bytes = encode(&key, &image(), 4096);
        assert_eq!(bytes.len(), 4096 + 100);
        let decoded = decode(&bytes, &key, 4096).unwrap();
        assert_eq!(decoded.text, 4096..4196);
        let mut layout = decoded.layout;
        assert_eq!(
            layout.traps,
            TrapTable::default(),
            "the table stays in the file"
        );
        assert_eq!(bytes[decoded.traps], *image().layout.traps.records());
        layout.traps = image().layout.traps;
        assert_eq!(layout, image().layout);
    }

    #[test]
    fn every_damage_is_detected() {
        let key = [7; 32];
        let good = encode(&key, &image(), 4096);
        assert!(decode(&good, &[8; 32], 4096).unwrap_err().contains("key"));
        assert!(decode(&good, &key, 16384).is_err());
        for len in [0, 10, 95, 200, 4096, good.len() - 1] {
            assert!(
                decode(&good[..len], &key, 4096).is_err(),
                "truncated to {len}"
            );
        }
        // Any single flipped byte: header fields fail their own check, the
        // rest the checksum.
        for at in (0..good.len()).step_by(7) {
            let mut bad = good.clone();
            bad[at] ^= 0x40;
            assert!(decode(&bad, &key, 4096).is_err(), "byte {at} flipped");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(decode(&longer, &key, 4096).is_err());
    }
}
