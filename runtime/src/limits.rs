//! Resource limits of a store (a process), in the shape of wasmtime's
//! `StoreLimits`: how large a linear memory or table may become and how
//! many instances, memories and tables the store may hold. A limit is
//! checked when the resource is created; growth past a limit fails the way
//! growth past a declared maximum does (`memory.grow` and `table.grow`
//! return -1), so a guest can handle it.

use crate::error::{Error, Result};

/// Limits of one store; every one is unlimited by default.
///
/// ```
/// let limits = wrun::StoreLimits::new().memory_size(64 << 20).instances(100);
/// let mut store = wrun::Store::new(&wrun::Engine::default(), ());
/// store.set_limits(limits);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreLimits {
    /// Bytes a linear memory may hold.
    pub memory_size: Option<u64>,
    /// Elements a table may hold.
    pub table_elements: Option<u64>,
    /// Instances the store may hold (for a process: its main, libraries
    /// and `--preload` modules).
    pub instances: Option<usize>,
    /// Linear memories the store may hold.
    pub memories: Option<usize>,
    /// Tables the store may hold.
    pub tables: Option<usize>,
}

impl StoreLimits {
    /// No limits.
    pub fn new() -> StoreLimits {
        StoreLimits::default()
    }

    /// Sets the largest linear memory, in bytes.
    pub fn memory_size(mut self, bytes: u64) -> StoreLimits {
        self.memory_size = Some(bytes);
        self
    }

    /// Sets the largest table, in elements.
    pub fn table_elements(mut self, elements: u64) -> StoreLimits {
        self.table_elements = Some(elements);
        self
    }

    /// Sets how many instances the store may hold.
    pub fn instances(mut self, count: usize) -> StoreLimits {
        self.instances = Some(count);
        self
    }

    /// Sets how many linear memories the store may hold.
    pub fn memories(mut self, count: usize) -> StoreLimits {
        self.memories = Some(count);
        self
    }

    /// Sets how many tables the store may hold.
    pub fn tables(mut self, count: usize) -> StoreLimits {
        self.tables = Some(count);
        self
    }

    /// The most 64 KiB pages a memory may have (`None`: unlimited).
    pub(crate) fn memory_pages(&self) -> Option<u64> {
        self.memory_size.map(|bytes| bytes / 65536)
    }

    /// Fails if `have` more of `what` would pass `limit`.
    pub(crate) fn check_count(limit: Option<usize>, have: usize, what: &str) -> Result<()> {
        match limit {
            Some(limit) if have >= limit => Err(Error::msg(format!(
                "resource limit exceeded: the store may hold at most {limit} {what}"
            ))),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_checked_before_adding_one_more() {
        assert!(StoreLimits::check_count(Some(2), 1, "instances").is_ok());
        let error = StoreLimits::check_count(Some(2), 2, "instances").unwrap_err();
        assert!(error.to_string().contains("at most 2 instances"), "{error}");
        assert!(StoreLimits::check_count(None, usize::MAX - 1, "tables").is_ok());
        assert_eq!(
            StoreLimits::new().memory_size(200_000).memory_pages(),
            Some(3)
        );
    }
}
