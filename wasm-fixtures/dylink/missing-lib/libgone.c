/* libgone: main.wasm is linked against this library (so its dylink.0 has
 * NEEDED libgone.wasm), then build.sh deletes libgone.wasm. */
int gone_value(void) { return 1; }
