//! What of a module's bytes its cache key covers: everything but the custom
//! sections that cannot change its code. Debug information (`.debug_*`)
//! and the `name` section are most of the bytes of an unstripped library
//! (1.4 of libc.so's 1.9 MB here), and every warm start would hash them.
//!
//! Covered: the 8-byte preamble, every non-custom section and every custom
//! section whose name starts with `dylink` (the loader reads those), each
//! with its header, so that sections are told apart. The compiler and the
//! validator never read other custom sections, so two modules that differ
//! only in them have the same code and the same validity; what the runtime
//! does read from them (function names for backtraces) is parsed from the
//! module's own bytes at every load, never taken from the cache.

use crate::module_file::{leb_u32, CODE_SECTION};

/// The parts of `bytes` the key covers, in order; `None` when the section
/// framing is broken (the key then covers all bytes, and validation
/// reports the module).
pub(crate) fn covered_parts(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    parts(bytes, true)
}

/// The covered parts but the code section's contents (its header, with
/// the section's size, stays): what the file index's checksum covers, so
/// that a warm start need not read the function bodies of a file the
/// index knows (`disk_cache::file_key`).
pub(crate) fn covered_parts_but_bodies(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    parts(bytes, false)
}

fn parts(bytes: &[u8], with_bodies: bool) -> Option<Vec<&[u8]>> {
    let mut parts = vec![bytes.get(..8)?];
    let mut at = 8;
    while at < bytes.len() {
        let start = at;
        let id = bytes[at];
        at += 1;
        let size = leb_u32(bytes, &mut at)? as usize;
        let body = at;
        let end = body.checked_add(size).filter(|&e| e <= bytes.len())?;
        let keep = id != 0 || {
            let name_len = leb_u32(bytes, &mut at)? as usize;
            let name = bytes.get(at..at.checked_add(name_len)?.min(end))?;
            name.starts_with(b"dylink")
        };
        if id == CODE_SECTION && !with_bodies {
            parts.push(&bytes[start..body]);
        } else if keep {
            parts.push(&bytes[start..end]);
        }
        at = end;
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::{covered_parts, covered_parts_but_bodies};
    use crate::module_file::test_sections::{custom, section};

    const PREAMBLE: &[u8] = b"\0asm\x01\0\0\0";

    #[test]
    fn debug_and_name_sections_are_left_out_and_the_rest_kept() {
        let types = section(1, &[1, 0x60, 0, 0]);
        let dylink = custom("dylink.0", &[1, 2, 3]);
        let module = [
            PREAMBLE.to_vec(),
            dylink.clone(),
            types.clone(),
            custom(".debug_info", &[9; 20]),
            custom("name", &[0, 1, 2]),
        ]
        .concat();
        let parts = covered_parts(&module).unwrap();
        assert_eq!(parts, vec![PREAMBLE, &dylink[..], &types[..]]);
    }

    #[test]
    fn modules_differing_in_code_differ_in_covered_parts() {
        let a = [PREAMBLE.to_vec(), section(10, &[1, 2, 3])].concat();
        let b = [PREAMBLE.to_vec(), section(10, &[1, 2, 4])].concat();
        assert_ne!(covered_parts(&a), covered_parts(&b));
    }

    #[test]
    fn without_bodies_the_code_section_is_its_header_and_its_size() {
        let types = section(1, &[1, 0x60, 0, 0]);
        let code = section(10, &[1, 2, 3]);
        let module = [PREAMBLE.to_vec(), types.clone(), code.clone()].concat();
        let parts = covered_parts_but_bodies(&module).unwrap();
        assert_eq!(parts, vec![PREAMBLE, &types[..], &code[..2]]);
        let other_code = [PREAMBLE.to_vec(), types.clone(), section(10, &[1, 2, 4])].concat();
        assert_eq!(covered_parts_but_bodies(&other_code).unwrap(), parts);
        let longer_code = [PREAMBLE.to_vec(), types, section(10, &[1, 2, 3, 4])].concat();
        assert_ne!(covered_parts_but_bodies(&longer_code).unwrap(), parts);
    }

    #[test]
    fn broken_framing_gives_none() {
        let mut module = [PREAMBLE.to_vec(), section(1, &[1, 0x60, 0, 0])].concat();
        module[9] = 50; // the size runs past the end
        assert_eq!(covered_parts(&module), None);
        assert_eq!(covered_parts(b"\0asm"), None);
        let endless_leb = [PREAMBLE, &[1, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]].concat();
        assert_eq!(covered_parts(&endless_leb), None);
    }
}
