# Sourced first by each real-library build.sh:
#   source "$(dirname "${BASH_SOURCE[0]}")/../prelude.sh" NAME "$@"
# Sets HERE (that script's directory), ROOT (the repository), OUT (its first
# argument, default target/real-libs/NAME), CC and WASM_LD (clang-19 and
# wasm-ld-19 unless set), FEATURES (the wasm features every build uses),
# and creates $OUT/obj.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
OUT="${2:-$ROOT/target/real-libs/$1}"
CC=${CC:-clang-19}
WASM_LD=${WASM_LD:-wasm-ld-19}
FEATURES="-mcpu=mvp -mmutable-globals -msign-ext"
mkdir -p "$OUT/obj"
