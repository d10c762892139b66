/* blur: a small image filter. A 512x512 8-bit image, n passes of the
 * 5-point filter out = (up + down + left + right + 4*centre) / 8 (borders
 * kept), ping-ponging between two buffers. Built twice: blur.wasm (scalar)
 * and blur-simd.wasm (-msimd128: 16 pixels at a time in u16 lanes); same
 * checksum. Checksum: FNV-1a 64 of the final image. */
#include "kernel.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define W 512
#define H 512

static void pass(const u8 *in, u8 *out) {
    for (int y = 1; y < H - 1; y++) {
        const u8 *row = in + y * W;
        u8 *dst = out + y * W;
        dst[0] = row[0];
        dst[W - 1] = row[W - 1];
        int x = 1;
#ifdef __wasm_simd128__
        for (; x + 16 <= W - 1; x += 16) {
            v128_t c = wasm_v128_load(row + x);
            v128_t l = wasm_v128_load(row + x - 1);
            v128_t r = wasm_v128_load(row + x + 1);
            v128_t u = wasm_v128_load(row + x - W);
            v128_t d = wasm_v128_load(row + x + W);
#define HALF(ext)                                                                      \
    wasm_u16x8_shr(wasm_i16x8_add(wasm_i16x8_add(wasm_i16x8_add(ext(u), ext(d)),          \
                                                 wasm_i16x8_add(ext(l), ext(r))),         \
                                  wasm_i16x8_shl(ext(c), 2)),                             \
                   3)
            v128_t lo = HALF(wasm_u16x8_extend_low_u8x16);
            v128_t hi = HALF(wasm_u16x8_extend_high_u8x16);
#undef HALF
            wasm_v128_store(dst + x, wasm_u8x16_narrow_i16x8(lo, hi));
        }
#endif
        for (; x < W - 1; x++)
            dst[x] = (u8)((row[x - W] + row[x + W] + row[x - 1] + row[x + 1] + 4 * row[x]) >> 3);
    }
}

EXPORT(run) i64 run(int n) {
    heap_reset();
    u8 *a = heap_alloc(W * H);
    u8 *b = heap_alloc(W * H);
    u64 state = 0xC2B2AE3D27D4EB4Full;
    for (int i = 0; i < W * H; i++)
        a[i] = (u8)rng_next(&state);
    for (int i = 0; i < W; i++) {
        b[i] = a[i];
        b[(H - 1) * W + i] = a[(H - 1) * W + i];
    }
    for (int p = 0; p < n; p++) {
        pass(a, b);
        u8 *t = a;
        a = b;
        b = t;
    }
    u64 fnv = 0xcbf29ce484222325ull;
    for (int i = 0; i < W * H; i++) {
        fnv ^= a[i];
        fnv *= 0x100000001b3ull;
    }
    return (i64)fnv;
}
