#include "wrt.h"
__attribute__((destructor)) static void fini(void) { print_line("libglobal: destructor"); }
int global_helper(void) { return 5; }
