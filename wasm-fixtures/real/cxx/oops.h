/* What libthrow.so and the main share: the exception type and the API. */
struct Oops {
    int code;
};

extern "C" {
/* 2x, or throws Oops{-x} for a negative x. */
int risky(int x);
/* Calls back(x) with a guard whose destructor logs when unwinding passes
 * through libthrow; catches an Oops of 13 itself and rethrows the others. */
int through(int (*back)(int), int x);
/* Destructor runs logged by libthrow. */
int cleanups(void);
}
