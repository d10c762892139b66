/* Native twin of wasm-fixtures/dylink/dlopen/libplugin.c (without output):
 * data, .bss, a constructor and a destructor. */
int plugin_counter;
int plugin_seed = 1234;
static int ctor_runs;
__attribute__((constructor)) static void plugin_init(void) { ctor_runs++; }
__attribute__((destructor)) static void plugin_fini(void) { ctor_runs += 0; }
int plugin_add(int a, int b) { return a + b; }
int plugin_bump(void) { return ++plugin_counter; }
int plugin_ctor_runs(void) { return ctor_runs; }
