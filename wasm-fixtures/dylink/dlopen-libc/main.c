/* A non-PIE main with wasi-libc's malloc opens a library at run time:
 * megabytes malloc'ed and calloc'ed before and after, the library's static
 * buffer and its own malloc'ed block; every byte of all of them checked.
 * The library's data region must come from somewhere the heap never hands
 * out (wrun takes it from the main's malloc). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlfcn.h"

#define MB (1024 * 1024)

static int all(const unsigned char *p, size_t n, unsigned char v) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

int main(void) {
    unsigned char *a = malloc(4 * MB);
    memset(a, 0x11, 4 * MB);
    unsigned char *c = calloc(300 * 1024, 1);
    int c_zero = all(c, 300 * 1024, 0);
    memset(c, 0x33, 300 * 1024);

    void *h = dlopen("libbuf.wasm", RTLD_NOW);
    if (!h) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    int (*fill)(void) = (int (*)(void))dlsym(h, "buf_fill");
    int (*check)(void) = (int (*)(void))dlsym(h, "buf_check");
    printf("library buf_fill() = %d\n", fill());

    unsigned char *b = malloc(4 * MB);
    memset(b, 0x22, 4 * MB);
    unsigned char *d = calloc(300 * 1024, 1);
    int d_zero = all(d, 300 * 1024, 0);
    memset(d, 0x44, 300 * 1024);

    printf("calloc before: %s, calloc after: %s\n", c_zero ? "zeroed" : "NOT ZEROED",
           d_zero ? "zeroed" : "NOT ZEROED");
    printf("main blocks intact: %s\n",
           all(a, 4 * MB, 0x11) && all(b, 4 * MB, 0x22) && all(c, 300 * 1024, 0x33) &&
                   all(d, 300 * 1024, 0x44)
               ? "yes"
               : "NO");
    printf("library data intact: buf_check() = %d\n", check());
    printf("dlclose = %d\n", dlclose(h));
    return 0;
}
