#!/usr/bin/env bash
# Builds zlib as a shared library (libz.wasm, -fPIC -shared) and two
# programs that use it, into OUT (default: target/real-libs/zlib):
#   main.wasm    zgz.c linked with wasi-libc, non-PIE, --export-all: the
#                libc libz.wasm imports from "env" (and __wasm_call_ctors and
#                the entry, so wrun initialises libc before libz's users)
#   static.wasm  the static twin: zgz.c + zlib + wasi-libc in one module
# zlib's sources are third-party code: they come from crates.io (the
# libz-sys crate bundles them), fetched with cargo, and neither they nor
# anything built from them is committed. $ZLIB_SRC overrides the source dir.
#
# Needs clang-19, wasm-ld-19, llvm-nm (llvm-19), wasi-libc (Debian packages),
# cargo, python3.
source "$(dirname "${BASH_SOURCE[0]}")/../prelude.sh" zlib "$@"

source "$HERE/sources.sh"
ZCFLAGS="--target=wasm32-wasi $FEATURES -O2 $ZLIB_DEFS"

# The shared library: PIC, default visibility, libc left undefined (imported).
for f in $ZLIB_FILES; do
    "$CC" $ZCFLAGS -fPIC -fvisibility=default -c "$ZLIB_SRC/$f.c" -o "$OUT/obj/pic-$f.o"
done
"$WASM_LD" --experimental-pic -shared --unresolved-symbols=import-dynamic \
    -o "$OUT/libz.wasm" "$OUT"/obj/pic-*.o

# The main: wasi-libc inside, everything exported for the library; zlib's
# functions imported (--allow-undefined), bound by wrun to libz.wasm. What
# libz needs from libc (its objects' undefined symbols) is forced into the
# main with --undefined, since --export-all exports only what is linked.
NEEDS=$("$HERE/../libc-needs.sh" "$OUT"/obj/pic-*.o)
"$CC" --target=wasm32-wasi $FEATURES -O2 -I"$ZLIB_SRC" \
    -Wl,--export-all -Wl,--export=__stack_pointer -Wl,--export-table -Wl,--growable-table -Wl,--allow-undefined \
    $(printf -- '-Wl,--undefined=%s ' $NEEDS) \
    -o "$OUT/main.wasm" "$HERE/zgz.c"

# The static twin.
for f in $ZLIB_FILES; do
    "$CC" $ZCFLAGS -c "$ZLIB_SRC/$f.c" -o "$OUT/obj/static-$f.o"
done
"$CC" --target=wasm32-wasi $FEATURES -O2 -I"$ZLIB_SRC" -o "$OUT/static.wasm" \
    "$HERE/zgz.c" "$OUT"/obj/static-*.o
echo "built $OUT/{libz,main,static}.wasm from $ZLIB_SRC"
