/* A non-PIE main linked statically with wasi-libc.  It defines and exports
 * memory, __indirect_function_table (growable) and __stack_pointer plus the
 * libc functions its side module imports.  The side module is loaded with
 * --lib before _start; its constructor registers itself here. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

static const struct plugin *registered;

void register_plugin(const struct plugin *p) { registered = p; }

static int overlaps(const void *a, size_t alen, const void *b, size_t blen) {
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y + blen && y < x + alen;
}

/* calloc'ed blocks must be all zero; then each is filled with its own byte. */
static unsigned char *big_block(size_t size, unsigned char fill) {
    unsigned char *block = calloc(size, 1);
    size_t nonzero = 0;
    for (size_t i = 0; i < size; i++)
        nonzero += block[i] != 0;
    printf("main: calloc(%zu): %zu nonzero bytes\n", size, nonzero);
    memset(block, fill, size);
    return block;
}

static size_t damaged(const unsigned char *block, size_t size, unsigned char fill) {
    size_t bad = 0;
    for (size_t i = 0; i < size; i++)
        bad += block[i] != fill;
    return bad;
}

#define BIG1 (300 * 1024)
#define BIG2 (700 * 1024)

int main(void) {
    /* Large blocks before and after the plugin runs: the heap must grow
     * past every library's data region, never through it. */
    unsigned char *big1 = big_block(BIG1, 0xa5);
    char *before = malloc(64);
    strcpy(before, "allocated by main before using the plugin");
    printf("main: %s\n", before);

    if (!registered) {
        printf("main: no plugin registered (was it loaded with --lib?)\n");
        return 1;
    }
    printf("main: plugin \"%s\" registered\n", registered->name);

    char *greeting = registered->make_greeting("main");
    printf("main: plugin made \"%s\"\n", greeting);
    printf("main: plugin sum_list(100) = %d\n", registered->sum_list(100));

    unsigned char *big2 = big_block(BIG2, 0x5a);
    printf("main: plugin sum_list(1000) = %d\n", registered->sum_list(1000));
    char *after = malloc(4096);
    memset(after, 'x', 4096);
    strcpy(after, "allocated by main after using the plugin");
    printf("main: %s\n", after);

    int clash = overlaps(before, 64, registered->static_data, registered->static_size) ||
                overlaps(after, 4096, registered->static_data, registered->static_size) ||
                overlaps(greeting, strlen(greeting) + 1, registered->static_data,
                         registered->static_size) ||
                overlaps(big1, BIG1, registered->static_data, registered->static_size) ||
                overlaps(big2, BIG2, registered->static_data, registered->static_size);
    printf("main: heap blocks %s the plugin's static data\n", clash ? "OVERLAP" : "do not overlap");
    printf("main: plugin static data still reads \"%s\"\n", registered->static_data);
    printf("main: first block still reads \"%s\"\n", before);
    printf("main: big blocks damaged bytes: %zu, %zu\n", damaged(big1, BIG1, 0xa5),
           damaged(big2, BIG2, 0x5a));
    free(big2);
    free(big1);

    free(greeting);
    free(after);
    free(before);
    return 0;
}
