#!/usr/bin/env bash
# Builds SQLite as a shared library (libsqlite3.wasm, -fPIC -shared) and two
# programs that run SQL files with it on an in-memory database, into OUT
# (default: target/real-libs/sqlite):
#   main.wasm    sqlrun.c with wasi-libc, non-PIE, --export-all: the libc
#                libsqlite3.wasm imports from "env"
#   static.wasm  the static twin: sqlrun.c + SQLite + wasi-libc in one module
# SQLite's sources (the sqlite3.c amalgamation and the small WASI VFS that
# rusqlite uses) are third-party code: they come from crates.io (the
# libsqlite3-sys crate bundles them), fetched with cargo; neither they nor
# anything built from them is committed. $SQLITE_SRC overrides the source dir.
#
# Needs clang-19, wasm-ld-19, llvm-nm (llvm-19), wasi-libc, cargo, python3.
source "$(dirname "${BASH_SOURCE[0]}")/../prelude.sh" sqlite "$@"

if [ -z "${SQLITE_SRC:-}" ]; then
    SQLITE_SRC="$("$HERE/../fetch-crate-source.sh" libsqlite3-sys 0.35.0 sqlite3 "$OUT/fetch")"
fi
[ -f "$SQLITE_SRC/sqlite3.c" ] || { echo "build.sh: no SQLite sources in $SQLITE_SRC" >&2; exit 1; }

# No threads, no extension loading, no WAL (it needs shared memory); the
# operating-system layer is the WASI VFS (SQLITE_OS_OTHER); wasi-libc's
# emulations for what the amalgamation includes.
SCFLAGS="--target=wasm32-wasi $FEATURES -O2 -w -DSQLITE_OS_OTHER=1 -DSQLITE_THREADSAFE=0
    -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL -DLONGDOUBLE_TYPE=double -D_WASI_EMULATED_MMAN
    -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -I$SQLITE_SRC"

# The shared library: PIC, default visibility, libc left undefined (imported).
for f in sqlite3 wasm32-wasi-vfs; do
    "$CC" $SCFLAGS -fPIC -fvisibility=default -c "$SQLITE_SRC/$f.c" -o "$OUT/obj/pic-$f.o"
done
"$WASM_LD" --experimental-pic -shared --unresolved-symbols=import-dynamic \
    -o "$OUT/libsqlite3.wasm" "$OUT"/obj/pic-*.o

# The main: wasi-libc inside, everything exported for the library (what it
# needs from libc forced in with --undefined); SQLite's API imported
# (--allow-undefined), bound by wrun to libsqlite3.wasm.
NEEDS=$("$HERE/../libc-needs.sh" "$OUT"/obj/pic-*.o)
"$CC" $SCFLAGS \
    -Wl,--export-all -Wl,--export=__stack_pointer -Wl,--export-table -Wl,--growable-table -Wl,--allow-undefined \
    $(printf -- '-Wl,--undefined=%s ' $NEEDS) -lwasi-emulated-mman -lwasi-emulated-getpid \
    -lwasi-emulated-process-clocks -o "$OUT/main.wasm" "$HERE/sqlrun.c"

# The static twin.
for f in sqlite3 wasm32-wasi-vfs; do
    "$CC" $SCFLAGS -c "$SQLITE_SRC/$f.c" -o "$OUT/obj/static-$f.o"
done
"$CC" $SCFLAGS -o "$OUT/static.wasm" "$HERE/sqlrun.c" "$OUT"/obj/static-*.o \
    -lwasi-emulated-mman -lwasi-emulated-getpid -lwasi-emulated-process-clocks
echo "built $OUT/{libsqlite3,main,static}.wasm from $SQLITE_SRC"
