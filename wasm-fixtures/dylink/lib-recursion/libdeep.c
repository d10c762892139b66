/* libdeep: unbounded recursion.  The result is combined non-associatively
 * and a volatile counter is bumped so the compiler can neither turn the
 * recursion into a loop nor drop it.  No locals live in linear memory, so
 * the wasm call stack (not the shadow stack) is what runs out. */
#include "wrt.h"

volatile int deep_calls;

__attribute__((noinline)) int deep(int n) {
    deep_calls = deep_calls + 1;
    int r = deep(n + 1);
    return r * r - n;
}
