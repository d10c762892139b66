/* Opened at run time by a non-PIE main that carries wasi-libc: a large
 * static buffer and a block from the main's malloc, both filled. */
#include <stdlib.h>
#include <string.h>

#define BUF (512 * 1024)
#define BLOCK (256 * 1024)

static unsigned char buf[BUF];
static unsigned char *block;

int buf_fill(void) {
    for (int i = 0; i < BUF; i++)
        if (buf[i])
            return 1; /* .bss must start zeroed */
    memset(buf, 0xab, BUF);
    block = malloc(BLOCK);
    if (!block)
        return 2;
    memset(block, 0xcd, BLOCK);
    return 0;
}

int buf_check(void) {
    for (int i = 0; i < BUF; i++)
        if (buf[i] != 0xab)
            return 1;
    for (int i = 0; i < BLOCK; i++)
        if (block[i] != 0xcd)
            return 2;
    return 0;
}
