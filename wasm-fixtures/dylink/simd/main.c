/* SIMD across a library boundary: main.wasm calls libvec.wasm's v128
 * functions directly and through function pointers, and checks each result
 * against the same computation done lane by lane here. */
#include <wasm_simd128.h>
#include "wrt.h"

v128_t vec_mul_add(v128_t a, v128_t b, v128_t c);
int dot_i16(const short *a, const short *b, int n);
int count_byte(const unsigned char *p, int n, unsigned char c);
typedef v128_t (*vec_op)(v128_t, v128_t);
vec_op vec_op_named(int which);

static short xs[64], ys[64];
static unsigned char text[256];

static void check(const char *what, long long got, long long want) {
    print_str(what);
    print_str(" = ");
    print_int(got);
    print_line(got == want ? " (ok)" : " (WRONG)");
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    v128_t r = vec_mul_add(wasm_f32x4_make(1.5f, 2, 3, 4), wasm_f32x4_make(2, 2, 2, 2),
                           wasm_f32x4_make(0.25f, 0, -1, 100));
    check("mul_add lane 0 * 4", (long long)(wasm_f32x4_extract_lane(r, 0) * 4), 13);
    check("mul_add lane 3", (long long)wasm_f32x4_extract_lane(r, 3), 108);

    long long want = 0;
    for (int i = 0; i < 64; i++) {
        xs[i] = (short)(i * 37 - 1000);
        ys[i] = (short)(500 - i * 11);
        want += (long long)xs[i] * ys[i];
    }
    check("dot_i16", dot_i16(xs, ys, 64), want);

    int spaces = 0;
    for (int i = 0; i < 256; i++) {
        text[i] = (unsigned char)((i * 7) % 5 == 0 ? ' ' : 'a' + i % 26);
        spaces += text[i] == ' ';
    }
    check("count_byte", count_byte(text, 256, ' '), spaces);

    v128_t x = wasm_i32x4_make(5, -6, 7, -8);
    v128_t w = vec_op_named(0)(x, wasm_i32x4_splat(1));
    check("weigh lane 1", wasm_i32x4_extract_lane(w, 1), -6 * 11);
    v128_t m = vec_op_named(1)(x, wasm_i32x4_splat(0));
    check("max lanes", wasm_i32x4_extract_lane(m, 0) + wasm_i32x4_extract_lane(m, 1) +
                           wasm_i32x4_extract_lane(m, 2) + wasm_i32x4_extract_lane(m, 3),
          5 + 0 + 7 + 0);
    return 0;
}
