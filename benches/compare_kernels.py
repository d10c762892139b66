#!/usr/bin/env python3
"""Compare wrun and wasmtime on the compute kernels of wasm-fixtures/kernels.

Requirements: Python 3.8+, a Rust toolchain, and wasmtime-py:

    pip install wasmtime

Usage (from anywhere; paths are relative to this file):

    python3 benches/compare_kernels.py                # all kernels, 5 rounds, fresh instances
    python3 benches/compare_kernels.py --reps 7 --mode both
    python3 benches/compare_kernels.py --kernels sieve qsort --no-build
    python3 benches/compare_kernels.py --runner target/release/deps/run_kernel-HASH --no-cli

What is measured (execution only, compilation excluded on both sides):

* wrun: the bench target ``benches/run_kernel.rs`` (``[[bench]] harness =
  false``, built by ``cargo bench --no-run --bench run_kernel``; this script
  builds it and finds the executable through ``--message-format=json``).
  It compiles the module with the wrun API, creates a Store + instance
  (untimed) and times only ``Func::call`` of ``run(n)`` with
  ``std::time::Instant``.
* wasmtime: wasmtime-py with its default ``Config`` (Cranelift, speed
  optimizations, like wrun). The module is compiled and instantiated
  untimed; only the ``run(store, n)`` call is timed with
  ``time.perf_counter``. The Python-to-native call overhead is a few
  microseconds, negligible against calls of 0.3-0.7 s.
* modes: ``fresh`` (default) times the first ``run(n)`` on a fresh instance,
  so it includes the kernel's own ``memory.grow`` and the page faults of
  first touching its memory -- what a one-shot run pays. ``warm`` makes one
  untimed call first and times a second call on the same instance (memory
  already grown and touched), which isolates the generated code.
* rounds are interleaved: in each of the ``--reps`` rounds, every kernel runs
  once on wrun, once on wasmtime and once with the wrun CLI, so slow drifts
  in background load hit both engines alike. Reported: the median time of
  each engine, their ratio, and the "paired" ratio (median over rounds of
  wrun/wasmtime measured back to back in the same round).
* wrun CLI end-to-end (context only): wall time of
  ``target/release/wrun --stats --invoke run KERNEL.wasm N`` as a subprocess
  (process start, read, compile, instantiate, run, exit), plus the ``run``
  phase it prints with ``--stats``.

Every result is checked against the checksum of wasm-fixtures/README.md;
the script exits with status 1 on any mismatch.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL_DIR = os.path.join(ROOT, "wasm-fixtures", "kernels")

# kernel -> (recommended n, checksum at that n), from wasm-fixtures/README.md
KERNELS = {
    "sieve": (50000000, 3299781781295095045),
    "matmul": (700, 771749275),
    "hash": (200000000, -8051208725421513708),
    "nbody": (5000000, -169083134),
    "qsort": (3000000, -6941571006573921799),
    # SIMD kernels: each built scalar (NAME) and with -msimd128 (NAME-simd),
    # same n and checksum, so the two rows compare SIMD against scalar.
    "dot": (1000000, -4354585795324),
    "dot-simd": (1000000, -4354585795324),
    "bytecount": (60000, 1843248529272),
    "bytecount-simd": (60000, 1843248529272),
    "blur": (4000, 3664366802774658064),
    "blur-simd": (4000, 3664366802774658064),
}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def build(skip, runner=None):
    """Builds the wrun CLI and the run_kernel bench target (sequentially)."""
    wrun = os.path.join(ROOT, "target", "release", "wrun")
    if runner:
        return wrun, runner
    if not skip:
        log("building: cargo build --release --bin wrun")
        subprocess.run(["cargo", "build", "--release", "--bin", "wrun"], cwd=ROOT, check=True)
    log("locating run_kernel: cargo bench --no-run --bench run_kernel")
    out = subprocess.run(
        ["cargo", "bench", "--no-run", "--bench", "run_kernel", "--message-format=json"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if skip else None,
        text=True,
    ).stdout
    runner = None
    for line in out.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "run_kernel":
            runner = msg.get("executable") or runner
    if not runner:
        sys.exit("could not find the run_kernel executable in cargo's output")
    if not os.path.exists(wrun):
        sys.exit(f"{wrun} is missing; run without --no-build")
    return wrun, runner


def wrun_api_once(runner, path, n, warm):
    args = [runner, "--reps", "1"] + (["--warm"] if warm else []) + [path, str(n)]
    out = subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return data["results"][0], data["run_ms"][0] / 1000.0


class Wasmtime:
    def __init__(self):
        try:
            import wasmtime
        except ImportError:
            sys.exit("wasmtime-py is missing: pip install wasmtime")
        self.wt = wasmtime
        self.engine = wasmtime.Engine()
        self.modules = {}

    def version(self):
        try:
            from importlib.metadata import version

            return version("wasmtime")
        except Exception:
            return "?"

    def once(self, path, n, warm):
        wt = self.wt
        if path not in self.modules:
            self.modules[path] = wt.Module.from_file(self.engine, path)
        store = wt.Store(self.engine)
        instance = wt.Instance(store, self.modules[path], [])
        run = instance.exports(store)["run"]
        if warm:
            run(store, n)
        start = time.perf_counter()
        result = run(store, n)
        elapsed = time.perf_counter() - start
        return result, elapsed


STATS_RUN = re.compile(r"run ([0-9.]+) ms")


def cli_once(wrun, path, n):
    start = time.perf_counter()
    proc = subprocess.run(
        [wrun, "--stats", "--invoke", "run", path, str(n)],
        check=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - start
    result = int(proc.stdout.strip().splitlines()[-1])
    m = STATS_RUN.search(proc.stderr)
    run_phase = float(m.group(1)) / 1000.0 if m else float("nan")
    return result, wall, run_phase


def fmt_ms(seconds):
    return f"{seconds * 1000:8.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5, help="rounds per kernel (default 5)")
    ap.add_argument("--kernels", nargs="+", choices=sorted(KERNELS), default=list(KERNELS))
    ap.add_argument("--mode", choices=["fresh", "warm", "both"], default="fresh")
    ap.add_argument(
        "--no-build",
        action="store_true",
        help="skip `cargo build --release --bin wrun` (cargo is still asked, without building "
        "if up to date, where the run_kernel executable is)",
    )
    ap.add_argument("--runner", metavar="PATH", help="the run_kernel executable; cargo is not run at all")
    ap.add_argument("--no-cli", action="store_true", help="skip the wrun CLI end-to-end runs")
    ap.add_argument("--json", metavar="FILE", help="also write all raw times to FILE")
    args = ap.parse_args()

    wt = Wasmtime()
    wrun, runner = build(args.no_build, args.runner)
    log(f"wasmtime-py {wt.version()}; wrun runner {os.path.relpath(runner, ROOT)}; {args.reps} rounds")
    modes = ["fresh", "warm"] if args.mode == "both" else [args.mode]

    raw = {}
    ok = True
    for kernel in args.kernels:
        n, expected = KERNELS[kernel]
        path = os.path.join(KERNEL_DIR, kernel + ".wasm")
        rec = raw[kernel] = {"n": n, "expected": expected, "mismatches": 0}
        for mode in modes:
            rec[mode] = {"wrun": [], "wasmtime": []}
        if not args.no_cli:
            rec["cli_wall"], rec["cli_run"] = [], []
        for rnd in range(args.reps):
            for mode in modes:
                warm = mode == "warm"
                # Alternate which engine goes first, round by round.
                order = ["wrun", "wasmtime"] if rnd % 2 == 0 else ["wasmtime", "wrun"]
                for engine in order:
                    if engine == "wrun":
                        result, t = wrun_api_once(runner, path, n, warm)
                    else:
                        result, t = wt.once(path, n, warm)
                    if result != expected:
                        ok = False
                        rec["mismatches"] += 1
                        log(f"CHECKSUM MISMATCH: {engine} {kernel}({n}) = {result}, expected {expected}")
                    rec[mode][engine].append(t)
            if not args.no_cli:
                result, wall, run_phase = cli_once(wrun, path, n)
                if result != expected:
                    ok = False
                    rec["mismatches"] += 1
                    log(f"CHECKSUM MISMATCH: wrun CLI {kernel}({n}) = {result}, expected {expected}")
                rec["cli_wall"].append(wall)
                rec["cli_run"].append(run_phase)
        log(f"  {kernel}: done")

    print()
    print(f"median of {args.reps} rounds, execution of run(n) only (ms)")
    print("ratio = median(wrun) / median(wasmtime); paired = median over rounds of wrun/wasmtime")
    print("within the same round (less sensitive to slow drifts of background load);")
    print("min = min(wrun) / min(wasmtime), the least noise-sensitive estimate on a busy machine")
    for mode in modes:
        print()
        print(f"mode: {mode}")
        head = (
            f"{'kernel':14} {'n':>10} {'wrun':>8} {'wasmtime':>8} {'ratio':>6} {'paired':>6} {'min':>6}"
            f"  {'wrun min-max':>15}  {'wasmtime min-max':>17}  checksum"
        )
        if not args.no_cli and mode == modes[0]:
            head += f"  {'CLI wall':>8} {'CLI run':>8}"
        print(head)
        for kernel, rec in raw.items():
            w, m = rec[mode]["wrun"], rec[mode]["wasmtime"]
            mw, mm = statistics.median(w), statistics.median(m)
            paired = statistics.median(a / b for a, b in zip(w, m))
            line = (
                f"{kernel:14} {rec['n']:>10} {fmt_ms(mw)} {fmt_ms(mm)} {mw / mm:6.2f} {paired:6.2f} {min(w) / min(m):6.2f}"
                f"  {min(w) * 1000:7.1f}-{max(w) * 1000:<7.1f}  {min(m) * 1000:8.1f}-{max(m) * 1000:<8.1f}"
                f"  {'ok' if rec['mismatches'] == 0 else 'MISMATCH'}"
            )
            if not args.no_cli and mode == modes[0]:
                line += f"  {fmt_ms(statistics.median(rec['cli_wall']))} {fmt_ms(statistics.median(rec['cli_run']))}"
            print(line)
        simd_pairs = [k for k in raw if k.endswith("-simd") and k[: -len("-simd")] in raw]
        if simd_pairs:
            print()
            print(f"SIMD speedup ({mode}): median(scalar) / median(-msimd128), per engine")
            for simd in simd_pairs:
                scalar = simd[: -len("-simd")]
                speedups = [
                    statistics.median(raw[scalar][mode][e]) / statistics.median(raw[simd][mode][e])
                    for e in ("wrun", "wasmtime")
                ]
                print(f"{scalar:10} wrun {speedups[0]:5.2f}x   wasmtime {speedups[1]:5.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
