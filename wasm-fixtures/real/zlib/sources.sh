# Sourced by the builds that use zlib (zlib/build.sh, pie-libc/build.sh),
# after prelude.sh: sets ZLIB_SRC (crates.io's libz-sys 1.1.33 sources,
# fetched into $OUT/fetch, unless set), ZLIB_FILES (its library's sources)
# and ZLIB_DEFS (what they are compiled with besides the target).
if [ -z "${ZLIB_SRC:-}" ]; then
    ZLIB_SRC="$("$ROOT/wasm-fixtures/real/fetch-crate-source.sh" libz-sys 1.1.33 src/zlib "$OUT/fetch")"
fi
[ -f "$ZLIB_SRC/zlib.h" ] || { echo "no zlib sources in $ZLIB_SRC" >&2; exit 1; }
ZLIB_FILES="adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast inflate inftrees trees uncompr zutil"
# zlib's gz* code wants unistd.h's read/write/close/lseek; -D_LARGEFILE64_SOURCE off.
ZLIB_DEFS="-DHAVE_UNISTD_H -DHAVE_STDARG_H -w -I$ZLIB_SRC"
