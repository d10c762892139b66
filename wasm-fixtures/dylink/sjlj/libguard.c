/* setjmp in a library, longjmp from the main (and from here). */
#include <setjmp.h>

typedef void (*callback)(void *env, int arg);

/* Calls fn(env, arg); returns what a longjmp to env carried, or 0. */
int guarded_call(callback fn, int arg) {
    jmp_buf jb;
    int r = setjmp(jb);
    if (r == 0) {
        fn(jb, arg);
        return 0;
    }
    return r;
}

/* Recurses `depth` times, then longjmps out of all of it at once. */
static int descend(void *env, int depth) {
    if (depth == 0)
        longjmp(env, 7);
    return descend(env, depth - 1) + 1;
}

int deep_escape(int depth) {
    jmp_buf jb;
    int r = setjmp(jb);
    if (r == 0)
        return descend(jb, depth);
    return r * 1000 + depth;
}

/* longjmps to a jmp_buf of the caller (the main). */
void jump_to(void *env, int val) { longjmp(env, val); }
