//! The engine: compiler settings, the engine-wide signature registry, the
//! trampoline cache, the cache of compiled modules and the on-disk code cache.

use crate::compile::trampolines::{TrampolineKind, Trampolines};
use crate::disk_cache::file_key::{self, FileKey};
use crate::disk_cache::{format::Key, DiskCache};
use crate::error::{Error, Result};
use crate::file_cache::{FileCache, FileIdentity};
use crate::linker::{Linker, SharedDefinitions};
use crate::module::{Module, ModuleCode};
use crate::module_cache::{ModuleCache, ModuleCacheStats};
use crate::types::FuncType;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use hashbrown::HashMap;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};

/// Engine settings, built with chained setters (as wasmtime's `Config`):
///
/// ```
/// let config = wrun::Config::new().max_wasm_stack(512 << 10).cache_modules(false);
/// let engine = wrun::Engine::new(config)?;
/// assert_eq!(engine.config().max_wasm_stack, 512 << 10);
/// # Ok::<(), wrun::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Bytes of native stack a chain of wasm calls may use before it traps
    /// with "call stack exhausted" (default 1 MiB; never more than the
    /// calling thread has left).
    pub max_wasm_stack: usize,
    /// Reuse the compiled module when the same bytes are loaded again (default on).
    pub cache_modules: bool,
    /// Compile checks of the engine's epoch into every function entry and
    /// loop header, so a store's deadline can stop any guest, even a
    /// `loop br 0` (default off: then no check is compiled at all).
    pub epoch_interruption: bool,
    /// Bytes (machine code plus module bytes) of compiled modules the engine
    /// keeps after their last `Module` handle is gone (default 256 MiB);
    /// least recently used ones go first.
    pub module_cache_bytes: usize,
    /// Directory of the on-disk code cache (default none: off). Compiled
    /// code is written there and later loads, in any OS process, map it
    /// instead of compiling; see [`Config::default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Bytes of compiled code the on-disk cache keeps (default 512 MiB);
    /// past it, writing an entry removes the least recently used ones.
    pub cache_size_limit: u64,
    /// Compile a large module's functions on every core (default on).
    pub parallel_compilation: bool,
    /// Guard pages behind every linear memory (8 GiB of address space each)
    /// so compiled code needs no bounds checks: `Some(true)` always,
    /// `Some(false)` never (explicit checks, memories reserve only their
    /// maximum), `None` (default) when the OS grants such reservations.
    pub memory_guard: Option<bool>,
    /// Guarded memory reservations the engine keeps, zeroed, after their
    /// store drops them, for the next memory it creates (default 8; 0
    /// unmaps them at once). A kept reservation holds at most 1 MiB of
    /// resident pages; see `vm/memory_pool.rs`.
    pub memory_pool_size: usize,
    /// Ask the kernel for transparent huge pages in linear memories
    /// (`MADV_HUGEPAGE`; default off). A heap that grows and is used fills
    /// in with one page fault per 2 MiB instead of per 4 KiB (a Lua run:
    /// 14,900 faults down to 6,200, a third less kernel time); but memory
    /// touched sparsely becomes resident 2 MiB at a time (a guest writing
    /// one byte per MiB of 3 GiB holds 3 GiB instead of 12 MiB).
    pub memory_huge_pages: bool,
    /// Accept the extended-const proposal (default on, as in wasmtime).
    pub wasm_extended_const: bool,
    /// Accept the multi-memory proposal (default on, as in wasmtime).
    pub wasm_multi_memory: bool,
    /// Accept the tail-call proposal (default on, as in wasmtime).
    pub wasm_tail_call: bool,
    /// Accept fixed-width SIMD, `v128` (default on: part of WebAssembly 2.0).
    pub wasm_simd: bool,
    /// Accept the relaxed-SIMD proposal (default on, as in wasmtime); wrun
    /// gives each relaxed operator one deterministic result, documented in
    /// `compile/simd_relaxed.rs`.
    pub wasm_relaxed_simd: bool,
    /// Accept exception handling, the standard form (`try_table`, `throw`,
    /// `throw_ref`, `exnref`) and the legacy one (`try`/`catch`/`rethrow`/
    /// `delegate`) (default on). Off, calls carry no exception check.
    pub wasm_exceptions: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_wasm_stack: 1 << 20,
            cache_modules: true,
            epoch_interruption: false,
            module_cache_bytes: 256 << 20,
            cache_dir: None,
            cache_size_limit: 512 << 20,
            parallel_compilation: true,
            memory_guard: None,
            memory_pool_size: 8,
            memory_huge_pages: false,
            wasm_extended_const: true,
            wasm_multi_memory: true,
            wasm_tail_call: true,
            wasm_simd: true,
            wasm_relaxed_simd: true,
            wasm_exceptions: true,
        }
    }
}

impl Config {
    /// The default settings.
    pub fn new() -> Config {
        Config::default()
    }

    /// Sets how many bytes of native stack a chain of wasm calls may use.
    pub fn max_wasm_stack(mut self, bytes: usize) -> Config {
        self.max_wasm_stack = bytes;
        self
    }

    /// Sets whether the same bytes loaded again reuse the compiled module.
    pub fn cache_modules(mut self, enable: bool) -> Config {
        self.cache_modules = enable;
        self
    }

    /// Turns epoch interruption on or off (see the field).
    pub fn epoch_interruption(mut self, enable: bool) -> Config {
        self.epoch_interruption = enable;
        self
    }

    /// Sets the byte budget of the compiled-module cache.
    pub fn module_cache_bytes(mut self, bytes: usize) -> Config {
        self.module_cache_bytes = bytes;
        self
    }

    /// Sets the on-disk code cache directory; `None` turns the cache off.
    pub fn cache_dir(mut self, dir: Option<PathBuf>) -> Config {
        self.cache_dir = dir;
        self
    }

    /// Sets how many bytes the on-disk code cache keeps (see the field).
    pub fn cache_size_limit(mut self, bytes: u64) -> Config {
        self.cache_size_limit = bytes;
        self
    }

    /// Sets how many idle memory reservations the engine keeps (see the field).
    pub fn memory_pool_size(mut self, reservations: usize) -> Config {
        self.memory_pool_size = reservations;
        self
    }

    /// Asks for transparent huge pages in linear memories or not (see the
    /// field).
    pub fn memory_huge_pages(mut self, enable: bool) -> Config {
        self.memory_huge_pages = enable;
        self
    }

    /// Chooses guard pages or explicit bounds checks (see the field).
    pub fn memory_guard(mut self, guard: Option<bool>) -> Config {
        self.memory_guard = guard;
        self
    }

    /// Accepts extended constant expressions or not (off: WebAssembly 2.0).
    pub fn wasm_extended_const(mut self, enable: bool) -> Config {
        self.wasm_extended_const = enable;
        self
    }

    /// Accepts modules with several memories or not (off: WebAssembly 2.0).
    pub fn wasm_multi_memory(mut self, enable: bool) -> Config {
        self.wasm_multi_memory = enable;
        self
    }

    /// Accepts `return_call` and `return_call_indirect` or not (off:
    /// WebAssembly 2.0).
    pub fn wasm_tail_call(mut self, enable: bool) -> Config {
        self.wasm_tail_call = enable;
        self
    }

    /// Accepts SIMD (`v128`) or not; off also turns relaxed SIMD off.
    pub fn wasm_simd(mut self, enable: bool) -> Config {
        self.wasm_simd = enable;
        self
    }

    /// Accepts the relaxed-SIMD operators or not (off: WebAssembly 2.0).
    pub fn wasm_relaxed_simd(mut self, enable: bool) -> Config {
        self.wasm_relaxed_simd = enable;
        self
    }

    /// Accepts exception handling or not (off: WebAssembly 2.0).
    pub fn wasm_exceptions(mut self, enable: bool) -> Config {
        self.wasm_exceptions = enable;
        self
    }

    /// Turns parallel compilation on or off.
    pub fn parallel_compilation(mut self, enable: bool) -> Config {
        self.parallel_compilation = enable;
        self
    }

    /// Where the command-line tool keeps compiled code: `$WRUN_CACHE_DIR`,
    /// else `$XDG_CACHE_HOME/wrun`, else `$HOME/.cache/wrun` (`None` when
    /// none of them is set).
    pub fn default_cache_dir() -> Option<PathBuf> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        if let Some(dir) = var("WRUN_CACHE_DIR") {
            return Some(dir.into());
        }
        if let Some(dir) = var("XDG_CACHE_HOME") {
            return Some(PathBuf::from(dir).join("wrun"));
        }
        var("HOME").map(|home| PathBuf::from(home).join(".cache").join("wrun"))
    }
}

/// Engine-wide canonical signature ids: equal types get equal ids, so a
/// function made by one module type-checks in another module's `call_indirect`.
#[derive(Default)]
struct SignatureRegistry {
    ids: HashMap<FuncType, u32>,
    types: Vec<FuncType>,
}

pub(crate) struct EngineInner {
    pub isa: OwnedTargetIsa,
    pub config: Config,
    signatures: RwLock<SignatureRegistry>,
    trampolines: Mutex<Trampolines>,
    modules: Mutex<ModuleCache>,
    files: Mutex<FileCache>,
    /// Host-function sets built once per engine (see `Engine::shared_definitions`).
    shared_definitions: Mutex<HashMap<(std::any::TypeId, &'static str), SharedDefinitions>>,
    disk_cache: Option<DiskCache>,
    /// Whether memories have guard pages (else code checks bounds).
    memory_guard: bool,
    /// Idle guarded memory reservations, reused by the next memory.
    memory_pool: Arc<crate::vm::memory_pool::MemoryPool>,
    /// Hash of everything besides a module's bytes that changes its code:
    /// this build of wrun (and of Cranelift), the target and its CPU
    /// features, and the code-generation settings.
    code_fingerprint: [u8; 32],
    /// The disk cache's name for this engine's saved trampoline set.
    trampoline_key: [u8; 32],
    /// Whether trampolines were compiled since the set was last saved:
    /// read without the lock, because every `dlsym` passes the save point.
    trampolines_unsaved: std::sync::atomic::AtomicBool,
    /// The epoch `increment_epoch` bumps, and the stores with a deadline.
    pub(crate) epoch_watch: Arc<crate::vm::epoch_watch::EpochWatch>,
}

impl EngineInner {
    fn lock_trampolines(&self) -> std::sync::MutexGuard<'_, Trampolines> {
        self.trampolines.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn save_trampolines(&self) {
        let Some(disk) = &self.disk_cache else {
            return;
        };
        if !self.trampolines_unsaved.swap(false, Ordering::Relaxed) {
            return;
        }
        let trampolines = self.lock_trampolines();
        let _ = disk.store_trampolines(&self.trampoline_key, trampolines.saved_set());
    }
}

impl Drop for EngineInner {
    fn drop(&mut self) {
        self.save_trampolines();
    }
}

/// Compiles modules and owns what they share. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(Config::default()).expect("the host ISA is supported")
    }
}

/// The code generator. With `epoch_checks`, one register (r15 on x86-64) is
/// kept for the store's epoch poll page (see `vm::epoch_watch`): the checks
/// in hot loops then read through a register that is always there, instead
/// of a value the register allocator spills and reloads on the back edge.
fn build_isa(epoch_checks: bool) -> Result<OwnedTargetIsa> {
    let mut flags = settings::builder();
    let set = |flags: &mut settings::Builder, name: &str, value: &str| {
        flags
            .set(name, value)
            .map_err(|e| Error::msg(format!("cranelift setting {name}: {e}")))
    };
    set(&mut flags, "opt_level", "speed")?;
    // Wasm functions may return more values than there are return registers.
    set(&mut flags, "enable_multi_ret_implicit_sret", "true")?;
    // Frame pointers let the trap handler name the wasm functions on the stack.
    set(&mut flags, "preserve_frame_pointers", "true")?;
    // 32-byte function alignment, as wasmtime uses on x86-64: with Cranelift's
    // 16-byte minimum, hot loops were seen straddling cache lines (sieve 1.17x).
    set(&mut flags, "log2_min_function_alignment", "5")?;
    set(
        &mut flags,
        "enable_pinned_reg",
        if epoch_checks { "true" } else { "false" },
    )?;
    set(
        &mut flags,
        "enable_verifier",
        if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        },
    )?;
    let builder = cranelift_native::builder()
        .map_err(|e| Error::msg(format!("host CPU not supported by Cranelift: {e}")))?;
    builder
        .finish(settings::Flags::new(flags))
        .map_err(|e| Error::msg(format!("cannot create the code generator: {e}")))
}

/// See `EngineInner::code_fingerprint`. The build id covers wrun's sources
/// and `Cargo.lock` (so the Cranelift version), so a rebuilt wrun never runs
/// code an older build cached.
fn code_fingerprint(isa: &OwnedTargetIsa, config: &Config, memory_guard: bool) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"wrun code\0");
    hasher.update(env!("CARGO_PKG_VERSION"));
    hasher.update(env!("WRUN_BUILD_ID"));
    hasher.update(isa.triple().to_string());
    hasher.update(isa.flags().to_string());
    for flag in isa.isa_flags() {
        hasher.update(flag.to_string());
        hasher.update(b"\0");
    }
    hasher.update([u8::from(config.epoch_interruption), u8::from(memory_guard)]);
    // Validation settings: a cache hit skips validation, so a module
    // cached under laxer settings must not be found under stricter ones.
    hasher.update([
        u8::from(config.wasm_extended_const),
        u8::from(config.wasm_multi_memory),
        u8::from(config.wasm_tail_call),
        u8::from(config.wasm_simd),
        u8::from(config.wasm_relaxed_simd),
        u8::from(config.wasm_exceptions),
    ]);
    hasher.finalize().into()
}

impl Engine {
    /// Creates an engine for the host CPU. Fails if `cache_dir` is set but
    /// cannot be used (not creatable, or not owned and writable only by
    /// this user).
    pub fn new(config: Config) -> Result<Engine> {
        let isa = build_isa(config.epoch_interruption)?;
        let memory_guard = config
            .memory_guard
            .unwrap_or_else(crate::vm::memory::guard_pages_available);
        let disk_cache = match &config.cache_dir {
            Some(dir) => Some(DiskCache::open(dir, config.cache_size_limit)?),
            None => None,
        };
        let fingerprint = code_fingerprint(&isa, &config, memory_guard);
        Ok(Engine {
            inner: Arc::new(EngineInner {
                trampolines: Mutex::new(Trampolines::new(isa.clone())),
                trampoline_key: Sha256::new()
                    .chain_update(b"wrun trampolines\0")
                    .chain_update(fingerprint)
                    .finalize()
                    .into(),
                code_fingerprint: fingerprint,
                trampolines_unsaved: Default::default(),
                memory_guard,
                memory_pool: Arc::new(crate::vm::memory_pool::MemoryPool::new(
                    config.memory_pool_size,
                )),
                disk_cache,
                isa,
                modules: Mutex::new(ModuleCache::new(config.module_cache_bytes)),
                files: Mutex::new(FileCache::default()),
                shared_definitions: Mutex::new(HashMap::new()),
                epoch_watch: Arc::default(),
                config,
                signatures: RwLock::new(SignatureRegistry::default()),
            }),
        })
    }

    /// The engine's settings.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Whether two handles refer to the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// The engine-wide id of a signature, registering it if new.
    pub(crate) fn signature_id(&self, ty: &FuncType) -> u32 {
        if let Some(id) = self.read_signatures().ids.get(ty) {
            return *id;
        }
        let mut reg = self
            .inner
            .signatures
            .write()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(id) = reg.ids.get(ty) {
            return *id;
        }
        let id = reg.types.len() as u32;
        reg.types.push(ty.clone());
        reg.ids.insert(ty.clone(), id);
        id
    }

    fn read_signatures(&self) -> std::sync::RwLockReadGuard<'_, SignatureRegistry> {
        self.inner
            .signatures
            .read()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The signature registered under `id`.
    pub(crate) fn signature(&self, id: u32) -> FuncType {
        self.read_signatures().types[id as usize].clone()
    }

    /// Address of a trampoline for signature `id`. The first one asked
    /// for brings in the set an earlier engine saved in the disk cache.
    pub(crate) fn trampoline(&self, kind: TrampolineKind, id: u32) -> Result<usize> {
        let ty = self.signature(id);
        let mut trampolines = self.inner.lock_trampolines();
        if !std::mem::replace(&mut trampolines.looked_for_saved, true) {
            if let Some(disk) = &self.inner.disk_cache {
                if let Some(set) = disk.load_trampolines(&self.inner.trampoline_key) {
                    let count = set.len() as u64;
                    trampolines.preload(set)?;
                    self.record(|s| s.trampolines_from_disk += count);
                }
            }
        }
        let (addr, compiled) = trampolines.get(kind, id, &ty)?;
        if compiled {
            self.inner
                .trampolines_unsaved
                .store(true, Ordering::Relaxed);
            self.record(|s| s.trampolines_compiled += 1);
        }
        Ok(addr)
    }

    /// Saves the trampolines compiled since the last save to the disk
    /// cache, for the next engine; called when a process has linked. A
    /// failure only costs that engine the compiling.
    pub(crate) fn save_trampolines(&self) {
        self.inner.save_trampolines();
    }

    /// Writes to the disk cache what it does not hold yet (host-call
    /// trampolines compiled since the last save), as dropping the engine
    /// does: for a host that exits without tearing its processes down.
    pub fn flush_disk_cache(&self) {
        self.inner.save_trampolines();
    }

    /// A compiled module with exactly these bytes, if the cache has one.
    pub(crate) fn cached_module(&self, hash: u64, bytes: &[u8]) -> Option<Arc<ModuleCode>> {
        if !self.inner.config.cache_modules {
            return None;
        }
        self.module_cache().get(hash, bytes)
    }

    /// Keeps a compiled module for reuse.
    pub(crate) fn cache_module(&self, hash: u64, module: &Arc<ModuleCode>) {
        if self.inner.config.cache_modules {
            self.module_cache().insert(hash, module);
        }
    }

    fn module_cache(&self) -> std::sync::MutexGuard<'_, ModuleCache> {
        self.inner.modules.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Advances the epoch: stores whose deadline it reaches trap with
    /// "interrupt" at their next check. Callable from any thread (a timer
    /// thread, a signal handler): it never blocks and never allocates, and
    /// costs one `mprotect` per store it interrupts.
    pub fn increment_epoch(&self) {
        self.inner.epoch_watch.increment();
    }

    pub(crate) fn current_epoch(&self) -> u64 {
        self.inner.epoch_watch.current()
    }

    /// Hits, misses, size and evictions of the compiled-module cache, and
    /// what the disk cache and the compiler did.
    pub fn module_cache_stats(&self) -> ModuleCacheStats {
        self.module_cache().stats()
    }

    /// Counts an event in the cache statistics.
    pub(crate) fn record(&self, event: impl FnOnce(&mut ModuleCacheStats)) {
        self.module_cache().record(event);
    }

    /// The module compiled from the file at `path` (absolute) with
    /// `identity`, named `name`, if the engine remembers it (see
    /// `file_cache`), with the file's canonical path.
    pub(crate) fn file_module(
        &self,
        path: &std::path::Path,
        identity: FileIdentity,
        name: &str,
    ) -> Option<(Module, PathBuf)> {
        if !self.inner.config.cache_modules {
            return None;
        }
        let (code, canonical) = self.files().get(path, identity)?;
        self.record(|s| s.hits += 1);
        Some((Module::from_code(self, name, code), canonical))
    }

    /// Remembers which module the file at `path` (absolute) is, if the
    /// file is settled: on kernels without multigrain timestamps, file
    /// times come from a coarse clock (a tick of milliseconds), so a
    /// same-size rewrite just after the read could keep the identity it was
    /// read under. A file changed less than
    /// `file_key::SETTLED` ago is read again by the next process (whose
    /// module cache still finds the code by its bytes).
    pub(crate) fn remember_file(
        &self,
        path: PathBuf,
        identity: FileIdentity,
        canonical: PathBuf,
        module: &Module,
    ) {
        let settled = file_key::settled(&identity, std::time::SystemTime::now());
        if self.inner.config.cache_modules && settled {
            self.files()
                .insert(path, identity, canonical, module.code());
        }
    }

    fn files(&self) -> std::sync::MutexGuard<'_, FileCache> {
        self.inner.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The host functions `define` puts in a linker for stores of `T`,
    /// built once per engine under `name` and shared by later callers (a
    /// process's WASI and `dyld` functions, for example).
    pub(crate) fn shared_definitions<T: 'static>(
        &self,
        name: &'static str,
        define: impl FnOnce(&mut Linker<T>) -> Result<()>,
    ) -> Result<SharedDefinitions> {
        let key = (std::any::TypeId::of::<T>(), name);
        let mut sets = self
            .inner
            .shared_definitions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(set) = sets.get(&key) {
            return Ok(set.clone());
        }
        let mut linker = Linker::new();
        define(&mut linker)?;
        let set = linker.share();
        sets.insert(key, set.clone());
        Ok(set)
    }

    /// Whether linear memories get guard pages (else code checks bounds).
    pub fn memory_guard(&self) -> bool {
        self.inner.memory_guard
    }

    /// The engine's idle memory reservations.
    pub(crate) fn memory_pool(&self) -> &Arc<crate::vm::memory_pool::MemoryPool> {
        &self.inner.memory_pool
    }

    /// The on-disk code cache, if on.
    pub(crate) fn disk_cache(&self) -> Option<&DiskCache> {
        self.inner.disk_cache.as_ref()
    }

    /// The disk-cache key of a module with `bytes`: the code settings and
    /// the bytes that can change the code (`disk_cache::covered_parts`).
    pub(crate) fn code_key(&self, bytes: &[u8]) -> Key {
        let mut hasher = Sha256::new();
        hasher.update(self.inner.code_fingerprint);
        covered_or_all(bytes)
            .iter()
            .for_each(|part| hasher.update(part));
        hasher.finalize().into()
    }

    /// The file index's entry for the module file with `identity`, if the
    /// disk cache has a usable one under this engine's code settings.
    pub(crate) fn indexed_file_key(&self, identity: Option<&FileIdentity>) -> Option<FileKey> {
        self.disk_cache()?
            .load_file_key(&self.inner.code_fingerprint, identity?)
    }

    /// The disk-cache key of `bytes`, read whole from the module file with
    /// `identity` of which the file index had the entry `indexed`: that
    /// entry's key when its checksum matches (`disk_cache::file_key`), else
    /// hashed. `None` without a disk cache. With the key comes the entry to
    /// record in the index once the module loaded, if the file is new to it
    /// and settled.
    pub(crate) fn file_code_key(
        &self,
        identity: Option<&FileIdentity>,
        indexed: Option<&FileKey>,
        bytes: &[u8],
    ) -> (Option<Key>, Option<FileKey>) {
        let (Some(_), Some(identity)) = (self.disk_cache(), identity) else {
            return (self.disk_cache().map(|_| self.code_key(bytes)), None);
        };
        if let Some(key) = indexed.and_then(|entry| indexed_key(entry, bytes)) {
            self.record(|s| s.disk_file_keys += 1);
            return (Some(key), None);
        }
        let key = self.code_key(bytes);
        let settled = file_key::settled(identity, std::time::SystemTime::now());
        let entry = file_checksum(bytes)
            .filter(|_| settled)
            .map(|checked| FileKey { checked, key });
        (Some(key), entry)
    }

    /// Records `entry` (from `file_code_key`) for the module file with
    /// `identity`; a failure only means the next load hashes again.
    pub(crate) fn record_file_key(&self, identity: &FileIdentity, entry: &FileKey) {
        if let Some(cache) = self.disk_cache() {
            let _ = cache.store_file_key(&self.inner.code_fingerprint, identity, entry);
        }
    }
}

/// The checksum the file index keeps of a module with `bytes` (whose
/// function bodies may be left out); `None` when its sections cannot be
/// walked.
fn file_checksum(bytes: &[u8]) -> Option<[u8; 32]> {
    crate::disk_cache::covered_parts_but_bodies(bytes).map(|parts| file_key::parts_checksum(&parts))
}

/// The key of the file index's `entry` if it describes `bytes` (whose
/// function bodies may be left out): its checksum matches theirs.
pub(crate) fn indexed_key(entry: &FileKey, bytes: &[u8]) -> Option<Key> {
    (file_checksum(bytes) == Some(entry.checked)).then_some(entry.key)
}

/// The parts of `bytes` a code key covers, or all of them when the section
/// framing is broken (validation then reports the module).
fn covered_or_all(bytes: &[u8]) -> Vec<&[u8]> {
    crate::disk_cache::covered_parts(bytes).unwrap_or_else(|| vec![bytes])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_settled_files_are_remembered_by_identity() {
        let engine = Engine::default();
        let module = Module::new(&engine, b"\0asm\x01\0\0\0").unwrap();
        let fresh = std::env::temp_dir().join(format!("wrun-fresh-{}.wasm", std::process::id()));
        std::fs::write(&fresh, b"\0asm\x01\0\0\0").unwrap();
        // The root directory stands in for a file that changed long ago.
        let settled = PathBuf::from("/");
        for path in [&fresh, &settled] {
            let identity = FileIdentity::of(path).unwrap();
            engine.remember_file(path.clone(), identity, path.clone(), &module);
        }
        let known = |path: &PathBuf| {
            let identity = FileIdentity::of(path).unwrap();
            engine.file_module(path, identity, "m").is_some()
        };
        assert!(!known(&fresh), "changed just now: read again next time");
        assert!(known(&settled));
        std::fs::remove_file(&fresh).unwrap();
    }
}
