/* The "library" of benches/native/calls_bench.c: the same tiny `inc` as
 * benches/calls.rs's, in a shared object, so calls to it go through the PLT,
 * and one in a table of function pointers. */
__attribute__((noinline)) int lib_inc(int x) { return x + 1; }

int (*lib_inc_ptr(void))(int) { return lib_inc; }
