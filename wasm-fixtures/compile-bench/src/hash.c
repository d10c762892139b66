/* Hash functions, an open-addressing string map and an integer set. */
#include "cb.h"

u32 cb_fnv1a32(const void *data, usize len) {
    const u8 *p = data;
    u32 h = 0x811C9DC5u;
    for (usize i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}

u64 cb_fnv1a64(const void *data, usize len) {
    const u8 *p = data;
    u64 h = 0xCBF29CE484222325ull;
    for (usize i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001B3ull;
    }
    return h;
}

static u32 rotl32(u32 x, int r) { return (x << r) | (x >> (32 - r)); }

u32 cb_murmur3_32(const void *data, usize len, u32 seed) {
    const u8 *p = data;
    u32 h = seed;
    const u32 c1 = 0xCC9E2D51u, c2 = 0x1B873593u;
    usize blocks = len / 4;
    for (usize i = 0; i < blocks; i++) {
        u32 k = (u32)p[4 * i] | (u32)p[4 * i + 1] << 8 | (u32)p[4 * i + 2] << 16 |
                (u32)p[4 * i + 3] << 24;
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5 + 0xE6546B64u;
    }
    const u8 *tail = p + blocks * 4;
    u32 k = 0;
    switch (len & 3) {
    case 3:
        k ^= (u32)tail[2] << 16;
        /* fall through */
    case 2:
        k ^= (u32)tail[1] << 8;
        /* fall through */
    case 1:
        k ^= tail[0];
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
    }
    h ^= (u32)len;
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

u64 cb_mix64(u64 x) {
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

/* ---- string -> i64 map: linear probing, tombstones, power-of-two capacity ---- */
#define SLOT_EMPTY 0
#define SLOT_USED 1
#define SLOT_DELETED 2

void cb_map_init(cb_map *m) {
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
    m->tombstones = 0;
}

void cb_map_free(cb_map *m) {
    for (usize i = 0; i < m->cap; i++)
        if (m->slots[i].state == SLOT_USED)
            cb_free(m->slots[i].key);
    cb_free(m->slots);
    cb_map_init(m);
}

static u32 key_hash(const char *key) { return cb_fnv1a32(key, cb_strlen(key)); }

/* index of key's slot, or of the slot to insert it into */
static usize map_find(const cb_map *m, const char *key, u32 hash, bool *found) {
    usize mask = m->cap - 1;
    usize i = hash & mask;
    usize first_deleted = (usize)-1;
    for (;;) {
        const cb_map_slot *s = &m->slots[i];
        if (s->state == SLOT_EMPTY) {
            *found = false;
            return first_deleted != (usize)-1 ? first_deleted : i;
        }
        if (s->state == SLOT_DELETED) {
            if (first_deleted == (usize)-1)
                first_deleted = i;
        } else if (s->hash == hash && cb_strcmp(s->key, key) == 0) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static void map_grow(cb_map *m) {
    usize old_cap = m->cap;
    cb_map_slot *old = m->slots;
    usize cap = old_cap ? old_cap * 2 : 16;
    /* if most of the load is tombstones, rehash at the same size */
    if (old_cap && m->count * 2 < old_cap)
        cap = old_cap;
    m->slots = cb_calloc(cap, sizeof(cb_map_slot));
    m->cap = cap;
    m->count = 0;
    m->tombstones = 0;
    for (usize i = 0; i < old_cap; i++) {
        if (old[i].state != SLOT_USED)
            continue;
        bool found;
        usize j = map_find(m, old[i].key, old[i].hash, &found);
        m->slots[j] = old[i];
        m->count++;
    }
    cb_free(old);
}

i64 *cb_map_ref(cb_map *m, const char *key) {
    if ((m->count + m->tombstones + 1) * 4 > m->cap * 3)
        map_grow(m);
    u32 h = key_hash(key);
    bool found;
    usize i = map_find(m, key, h, &found);
    cb_map_slot *s = &m->slots[i];
    if (!found) {
        if (s->state == SLOT_DELETED)
            m->tombstones--;
        s->key = cb_strdup(key);
        s->hash = h;
        s->value = 0;
        s->state = SLOT_USED;
        m->count++;
    }
    return &s->value;
}

void cb_map_put(cb_map *m, const char *key, i64 value) { *cb_map_ref(m, key) = value; }

bool cb_map_get(const cb_map *m, const char *key, i64 *value) {
    if (m->cap == 0)
        return false;
    bool found;
    usize i = map_find(m, key, key_hash(key), &found);
    if (found && value)
        *value = m->slots[i].value;
    return found;
}

bool cb_map_remove(cb_map *m, const char *key) {
    if (m->cap == 0)
        return false;
    bool found;
    usize i = map_find(m, key, key_hash(key), &found);
    if (!found)
        return false;
    cb_free(m->slots[i].key);
    m->slots[i].key = NULL;
    m->slots[i].state = SLOT_DELETED;
    m->count--;
    m->tombstones++;
    return true;
}

bool cb_map_next(cb_map_iter *it, const char **key, i64 *value) {
    while (it->index < it->map->cap) {
        const cb_map_slot *s = &it->map->slots[it->index++];
        if (s->state == SLOT_USED) {
            *key = s->key;
            *value = s->value;
            return true;
        }
    }
    return false;
}

/* ---- integer set: open addressing on u32 keys, 0xFFFFFFFF reserved ---- */
#define INTSET_EMPTY 0xFFFFFFFFu

void cb_intset_init(cb_intset *s) {
    s->keys = NULL;
    s->cap = 0;
    s->count = 0;
}

void cb_intset_free(cb_intset *s) {
    cb_free(s->keys);
    cb_intset_init(s);
}

static usize intset_slot(const cb_intset *s, u32 key) {
    usize mask = s->cap - 1;
    usize i = (usize)(cb_mix64(key) & mask);
    while (s->keys[i] != INTSET_EMPTY && s->keys[i] != key)
        i = (i + 1) & mask;
    return i;
}

bool cb_intset_add(cb_intset *s, u32 key) {
    if ((s->count + 1) * 2 > s->cap) {
        usize old_cap = s->cap;
        u32 *old = s->keys;
        s->cap = old_cap ? old_cap * 2 : 16;
        s->keys = cb_alloc(s->cap * sizeof(u32));
        cb_memset(s->keys, 0xFF, s->cap * sizeof(u32));
        for (usize i = 0; i < old_cap; i++)
            if (old[i] != INTSET_EMPTY)
                s->keys[intset_slot(s, old[i])] = old[i];
        cb_free(old);
    }
    usize i = intset_slot(s, key);
    if (s->keys[i] == key)
        return false;
    s->keys[i] = key;
    s->count++;
    return true;
}

bool cb_intset_has(const cb_intset *s, u32 key) {
    if (s->cap == 0)
        return false;
    return s->keys[intset_slot(s, key)] == key;
}
