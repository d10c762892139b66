/* callbacks in both directions between main and libcb (loaded with --lib,
 * so main has no NEEDED entry and imports lib_* from "env"). */
#include "wrt.h"

typedef int (*int_fn)(int);
typedef void (*visit_fn)(int index, int value, void *ctx);

int lib_apply_sum(int_fn f, int n);
void lib_for_each(const int *values, int count, visit_fn visit, void *ctx);
int_fn lib_get_op(const char *name);
int lib_twice(int_fn f, int x);

static int main_double(int x) { return 2 * x; }

static void main_visit(int index, int value, void *ctx) {
    int *total = ctx;
    *total += value;
    print_str("main: visit[");
    print_int(index);
    print_str("] = ");
    print_int(value);
    print_char('\n');
}

/* a callback that calls into the library again */
static int main_square_plus_one(int x) { return lib_get_op("square")(x) + 1; }

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    print_str("main: lib_apply_sum(main_double, 4) = ");
    print_int(lib_apply_sum(main_double, 4));
    print_char('\n');

    static const int values[3] = {5, -3, 11};
    int total = 0;
    lib_for_each(values, 3, main_visit, &total);
    print_str("main: total = ");
    print_int(total);
    print_char('\n');

    int_fn sq = lib_get_op("square");
    int_fn neg = lib_get_op("negate");
    print_str("main: square(9) = ");
    print_int(sq(9));
    print_str(", negate(9) = ");
    print_int(neg(9));
    print_str(", unknown op is ");
    print_line(lib_get_op("cube") == NULL ? "NULL" : "not NULL");

    print_str("main: lib_apply_sum(lib's square, 3) = ");
    print_int(lib_apply_sum(sq, 3));
    print_char('\n');

    print_str("main: lib_twice(main_square_plus_one, 2) = ");
    print_int(lib_twice(main_square_plus_one, 2));
    print_char('\n');
    return 0;
}
