/* compile-bench: a freestanding C program used to measure compile
 * throughput.  Everything here is real, tested code; main.c runs the
 * self-tests and exports entry points.
 *
 * Modules:
 *   mem.c    memory primitives, arena allocator, free-list heap
 *   str.c    string routines, string builder, formatting, UTF-8
 *   hash.c   hash functions, string->i64 hash map, integer set
 *   sort.c   insertion/shell/heap/merge/quick/radix sorts, searching
 *   json.c   JSON parser, serializer, path queries, deep equality
 *   regex.c  backtracking regular-expression engine
 *   expr.c   "calc": lexer, Pratt parser and tree-walking interpreter
 *   bigint.c arbitrary-precision unsigned integers
 *   main.c   self-tests and exported entry points
 */
#ifndef CB_H
#define CB_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char i8;
typedef int i32;
typedef long long i64;
typedef unsigned long usize;
typedef int bool;
#define true 1
#define false 0
#define NULL ((void *)0)

#define CB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define CB_MIN(a, b) ((a) < (b) ? (a) : (b))
#define CB_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- mem.c ---- */
void *cb_memcpy(void *dst, const void *src, usize n);
void *cb_memmove(void *dst, const void *src, usize n);
void *cb_memset(void *dst, int c, usize n);
int cb_memcmp(const void *a, const void *b, usize n);
void cb_heap_init(void);
void *cb_alloc(usize size);
void *cb_calloc(usize count, usize size);
void *cb_realloc(void *ptr, usize size);
void cb_free(void *ptr);
usize cb_heap_in_use(void);

typedef struct cb_arena {
    u8 *base;
    usize used;
    usize cap;
    struct cb_arena *next;
} cb_arena;
void cb_arena_init(cb_arena *a, usize cap);
void *cb_arena_alloc(cb_arena *a, usize size);
char *cb_arena_strdup(cb_arena *a, const char *s, usize len);
void cb_arena_free(cb_arena *a);

/* ---- str.c ---- */
usize cb_strlen(const char *s);
int cb_strcmp(const char *a, const char *b);
int cb_strncmp(const char *a, const char *b, usize n);
char *cb_strchr(const char *s, int c);
char *cb_strrchr(const char *s, int c);
char *cb_strstr(const char *hay, const char *needle);
char *cb_strdup(const char *s);
char *cb_strndup(const char *s, usize n);
int cb_isdigit(int c);
int cb_isalpha(int c);
int cb_isalnum(int c);
int cb_isspace(int c);
int cb_tolower(int c);
int cb_toupper(int c);
i64 cb_atoi(const char *s, const char **end);
int cb_utoa(u64 v, unsigned base, char *out);
int cb_itoa(i64 v, char *out);
void cb_str_reverse(char *s, usize n);
usize cb_str_trim(char *s);
int cb_str_split(const char *s, char sep, char **parts, int max_parts);
void cb_str_upper(char *s);
int cb_str_replace(const char *s, const char *from, const char *to, char *out, usize cap);
int cb_utf8_decode(const char *s, usize len, u32 *cp);
int cb_utf8_encode(u32 cp, char *out);
bool cb_utf8_valid(const char *s, usize len);
usize cb_utf8_count(const char *s, usize len);
int cb_levenshtein(const char *a, const char *b);

typedef struct {
    char *data;
    usize len;
    usize cap;
} cb_sb;
void cb_sb_init(cb_sb *sb);
void cb_sb_free(cb_sb *sb);
void cb_sb_putc(cb_sb *sb, char c);
void cb_sb_puts(cb_sb *sb, const char *s);
void cb_sb_putn(cb_sb *sb, const char *s, usize n);
void cb_sb_int(cb_sb *sb, i64 v);
void cb_sb_hex(cb_sb *sb, u64 v);
void cb_sb_fmt(cb_sb *sb, const char *fmt, ...);
const char *cb_sb_cstr(cb_sb *sb);

/* ---- hash.c ---- */
u32 cb_fnv1a32(const void *data, usize len);
u64 cb_fnv1a64(const void *data, usize len);
u32 cb_murmur3_32(const void *data, usize len, u32 seed);
u64 cb_mix64(u64 x);

typedef struct {
    char *key;
    i64 value;
    u32 hash;
    u8 state; /* 0 empty, 1 used, 2 deleted */
} cb_map_slot;
typedef struct {
    cb_map_slot *slots;
    usize cap;
    usize count;
    usize tombstones;
} cb_map;
void cb_map_init(cb_map *m);
void cb_map_free(cb_map *m);
void cb_map_put(cb_map *m, const char *key, i64 value);
bool cb_map_get(const cb_map *m, const char *key, i64 *value);
bool cb_map_remove(cb_map *m, const char *key);
i64 *cb_map_ref(cb_map *m, const char *key); /* insert 0 if missing */
typedef struct {
    const cb_map *map;
    usize index;
} cb_map_iter;
bool cb_map_next(cb_map_iter *it, const char **key, i64 *value);

typedef struct {
    u32 *keys;
    usize cap;
    usize count;
} cb_intset;
void cb_intset_init(cb_intset *s);
void cb_intset_free(cb_intset *s);
bool cb_intset_add(cb_intset *s, u32 key); /* false if present */
bool cb_intset_has(const cb_intset *s, u32 key);

/* ---- sort.c ---- */
typedef int (*cb_cmp)(const void *a, const void *b, void *ctx);
void cb_insertion_sort(void *base, usize n, usize size, cb_cmp cmp, void *ctx);
void cb_shell_sort(void *base, usize n, usize size, cb_cmp cmp, void *ctx);
void cb_heap_sort(void *base, usize n, usize size, cb_cmp cmp, void *ctx);
void cb_merge_sort(void *base, usize n, usize size, cb_cmp cmp, void *ctx);
void cb_quick_sort(void *base, usize n, usize size, cb_cmp cmp, void *ctx);
void cb_radix_sort_u32(u32 *a, usize n);
bool cb_is_sorted(const void *base, usize n, usize size, cb_cmp cmp, void *ctx);
i64 cb_lower_bound_i32(const i32 *a, usize n, i32 key);
void cb_nth_element_i32(i32 *a, usize n, usize k);
int cb_cmp_i32(const void *a, const void *b, void *ctx);
int cb_cmp_u32(const void *a, const void *b, void *ctx);
int cb_cmp_str(const void *a, const void *b, void *ctx);

/* ---- json.c ---- */
typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;
typedef struct json_value json_value;
struct json_value {
    json_type type;
    union {
        bool boolean;
        struct {
            i64 integer;
            double number;
            bool is_integer;
        } num;
        struct {
            char *chars;
            usize len;
        } str;
        struct {
            json_value **items;
            usize count;
        } arr;
        struct {
            char **keys;
            json_value **values;
            usize count;
        } obj;
    } u;
};
typedef struct {
    const char *message;
    usize offset;
    int line;
    int column;
} json_error;
json_value *json_parse(cb_arena *arena, const char *text, usize len, json_error *err);
void json_serialize(const json_value *v, cb_sb *out, int indent);
const json_value *json_get(const json_value *obj, const char *key);
const json_value *json_path(const json_value *root, const char *path);
bool json_equal(const json_value *a, const json_value *b);
usize json_count_nodes(const json_value *v);
json_value *json_copy(cb_arena *arena, const json_value *v);

/* ---- regex.c ---- */
typedef struct cb_regex cb_regex;
cb_regex *cb_regex_compile(const char *pattern, const char **error);
void cb_regex_free(cb_regex *re);
/* returns match start or -1; *match_len receives the length */
int cb_regex_search(const cb_regex *re, const char *text, int *match_len);
bool cb_regex_full_match(const cb_regex *re, const char *text);
int cb_regex_count(const cb_regex *re, const char *text);
int cb_regex_group(const cb_regex *re, int group, int *start, int *len);

/* ---- expr.c ---- */
typedef struct calc_result {
    bool ok;
    i64 value;
    char output[512];
    char error[128];
} calc_result;
void calc_run(const char *source, calc_result *result);

/* ---- bigint.c ---- */
typedef struct {
    u32 *limbs; /* little-endian base 2^32 */
    usize len;
    usize cap;
} cb_bigint;
void cb_big_init(cb_bigint *b, u64 v);
void cb_big_free(cb_bigint *b);
void cb_big_copy(cb_bigint *dst, const cb_bigint *src);
void cb_big_add(cb_bigint *r, const cb_bigint *a, const cb_bigint *b);
void cb_big_sub(cb_bigint *r, const cb_bigint *a, const cb_bigint *b); /* a >= b */
void cb_big_mul(cb_bigint *r, const cb_bigint *a, const cb_bigint *b);
void cb_big_mul_small(cb_bigint *b, u32 m);
u32 cb_big_divmod_small(cb_bigint *b, u32 d);
int cb_big_cmp(const cb_bigint *a, const cb_bigint *b);
bool cb_big_is_zero(const cb_bigint *b);
void cb_big_to_string(const cb_bigint *b, cb_sb *out);
void cb_big_from_string(cb_bigint *b, const char *s);
void cb_big_pow(cb_bigint *r, u32 base, u32 exp);
void cb_big_factorial(cb_bigint *r, u32 n);
void cb_big_fib(cb_bigint *r, u32 n);
u32 cb_big_digit_sum(const cb_bigint *b);

/* ---- main.c ---- */
typedef struct {
    int failures;
    int checks;
    u32 checksum;
} cb_test_state;
void cb_check(cb_test_state *t, bool cond);
void cb_check_str(cb_test_state *t, const char *got, const char *want);
void cb_check_int(cb_test_state *t, i64 got, i64 want);
void cb_checksum_add(cb_test_state *t, const void *data, usize len);
void test_str(cb_test_state *t);
void test_hash(cb_test_state *t);
void test_sort(cb_test_state *t, u32 seed);
void test_json(cb_test_state *t);
void test_regex(cb_test_state *t);
void test_calc(cb_test_state *t);
void test_bigint(cb_test_state *t);
u64 cb_rand(u64 *state);

#endif
