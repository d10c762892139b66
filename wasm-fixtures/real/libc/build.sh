#!/usr/bin/env bash
# Builds wasi-libc as a shared library, the layout wasi-sdk and CPython's
# WASI dynamic-linking build use, into OUT (default target/real-libs/libc):
#   libc.so           wasi-libc compiled -fPIC, linked -shared (with
#                     compiler-rt's builtins), NEEDED by PIE mains
#   libwasi-emulated-{mman,getpid,process-clocks}.so
#                     wasi-libc's emulation libraries, shared too
#   crt1-command.o    its _start, and __main_void.o, which calls the
#                     program's main: compiled -fPIC and linked into each
#                     PIE main (glibc's crt1.o and libc_nonshared.a)
#   env.sh            sourced by builds of programs over it: LIBC_CC,
#                     LIBC_CFLAGS (headers, PIC), LIBC_START (the two
#                     objects), LIBC_DIR, LIBC_INCLUDE (its headers, for
#                     another clang), LIBC_ZIG_LIB (the wheel's lib/, with
#                     libc++abi's and libunwind's sources), LIBC_BUILTINS
#                     (compiler-rt), LIBC_STATIC_CC (the static twins'
#                     compiler); objects.txt and emulated-*.txt list the
#                     objects of each library
#
# The sources are third-party code from a registry: the wasi-libc tree that
# PyPI's ziglang 0.13 wheel bundles (with emmalloc as its malloc). Nothing
# fetched or built is committed. zig itself lists the files and flags: it
# builds its static wasi-libc once with --verbose-cc, and rebuild_pic.py
# compiles every file of that list again, position-independent.
#
# Needs python3 with pip (registry access), unzip, wasm-ld-19 and
# compiler-rt for wasm32 (Debian: lld-19 libclang-rt-19-dev-wasm32).
source "$(dirname "${BASH_SOURCE[0]}")/../prelude.sh" libc "$@"
OUT="$(cd "$OUT" && pwd)" # the steps below run in other directories

ZIG_VERSION=0.13.0.post1
# wasi-libc's emulation libraries, each also a shared library of its own
# (libwasi-emulated-NAME.so), from the objects of its directory.
EMULATED="mman:libc-bottom-half/mman getpid:libc-bottom-half/getpid process-clocks:libc-bottom-half/clocks"
EMULATED_LIBS=$(for e in $EMULATED; do printf -- '-lwasi-emulated-%s ' "${e%%:*}"; done)
BUILTINS=${BUILTINS:-/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a}
[ -f "$BUILTINS" ] || { echo "build.sh: no compiler-rt builtins at $BUILTINS (install libclang-rt-19-dev-wasm32)" >&2; exit 1; }

if [ "$OUT/libc.so" -nt "$HERE/build.sh" ] && [ "$OUT/libc.so" -nt "$HERE/rebuild_pic.py" ] && [ -f "$OUT/env.sh" ]; then
    echo "up to date: $OUT/libc.so"
    exit 0
fi

ZIG_HOME="$OUT/zig"
if [ ! -x "$ZIG_HOME/ziglang/zig" ]; then
    rm -rf "$OUT/fetch" "$ZIG_HOME"
    python3 -m pip download --quiet --no-deps --dest "$OUT/fetch" "ziglang==$ZIG_VERSION"
    python3 -m zipfile -e "$OUT"/fetch/ziglang-*.whl "$ZIG_HOME"
    chmod +x "$ZIG_HOME/ziglang/zig"
fi
ZIG="$ZIG_HOME/ziglang/zig"

# zig's static build of its wasi-libc, only for the list of compile commands
# (a fresh cache, so that it compiles, and prints, everything), optimised
# for speed as the static twins' libc is (zig cc -O2).
LIST="$OUT/list"
rm -rf "$LIST" && mkdir -p "$LIST"
printf 'int main(void) { return 0; }\n' > "$LIST/empty.c"
(cd "$LIST" && ZIG_GLOBAL_CACHE_DIR="$LIST/cache" ZIG_LOCAL_CACHE_DIR="$LIST/cache" \
    "$ZIG" build-exe empty.c -target wasm32-wasi -lc $EMULATED_LIBS -O ReleaseFast --verbose-cc 2> commands.txt)

rm -rf "$OUT/obj" && mkdir -p "$OUT/obj"
python3 "$HERE/rebuild_pic.py" "$LIST/commands.txt" "$LIST" "$OUT/obj"

# libc.so: every object but the program's entry: crt1 and __main_void.c,
# whose weak fallback calls `main` and must be linked where main is (in a
# shared libc it would import a `main` that a program with arguments never
# defines). What libc uses but does not define (__heap_base, which wrun
# provides) is imported.
EXCLUDE=(! -name '*crt1-*' ! -name '*__main_void.c.o')
for e in $EMULATED; do
    name=${e%%:*} dir=${e#*:}
    find "$OUT/obj" -name "*${dir//\//_}_*.o" | sort > "$OUT/emulated-$name.txt"
    [ -s "$OUT/emulated-$name.txt" ] || { echo "build.sh: no objects for wasi-emulated-$name" >&2; exit 1; }
    "$WASM_LD" --experimental-pic -shared --unresolved-symbols=import-dynamic \
        -o "$OUT/libwasi-emulated-$name.so" @"$OUT/emulated-$name.txt"
    EXCLUDE+=(! -name "*${dir//\//_}_*.o")
done
find "$OUT/obj" -name '*.o' "${EXCLUDE[@]}" | sort > "$OUT/objects.txt"
"$WASM_LD" --experimental-pic -shared --unresolved-symbols=import-dynamic \
    -o "$OUT/libc.so" @"$OUT/objects.txt" "$BUILTINS"
cp "$(find "$OUT/obj" -name '*crt1-command.c.o')" "$OUT/crt1-command.o"
cp "$(find "$OUT/obj" -name '*__main_void.c.o')" "$OUT/__main_void.o"

INCLUDE="$ZIG_HOME/ziglang/lib"
cat > "$OUT/env.sh" <<ENV
# Written by wasm-fixtures/real/libc/build.sh: how to build over this libc.so.
LIBC_DIR="$OUT"
LIBC_CC="$ZIG clang"
LIBC_CFLAGS="--target=wasm32-wasi -mcpu=generic -fPIC -fno-lto -fvisibility=default -nostdinc -isystem $INCLUDE/include -isystem $INCLUDE/libc/include/wasm-wasi-musl"
LIBC_START="$OUT/crt1-command.o $OUT/__main_void.o"
LIBC_STATIC_CC="$ZIG cc -target wasm32-wasi"
LIBC_INCLUDE="$INCLUDE/libc/include/wasm-wasi-musl"
LIBC_ZIG_LIB="$INCLUDE"
LIBC_BUILTINS="$BUILTINS"
ENV
echo "built $OUT/libc.so ($(wc -l < "$OUT/objects.txt") objects)"
