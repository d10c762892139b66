#include "wrt.h"

int helper_present(int x);
int helper_missing(int x);

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    print_line("main: this must not be printed");
    return helper_present(1) + helper_missing(2);
}
