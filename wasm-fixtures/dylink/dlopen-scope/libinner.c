#include "wrt.h"
__attribute__((constructor)) static void init(void) { print_line("libinner: constructor"); }
__attribute__((destructor)) static void fini(void) { print_line("libinner: destructor"); }
int inner_value(void) { return 7; }
