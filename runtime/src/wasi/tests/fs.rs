//! Filesystem functions and sandbox confinement.

use std::os::unix::fs::symlink;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;

/// Parses an `fd_readdir` buffer into `(d_next, name, d_type)` for every
/// complete entry.
fn parse_dirents(buf: &[u8]) -> Vec<(u64, String, u8)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 24 <= buf.len() {
        let next = u64::from_le_bytes(buf[at..at + 8].try_into().unwrap());
        let len = u32::from_le_bytes(buf[at + 16..at + 20].try_into().unwrap()) as usize;
        let kind = buf[at + 20];
        if at + 24 + len > buf.len() {
            break;
        }
        let name = String::from_utf8(buf[at + 24..at + 24 + len].to_vec()).unwrap();
        out.push((next, name, kind));
        at += 24 + len;
    }
    out
}

#[test]
fn fd_write_to_file() {
    let dir = TempDir::new("write");
    let mut g = Guest::new(dir.path());
    let fd = g.open("out.txt", O_CREAT | O_TRUNC, R_WRITE).unwrap();
    assert!(fd > 3);
    // Two iovecs in one call are written in order.
    g.put(8192, b"hello ");
    g.put(9000, b"world\n");
    for (i, (ptr, len)) in [(8192u32, 6u32), (9000, 6)].iter().enumerate() {
        g.put(16 + 8 * i as u32, &ptr.to_le_bytes());
        g.put(20 + 8 * i as u32, &len.to_le_bytes());
    }
    assert_eq!(g.call("fd_write", &[u64::from(fd), 16, 2, 64]), OK);
    assert_eq!(g.u32_at(64), 12);
    assert_eq!(g.call("fd_close", &[u64::from(fd)]), OK);
    assert_eq!(g.call("fd_close", &[u64::from(fd)]), EBADF);
    let text = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
    assert_eq!(text, "hello world\n");
}

#[test]
fn create_write_read_back() {
    let dir = TempDir::new("rw");
    let mut g = Guest::new(dir.path());
    let fd = g
        .open("data.bin", O_CREAT | O_EXCL, R_READ | R_WRITE)
        .unwrap();
    let fd64 = u64::from(fd);
    assert_eq!(g.open("data.bin", O_CREAT | O_EXCL, R_READ), Err(EEXIST));
    assert_eq!(g.write(fd, b"0123456789"), 10);
    assert_eq!(g.call("fd_tell", &[fd64, 64]), OK);
    assert_eq!(g.u64_at(64), 10);
    // Seek back relative to the end (negative filedelta) and read.
    assert_eq!(g.call("fd_seek", &[fd64, (-4i64) as u64, 2, 64]), OK);
    assert_eq!(g.u64_at(64), 6);
    assert_eq!(g.read(fd, 100), b"6789");
    assert_eq!(g.call("fd_seek", &[fd64, 0, 7, 64]), EINVAL);
    // Positional I/O leaves the cursor alone.
    g.put(8192, b"AB");
    g.put(16, &8192u32.to_le_bytes());
    g.put(20, &2u32.to_le_bytes());
    assert_eq!(g.call("fd_pwrite", &[fd64, 16, 1, 2, 64]), OK);
    assert_eq!(g.u32_at(64), 2);
    g.put(20, &4u32.to_le_bytes());
    assert_eq!(g.call("fd_pread", &[fd64, 16, 1, 1, 64]), OK);
    assert_eq!(g.u32_at(64), 4);
    assert_eq!(g.get(8192, 4), b"1AB4");
    assert_eq!(g.call("fd_tell", &[fd64, 64]), OK);
    assert_eq!(g.u64_at(64), 10);
    // Metadata.
    assert_eq!(g.call("fd_filestat_get", &[fd64, 256]), OK);
    assert_eq!(g.get(256 + 16, 1)[0], 4);
    assert_eq!(g.u64_at(256 + 32), 10);
    assert_eq!(g.call("fd_filestat_set_size", &[fd64, 3]), OK);
    assert_eq!(g.call("fd_filestat_get", &[fd64, 256]), OK);
    assert_eq!(g.u64_at(256 + 32), 3);
    assert_eq!(g.call("fd_fdstat_get", &[fd64, 256]), OK);
    assert_eq!(g.get(256, 1)[0], 4);
    assert_eq!(g.u64_at(256 + 8) & R_WRITE, R_WRITE);
    assert_eq!(g.call("fd_fdstat_set_flags", &[fd64, 1]), OK);
    assert_eq!(g.call("fd_fdstat_get", &[fd64, 256]), OK);
    assert_eq!(g.get(256 + 2, 2), [1, 0]);
    assert_eq!(g.call("fd_sync", &[fd64]), OK);
    assert_eq!(g.call("fd_datasync", &[fd64]), OK);
    assert_eq!(g.call("fd_advise", &[fd64, 0, 0, 1]), OK);
    assert_eq!(g.call("fd_advise", &[fd64, 0, 0, 6]), EINVAL);
    assert_eq!(
        g.call("fd_filestat_set_times", &[fd64, 5_000_000_000, 0, 1]),
        OK
    );
    assert_eq!(g.call("fd_filestat_get", &[fd64, 256]), OK);
    assert_eq!(g.u64_at(256 + 40), 5_000_000_000);
    // Rights can shrink but not grow back.
    assert_eq!(g.call("fd_fdstat_set_rights", &[fd64, R_READ, 0]), OK);
    assert_eq!(
        g.call("fd_fdstat_set_rights", &[fd64, R_ALL, 0]),
        ENOTCAPABLE
    );
    // Read-only descriptors cannot be written (host open mode).
    let ro = g.open("data.bin", 0, R_READ).unwrap();
    g.put(16, &8192u32.to_le_bytes());
    assert_eq!(g.call("fd_write", &[u64::from(ro), 16, 1, 64]), EBADF);
    // Renumber moves the descriptor over another open one.
    assert_eq!(g.call("fd_renumber", &[u64::from(ro), fd64]), OK);
    assert_eq!(g.call("fd_close", &[u64::from(ro)]), EBADF);
    // The moved descriptor is the fresh read-only one (cursor at 0) and
    // the file was truncated to 3 bytes above.
    assert_eq!(g.read(fd, 100), b"01A");
    assert_eq!(g.call("fd_renumber", &[fd64, 77]), EBADF);
}

#[test]
fn prestat_reports_preopen_name() {
    let dir = TempDir::new("prestat");
    let mut g = Guest::new(dir.path());
    assert_eq!(g.call("fd_prestat_get", &[3, 64]), OK);
    assert_eq!(g.get(64, 1)[0], 0);
    assert_eq!(g.u32_at(68), 8);
    assert_eq!(g.call("fd_prestat_dir_name", &[3, 128, 8]), OK);
    assert_eq!(g.get(128, 8), b"/sandbox");
    assert_eq!(g.call("fd_prestat_dir_name", &[3, 128, 7]), ENAMETOOLONG);
    // The end of the preopen list, and non-preopen fds, are EBADF.
    assert_eq!(g.call("fd_prestat_get", &[4, 64]), EBADF);
    assert_eq!(g.call("fd_prestat_get", &[1, 64]), EBADF);
    assert_eq!(g.call("fd_fdstat_get", &[3, 64]), OK);
    assert_eq!(g.get(64, 1)[0], 3);
}

#[test]
fn readdir_lists_entries_in_pieces() {
    let dir = TempDir::new("readdir");
    std::fs::write(dir.path().join("a.txt"), b"a").unwrap();
    std::fs::write(dir.path().join("bee"), b"b").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let mut g = Guest::new(dir.path());
    let fd = g.open(".", O_DIRECTORY, R_READ).unwrap();

    assert_eq!(
        g.call("fd_readdir", &[u64::from(fd), 4096, 4096, 0, 64]),
        OK
    );
    let used = g.u32_at(64) as usize;
    assert!(used < 4096);
    let mut all = parse_dirents(&g.get(4096, used));
    all.sort_by(|a, b| a.1.cmp(&b.1));
    let names: Vec<_> = all.iter().map(|e| (e.1.as_str(), e.2)).collect();
    assert_eq!(
        names,
        [(".", 3), ("..", 3), ("a.txt", 4), ("bee", 4), ("sub", 3)]
    );

    // A small buffer forces several calls; the cookie continues the walk.
    let mut cookie = 0u64;
    let mut seen = Vec::new();
    loop {
        assert_eq!(g.call("fd_readdir", &[3, 4096, 40, cookie, 64]), OK);
        let used = g.u32_at(64) as usize;
        let entries = parse_dirents(&g.get(4096, used));
        for e in &entries {
            seen.push(e.1.clone());
            cookie = e.0;
        }
        if used < 40 {
            break;
        }
        assert!(!entries.is_empty(), "a 40-byte buffer fits one entry");
    }
    seen.sort();
    assert_eq!(seen, [".", "..", "a.txt", "bee", "sub"]);
    // Readdir on a file is not allowed.
    let file = g.open("a.txt", 0, R_READ).unwrap();
    assert_eq!(
        g.call("fd_readdir", &[u64::from(file), 4096, 40, 0, 64]),
        ENOTDIR
    );
}

#[test]
fn directory_and_file_management() {
    with_openat2(directory_and_file_management_body);
}

#[test]
fn directory_and_file_management_walk() {
    with_walk(directory_and_file_management_body);
}

/// Body of the two tests above, one per path resolver.
fn directory_and_file_management_body() {
    let dir = TempDir::new("manage");
    let mut g = Guest::new(dir.path());
    assert_eq!(g.path_op("path_create_directory", "d"), OK);
    assert_eq!(g.path_op("path_create_directory", "d"), EEXIST);
    assert_eq!(g.path_op("path_create_directory", "d/e/"), OK);
    assert!(dir.path().join("d/e").is_dir());
    let fd = g.open("d/f", O_CREAT, R_WRITE).unwrap();
    g.write(fd, b"xyz");
    assert_eq!(g.path_op("path_remove_directory", "d"), ENOTEMPTY);
    assert_eq!(g.path_op("path_unlink_file", "d/nope"), ENOENT);
    assert_eq!(g.path_op("path_unlink_file", "d/f/"), ENOTDIR);
    // Rename within the sandbox, across directories.
    let (p, l) = g.path("d/f");
    g.put(3000, b"d/e/moved");
    assert_eq!(g.call("path_rename", &[3, p, l, 3, 3000, 9]), OK);
    assert_eq!(std::fs::read(dir.path().join("d/e/moved")).unwrap(), b"xyz");
    // path_filestat_get sees the moved file.
    let (p, l) = g.path("d/e/moved");
    assert_eq!(g.call("path_filestat_get", &[3, 0, p, l, 256]), OK);
    assert_eq!(g.get(256 + 16, 1)[0], 4);
    assert_eq!(g.u64_at(256 + 32), 3);
    assert_eq!(
        g.call(
            "path_filestat_set_times",
            &[3, 0, p, l, 0, 7_000_000_000, 4]
        ),
        OK
    );
    assert_eq!(g.call("path_filestat_get", &[3, 0, p, l, 256]), OK);
    assert_eq!(g.u64_at(256 + 48), 7_000_000_000);
    assert_eq!(
        g.call("path_filestat_set_times", &[3, 0, p, l, 0, 0, 12]),
        EINVAL
    );
    // Links: a hard link and a relative symlink, then readlink.
    g.put(3000, b"d/hard");
    assert_eq!(g.call("path_link", &[3, 0, p, l, 3, 3000, 6]), OK);
    assert_eq!(std::fs::read(dir.path().join("d/hard")).unwrap(), b"xyz");
    g.put(3000, b"e/moved");
    g.put(3100, b"d/soft");
    assert_eq!(g.call("path_symlink", &[3000, 7, 3, 3100, 6]), OK);
    assert_eq!(g.call("path_readlink", &[3, 3100, 6, 4000, 64, 64]), OK);
    assert_eq!(g.u32_at(64), 7);
    assert_eq!(g.get(4000, 7), b"e/moved");
    assert_eq!(
        g.open("d/soft", 0, R_READ).map(|fd| g.read(fd, 10)),
        Ok(b"xyz".to_vec())
    );
    g.put(3000, b"/etc/passwd");
    assert_eq!(g.call("path_symlink", &[3000, 11, 3, 3100, 6]), ENOTCAPABLE);
    let (p, l) = g.path("d/e/moved");
    assert_eq!(g.call("path_readlink", &[3, p, l, 4000, 64, 64]), EINVAL);
    // Cleanup through the guest.
    for f in ["d/e/moved", "d/hard", "d/soft"] {
        assert_eq!(g.path_op("path_unlink_file", f), OK, "{f}");
    }
    assert_eq!(g.path_op("path_remove_directory", "d/e"), OK);
    assert_eq!(g.path_op("path_remove_directory", "d"), OK);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn paths_cannot_escape_the_preopen() {
    with_openat2(paths_cannot_escape_the_preopen_body);
}

#[test]
fn paths_cannot_escape_the_preopen_walk() {
    with_walk(paths_cannot_escape_the_preopen_body);
}

/// Body of the two tests above, one per path resolver.
pub(super) fn paths_cannot_escape_the_preopen_body() {
    let root = TempDir::new("escape");
    let sandbox = root.path().join("sandbox");
    let outside = root.path().join("outside");
    std::fs::create_dir_all(sandbox.join("sub")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret"), b"secret").unwrap();
    std::fs::write(sandbox.join("sub/inner"), b"inner").unwrap();
    symlink("/etc", sandbox.join("abs")).unwrap();
    symlink("../outside/secret", sandbox.join("rel")).unwrap();
    symlink("../outside", sandbox.join("reldir")).unwrap();
    symlink("sub/../../outside", sandbox.join("sneaky")).unwrap();
    symlink("sub", sandbox.join("inside")).unwrap();
    symlink("loop2", sandbox.join("loop1")).unwrap();
    symlink("loop1", sandbox.join("loop2")).unwrap();
    let mut g = Guest::new(&sandbox);

    for path in [
        "../outside/secret",
        "..",
        "sub/../../outside/secret",
        "/etc/passwd",
        "abs/passwd",
        "rel",
        "reldir/secret",
        "sneaky/secret",
        "sub/../rel",
    ] {
        assert_eq!(g.open(path, 0, R_READ), Err(ENOTCAPABLE), "{path}");
    }
    // Creating through an escaping path fails too, and nothing appears.
    assert_eq!(g.open("reldir/new", O_CREAT, R_WRITE), Err(ENOTCAPABLE));
    assert_eq!(g.path_op("path_create_directory", "../made"), ENOTCAPABLE);
    assert_eq!(g.path_op("path_unlink_file", "reldir/secret"), ENOTCAPABLE);
    assert!(!outside.join("new").exists());
    assert!(!root.path().join("made").exists());
    assert!(outside.join("secret").exists());
    // Without symlink_follow a final symlink is not opened at all.
    assert_eq!(g.open_at(3, "rel", false, 0, R_READ), Err(ELOOP));
    assert_eq!(g.open("loop1", 0, R_READ), Err(ELOOP));
    // Paths that stay inside are fine, including via `..` and symlinks.
    for path in [
        "sub/inner",
        "sub/../sub/inner",
        "inside/inner",
        "./sub//inner",
    ] {
        let fd = g
            .open(path, 0, R_READ)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(g.read(fd, 10), b"inner", "{path}");
    }
    // A directory fd is its own root: `..` from it is refused.
    let sub = g.open("sub", O_DIRECTORY, R_READ).unwrap();
    assert_eq!(g.open_at(sub, "../rel", true, 0, R_READ), Err(ENOTCAPABLE));
    assert!(g.open_at(sub, "inner", true, 0, R_READ).is_ok());
    // Stat of an escaping link itself (no follow) is harmless and allowed.
    let (p, l) = g.path("rel");
    assert_eq!(g.call("path_filestat_get", &[3, 0, p, l, 256]), OK);
    assert_eq!(g.get(256 + 16, 1)[0], 7);
    assert_eq!(g.call("path_filestat_get", &[3, 1, p, l, 256]), ENOTCAPABLE);
    // Paths relative to a non-directory fd, or embedded NULs, are rejected.
    let file = g.open("sub/inner", 0, R_READ).unwrap();
    assert_eq!(g.open_at(file, "x", true, 0, R_READ), Err(ENOTDIR));
    assert_eq!(g.open("sub\0/inner", 0, R_READ), Err(EINVAL));
    assert_eq!(g.open("", 0, R_READ), Err(ENOENT));
}

#[test]
fn symlinks_are_confined_for_every_operation() {
    with_openat2(symlink_confinement);
}

#[test]
fn symlinks_are_confined_for_every_operation_walk() {
    with_walk(symlink_confinement);
}

/// Body of the two tests above: symlinks that escape (relative with `..`,
/// absolute, chained, escaping and re-entering) are refused by every path
/// function, and ones that stay inside work.
pub(super) fn symlink_confinement() {
    let root = TempDir::new("links");
    let sandbox = root.path().join("sandbox");
    let outside = root.path().join("outside");
    std::fs::create_dir_all(sandbox.join("sub")).unwrap();
    std::fs::create_dir_all(outside.join("d")).unwrap();
    std::fs::write(outside.join("secret"), b"secret").unwrap();
    std::fs::write(sandbox.join("sub/inner"), b"inner").unwrap();
    symlink("/etc", sandbox.join("abs")).unwrap();
    symlink(outside.join("secret"), sandbox.join("absfile")).unwrap();
    symlink("../outside", sandbox.join("outdir")).unwrap();
    symlink("../../outside/secret", sandbox.join("sub/up")).unwrap();
    symlink("../../sandbox/sub/inner", sandbox.join("sub/reenter")).unwrap();
    symlink("../sub/inner", sandbox.join("sub/ok")).unwrap();
    symlink(".", sandbox.join("sub/self")).unwrap();
    symlink("sub/ok", sandbox.join("chain")).unwrap();
    symlink("sub/up", sandbox.join("chain_out")).unwrap();
    symlink("loop2/x", sandbox.join("loop1")).unwrap();
    symlink("loop1/x", sandbox.join("loop2")).unwrap();
    let mut g = Guest::new(&sandbox);

    // Followed escaping links, final or intermediate, are refused ...
    for path in [
        "abs",
        "abs/passwd",
        "absfile",
        "outdir",
        "outdir/secret",
        "sub/up",
        "sub/reenter",
        "chain_out",
        "sub/self/../../outside/secret",
        "sub/self/up",
    ] {
        assert_eq!(g.open(path, 0, R_READ), Err(ENOTCAPABLE), "{path}");
        let (p, l) = g.path(path);
        assert_eq!(
            g.call("path_filestat_get", &[3, 1, p, l, 256]),
            ENOTCAPABLE,
            "{path}"
        );
    }
    // ... and ones that stay inside work, including through `..` and `.`.
    for path in ["sub/ok", "chain", "sub/self/inner", "sub/self/ok"] {
        let fd = g
            .open(path, 0, R_READ)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(g.read(fd, 10), b"inner", "{path}");
        assert_eq!(g.call("fd_close", &[u64::from(fd)]), OK);
    }
    // Without symlink_follow the final link is not opened (O_NOFOLLOW),
    // while intermediate ones are still followed.
    assert_eq!(g.open_at(3, "sub/ok", false, 0, R_READ), Err(ELOOP));
    assert_eq!(g.open_at(3, "chain", false, 0, R_READ), Err(ELOOP));
    assert!(g.open_at(3, "sub/self/inner", false, 0, R_READ).is_ok());
    // An unfollowed escaping link can be inspected, not traversed.
    let (p, l) = g.path("sub/up");
    assert_eq!(g.call("path_filestat_get", &[3, 0, p, l, 256]), OK);
    assert_eq!(g.get(256 + 16, 1)[0], 7);
    assert_eq!(g.call("path_readlink", &[3, p, l, 4000, 64, 64]), OK);
    assert_eq!(g.get(4000, g.u32_at(64) as usize), b"../../outside/secret");
    // A trailing slash follows the link, so it is refused too.
    let (p, l) = g.path("outdir/");
    assert_eq!(g.call("path_filestat_get", &[3, 0, p, l, 256]), ENOTCAPABLE);
    // Intermediate loops end in ELOOP, not a hang.
    assert_eq!(g.open("loop1/x", 0, R_READ), Err(ELOOP));

    // Every other path function refuses to reach through an escaping link.
    assert_eq!(
        g.path_op("path_create_directory", "outdir/new"),
        ENOTCAPABLE
    );
    assert_eq!(g.path_op("path_remove_directory", "outdir/d"), ENOTCAPABLE);
    assert_eq!(g.path_op("path_unlink_file", "outdir/secret"), ENOTCAPABLE);
    assert_eq!(g.path_op("path_unlink_file", "abs/passwd"), ENOTCAPABLE);
    assert_eq!(g.open("outdir/new", O_CREAT, R_WRITE), Err(ENOTCAPABLE));
    g.put(3000, b"sub/inner");
    g.put(3100, b"outdir/stolen");
    assert_eq!(
        g.call("path_rename", &[3, 3000, 9, 3, 3100, 13]),
        ENOTCAPABLE
    );
    assert_eq!(
        g.call("path_rename", &[3, 3100, 13, 3, 3000, 9]),
        ENOTCAPABLE
    );
    assert_eq!(
        g.call("path_link", &[3, 0, 3000, 9, 3, 3100, 13]),
        ENOTCAPABLE
    );
    g.put(3200, b"sub/up");
    g.put(3300, b"sub/hard");
    assert_eq!(
        g.call("path_link", &[3, 1, 3200, 6, 3, 3300, 8]),
        ENOTCAPABLE
    );
    assert_eq!(g.call("path_symlink", &[3000, 9, 3, 3100, 13]), ENOTCAPABLE);
    let (p, l) = g.path("absfile");
    assert_eq!(
        g.call("path_filestat_set_times", &[3, 1, p, l, 0, 0, 2]),
        ENOTCAPABLE
    );
    // A link to `.` names its own directory: removing it that way is
    // EINVAL (rmdir "."), and neither the link nor `sub` disappears.
    assert_eq!(g.path_op("path_remove_directory", "sub/self/"), EINVAL);
    assert!(sandbox.join("sub/self").is_symlink());
    assert!(sandbox.join("sub/inner").is_file());

    // Nothing outside was touched.
    let mut names: Vec<_> = std::fs::read_dir(&outside)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["d", "secret"]);
    assert_eq!(std::fs::read_dir(outside.join("d")).unwrap().count(), 0);
    assert_eq!(std::fs::read(outside.join("secret")).unwrap(), b"secret");
}

#[test]
fn symlink_swaps_during_lookups_never_escape() {
    with_openat2(symlink_swaps);
}

#[test]
fn symlink_swaps_during_lookups_never_escape_walk() {
    with_walk(symlink_swaps);
}

/// Body of the two tests above: while a host thread keeps atomically
/// replacing `flip` with a link to `sub` or to `../outside`, every guest
/// lookup through it either stays inside or is refused. Runs until both
/// outcomes have been seen often (or a generous deadline passes), so the
/// swaps really interleave with the lookups.
fn symlink_swaps() {
    let root = TempDir::new("swap");
    let sandbox = root.path().join("sandbox");
    let outside = root.path().join("outside");
    std::fs::create_dir_all(sandbox.join("sub")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(sandbox.join("sub/f"), b"inside").unwrap();
    std::fs::write(outside.join("f"), b"secret").unwrap();
    symlink("sub", sandbox.join("flip")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flips = Arc::new(AtomicU64::new(0));
    let flipper = {
        let (stop, flips) = (Arc::clone(&stop), Arc::clone(&flips));
        let (tmp, flip) = (sandbox.join("flip.tmp"), sandbox.join("flip"));
        std::thread::spawn(move || {
            for target in ["../outside", "sub"].iter().cycle() {
                let _ = std::fs::remove_file(&tmp);
                // Stop on request, or if the directory vanished because the
                // guest side failed and dropped it.
                if stop.load(Ordering::Relaxed)
                    || symlink(target, &tmp).is_err()
                    || std::fs::rename(&tmp, &flip).is_err()
                {
                    break;
                }
                flips.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    while flips.load(Ordering::Relaxed) == 0 {
        std::thread::yield_now();
    }
    let mut g = Guest::new(&sandbox);
    let (mut inside, mut refused) = (0u32, 0u32);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut i = 0;
    while (inside < 50 || refused < 50) && Instant::now() < deadline {
        let path = ["flip/f", "flip/../sub/f", "./flip//f"][i % 3];
        i += 1;
        match g.open(path, 0, R_READ) {
            Ok(fd) => {
                assert_eq!(g.read(fd, 10), b"inside", "{path}");
                assert_eq!(g.call("fd_close", &[u64::from(fd)]), OK);
                inside += 1;
            }
            Err(e) => {
                assert_eq!(e, ENOTCAPABLE, "{path}");
                refused += 1;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    flipper.join().unwrap();
    assert!(
        inside > 0 && refused > 0,
        "no interleaving: {inside} inside, {refused} refused"
    );
}
