/* Its constructor traps: dlopen fails, the library does not stay. */
#include "wrt.h"
__attribute__((constructor)) static void boom(void) {
    print_line("libctorfail: constructor about to trap");
    __builtin_trap();
}
int ctorfail_value(void) { return 3; }
