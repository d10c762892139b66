/* bytecount: byte search. 64 KiB of skewed pseudo-random text; round r
 * counts the occurrences of byte (r & 63) + 32, n rounds. Built twice:
 * bytecount.wasm (scalar) and bytecount-simd.wasm (-msimd128: i8x16.eq,
 * i8x16.bitmask, popcount); same checksum. Checksum: sum of counts * (r+1). */
#include "kernel.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define LEN 65536

static int count(const u8 *p, u8 c) {
#ifdef __wasm_simd128__
    v128_t needle = wasm_i8x16_splat((char)c);
    int total = 0;
    for (int i = 0; i < LEN; i += 16)
        total += __builtin_popcount(wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(p + i), needle)));
    return total;
#else
    int total = 0;
    for (int i = 0; i < LEN; i++)
        total += p[i] == c;
    return total;
#endif
}

EXPORT(run) i64 run(int n) {
    heap_reset();
    u8 *text = heap_alloc(LEN);
    u64 state = 0x27D4EB2F165667C5ull;
    for (int i = 0; i < LEN; i++) {
        u64 r = rng_next(&state);
        /* skewed: small offsets are more frequent */
        text[i] = (u8)(32 + ((r & 63) & ((r >> 6) & 63)));
    }
    i64 sum = 0;
    for (int round = 0; round < n; round++)
        sum += (i64)count(text, (u8)((round & 63) + 32)) * (round + 1);
    return sum;
}
