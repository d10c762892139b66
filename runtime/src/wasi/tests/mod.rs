//! Tests that drive the WASI implementation exactly as a guest would: through
//! [`WasiCtx::call`] with a fake linear memory.

mod basic;
mod fs;
mod fuzz;
#[cfg(target_os = "linux")]
mod seccomp;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::sandbox;
use super::{WasiCtx, WasiCtxBuilder};

/// Size of the fake linear memory.
pub(super) const MEM_SIZE: usize = 64 * 1024;
/// Scratch addresses used by the helpers (chosen far apart).
const IOV: u32 = 16;
const OUT: u32 = 64;
const PATH: u32 = 2048;
const DATA: u32 = 8192;

/// `rights` used when opening files in tests.
pub(super) const R_READ: u64 = (1 << 1) | (1 << 14);
pub(super) const R_WRITE: u64 = 1 << 6;
pub(super) const R_ALL: u64 = (1 << 30) - 1;

/// `oflags`.
pub(super) const O_CREAT: u32 = 1;
pub(super) const O_DIRECTORY: u32 = 2;
pub(super) const O_EXCL: u32 = 4;
pub(super) const O_TRUNC: u32 = 8;

/// Errno values as the guest sees them (witx numbering).
pub(super) const OK: u32 = 0;
pub(super) const EBADF: u32 = 8;
pub(super) const EEXIST: u32 = 20;
pub(super) const EFAULT: u32 = 21;
pub(super) const EINVAL: u32 = 28;
pub(super) const ELOOP: u32 = 32;
pub(super) const ENAMETOOLONG: u32 = 37;
pub(super) const ENOENT: u32 = 44;
pub(super) const ENOSYS: u32 = 52;
pub(super) const ENOTDIR: u32 = 54;
pub(super) const ENOTEMPTY: u32 = 55;
pub(super) const ENOTCAPABLE: u32 = 76;

/// A uniquely named host directory removed on drop (no tempfile crate).
pub(super) struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh empty directory whose name contains `tag`.
    pub(super) fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("wrun-wasi-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    /// The directory's host path.
    pub(super) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `body` with the default path resolver, `openat2`, and checks that
/// it really ran; on hosts without it (old kernel, seccomp) this notes the
/// fact and the walk is what gets tested.
pub(super) fn with_openat2(body: impl FnOnce()) {
    // Probe first, so the probe's own call is not counted below.
    let in_use = sandbox::openat2_in_use();
    let before = sandbox::openat2_calls();
    body();
    if in_use {
        assert!(sandbox::openat2_calls() > before, "openat2 was not used");
    } else {
        eprintln!("note: openat2 is unusable on this host; the walk was tested");
    }
}

/// Runs `body` with the portable walk forced, and checks that it was.
pub(super) fn with_walk(body: impl FnOnce()) {
    let before = sandbox::openat2_calls();
    sandbox::with_walk_forced(body);
    assert_eq!(
        sandbox::openat2_calls(),
        before,
        "openat2 ran despite the walk being forced"
    );
}

/// The context must be movable to another thread (the engine may run the
/// guest on one); this fails to compile otherwise.
const _: fn() = || {
    fn assert_send<T: Send>() {}
    assert_send::<WasiCtx>();
};

/// A guest: context plus memory, with fd 3 preopened as `/sandbox`.
pub(super) struct Guest {
    pub(super) ctx: WasiCtx,
    pub(super) mem: Vec<u8>,
}

impl Guest {
    /// A guest with null stdio and `dir` preopened as fd 3.
    pub(super) fn new(dir: &Path) -> Guest {
        let ctx = WasiCtxBuilder::new()
            .inherit_stdio(false)
            .preopened_dir(dir.to_path_buf(), "/sandbox".to_string())
            .unwrap()
            .build();
        Guest::with_ctx(ctx)
    }

    /// A guest around an existing context, with zeroed memory.
    pub(super) fn with_ctx(ctx: WasiCtx) -> Guest {
        Guest {
            ctx,
            mem: vec![0; MEM_SIZE],
        }
    }

    /// Calls an errno-returning function and returns the errno.
    pub(super) fn call(&mut self, name: &str, args: &[u64]) -> u32 {
        let r = self.ctx.call(name, &mut self.mem, args).unwrap();
        assert_eq!(r.len(), 1, "{name} must return exactly one errno");
        u32::try_from(r[0]).unwrap()
    }

    /// Copies `bytes` into guest memory at `at`.
    pub(super) fn put(&mut self, at: u32, bytes: &[u8]) {
        let at = at as usize;
        self.mem[at..at + bytes.len()].copy_from_slice(bytes);
    }

    /// Copies `len` guest bytes at `at` out of memory.
    pub(super) fn get(&self, at: u32, len: usize) -> Vec<u8> {
        self.mem[at as usize..at as usize + len].to_vec()
    }

    /// Reads a little-endian u32 from guest memory.
    pub(super) fn u32_at(&self, at: u32) -> u32 {
        u32::from_le_bytes(self.get(at, 4).try_into().unwrap())
    }

    /// Reads a little-endian u64 from guest memory.
    pub(super) fn u64_at(&self, at: u32) -> u64 {
        u64::from_le_bytes(self.get(at, 8).try_into().unwrap())
    }

    /// Places `path` in memory and returns `(ptr, len)` as call arguments.
    pub(super) fn path(&mut self, path: &str) -> (u64, u64) {
        self.put(PATH, path.as_bytes());
        (u64::from(PATH), path.len() as u64)
    }

    /// `path_open` relative to `dir`; `Ok(fd)` or `Err(errno)`.
    pub(super) fn open_at(
        &mut self,
        dir: u32,
        path: &str,
        follow: bool,
        oflags: u32,
        rights: u64,
    ) -> Result<u32, u32> {
        let (p, l) = self.path(path);
        let args = [
            u64::from(dir),
            u64::from(follow),
            p,
            l,
            u64::from(oflags),
            rights,
            R_ALL,
            0,
            u64::from(OUT),
        ];
        match self.call("path_open", &args) {
            OK => Ok(self.u32_at(OUT)),
            e => Err(e),
        }
    }

    /// `path_open` relative to the preopen, following symlinks.
    pub(super) fn open(&mut self, path: &str, oflags: u32, rights: u64) -> Result<u32, u32> {
        self.open_at(3, path, true, oflags, rights)
    }

    /// `fd_write` of `data` in one iovec; returns bytes written.
    pub(super) fn write(&mut self, fd: u32, data: &[u8]) -> u32 {
        self.put(DATA, data);
        self.put(IOV, &DATA.to_le_bytes());
        self.put(IOV + 4, &(data.len() as u32).to_le_bytes());
        let args = [fd, IOV, 1, OUT].map(u64::from);
        assert_eq!(self.call("fd_write", &args), OK);
        self.u32_at(OUT)
    }

    /// `fd_read` of up to `n` bytes.
    pub(super) fn read(&mut self, fd: u32, n: u32) -> Vec<u8> {
        self.put(IOV, &DATA.to_le_bytes());
        self.put(IOV + 4, &n.to_le_bytes());
        let args = [fd, IOV, 1, OUT].map(u64::from);
        assert_eq!(self.call("fd_read", &args), OK);
        let got = self.u32_at(OUT) as usize;
        self.get(DATA, got)
    }

    /// Simple path operation `(fd, ptr, len)` such as mkdir or unlink.
    pub(super) fn path_op(&mut self, name: &str, path: &str) -> u32 {
        let (p, l) = self.path(path);
        self.call(name, &[3, p, l])
    }
}
