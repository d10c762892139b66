"""zlib over a shared libc against its static twin, whole processes.

    bash wasm-fixtures/real/pie-libc/build.sh    # once (about a minute)
    python3 benches/compare_shared_libc.py [--reps 11] [--wasmtime wasmtime]

Compresses 5 MiB of base64 text at level 6 with zgz, three ways, each
process timed from spawn to exit, the three interleaved in every round:

- wrun running zgz.wasm, a PIE main that NEEDS libz.so and libc.so;
- wrun running zgz-static.wasm (zgz + zlib + zig's static wasi-libc);
- the wasmtime CLI running zgz-static.wasm (skipped if it is not installed).

Both runtimes run with their code caches warm (one untimed run first).
Prints the medians, the ratios, and whether the three outputs are equal.
"""

import argparse
import base64
import os
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILT = os.path.join(ROOT, "target", "real-libs", "pie-libc")
WRUN = os.path.join(ROOT, "target", "release", "wrun")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("--wasmtime", default="wasmtime")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="wrun-libc-bench-")
    with open(os.path.join(work, "in"), "wb") as f:
        f.write(base64.b64encode(os.urandom(1 << 20))[: 5 << 20] * 4)
    mapping = f"{work}::/w"
    runs = {
        "wrun, zgz.wasm + libz.so + libc.so": [
            WRUN, "--dir", mapping, "-L", ".", "-L", "libc", "zgz.wasm", "c", "6", "/w/in", "/w/dynamic.gz",
        ],
        "wrun, static twin": [WRUN, "--dir", mapping, "zgz-static.wasm", "c", "6", "/w/in", "/w/static.gz"],
    }
    if shutil.which(args.wasmtime):
        runs["wasmtime, static twin"] = [
            args.wasmtime, "run", "--dir", mapping, "zgz-static.wasm", "c", "6", "/w/in", "/w/wasmtime.gz",
        ]
    for command in runs.values():
        subprocess.run(command, cwd=BUILT, check=True, capture_output=True)
    times = {name: [] for name in runs}
    for _ in range(args.reps):
        for name, command in runs.items():
            start = time.perf_counter()
            subprocess.run(command, cwd=BUILT, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    for name, ms in medians.items():
        print(f"{name}: {ms:.1f} ms (median of {args.reps})")
    names = list(medians)
    dynamic = medians[names[0]]
    print(f"dynamic / static on wrun: {dynamic / medians[names[1]]:.3f}")
    if len(names) > 2:
        print(f"dynamic on wrun / static on wasmtime: {dynamic / medians[names[2]]:.3f}")
    outputs = {open(os.path.join(work, f), "rb").read() for f in os.listdir(work) if f.endswith(".gz")}
    print("outputs identical:", len(outputs) == 1)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
