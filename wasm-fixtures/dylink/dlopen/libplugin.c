/* Opened at run time by main.c: data, .bss, a constructor and a destructor
 * (clang registers it with __cxa_atexit; it runs at the last dlclose). */
#include "wrt.h"

int plugin_counter;      /* .bss: zero on every fresh load */
int plugin_seed = 1234;  /* .data: re-initialised on every fresh load */
static int ctor_runs;

__attribute__((constructor)) static void plugin_init(void) {
    ctor_runs++;
    print_str("libplugin: constructor (seed=");
    print_int(plugin_seed);
    print_line(")");
}

__attribute__((destructor)) static void plugin_fini(void) {
    print_line("libplugin: destructor");
}

int plugin_add(int a, int b) { return a + b; }
int plugin_bump(void) { return ++plugin_counter; }
int plugin_ctor_runs(void) { return ctor_runs; }
