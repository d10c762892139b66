#!/usr/bin/env python3
"""What epoch interruption costs on the compute kernels, wrun and wasmtime
side by side in one run.

    python3 benches/epoch_cost.py [--rounds R] [--no-build] [--no-wasmtime] [--json FILE]

Each kernel's `run(n)` is timed in-process on a warm instance (memory already
grown and touched, so page faults do not blur a few-percent difference), with
the epoch checks compiled out ("off") and in ("on", with a deadline that is
never reached). The off and on runs alternate, R rounds (default 7) of three
calls each; the table shows medians and the on/off ratio of each runtime.
- wrun: `benches/run_kernel.rs --warm [--epoch]`, one process per round;
- wasmtime (wasmtime-py, skipped when absent): `Config.epoch_interruption`,
  `Store.set_epoch_deadline`, timed with `time.perf_counter`.
The goal (issue 11) is an on/off ratio under 1.03.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_kernels import ROOT, build, log  # noqa: E402

KERNELS = [("sieve", 20_000_000), ("matmul", 500), ("hash", 100_000_000), ("nbody", 2_000_000), ("qsort", 1_000_000)]
CALLS = 3


def wrun_round(runner, path, n, epoch):
    args = [runner, "--warm", "--reps", str(CALLS)] + (["--epoch"] if epoch else []) + [path, str(n)]
    out = subprocess.run(args, check=True, stdout=subprocess.PIPE, text=True).stdout
    return [ms / 1000.0 for ms in json.loads(out.strip().splitlines()[-1])["run_ms"]]


class WasmtimeEpoch:
    """One wasmtime engine per mode; a fresh warm instance per round."""

    def __init__(self, wasmtime):
        self.wt = wasmtime
        self.engines = {}
        for epoch in (False, True):
            config = wasmtime.Config()
            config.epoch_interruption = epoch
            self.engines[epoch] = wasmtime.Engine(config)
        self.modules = {}

    def round(self, path, n, epoch):
        import time

        key = (path, epoch)
        if key not in self.modules:
            self.modules[key] = self.wt.Module.from_file(self.engines[epoch], path)
        store = self.wt.Store(self.engines[epoch])
        if epoch:
            store.set_epoch_deadline(1 << 62)
        run = self.wt.Instance(store, self.modules[key], []).exports(store)["run"]
        run(store, n)  # warm: memory grown and touched
        times = []
        for _ in range(CALLS):
            start = time.perf_counter()
            run(store, n)
            times.append(time.perf_counter() - start)
        return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--no-wasmtime", action="store_true")
    ap.add_argument("--json", help="also write the medians (seconds) to this file (for results.py)")
    args = ap.parse_args()
    _, runner = build(args.no_build)
    peer = None
    if not args.no_wasmtime:
        try:
            import wasmtime

            peer = WasmtimeEpoch(wasmtime)
        except ImportError:
            log("wasmtime-py is missing (pip install wasmtime): wrun only")
    header = f"{'kernel':<8}{'wrun off':>10}{'on':>9}{'ratio':>8}"
    if peer:
        header += f"{'wasmtime off':>14}{'on':>9}{'ratio':>8}"
    print(header + "   (ms, medians)")
    rows = []
    for kernel, n in KERNELS:
        path = os.path.join(ROOT, "wasm-fixtures", "kernels", f"{kernel}.wasm")
        times = {}
        for _ in range(args.rounds):
            for epoch in (False, True):  # alternating, same conditions
                times.setdefault(("wrun", epoch), []).extend(wrun_round(runner, path, n, epoch))
                if peer:
                    times.setdefault(("wasmtime", epoch), []).extend(peer.round(path, n, epoch))
        line = f"{kernel:<8}"
        row = {"kernel": kernel, "n": n}
        for name, width in (("wrun", 10), ("wasmtime", 14)):
            if (name, False) not in times:
                continue
            off = statistics.median(times[(name, False)])
            on = statistics.median(times[(name, True)])
            row[name] = {"off": off, "on": on}
            line += f"{off * 1e3:>{width}.1f}{on * 1e3:>9.1f}{on / off:>8.3f}"
        rows.append(row)
        print(line, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rounds": args.rounds, "calls": CALLS, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
