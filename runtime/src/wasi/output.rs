//! Guest output captured into a host buffer instead of the host's stdout or
//! stderr (for embedders that run programs in the background or test them).

use std::sync::{Arc, Mutex};

/// A growable byte buffer that a guest's stdout or stderr writes into.
/// Cheap to clone: clones share the buffer, so the host keeps one clone
/// and reads [`OutputBuffer::contents`] after (or while) the guest runs.
#[derive(Clone, Debug, Default)]
pub struct OutputBuffer {
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl OutputBuffer {
    /// An empty buffer.
    pub fn new() -> OutputBuffer {
        OutputBuffer::default()
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.bytes.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Appends guest bytes.
    pub(crate) fn append(&self, bytes: &[u8]) {
        self.bytes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
    }
}
