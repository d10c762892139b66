#include "wrt.h"

int frob(int x);

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    print_line("main: this must not be printed");
    return frob(41);
}
