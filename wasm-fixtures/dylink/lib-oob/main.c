#include "wrt.h"

int bad_read(void);

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    print_line("main: calling bad_read");
    int v = bad_read();
    print_str("main: must not get here, read ");
    print_int(v);
    print_char('\n');
    return 0;
}
