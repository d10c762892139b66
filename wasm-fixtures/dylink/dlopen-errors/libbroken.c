/* Imports a function nobody defines: dlopen must fail and leave nothing. */
#include "wrt.h"
int missing_function(int);
int broken_value(void) { return missing_function(1); }
