#!/usr/bin/env bash
# libc-needs.sh OBJECT.o...
# Prints the symbols the given PIC objects use but none of them defines
# (what a shared library built from them imports from "env"), minus what the
# dynamic loader provides. A non-PIE main carrying wasi-libc forces these
# into its link with --undefined, since --export-all exports only what is
# linked in.
set -euo pipefail
NM=${NM:-/usr/lib/llvm-19/bin/llvm-nm}
comm -23 \
    <("$NM" -u "$@" | awk 'NF == 2 { print $2 }' | sort -u) \
    <("$NM" --defined-only "$@" | awk 'NF == 3 { print $3 }' | sort -u) |
    grep -v -x -E '__memory_base|__table_base|__stack_pointer|__indirect_function_table'
