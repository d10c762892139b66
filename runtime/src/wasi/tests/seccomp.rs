//! The fallback to the portable walk when a seccomp filter (or an old
//! kernel) refuses `openat2`. Each case re-runs this test binary for this
//! one test, in a child process whose test thread installs a filter making
//! `openat2` fail with the errno given in [`ENV`].

use std::process::Command;

use super::fs::{paths_cannot_escape_the_preopen_body, symlink_confinement};
use super::sandbox;

/// Environment variable carrying the errno to the child.
const ENV: &str = "WRUN_WASI_TEST_OPENAT2_ERRNO";
/// Printed by a child whose kernel has no seccomp filters.
const NO_SECCOMP: &str = "wrun-wasi-test: seccomp unavailable";

#[test]
fn refused_openat2_falls_back_to_the_walk() {
    if let Ok(errno) = std::env::var(ENV) {
        child(errno.parse().unwrap());
        return;
    }
    let name = concat!(module_path!(), "::refused_openat2_falls_back_to_the_walk");
    let name = name.split_once("::").unwrap().1;
    for errno in [libc::ENOSYS, libc::EPERM, libc::EACCES] {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--test-threads=1", "--nocapture"])
            .env(ENV, errno.to_string())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "errno {errno}:\n{stdout}\n{stderr}"
        );
        if stdout.contains(NO_SECCOMP) || stderr.contains(NO_SECCOMP) {
            eprintln!("note: no seccomp on this host; fallback detection not tested");
            return;
        }
    }
}

/// In the child: refuse `openat2` with `errno` on this thread, then check
/// that detection picks the walk and that it confines paths.
fn child(errno: i32) {
    if !refuse_openat2(errno) {
        println!("{NO_SECCOMP}");
        return;
    }
    assert!(!sandbox::openat2_in_use(), "errno {errno} not detected");
    // The probe was the only call, and no lookup tries openat2 again.
    assert_eq!(sandbox::openat2_calls(), 1);
    paths_cannot_escape_the_preopen_body();
    symlink_confinement();
    assert_eq!(sandbox::openat2_calls(), 1);
}

/// Installs a seccomp filter on the calling thread that makes `openat2`
/// fail with `errno` and allows everything else. `false` if the kernel
/// does not support seccomp filters.
fn refuse_openat2(errno: i32) -> bool {
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let nr = libc::SYS_openat2 as u32;
    let mut filter = [
        // Load the syscall number (offset 0 of `seccomp_data`). The
        // architecture is not checked: the test only runs native code.
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0),
        // openat2: fall through to the ERRNO return, else skip it.
        libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: nr,
        },
        stmt(
            libc::BPF_RET | libc::BPF_K,
            libc::SECCOMP_RET_ERRNO | errno as u32,
        ),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW),
    ];
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY: PR_SET_NO_NEW_PRIVS takes integer arguments only; it is
    // required for an unprivileged process to install a filter.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    assert_eq!(rc, 0);
    // SAFETY: `prog` points to `filter`, a valid BPF program of `len`
    // instructions, and both outlive the call (the kernel copies them).
    let rc = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &prog as *const libc::sock_fprog,
        )
    };
    rc == 0
}
