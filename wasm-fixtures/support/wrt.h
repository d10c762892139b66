/* wrt: a tiny freestanding runtime for the wasm-fixtures PIE programs.
 *
 * It has no dependency on any libc.  A PIE main links wrt.c statically
 * (compiled with -fPIC into the main module) and exports every default
 * visibility symbol (wasm-ld --export-dynamic), so shared libraries simply
 * declare these functions (by including this header) and import them from
 * the "env" module; the dynamic linker resolves them against the main.
 */
#ifndef WRT_H
#define WRT_H

typedef unsigned long wrt_size_t;
typedef __UINT32_TYPE__ wrt_u32;
typedef __UINT64_TYPE__ wrt_u64;

#ifndef NULL
#define NULL ((void *)0)
#endif

/* output (fd 1 = stdout, 2 = stderr); all output is unbuffered */
void wrt_write(int fd, const void *buf, wrt_size_t len);
void print_str(const char *s);
void print_char(char c);
void print_int(long long v);          /* signed decimal */
void print_uint(unsigned long long v);/* unsigned decimal */
void print_hex(unsigned long long v); /* 0x-prefixed lower-case hex */
void print_line(const char *s);       /* s followed by '\n' */
void eprint_str(const char *s);       /* to stderr */

/* memory and strings */
wrt_size_t wrt_strlen(const char *s);
int wrt_strcmp(const char *a, const char *b);
int wrt_strncmp(const char *a, const char *b, wrt_size_t n);
void *memcpy(void *dst, const void *src, wrt_size_t n);
void *memset(void *dst, int c, wrt_size_t n);
void *memmove(void *dst, const void *src, wrt_size_t n);
int memcmp(const void *a, const void *b, wrt_size_t n);

/* process */
_Noreturn void wrt_exit(int status);
const char *wrt_getenv(const char *name); /* NULL if unset */

/* The program defines: int main(int argc, char **argv);
 * wrt's _start collects argv/environ through WASI, runs the module's
 * constructors (__wasm_call_ctors), calls main and exits with its result
 * through proc_exit. */

#endif
