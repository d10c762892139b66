/* glibc dlopen+dlclose and dlsym of benches/native/libplugin.so: medians of
 * many timed repetitions, printed as "name median_ns". */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "timing.h"

int main(int argc, char **argv) {
    const char *lib = argc > 1 ? argv[1] : "./libplugin.so";
    enum { N = 2001, INNER = 1000 };
    static double t[N];
    for (int i = 0; i < N; i++) {
        double s = now_ns();
        void *h = dlopen(lib, RTLD_NOW);
        if (!h || dlclose(h)) {
            fprintf(stderr, "%s\n", dlerror());
            return 1;
        }
        t[i] = now_ns() - s;
    }
    printf("native/dlopen+dlclose %.0f\n", median(t, N));
    void *h = dlopen(lib, RTLD_NOW);
    for (int i = 0; i < N; i++) {
        double s = now_ns();
        for (int j = 0; j < INNER; j++)
            if (!dlsym(h, "plugin_add"))
                return 1;
        t[i] = (now_ns() - s) / INNER;
    }
    printf("native/dlsym/func %.1f\n", median(t, N));
    for (int i = 0; i < N; i++) {
        double s = now_ns();
        for (int j = 0; j < INNER; j++)
            if (!dlsym(h, "plugin_seed"))
                return 1;
        t[i] = (now_ns() - s) / INNER;
    }
    printf("native/dlsym/data %.1f\n", median(t, N));
    dlclose(h);
    return 0;
}
