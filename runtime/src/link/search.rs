//! Where a `NEEDED` library is found.
//!
//! A name containing `/` is a path (relative to the current directory).
//! Any other name is looked up, in order, in: each `-L` directory, each
//! `WRUN_LIBRARY_PATH` directory, the requesting module's `RUNTIME_PATH`
//! entries (with `$ORIGIN` expanded to the requesting module's directory),
//! then the main module's directory. The first existing file wins.

use std::path::{Path, PathBuf};

/// Name of the environment variable holding extra search directories.
pub const LIBRARY_PATH_VAR: &str = "WRUN_LIBRARY_PATH";

/// Splits a `:`-separated list of directories, skipping empty entries.
pub fn split_path_list(list: &str) -> Vec<PathBuf> {
    list.split(':')
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// The directories of `$WRUN_LIBRARY_PATH` (empty if unset).
pub fn library_path_from_env() -> Vec<PathBuf> {
    std::env::var_os(LIBRARY_PATH_VAR)
        .map(|v| split_path_list(&v.to_string_lossy()))
        .unwrap_or_default()
}

/// Directory of a module file, `.` for a bare file name.
pub(crate) fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Expands `$ORIGIN` and `${ORIGIN}` in a RUNTIME_PATH entry.
pub(crate) fn expand_origin(entry: &str, origin: &Path) -> PathBuf {
    let origin = origin.to_string_lossy();
    PathBuf::from(
        entry
            .replace("${ORIGIN}", &origin)
            .replace("$ORIGIN", &origin),
    )
}

/// The process-wide part of the search path.
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchPath {
    /// `-L` directories, in order.
    pub lib_paths: Vec<PathBuf>,
    /// `WRUN_LIBRARY_PATH` directories, in order.
    pub env_paths: Vec<PathBuf>,
    /// The main module's directory (searched last).
    pub main_dir: Option<PathBuf>,
    /// Whether NEEDED names may be paths (`/`, `..`): off unless the
    /// embedder allows it (`ProcessConfig::allow_dlopen_paths`), so a
    /// module cannot make the loader read any file it names.
    pub allow_paths: bool,
}

/// Whether a library name is a path rather than a name to search for.
pub(crate) fn is_path(name: &str) -> bool {
    name.contains('/')
        || Path::new(name)
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
}

impl SearchPath {
    /// Directories searched for a library needed by a module in
    /// `requester_dir` with RUNTIME_PATH `runtime_path`, in order, each once.
    pub fn directories(&self, requester_dir: &Path, runtime_path: &[String]) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = Vec::new();
        dirs.extend(self.lib_paths.iter().cloned());
        dirs.extend(self.env_paths.iter().cloned());
        dirs.extend(
            runtime_path
                .iter()
                .map(|entry| expand_origin(entry, requester_dir)),
        );
        dirs.extend(self.main_dir.clone());
        // Searching a directory twice finds nothing new; keep the first.
        let mut unique: Vec<PathBuf> = Vec::with_capacity(dirs.len());
        for dir in dirs {
            if !unique.contains(&dir) {
                unique.push(dir);
            }
        }
        unique
    }

    /// Finds `name`; on failure returns the places that were tried.
    pub fn find(
        &self,
        name: &str,
        requester_dir: &Path,
        runtime_path: &[String],
    ) -> Result<PathBuf, Vec<PathBuf>> {
        if name.contains('/') {
            let path = PathBuf::from(name);
            return if path.is_file() {
                Ok(path)
            } else {
                Err(vec![path])
            };
        }
        let dirs = self.directories(requester_dir, runtime_path);
        for dir in &dirs {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
        Err(dirs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_is_expanded_in_both_spellings() {
        let o = Path::new("/opt/app/lib");
        assert_eq!(
            expand_origin("$ORIGIN/../plugins", o),
            PathBuf::from("/opt/app/lib/../plugins")
        );
        assert_eq!(expand_origin("${ORIGIN}", o), PathBuf::from("/opt/app/lib"));
        assert_eq!(expand_origin("/usr/lib", o), PathBuf::from("/usr/lib"));
    }

    #[test]
    fn path_lists_skip_empty_entries() {
        assert_eq!(
            split_path_list("a::b:"),
            vec![PathBuf::from("a"), PathBuf::from("b")]
        );
        assert!(split_path_list("").is_empty());
    }

    #[test]
    fn directories_come_in_documented_order() {
        let search = SearchPath {
            lib_paths: vec!["L1".into(), "L2".into()],
            env_paths: vec!["E".into()],
            main_dir: Some("M".into()),
            allow_paths: false,
        };
        let dirs = search.directories(Path::new("/req"), &["$ORIGIN/rp".to_string()]);
        let want: Vec<PathBuf> = ["L1", "L2", "E", "/req/rp", "M"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(dirs, want);
        assert_eq!(directory_of(Path::new("main.wasm")), PathBuf::from("."));
    }
}
