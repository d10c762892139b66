/* libgreet: greetings and a little arithmetic. */
#include "wrt.h"

static int greet_count;

__attribute__((constructor)) static void libgreet_init(void) {
    print_line("[libgreet.wasm loaded: constructor ran]");
}

void greet(const char *who) {
    greet_count++;
    print_str("Hello, ");
    print_str(who);
    print_str("! (greeting #");
    print_int(greet_count);
    print_line(" from libgreet.wasm)");
}

unsigned long long fib(int n) {
    unsigned long long a = 0, b = 1;
    while (n-- > 0) {
        unsigned long long t = a + b;
        a = b;
        b = t;
    }
    return a;
}
