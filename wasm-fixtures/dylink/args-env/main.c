/* args-env: command-line arguments and environment variables through
 * WASI args_get / environ_get (collected by wrt's _start). */
#include "wrt.h"

void show_args(int argc, char **argv);

static void show_env(const char *name) {
    const char *value = wrt_getenv(name);
    print_str(name);
    if (value) {
        print_char('=');
        print_line(value);
    } else {
        print_line(" is unset");
    }
}

int main(int argc, char **argv) {
    show_args(argc, argv);
    show_env("GREETING");
    show_env("WRUN_FIXTURE_UNSET");
    return argc == 3 ? 0 : 3;
}
