/* liba NEEDS libb.  Its constructor runs after libb's and already sees
 * libb initialised. */
#include "wrt.h"

int b_value(void);

static int a_initialised;

__attribute__((constructor)) static void liba_init(void) {
    print_str("liba: constructor (b_value=");
    print_int(b_value());
    print_line(")");
    a_initialised = 1;
}

int a_value(void) { return a_initialised ? 10 + b_value() : -1000; }
