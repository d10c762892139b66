//! The set of objects of a process: reading and compiling files, following
//! NEEDED entries breadth-first, and the dependencies-first init order.

use super::object::Object;
use super::search::{directory_of, SearchPath};
use super::LoadStats;
use crate::engine::Engine;
use crate::error::{printable, Error, ErrorKind, Result};
use crate::file_cache::{absolute, FileIdentity};
use crate::module::Module;
use hashbrown::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Reads and compiles `path`. Errors name the file (and why it was loaded,
/// e.g. `needed by main.wasm`).
pub(crate) fn load_file(
    engine: &Engine,
    path: &Path,
    why: Option<&str>,
    stats: &mut LoadStats,
) -> Result<(Module, PathBuf)> {
    let context = |e: Error| -> Error {
        if matches!(e.kind(), ErrorKind::Io { .. }) {
            return e;
        }
        match why {
            Some(why) => Error::msg(format!("{} ({why}): {e}", path.display())),
            None => Error::msg(format!("{}: {e}", path.display())),
        }
    };
    let io = |source| {
        Error::new(ErrorKind::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    let t = Instant::now();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    // A file the engine loaded before and that has not changed since.
    let absolute = absolute(path);
    let identity = FileIdentity::of(path);
    if let (Some(absolute), Some(identity)) = (&absolute, identity) {
        if let Some(known) = engine.file_module(absolute, identity, &name) {
            stats.read += t.elapsed();
            return Ok(known);
        }
    }
    let read = Module::read_file(engine, path, identity).map_err(context)?;
    let canonical = std::fs::canonicalize(path).map_err(io)?;
    stats.read += t.elapsed();
    let t = Instant::now();
    let module = Module::from_read(engine, read, &name, path).map_err(context)?;
    stats.compile += t.elapsed();
    // Only when the file did not change while it was read: its identity
    // now must be the one taken before.
    if let (Some(absolute), Some(identity)) = (absolute, identity) {
        if FileIdentity::of(path) == Some(identity) {
            engine.remember_file(absolute, identity, canonical.clone(), &module);
        }
    }
    Ok((module, canonical))
}

/// The objects of a process and the index of each by canonical path.
#[derive(Debug, Default)]
pub(crate) struct ObjectSet {
    pub objects: Vec<Object>,
    pub by_path: HashMap<PathBuf, usize>,
    /// Object indices by file name (for NEEDED entries matched by name).
    pub by_name: HashMap<String, Vec<usize>>,
}

impl ObjectSet {
    /// Loads `path` unless a file with the same canonical path is loaded
    /// already; returns its index and whether it is new.
    pub fn add(
        &mut self,
        engine: &Engine,
        path: &Path,
        why: Option<&str>,
        is_main: bool,
        stats: &mut LoadStats,
    ) -> Result<(usize, bool)> {
        // Loading first is cheap for a file the engine knows (one `stat`),
        // and gives the canonical path the set is indexed by.
        let (module, canonical) = load_file(engine, path, why, stats)?;
        let known = self.by_path.get(&canonical).copied();
        if let Some(index) = known.filter(|&i| self.objects[i].loaded) {
            return Ok((index, false));
        }
        if let Some(index) = known {
            // An unloaded library loaded again: same slot, a new incarnation.
            let object = &mut self.objects[index];
            object.module = module;
            object.path = path.to_path_buf();
            object.loaded = true;
            object.generation = object.generation.wrapping_add(1);
            object.needed.clear();
            object.uses.clear();
            return Ok((index, true));
        }
        Ok((
            self.insert(path.to_path_buf(), canonical, module, is_main),
            true,
        ))
    }

    /// Adds a compiled module as a new object known by `canonical`.
    pub fn insert(
        &mut self,
        path: PathBuf,
        canonical: PathBuf,
        module: Module,
        is_main: bool,
    ) -> usize {
        let index = self.objects.len();
        self.by_path.insert(canonical.clone(), index);
        let object = Object::new(path, canonical, module, is_main);
        self.by_name
            .entry(object.name.clone())
            .or_default()
            .push(index);
        self.objects.push(object);
        index
    }

    /// The loaded library (not the main) whose file name is `name`, for a
    /// NEEDED entry that is a bare name.
    fn loaded_by_name(&self, name: &str) -> Option<usize> {
        if name.contains('/') {
            return None;
        }
        self.by_name.get(name)?.iter().copied().find(|&i| {
            let o = &self.objects[i];
            o.loaded && !o.is_main
        })
    }

    /// Resolves the NEEDED entries of every object from `first` on,
    /// breadth-first, loading each library once. Cycles terminate because a
    /// library already in the set is never loaded again.
    pub fn load_needed(
        &mut self,
        engine: &Engine,
        search: &SearchPath,
        first: usize,
        stats: &mut LoadStats,
    ) -> Result<()> {
        let roots = (first..self.objects.len()).collect();
        self.load_needed_of(engine, search, roots, stats).map(drop)
    }

    /// Resolves the NEEDED entries of `roots` and of every library they
    /// bring in, breadth-first. Returns `roots` and every object that was
    /// loaded (or loaded again) on the way, in load order.
    pub fn load_needed_of(
        &mut self,
        engine: &Engine,
        search: &SearchPath,
        roots: Vec<usize>,
        stats: &mut LoadStats,
    ) -> Result<Vec<usize>> {
        let mut queued = vec![false; self.objects.len()];
        for &root in &roots {
            queued[root] = true;
        }
        let mut queue = roots;
        let mut next = 0;
        while next < queue.len() {
            let current = queue[next];
            let (needed, runtime_path, requester, requester_dir) = {
                let object = &self.objects[current];
                let dylink = object.module.dylink();
                (
                    dylink.map(|d| d.needed.clone()).unwrap_or_default(),
                    dylink.map(|d| d.runtime_path.clone()).unwrap_or_default(),
                    object.name.clone(),
                    directory_of(&object.canonical),
                )
            };
            let mut edges = Vec::with_capacity(needed.len());
            for name in &needed {
                // ld.so's rule: a NEEDED name is first matched against the
                // libraries already loaded (a `--lib` preload, or one
                // found earlier), by file name; only then searched.
                let debug = super::debug::flags();
                if let Some(index) = self.loaded_by_name(name) {
                    if debug.libs {
                        super::debug::trace(
                            "libs",
                            format_args!(
                                "{} needed by {}: already loaded",
                                printable(name),
                                printable(&requester)
                            ),
                        );
                    }
                    edges.push(index);
                    continue;
                }
                if super::search::is_path(name) && !search.allow_paths {
                    return Err(Error::msg(format!(
                        "{}: the NEEDED entry {} is a path; only names are searched for \
                         (ProcessConfig::allow_dlopen_paths allows paths)",
                        printable(&requester),
                        printable(name)
                    )));
                }
                let path =
                    search
                        .find(name, &requester_dir, &runtime_path)
                        .map_err(|searched| {
                            if debug.libs {
                                super::debug::trace(
                                    "libs",
                                    format_args!("{} not found", printable(name)),
                                );
                            }
                            Error::new(ErrorKind::LibraryNotFound {
                                name: name.clone(),
                                needed_by: requester.clone(),
                                searched,
                            })
                        })?;
                if debug.libs {
                    super::debug::trace(
                        "libs",
                        format_args!(
                            "{} needed by {}: found {} (searched {})",
                            printable(name),
                            printable(&requester),
                            path.display(),
                            search
                                .directories(&requester_dir, &runtime_path)
                                .iter()
                                .map(|d| d.display().to_string())
                                .collect::<Vec<_>>()
                                .join(":")
                        ),
                    );
                }
                let why = format!("needed by {requester}");
                let (index, new) = self.add(engine, &path, Some(&why), false, stats)?;
                if index >= queued.len() {
                    queued.resize(index + 1, false);
                }
                if new && !queued[index] {
                    queued[index] = true;
                    queue.push(index);
                }
                edges.push(index);
            }
            self.objects[current].needed = edges;
            next += 1;
        }
        Ok(queue)
    }
}

/// Dependencies-first order of `roots` and everything they need (each
/// object once; a cycle is broken where it closes). `skip` objects are left
/// out (the main, which always runs last).
pub(crate) fn init_order(objects: &[Object], roots: &[usize], skip: &[usize]) -> Vec<usize> {
    let mut order = Vec::new();
    let mut seen = vec![false; objects.len()];
    for &s in skip {
        seen[s] = true;
    }
    for &root in roots {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        // Iterative post-order DFS: (object, next NEEDED edge to visit).
        let mut stack = vec![(root, 0usize)];
        while let Some((node, edge)) = stack.last_mut() {
            let node = *node;
            if let Some(&dep) = objects[node].needed.get(*edge) {
                *edge += 1;
                if !seen[dep] {
                    seen[dep] = true;
                    stack.push((dep, 0));
                }
            } else {
                order.push(node);
                stack.pop();
            }
        }
    }
    order
}
