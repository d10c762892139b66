#include "wrt.h"
int ok_value(void) { return 17; }
