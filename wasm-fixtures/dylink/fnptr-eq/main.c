/* Function-pointer equality across main, liba and libb: every module must
 * see the same table index for the same function. */
#include "wrt.h"

typedef int (*fn_t)(int);

int shared_fn(int x);
int main_fn(int x) { return x + 100; }

fn_t a_shared(void);
fn_t a_main_fn(void);
extern const fn_t a_table[2];
fn_t b_shared(void);
fn_t b_main_fn(void);

static void check(const char *name, fn_t m, fn_t a, fn_t a_data, fn_t b) {
    print_str(name);
    if (m == a && m == a_data && m == b && m != NULL)
        print_str(": equal");
    else
        print_str(": NOT equal");
    print_str(" (calls: ");
    print_int(m(7));
    print_char(' ');
    print_int(a(7));
    print_char(' ');
    print_int(a_data(7));
    print_char(' ');
    print_int(b(7));
    print_line(")");
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fn_t volatile m_shared = shared_fn;
    fn_t volatile m_main = main_fn;
    check("shared_fn", m_shared, a_shared(), a_table[0], b_shared());
    check("main_fn", m_main, a_main_fn(), a_table[1], b_main_fn());
    print_line(m_shared != m_main ? "distinct functions: not equal" : "distinct functions: EQUAL?!");
    return 0;
}
