#!/usr/bin/env bash
# Builds lz4 as three shared libraries into OUT (default target/real-libs/lz4):
#   liblz4.wasm        lz4.c + lz4hc.c (block compression)
#   libxxhash.wasm     xxhash.c (checksums)
#   liblz4frame.wasm   lz4frame.c, NEEDS liblz4.wasm and libxxhash.wasm
# and two programs: main.wasm (lz4f.c over wasi-libc, non-PIE, NEEDS only
# liblz4frame.wasm; the rest is found through its NEEDED entries) and
# static.wasm, everything linked into one module. lz4's sources are
# third-party code from crates.io (the lz4-sys crate bundles them), fetched
# with cargo; nothing from them is committed. $LZ4_SRC overrides the source.
#
# Needs clang-19, wasm-ld-19, llvm-nm (llvm-19), wasi-libc, cargo, python3.
source "$(dirname "${BASH_SOURCE[0]}")/../prelude.sh" lz4 "$@"

if [ -z "${LZ4_SRC:-}" ]; then
    LZ4_SRC="$("$HERE/../fetch-crate-source.sh" lz4-sys 1.11.1 liblz4/lib "$OUT/fetch")"
fi
[ -f "$LZ4_SRC/lz4frame.h" ] || { echo "build.sh: no lz4 sources in $LZ4_SRC" >&2; exit 1; }

CFLAGS="--target=wasm32-wasi $FEATURES -O2 -w -I$LZ4_SRC"
pic() { "$CC" $CFLAGS -fPIC -fvisibility=default -c "$LZ4_SRC/$1.c" -o "$OUT/obj/pic-$1.o"; }
lib() {
    local out=$1
    shift
    "$WASM_LD" --experimental-pic -shared --unresolved-symbols=import-dynamic -o "$OUT/$out" "$@"
}
for f in lz4 lz4hc xxhash lz4frame; do pic $f; done
lib liblz4.wasm "$OUT/obj/pic-lz4.o" "$OUT/obj/pic-lz4hc.o"
lib libxxhash.wasm "$OUT/obj/pic-xxhash.o"
lib liblz4frame.wasm "$OUT/obj/pic-lz4frame.o" "$OUT/liblz4.wasm" "$OUT/libxxhash.wasm"

# The main: libc for the libraries (their undefined symbols that none of
# them defines), exported; lz4frame's functions imported, through NEEDED.
NEEDS=$("$HERE/../libc-needs.sh" "$OUT"/obj/pic-*.o)
"$CC" --target=wasm32-wasi $FEATURES -O2 -I"$LZ4_SRC" -c "$HERE/lz4f.c" -o "$OUT/obj/main.o"
"$CC" --target=wasm32-wasi $FEATURES -O2 \
    -Wl,--export-all -Wl,--export=__stack_pointer -Wl,--export-table -Wl,--growable-table \
    -Wl,--allow-undefined $(printf -- '-Wl,--undefined=%s ' $NEEDS) \
    -o "$OUT/main.wasm" "$OUT/obj/main.o"
# NEEDED for the main: a non-PIE main has no dylink.0 of its own, so the
# driver is told the top library with --lib by the test.

# The static twin.
for f in lz4 lz4hc xxhash lz4frame; do
    "$CC" $CFLAGS -c "$LZ4_SRC/$f.c" -o "$OUT/obj/static-$f.o"
done
"$CC" --target=wasm32-wasi $FEATURES -O2 -o "$OUT/static.wasm" "$OUT/obj/main.o" "$OUT"/obj/static-*.o
echo "built $OUT/{liblz4,libxxhash,liblz4frame,main,static}.wasm from $LZ4_SRC"
