//! A compiled module: immutable code and metadata, shared by every instance.

use crate::code::LoadedCode;
use crate::compile::{compile_module, CodegenOptions};
use crate::disk_cache::file_key::FileKey;
use crate::disk_cache::{format::Key, Lookup, MappedCode};
use crate::dylink::DylinkInfo;
use crate::engine::indexed_key;
use crate::engine::Engine;
use crate::environ::{self, EntityIndex, Import, ModuleInfo};
use crate::error::{Error, ErrorKind, Result};
use crate::file_cache::FileIdentity;
pub(crate) use crate::module_file::read_wasm_file;
use crate::module_file::{read_module_file, ModuleFileBytes};
use crate::types::ExternType;
use crate::vm::code_memory::CodeMemory;
use crate::vmoffsets::VmOffsets;
use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;
use wasmparser::{Validator, WasmFeatures};

/// A compiled WebAssembly module. Immutable, `Send + Sync`, and cheap to clone:
/// clones share the machine code, which is compiled once per engine for the
/// same bytes.
#[derive(Clone)]
pub struct Module {
    engine: Engine,
    /// The name this handle was loaded under.
    name: Arc<str>,
    inner: Arc<ModuleCode>,
}

/// What compiling a module produced, independent of any handle or engine
/// reference: the engine's cache keeps these.
pub(crate) struct ModuleCode {
    info: ModuleInfo,
    offsets: VmOffsets,
    /// Engine-wide signature id of each type index.
    sig_ids: Vec<u32>,
    code: LoadedCode,
    bytes: Box<[u8]>,
}

impl ModuleCode {
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// What keeping it costs the cache: machine code plus module bytes.
    pub(crate) fn cost(&self) -> usize {
        self.code.code_size() + self.bytes.len()
    }
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module").field("name", &self.name).finish()
    }
}

/// A module file read by `Module::read_file`, to load with
/// `Module::from_read`.
#[derive(Debug)]
pub(crate) struct ReadFile {
    /// The bytes, perhaps without the function bodies.
    file: ModuleFileBytes,
    /// The file's identity before the read.
    identity: Option<FileIdentity>,
    /// What the disk cache's file index said of the file.
    indexed: Option<FileKey>,
}

/// The in-process cache's hash of a module with `bytes` and disk-cache key
/// `key`. With a disk cache, its key (SHA-256 of the bytes that can change
/// the code) also keys the in-process cache, which compares the whole
/// bytes on a hit: one pass over the bytes instead of two (a separate
/// SipHash cost 6% of a cached start of a 4 MiB module).
fn in_process_hash(key: Option<&Key>, bytes: &[u8]) -> u64 {
    match key {
        Some(key) => u64::from_le_bytes(key[..8].try_into().expect("a key has 32 bytes")),
        None => {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut hasher);
            hasher.finish()
        }
    }
}

/// The disk cache's code under `key`, if it has a usable file.
fn load_cached(engine: &Engine, key: &Key) -> Option<MappedCode> {
    match engine.disk_cache()?.load(key) {
        Lookup::Hit(code) => Some(code),
        Lookup::Miss => None,
        Lookup::Rejected => {
            engine.record(|s| s.disk_rejected += 1);
            None
        }
    }
}

/// Where a module's instances keep what (`VmOffsets`).
fn vm_offsets(info: &ModuleInfo) -> VmOffsets {
    VmOffsets::new(
        info.memories.len() as u32,
        info.tables.len() as u32,
        info.num_imported_globals,
        info.globals.len() as u32 - info.num_imported_globals,
        info.num_imported_constants(),
        info.functions.len() as u32,
        info.types.len() as u32,
        info.tags.len() as u32,
        info.num_imported_tags,
    )
}

/// A module's name when it was not loaded under one: its name section's.
fn default_name(info: &ModuleInfo) -> String {
    info.name.clone().unwrap_or_else(|| "<module>".to_string())
}

impl ModuleCode {
    fn default_name(&self) -> String {
        default_name(&self.info)
    }
}

/// The wasm features wrun implements (each may still be turned off in
/// `Config`).
fn implemented_features() -> WasmFeatures {
    WasmFeatures::WASM2
        | WasmFeatures::EXTENDED_CONST
        | WasmFeatures::MULTI_MEMORY
        | WasmFeatures::TAIL_CALL
        | WasmFeatures::SIMD
        | WasmFeatures::RELAXED_SIMD
        | WasmFeatures::EXCEPTIONS
        | WasmFeatures::LEGACY_EXCEPTIONS
}

fn validate(engine: &Engine, bytes: &[u8]) -> Result<()> {
    // WebAssembly 2.0 and the proposals wrun implements that are on.
    let config = engine.config();
    let mut features = WasmFeatures::WASM2;
    features.set(WasmFeatures::EXTENDED_CONST, config.wasm_extended_const);
    features.set(WasmFeatures::MULTI_MEMORY, config.wasm_multi_memory);
    features.set(WasmFeatures::TAIL_CALL, config.wasm_tail_call);
    features.set(WasmFeatures::SIMD, config.wasm_simd);
    features.set(
        WasmFeatures::RELAXED_SIMD,
        config.wasm_simd && config.wasm_relaxed_simd,
    );
    features.set(WasmFeatures::EXCEPTIONS, config.wasm_exceptions);
    features.set(WasmFeatures::LEGACY_EXCEPTIONS, config.wasm_exceptions);
    let error = match Validator::new_with_features(features).validate_all(bytes) {
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    // Only an error that speaks of a feature is worth revalidating for:
    // a large invalid module is then validated once, not once per proposal.
    let message = error.message();
    let about_a_feature = ["enabled", "proposal", "required", "feature", "support"]
        .iter()
        .any(|word| message.contains(word));
    let proposal = about_a_feature
        .then(|| unimplemented_proposal(bytes, features))
        .flatten();
    Err(match proposal {
        Some(proposal) => Error::unsupported(proposal),
        None => error.into(),
    })
}

/// For a module that failed validation: the proposal wrun does not
/// implement that would make it valid (e.g. `exceptions`, `threads`, `gc`),
/// so that such a module is reported as an unsupported feature rather than
/// as invalid. Proposals wrun implements but `Config` turned off stay
/// validation errors, as in wasmtime. Runs only on the error path.
fn unimplemented_proposal(bytes: &[u8], features: WasmFeatures) -> Option<String> {
    let valid_with = |extra: WasmFeatures| {
        Validator::new_with_features(features | extra)
            .validate_all(bytes)
            .is_ok()
    };
    let unimplemented = WasmFeatures::all().difference(implemented_features());
    if !valid_with(unimplemented) {
        return None;
    }
    let name = |flag: &str| flag.to_lowercase().replace('_', "-");
    // One proposal alone, if one suffices; otherwise the smallest set found
    // by dropping proposals the module does not need.
    for (flag, bits) in unimplemented.iter_names() {
        if valid_with(bits) {
            return Some(name(flag));
        }
    }
    let mut needed = unimplemented;
    for (_, bits) in unimplemented.iter_names() {
        if valid_with(needed.difference(bits)) {
            needed = needed.difference(bits);
        }
    }
    let names: Vec<String> = needed.iter_names().map(|(flag, _)| name(flag)).collect();
    Some(names.join(" + "))
}

impl Module {
    /// Validates and compiles `bytes`; `name` (e.g. the file name) is used in
    /// errors and backtraces.
    pub fn with_name(engine: &Engine, bytes: &[u8], name: &str) -> Result<Module> {
        Module::compile(engine, bytes, Some(name))
    }

    /// Reads the module file `path` whose identity was `identity` before
    /// the read: the first half of loading it (`from_read` the second).
    /// When the disk cache's file index knows the file, its function bodies
    /// are left on disk: their code is likely in the cache.
    pub(crate) fn read_file(
        engine: &Engine,
        path: &Path,
        identity: Option<FileIdentity>,
    ) -> Result<ReadFile> {
        let indexed = engine.indexed_file_key(identity.as_ref());
        Ok(ReadFile {
            file: read_module_file(path, indexed.is_some())?,
            identity,
            indexed,
        })
    }

    /// Compiles (or maps from the disk cache) the module file `path`
    /// (`read` from `read_file`), named `name`. The file index gives the
    /// code key when it knows the file, and learns it when the file is
    /// still the same after the load.
    pub(crate) fn from_read(
        engine: &Engine,
        read: ReadFile,
        name: &str,
        path: &Path,
    ) -> Result<Module> {
        let ReadFile {
            file:
                ModuleFileBytes {
                    bytes,
                    bodies_left_out,
                },
            identity,
            mut indexed,
        } = read;
        let bytes = if bodies_left_out {
            let key = indexed
                .as_ref()
                .and_then(|entry| indexed_key(entry, &bytes));
            if let Some(module) =
                key.and_then(|key| Module::from_cached_code(engine, bytes, name, key))
            {
                engine.record(|s| s.disk_file_keys += 1);
                return Ok(module);
            }
            // The file's other parts changed, or the cache lost its code:
            // a load as of a file the index does not know.
            indexed = None;
            read_wasm_file(path)?
        } else {
            bytes
        };
        let (key, new_entry) = engine.file_code_key(identity.as_ref(), indexed.as_ref(), &bytes);
        let module = Module::compile_with_key(engine, Cow::Owned(bytes), Some(name), key)?;
        if let (Some(identity), Some(entry)) = (identity, new_entry) {
            if FileIdentity::of(path) == Some(identity) {
                engine.record_file_key(&identity, &entry);
            }
        }
        Ok(module)
    }

    /// The module whose code the disk cache has under `key`, from `bytes`
    /// without function bodies; `None` when the cache does not have it (or
    /// not for as many functions), and the caller reads the file whole.
    fn from_cached_code(engine: &Engine, bytes: Vec<u8>, name: &str, key: Key) -> Option<Module> {
        let hash = in_process_hash(Some(&key), &bytes);
        if let Some(inner) = engine.cached_module(hash, &bytes) {
            return Some(Module::from_code(engine, name, inner));
        }
        let cached = load_cached(engine, &key)?;
        let bytes = bytes.into_boxed_slice();
        // The bytes validated when their code was cached (`compile_with_key`).
        let (info, _) = environ::parse(&bytes, false).ok()?;
        let defined = info.functions.len() - info.num_imported_funcs as usize;
        if cached.layout.functions.len() != defined {
            return None;
        }
        engine.record(|s| s.disk_hits += 1);
        let offsets = vm_offsets(&info);
        Some(Module::finish(
            engine,
            info,
            offsets,
            cached,
            bytes,
            name.to_string(),
            hash,
        ))
    }

    fn compile(engine: &Engine, bytes: &[u8], name: Option<&str>) -> Result<Module> {
        let key = engine.disk_cache().map(|_| engine.code_key(bytes));
        Module::compile_with_key(engine, Cow::Borrowed(bytes), name, key)
    }

    /// Compiles `bytes` whose disk-cache key is `key` (`None` without a
    /// disk cache). The module keeps the bytes (its data segments stay in
    /// them): bytes read from a file are kept without a copy.
    fn compile_with_key(
        engine: &Engine,
        bytes: Cow<'_, [u8]>,
        name: Option<&str>,
        key: Option<Key>,
    ) -> Result<Module> {
        let hash = in_process_hash(key.as_ref(), &bytes);
        if let Some(inner) = engine.cached_module(hash, &bytes) {
            let name = name.map_or_else(|| inner.default_name(), str::to_string);
            return Ok(Module::from_code(engine, &name, inner));
        }
        let cached = key.as_ref().and_then(|key| load_cached(engine, key));
        // A cache file exists only for bytes that validated, under a key
        // that covers every byte validation reads (custom sections other
        // than dylink's it does not): those need no second validation.
        let bytes: Box<[u8]> = bytes.into_owned().into_boxed_slice();
        if cached.is_none() {
            validate(engine, &bytes)?;
        }
        let (info, bodies) = environ::parse(&bytes, true)?;
        let name = match name {
            Some(name) => name.to_string(),
            None => default_name(&info),
        };
        let offsets = vm_offsets(&info);
        let cached = cached.filter(|c| c.layout.functions.len() == bodies.len());
        let mapped = match cached {
            Some(code) => {
                engine.record(|s| s.disk_hits += 1);
                code
            }
            None => {
                let image = compile_module(
                    &engine.inner.isa,
                    &info,
                    &bodies,
                    offsets,
                    CodegenOptions {
                        epoch_interruption: engine.config().epoch_interruption,
                        parallel: engine.config().parallel_compilation,
                        bounds_checks: !engine.memory_guard(),
                        exceptions: engine.config().wasm_exceptions,
                    },
                )?;
                engine.record(|s| s.compiled += 1);
                let stored = match (engine.disk_cache(), &key) {
                    // A cache that cannot be written (full disk, read-only)
                    // only costs the next process a compilation.
                    (Some(cache), Some(key)) => cache.store(key, &image).ok(),
                    _ => None,
                };
                match stored {
                    Some(code) => {
                        engine.record(|s| s.disk_writes += 1);
                        code
                    }
                    None => MappedCode {
                        memory: Arc::new(CodeMemory::copy_of(&image.text)?),
                        layout: image.layout,
                    },
                }
            }
        };
        Ok(Module::finish(
            engine, info, offsets, mapped, bytes, name, hash,
        ))
    }

    /// The module of `bytes` (read as `info`) with the code `mapped`, kept
    /// in the engine's cache under `hash`.
    fn finish(
        engine: &Engine,
        info: ModuleInfo,
        offsets: VmOffsets,
        mapped: MappedCode,
        bytes: Box<[u8]>,
        name: String,
        hash: u64,
    ) -> Module {
        let sig_ids: Vec<u32> = info.types.iter().map(|t| engine.signature_id(t)).collect();
        let code = LoadedCode::new(mapped.memory, mapped.layout, &info, &name);
        let inner = Arc::new(ModuleCode {
            info,
            offsets,
            sig_ids,
            code,
            bytes,
        });
        engine.cache_module(hash, &inner);
        Module::from_code(engine, &name, inner)
    }

    /// A handle named `name` on already compiled code.
    pub(crate) fn from_code(engine: &Engine, name: &str, inner: Arc<ModuleCode>) -> Module {
        Module {
            engine: engine.clone(),
            name: name.into(),
            inner,
        }
    }

    /// The compiled code behind this handle.
    pub(crate) fn code(&self) -> &Arc<ModuleCode> {
        &self.inner
    }

    /// Validates `bytes` under `engine`'s settings without compiling them
    /// (as wasmtime's `Module::validate`): `Ok` if `Module::new` would
    /// accept them, else the same error.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<()> {
        validate(engine, bytes)?;
        environ::parse(bytes, true).map(drop)
    }

    /// Validates and compiles `bytes`; the module is named after its name
    /// section, if any.
    pub fn new(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        Module::compile(engine, bytes, None)
    }

    /// Reads, validates and compiles a `.wasm` file.
    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Module> {
        let path = path.as_ref();
        let in_file = |e: Error| match e.kind() {
            ErrorKind::Io { .. } | ErrorKind::Invalid { .. } => e,
            _ => Error::msg(format!("{}: {e}", path.display())),
        };
        let read = Module::read_file(engine, path, FileIdentity::of(path)).map_err(in_file)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        Module::from_read(engine, read, &name, path)
    }

    /// The module's name: the one it was loaded under (e.g. its file name),
    /// else its name section's.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The engine that compiled it.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Imports, in order.
    pub fn imports(&self) -> &[Import] {
        &self.inner.info.imports
    }

    /// Exports, in order, with their types.
    pub fn exports(&self) -> impl Iterator<Item = (&str, ExternType)> + '_ {
        self.inner
            .info
            .exports
            .iter()
            .map(|(name, index)| (&**name, self.inner.info.entity_type(*index)))
    }

    /// What an export refers to.
    pub fn export_index(&self, name: &str) -> Option<EntityIndex> {
        self.inner.info.export_index.get(name).copied()
    }

    /// The `dylink.0` section, for shared libraries and PIE mains.
    pub fn dylink(&self) -> Option<&DylinkInfo> {
        self.inner.info.dylink.as_ref()
    }

    /// Bytes of machine code compiled for this module.
    pub fn code_size(&self) -> usize {
        self.inner.code.code_size()
    }

    /// Whether its machine code is mapped from the on-disk code cache, so
    /// that OS processes running it share the pages.
    pub fn code_is_shared_file(&self) -> bool {
        self.inner.code.file_backed()
    }

    /// Where the machine code of exported function `export` starts: the
    /// same address in every process (store) of this engine that runs the
    /// module, since they all run one compilation. For diagnostics; `None`
    /// for imports re-exported and for other kinds of exports.
    pub fn function_address(&self, export: &str) -> Option<usize> {
        match self.export_index(export)? {
            EntityIndex::Func(index) if index >= self.inner.info.num_imported_funcs => {
                Some(self.function_code(index) as usize)
            }
            _ => None,
        }
    }

    /// Whether two handles share one compilation.
    pub fn same(a: &Module, b: &Module) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    pub(crate) fn info(&self) -> &ModuleInfo {
        &self.inner.info
    }

    /// The bytes of data segment `index`.
    pub(crate) fn data_segment(&self, index: u32) -> &[u8] {
        &self.inner.bytes[self.inner.info.data[index as usize].range.clone()]
    }

    pub(crate) fn offsets(&self) -> &VmOffsets {
        &self.inner.offsets
    }

    /// Engine-wide signature id of type index `type_index`.
    pub(crate) fn signature_id(&self, type_index: u32) -> u32 {
        self.inner.sig_ids[type_index as usize]
    }

    /// Entry point of function `index` (must be defined, not imported).
    pub(crate) fn function_code(&self, index: u32) -> *const u8 {
        self.inner
            .code
            .function(index - self.inner.info.num_imported_funcs)
    }
}
