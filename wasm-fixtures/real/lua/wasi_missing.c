/* ISO C functions Lua's os and io libraries call that wasi-libc does not
 * have: a sandbox has no shell and no temporary-file namespace, so each
 * fails the way the C standard allows. */
#include <errno.h>
#include <stdio.h>

int system(const char *command) { return command == NULL ? 0 : -1; }

char *tmpnam(char *s) {
    (void)s;
    return NULL;
}

FILE *tmpfile(void) {
    errno = ENOTSUP;
    return NULL;
}
