/* The main: catches what libthrow.so throws, and throws through it. The
 * __cpp_exception tag both use comes from the loader (no module defines
 * it), so a throw in one module is caught in another. */
#include <stdio.h>

#include "oops.h"

static int callback(int x) {
    if (x == 13 || x > 100)
        throw Oops{x};
    return x + 1;
}

int main() {
    int xs[] = {3, -7, 5, -1};
    for (int x : xs) {
        try {
            printf("risky(%d) = %d\n", x, risky(x));
        } catch (const Oops &e) {
            printf("risky(%d) threw Oops{%d}, caught in the main\n", x, e.code);
        }
    }
    printf("through(callback, 4) = %d\n", through(callback, 4));
    try {
        printf("through(callback, 13) = %d\n", through(callback, 13));
        through(callback, 500);
        printf("not reached\n");
    } catch (const Oops &e) {
        printf("Oops{%d} from the main's callback passed through libthrow, caught in the main\n", e.code);
    }
    printf("destructors run in libthrow: %d\n", cleanups());
    try {
        throw 42;
    } catch (int v) {
        printf("caught int %d\n", v);
    }
    return 0;
}
