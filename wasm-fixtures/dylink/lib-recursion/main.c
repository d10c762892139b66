#include "wrt.h"

int deep(int n);

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    print_line("main: calling deep");
    int v = deep(0);
    print_str("main: must not get here, got ");
    print_int(v);
    print_char('\n');
    return 0;
}
