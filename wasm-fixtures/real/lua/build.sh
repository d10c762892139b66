#!/usr/bin/env bash
# Builds Lua 5.4 as a shared library (liblua.wasm, -fPIC -shared) and two
# programs that run Lua scripts with it, into OUT (default:
# target/real-libs/lua):
#   main.wasm    luarun.c with wasi-libc, non-PIE, --export-all: the libc
#                liblua.wasm imports from "env", and the setjmp/longjmp
#                runtime and __c_longjmp tag (wasm-fixtures/support/sjlj)
#   static.wasm  the static twin: luarun.c + Lua + wasi-libc in one module
# Lua raises errors and yields coroutines with longjmp, compiled here into
# wasm exceptions (-mllvm -wasm-enable-sjlj, legacy exception handling).
# Lua's sources are third-party code: they come from crates.io (the lua-src
# crate bundles them), fetched with cargo; neither they nor anything built
# from them is committed. $LUA_SRC overrides the source directory.
#
# Needs clang-19, wasm-ld-19, llvm-nm (llvm-19), wasi-libc, cargo, python3.
source "$(dirname "${BASH_SOURCE[0]}")/../prelude.sh" lua "$@"
SJLJ="$ROOT/wasm-fixtures/support/sjlj"

if [ -z "${LUA_SRC:-}" ]; then
    LUA_SRC="$("$HERE/../fetch-crate-source.sh" lua-src 547.1.0 lua-5.4.7 "$OUT/fetch")"
fi
[ -f "$LUA_SRC/lua.h" ] || { echo "build.sh: no Lua sources in $LUA_SRC" >&2; exit 1; }

LUA_FILES="lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser
    lstate lstring ltable ltm lundump lvm lzio lauxlib lbaselib lcorolib ldblib liolib
    lmathlib loadlib loslib lstrlib ltablib lutf8lib linit"
# ISO C Lua (neither LUA_USE_POSIX nor C89: no popen/mkstemp, 64-bit
# integers); clock() from wasi-libc's emulation
# (and its signal.h, for sig_atomic_t);
# L_tmpnam, which wasi-libc's stdio.h lacks, for os.tmpname's buffer.
LCFLAGS="--target=wasm32-wasi $FEATURES -O2 -w -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_SIGNAL
    -DL_tmpnam=32 -mllvm -wasm-enable-sjlj -I$SJLJ -I$LUA_SRC"

# The shared library: PIC, default visibility, libc left undefined (imported).
for f in $LUA_FILES; do
    "$CC" $LCFLAGS -fPIC -fvisibility=default -c "$LUA_SRC/$f.c" -o "$OUT/obj/pic-$f.o"
done
"$WASM_LD" --experimental-pic -shared --unresolved-symbols=import-dynamic \
    -o "$OUT/liblua.wasm" "$OUT"/obj/pic-*.o

# The main and the static twin share the runtime objects.
"$CC" $LCFLAGS -c "$SJLJ/sjlj.c" -o "$OUT/obj/sjlj.o"
"$CC" --target=wasm32 -mexception-handling -c "$SJLJ/tag.s" -o "$OUT/obj/tag.o"
"$CC" $LCFLAGS -c "$HERE/wasi_missing.c" -o "$OUT/obj/wasi_missing.o"
RUNTIME="$OUT/obj/sjlj.o $OUT/obj/tag.o $OUT/obj/wasi_missing.o"

# The main: wasi-libc inside, everything exported for the library (what
# liblua needs from libc forced in with --undefined); Lua's API imported
# (--allow-undefined), bound by wrun to liblua.wasm.
NEEDS=$("$HERE/../libc-needs.sh" "$OUT"/obj/pic-*.o | grep -v -x -E '__wasm_setjmp|__wasm_setjmp_test|__wasm_longjmp|__c_longjmp|system|tmpnam|tmpfile')
"$CC" $LCFLAGS \
    -Wl,--export-all -Wl,--export=__stack_pointer -Wl,--export-table -Wl,--growable-table -Wl,--allow-undefined \
    $(printf -- '-Wl,--undefined=%s ' $NEEDS) -lwasi-emulated-process-clocks \
    -o "$OUT/main.wasm" "$HERE/luarun.c" $RUNTIME

# The static twin.
for f in $LUA_FILES; do
    "$CC" $LCFLAGS -c "$LUA_SRC/$f.c" -o "$OUT/obj/static-$f.o"
done
"$CC" $LCFLAGS -o "$OUT/static.wasm" "$HERE/luarun.c" $RUNTIME "$OUT"/obj/static-*.o \
    -lwasi-emulated-process-clocks
echo "built $OUT/{liblua,main,static}.wasm from $LUA_SRC"
