/* libcb: calls function pointers it is given, and hands out pointers to
 * its own (static) functions. */
#include "wrt.h"

typedef int (*int_fn)(int);
typedef void (*visit_fn)(int index, int value, void *ctx);

int lib_apply_sum(int_fn f, int n) {
    int sum = 0;
    for (int i = 1; i <= n; i++)
        sum += f(i);
    return sum;
}

void lib_for_each(const int *values, int count, visit_fn visit, void *ctx) {
    for (int i = 0; i < count; i++)
        visit(i, values[i], ctx);
}

static int lib_square(int x) { return x * x; }
static int lib_negate(int x) { return -x; }

int_fn lib_get_op(const char *name) {
    if (wrt_strcmp(name, "square") == 0)
        return lib_square;
    if (wrt_strcmp(name, "negate") == 0)
        return lib_negate;
    return NULL;
}

/* Re-entrancy: call main's callback, which itself calls back into us. */
int lib_twice(int_fn f, int x) { return f(f(x)); }
