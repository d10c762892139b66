/* Memory primitives, a size-class heap and arenas. */
#include "cb.h"

void *cb_memcpy(void *dst, const void *src, usize n) {
    u8 *d = dst;
    const u8 *s = src;
    /* word-at-a-time when both are aligned */
    if ((((usize)d | (usize)s) & 3) == 0) {
        while (n >= 4) {
            *(u32 *)d = *(const u32 *)s;
            d += 4;
            s += 4;
            n -= 4;
        }
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *cb_memmove(void *dst, const void *src, usize n) {
    u8 *d = dst;
    const u8 *s = src;
    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return cb_memcpy(dst, src, n);
    d += n;
    s += n;
    while (n--)
        *--d = *--s;
    return dst;
}

void *cb_memset(void *dst, int c, usize n) {
    u8 *d = dst;
    u32 word = (u8)c;
    word |= word << 8;
    word |= word << 16;
    while (n > 0 && ((usize)d & 3)) {
        *d++ = (u8)c;
        n--;
    }
    while (n >= 4) {
        *(u32 *)d = word;
        d += 4;
        n -= 4;
    }
    while (n--)
        *d++ = (u8)c;
    return dst;
}

int cb_memcmp(const void *a, const void *b, usize n) {
    const u8 *x = a, *y = b;
    for (usize i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

#ifdef __wasm__
/* the compiler may emit calls to these */
__attribute__((no_builtin)) void *memcpy(void *dst, const void *src, usize n) {
    return cb_memcpy(dst, src, n);
}
__attribute__((no_builtin)) void *memmove(void *dst, const void *src, usize n) {
    return cb_memmove(dst, src, n);
}
__attribute__((no_builtin)) void *memset(void *dst, int c, usize n) { return cb_memset(dst, c, n); }
__attribute__((no_builtin)) int memcmp(const void *a, const void *b, usize n) {
    return cb_memcmp(a, b, n);
}

extern u8 __heap_base;

static u8 *raw_base;
static usize raw_used;

static void *raw_alloc(usize size) {
    if (!raw_base)
        raw_base = (u8 *)(((usize)&__heap_base + 15) & ~(usize)15);
    usize start = (usize)raw_base + raw_used;
    usize end = (start + size + 15) & ~(usize)15;
    usize have = __builtin_wasm_memory_size(0) * 65536ul;
    if (end > have) {
        usize pages = (end - have + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, pages) == (usize)-1)
            return NULL;
    }
    raw_used = end - (usize)raw_base;
    return (void *)start;
}
#else
/* native build (checking only): a static pool */
static u8 native_pool[64u << 20] __attribute__((aligned(16)));
static usize raw_used;
static void *raw_alloc(usize size) {
    usize start = raw_used;
    usize end = (start + size + 15) & ~(usize)15;
    if (end > sizeof native_pool)
        return NULL;
    raw_used = end;
    return native_pool + start;
}
#endif

/* ---- size-class heap ----
 * Every block has a 16-byte header holding its class.  Classes are powers
 * of two from 16 to 2^27 bytes of payload; freed blocks go on a per-class
 * free list and are reused. */
#define HEAP_CLASSES 24
#define HEAP_MIN_SHIFT 4

typedef struct heap_header {
    u32 cls;
    u32 magic;
    struct heap_header *next_free;
    u32 pad;
} heap_header;

#define HEAP_MAGIC_USED 0xA110C8EDu
#define HEAP_MAGIC_FREE 0xF4EEB10Cu

static heap_header *free_lists[HEAP_CLASSES];
static usize heap_in_use;

void cb_heap_init(void) {
    for (int i = 0; i < HEAP_CLASSES; i++)
        free_lists[i] = NULL;
    heap_in_use = 0;
}

static int size_class(usize size) {
    int cls = 0;
    usize cap = (usize)1 << HEAP_MIN_SHIFT;
    while (cap < size) {
        cap <<= 1;
        cls++;
    }
    return cls;
}

static usize class_size(int cls) { return (usize)1 << (cls + HEAP_MIN_SHIFT); }

void *cb_alloc(usize size) {
    if (size == 0)
        size = 1;
    int cls = size_class(size);
    if (cls >= HEAP_CLASSES)
        return NULL;
    heap_header *h = free_lists[cls];
    if (h) {
        free_lists[cls] = h->next_free;
    } else {
        h = raw_alloc(sizeof(heap_header) + class_size(cls));
        if (!h)
            return NULL;
        h->cls = (u32)cls;
    }
    h->magic = HEAP_MAGIC_USED;
    h->next_free = NULL;
    heap_in_use += class_size(cls);
    return h + 1;
}

void *cb_calloc(usize count, usize size) {
    usize total = count * size;
    if (size != 0 && total / size != count)
        return NULL;
    void *p = cb_alloc(total);
    if (p)
        cb_memset(p, 0, total);
    return p;
}

void cb_free(void *ptr) {
    if (!ptr)
        return;
    heap_header *h = (heap_header *)ptr - 1;
    if (h->magic != HEAP_MAGIC_USED)
        __builtin_trap(); /* double free or corruption */
    h->magic = HEAP_MAGIC_FREE;
    heap_in_use -= class_size((int)h->cls);
    h->next_free = free_lists[h->cls];
    free_lists[h->cls] = h;
}

void *cb_realloc(void *ptr, usize size) {
    if (!ptr)
        return cb_alloc(size);
    heap_header *h = (heap_header *)ptr - 1;
    usize have = class_size((int)h->cls);
    if (size <= have)
        return ptr;
    void *np = cb_alloc(size);
    if (!np)
        return NULL;
    cb_memcpy(np, ptr, have);
    cb_free(ptr);
    return np;
}

usize cb_heap_in_use(void) { return heap_in_use; }

/* ---- arenas: chained bump regions, freed all at once ---- */
void cb_arena_init(cb_arena *a, usize cap) {
    a->base = cb_alloc(cap);
    a->used = 0;
    a->cap = a->base ? cap : 0;
    a->next = NULL;
}

void *cb_arena_alloc(cb_arena *a, usize size) {
    size = (size + 7) & ~(usize)7;
    if (a->used + size > a->cap) {
        /* move the current region to a new chain node and start a fresh one */
        cb_arena *old = cb_alloc(sizeof(cb_arena));
        if (!old)
            return NULL;
        *old = *a;
        usize cap = a->cap * 2;
        if (cap < size * 2)
            cap = size * 2;
        a->base = cb_alloc(cap);
        if (!a->base)
            return NULL;
        a->cap = cap;
        a->used = 0;
        a->next = old;
    }
    void *p = a->base + a->used;
    a->used += size;
    return p;
}

char *cb_arena_strdup(cb_arena *a, const char *s, usize len) {
    char *p = cb_arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    cb_memcpy(p, s, len);
    p[len] = 0;
    return p;
}

void cb_arena_free(cb_arena *a) {
    cb_arena *node = a->next;
    cb_free(a->base);
    while (node) {
        cb_arena *next = node->next;
        cb_free(node->base);
        cb_free(node);
        node = next;
    }
    a->base = NULL;
    a->used = a->cap = 0;
    a->next = NULL;
}
