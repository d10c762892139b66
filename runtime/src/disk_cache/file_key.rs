//! The file index: which code key a module file on disk has, so that a
//! warm start does not hash the file's code with SHA-256 again (1.1 ms of
//! a 15 ms cached start of Lua over libc.so). An entry is named after the
//! code settings and the file's identity (device, inode, size, modification
//! and change times) and holds the key and a fast checksum of the parts of
//! the file the key covers, but the function bodies.
//!
//! An entry is used only when the file's identity is the one recorded and
//! the fast checksum of the bytes just read matches; otherwise the key is
//! computed again. What keeps a rewritten file from being taken for the
//! one indexed is the change time, which no one but root can set back: an
//! entry is only written for a file whose change time is over [`SETTLED`]
//! in the past, so any later rewrite, even one within a tick of the file
//! system's clock at the same size, gives the file a change time the entry
//! does not have (as git's "racy clean" rule). So a warm start need not
//! read the function bodies (most of a library: 1.08 of libsqlite3.so's
//! 1.17 MB) of a file the index knows: the engine maps their cached code.
//! The checksum covers the parts that are read anyway, as a second check.
//!
//! ```text
//! 0    magic "WRUNFKEY"
//! 8    format version      u32
//! 12   zero                u32
//! 16   name                [u8; 32]  (what the entry is named after)
//! 48   checksum            [u8; 32]  `checksum` of bytes 80..end
//! 80   identity            [u8; 56]  (`FileIdentity::to_bytes`)
//! 136  parts checksum      [u8; 32]  (`parts_checksum` of the file)
//! 168  code key            [u8; 32]
//! 200  end
//! ```

use super::checksum::checksum;
use super::format::{Key, Reader};
use crate::file_cache::FileIdentity;
use std::time::{Duration, SystemTime};

const MAGIC: &[u8; 8] = b"WRUNFKEY";
const FORMAT: u32 = 2;
const CHECKSUMMED_FROM: usize = 80;
/// Size of an entry.
pub(crate) const LEN: usize = 200;
/// How long ago a file must have last changed to be indexed: far above
/// any file system's timestamp granularity (ext4 and tmpfs tick with the
/// kernel's coarse clock, a few milliseconds; FAT in 2 seconds).
pub(crate) const SETTLED: Duration = Duration::from_secs(3);

/// What an entry says about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileKey {
    /// `parts_checksum` of the file's `covered_parts_but_bodies` when it
    /// was indexed.
    pub checked: [u8; 32],
    /// The code key of those bytes.
    pub key: Key,
}

/// The fast checksum of `parts` (of a module's bytes): each part's
/// checksum, then the checksum of those, so that the parts need not be
/// copied together.
pub(crate) fn parts_checksum(parts: &[&[u8]]) -> [u8; 32] {
    let sums: Vec<u8> = parts.iter().flat_map(|part| checksum(part)).collect();
    checksum(&sums)
}

/// Whether a file with `identity` changed long enough before `now` to be
/// indexed (see the module documentation).
pub(crate) fn settled(identity: &FileIdentity, now: SystemTime) -> bool {
    let (secs, nanos) = identity.ctime();
    let Ok(secs) = u64::try_from(secs) else {
        return false;
    };
    let changed = SystemTime::UNIX_EPOCH + Duration::new(secs, nanos.clamp(0, 999_999_999) as u32);
    now.duration_since(changed).is_ok_and(|age| age > SETTLED)
}

/// Serialises the entry named `name` for the file with `identity`.
pub(crate) fn encode(name: &Key, identity: &FileIdentity, entry: &FileKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&[0; 32]); // checksum, filled in last
    out.extend_from_slice(&identity.to_bytes());
    out.extend_from_slice(&entry.checked);
    out.extend_from_slice(&entry.key);
    let sum = checksum(&out[CHECKSUMMED_FROM..]);
    out[48..80].copy_from_slice(&sum);
    debug_assert_eq!(out.len(), LEN);
    out
}

/// Checks `bytes` as the entry named `name` for the file with `identity`
/// and reads it. The error says what is wrong.
pub(crate) fn decode(bytes: &[u8], name: &Key, identity: &FileIdentity) -> Result<FileKey, String> {
    let mut r = Reader::after_header(bytes, LEN, MAGIC, "file index entry", FORMAT)?;
    if r.u32()? != 0 {
        return Err("bad header".into());
    }
    r.key_and_checksum(name, CHECKSUMMED_FROM)?;
    if r.take(56)? != identity.to_bytes() {
        return Err("another file".into());
    }
    let checked = r.take(32)?.try_into().expect("32 bytes");
    let key = r.take(32)?.try_into().expect("32 bytes");
    if r.at != bytes.len() {
        return Err("trailing bytes".into());
    }
    Ok(FileKey { checked, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> FileIdentity {
        FileIdentity::of(std::path::Path::new(env!("CARGO_MANIFEST_PATH"))).expect("the manifest")
    }

    fn entry() -> FileKey {
        FileKey {
            checked: [7; 32],
            key: [9; 32],
        }
    }

    #[test]
    fn an_entry_reads_back_for_its_name_and_file_only() {
        let name = [1; 32];
        let bytes = encode(&name, &identity(), &entry());
        assert_eq!(bytes.len(), LEN);
        assert_eq!(decode(&bytes, &name, &identity()), Ok(entry()));
        assert_eq!(
            decode(&bytes, &[2; 32], &identity()),
            Err("key mismatch".into())
        );
        let other = FileIdentity::of(std::path::Path::new(file!()).parent().unwrap());
        if let Some(other) = other.filter(|o| *o != identity()) {
            assert_eq!(decode(&bytes, &name, &other), Err("another file".into()));
        }
    }

    #[test]
    fn every_damaged_or_cut_entry_is_refused() {
        let name = [1; 32];
        let bytes = encode(&name, &identity(), &entry());
        for bit in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(decode(&damaged, &name, &identity()).is_err(), "bit {bit}");
        }
        for len in 0..bytes.len() {
            assert!(
                decode(&bytes[..len], &name, &identity()).is_err(),
                "cut at {len}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, &name, &identity()).is_err());
    }

    #[test]
    fn only_a_file_unchanged_for_a_while_is_settled() {
        let id = identity();
        let (secs, nanos) = id.ctime();
        let changed = SystemTime::UNIX_EPOCH + Duration::new(secs as u64, nanos as u32);
        assert!(!settled(&id, changed));
        assert!(!settled(&id, changed + SETTLED));
        assert!(settled(&id, changed + SETTLED + Duration::from_millis(1)));
        assert!(
            !settled(&id, changed - Duration::from_secs(60)),
            "a change time in the future"
        );
    }

    #[test]
    fn the_parts_checksum_sees_each_part_and_its_bounds() {
        let whole = parts_checksum(&[b"abcdefgh", b"ijkl"]);
        assert_ne!(whole, parts_checksum(&[b"abcdefgh", b"ijkm"]));
        assert_ne!(whole, parts_checksum(&[b"abcdefg", b"hijkl"]));
        assert_ne!(whole, parts_checksum(&[b"abcdefgh"]));
    }
}
