/* _start for the non-PIE wasi-libc mains of the dylink fixtures
 * (nonpie-libc, files).  Link with -nostartfiles.
 *
 * Why not wasi-libc's own crt1-command.o?  The wasi-libc shipped by Debian
 * is an older release whose _start does not call __wasm_call_ctors itself.
 * wasm-ld then treats the module as an "old-style command" and wraps EVERY
 * exported function (malloc, printf, ...) in a "<name>.command_export"
 * thunk that runs the constructors before and __wasm_call_dtors (stdio
 * flush/exit handling) after each call.  A side module calling the main's
 * malloc would run those thunks on every call.  Referencing
 * __wasm_call_ctors from our own _start tells wasm-ld that constructors are
 * handled, so no wrappers are generated.
 *
 * Contract with the runtime: the main's _start runs the main's own
 * constructors; the runtime must not call __wasm_call_ctors of the main
 * (it is not exported anyway).
 */
#include <stdlib.h>

void __wasm_call_ctors(void);
int __original_main(void); /* what clang calls a main(void) definition */

void _start(void) {
    __wasm_call_ctors();
    exit(__original_main()); /* exit() flushes stdio and calls proc_exit */
}
