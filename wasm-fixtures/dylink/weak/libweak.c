/* libweak: weak undefined references.  Nobody defines maybe() or
 * maybe_data, so both addresses must be 0 (their GOT.func / GOT.mem
 * entries stay 0 and the function import env.maybe gets a stub that is
 * never called).  present() is also weak but the main defines it, so it
 * must resolve normally. */
#include "wrt.h"

extern int maybe(void) __attribute__((weak));
extern int maybe_data __attribute__((weak));
extern int present(void) __attribute__((weak));
extern int present_data __attribute__((weak));

void weak_report(void) {
    print_line(maybe == NULL ? "libweak: maybe is null" : "libweak: maybe is NOT null");
    print_line(&maybe_data == NULL ? "libweak: maybe_data is null" : "libweak: maybe_data is NOT null");
    if (maybe)
        print_int(maybe());
    if (present) {
        print_str("libweak: present() = ");
        print_int(present());
        print_char('\n');
    } else {
        print_line("libweak: present is null");
    }
    if (&present_data) {
        print_str("libweak: present_data = ");
        print_int(present_data);
        print_char('\n');
    } else {
        print_line("libweak: present_data is null");
    }
}

/* a weak definition: the main does not override it */
__attribute__((weak)) const char *weak_default(void) { return "libweak's weak default"; }
