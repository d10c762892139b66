/* libb: the leaf library.  Its constructor must run first. */
#include "wrt.h"

static int b_initialised;

__attribute__((constructor)) static void libb_init(void) {
    print_line("libb: constructor");
    b_initialised = 1;
}

int b_value(void) { return b_initialised ? 2 : -1000; }
