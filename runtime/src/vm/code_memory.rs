//! Memory that holds a module's machine code: either anonymous pages the
//! code is copied into, or a cache file mapped as it is. Either way the code
//! pages end read-only and executable, never writable and executable at
//! once; a file mapping is never written, so every OS process that maps the
//! same cache file shares its physical pages (a native `.so`'s text).

use crate::error::{Error, Result};
use std::ops::Range;
use std::os::fd::AsRawFd;

/// A mapping with a range of executable code in it.
pub(crate) struct CodeMemory {
    base: *mut u8,
    len: usize,
    text: Range<usize>,
    file_backed: bool,
}

// SAFETY: the mapping is immutable once built; it is only read and executed.
unsafe impl Send for CodeMemory {}
// SAFETY: as above.
unsafe impl Sync for CodeMemory {}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

fn os_error(what: &str) -> Error {
    Error::msg(format!("{what}: {}", std::io::Error::last_os_error()))
}

impl CodeMemory {
    /// Copies `text` into fresh pages and makes them executable.
    pub fn copy_of(text: &[u8]) -> Result<CodeMemory> {
        if text.is_empty() {
            return Ok(CodeMemory {
                base: std::ptr::null_mut(),
                len: 0,
                text: 0..0,
                file_backed: false,
            });
        }
        let len = text.len().next_multiple_of(page_size());
        // SAFETY: a fresh private anonymous mapping; nothing else refers to it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(os_error("cannot allocate code memory"));
        }
        let mut memory = CodeMemory {
            base: base.cast(),
            len,
            text: 0..text.len(),
            file_backed: false,
        };
        // SAFETY: the mapping is `len >= text.len()` writable bytes.
        unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), memory.base, text.len()) };
        memory.protect(libc::PROT_READ | libc::PROT_EXEC)?;
        Ok(memory)
    }

    /// Maps all `len` bytes of `file` read-only. The caller checks the
    /// contents (`bytes`) and then makes `text` executable with
    /// [`CodeMemory::make_executable`].
    pub fn map_file(file: &std::fs::File, len: usize) -> Result<CodeMemory> {
        if len == 0 {
            return Err(Error::msg("cannot map an empty code cache file"));
        }
        // SAFETY: a new private read-only mapping of an open file; the file's
        // contents are only read through `bytes`, which the caller validates.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                // Populated up front: the caller's checksum reads every byte,
                // and one populate is cheaper than a fault per 16 pages.
                libc::MAP_PRIVATE | libc::MAP_POPULATE,
                file.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(os_error("cannot map code cache file"));
        }
        Ok(CodeMemory {
            base: base.cast(),
            len,
            text: 0..0,
            file_backed: true,
        })
    }

    /// The whole mapping (of a file: its contents).
    pub fn bytes(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: the mapping is `len` readable bytes for our lifetime.
        unsafe { std::slice::from_raw_parts(self.base, self.len) }
    }

    /// Makes `text` (page-aligned start, inside the mapping) the executable
    /// code, read-only.
    pub fn make_executable(&mut self, text: Range<usize>) -> Result<()> {
        if !text.start.is_multiple_of(page_size()) || text.end > self.len || text.start > text.end {
            return Err(Error::msg(
                "code range is not page-aligned inside its mapping",
            ));
        }
        self.text = text;
        self.protect(libc::PROT_READ | libc::PROT_EXEC)
    }

    fn protect(&mut self, prot: libc::c_int) -> Result<()> {
        if self.text.is_empty() {
            return Ok(());
        }
        let len = (self.text.end - self.text.start).next_multiple_of(page_size());
        // SAFETY: the range is page-aligned and inside our mapping (rounded up
        // to whole pages, which the mapping also covers).
        let rc = unsafe { libc::mprotect(self.base.add(self.text.start).cast(), len, prot) };
        if rc != 0 {
            return Err(os_error("cannot make code executable"));
        }
        Ok(())
    }

    /// Address of the first byte of code.
    pub fn text_start(&self) -> usize {
        self.base as usize + self.text.start
    }

    /// Whether the code is mapped from a (shareable) cache file.
    pub fn file_backed(&self) -> bool {
        self.file_backed
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: we own the mapping; no code in it can still run (the
            // owning module is gone, and with it every instance).
            unsafe { libc::munmap(self.base.cast(), self.len) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copied_code_is_readable_at_text_start() {
        let code = [0xc3u8, 0x90, 0x90];
        let memory = CodeMemory::copy_of(&code).unwrap();
        // SAFETY: three readable bytes at the start.
        let read = unsafe { std::slice::from_raw_parts(memory.text_start() as *const u8, 3) };
        assert_eq!(read, code);
        assert!(!memory.file_backed());
    }

    #[test]
    fn an_unaligned_text_range_is_refused() {
        let file = std::fs::File::open("/proc/self/exe").unwrap();
        let mut memory = CodeMemory::map_file(&file, 8192).unwrap();
        assert!(memory.make_executable(1..100).is_err());
        assert!(memory.make_executable(0..100_000).is_err());
    }
}
