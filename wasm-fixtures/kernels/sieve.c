/* sieve: Sieve of Eratosthenes over [0, n).
 * Checksum: (number of primes below n) * 2^40 + (sum of those primes mod 2^40). */
#include "kernel.h"

EXPORT(run) i64 run(int n) {
    heap_reset();
    if (n < 2)
        return 0;
    u8 *composite = heap_alloc((usize)n);
    for (int i = 0; i < n; i++)
        composite[i] = 0;
    for (int i = 2; (i64)i * i < n; i++) {
        if (composite[i])
            continue;
        for (int j = i * i; j < n; j += i)
            composite[j] = 1;
    }
    u64 count = 0, sum = 0;
    for (int i = 2; i < n; i++) {
        if (!composite[i]) {
            count++;
            sum += (u64)i;
        }
    }
    return (i64)((count << 40) + (sum & ((1ull << 40) - 1)));
}
