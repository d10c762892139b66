/* Every dlopen/dlsym/dlclose failure returns an error the program handles,
 * with a dlerror() text that says why; the process carries on. */
#include "dlfcn.h"
#include "wrt.h"

typedef int (*int_fn)(void);

static void expect_null(const char *what, void *p) {
    print_str(what);
    if (p) {
        print_line(": succeeded (WRONG)");
        return;
    }
    print_str(": ");
    print_line(dlerror());
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    void *ok = dlopen("libok.wasm", RTLD_NOW);
    int_fn value = (int_fn)dlsym(ok, "ok_value");
    print_str("libok ok_value() = ");
    print_int(value());
    print_char('\n');

    expect_null("missing library", dlopen("libnope.wasm", RTLD_NOW));
    expect_null("unknown flag", dlopen("libok.wasm", 0x40));
    expect_null("a path", dlopen("../dlopen-errors/libok.wasm", RTLD_NOW));
    expect_null("unresolved import", dlopen("libbroken.wasm", RTLD_NOW));
    expect_null("trapping constructor", dlopen("libctorfail.wasm", RTLD_NOW));
    expect_null("not loaded after its failure",
                dlopen("libctorfail.wasm", RTLD_NOW | RTLD_NOLOAD));
    expect_null("missing symbol", dlsym(ok, "no_such_symbol"));
    expect_null("missing in RTLD_DEFAULT", dlsym(RTLD_DEFAULT, "no_such_symbol"));
    print_str("dlclose of a bogus handle: ");
    print_int(dlclose((void *)0x3039));
    print_str(" (");
    print_str(dlerror());
    print_line(")");
    print_line(dlerror() ? "dlerror: still set (WRONG)" : "dlerror: none (cleared)");

    print_str("libok still works: ok_value() = ");
    print_int(value());
    print_char('\n');
    return 0;
}
