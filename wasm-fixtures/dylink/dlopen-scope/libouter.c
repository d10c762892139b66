/* NEEDS libinner: opening it loads libinner first (its constructor first). */
#include "wrt.h"
int inner_value(void);
__attribute__((constructor)) static void init(void) {
    print_str("libouter: constructor (inner_value=");
    print_int(inner_value());
    print_line(")");
}
__attribute__((destructor)) static void fini(void) { print_line("libouter: destructor"); }
int outer_value(void) { return inner_value() * 6; }
