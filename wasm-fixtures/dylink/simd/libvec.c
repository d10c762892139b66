/* libvec: SIMD helpers in a shared library (-msimd128), called from main.wasm.
 * v128 values cross the module boundary as parameters and results (imports
 * of main), as function pointers (call_indirect through the shared table)
 * and in the library's own data (a constant table relocated by
 * __memory_base). */
#include <wasm_simd128.h>

/* Lane-wise a*b + c on four floats. */
v128_t vec_mul_add(v128_t a, v128_t b, v128_t c) {
    return wasm_f32x4_add(wasm_f32x4_mul(a, b), c);
}

/* Sum of a[i]*b[i] over n shorts (n a multiple of 8): i32x4.dot_i16x8_s. */
int dot_i16(const short *a, const short *b, int n) {
    v128_t acc = wasm_i32x4_splat(0);
    for (int i = 0; i < n; i += 8)
        acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    return wasm_i32x4_extract_lane(acc, 0) + wasm_i32x4_extract_lane(acc, 1) +
           wasm_i32x4_extract_lane(acc, 2) + wasm_i32x4_extract_lane(acc, 3);
}

/* How many bytes of p[0..n) equal c (n a multiple of 16): eq, bitmask, popcount. */
int count_byte(const unsigned char *p, int n, unsigned char c) {
    v128_t needle = wasm_i8x16_splat((char)c);
    int count = 0;
    for (int i = 0; i < n; i += 16)
        count += __builtin_popcount(wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(p + i), needle)));
    return count;
}

/* Per-lane weights, in the library's data segment. */
static const v128_t weights[2] = {
    {1, 2, 3, 4},
    {10, 11, 12, 13},
};

static v128_t op_weigh(v128_t x, v128_t which) {
    return wasm_i32x4_mul(x, weights[wasm_i32x4_extract_lane(which, 0) & 1]);
}

static v128_t op_max(v128_t x, v128_t y) { return wasm_i32x4_max(x, y); }

typedef v128_t (*vec_op)(v128_t, v128_t);

/* Function pointers to the library's v128 functions. */
vec_op vec_op_named(int which) { return which ? op_max : op_weigh; }
