/* Opens, uses and closes a library with 1 MiB of data N times (argv[1],
 * default 1000): each load runs its constructor once and sees fresh data.
 * The Rust test also calls cycles() directly and checks that memory and
 * table stop growing after the first cycle. */
#include "dlfcn.h"
#include "wrt.h"

int big_ctor_runs;

/* Returns the number of cycles whose data did not look fresh (or -1). */
int cycles(int n) {
    int bad = 0;
    for (int i = 0; i < n; i++) {
        void *h = dlopen("libbig.wasm", RTLD_NOW);
        if (!h)
            return -1;
        int (*check)(void) = (int (*)(void))dlsym(h, "check_and_dirty");
        if (!check || check() != 0)
            bad++;
        if (dlclose(h) != 0)
            return -1;
    }
    return bad;
}

int main(int argc, char **argv) {
    int n = 1000;
    if (argc > 1) {
        n = 0;
        for (const char *p = argv[1]; *p; p++)
            n = n * 10 + (*p - '0');
    }
    int bad = cycles(n);
    print_str("cycles: ");
    print_int(n);
    print_str(", constructor runs: ");
    print_int(big_ctor_runs);
    print_str(", stale data: ");
    print_int(bad);
    print_char('\n');
    return bad != 0;
}
