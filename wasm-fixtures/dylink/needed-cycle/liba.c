/* liba NEEDS libb and libb NEEDS liba: a NEEDED cycle.  The loader must
 * load each library once and terminate.  Constructors run dependencies
 * first; the cycle is broken where it closes, so libb's runs before liba's. */
#include "wrt.h"

int b_value(void);

static int a_initialised;

__attribute__((constructor)) static void liba_init(void) {
    print_line("liba: constructor");
    a_initialised = 1;
}

int a_value(void) { return a_initialised ? 10 : -1000; }

int a_calls_b(void) { return b_value() * 2; }
