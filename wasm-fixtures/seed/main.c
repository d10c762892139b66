/* The seed example's main: NEEDS libcounter; prints the counter after one bump. */
#include "wrt.h"

int bump(int by);

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    print_str("counter after bump(1): ");
    print_int(bump(1));
    print_line("");
    return 0;
}
