/* main NEEDS liba (which NEEDS libb).  Constructor order must be
 * libb, liba, main; then main() prints last. */
#include "wrt.h"

int a_value(void);

static int main_initialised;

__attribute__((constructor)) static void main_init(void) {
    print_str("main: constructor (a_value=");
    print_int(a_value());
    print_line(")");
    main_initialised = 1;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    print_str("main: main() runs last, a_value=");
    print_int(a_value());
    print_str(main_initialised ? ", main constructor ran\n" : ", main constructor DID NOT run\n");
    return 0;
}
