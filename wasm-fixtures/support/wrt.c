/* wrt: freestanding helper runtime for PIE fixtures.  See wrt.h. */
#include "wrt.h"

#define WASI(name) \
    __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

typedef struct {
    const void *buf;
    wrt_size_t len;
} wasi_ciovec;

WASI(fd_write) int wasi_fd_write(int fd, const wasi_ciovec *iovs, int iovs_len, wrt_size_t *nwritten);
WASI(proc_exit) _Noreturn void wasi_proc_exit(int code);
WASI(args_sizes_get) int wasi_args_sizes_get(wrt_size_t *argc, wrt_size_t *buf_size);
WASI(args_get) int wasi_args_get(char **argv, char *buf);
WASI(environ_sizes_get) int wasi_environ_sizes_get(wrt_size_t *count, wrt_size_t *buf_size);
WASI(environ_get) int wasi_environ_get(char **env, char *buf);

void wrt_write(int fd, const void *buf, wrt_size_t len) {
    const char *p = buf;
    while (len > 0) {
        wasi_ciovec iov = {p, len};
        wrt_size_t done = 0;
        if (wasi_fd_write(fd, &iov, 1, &done) != 0 || done == 0)
            return;
        p += done;
        len -= done;
    }
}

wrt_size_t wrt_strlen(const char *s) {
    const char *p = s;
    while (*p)
        p++;
    return (wrt_size_t)(p - s);
}

int wrt_strcmp(const char *a, const char *b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int wrt_strncmp(const char *a, const char *b, wrt_size_t n) {
    for (; n > 0; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (*a == 0)
            return 0;
    }
    return 0;
}

/* The byte loops below must not be turned back into calls to themselves. */
#define NO_BUILTIN __attribute__((no_builtin))

NO_BUILTIN void *memcpy(void *dst, const void *src, wrt_size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

NO_BUILTIN void *memmove(void *dst, const void *src, wrt_size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

NO_BUILTIN void *memset(void *dst, int c, wrt_size_t n) {
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

NO_BUILTIN int memcmp(const void *a, const void *b, wrt_size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n > 0; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

void print_str(const char *s) { wrt_write(1, s, wrt_strlen(s)); }
void eprint_str(const char *s) { wrt_write(2, s, wrt_strlen(s)); }
void print_char(char c) { wrt_write(1, &c, 1); }

void print_line(const char *s) {
    print_str(s);
    print_char('\n');
}

void print_uint(unsigned long long v) {
    char buf[24];
    int i = sizeof buf;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    wrt_write(1, buf + i, sizeof buf - i);
}

void print_int(long long v) {
    if (v < 0) {
        print_char('-');
        /* negate in unsigned arithmetic so LLONG_MIN works */
        print_uint(0ULL - (unsigned long long)v);
    } else {
        print_uint((unsigned long long)v);
    }
}

void print_hex(unsigned long long v) {
    static const char digits[] = "0123456789abcdef";
    char buf[18];
    int i = sizeof buf;
    do {
        buf[--i] = digits[v & 15];
        v >>= 4;
    } while (v);
    buf[--i] = 'x';
    buf[--i] = '0';
    wrt_write(1, buf + i, sizeof buf - i);
}

_Noreturn void wrt_exit(int status) { wasi_proc_exit(status); }

/* argv / environ storage: fixed static buffers keep wrt allocation free. */
#define WRT_MAX_ARGS 64
#define WRT_MAX_ENVS 64
#define WRT_STRBUF 4096

static char *wrt_argv[WRT_MAX_ARGS + 1];
static char wrt_argbuf[WRT_STRBUF];
static char *wrt_envp[WRT_MAX_ENVS + 1];
static char wrt_envbuf[WRT_STRBUF];
static int wrt_envc;

const char *wrt_getenv(const char *name) {
    wrt_size_t n = wrt_strlen(name);
    for (int i = 0; i < wrt_envc; i++) {
        const char *e = wrt_envp[i];
        if (wrt_strncmp(e, name, n) == 0 && e[n] == '=')
            return e + n + 1;
    }
    return NULL;
}

static void wrt_fail(const char *msg) {
    eprint_str("wrt: ");
    eprint_str(msg);
    eprint_str("\n");
    wasi_proc_exit(71);
}

/* Provided by wasm-ld: runs this module's constructors.  Because _start
 * references it, wasm-ld does not export it from the main module; the
 * runtime only calls __wasm_apply_data_relocs and then _start. */
void __wasm_call_ctors(void);
int __main_argc_argv(int argc, char **argv); /* clang's name for main(int, char **) */

void _start(void) {
    wrt_size_t argc = 0, argsz = 0, envc = 0, envsz = 0;
    if (wasi_args_sizes_get(&argc, &argsz) != 0)
        wrt_fail("args_sizes_get failed");
    if (argc > WRT_MAX_ARGS || argsz > WRT_STRBUF)
        wrt_fail("too many arguments");
    if (wasi_args_get(wrt_argv, wrt_argbuf) != 0)
        wrt_fail("args_get failed");
    wrt_argv[argc] = NULL;
    if (wasi_environ_sizes_get(&envc, &envsz) != 0)
        wrt_fail("environ_sizes_get failed");
    if (envc > WRT_MAX_ENVS || envsz > WRT_STRBUF)
        wrt_fail("environment too large");
    if (wasi_environ_get(wrt_envp, wrt_envbuf) != 0)
        wrt_fail("environ_get failed");
    wrt_envp[envc] = NULL;
    wrt_envc = (int)envc;

    __wasm_call_ctors();
    int status = __main_argc_argv((int)argc, wrt_argv);
    wasi_proc_exit(status);
}
