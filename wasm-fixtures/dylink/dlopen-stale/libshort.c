#include "wrt.h"
int short_lived(void) { return 1; }
