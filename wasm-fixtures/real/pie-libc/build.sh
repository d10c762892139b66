#!/usr/bin/env bash
# Programs over the shared libc.so (../libc/build.sh), into OUT (default
# target/real-libs/pie-libc): PIE mains that NEED libc.so and side modules
# that use it, most with a twin to compare with byte for byte (the same
# sources with zig's static wasi-libc in one module, unless said otherwise):
#   check.wasm        check.c, NEEDS libwords.so and libc.so
#   libwords.so       libwords.c: a constructor that uses libc, malloc'd
#                     results the main frees, qsort with the main's callback
#   check-static.wasm the twin
#   zgz.wasm          ../zlib/zgz.c, NEEDS libz.so and libc.so
#   libz.so           zlib, -fPIC -shared over libc.so
#   zgz-static.wasm   the twin
#   sqlrun.wasm       ../sqlite/sqlrun.c, NEEDS libsqlite3.so (which NEEDS
#                     libc.so and wasi-libc's emulation libraries)
#   sqlrun-static.wasm the twin
#   luarun.wasm       ../lua/luarun.c, NEEDS liblua.so (Lua, with the
#                     setjmp/longjmp runtime)
#   luarun-static.wasm the twin: the same objects and libc.so's in one module
#   catcher.wasm      ../cxx/catcher.cpp, NEEDS libthrow.so (../cxx/thrower.cpp)
#                     and libc++abi.so: C++ exceptions across modules
#   catcher-one.wasm  the same in one module (over libc.so)
#   dl.wasm           ../../dylink/dlopen-libc/main.c with ../../libdl: opens
#                     libbuf.wasm (its libbuf.c over libc.so) at run time
# libc.so and its start objects are in OUT/libc. zlib's and SQLite's sources
# come from crates.io (libz-sys, libsqlite3-sys, as in ../zlib and ../sqlite);
# nothing fetched or built is committed.
#
# Needs what ../libc/build.sh needs, clang-19 (Lua, for LLVM 19's setjmp
# runtime names) and cargo.
source "$(dirname "${BASH_SOURCE[0]}")/../prelude.sh" pie-libc "$@"

bash "$HERE/../libc/build.sh" "$OUT/libc"
source "$OUT/libc/env.sh"

# A PIE main: libc's start objects, the program, what it NEEDS (-l), every
# symbol exported for the libraries that call back into it.
link_pie() {
    local out=$1; shift
    "$WASM_LD" --experimental-pic -pie --import-memory --import-table --export-dynamic \
        -o "$out" $LIBC_START "$@" -L"$OUT" -L"$LIBC_DIR" -lc
}
link_shared() {
    local out=$1; shift
    "$WASM_LD" --experimental-pic -shared --unresolved-symbols=import-dynamic -o "$out" "$@" -L"$LIBC_DIR" -lc
}

# check + libwords
$LIBC_CC $LIBC_CFLAGS -O2 -c "$HERE/libwords.c" -o "$OUT/obj/libwords.o"
link_shared "$OUT/libwords.so" "$OUT/obj/libwords.o"
$LIBC_CC $LIBC_CFLAGS -O2 -c "$HERE/check.c" -o "$OUT/obj/check.o"
link_pie "$OUT/check.wasm" "$OUT/obj/check.o" -lwords
$LIBC_STATIC_CC -O2 -o "$OUT/check-static.wasm" "$HERE/check.c" "$HERE/libwords.c"

# dl.wasm: the dlopen-libc fixture's program (megabytes malloc'd and
# calloc'd around a dlopen of libbuf.wasm, every byte checked) as a PIE
# main over libc.so, with our libdl linked in; libbuf.wasm over libc.so.
CASE="$ROOT/wasm-fixtures/dylink/dlopen-libc"
LIBDL="$ROOT/wasm-fixtures/libdl"
$LIBC_CC $LIBC_CFLAGS -O2 -I"$LIBDL" -c "$CASE/main.c" -o "$OUT/obj/dl-main.o"
$LIBC_CC $LIBC_CFLAGS -O2 -c "$LIBDL/libdl.c" -o "$OUT/obj/libdl.o"
link_pie "$OUT/dl.wasm" "$OUT/obj/dl-main.o" "$OUT/obj/libdl.o"
$LIBC_CC $LIBC_CFLAGS -O2 -c "$CASE/libbuf.c" -o "$OUT/obj/libbuf.o"
link_shared "$OUT/libbuf.wasm" "$OUT/obj/libbuf.o"

# zlib over libc.so
source "$HERE/../zlib/sources.sh"
for f in $ZLIB_FILES; do
    $LIBC_CC $LIBC_CFLAGS -O2 $ZLIB_DEFS -c "$ZLIB_SRC/$f.c" -o "$OUT/obj/z-$f.o"
done
link_shared "$OUT/libz.so" "$OUT"/obj/z-*.o
$LIBC_CC $LIBC_CFLAGS -O2 -I"$ZLIB_SRC" -c "$HERE/../zlib/zgz.c" -o "$OUT/obj/zgz.o"
link_pie "$OUT/zgz.wasm" "$OUT/obj/zgz.o" -lz
$LIBC_STATIC_CC -O2 $ZLIB_DEFS -o "$OUT/zgz-static.wasm" "$HERE/../zlib/zgz.c" \
    $(for f in $ZLIB_FILES; do printf '%s ' "$ZLIB_SRC/$f.c"; done)
# SQLite over libc.so and its emulation libraries (as ../sqlite/build.sh
# builds it over a non-PIE libc main).
if [ -z "${SQLITE_SRC:-}" ]; then
    SQLITE_SRC="$("$HERE/../fetch-crate-source.sh" libsqlite3-sys 0.35.0 sqlite3 "$OUT/fetch")"
fi
[ -f "$SQLITE_SRC/sqlite3.c" ] || { echo "build.sh: no SQLite sources in $SQLITE_SRC" >&2; exit 1; }
SDEFS="-w -DSQLITE_OS_OTHER=1 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL
    -DLONGDOUBLE_TYPE=double -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_SIGNAL
    -D_WASI_EMULATED_PROCESS_CLOCKS -I$SQLITE_SRC"
EMULATION="-lwasi-emulated-mman -lwasi-emulated-getpid -lwasi-emulated-process-clocks"
for f in sqlite3 wasm32-wasi-vfs; do
    $LIBC_CC $LIBC_CFLAGS -O2 $SDEFS -c "$SQLITE_SRC/$f.c" -o "$OUT/obj/sqlite-$f.o"
done
link_shared "$OUT/libsqlite3.so" "$OUT"/obj/sqlite-*.o $EMULATION
$LIBC_CC $LIBC_CFLAGS -O2 $SDEFS -c "$HERE/../sqlite/sqlrun.c" -o "$OUT/obj/sqlrun.o"
link_pie "$OUT/sqlrun.wasm" "$OUT/obj/sqlrun.o" -lsqlite3
$LIBC_STATIC_CC -O2 $SDEFS -o "$OUT/sqlrun-static.wasm" "$HERE/../sqlite/sqlrun.c" \
    "$SQLITE_SRC/sqlite3.c" "$SQLITE_SRC/wasm32-wasi-vfs.c" $EMULATION
# Lua over libc.so: errors and coroutines are longjmps, compiled into wasm
# exceptions. The setjmp/longjmp runtime (../../support/sjlj, which names
# the functions as LLVM 19 calls them) and the stubs of ../lua/wasi_missing.c
# go into liblua.so; Lua is compiled with clang-19 (zig's clang is LLVM 18)
# over libc.so's headers.
if [ -z "${LUA_SRC:-}" ]; then
    LUA_SRC="$("$HERE/../fetch-crate-source.sh" lua-src 547.1.0 lua-5.4.7 "$OUT/fetch")"
fi
[ -f "$LUA_SRC/lua.h" ] || { echo "build.sh: no Lua sources in $LUA_SRC" >&2; exit 1; }
SJLJ="$ROOT/wasm-fixtures/support/sjlj"
LUA_FILES="lapi lcode lctype ldebug ldo ldump lfunc lgc llex lmem lobject lopcodes lparser
    lstate lstring ltable ltm lundump lvm lzio lauxlib lbaselib lcorolib ldblib liolib
    lmathlib loadlib loslib lstrlib ltablib lutf8lib linit"
LUA_CFLAGS="--target=wasm32-wasi -mcpu=generic -fPIC -fvisibility=default -nostdinc
    -isystem $("$CC" -print-resource-dir)/include
    -isystem $LIBC_INCLUDE -O2 -w -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_SIGNAL -DL_tmpnam=32
    -mllvm -wasm-enable-sjlj -I$SJLJ -I$LUA_SRC"
for f in $LUA_FILES; do
    "$CC" $LUA_CFLAGS -c "$LUA_SRC/$f.c" -o "$OUT/obj/lua-$f.o"
done
"$CC" $LUA_CFLAGS -c "$SJLJ/sjlj.c" -o "$OUT/obj/lua-sjlj.o"
"$CC" --target=wasm32 -mexception-handling -c "$SJLJ/tag.s" -o "$OUT/obj/lua-tag.o"
"$CC" $LUA_CFLAGS -c "$HERE/../lua/wasi_missing.c" -o "$OUT/obj/lua-wasi_missing.o"
link_shared "$OUT/liblua.so" "$OUT"/obj/lua-*.o -lwasi-emulated-process-clocks
"$CC" $LUA_CFLAGS -c "$HERE/../lua/luarun.c" -o "$OUT/obj/luarun.o"
link_pie "$OUT/luarun.wasm" "$OUT/obj/luarun.o" -llua
# Its static twin: the same objects, Lua's and libc.so's, in one non-PIE
# module (wasm-ld resolves position-independent code statically).
"$WASM_LD" -o "$OUT/luarun-static.wasm" $LIBC_START "$OUT/obj/luarun.o" "$OUT"/obj/lua-*.o \
    @"$LIBC_DIR/objects.txt" @"$LIBC_DIR/emulated-process-clocks.txt" "$LIBC_BUILTINS"

# C++ exceptions across modules (../cxx): libc++abi.so, the C++ runtime
# with exceptions as wasm exceptions (-fwasm-exceptions), built from the
# libc++abi and libunwind sources the ziglang wheel bundles (LLVM 18), with
# zig's clang, which matches them; libthrow.so throws, catcher.wasm
# catches and throws through it.
CXX_RUNTIME="$LIBC_ZIG_LIB"
CXXABI_FILES="cxa_exception cxa_personality cxa_exception_storage cxa_handlers cxa_default_handlers
    private_typeinfo stdlib_typeinfo stdlib_exception abort_message fallback_malloc cxa_demangle
    cxa_aux_runtime stdlib_new_delete cxa_virtual cxa_guard cxa_vector"
# libc++ 18's headers as zig configures them (zig passes __config_site's
# settings as -D flags), wasm exceptions as clang 18 names them.
CXX_FLAGS="--target=wasm32-wasi -mcpu=generic -fPIC -fvisibility=default -fwasm-exceptions -O2 -w
    -std=c++20 -nostdinc -nostdinc++ -isystem $CXX_RUNTIME/libcxx/include
    -isystem $CXX_RUNTIME/libcxxabi/include -isystem $CXX_RUNTIME/libunwind/include
    -isystem $CXX_RUNTIME/include -isystem $LIBC_INCLUDE -D__USING_WASM_EXCEPTIONS__
    -D_LIBCPP_ABI_VERSION=1 -D_LIBCPP_ABI_NAMESPACE=__1 -D_LIBCPP_HAS_NO_THREADS
    -D_LIBCPP_HAS_NO_MONOTONIC_CLOCK -D_LIBCPP_HAS_MUSL_LIBC -D_LIBCPP_PSTL_CPU_BACKEND_SERIAL
    -D_LIBCPP_HARDENING_MODE_DEFAULT=2 -D_LIBCXXABI_HAS_NO_THREADS -DLIBCXXABI_USE_LLVM_UNWINDER"
CXX="$LIBC_CC --driver-mode=g++"
mkdir -p "$OUT/obj/cxx"
for f in $CXXABI_FILES; do
    src="$CXX_RUNTIME/libcxxabi/src/$f.cpp"
    if [ "$f" = cxa_exception ]; then
        # libc++abi 18 declares __cxa_init_primary_exception's destructor
        # as returning void while its wasm build stores one returning void*:
        # clang rejects the assignment and the call; cast both.
        sed -e 's/exception_header->exceptionDestructor = dest;/exception_header->exceptionDestructor = (decltype(exception_header->exceptionDestructor))dest;/' \
            -e 's/__cxa_init_primary_exception(thrown_object, tinfo, dest);/__cxa_init_primary_exception(thrown_object, tinfo, (void (*)(void *))dest);/' \
            "$src" > "$OUT/obj/cxx/cxa_exception.cpp"
        src="$OUT/obj/cxx/cxa_exception.cpp"
    fi
    $CXX $CXX_FLAGS -D_LIBCXXABI_BUILDING_LIBRARY -D_LIBCPP_BUILDING_LIBRARY \
        -I"$CXX_RUNTIME/libcxx/src" -I"$CXX_RUNTIME/libcxxabi/src" -c "$src" -o "$OUT/obj/cxx/$f.o"
done
$LIBC_CC --target=wasm32-wasi -mcpu=generic -fPIC -fvisibility=default -fwasm-exceptions -O2 \
    -D__USING_WASM_EXCEPTIONS__ -D_LIBUNWIND_HIDE_SYMBOLS -D_LIBUNWIND_HAS_NO_THREADS -DNDEBUG \
    -nostdinc -isystem "$CXX_RUNTIME/libunwind/include" -isystem "$CXX_RUNTIME/include" -isystem "$LIBC_INCLUDE" \
    -I"$CXX_RUNTIME/libunwind/src" -c "$CXX_RUNTIME/libunwind/src/Unwind-wasm.c" -o "$OUT/obj/cxx/unwind-wasm.o"
link_shared "$OUT/libc++abi.so" "$OUT"/obj/cxx/*.o
$CXX $CXX_FLAGS -c "$HERE/../cxx/thrower.cpp" -o "$OUT/obj/thrower.o"
link_shared "$OUT/libthrow.so" "$OUT/obj/thrower.o" -L"$OUT" -lc++abi
$CXX $CXX_FLAGS -c "$HERE/../cxx/catcher.cpp" -o "$OUT/obj/catcher.o"
# The tag __cpp_exception is defined by no module: imported, and the
# loader gives every importer the same one.
link_pie "$OUT/catcher.wasm" "$OUT/obj/catcher.o" -lthrow -lc++abi --unresolved-symbols=import-dynamic
# Its twin: the main, libthrow and the C++ runtime in one module (over libc.so).
link_pie "$OUT/catcher-one.wasm" "$OUT/obj/catcher.o" "$OUT/obj/thrower.o" "$OUT"/obj/cxx/*.o \
    --unresolved-symbols=import-dynamic

echo "built $OUT/{check,zgz,dl,sqlrun,luarun,catcher}.wasm with their libraries over $LIBC_DIR/libc.so"
