#include "wrt.h"

int gone_value(void);

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    print_line("main: this must not be printed");
    return gone_value();
}
