/* qsort: n xorshift-generated i32 values sorted by our own generic
 * quicksort (median-of-three, insertion sort for short ranges, recursion
 * on the smaller half) through a comparison function pointer, like libc
 * qsort.  Checksum: sum of a[i] * (i + 1) (mod 2^64), or -1 if the result
 * is not sorted. */
#include "kernel.h"

typedef int (*cmp_fn)(const void *, const void *);

static void swap_bytes(u8 *a, u8 *b, usize size) {
    while (size--) {
        u8 t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

static void insertion_sort(u8 *base, usize count, usize size, cmp_fn cmp) {
    for (usize i = 1; i < count; i++)
        for (usize j = i; j > 0 && cmp(base + (j - 1) * size, base + j * size) > 0; j--)
            swap_bytes(base + (j - 1) * size, base + j * size, size);
}

static void my_qsort(void *array, usize count, usize size, cmp_fn cmp) {
    u8 *base = array;
    while (count > 16) {
        u8 *lo = base, *mid = base + (count / 2) * size, *hi = base + (count - 1) * size;
        /* median of three into mid, then park the pivot at lo */
        if (cmp(mid, lo) < 0)
            swap_bytes(mid, lo, size);
        if (cmp(hi, mid) < 0) {
            swap_bytes(hi, mid, size);
            if (cmp(mid, lo) < 0)
                swap_bytes(mid, lo, size);
        }
        swap_bytes(lo, mid, size);
        /* Hoare partition around the pivot at lo */
        usize i = 0, j = count;
        for (;;) {
            do
                i++;
            while (i < count && cmp(base + i * size, lo) < 0);
            do
                j--;
            while (cmp(base + j * size, lo) > 0);
            if (i >= j)
                break;
            swap_bytes(base + i * size, base + j * size, size);
        }
        swap_bytes(lo, base + j * size, size);
        usize left = j, right = count - j - 1;
        if (left < right) {
            my_qsort(base, left, size, cmp);
            base += (j + 1) * size;
            count = right;
        } else {
            my_qsort(base + (j + 1) * size, right, size, cmp);
            count = left;
        }
    }
    insertion_sort(base, count, size, cmp);
}

static int compare_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

EXPORT(run) i64 run(int n) {
    heap_reset();
    if (n <= 0)
        return 0;
    int *a = heap_alloc((usize)n * sizeof(int));
    u64 state = 0x0123456789ABCDEFull;
    for (int i = 0; i < n; i++)
        a[i] = (int)(rng_next(&state) >> 32);
    /* read the comparator through a volatile so the calls stay indirect
     * (call_indirect) instead of being inlined into my_qsort */
    static cmp_fn volatile comparator = compare_int;
    my_qsort(a, (usize)n, sizeof(int), comparator);
    u64 sum = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && a[i - 1] > a[i])
            return -1;
        sum += (u64)(i64)a[i] * (u64)(i + 1);
    }
    return (i64)sum;
}
