//! Reading a module file. What cannot be a module is refused before it is
//! read whole, and trailing debug information is left on disk: wasm-ld puts
//! the `.debug_*` custom sections after the code and data, nothing in wrun
//! reads them, and they are most of an unstripped library (1.4 of libc.so's
//! 1.9 MB here): reading them was the largest copy of a warm start, and the
//! engine keeps a module's bytes for as long as it keeps its code.
//!
//! Only custom sections named `.debug*` are left out, and only when no
//! section but custom ones follows them, so the offset of every section the
//! validator, compiler or loader reads is the file's. A file whose sections
//! cannot be walked (truncated, bad sizes) is read whole, for validation to
//! report.
//!
//! A file whose code the disk cache likely has (its file index knows the
//! file) can be read without its function bodies too: a warm start maps
//! their code from the cache and never reads them.

use crate::error::{Error, ErrorKind, Result};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The largest module file read (the format allows more, but 4 GiB of
/// code would not fit a 32-bit code arena anyway).
const MAX_MODULE_FILE: u64 = 1 << 32;

/// The longest name of a section left out (`.debug_str_offsets` and the
/// like are far shorter).
const MAX_NAME: usize = 64;
/// Bytes read to see a section's header: id, size and a custom section's
/// name length (at most 5 bytes each as LEB128) and its name.
const PROBE: usize = 1 + 5 + 5 + MAX_NAME;

/// Reads a module file, refusing what cannot be one before reading it
/// whole: not a regular file (`/dev/zero`, a FIFO would read forever), too
/// large, or not starting with the `\0asm` magic number.
pub(crate) fn read_wasm_file(path: &Path) -> Result<Vec<u8>> {
    read_module_file(path, false).map(|read| read.bytes)
}

/// A module file as read by `read_module_file`.
#[derive(Debug)]
pub(crate) struct ModuleFileBytes {
    /// The bytes; every section the runtime reads is where it is in the
    /// file, relative to the others.
    pub bytes: Vec<u8>,
    /// The function bodies were not read: past its first
    /// [`CODE_PREFIX`] bytes (which hold the count), the code section's
    /// contents are zeros. Only code from the disk cache can run these.
    pub bodies_left_out: bool,
}

/// Bytes of the code section's contents read when its bodies are left out
/// (the function count, a LEB128 of at most 5 bytes, is among them).
pub(crate) const CODE_PREFIX: u64 = 5;

/// As `read_wasm_file`; with `leave_out_bodies`, the function bodies are
/// left on disk too when the sections can be walked. The left-out bytes
/// are zeros of a fresh allocation: pages never touched.
pub(crate) fn read_module_file(path: &Path, leave_out_bodies: bool) -> Result<ModuleFileBytes> {
    let io = |source| {
        Error::new(ErrorKind::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let mut file = File::open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if !metadata.is_file() {
        return Err(Error::msg("not a regular file"));
    }
    if metadata.len() > MAX_MODULE_FILE {
        return Err(Error::msg(format!(
            "{} bytes is too large for a module",
            metadata.len()
        )));
    }
    let mut bytes = Vec::new();
    (&mut file).take(4).read_to_end(&mut bytes).map_err(io)?;
    // Shorter files go on to the validator ("unexpected end").
    if bytes.len() == 4 && bytes != b"\0asm" {
        return Err(not_wasm());
    }
    if let Some(kept) = read_kept_sections(&file, metadata.len(), leave_out_bodies).map_err(io)? {
        return Ok(kept);
    }
    // Exactly the file (the module keeps these bytes as they are).
    bytes.reserve_exact((metadata.len() as usize).saturating_sub(bytes.len()));
    file.read_to_end(&mut bytes).map_err(io)?;
    Ok(ModuleFileBytes {
        bytes,
        bodies_left_out: false,
    })
}

fn not_wasm() -> Error {
    Error::new(ErrorKind::Invalid {
        message:
            "magic header not detected: not a WebAssembly module (it does not start with \\0asm)"
                .to_string(),
        offset: 0,
    })
}

/// The file's bytes without its trailing `.debug*` sections and, with
/// `leave_out_bodies`, without its function bodies; `None` when there is
/// nothing to leave out or the sections cannot be walked (then the file is
/// read whole). `len` is the file's length.
fn read_kept_sections(
    file: &File,
    len: u64,
    leave_out_bodies: bool,
) -> std::io::Result<Option<ModuleFileBytes>> {
    let Some(sections) = sections(file, len)? else {
        return Ok(None);
    };
    let debug = |s: &Section| s.id == 0 && s.name_starts_debug;
    // Debug sections are left out only when no other section but custom
    // ones follows them (then no offset the loader reads moves).
    let first_debug = sections.iter().position(debug);
    let drop_debug = first_debug.is_some_and(|i| sections[i..].iter().all(|s| s.id == 0));
    let bodies = sections
        .iter()
        .find(|s| s.id == CODE_SECTION)
        .filter(|_| leave_out_bodies)
        .map(|s| (s.contents + CODE_PREFIX).min(s.end)..s.end)
        .filter(|bodies| !bodies.is_empty());
    if !drop_debug && bodies.is_none() {
        return Ok(None);
    }
    // The kept pieces of the file, adjacent ones joined (the preamble and
    // everything up to the first debug section, then each custom section
    // kept after it: `name`, `producers`), one read each; the piece with
    // the bodies takes two reads, around them.
    let preamble = 0..8;
    let mut pieces = vec![preamble];
    for s in sections.iter().filter(|s| !(drop_debug && debug(s))) {
        match pieces.last_mut() {
            Some(last) if last.end == s.start => last.end = s.end,
            _ => pieces.push(s.start..s.end),
        }
    }
    let kept_len: u64 = pieces.iter().map(|p| p.end - p.start).sum();
    let mut out = vec![0; kept_len as usize];
    let mut at = 0;
    for piece in pieces {
        let dest = &mut out[at..at + (piece.end - piece.start) as usize];
        at += dest.len();
        match &bodies {
            Some(bodies) if piece.start <= bodies.start && bodies.end <= piece.end => {
                let (before, rest) = dest.split_at_mut((bodies.start - piece.start) as usize);
                file.read_exact_at(before, piece.start)?;
                let after = &mut rest[(bodies.end - bodies.start) as usize..];
                file.read_exact_at(after, bodies.end)?;
            }
            _ => file.read_exact_at(dest, piece.start)?,
        }
    }
    Ok(Some(ModuleFileBytes {
        bytes: out,
        bodies_left_out: bodies.is_some(),
    }))
}

/// The code section's id.
pub(crate) const CODE_SECTION: u8 = 10;

/// A section's place in the file (header included).
struct Section {
    id: u8,
    start: u64,
    /// Where its contents start (past the id and the size).
    contents: u64,
    end: u64,
    name_starts_debug: bool,
}

/// Every section of the module file, from its headers alone; `None` when a
/// header is malformed or a section runs past the end.
fn sections(file: &File, len: u64) -> std::io::Result<Option<Vec<Section>>> {
    let mut sections = Vec::new();
    let mut start = 8u64;
    let mut probe = [0u8; PROBE];
    while start < len {
        let n = read_up_to(file, &mut probe, start)?;
        let header = &probe[..n];
        let mut at = 1;
        let Some(size) = leb_u32(header, &mut at) else {
            return Ok(None);
        };
        let size_len = at - 1;
        let end = start + at as u64 + u64::from(size);
        if end > len {
            return Ok(None);
        }
        let id = header[0];
        // The whole name must be in the probe, inside the section and
        // UTF-8: a malformed custom section is read, for validation to
        // refuse the module.
        let name_starts_debug = id == 0 && {
            let name = leb_u32(header, &mut at)
                .map(|len| at..at + len as usize)
                .filter(|name| start + name.end as u64 <= end)
                .and_then(|name| header.get(name));
            name.and_then(|name| std::str::from_utf8(name).ok())
                .is_some_and(|name| name.starts_with(".debug"))
        };
        sections.push(Section {
            id,
            start,
            contents: start + 1 + size_len as u64,
            end,
            name_starts_debug,
        });
        start = end;
    }
    Ok(Some(sections))
}

/// Reads up to `buf.len()` bytes at `offset`, fewer at the end of the file.
fn read_up_to(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// An unsigned LEB128 of at most 5 bytes at `*at`, moving past it.
pub(crate) fn leb_u32(bytes: &[u8], at: &mut usize) -> Option<u32> {
    let mut value = 0u64;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return u32::try_from(value).ok();
        }
    }
    None
}

/// Section builders for the tests of code that walks sections (short
/// bodies: one-byte sizes).
#[cfg(test)]
pub(crate) mod test_sections {
    /// Section `id` with `body`.
    pub fn section(id: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![id, body.len() as u8];
        out.extend_from_slice(body);
        out
    }

    /// Custom section `name` with `payload`.
    pub fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut body = vec![name.len() as u8];
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(payload);
        section(0, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::test_sections::{custom, section};
    use super::{read_module_file, read_wasm_file, ModuleFileBytes};

    fn module(sections: &[Vec<u8>]) -> Vec<u8> {
        let mut out = b"\0asm\x01\0\0\0".to_vec();
        sections.iter().for_each(|s| out.extend_from_slice(s));
        out
    }

    fn read(bytes: &[u8]) -> Vec<u8> {
        read_leaving_out_bodies(bytes, false).bytes
    }

    fn read_leaving_out_bodies(bytes: &[u8], leave_out_bodies: bool) -> ModuleFileBytes {
        let path = std::env::temp_dir().join(format!(
            "wrun-module-file-{}-{:?}.wasm",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&path, bytes).unwrap();
        let read = read_module_file(&path, leave_out_bodies).unwrap();
        assert_eq!(
            read_wasm_file(&path).unwrap(),
            read_module_file(&path, false).unwrap().bytes
        );
        std::fs::remove_file(&path).unwrap();
        read
    }

    #[test]
    fn bodies_left_out_are_zeros_past_the_count_and_the_rest_is_read() {
        let types = section(1, &[0]);
        let code = section(10, &[2, 9, 9, 9, 9, 9, 9, 9, 9]);
        let data = section(11, &[7; 5]);
        let name = custom("name", &[3]);
        let debug = custom(".debug_info", &[9; 40]);
        let file = module(&[
            types.clone(),
            code.clone(),
            data.clone(),
            debug,
            name.clone(),
        ]);
        let read = read_leaving_out_bodies(&file, true);
        assert!(read.bodies_left_out);
        let mut without_bodies = code.clone();
        without_bodies[2 + 5..].fill(0);
        assert_eq!(
            read.bytes,
            module(&[types.clone(), without_bodies, data, name])
        );
        // Nothing past the count to leave out, or no code section: as read whole.
        let short = module(&[types.clone(), section(10, &[0, 0, 0])]);
        let read = read_leaving_out_bodies(&short, true);
        assert!(!read.bodies_left_out);
        assert_eq!(read.bytes, short);
        let no_code = module(&[types]);
        assert!(!read_leaving_out_bodies(&no_code, true).bodies_left_out);
    }

    #[test]
    fn trailing_debug_sections_are_left_out_and_other_custom_sections_kept() {
        let types = section(1, &[0]);
        let dylink = custom("dylink.0", &[1, 2]);
        let name = custom("name", &[3]);
        let file = module(&[
            dylink.clone(),
            types.clone(),
            custom(".debug_info", &[9; 40]),
            name.clone(),
            custom(".debug_line", &[9; 3]),
        ]);
        assert_eq!(read(&file), module(&[dylink, types, name]));
    }

    #[test]
    fn a_file_with_debug_sections_before_others_or_broken_framing_is_read_whole() {
        let middle = module(&[custom(".debug_info", &[9; 4]), section(1, &[0])]);
        assert_eq!(read(&middle), middle);
        let mut cut = module(&[section(1, &[0]), custom(".debug_info", &[9; 40])]);
        cut.truncate(cut.len() - 1);
        assert_eq!(read(&cut), cut, "a section past the end");
        let bad_leb = [
            b"\0asm\x01\0\0\0".as_slice(),
            &[0, 0xff, 0xff, 0xff, 0xff, 0xff],
        ]
        .concat();
        assert_eq!(read(&bad_leb), bad_leb);
        let plain = module(&[section(1, &[0]), custom("name", &[3])]);
        assert_eq!(read(&plain), plain);
        let short_name = module(&[section(1, &[0]), custom(".deb", &[])]);
        assert_eq!(read(&short_name), short_name);
        let mut not_utf8 = module(&[section(1, &[0]), custom(".debug\u{1}", &[])]);
        let last = not_utf8.len() - 1;
        not_utf8[last] = 0xff;
        assert_eq!(read(&not_utf8), not_utf8, "a malformed name");
        let mut name_past_section = module(&[section(1, &[0]), custom(".debug_info", &[])]);
        name_past_section[12] = 4; // the section's size, shorter than its name
        assert_eq!(read(&name_past_section), name_past_section);
    }
}
