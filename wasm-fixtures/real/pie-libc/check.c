/* check: a PIE main over the shared libc.so and libwords. Prints what it
 * finds; its static twin (the same sources linked with zig's static
 * wasi-libc) must print the same bytes.
 *
 *   check          (run with a preopened directory mapped to /w)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *words_banner(void);
char *words_repeat(const char *word, int count);
void words_sort(int *values, int count, int (*compare)(const void *, const void *));
extern int words_constructed;

static int descending(const void *a, const void *b) {
    return *(const int *)b - *(const int *)a;
}

/* calloc'd blocks of hundreds of KiB, every byte checked zero, filled with
 * a pattern, and checked again after the others were written. */
static int big_blocks(const char *when) {
    enum { COUNT = 6 };
    unsigned char *blocks[COUNT];
    size_t sizes[COUNT];
    for (int i = 0; i < COUNT; i++) {
        sizes[i] = (size_t)(100 + 150 * i) << 10;
        blocks[i] = calloc(sizes[i], 1);
        if (!blocks[i])
            return printf("%s: calloc(%zu) failed\n", when, sizes[i]), 1;
        for (size_t j = 0; j < sizes[i]; j++)
            if (blocks[i][j] != 0)
                return printf("%s: block %d byte %zu not zero\n", when, i, j), 1;
        memset(blocks[i], 0x40 + i, sizes[i]);
    }
    size_t total = 0;
    for (int i = 0; i < COUNT; i++) {
        for (size_t j = 0; j < sizes[i]; j++)
            if (blocks[i][j] != 0x40 + i)
                return printf("%s: block %d byte %zu overwritten\n", when, i, j), 1;
        total += sizes[i];
        free(blocks[i]);
    }
    printf("%s: %d calloc'd blocks, %zu KiB, every byte checked\n", when, COUNT, total >> 10);
    return 0;
}

int main(int argc, char **argv) {
    (void)argv;
    int bad = big_blocks("before the library is used");
    printf("argc %d\n", argc);
    printf("constructed %d time(s): %s\n", words_constructed, words_banner());
    FILE *log = fopen("/w/ctor.txt", "r");
    char line[128] = "";
    if (!log || !fgets(line, sizeof line, log))
        printf("the constructor's file is missing\n"), bad = 1;
    else
        printf("its file says: %s", line);
    if (log)
        fclose(log);
    char *text = words_repeat("shared", 4);
    printf("repeat: [%s]\n", text);
    free(text);
    int values[] = {5, 3, 9, 1, 7, 2};
    words_sort(values, 6, descending);
    printf("sorted:");
    for (int i = 0; i < 6; i++)
        printf(" %d", values[i]);
    printf("\n");
    char number[32];
    snprintf(number, sizeof number, "%.3f %e %llx", 3.14159, 2.5e-10, 0x1234abcdULL);
    printf("formatting: %s\n", number);
    bad |= big_blocks("after the library was used");
    return bad;
}
