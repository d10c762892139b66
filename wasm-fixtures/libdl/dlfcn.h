/* dlfcn.h for wrun guests: dlopen/dlsym/dlclose/dlerror over the host
 * module "dyld" (see libdl.c and README.md "Run-time linking").  Flag
 * values are musl's (and wasi-libc's). */
#ifndef WRUN_DLFCN_H
#define WRUN_DLFCN_H

#define RTLD_LAZY 1
#define RTLD_NOW 2
#define RTLD_NOLOAD 4
#define RTLD_LOCAL 8
#define RTLD_GLOBAL 0x100
#define RTLD_NODELETE 0x1000

/* dlsym(RTLD_DEFAULT, name) searches the process's global scope. */
#define RTLD_DEFAULT ((void *)0)

void *dlopen(const char *name, int flags);
void *dlsym(void *handle, const char *name);
int dlclose(void *handle);
char *dlerror(void);

#endif
