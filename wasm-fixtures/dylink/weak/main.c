#include "wrt.h"

void weak_report(void);
const char *weak_default(void);

int present(void) { return 7; }
int present_data = 99;

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    weak_report();
    print_str("main: weak_default() = ");
    print_line(weak_default());
    return 0;
}
