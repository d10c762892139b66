/* Arbitrary-precision unsigned integers (base 2^32 limbs). */
#include "cb.h"

static void big_reserve(cb_bigint *b, usize n) {
    if (b->cap >= n)
        return;
    usize cap = b->cap ? b->cap : 4;
    while (cap < n)
        cap *= 2;
    b->limbs = cb_realloc(b->limbs, cap * sizeof(u32));
    b->cap = cap;
}

static void big_trim(cb_bigint *b) {
    while (b->len > 0 && b->limbs[b->len - 1] == 0)
        b->len--;
}

void cb_big_init(cb_bigint *b, u64 v) {
    b->limbs = NULL;
    b->len = 0;
    b->cap = 0;
    big_reserve(b, 2);
    b->limbs[0] = (u32)v;
    b->limbs[1] = (u32)(v >> 32);
    b->len = 2;
    big_trim(b);
}

void cb_big_free(cb_bigint *b) {
    cb_free(b->limbs);
    b->limbs = NULL;
    b->len = b->cap = 0;
}

void cb_big_copy(cb_bigint *dst, const cb_bigint *src) {
    big_reserve(dst, src->len);
    if (src->len)
        cb_memcpy(dst->limbs, src->limbs, src->len * sizeof(u32));
    dst->len = src->len;
}

bool cb_big_is_zero(const cb_bigint *b) { return b->len == 0; }

int cb_big_cmp(const cb_bigint *a, const cb_bigint *b) {
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    for (usize i = a->len; i-- > 0;)
        if (a->limbs[i] != b->limbs[i])
            return a->limbs[i] < b->limbs[i] ? -1 : 1;
    return 0;
}

/* r may alias a or b */
void cb_big_add(cb_bigint *r, const cb_bigint *a, const cb_bigint *b) {
    usize n = CB_MAX(a->len, b->len);
    cb_bigint tmp = {NULL, 0, 0};
    big_reserve(&tmp, n + 1);
    u64 carry = 0;
    for (usize i = 0; i < n; i++) {
        u64 s = carry;
        if (i < a->len)
            s += a->limbs[i];
        if (i < b->len)
            s += b->limbs[i];
        tmp.limbs[i] = (u32)s;
        carry = s >> 32;
    }
    tmp.limbs[n] = (u32)carry;
    tmp.len = n + 1;
    big_trim(&tmp);
    cb_big_free(r);
    *r = tmp;
}

void cb_big_sub(cb_bigint *r, const cb_bigint *a, const cb_bigint *b) {
    cb_bigint tmp = {NULL, 0, 0};
    big_reserve(&tmp, a->len + 1);
    i64 borrow = 0;
    for (usize i = 0; i < a->len; i++) {
        i64 d = (i64)a->limbs[i] - borrow - (i < b->len ? (i64)b->limbs[i] : 0);
        borrow = d < 0;
        if (d < 0)
            d += (i64)1 << 32;
        tmp.limbs[i] = (u32)d;
    }
    tmp.len = a->len;
    big_trim(&tmp);
    cb_big_free(r);
    *r = tmp;
}

void cb_big_mul(cb_bigint *r, const cb_bigint *a, const cb_bigint *b) {
    cb_bigint tmp = {NULL, 0, 0};
    usize n = a->len + b->len;
    big_reserve(&tmp, n + 1);
    cb_memset(tmp.limbs, 0, (n + 1) * sizeof(u32));
    for (usize i = 0; i < a->len; i++) {
        u64 carry = 0;
        u64 ai = a->limbs[i];
        for (usize j = 0; j < b->len; j++) {
            u64 t = ai * b->limbs[j] + tmp.limbs[i + j] + carry;
            tmp.limbs[i + j] = (u32)t;
            carry = t >> 32;
        }
        usize k = i + b->len;
        while (carry) {
            u64 t = (u64)tmp.limbs[k] + carry;
            tmp.limbs[k++] = (u32)t;
            carry = t >> 32;
        }
    }
    tmp.len = n;
    big_trim(&tmp);
    cb_big_free(r);
    *r = tmp;
}

void cb_big_mul_small(cb_bigint *b, u32 m) {
    u64 carry = 0;
    for (usize i = 0; i < b->len; i++) {
        u64 t = (u64)b->limbs[i] * m + carry;
        b->limbs[i] = (u32)t;
        carry = t >> 32;
    }
    if (carry) {
        big_reserve(b, b->len + 1);
        b->limbs[b->len++] = (u32)carry;
    }
    big_trim(b);
}

static void big_add_small(cb_bigint *b, u32 v) {
    u64 carry = v;
    for (usize i = 0; i < b->len && carry; i++) {
        u64 t = (u64)b->limbs[i] + carry;
        b->limbs[i] = (u32)t;
        carry = t >> 32;
    }
    if (carry) {
        big_reserve(b, b->len + 1);
        b->limbs[b->len++] = (u32)carry;
    }
}

u32 cb_big_divmod_small(cb_bigint *b, u32 d) {
    u64 rem = 0;
    for (usize i = b->len; i-- > 0;) {
        u64 cur = (rem << 32) | b->limbs[i];
        b->limbs[i] = (u32)(cur / d);
        rem = cur % d;
    }
    big_trim(b);
    return (u32)rem;
}

void cb_big_to_string(const cb_bigint *b, cb_sb *out) {
    if (cb_big_is_zero(b)) {
        cb_sb_putc(out, '0');
        return;
    }
    cb_bigint t = {NULL, 0, 0};
    cb_big_copy(&t, b);
    /* peel off 9 decimal digits at a time */
    usize nchunks = 0, cap = 16;
    u32 *chunks = cb_alloc(cap * sizeof(u32));
    while (!cb_big_is_zero(&t)) {
        if (nchunks == cap) {
            cap *= 2;
            chunks = cb_realloc(chunks, cap * sizeof(u32));
        }
        chunks[nchunks++] = cb_big_divmod_small(&t, 1000000000u);
    }
    cb_sb_fmt(out, "%u", chunks[nchunks - 1]);
    for (usize i = nchunks - 1; i-- > 0;)
        cb_sb_fmt(out, "%09u", chunks[i]);
    cb_free(chunks);
    cb_big_free(&t);
}

void cb_big_from_string(cb_bigint *b, const char *s) {
    cb_big_free(b);
    cb_big_init(b, 0);
    for (; cb_isdigit(*s); s++) {
        cb_big_mul_small(b, 10);
        big_add_small(b, (u32)(*s - '0'));
    }
}

void cb_big_pow(cb_bigint *r, u32 base, u32 exp) {
    cb_bigint result, b;
    cb_big_init(&result, 1);
    cb_big_init(&b, base);
    while (exp) {
        if (exp & 1)
            cb_big_mul(&result, &result, &b);
        exp >>= 1;
        if (exp)
            cb_big_mul(&b, &b, &b);
    }
    cb_big_free(&b);
    cb_big_free(r);
    *r = result;
}

void cb_big_factorial(cb_bigint *r, u32 n) {
    cb_big_free(r);
    cb_big_init(r, 1);
    for (u32 i = 2; i <= n; i++)
        cb_big_mul_small(r, i);
}

void cb_big_fib(cb_bigint *r, u32 n) {
    cb_bigint a, b;
    cb_big_init(&a, 0);
    cb_big_init(&b, 1);
    for (u32 i = 0; i < n; i++) {
        cb_bigint t = {NULL, 0, 0};
        cb_big_add(&t, &a, &b);
        cb_big_free(&a);
        a = b;
        b = t;
    }
    cb_big_free(&b);
    cb_big_free(r);
    *r = a;
}

u32 cb_big_digit_sum(const cb_bigint *b) {
    cb_sb sb;
    cb_sb_init(&sb);
    cb_big_to_string(b, &sb);
    u32 sum = 0;
    for (usize i = 0; i < sb.len; i++)
        sum += (u32)(sb.data[i] - '0');
    cb_sb_free(&sb);
    return sum;
}
