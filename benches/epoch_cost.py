#!/usr/bin/env python3
"""Cost of epoch interruption on the compute kernels: each kernel run through
the CLI with and without --timeout 1h (which compiles the epoch checks in),
interleaved, 7 reps; medians and paired ratios.  python3 benches/epoch_cost.py
(after cargo build --release)."""
import subprocess, time, statistics, sys
W = "target/release/wrun"
kernels = [("sieve", 20_000_000), ("matmul", 500), ("hash", 100_000_000), ("nbody", 2_000_000), ("qsort", 1_000_000)]
reps = 7
print(f"{'kernel':<8}{'off (ms)':>10}{'on (ms)':>10}{'ratio':>8}")
for k, n in kernels:
    times = {"off": [], "on": []}
    for r in range(reps):
        for mode in ("off", "on"):  # interleaved, same conditions
            args = [W] + (["--timeout", "1h"] if mode == "on" else []) + ["--invoke", "run", f"wasm-fixtures/kernels/{k}.wasm", str(n)]
            t = time.perf_counter(); subprocess.run(args, check=True, stdout=subprocess.DEVNULL); times[mode].append(time.perf_counter() - t)
    off, on = statistics.median(times["off"]) * 1e3, statistics.median(times["on"]) * 1e3
    ratios = [b / a for a, b in zip(times["off"], times["on"])]
    print(f"{k:<8}{off:>10.1f}{on:>10.1f}{on/off:>8.3f}  (paired median {statistics.median(ratios):.3f})")
