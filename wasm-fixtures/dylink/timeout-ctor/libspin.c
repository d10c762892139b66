/* A constructor that never returns: --timeout must stop it too. */
#include "wrt.h"
static volatile int forever = 1;
__attribute__((constructor)) static void spin(void) {
    print_line("libspin: constructor starts spinning");
    while (forever) {
    }
}
int spin_value(void) { return 1; }
