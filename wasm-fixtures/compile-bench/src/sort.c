/* Generic sorting algorithms and searching. */
#include "cb.h"

static void swap_elems(u8 *a, u8 *b, usize size) {
    if (a == b)
        return;
    while (size >= 4) {
        u32 t;
        cb_memcpy(&t, a, 4);
        cb_memcpy(a, b, 4);
        cb_memcpy(b, &t, 4);
        a += 4;
        b += 4;
        size -= 4;
    }
    while (size--) {
        u8 t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

#define ELEM(base, i) ((u8 *)(base) + (usize)(i) * size)

void cb_insertion_sort(void *base, usize n, usize size, cb_cmp cmp, void *ctx) {
    u8 tmp[64];
    for (usize i = 1; i < n; i++) {
        if (cmp(ELEM(base, i - 1), ELEM(base, i), ctx) <= 0)
            continue;
        if (size <= sizeof tmp) {
            /* shift the sorted prefix right and drop the element in */
            cb_memcpy(tmp, ELEM(base, i), size);
            usize j = i;
            while (j > 0 && cmp(ELEM(base, j - 1), tmp, ctx) > 0) {
                cb_memcpy(ELEM(base, j), ELEM(base, j - 1), size);
                j--;
            }
            cb_memcpy(ELEM(base, j), tmp, size);
        } else {
            for (usize j = i; j > 0 && cmp(ELEM(base, j - 1), ELEM(base, j), ctx) > 0; j--)
                swap_elems(ELEM(base, j - 1), ELEM(base, j), size);
        }
    }
}

void cb_shell_sort(void *base, usize n, usize size, cb_cmp cmp, void *ctx) {
    /* Ciura's gap sequence, extended by x2.25 */
    static const usize gaps[] = {1, 4, 10, 23, 57, 132, 301, 701, 1577, 3548, 7983, 17961, 40412, 90927};
    int g = (int)CB_ARRAY_LEN(gaps) - 1;
    while (g > 0 && gaps[g] >= n)
        g--;
    for (; g >= 0; g--) {
        usize gap = gaps[g];
        for (usize i = gap; i < n; i++)
            for (usize j = i; j >= gap && cmp(ELEM(base, j - gap), ELEM(base, j), ctx) > 0; j -= gap)
                swap_elems(ELEM(base, j - gap), ELEM(base, j), size);
    }
}

static void sift_down(u8 *base, usize start, usize end, usize size, cb_cmp cmp, void *ctx) {
    usize root = start;
    for (;;) {
        usize child = 2 * root + 1;
        if (child >= end)
            return;
        if (child + 1 < end && cmp(ELEM(base, child), ELEM(base, child + 1), ctx) < 0)
            child++;
        if (cmp(ELEM(base, root), ELEM(base, child), ctx) >= 0)
            return;
        swap_elems(ELEM(base, root), ELEM(base, child), size);
        root = child;
    }
}

void cb_heap_sort(void *base, usize n, usize size, cb_cmp cmp, void *ctx) {
    if (n < 2)
        return;
    for (usize i = n / 2; i-- > 0;)
        sift_down(base, i, n, size, cmp, ctx);
    for (usize end = n - 1; end > 0; end--) {
        swap_elems(ELEM(base, 0), ELEM(base, end), size);
        sift_down(base, 0, end, size, cmp, ctx);
    }
}

static void merge_rec(u8 *a, u8 *tmp, usize n, usize size, cb_cmp cmp, void *ctx) {
    if (n <= 8) {
        cb_insertion_sort(a, n, size, cmp, ctx);
        return;
    }
    usize mid = n / 2;
    merge_rec(a, tmp, mid, size, cmp, ctx);
    merge_rec(ELEM(a, mid), tmp, n - mid, size, cmp, ctx);
    if (cmp(ELEM(a, mid - 1), ELEM(a, mid), ctx) <= 0)
        return; /* already in order */
    cb_memcpy(tmp, a, mid * size);
    usize i = 0, j = mid, k = 0;
    while (i < mid && j < n) {
        /* <= keeps the sort stable */
        if (cmp(ELEM(tmp, i), ELEM(a, j), ctx) <= 0)
            cb_memcpy(ELEM(a, k++), ELEM(tmp, i++), size);
        else
            cb_memcpy(ELEM(a, k++), ELEM(a, j++), size);
    }
    while (i < mid)
        cb_memcpy(ELEM(a, k++), ELEM(tmp, i++), size);
}

void cb_merge_sort(void *base, usize n, usize size, cb_cmp cmp, void *ctx) {
    if (n < 2)
        return;
    u8 *tmp = cb_alloc((n / 2 + 1) * size);
    merge_rec(base, tmp, n, size, cmp, ctx);
    cb_free(tmp);
}

static void quick_rec(u8 *base, usize n, usize size, cb_cmp cmp, void *ctx, int depth) {
    while (n > 12) {
        if (depth-- == 0) {
            cb_heap_sort(base, n, size, cmp, ctx); /* introsort fallback */
            return;
        }
        u8 *lo = base, *mid = ELEM(base, n / 2), *hi = ELEM(base, n - 1);
        if (cmp(mid, lo, ctx) < 0)
            swap_elems(mid, lo, size);
        if (cmp(hi, mid, ctx) < 0) {
            swap_elems(hi, mid, size);
            if (cmp(mid, lo, ctx) < 0)
                swap_elems(mid, lo, size);
        }
        swap_elems(lo, mid, size);
        usize i = 0, j = n;
        for (;;) {
            do
                i++;
            while (i < n && cmp(ELEM(base, i), lo, ctx) < 0);
            do
                j--;
            while (cmp(ELEM(base, j), lo, ctx) > 0);
            if (i >= j)
                break;
            swap_elems(ELEM(base, i), ELEM(base, j), size);
        }
        swap_elems(lo, ELEM(base, j), size);
        usize left = j, right = n - j - 1;
        if (left < right) {
            quick_rec(base, left, size, cmp, ctx, depth);
            base = ELEM(base, j + 1);
            n = right;
        } else {
            quick_rec(ELEM(base, j + 1), right, size, cmp, ctx, depth);
            n = left;
        }
    }
    cb_insertion_sort(base, n, size, cmp, ctx);
}

void cb_quick_sort(void *base, usize n, usize size, cb_cmp cmp, void *ctx) {
    int depth = 0;
    for (usize m = n; m > 1; m >>= 1)
        depth += 2;
    quick_rec(base, n, size, cmp, ctx, depth);
}

/* LSD radix sort, 8 bits per pass */
void cb_radix_sort_u32(u32 *a, usize n) {
    u32 *tmp = cb_alloc(n * sizeof(u32));
    usize counts[256];
    for (int shift = 0; shift < 32; shift += 8) {
        cb_memset(counts, 0, sizeof counts);
        for (usize i = 0; i < n; i++)
            counts[(a[i] >> shift) & 0xFF]++;
        usize total = 0;
        for (int b = 0; b < 256; b++) {
            usize c = counts[b];
            counts[b] = total;
            total += c;
        }
        for (usize i = 0; i < n; i++)
            tmp[counts[(a[i] >> shift) & 0xFF]++] = a[i];
        cb_memcpy(a, tmp, n * sizeof(u32));
    }
    cb_free(tmp);
}

bool cb_is_sorted(const void *base, usize n, usize size, cb_cmp cmp, void *ctx) {
    for (usize i = 1; i < n; i++)
        if (cmp(ELEM(base, i - 1), ELEM(base, i), ctx) > 0)
            return false;
    return true;
}

i64 cb_lower_bound_i32(const i32 *a, usize n, i32 key) {
    usize lo = 0, hi = n;
    while (lo < hi) {
        usize mid = lo + (hi - lo) / 2;
        if (a[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (i64)lo;
}

/* quickselect: afterwards a[k] is the k-th smallest */
void cb_nth_element_i32(i32 *a, usize n, usize k) {
    usize lo = 0, hi = n;
    while (hi - lo > 1) {
        i32 pivot = a[lo + (hi - lo) / 2];
        usize lt = lo, i = lo, gt = hi;
        /* three-way partition: [lo,lt) < pivot, [lt,gt) == pivot, [gt,hi) > pivot */
        while (i < gt) {
            if (a[i] < pivot) {
                i32 t = a[i];
                a[i++] = a[lt];
                a[lt++] = t;
            } else if (a[i] > pivot) {
                i32 t = a[i];
                a[i] = a[--gt];
                a[gt] = t;
            } else {
                i++;
            }
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return;
    }
}

int cb_cmp_i32(const void *a, const void *b, void *ctx) {
    (void)ctx;
    i32 x = *(const i32 *)a, y = *(const i32 *)b;
    return (x > y) - (x < y);
}

int cb_cmp_u32(const void *a, const void *b, void *ctx) {
    (void)ctx;
    u32 x = *(const u32 *)a, y = *(const u32 *)b;
    return (x > y) - (x < y);
}

int cb_cmp_str(const void *a, const void *b, void *ctx) {
    (void)ctx;
    return cb_strcmp(*(const char *const *)a, *(const char *const *)b);
}
