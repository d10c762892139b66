/* Calls into libping.wasm, which tail-calls back into pong here. */
#include "wrt.h"

int ping(long n);

int pong(long n) {
    if (n == 0)
        return 0;
    __attribute__((musttail)) return ping(n - 1);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    print_str("ping(10000000) = ");
    print_int(ping(10000000));
    print_line("");
    print_str("ping(10000001) = ");
    print_int(ping(10000001));
    print_line("");
    return 0;
}
