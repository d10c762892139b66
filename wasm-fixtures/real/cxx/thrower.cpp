/* libthrow: a C++ side module that throws, and lets exceptions thrown by
 * its caller's callback pass through its frames (running destructors). */
#include "oops.h"

static int cleanup_count;

namespace {
struct Guard {
    ~Guard() { cleanup_count++; }
};
} // namespace

extern "C" int risky(int x) {
    if (x < 0)
        throw Oops{-x};
    return x * 2;
}

extern "C" int through(int (*back)(int), int x) {
    Guard guard;
    try {
        return back(x);
    } catch (const Oops &e) {
        if (e.code == 13)
            return -13;
        throw;
    }
}

extern "C" int cleanups(void) { return cleanup_count; }
