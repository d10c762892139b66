/* zgz: a small gzip/gunzip over zlib's gz* API, the consumer of zlib as a
 * shared library in tests/real_libs.rs.  zlib itself is not in this tree:
 * build.sh fetches its sources (crates.io's libz-sys) at test time.
 *
 *   zgz c LEVEL IN OUT.gz     compress IN at LEVEL (1..9)
 *   zgz d IN.gz OUT           decompress
 *   zgz v                     print zlibVersion()
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int compress_file(const char *level, const char *in, const char *out) {
    FILE *src = fopen(in, "rb");
    if (!src) {
        perror(in);
        return 2;
    }
    char mode[8];
    snprintf(mode, sizeof mode, "wb%s", level);
    gzFile dst = gzopen(out, mode);
    if (!dst) {
        fprintf(stderr, "zgz: gzopen %s failed\n", out);
        return 2;
    }
    static char buf[1 << 16];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, src)) > 0) {
        if (gzwrite(dst, buf, (unsigned)n) != (int)n) {
            int err;
            fprintf(stderr, "zgz: gzwrite: %s\n", gzerror(dst, &err));
            return 3;
        }
        total += n;
    }
    fclose(src);
    if (gzclose(dst) != Z_OK) {
        fprintf(stderr, "zgz: gzclose failed\n");
        return 3;
    }
    printf("compressed %zu bytes at level %s\n", total, level);
    return 0;
}

static int decompress_file(const char *in, const char *out) {
    gzFile src = gzopen(in, "rb");
    if (!src) {
        fprintf(stderr, "zgz: gzopen %s failed\n", in);
        return 2;
    }
    FILE *dst = fopen(out, "wb");
    if (!dst) {
        perror(out);
        return 2;
    }
    static char buf[1 << 16];
    int n;
    size_t total = 0;
    while ((n = gzread(src, buf, sizeof buf)) > 0) {
        fwrite(buf, 1, (size_t)n, dst);
        total += (size_t)n;
    }
    if (n < 0) {
        int err;
        fprintf(stderr, "zgz: gzread: %s\n", gzerror(src, &err));
        return 3;
    }
    gzclose(src);
    fclose(dst);
    printf("decompressed %zu bytes\n", total);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "v") == 0) {
        printf("zlib %s\n", zlibVersion());
        return strcmp(zlibVersion(), ZLIB_VERSION) == 0 ? 0 : 1;
    }
    if (argc == 5 && strcmp(argv[1], "c") == 0)
        return compress_file(argv[2], argv[3], argv[4]);
    if (argc == 4 && strcmp(argv[1], "d") == 0)
        return decompress_file(argv[2], argv[3]);
    fprintf(stderr, "usage: zgz c LEVEL IN OUT.gz | zgz d IN.gz OUT | zgz v\n");
    return 64;
}
