/* 1 MiB of .bss, initialised data and a constructor: every fresh load must
 * see zeroes and the initial value, whatever the previous load wrote. */
#include "wrt.h"

extern int big_ctor_runs; /* in the main */
static unsigned char big[1 << 20];
int initialised = 7;

__attribute__((constructor)) static void init(void) { big_ctor_runs++; }

/* 0 if the data looks fresh; then dirties all of it. */
int check_and_dirty(void) {
    for (unsigned i = 0; i < sizeof big; i++)
        if (big[i])
            return 1;
    if (initialised != 7)
        return 2;
    memset(big, 0xff, sizeof big);
    initialised = 0;
    return 0;
}
