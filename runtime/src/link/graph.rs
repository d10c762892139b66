//! The set of objects of a process: reading and compiling files, following
//! NEEDED entries breadth-first, and the dependencies-first init order.

use super::object::Object;
use super::search::{directory_of, SearchPath};
use super::LoadStats;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
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
    let bytes = std::fs::read(path).map_err(io)?;
    let canonical = std::fs::canonicalize(path).map_err(io)?;
    stats.read += t.elapsed();
    let t = Instant::now();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let module = Module::with_name(engine, &bytes, &name).map_err(context)?;
    stats.compile += t.elapsed();
    Ok((module, canonical))
}

/// The objects of a process and the index of each by canonical path.
#[derive(Debug, Default)]
pub(crate) struct ObjectSet {
    pub objects: Vec<Object>,
    pub by_path: HashMap<PathBuf, usize>,
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
        if let Ok(canonical) = std::fs::canonicalize(path) {
            if let Some(&index) = self.by_path.get(&canonical) {
                return Ok((index, false));
            }
        }
        let (module, canonical) = load_file(engine, path, why, stats)?;
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
        self.objects
            .push(Object::new(path, canonical, module, is_main));
        index
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
        let mut next = first;
        while next < self.objects.len() {
            let (needed, runtime_path, requester, requester_dir) = {
                let object = &self.objects[next];
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
                let path =
                    search
                        .find(name, &requester_dir, &runtime_path)
                        .map_err(|searched| {
                            Error::new(ErrorKind::LibraryNotFound {
                                name: name.clone(),
                                needed_by: requester.clone(),
                                searched,
                            })
                        })?;
                let why = format!("needed by {requester}");
                let (index, _) = self.add(engine, &path, Some(&why), false, stats)?;
                edges.push(index);
            }
            self.objects[next].needed = edges;
            next += 1;
        }
        Ok(())
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
