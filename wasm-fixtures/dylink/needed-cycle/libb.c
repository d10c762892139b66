/* libb NEEDS liba (see liba.c). */
#include "wrt.h"

int a_value(void);

__attribute__((constructor)) static void libb_init(void) { print_line("libb: constructor"); }

int b_value(void) { return 5; }

int b_calls_a(void) { return a_value() + 100; }
