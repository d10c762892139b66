/* A function pointer into a library that dlclose unloaded must not run its
 * code: the call traps (its table slot was cleared). */
#include "dlfcn.h"
#include "wrt.h"

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    void *h = dlopen("libshort.wasm", RTLD_NOW);
    int (*f)(void) = (int (*)(void))dlsym(h, "short_lived");
    print_str("before dlclose: ");
    print_int(f());
    print_char('\n');
    dlclose(h);
    print_line("calling the stale pointer:");
    return f();
}
