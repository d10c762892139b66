/* main NEEDS only liba; libb is found through liba's NEEDED entry, and
 * libb's NEEDED entry points back to liba. */
#include "wrt.h"

int a_calls_b(void);
int b_calls_a(void);

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    print_str("main: a_calls_b() = ");
    print_int(a_calls_b());
    print_char('\n');
    print_str("main: b_calls_a() = ");
    print_int(b_calls_a());
    print_char('\n');
    return 0;
}
