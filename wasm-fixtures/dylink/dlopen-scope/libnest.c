/* A library that itself calls dlopen (the main exports libdl). */
#include "dlfcn.h"
#include "wrt.h"
int nest_open(void) {
    void *h = dlopen("libinner.wasm", RTLD_NOW);
    if (!h)
        return -1;
    int (*inner)(void) = (int (*)(void))dlsym(h, "inner_value");
    return inner ? inner() : -2;
}
