/* libbad: reads far outside linear memory. */
#include "wrt.h"

int bad_read(void) {
    volatile int *far = (volatile int *)0xFFFFFFF0u;
    return *far;
}
