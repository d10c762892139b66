/* Shared helpers for the freestanding compute kernels.
 * Each kernel exports:  run(i32 n) -> i64 checksum.
 * No libc: memory comes from a bump allocator on top of __heap_base that
 * grows linear memory with memory.grow (reset at the start of every run()
 * so repeated benchmark calls do not keep growing). */
#ifndef KERNEL_H
#define KERNEL_H

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long i64;
typedef unsigned long usize;

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(#name)))

extern u8 __heap_base;
static usize heap_top;

static inline void heap_reset(void) { heap_top = ((usize)&__heap_base + 15) & ~(usize)15; }

static inline void *heap_alloc(usize size) {
    if (heap_top == 0)
        heap_reset();
    usize start = heap_top;
    usize end = (start + size + 15) & ~(usize)15;
    usize have = __builtin_wasm_memory_size(0) * 65536ul;
    if (end > have) {
        usize pages = (end - have + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, pages) == (usize)-1)
            __builtin_trap();
    }
    heap_top = end;
    return (void *)start;
}

/* clang may emit calls to these for loops and struct copies */
__attribute__((no_builtin)) void *memset(void *dst, int c, usize n) {
    u8 *d = dst;
    while (n--)
        *d++ = (u8)c;
    return dst;
}
__attribute__((no_builtin)) void *memcpy(void *dst, const void *src, usize n) {
    u8 *d = dst;
    const u8 *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}
#else
/* native build for checking checksums: kernel-native.c provides these */
#include <stdlib.h>
#define EXPORT(name)
static inline void heap_reset(void) {}
static inline void *heap_alloc(usize size) { return malloc(size); }
#endif

/* xorshift64* pseudo-random numbers: deterministic inputs everywhere */
static inline u64 rng_next(u64 *state) {
    u64 x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

#endif
