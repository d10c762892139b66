#!/usr/bin/env python3
"""Resident memory of N concurrent wrun OS processes running one program,
with the code cache (code mapped from one file, shared) and with --no-cache
(each process compiles into private memory).

    python3 benches/rss_processes.py --procs 10

The program is generated: FUNCS functions of straight-line arithmetic (about
1 MB of machine code) and a `_start` that calls each once, then blocks
reading stdin, so every process is alive, with its code touched, while
/proc/PID/smaps is read. Reported per mode: the sum over processes of Pss
(proportional set size: a page shared by k processes counts 1/k in each),
total and for the wasm code alone (anonymous executable mappings and
mappings of cache files; wrun's own binary and libc are left out).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def program(funcs):
    body = "\n".join(
        f"(func $f{i} (param i32) (result i32) "
        + "(local.get 0) " + " ".join(f"(i32.const {i * 7 + k}) (i32.add) (i32.const 3) (i32.mul)" for k in range(40))
        + ")"
        for i in range(funcs)
    )
    calls = " ".join(f"(drop (call $f{i} (i32.const {i})))" for i in range(funcs))
    return f"""(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  {body}
  (func (export "_start")
    {calls}
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))))"""


def pss(pid, code_only):
    total = 0
    in_code = False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 5 and "-" in fields[0] and not fields[0].endswith(":"):
                perms = fields[1]
                # wasm code: anonymous executable pages or a cache file.
                in_code = "x" in perms and (len(fields) < 6 or fields[5].endswith(".code"))
            elif fields and fields[0] == "Pss:" and (in_code or not code_only):
                total += int(fields[1])
    return total


def measure(wrun, wasm, procs, extra, env):
    children = [
        subprocess.Popen([wrun, *extra, wasm], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
        for _ in range(procs)
    ]
    # Wait until every process is blocked in read(2) on stdin (after _start
    # ran all its code); /proc/PID/syscall starts with the syscall number.
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if all(Path(f"/proc/{c.pid}/syscall").read_text().startswith("0 ") for c in children):
                break
        except OSError:
            pass
        time.sleep(0.05)
    else:
        sys.exit("processes did not reach their read of stdin")
    total = sum(pss(c.pid, False) for c in children)
    code = sum(pss(c.pid, True) for c in children)
    for c in children:
        c.stdin.close()
        c.wait()
    return total, code


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=10)
    ap.add_argument("--funcs", type=int, default=2000)
    args = ap.parse_args()
    wrun = str(ROOT / "target" / "release" / "wrun")
    tmp = Path(tempfile.mkdtemp(prefix="wrun-rss-"))
    wat = tmp / "big.wat"
    wasm = tmp / "big.wasm"
    wat.write_text(program(args.funcs))
    subprocess.run(["wat2wasm", str(wat), "-o", str(wasm)], check=True)
    env = dict(os.environ, WRUN_CACHE_DIR=str(tmp / "cache"))
    subprocess.run([wrun, "compile", str(wasm)], env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"{args.procs} concurrent processes of a {wasm.stat().st_size // 1024} KiB module ({args.funcs} functions)")
    for label, extra in [("code cache (mapped file)", []), ("--no-cache (private code)", ["--no-cache"])]:
        total, code = measure(wrun, str(wasm), args.procs, extra, env)
        print(f"  {label:28} Pss total {total / 1024:8.1f} MiB, wasm code {code / 1024:7.2f} MiB")


if __name__ == "__main__":
    sys.exit(main())
