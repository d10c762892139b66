/* A small libdl over wrun's "dyld" host module (toywasm's ABI):
 *   load_object(name, len, flags, *handle) -> errno
 *   resolve_symbol(handle, symtype, name, len, *addr) -> errno
 *       symtype 1 = function (its table index), 2 = data (its address)
 *   close_object(handle) -> errno
 *   error_message(buf, len) -> full length of the last error (0: none; clears it)
 * Freestanding: no libc needed, so it links into a wrt PIE main, a libc
 * main or a side module alike. */
#include "dlfcn.h"

#define DYLD(name) __attribute__((import_module("dyld"), import_name(#name)))

DYLD(load_object) int __dyld_load_object(const char *, unsigned, unsigned, unsigned *);
DYLD(resolve_symbol)
int __dyld_resolve_symbol(unsigned, unsigned, const char *, unsigned, unsigned *);
DYLD(close_object) int __dyld_close_object(unsigned);
DYLD(error_message) unsigned __dyld_error_message(char *, unsigned);

static unsigned length(const char *s) {
    unsigned n = 0;
    while (s[n])
        n++;
    return n;
}

void *dlopen(const char *name, int flags) {
    unsigned handle = 0;
    if (!name || __dyld_load_object(name, length(name), (unsigned)flags, &handle))
        return 0;
    return (void *)handle;
}

void *dlsym(void *handle, const char *name) {
    unsigned value = 0, len = length(name);
    /* A function first, else data; the error of a failed first try is
     * dropped when the second succeeds, so dlerror() stays truthful. */
    if (__dyld_resolve_symbol((unsigned)handle, 1, name, len, &value) == 0)
        return (void *)value;
    if (__dyld_resolve_symbol((unsigned)handle, 2, name, len, &value) == 0) {
        __dyld_error_message(0, 0);
        return (void *)value;
    }
    return 0;
}

int dlclose(void *handle) { return __dyld_close_object((unsigned)handle) ? -1 : 0; }

char *dlerror(void) {
    static char text[256];
    unsigned n = __dyld_error_message(text, sizeof text - 1);
    if (n == 0)
        return 0;
    text[n < sizeof text - 1 ? n : sizeof text - 1] = 0;
    return text;
}
