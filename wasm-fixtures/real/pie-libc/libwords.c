/* libwords: a side module over the shared libc.so. Its constructor uses
 * libc (malloc, snprintf, and a file under the preopened /w), which works
 * only if libc.so was initialised first; its functions hand malloc'd
 * memory to the main, which frees it: one heap for every module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *banner;
int words_constructed;

__attribute__((constructor)) static void words_init(void) {
    banner = malloc(64);
    snprintf(banner, 64, "libwords ready (%d)", 42);
    FILE *log = fopen("/w/ctor.txt", "w");
    if (log) {
        fprintf(log, "constructor ran: %s\n", banner);
        fclose(log);
    }
    words_constructed++;
}

const char *words_banner(void) { return banner; }

/* A new string of `count` copies of `word` separated by spaces. */
char *words_repeat(const char *word, int count) {
    size_t len = strlen(word);
    char *out = calloc((len + 1) * (size_t)count + 1, 1);
    for (int i = 0; i < count; i++) {
        memcpy(out + i * (len + 1), word, len);
        out[i * (len + 1) + len] = i + 1 < count ? ' ' : '\0';
    }
    return out;
}

/* Sorts with the main's comparison function (a function pointer from
 * another module, through the shared table). */
void words_sort(int *values, int count, int (*compare)(const void *, const void *)) {
    qsort(values, (size_t)count, sizeof *values, compare);
}
