/* libfrob: main.wasm is linked against the build with -DONE_ARG
 * (frob: (i32) -> i32); the shipped libfrob.wasm defines
 * frob: (i32, i32) -> i32. */
#ifdef ONE_ARG
int frob(int x) { return x + 1; }
#else
int frob(int x, int y) { return x + y; }
#endif
