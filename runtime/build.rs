//! Computes `WRUN_BUILD_ID`: a hash of wrun's sources and the workspace's
//! `Cargo.lock`, part of every on-disk code cache key, so code cached by one
//! build is never run by another (a changed translator, another Cranelift).

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::Path;

fn hash_dir(root: &Path, dir: &Path, hasher: &mut DefaultHasher) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("source directory is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            hash_dir(root, &path, hasher);
        } else {
            // Relative, so that every checkout of the same sources agrees.
            let name = path.strip_prefix(root).unwrap_or(&path);
            hasher.write(name.to_string_lossy().as_bytes());
            hasher.write(&std::fs::read(&path).expect("source file is readable"));
        }
    }
}

fn main() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut hasher = DefaultHasher::new();
    let src = manifest.join("src");
    hash_dir(&src, &src, &mut hasher);
    let lock = manifest.join("../Cargo.lock");
    if let Ok(bytes) = std::fs::read(&lock) {
        hasher.write(&bytes);
    }
    println!("cargo:rustc-env=WRUN_BUILD_ID={:016x}", hasher.finish());
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=../Cargo.lock");
    println!("cargo:rerun-if-changed=build.rs");
}
