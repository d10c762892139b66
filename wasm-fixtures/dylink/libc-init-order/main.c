/* A non-PIE main carrying wasi-libc that exports __wasm_call_ctors and its
 * entry (__original_main): wrun then initialises it (libc, preopens) before
 * the libraries' constructors, and calls the entry itself instead of
 * _start, so no constructor runs twice. */
#include <stdio.h>

const char *reader_line(void);

static int main_ctor_runs;

__attribute__((constructor)) static void main_init(void) {
    main_ctor_runs++;
    printf("main: constructor (run %d)\n", main_ctor_runs);
}

int main(void) {
    printf("main: the library read \"%s\"\n", reader_line());
    printf("main: my constructor ran %d time(s)\n", main_ctor_runs);
    return 3;
}
