/* <setjmp.h> for C built with clang -mllvm -wasm-enable-sjlj (Debian's
 * wasi-libc has none; put this directory on the include path), which
 * turns them into wasm exceptions of the tag __c_longjmp (legacy exception
 * handling). The compiler emits calls to __wasm_setjmp, __wasm_setjmp_test
 * and __wasm_longjmp; sjlj.c defines them (the main exports them, libraries
 * import them). The tag is defined in the main (tag.s) and imported by the
 * libraries. */
#ifndef WRUN_SJLJ_SETJMP_H
#define WRUN_SJLJ_SETJMP_H

/* What longjmp throws: the jmp_buf and the value setjmp returns. */
struct sjlj_arg {
    void *env;
    int val;
};

/* Our jmp_buf: which function invocation called setjmp, the label the
 * compiler gave that setjmp call, and the thrown argument. */
typedef struct {
    void *func_invocation_id;
    unsigned label;
    struct sjlj_arg arg;
} jmp_buf[1];

int setjmp(jmp_buf env) __attribute__((returns_twice));
void longjmp(jmp_buf env, int val) __attribute__((noreturn));

#endif
