#!/usr/bin/env bash
# Calls inside a module, into another module, and through a function pointer
# from another module: wrun (criterion, benches/calls.rs) beside native code
# (benches/native/calls_*.c, built here with gcc: a direct call, a call into
# a shared object through the PLT, a call through a pointer), one run,
# medians and ratios.
#   bash benches/compare_calls.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O2 -shared -fPIC -o "$out/libcalls_lib.so" benches/native/calls_lib.c
gcc -O2 -o "$out/calls_bench" benches/native/calls_bench.c -L"$out" -lcalls_lib -Wl,-rpath,"$out"
"$out/calls_bench" | tee "$out/native.txt"
cargo bench --bench calls -- --warm-up-time 1 --measurement-time 3 2>/dev/null >/dev/null
python3 - "$out" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
native = dict(line.split() for line in (out / "native.txt").read_text().splitlines())
crit = pathlib.Path("target/criterion")
print(f"{'call':<30}{'wrun (ns)':>10}{'no EH (ns)':>12}{'native (ns)':>13}{'ratio':>7}")
for name in ("inside_module", "across_modules_import", "call_indirect_other_library"):
    def per_call(group):
        path = crit / group / name / "new" / "estimates.json"
        return json.loads(path.read_text())["median"]["point_estimate"] / 1000
    wrun, plain = per_call("calls"), per_call("calls_without_exceptions")
    nat = float(native["native/" + name])
    print(f"{name:<30}{wrun:>10.2f}{plain:>12.2f}{nat:>13.2f}{wrun / nat:>7.2f}")
PY
