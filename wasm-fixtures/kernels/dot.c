/* dot: dot products of two 4096-element i16 vectors, n rounds; one element
 * changes each round so no round can be skipped. Built twice: dot.wasm
 * (scalar) and dot-simd.wasm (-msimd128, i32x4.dot_i16x8_s); same checksum.
 * Checksum: sum over rounds of (dot ^ round). */
#include "kernel.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define LEN 4096

static int dot(const short *a, const short *b) {
#ifdef __wasm_simd128__
    v128_t acc = wasm_i32x4_splat(0);
    for (int i = 0; i < LEN; i += 8)
        acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    return wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) +
           wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
#else
    int acc = 0;
    for (int i = 0; i < LEN; i++)
        acc += a[i] * b[i];
    return acc;
#endif
}

EXPORT(run) i64 run(int n) {
    heap_reset();
    short *a = heap_alloc(LEN * sizeof(short));
    short *b = heap_alloc(LEN * sizeof(short));
    u64 state = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < LEN; i++) {
        u64 r = rng_next(&state);
        a[i] = (short)((r & 0x3ff) - 512);
        b[i] = (short)(((r >> 20) & 0x3ff) - 512);
    }
    i64 sum = 0;
    for (int round = 0; round < n; round++) {
        a[round % LEN] = (short)(a[round % LEN] + 1);
        sum += dot(a, b) ^ round;
    }
    return sum;
}
