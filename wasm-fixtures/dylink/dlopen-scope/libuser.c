/* Imports global_helper, which only an RTLD_GLOBAL library provides. */
#include "wrt.h"
int global_helper(void);
__attribute__((destructor)) static void fini(void) { print_line("libuser: destructor"); }
int user_value(void) { return global_helper() + 1; }
