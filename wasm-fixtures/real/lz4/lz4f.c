/* lz4f: compresses and decompresses files in the LZ4 frame format with
 * lz4's frame API, the consumer in tests/real_libs.rs of lz4 split into
 * three shared libraries: liblz4frame.wasm NEEDS liblz4.wasm and
 * libxxhash.wasm. lz4 itself is not in this tree: build.sh fetches its
 * sources (crates.io's lz4-sys) at test time.
 *
 *   lz4f c LEVEL IN OUT.lz4    compress (LEVEL 0 = fast, 3..12 = HC)
 *   lz4f d IN.lz4 OUT          decompress
 */
#include <lz4frame.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *buf = malloc(cap);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

static int write_all(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len) {
        perror(path);
        return 2;
    }
    fclose(f);
    return 0;
}

static int compress_file(int level, const char *in, const char *out) {
    size_t n;
    unsigned char *src = read_all(in, &n);
    if (!src)
        return 2;
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.compressionLevel = level;
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    size_t cap = LZ4F_compressFrameBound(n, &prefs);
    unsigned char *dst = malloc(cap);
    size_t size = LZ4F_compressFrame(dst, cap, src, n, &prefs);
    if (LZ4F_isError(size)) {
        fprintf(stderr, "lz4f: %s\n", LZ4F_getErrorName(size));
        return 3;
    }
    printf("compressed %zu bytes to %zu at level %d\n", n, size, level);
    return write_all(out, dst, size);
}

static int decompress_file(const char *in, const char *out) {
    size_t n;
    unsigned char *src = read_all(in, &n);
    if (!src)
        return 2;
    LZ4F_dctx *dctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        return 3;
    size_t cap = 1 << 20, len = 0, pos = 0;
    unsigned char *dst = malloc(cap);
    while (pos < n) {
        if (cap - len < (1 << 16))
            dst = realloc(dst, cap *= 2);
        size_t out_size = cap - len, in_size = n - pos;
        size_t r = LZ4F_decompress(dctx, dst + len, &out_size, src + pos, &in_size, NULL);
        if (LZ4F_isError(r)) {
            fprintf(stderr, "lz4f: %s\n", LZ4F_getErrorName(r));
            return 3;
        }
        len += out_size;
        pos += in_size;
        if (r == 0)
            break;
    }
    LZ4F_freeDecompressionContext(dctx);
    printf("decompressed %zu bytes\n", len);
    return write_all(out, dst, len);
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "c") == 0)
        return compress_file(atoi(argv[2]), argv[3], argv[4]);
    if (argc == 4 && strcmp(argv[1], "d") == 0)
        return decompress_file(argv[2], argv[3]);
    fprintf(stderr, "usage: lz4f c LEVEL IN OUT.lz4 | lz4f d IN.lz4 OUT\n");
    return 64;
}
