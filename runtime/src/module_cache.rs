//! The engine's cache of compiled modules: the same bytes are compiled once
//! per engine, and the code stays after every `Module` handle is gone, so a
//! host running programs one after another does not recompile them for
//! every process. Bounded by a byte budget (machine code plus the module's
//! bytes); the least recently used entries go first.
//!
//! Entries hold the engine-independent part of a module ([`ModuleCode`]),
//! not a `Module` (which holds its engine): a cache holding its own engine
//! would keep both alive forever.

use crate::module::ModuleCode;
use hashbrown::HashMap;
use std::sync::Arc;

/// Counts of the module cache (see [`crate::Engine::module_cache_stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModuleCacheStats {
    /// Loads answered from the cache.
    pub hits: u64,
    /// Loads that compiled.
    pub misses: u64,
    /// Compiled modules kept.
    pub entries: usize,
    /// Bytes they account for (machine code plus module bytes).
    pub bytes: usize,
    /// Entries dropped to stay within the budget.
    pub evictions: u64,
    /// Modules compiled by Cranelift (with the cache on or off).
    pub compiled: u64,
    /// Loads answered by mapping a file of the on-disk code cache.
    pub disk_hits: u64,
    /// Module files whose code key came from the cache's file index
    /// instead of hashing their code.
    pub disk_file_keys: u64,
    /// Files written to the on-disk code cache.
    pub disk_writes: u64,
    /// Cache files found unusable (corrupted, truncated, foreign, from
    /// another build) and recompiled instead.
    pub disk_rejected: u64,
    /// Host-call trampolines compiled (see `Config::cache_dir`: with a disk
    /// cache, a later engine copies them instead).
    pub trampolines_compiled: u64,
    /// Trampolines copied from the set an earlier engine saved.
    pub trampolines_from_disk: u64,
}

/// Most modules kept whatever their size: each keeps at least a page of
/// code and its own mappings, so many tiny modules must not pile up either.
const MAX_ENTRIES: usize = 1024;

struct Entry {
    code: Arc<ModuleCode>,
    size: usize,
    last_used: u64,
}

/// Compiled modules by a hash of their bytes (bytes compared on a hit).
pub(crate) struct ModuleCache {
    by_hash: HashMap<u64, Vec<Entry>>,
    budget: usize,
    clock: u64,
    stats: ModuleCacheStats,
}

impl ModuleCache {
    pub fn new(budget: usize) -> ModuleCache {
        ModuleCache {
            by_hash: HashMap::new(),
            budget,
            clock: 0,
            stats: ModuleCacheStats::default(),
        }
    }

    /// The compiled module with exactly `bytes`, counting a hit or a miss.
    pub fn get(&mut self, hash: u64, bytes: &[u8]) -> Option<Arc<ModuleCode>> {
        self.clock += 1;
        let clock = self.clock;
        let found = self
            .by_hash
            .get_mut(&hash)
            .and_then(|entries| entries.iter_mut().find(|e| e.code.bytes() == bytes))
            .map(|entry| {
                entry.last_used = clock;
                entry.code.clone()
            });
        match found {
            Some(_) => self.stats.hits += 1,
            None => self.stats.misses += 1,
        }
        found
    }

    /// Keeps `code`, then evicts least recently used entries over the budget
    /// or the entry limit (never the one just added).
    pub fn insert(&mut self, hash: u64, code: &Arc<ModuleCode>) {
        self.clock += 1;
        let size = code.cost();
        self.by_hash.entry(hash).or_default().push(Entry {
            code: code.clone(),
            size,
            last_used: self.clock,
        });
        self.stats.entries += 1;
        self.stats.bytes += size;
        while (self.stats.bytes > self.budget || self.stats.entries > MAX_ENTRIES)
            && self.stats.entries > 1
        {
            let oldest = self
                .by_hash
                .iter()
                .flat_map(|(h, entries)| entries.iter().enumerate().map(move |(i, e)| (*h, i, e)))
                .filter(|(_, _, e)| e.last_used != self.clock)
                .min_by_key(|(_, _, e)| e.last_used)
                .map(|(h, i, _)| (h, i));
            let Some((h, i)) = oldest else { break };
            let entries = self.by_hash.get_mut(&h).expect("found above");
            let entry = entries.swap_remove(i);
            if entries.is_empty() {
                self.by_hash.remove(&h);
            }
            self.stats.entries -= 1;
            self.stats.bytes -= entry.size;
            self.stats.evictions += 1;
        }
    }

    pub fn stats(&self) -> ModuleCacheStats {
        self.stats
    }

    /// Counts an event that is not a lookup (see `Engine::record`).
    pub fn record(&mut self, event: impl FnOnce(&mut ModuleCacheStats)) {
        event(&mut self.stats);
    }
}
