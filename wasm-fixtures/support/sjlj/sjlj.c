/* The runtime half of -mllvm -wasm-enable-sjlj (see setjmp.h). */
#include <setjmp.h>

typedef struct {
    void *func_invocation_id;
    unsigned label;
    struct sjlj_arg arg;
} jmp_buf_impl;

/* setjmp(env) in the function invocation `id`, at call site `label`. */
void __wasm_setjmp(void *env, unsigned label, void *id) {
    jmp_buf_impl *jb = env;
    jb->func_invocation_id = id;
    jb->label = label;
}

/* The label of the setjmp that filled `env`, if it was done by invocation
 * `id` (the one now catching); 0 means "not mine, pass it on". */
unsigned __wasm_setjmp_test(void *env, void *id) {
    jmp_buf_impl *jb = env;
    return jb->func_invocation_id == id ? jb->label : 0;
}

/* longjmp(env, val): throws __c_longjmp (tag 1 of clang's builtin) with a
 * pointer to {env, val}; setjmp then returns val (1 if val is 0). */
void __wasm_longjmp(void *env, int val) {
    jmp_buf_impl *jb = env;
    jb->arg.env = env;
    jb->arg.val = val == 0 ? 1 : val;
    __builtin_wasm_throw(1, &jb->arg);
}
