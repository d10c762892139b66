/* Native twin of benches/calls.rs: 1,000 calls of a tiny `inc` inside one
 * executable, into a shared library through the PLT, and through a function
 * pointer the library returned. Prints the median ns per call of 31 runs,
 * one line per kind ("native/<kind> <ns>"). Built by
 * benches/compare_calls.sh with gcc -O2 (-fno-plt off: the PLT is the
 * point), linked against libcalls_lib.so. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "timing.h"

int lib_inc(int x);
int (*lib_inc_ptr(void))(int);

__attribute__((noinline)) static int local_inc(int x) { return x + 1; }

#define CALLS 1000
#define ROUNDS 2000
#define RUNS 31

/* Each loop makes the next call depend on the last result, as the wasm
 * loops do, so calls cannot overlap or be hoisted. */
static double measure(int kind, int (*ptr)(int)) {
    double samples[RUNS];
    volatile int sink = 0;
    for (int r = 0; r < RUNS; r++) {
        double start = now_ns();
        for (int round = 0; round < ROUNDS; round++) {
            int x = 0;
            switch (kind) {
            case 0: while (x < CALLS) x = local_inc(x); break;
            case 1: while (x < CALLS) x = lib_inc(x); break;
            default: while (x < CALLS) x = ptr(x); break;
            }
            sink += x;
        }
        samples[r] = (now_ns() - start) / ((double)CALLS * ROUNDS);
    }
    (void)sink;
    return median(samples, RUNS);
}

int main(void) {
    int (*volatile ptr)(int) = lib_inc_ptr();
    printf("native/inside_module %.3f\n", measure(0, ptr));
    printf("native/across_modules_import %.3f\n", measure(1, ptr));
    printf("native/call_indirect_other_library %.3f\n", measure(2, ptr));
    return 0;
}
