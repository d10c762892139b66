#!/usr/bin/env bash
# Rebuild every .wasm fixture under wasm-fixtures/ from its sources.
#
#   wasm-fixtures/build.sh            rebuild everything
#   wasm-fixtures/build.sh --check    rebuild, then verify every output with
#                                     wasm-objdump and compare to git (no diff
#                                     expected: the build is deterministic)
#
# Needs (Debian 12 packages): clang-19 lld-19 wabt wasi-libc
# libclang-rt-19-dev-wasm32 (compiler-rt builtins for the wasi-libc mains).
# Object files go to a temporary directory; only the .wasm outputs are
# written into the tree.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

CC=${CC:-clang-19}
WASM_LD=${WASM_LD:-wasm-ld-19}
WAT2WASM=${WAT2WASM:-wat2wasm}
OBJDUMP=${OBJDUMP:-wasm-objdump}

for tool in "$CC" "$WASM_LD" "$WAT2WASM" "$OBJDUMP"; do
    command -v "$tool" >/dev/null || {
        echo "build.sh: $tool not found (apt-get install clang-19 lld-19 wabt wasi-libc libclang-rt-19-dev-wasm32)" >&2
        exit 1
    }
done

OBJ="$(mktemp -d)"
trap 'rm -rf "$OBJ"' EXIT

SUP="$ROOT/support"

# Wasm features: keep to MVP + mutable-globals (needed for the imported
# __stack_pointer / GOT globals) + sign-ext.  clang-19's default would also
# turn on reference-types and multivalue; we do not need them.
FEATURES="-mcpu=mvp -mmutable-globals -msign-ext"
WARN="-Wall -Wextra -Werror"

# PIC objects for the dylink fixtures: default visibility (clang's wasm
# default is hidden, which would export nothing from a shared library).
PIC_CFLAGS="--target=wasm32 $FEATURES $WARN -O2 -fPIC -fvisibility=default -I$SUP"
# The same, with wasi-libc's headers (side modules of a wasi-libc main).
PIC_LIBC_CFLAGS="--target=wasm32-wasi $FEATURES $WARN -O2 -fPIC -fvisibility=default"

# --experimental-pic only silences "creating shared libraries, with -shared,
# is not yet stable".  --unresolved-symbols=import-dynamic turns every
# undefined symbol into an "env" import (functions) or GOT.mem / GOT.func
# import (data, address-taken functions) for the dynamic linker to resolve.
LD_PIC="$WASM_LD --experimental-pic"

log() { printf '  %s\n' "$*"; }

# cc_pic OUT.o SRC.c [extra flags]
cc_pic() {
    local out=$1 src=$2
    shift 2
    "$CC" $PIC_CFLAGS "$@" -c "$src" -o "$out"
}

# link_lib OUT.wasm INPUTS...   (inputs: .o files and NEEDED .wasm libraries)
# A .wasm input is recorded in dylink.0 as NEEDED, by its file name only.
link_lib() {
    local out=$1
    shift
    $LD_PIC -shared --unresolved-symbols=import-dynamic -o "$out" "$@"
    log "$(realpath --relative-to="$ROOT" "$out")"
}

# link_pie OUT.wasm INPUTS...   PIE main with wrt linked in statically.
# --import-memory: the runtime creates the memory (else a -pie main defines
# it); --export-memory re-exports it as "memory", so WASI implementations
# that look for the caller's "memory" export work unchanged.
# --export-dynamic: exports wrt's print_* etc. and any data symbol that the
# libraries import.
link_pie() {
    local out=$1
    shift
    $LD_PIC -pie --import-memory --export-memory --export-dynamic -o "$out" "$OBJ/wrt.o" "$@"
    log "$(realpath --relative-to="$ROOT" "$out")"
}

echo "support"
cc_pic "$OBJ/wrt.o" "$SUP/wrt.c"

# ----------------------------------------------------------------- libdl
# dlopen/dlsym/dlclose/dlerror over the "dyld" host module: an object to
# link into a main, and the same code as a side module.
echo "libdl"
L="$ROOT/libdl"
cc_pic "$OBJ/libdl.o" "$L/libdl.c"
link_lib "$L/libdl.wasm" "$OBJ/libdl.o"

# ---------------------------------------------------------------- dylink
echo "dylink"
D="$ROOT/dylink"

# case_obj DIR NAME: object file path for NAME.c of case DIR
case_obj() { echo "$OBJ/$(basename "$1")-$2.o"; }

build_ctors() {
    local d=$D/ctors
    cc_pic "$(case_obj $d libb)" "$d/libb.c"
    cc_pic "$(case_obj $d liba)" "$d/liba.c"
    cc_pic "$(case_obj $d main)" "$d/main.c"
    link_lib "$d/libb.wasm" "$(case_obj $d libb)"
    link_lib "$d/liba.wasm" "$(case_obj $d liba)" "$d/libb.wasm"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$d/liba.wasm"
}

build_data_relocs() {
    local d=$D/data-relocs
    cc_pic "$(case_obj $d libb)" "$d/libb.c"
    cc_pic "$(case_obj $d liba)" "$d/liba.c"
    cc_pic "$(case_obj $d main)" "$d/main.c"
    link_lib "$d/libb.wasm" "$(case_obj $d libb)"
    link_lib "$d/liba.wasm" "$(case_obj $d liba)" "$d/libb.wasm"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$d/liba.wasm" "$d/libb.wasm"
}

# The same sources with -mextended-const: wasm-ld then writes constant
# expressions such as `global.get __memory_base; i32.const N; i32.add`.
build_data_relocs_extconst() {
    local d=$D/data-relocs-extconst s=$D/data-relocs
    cc_pic "$(case_obj $d libb)" "$s/libb.c" -mextended-const
    cc_pic "$(case_obj $d liba)" "$s/liba.c" -mextended-const
    cc_pic "$(case_obj $d main)" "$s/main.c" -mextended-const
    link_lib "$d/libb.wasm" "$(case_obj $d libb)"
    link_lib "$d/liba.wasm" "$(case_obj $d liba)" "$d/libb.wasm"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$d/liba.wasm" "$d/libb.wasm"
}

build_tail_call() {
    local d=$D/tail-call
    cc_pic "$(case_obj $d libping)" "$d/libping.c" -mtail-call
    cc_pic "$(case_obj $d main)" "$d/main.c" -mtail-call
    link_lib "$d/libping.wasm" "$(case_obj $d libping)"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$d/libping.wasm"
}

# v128 across a library boundary: parameters, results, function pointers.
build_simd() {
    local d=$D/simd
    cc_pic "$(case_obj $d libvec)" "$d/libvec.c" -msimd128
    cc_pic "$(case_obj $d main)" "$d/main.c" -msimd128
    link_lib "$d/libvec.wasm" "$(case_obj $d libvec)"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$d/libvec.wasm"
}

# setjmp/longjmp as wasm exceptions (clang -mllvm -wasm-enable-sjlj, the
# legacy exception-handling form), thrown and caught across the boundary.
build_sjlj() {
    local d=$D/sjlj sj="-mllvm -wasm-enable-sjlj -I$SUP/sjlj"
    cc_pic "$(case_obj $d libguard)" "$d/libguard.c" $sj
    cc_pic "$(case_obj $d main)" "$d/main.c" $sj
    cc_pic "$(case_obj $d sjlj)" "$SUP/sjlj/sjlj.c" $sj
    "$CC" --target=wasm32 -mexception-handling -c "$SUP/sjlj/tag.s" -o "$(case_obj $d tag)"
    link_lib "$d/libguard.wasm" "$(case_obj $d libguard)"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$(case_obj $d sjlj)" "$(case_obj $d tag)" \
        "$d/libguard.wasm"
}

build_fnptr_eq() {
    local d=$D/fnptr-eq
    cc_pic "$(case_obj $d libb)" "$d/libb.c"
    cc_pic "$(case_obj $d liba)" "$d/liba.c"
    cc_pic "$(case_obj $d main)" "$d/main.c"
    link_lib "$d/libb.wasm" "$(case_obj $d libb)"
    link_lib "$d/liba.wasm" "$(case_obj $d liba)" "$d/libb.wasm"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$d/liba.wasm" "$d/libb.wasm"
}

build_callbacks() {
    local d=$D/callbacks
    cc_pic "$(case_obj $d libcb)" "$d/libcb.c"
    cc_pic "$(case_obj $d main)" "$d/main.c"
    link_lib "$d/libcb.wasm" "$(case_obj $d libcb)"
    # no NEEDED: lib_* stay undefined and become env imports; the library
    # is given with --lib at run time.
    link_pie "$d/main.wasm" "$(case_obj $d main)" --unresolved-symbols=import-dynamic
}

build_weak() {
    local d=$D/weak
    cc_pic "$(case_obj $d libweak)" "$d/libweak.c"
    cc_pic "$(case_obj $d main)" "$d/main.c"
    link_lib "$d/libweak.wasm" "$(case_obj $d libweak)"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$d/libweak.wasm"
}

# Non-PIE wasi-libc main.  What a side module needs from it:
#   memory                      exported by default
#   __indirect_function_table   --export-table, and --growable-table so the
#                               runtime can append the side module's
#                               functions (otherwise max == initial)
#   __stack_pointer             --export=__stack_pointer (mutable global)
#   every libc function the side module imports (checked below)
# -nostartfiles + support/wasi_start.c: see the comment in that file.
NONPIE_CFLAGS="--target=wasm32-wasi $FEATURES $WARN -O2"
NONPIE_LDFLAGS="-nostartfiles -Wl,--export-table -Wl,--growable-table -Wl,--export=__stack_pointer"

# check_exports MAIN.wasm LIB.wasm: every env function import of LIB must be
# a function export of MAIN.
check_exports() {
    local main=$1 lib=$2 sym missing=0
    for sym in $("$OBJDUMP" -x -j Import "$lib" | sed -n 's/.* <- env\.\([A-Za-z0-9_]*\)$/\1/p'); do
        case $sym in
        memory | __indirect_function_table | __stack_pointer | __memory_base | __table_base) continue ;;
        esac
        if ! "$OBJDUMP" -x -j Export "$main" | grep -q "\-> \"$sym\"\$"; then
            echo "build.sh: $main does not export $sym needed by $lib" >&2
            missing=1
        fi
    done
    return $missing
}

# libc_main DIR: DIR/main.wasm from DIR/main.c with wasi-libc linked in
# statically, extra clang arguments from DIR/libc-main (relative to DIR).
# These mains carry third-party code (wasi-libc), so they are not committed
# (.gitignore): tests/dylink.rs builds them the same way at test time.
libc_main() {
    local d=$1
    (cd "$d" && "$CC" $NONPIE_CFLAGS $NONPIE_LDFLAGS $(cat libc-main) -o main.wasm \
        main.c "$SUP/wasi_start.c")
    log "$(realpath --relative-to="$ROOT" "$d/main.wasm") (not committed)"
}

build_nonpie_libc() {
    local d=$D/nonpie-libc
    "$CC" $PIC_LIBC_CFLAGS -c "$d/libplugin.c" -o "$OBJ/nonpie-libplugin.o"
    link_lib "$d/libplugin.wasm" "$OBJ/nonpie-libplugin.o"
    libc_main "$d"
    check_exports "$d/main.wasm" "$d/libplugin.wasm"
}

build_libc_init_order() {
    local d=$D/libc-init-order
    "$CC" $PIC_LIBC_CFLAGS -c "$d/libreader.c" -o "$OBJ/init-order-libreader.o"
    link_lib "$d/libreader.wasm" "$OBJ/init-order-libreader.o"
    libc_main "$d"
    check_exports "$d/main.wasm" "$d/libreader.wasm"
}

build_args_env() {
    local d=$D/args-env
    cc_pic "$(case_obj $d libshow)" "$d/libshow.c"
    cc_pic "$(case_obj $d main)" "$d/main.c"
    link_lib "$d/libshow.wasm" "$(case_obj $d libshow)"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$d/libshow.wasm"
}

build_files() {
    libc_main "$D/files"
}

build_missing_lib() {
    local d=$D/missing-lib
    cc_pic "$(case_obj $d libgone)" "$d/libgone.c"
    cc_pic "$(case_obj $d main)" "$d/main.c"
    $LD_PIC -shared -o "$OBJ/libgone.wasm" "$(case_obj $d libgone)"
    # linked against a copy in the object dir: NEEDED records only the
    # file name, and nothing named libgone.wasm is shipped.
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$OBJ/libgone.wasm"
    rm -f "$d/libgone.wasm"
}

build_missing_symbol() {
    local d=$D/missing-symbol
    mkdir -p "$OBJ/with-missing"
    cc_pic "$OBJ/libhelper-full.o" "$d/libhelper.c" -DWITH_MISSING
    cc_pic "$(case_obj $d libhelper)" "$d/libhelper.c"
    cc_pic "$(case_obj $d main)" "$d/main.c"
    $LD_PIC -shared -o "$OBJ/with-missing/libhelper.wasm" "$OBJ/libhelper-full.o"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$OBJ/with-missing/libhelper.wasm"
    link_lib "$d/libhelper.wasm" "$(case_obj $d libhelper)"
}

build_sig_mismatch() {
    local d=$D/sig-mismatch
    mkdir -p "$OBJ/one-arg"
    cc_pic "$OBJ/libfrob-one.o" "$d/libfrob.c" -DONE_ARG
    cc_pic "$(case_obj $d libfrob)" "$d/libfrob.c"
    cc_pic "$(case_obj $d main)" "$d/main.c"
    $LD_PIC -shared -o "$OBJ/one-arg/libfrob.wasm" "$OBJ/libfrob-one.o"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$OBJ/one-arg/libfrob.wasm"
    link_lib "$d/libfrob.wasm" "$(case_obj $d libfrob)"
}

build_lib_oob() {
    local d=$D/lib-oob
    cc_pic "$(case_obj $d libbad)" "$d/libbad.c"
    cc_pic "$(case_obj $d main)" "$d/main.c"
    link_lib "$d/libbad.wasm" "$(case_obj $d libbad)"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$d/libbad.wasm"
}

build_lib_recursion() {
    local d=$D/lib-recursion
    cc_pic "$(case_obj $d libdeep)" "$d/libdeep.c" -Wno-infinite-recursion
    cc_pic "$(case_obj $d main)" "$d/main.c"
    link_lib "$d/libdeep.wasm" "$(case_obj $d libdeep)"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$d/libdeep.wasm"
}

build_needed_cycle() {
    local d=$D/needed-cycle
    mkdir -p "$OBJ/cycle-stage1"
    cc_pic "$(case_obj $d liba)" "$d/liba.c"
    cc_pic "$(case_obj $d libb)" "$d/libb.c"
    cc_pic "$(case_obj $d main)" "$d/main.c"
    # A cycle needs two steps: a first liba without NEEDED (only its name
    # matters), libb linked against it (NEEDED liba.wasm), then the real
    # liba linked against libb (NEEDED libb.wasm).
    link_lib "$OBJ/cycle-stage1/liba.wasm" "$(case_obj $d liba)"
    link_lib "$d/libb.wasm" "$(case_obj $d libb)" "$OBJ/cycle-stage1/liba.wasm"
    link_lib "$d/liba.wasm" "$(case_obj $d liba)" "$d/libb.wasm"
    # main names only liba; b_calls_a stays an env import found in libb.
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$d/liba.wasm" --unresolved-symbols=import-dynamic
}

# dlopen cases: PIE mains with libdl linked in; libraries opened at run time.
build_dlopen_case() {
    local d=$D/$1
    shift
    cc_pic "$(case_obj $d main)" "$d/main.c" -I"$L"
    local lib
    for lib in "$@"; do
        cc_pic "$(case_obj $d $lib)" "$d/$lib.c" -I"$L"
    done
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$OBJ/libdl.o"
}

build_dlopen() {
    build_dlopen_case dlopen libplugin
    link_lib "$D/dlopen/libplugin.wasm" "$(case_obj $D/dlopen libplugin)"
}

build_dlopen_errors() {
    local d=$D/dlopen-errors
    build_dlopen_case dlopen-errors libok libbroken libctorfail
    link_lib "$d/libok.wasm" "$(case_obj $d libok)"
    link_lib "$d/libbroken.wasm" "$(case_obj $d libbroken)"
    link_lib "$d/libctorfail.wasm" "$(case_obj $d libctorfail)"
}

build_dlopen_scope() {
    local d=$D/dlopen-scope
    build_dlopen_case dlopen-scope libinner libouter libglobal libuser libnest
    link_lib "$d/libinner.wasm" "$(case_obj $d libinner)"
    link_lib "$d/libouter.wasm" "$(case_obj $d libouter)" "$d/libinner.wasm"
    link_lib "$d/libglobal.wasm" "$(case_obj $d libglobal)"
    link_lib "$d/libuser.wasm" "$(case_obj $d libuser)"
    link_lib "$d/libnest.wasm" "$(case_obj $d libnest)"
}

build_dlopen_cycles() {
    build_dlopen_case dlopen-cycles libbig
    link_lib "$D/dlopen-cycles/libbig.wasm" "$(case_obj $D/dlopen-cycles libbig)"
}

build_dlopen_stale() {
    build_dlopen_case dlopen-stale libshort
    link_lib "$D/dlopen-stale/libshort.wasm" "$(case_obj $D/dlopen-stale libshort)"
}

build_dlopen_libc() {
    local d=$D/dlopen-libc
    "$CC" $PIC_LIBC_CFLAGS -c "$d/libbuf.c" -o "$OBJ/dlopen-libbuf.o"
    link_lib "$d/libbuf.wasm" "$OBJ/dlopen-libbuf.o"
    libc_main "$d"
    check_exports "$d/main.wasm" "$d/libbuf.wasm"
}

build_timeout_ctor() {
    local d=$D/timeout-ctor
    cc_pic "$(case_obj $d libspin)" "$d/libspin.c"
    cc_pic "$(case_obj $d main)" "$d/main.c"
    link_lib "$d/libspin.wasm" "$(case_obj $d libspin)"
    link_pie "$d/main.wasm" "$(case_obj $d main)" "$d/libspin.wasm"
}

build_ctors
build_timeout_ctor
build_dlopen
build_dlopen_errors
build_dlopen_scope
build_dlopen_cycles
build_dlopen_stale
build_dlopen_libc
build_needed_cycle
build_data_relocs
build_data_relocs_extconst
build_tail_call
build_simd
build_sjlj
build_fnptr_eq
build_callbacks
build_weak
build_nonpie_libc
build_libc_init_order
build_args_env
build_files
build_missing_lib
build_missing_symbol
build_sig_mismatch
build_lib_oob
build_lib_recursion

# --------------------------------------------------------------- example
echo "example"
E="$ROOT/example"
cc_pic "$OBJ/example-libgreet.o" "$E/libgreet.c"
cc_pic "$OBJ/example-libart.o" "$E/libart.c"
cc_pic "$OBJ/example-main.o" "$E/main.c"
link_lib "$E/libgreet.wasm" "$OBJ/example-libgreet.o"
link_lib "$E/libart.wasm" "$OBJ/example-libart.o" "$E/libgreet.wasm"
link_pie "$E/main.wasm" "$OBJ/example-main.o" "$E/libgreet.wasm" "$E/libart.wasm"

# ------------------------------------------------------------------ seed
echo "seed"
S="$ROOT/seed"
cc_pic "$OBJ/seed-libcounter.o" "$S/libcounter.c"
cc_pic "$OBJ/seed-main.o" "$S/main.c"
link_lib "$S/libcounter.wasm" "$OBJ/seed-libcounter.o"
link_pie "$S/main.wasm" "$OBJ/seed-main.o" "$S/libcounter.wasm"
# The static twin (one module, no dylink.0), for engines without dynamic
# linking: benches/peer compares its instantiation on wasmtime.
STATIC_CFLAGS="--target=wasm32 $FEATURES $WARN -O2 -I$SUP"
for src in "$SUP/wrt.c" "$S/main.c" "$S/libcounter.c"; do
    "$CC" $STATIC_CFLAGS -c "$src" -o "$OBJ/seed-static-$(basename "$src" .c).o"
done
"$WASM_LD" -o "$S/static.wasm" "$OBJ"/seed-static-*.o
log "seed/static.wasm"

# --------------------------------------------------------------- kernels
# Plain standalone modules (no dylink, no WASI imports): each exports
# memory and run(i32) -> i64.
echo "kernels"
K="$ROOT/kernels"
KERNEL_CFLAGS="--target=wasm32 $FEATURES $WARN -O2 -nostdlib -Wl,--no-entry"
for k in sieve matmul hash nbody qsort dot bytecount blur; do
    "$CC" $KERNEL_CFLAGS -o "$K/$k.wasm" "$K/$k.c"
    log "kernels/$k.wasm"
done
# The SIMD kernels again with -msimd128 (their wasm_simd128.h paths).
for k in dot bytecount blur; do
    "$CC" $KERNEL_CFLAGS -msimd128 -o "$K/$k-simd.wasm" "$K/$k.c"
    log "kernels/$k-simd.wasm"
done

# ---------------------------------------------------------- compile-bench
# One big standalone module; --export-all keeps every function alive (and
# exported), so the code section stays large.
echo "compile-bench"
CBS="$ROOT/compile-bench/src"
"$CC" --target=wasm32 $FEATURES $WARN -O2 -fno-strict-aliasing -fno-builtin -nostdlib \
    -Wl,--no-entry -Wl,--export-all -Wl,--stack-first -Wl,-z,stack-size=1048576 \
    -o "$ROOT/compile-bench/compile-bench.wasm" "$CBS"/*.c
log "compile-bench/compile-bench.wasm"

# -------------------------------------------------------------------- wat
echo "wat"
for w in add trap counter simd threads exit256 spin isatty; do
    # wabt >= 1.0.30 enables SIMD and multi-value by default (and no longer
    # accepts --enable-simd); atomics need --enable-threads.
    "$WAT2WASM" --enable-threads "$ROOT/wat/$w.wat" -o "$ROOT/wat/$w.wasm"
    log "wat/$w.wasm"
done
# try_table is newer than Debian's wabt: these are assembled with
# wasmtime-py's wat2wasm (pip install wasmtime).
for w in eh-lib eh-main; do
    python3 -c 'import sys, wasmtime; open(sys.argv[2], "wb").write(wasmtime.wat2wasm(open(sys.argv[1]).read()))' \
        "$ROOT/wat/$w.wat" "$ROOT/wat/$w.wasm"
    log "wat/$w.wasm"
done

# wasm-ld marks its outputs executable; keep plain file modes in git
find "$ROOT" -name '*.wasm' -exec chmod 644 {} +

# ------------------------------------------------------------------ check
if [[ ${1:-} == --check ]]; then
    echo "check: wasm-objdump -x on every module"
    while IFS= read -r f; do
        "$OBJDUMP" -x "$f" >/dev/null || { echo "invalid: $f" >&2; exit 1; }
        if "$OBJDUMP" -x -j dylink.0 "$f" >/dev/null 2>&1; then
            needed=$("$OBJDUMP" -x -j dylink.0 "$f" | sed -n 's/^  - \(.*\.wasm\)$/\1/p' | tr '\n' ' ')
            log "$(realpath --relative-to="$ROOT" "$f"): dylink.0 NEEDED: ${needed:-none}"
        else
            log "$(realpath --relative-to="$ROOT" "$f"): ok"
        fi
    done < <(find "$ROOT" -name '*.wasm' | sort)
fi
echo "done"
