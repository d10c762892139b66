/* libshow: prints an argv array handed over by the main (the strings live
 * in the main's static buffers, in the shared linear memory). */
#include "wrt.h"

static const char *basename_of(const char *path) {
    const char *base = path;
    for (const char *p = path; *p; p++)
        if (*p == '/')
            base = p + 1;
    return base;
}

void show_args(int argc, char **argv) {
    print_str("argc=");
    print_int(argc);
    print_char('\n');
    /* argv[0] is whatever path the runtime was given; print its basename */
    print_str("argv[0] basename=");
    print_line(argc > 0 ? basename_of(argv[0]) : "(none)");
    for (int i = 1; i < argc; i++) {
        print_str("argv[");
        print_int(i);
        print_str("]=");
        print_line(argv[i]);
    }
    print_line(argv[argc] == NULL ? "argv[argc] is NULL" : "argv[argc] is NOT NULL");
}
