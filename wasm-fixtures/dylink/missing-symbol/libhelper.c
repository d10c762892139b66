/* libhelper: main.wasm is linked against a build with -DWITH_MISSING
 * (which defines helper_missing); the shipped libhelper.wasm is built
 * without it. */
int helper_present(int x) { return x + 1; }

#ifdef WITH_MISSING
int helper_missing(int x) { return x * 2; }
#endif
