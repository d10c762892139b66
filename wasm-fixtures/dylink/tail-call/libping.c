/* ping/pong split over a library and the main, each tail-calling the other
 * (clang -mtail-call, musttail): ten million steps in constant stack. */
int pong(long n);

int ping(long n) {
    if (n == 0)
        return 1;
    __attribute__((musttail)) return pong(n - 1);
}
