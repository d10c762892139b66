"""Real programs over a shared libc against their static twins, whole processes.

    bash wasm-fixtures/real/pie-libc/build.sh    # once (about two minutes)
    python3 benches/compare_shared_libc.py [--reps 11] [--wasmtime wasmtime] [--json FILE]

Three workloads: zgz compressing 5 MiB of base64 text at level 6; sqlrun
running wasm-fixtures/real/sqlite/check.sql (100,000 inserts in a
transaction, aggregates, joins, an index, a window function); luarun
running wasm-fixtures/real/lua/check.lua (errors, coroutines). Each runs
three ways, each process timed from spawn to exit, the three interleaved
in every round:

- wrun running the PIE main that NEEDS its library and libc.so;
- wrun running the static twin (program + library + zig's static wasi-libc;
  for Lua, the same objects as the split program, libc's too, in one module);
- the wasmtime CLI running the static twin (skipped if it is not installed,
  and for Lua, whose legacy exception handling wasmtime does not run).

Both runtimes run with their code caches warm (one untimed run first).
Prints the medians, the ratios, the median of wrun's own "run" phase
(`--stats`: the guest's time, without loading and linking), and whether
the outputs are equal.
"""

import argparse
import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILT = os.path.join(ROOT, "target", "real-libs", "pie-libc")
WRUN = os.path.join(ROOT, "target", "release", "wrun")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import find_wasmtime  # noqa: E402


def measure(title, dynamic, twin, args, reps, wasmtime, work, output=None):
    """Times `dynamic` (a PIE main over libc.so) and `twin` with `args`;
    `output` is the file each writes (with its own suffix), else stdout."""
    mapping = f"{work}::/w"

    def command(runner, module, tag):
        out = [f"{output}.{tag}"] if output else []
        return runner + ["--dir", mapping] + module + args + out

    runs = {
        "wrun, over libc.so": command([WRUN, "--stats"], ["-L", ".", "-L", "libc", dynamic], "dynamic"),
        "wrun, static twin": command([WRUN, "--stats"], [twin], "static"),
    }
    if wasmtime and shutil.which(wasmtime):
        runs["wasmtime, static twin"] = command([wasmtime, "run"], [twin], "wasmtime")
    results = {}
    for name, cmd in runs.items():
        results[name] = subprocess.run(cmd, cwd=BUILT, check=True, capture_output=True).stdout
    times = {name: [] for name in runs}
    run_phase = {name: [] for name in runs}
    for _ in range(reps):
        for name, cmd in runs.items():
            start = time.perf_counter()
            done = subprocess.run(cmd, cwd=BUILT, check=True, capture_output=True, text=True)
            times[name].append(time.perf_counter() - start)
            # wrun --stats: "... run 12.345 ms" (the guest's own time).
            match = re.search(r"\brun ([0-9.]+) ms", done.stderr)
            if match:
                run_phase[name].append(float(match.group(1)))
    print(f"{title}:")
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    for name, ms in medians.items():
        phase = run_phase[name]
        run = f", run phase {statistics.median(phase):.1f} ms" if phase else ""
        print(f"  {name}: {ms:.1f} ms (median of {reps}){run}")
    names = list(medians)
    print(f"  dynamic / static on wrun: {medians[names[0]] / medians[names[1]]:.3f}")
    phases = [statistics.median(run_phase[n]) for n in names[:2]]
    print(f"  run phase alone, dynamic / static on wrun: {phases[0] / phases[1]:.3f}")
    if len(names) > 2:
        print(f"  dynamic on wrun / static on wasmtime: {medians[names[0]] / medians[names[2]]:.3f}")
    if output:
        host_path = os.path.join(work, os.path.basename(output))
        outputs = {open(f"{host_path}.{tag}", "rb").read() for tag in ["dynamic", "static", "wasmtime"][: len(names)]}
    else:
        outputs = set(results.values())
    print("  outputs identical:", len(outputs) == 1)
    return {
        "workload": title,
        "medians_ms": medians,
        "run_phase_ms": {name: statistics.median(p) for name, p in run_phase.items() if p},
        "outputs_identical": len(outputs) == 1,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("--wasmtime", help="the wasmtime CLI (default: found on PATH)")
    parser.add_argument("--json", help="also write the medians to this file (for results.py)")
    args = parser.parse_args()
    args.wasmtime = find_wasmtime(args.wasmtime)[0]
    work = tempfile.mkdtemp(prefix="wrun-libc-bench-")
    with open(os.path.join(work, "in"), "wb") as f:
        f.write(base64.b64encode(os.urandom(1 << 20))[: 5 << 20] * 4)
    shutil.copy(os.path.join(ROOT, "wasm-fixtures", "real", "sqlite", "check.sql"), work)
    shutil.copy(os.path.join(ROOT, "wasm-fixtures", "real", "lua", "check.lua"), work)
    rows = []
    rows.append(measure("zlib (zgz c 6, 5 MiB)", "zgz.wasm", "zgz-static.wasm", ["c", "6", "/w/in"],
            args.reps, args.wasmtime, work, output="/w/out.gz"))
    rows.append(measure("SQLite (sqlrun check.sql)", "sqlrun.wasm", "sqlrun-static.wasm", ["/w/check.sql"],
            args.reps, args.wasmtime, work))
    # Lua's longjmps are legacy wasm exceptions (try/catch), which wasmtime
    # does not run. Its twin is the same objects, libc's too, in one module.
    rows.append(measure("Lua (luarun check.lua)", "luarun.wasm", "luarun-static.wasm", ["/w/check.lua"],
            args.reps, None, work))
    shutil.rmtree(work)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
