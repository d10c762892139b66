/* NEEDED libraries of a dlopen'ed one, RTLD_LOCAL vs RTLD_GLOBAL, dlopen
 * from a library, and unloading in dependency order: a library used by
 * another loaded one stays until that one goes. */
#include "dlfcn.h"
#include "wrt.h"

typedef int (*int_fn)(void);

static void call(void *h, const char *name) {
    int_fn f = (int_fn)dlsym(h, name);
    print_str(name);
    print_str("() = ");
    if (f)
        print_int(f());
    else
        print_str(dlerror());
    print_char('\n');
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    void *outer = dlopen("libouter.wasm", RTLD_NOW);
    call(outer, "outer_value");
    call(outer, "inner_value"); /* found through libouter's NEEDED */
    print_line(dlsym(RTLD_DEFAULT, "outer_value") ? "global scope sees outer_value (WRONG)"
                                                  : "global scope does not see outer_value");

    print_line(dlopen("libuser.wasm", RTLD_NOW) ? "libuser loaded early (WRONG)"
                                                : "libuser before libglobal fails:");
    print_str("  ");
    print_line(dlerror());
    void *global = dlopen("libglobal.wasm", RTLD_NOW | RTLD_GLOBAL);
    void *user = dlopen("libuser.wasm", RTLD_NOW);
    call(user, "user_value");
    call(RTLD_DEFAULT, "global_helper");

    void *nest = dlopen("libnest.wasm", RTLD_NOW);
    call(nest, "nest_open"); /* opens libinner again: a second reference */

    print_line("dlclose(libouter):");
    dlclose(outer); /* libinner stays: libnest's dlopen still holds it */
    print_line("dlclose(libglobal):");
    dlclose(global); /* stays: libuser uses it */
    print_line("dlclose(libuser):");
    dlclose(user); /* libuser goes, then libglobal */
    print_line("dlclose(libnest):");
    dlclose(nest); /* its reference on libinner was never closed */
    call(RTLD_DEFAULT, "global_helper");
    print_line(dlopen("libinner.wasm", RTLD_NOLOAD) ? "libinner still loaded"
                                                    : "libinner unloaded (WRONG)");
    return 0;
}
