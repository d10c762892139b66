/* setjmp/longjmp across a library boundary: each jump is a wasm exception
 * (tag __c_longjmp) thrown in one module and caught in the other. */
#include <setjmp.h>
#include "wrt.h"

typedef void (*callback)(void *env, int arg);
int guarded_call(callback fn, int arg);
int deep_escape(int depth);
void jump_to(void *env, int val);

static int returned_normally;

static void jump_back_doubled(void *env, int arg) { longjmp(env, arg * 2); }
static void do_nothing(void *env, int arg) {
    (void)env;
    (void)arg;
    returned_normally = 1;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    print_str("main -> lib setjmp, main longjmp: ");
    print_int(guarded_call(jump_back_doubled, 21));
    print_line("");
    print_str("no longjmp: ");
    print_int(guarded_call(do_nothing, 5));
    print_str(returned_normally ? " (callback returned)" : " (WRONG)");
    print_line("");
    print_str("longjmp out of 10000 frames in the lib: ");
    print_int(deep_escape(10000));
    print_line("");
    jmp_buf jb;
    int r = setjmp(jb);
    if (r == 0) {
        jump_to(jb, 99);
        print_line("WRONG: jump_to returned");
    }
    print_str("main setjmp, lib longjmp: ");
    print_int(r);
    print_line("");
    return 0;
}
