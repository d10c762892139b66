/* matmul: C = A * B for n x n f64 matrices (i-k-j loop order).
 * Entries are small multiples of 1/4, so every product and partial sum is
 * exact in f64 and the checksum does not depend on rounding.
 * Checksum: sum over C[i][j] * ((i + 2*j) % 5 + 1), as an integer. */
#include "kernel.h"

EXPORT(run) i64 run(int n) {
    heap_reset();
    if (n <= 0)
        return 0;
    usize cells = (usize)n * (usize)n;
    double *a = heap_alloc(cells * sizeof(double));
    double *b = heap_alloc(cells * sizeof(double));
    double *c = heap_alloc(cells * sizeof(double));
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            a[i * n + j] = (double)((i * 7 + j * 3) % 17 - 5) * 0.25;
            b[i * n + j] = (double)((i * 5 + j * 11) % 13 - 4) * 0.5;
            c[i * n + j] = 0.0;
        }
    }
    for (int i = 0; i < n; i++) {
        double *ci = c + (usize)i * n;
        for (int k = 0; k < n; k++) {
            double aik = a[i * n + k];
            const double *bk = b + (usize)k * n;
            for (int j = 0; j < n; j++)
                ci[j] += aik * bk[j];
        }
    }
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            sum += c[i * n + j] * (double)((i + 2 * j) % 5 + 1);
    return (i64)sum;
}
