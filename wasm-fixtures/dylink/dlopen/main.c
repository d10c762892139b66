/* dlopen / dlsym / dlclose: the same handle and one constructor run for a
 * library opened twice, functions and data through dlsym, real unloading
 * at the last dlclose (destructor), fresh data when opened again, and
 * RTLD_NOLOAD. */
#include "dlfcn.h"
#include "wrt.h"

typedef int (*add_fn)(int, int);
typedef int (*int_fn)(void);

static void show(const char *label, long long v) {
    print_str(label);
    print_int(v);
    print_char('\n');
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    void *h = dlopen("libplugin.wasm", RTLD_NOW);
    if (!h) {
        print_line(dlerror());
        return 1;
    }
    add_fn add = (add_fn)dlsym(h, "plugin_add");
    int_fn bump = (int_fn)dlsym(h, "plugin_bump");
    int_fn runs = (int_fn)dlsym(h, "plugin_ctor_runs");
    int *counter = dlsym(h, "plugin_counter");
    int *seed = dlsym(h, "plugin_seed");
    show("plugin_add(3, 4) = ", add(3, 4));
    *counter = 41;
    show("plugin_bump() after *plugin_counter = 41: ", bump());
    show("plugin_seed = ", *seed);
    *seed = 99;

    void *again = dlopen("libplugin.wasm", RTLD_NOW);
    print_line(again == h ? "dlopen again: same handle" : "dlopen again: NEW HANDLE");
    show("constructor runs: ", runs());
    print_line(dlsym(RTLD_DEFAULT, "plugin_add") ? "RTLD_DEFAULT sees plugin_add (WRONG)"
                                                 : "RTLD_DEFAULT does not see plugin_add (RTLD_LOCAL)");
    show("first dlclose: ", dlclose(again));
    show("still loaded, plugin_bump() = ", bump());
    print_line("second dlclose:");
    show("  returned ", dlclose(h));
    print_line(dlopen("libplugin.wasm", RTLD_NOLOAD) ? "RTLD_NOLOAD: loaded (WRONG)"
                                                     : "RTLD_NOLOAD: not loaded");
    print_str("dlerror: ");
    print_line(dlerror());

    h = dlopen("libplugin.wasm", RTLD_LAZY);
    bump = (int_fn)dlsym(h, "plugin_bump");
    seed = dlsym(h, "plugin_seed");
    show("reopened: plugin_seed = ", *seed);
    show("reopened: plugin_bump() = ", bump());
    show("reopened: constructor runs = ", ((int_fn)dlsym(h, "plugin_ctor_runs"))());
    print_line(dlopen("libplugin.wasm", RTLD_NOLOAD) == h ? "RTLD_NOLOAD: same handle"
                                                          : "RTLD_NOLOAD: WRONG");
    dlclose(h);
    dlclose(h);
    print_line(dlerror() ? "dlerror after the extra dlclose: set" : "dlerror: none");
    print_line(dlerror() ? "dlerror: still set (WRONG)" : "dlerror again: none (cleared)");
    return 0;
}
