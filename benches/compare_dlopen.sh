#!/usr/bin/env bash
# dlopen+dlclose and dlsym: wrun (criterion, benches/dlopen.rs) beside glibc
# (benches/native/, built here with gcc) in one run; prints medians and ratios.
#   bash benches/compare_dlopen.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O2 -shared -fPIC -o "$out/libplugin.so" benches/native/plugin.c
gcc -O2 -o "$out/dlopen_bench" benches/native/dlopen_bench.c -ldl
"$out/dlopen_bench" "$out/libplugin.so" | tee "$out/native.txt"
cargo bench --bench dlopen -- --warm-up-time 1 --measurement-time 3 2>/dev/null | tee "$out/wrun.txt" >/dev/null
python3 - "$out" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
native = dict(line.split() for line in (out / "native.txt").read_text().splitlines())
crit = pathlib.Path("target/criterion/dlopen")
rows = [("dlopen+dlclose", "dlopen+dlclose_compiled"), ("dlsym/func", "dlsym_func"), ("dlsym/data", "dlsym_data")]
print(f"{'benchmark':<18}{'wrun (ns)':>12}{'glibc (ns)':>12}{'ratio':>8}")
for name, directory in rows:
    wrun = json.loads((crit / directory / "new" / "estimates.json").read_text())["median"]["point_estimate"]
    glibc = float(native["native/" + name])
    print(f"{name:<18}{wrun:>12.0f}{glibc:>12.0f}{wrun / glibc:>8.2f}")
PY
