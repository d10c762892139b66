/* Self-tests for every module, and the exported entry points:
 *   selftest() -> i32      number of failed checks (0 expected)
 *   run(i32 n) -> i32      selftest plus n rounds of a mixed workload;
 *                          returns a checksum of everything computed */
#include "cb.h"

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(#name)))
#else
#define EXPORT(name)
#endif

u64 cb_rand(u64 *state) {
    u64 x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

void cb_checksum_add(cb_test_state *t, const void *data, usize len) {
    t->checksum = cb_murmur3_32(data, len, t->checksum);
}

void cb_check(cb_test_state *t, bool cond) {
    t->checks++;
    if (!cond)
        t->failures++;
}

void cb_check_str(cb_test_state *t, const char *got, const char *want) {
    cb_check(t, got && cb_strcmp(got, want) == 0);
    if (got)
        cb_checksum_add(t, got, cb_strlen(got));
}

void cb_check_int(cb_test_state *t, i64 got, i64 want) {
    cb_check(t, got == want);
    cb_checksum_add(t, &got, sizeof got);
}

/* ---- str ---- */
void test_str(cb_test_state *t) {
    cb_check_int(t, (i64)cb_strlen("hello"), 5);
    cb_check(t, cb_strcmp("abc", "abd") < 0);
    cb_check(t, cb_strncmp("abcdef", "abcxyz", 3) == 0);
    cb_check_str(t, cb_strstr("the quick brown fox", "brown"), "brown fox");
    cb_check_str(t, cb_strrchr("a/b/c", '/'), "/c");
    cb_check_int(t, cb_atoi("  -12345xyz", NULL), -12345);
    cb_check_int(t, cb_atoi("0x1F", NULL), 31);
    char buf[64];
    cb_itoa(-9876543210LL, buf);
    cb_check_str(t, buf, "-9876543210");
    cb_utoa(255, 2, buf);
    cb_check_str(t, buf, "11111111");
    char trim[] = "  \t padded text \n ";
    cb_str_trim(trim);
    cb_check_str(t, trim, "padded text");
    char *parts[8];
    int n = cb_str_split("a,bb,,ccc", ',', parts, 8);
    cb_check_int(t, n, 4);
    cb_check_str(t, parts[1], "bb");
    cb_check_str(t, parts[2], "");
    for (int i = 0; i < n; i++)
        cb_free(parts[i]);
    cb_check_int(t, cb_str_replace("one two one", "one", "three", buf, sizeof buf), 15);
    cb_check_str(t, buf, "three two three");
    char up[] = "MiXeD case 42";
    cb_str_upper(up);
    cb_check_str(t, up, "MIXED CASE 42");
    /* UTF-8: "héllo, 世界 🎉" */
    const char *u = "h\xc3\xa9llo, \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x8e\x89";
    cb_check(t, cb_utf8_valid(u, cb_strlen(u)));
    cb_check_int(t, (i64)cb_utf8_count(u, cb_strlen(u)), 11);
    cb_check(t, !cb_utf8_valid("\xc3\x28", 2));
    cb_check(t, !cb_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
    u32 cp = 0;
    cb_utf8_decode("\xf0\x9f\x8e\x89", 4, &cp);
    cb_check_int(t, cp, 0x1F389);
    char enc[4];
    cb_check_int(t, cb_utf8_encode(0x4E16, enc), 3);
    cb_check(t, cb_memcmp(enc, "\xe4\xb8\x96", 3) == 0);
    cb_check_int(t, cb_levenshtein("kitten", "sitting"), 3);
    cb_check_int(t, cb_levenshtein("", "abc"), 3);
    cb_check_int(t, cb_levenshtein("flaw", "lawn"), 2);
    cb_sb sb;
    cb_sb_init(&sb);
    cb_sb_fmt(&sb, "[%5d|%-4s|%x|%c|%05u|%.3s|%lld%%]", 42, "ab", 0xBEEFu, 'z', 7u, "truncate",
              (i64)-1234567890123LL);
    cb_check_str(t, cb_sb_cstr(&sb), "[   42|ab  |beef|z|00007|tru|-1234567890123%]");
    cb_sb_free(&sb);
}

/* ---- hash ---- */
void test_hash(cb_test_state *t) {
    cb_check_int(t, cb_fnv1a32("", 0), 0x811C9DC5);
    cb_check_int(t, cb_fnv1a32("a", 1), 0xE40C292C);
    cb_check_int(t, (i64)cb_fnv1a64("a", 1), (i64)0xAF63DC4C8601EC8Cull);
    cb_check_int(t, cb_murmur3_32("", 0, 0), 0);
    cb_check_int(t, cb_murmur3_32("hello", 5, 0), 0x248BFA47);
    cb_check_int(t, cb_murmur3_32("The quick brown fox jumps over the lazy dog", 43, 0), 0x2E4FF723);

    cb_map m;
    cb_map_init(&m);
    char key[32];
    for (int i = 0; i < 2000; i++) {
        cb_sb sb;
        cb_sb_init(&sb);
        cb_sb_fmt(&sb, "key-%d", i);
        cb_map_put(&m, cb_sb_cstr(&sb), i * 3);
        cb_sb_free(&sb);
    }
    cb_check_int(t, (i64)m.count, 2000);
    i64 v = 0;
    cb_check(t, cb_map_get(&m, "key-1234", &v) && v == 3702);
    cb_check(t, !cb_map_get(&m, "key-2000", &v));
    for (int i = 0; i < 2000; i += 2) {
        cb_itoa(i, key + 4);
        key[0] = 'k', key[1] = 'e', key[2] = 'y', key[3] = '-';
        cb_check(t, cb_map_remove(&m, key));
    }
    cb_check_int(t, (i64)m.count, 1000);
    cb_check(t, !cb_map_get(&m, "key-10", &v));
    cb_check(t, cb_map_get(&m, "key-11", &v) && v == 33);
    /* word counting through cb_map_ref */
    const char *text = "the cat and the dog and the bird";
    char *words[16];
    int nw = cb_str_split(text, ' ', words, 16);
    cb_map counts;
    cb_map_init(&counts);
    for (int i = 0; i < nw; i++) {
        (*cb_map_ref(&counts, words[i]))++;
        cb_free(words[i]);
    }
    cb_check(t, cb_map_get(&counts, "the", &v) && v == 3);
    cb_check(t, cb_map_get(&counts, "and", &v) && v == 2);
    i64 total = 0;
    cb_map_iter it = {&counts, 0};
    const char *k;
    while (cb_map_next(&it, &k, &v))
        total += v;
    cb_check_int(t, total, 8);
    cb_map_free(&counts);
    cb_map_free(&m);

    cb_intset s;
    cb_intset_init(&s);
    u64 state = 42;
    int added = 0;
    for (int i = 0; i < 5000; i++)
        added += cb_intset_add(&s, (u32)(cb_rand(&state) % 3000));
    cb_check_int(t, added, (i64)s.count);
    cb_check(t, s.count <= 3000 && s.count > 2300); /* ~2433 expected */
    int present = 0;
    for (u32 i = 0; i < 3000; i++)
        present += cb_intset_has(&s, i);
    cb_check_int(t, present, (i64)s.count);
    cb_intset_free(&s);
}

/* ---- sort ---- */
typedef struct {
    int key;
    int order;
} pair;

static int cmp_pair_key(const void *a, const void *b, void *ctx) {
    (void)ctx;
    return ((const pair *)a)->key - ((const pair *)b)->key;
}

static int cmp_i32_desc(const void *a, const void *b, void *ctx) { return cb_cmp_i32(b, a, ctx); }

void test_sort(cb_test_state *t, u32 seed) {
    typedef void (*sorter)(void *, usize, usize, cb_cmp, void *);
    static const sorter sorters[] = {cb_insertion_sort, cb_shell_sort, cb_heap_sort, cb_merge_sort, cb_quick_sort};
    usize sizes[] = {0, 1, 2, 7, 100, 1000};
    u64 state = seed | 1;
    for (usize s = 0; s < CB_ARRAY_LEN(sorters); s++) {
        for (usize z = 0; z < CB_ARRAY_LEN(sizes); z++) {
            usize n = sizes[z];
            i32 *a = cb_alloc(n * sizeof(i32) + 4);
            i64 sum_before = 0, sum_after = 0;
            for (usize i = 0; i < n; i++) {
                a[i] = (i32)(cb_rand(&state) % 2001) - 1000;
                sum_before += a[i];
            }
            sorters[s](a, n, sizeof(i32), cb_cmp_i32, NULL);
            for (usize i = 0; i < n; i++)
                sum_after += a[i];
            cb_check(t, cb_is_sorted(a, n, sizeof(i32), cb_cmp_i32, NULL));
            cb_check_int(t, sum_after, sum_before);
            sorters[s](a, n, sizeof(i32), cmp_i32_desc, NULL);
            cb_check(t, cb_is_sorted(a, n, sizeof(i32), cmp_i32_desc, NULL));
            if (n)
                cb_checksum_add(t, a, n * sizeof(i32));
            cb_free(a);
        }
    }
    /* stability of merge sort */
    pair pairs[300];
    for (int i = 0; i < 300; i++) {
        pairs[i].key = (int)(cb_rand(&state) % 10);
        pairs[i].order = i;
    }
    cb_merge_sort(pairs, 300, sizeof(pair), cmp_pair_key, NULL);
    bool stable = true;
    for (int i = 1; i < 300; i++)
        if (pairs[i - 1].key == pairs[i].key && pairs[i - 1].order > pairs[i].order)
            stable = false;
    cb_check(t, stable);
    /* adversarial inputs for quicksort: sorted, reversed, all equal */
    i32 *a = cb_alloc(5000 * sizeof(i32));
    for (int pattern = 0; pattern < 3; pattern++) {
        for (int i = 0; i < 5000; i++)
            a[i] = pattern == 0 ? i : pattern == 1 ? 5000 - i : 7;
        cb_quick_sort(a, 5000, sizeof(i32), cb_cmp_i32, NULL);
        cb_check(t, cb_is_sorted(a, 5000, sizeof(i32), cb_cmp_i32, NULL));
    }
    /* radix sort agrees with quicksort */
    u32 *r1 = cb_alloc(4000 * sizeof(u32)), *r2 = cb_alloc(4000 * sizeof(u32));
    for (int i = 0; i < 4000; i++)
        r1[i] = r2[i] = (u32)cb_rand(&state);
    cb_radix_sort_u32(r1, 4000);
    cb_quick_sort(r2, 4000, sizeof(u32), cb_cmp_u32, NULL);
    cb_check(t, cb_memcmp(r1, r2, 4000 * sizeof(u32)) == 0);
    cb_checksum_add(t, r1, 4000 * sizeof(u32));
    /* strings */
    const char *names[] = {"pear", "apple", "fig", "banana", "cherry", "date"};
    const char *sorted_names[6];
    cb_memcpy(sorted_names, names, sizeof names);
    cb_heap_sort(sorted_names, 6, sizeof(char *), cb_cmp_str, NULL);
    cb_check_str(t, sorted_names[0], "apple");
    cb_check_str(t, sorted_names[5], "pear");
    /* searching */
    for (int i = 0; i < 5000; i++)
        a[i] = i * 2;
    cb_check_int(t, cb_lower_bound_i32(a, 5000, 777), 389);
    cb_check_int(t, cb_lower_bound_i32(a, 5000, 778), 389);
    cb_check_int(t, cb_lower_bound_i32(a, 5000, 100000), 5000);
    for (int i = 0; i < 5000; i++)
        a[i] = (i32)(cb_rand(&state) % 100000);
    cb_memcpy(r1, a, 4000 * sizeof(i32));
    cb_nth_element_i32(a, 4000, 2000);
    cb_quick_sort(r1, 4000, sizeof(i32), cb_cmp_i32, NULL);
    cb_check_int(t, a[2000], (i32)r1[2000]);
    cb_free(r1);
    cb_free(r2);
    cb_free(a);
}

/* ---- json ---- */
static const char sample_json[] =
    "{\n"
    "  \"name\": \"wrun\",\n"
    "  \"version\": [0, 1, 2],\n"
    "  \"features\": {\"dylink\": true, \"simd\": false, \"threads\": null},\n"
    "  \"ratio\": -12.5e-1,\n"
    "  \"escaped\": \"tab\\there \\\"quoted\\\" \\u00e9 \\ud83d\\ude00\",\n"
    "  \"nested\": [{\"id\": 1, \"tags\": [\"a\", \"b\"]}, {\"id\": 2, \"tags\": []}]\n"
    "}\n";

void test_json(cb_test_state *t) {
    cb_arena arena;
    cb_arena_init(&arena, 256);
    json_error err;
    json_value *v = json_parse(&arena, sample_json, sizeof sample_json - 1, &err);
    cb_check(t, v != NULL);
    if (!v) {
        cb_arena_free(&arena);
        return;
    }
    cb_check_int(t, (i64)json_count_nodes(v), 21);
    const json_value *x = json_path(v, "nested[0].tags[1]");
    cb_check(t, x && x->type == JSON_STRING);
    if (x)
        cb_check_str(t, x->u.str.chars, "b");
    x = json_path(v, "features.dylink");
    cb_check(t, x && x->type == JSON_BOOL && x->u.boolean);
    x = json_path(v, "version[2]");
    cb_check(t, x && x->type == JSON_NUMBER && x->u.num.is_integer && x->u.num.integer == 2);
    x = json_path(v, "ratio");
    cb_check(t, x && x->type == JSON_NUMBER && !x->u.num.is_integer && x->u.num.number == -1.25);
    x = json_path(v, "escaped");
    cb_check(t, x && x->type == JSON_STRING && x->u.str.len == 25);
    cb_check(t, json_path(v, "nested[5]") == NULL);
    cb_check(t, json_path(v, "missing.key") == NULL);

    cb_sb sb;
    cb_sb_init(&sb);
    json_serialize(v, &sb, 0);
    cb_check_str(t, cb_sb_cstr(&sb),
                 "{\"name\":\"wrun\",\"version\":[0,1,2],\"features\":{\"dylink\":true,\"simd\":false,"
                 "\"threads\":null},\"ratio\":-1.25,\"escaped\":\"tab\\there \\\"quoted\\\" \xc3\xa9 "
                 "\xf0\x9f\x98\x80\",\"nested\":[{\"id\":1,\"tags\":[\"a\",\"b\"]},{\"id\":2,\"tags\":[]}]}");
    /* round trip: parse the compact form and compare deeply */
    json_value *again = json_parse(&arena, sb.data, sb.len, &err);
    cb_check(t, again && json_equal(v, again));
    json_value *copy = json_copy(&arena, v);
    cb_check(t, json_equal(v, copy));
    cb_sb_free(&sb);

    cb_sb_init(&sb);
    json_serialize(json_path(v, "nested[0]"), &sb, 2);
    cb_check_str(t, cb_sb_cstr(&sb), "{\n  \"id\": 1,\n  \"tags\": [\n    \"a\",\n    \"b\"\n  ]\n}");
    cb_sb_free(&sb);

    /* errors with positions */
    static const struct {
        const char *text;
        const char *message;
        int line, column;
    } bad[] = {
        {"{\"a\": }", "unexpected character", 1, 7},
        {"[1, 2", "expected ',' or ']'", 1, 6},
        {"{\"a\" 1}", "expected ':'", 1, 6},
        {"\"abc", "unterminated string", 1, 5},
        {"01", "leading zero", 1, 1},
        {"[1]\n x", "trailing characters", 2, 2},
        {"\"\\ud800\"", "invalid surrogate pair", 1, 8},
        {"tru", "invalid literal", 1, 1},
    };
    for (usize i = 0; i < CB_ARRAY_LEN(bad); i++) {
        json_value *r = json_parse(&arena, bad[i].text, cb_strlen(bad[i].text), &err);
        cb_check(t, r == NULL);
        cb_check_str(t, err.message, bad[i].message);
        cb_check_int(t, err.line, bad[i].line);
        cb_check_int(t, err.column, bad[i].column);
    }
    /* a bigger generated document */
    cb_sb_init(&sb);
    cb_sb_puts(&sb, "[");
    for (int i = 0; i < 300; i++)
        cb_sb_fmt(&sb, "%s{\"i\":%d,\"sq\":%d,\"s\":\"item%d\"}", i ? "," : "", i, i * i, i);
    cb_sb_puts(&sb, "]");
    json_value *big = json_parse(&arena, sb.data, sb.len, &err);
    cb_check(t, big && big->type == JSON_ARRAY && big->u.arr.count == 300);
    i64 sum = 0;
    for (usize i = 0; big && i < big->u.arr.count; i++)
        sum += json_get(big->u.arr.items[i], "sq")->u.num.integer;
    cb_check_int(t, sum, 8955050);
    cb_sb_free(&sb);
    cb_arena_free(&arena);
}

/* ---- regex ---- */
void test_regex(cb_test_state *t) {
    static const struct {
        const char *pattern, *text;
        int start, len;
    } cases[] = {
        {"abc", "xxabcxx", 2, 3},
        {"a.c", "abc", 0, 3},
        {"^abc", "xabc", -1, 0},
        {"abc$", "xxabc", 2, 3},
        {"a*", "aaab", 0, 3},
        {"a+b", "caaab", 1, 4},
        {"colou?r", "my color", 3, 5},
        {"[0-9]+", "abc 12345 def", 4, 5},
        {"[^a-z ]+", "abc DEF ghi", 4, 3},
        {"\\d{3}-\\d{4}", "call 555-1234 now", 5, 8},
        {"(cat|dog)s?", "hotdogs", 3, 4},
        {"x{2,3}", "xxxxx", 0, 3},
        {"x{2,3}?", "xxxxx", 0, 2},
        {"<.+>", "<a><b>", 0, 6},
        {"<.+?>", "<a><b>", 0, 3},
        {"\\w+@\\w+\\.com", "mail bob@example.com today", 5, 15},
        {"(a|ab)(c|bcd)(d*)", "abcd", 0, 4},
        {"\\s+$", "trailing   ", 8, 3},
        {"[\\]x]+", "a]x]b", 1, 3},
        {"(?:ab)+", "ababab!", 0, 6},
        {"h.llo", "he\nllo hallo", 7, 5},
        {"a{3}", "aa", -1, 0},
        {"", "abc", 0, 0},
    };
    for (usize i = 0; i < CB_ARRAY_LEN(cases); i++) {
        const char *error = NULL;
        cb_regex *re = cb_regex_compile(cases[i].pattern, &error);
        cb_check(t, re != NULL);
        if (!re)
            continue;
        int len = 0;
        int at = cb_regex_search(re, cases[i].text, &len);
        cb_check_int(t, at, cases[i].start);
        if (at >= 0)
            cb_check_int(t, len, cases[i].len);
        cb_regex_free(re);
    }
    /* groups */
    cb_regex *re = cb_regex_compile("(\\w+)-(\\d+)(x)?", NULL);
    int start = 0, len = 0;
    cb_check_int(t, cb_regex_search(re, "id: item-42 end", &len), 4);
    cb_check(t, cb_regex_group(re, 1, &start, &len) && start == 4 && len == 4);
    cb_check(t, cb_regex_group(re, 2, &start, &len) && start == 9 && len == 2);
    cb_check(t, !cb_regex_group(re, 3, &start, &len));
    cb_regex_free(re);
    /* full match needs backtracking into an earlier alternative */
    re = cb_regex_compile("(a|ab)(c|bcd)", NULL);
    cb_check(t, cb_regex_full_match(re, "abcd"));
    cb_check(t, cb_regex_full_match(re, "ac"));
    cb_check(t, cb_regex_full_match(re, "abc")); /* ab + c */
    cb_check(t, !cb_regex_full_match(re, "abcdx"));
    cb_check(t, !cb_regex_full_match(re, "ab"));
    cb_regex_free(re);
    re = cb_regex_compile("[a-z]+\\d*", NULL);
    cb_check(t, cb_regex_full_match(re, "abc123"));
    cb_check(t, !cb_regex_full_match(re, "abc123x"));
    cb_regex_free(re);
    /* counting */
    re = cb_regex_compile("\\b?[A-Z][a-z]+", NULL);
    cb_check(t, re != NULL);
    cb_regex_free(re);
    re = cb_regex_compile("[A-Z][a-z]+", NULL);
    cb_check_int(t, cb_regex_count(re, "Alice met Bob and Carol in Denver"), 4);
    cb_regex_free(re);
    /* errors */
    static const char *bad[] = {"(abc", "abc)", "[abc", "*a", "a{3,2}", "x\\"};
    for (usize i = 0; i < CB_ARRAY_LEN(bad); i++) {
        const char *error = NULL;
        re = cb_regex_compile(bad[i], &error);
        cb_check(t, re == NULL && error != NULL);
        if (error)
            cb_checksum_add(t, error, cb_strlen(error));
    }
}

/* ---- calc ---- */
void test_calc(cb_test_state *t) {
    static const struct {
        const char *source;
        bool ok;
        i64 value;
        const char *output;
    } cases[] = {
        {"1 + 2 * 3;", true, 7, ""},
        {"(1 + 2) * 3 - 4 / 2;", true, 7, ""},
        {"-7 % 3 + 10 / -3;", true, -4, ""},
        {"let x = 5; x = x * x; x;", true, 25, ""},
        {"1 < 2 && 3 >= 3 || 0;", true, 1, ""},
        {"!0 + !5;", true, 1, ""},
        {"fn fib(n) { if (n < 2) { return n; } return fib(n - 1) + fib(n - 2); } fib(20);", true, 6765, ""},
        {"fn fact(n) { let r = 1; while (n > 1) { r = r * n; n = n - 1; } return r; } fact(20);", true,
         2432902008176640000LL, ""},
        {"fn gcd(a, b) { while (b != 0) { let t = b; b = a % b; a = t; } return a; } gcd(1071, 462);", true, 21,
         ""},
        {"let i = 0; let s = 0; while (i < 100) { i = i + 1; if (i % 3 == 0) { s = s + i; } else if (i % 5 == "
         "0) { s = s + 1; } } s;",
         true, 1697, ""},
        {"let s = \"ab\"; let i = 0; while (i < 3) { s = s + i; i = i + 1; } print(s, len(s)); len(s);", true, 5,
         "ab012 5\n"},
        {"print(\"x\" == \"x\", \"x\" != \"y\", str(42) + \"!\", substr(\"hello\", 1, 3), abs(-9));", true, 5,
         "1 1 42! ell 9\n"},
        {"fn countdown(n) { while (n > 0) { print(\"n =\", n); n = n - 1; } return \"done\"; } "
         "print(countdown(3));",
         true, 1, "n = 3\nn = 2\nn = 1\ndone\n"},
        {"fn is_prime(n) { if (n < 2) { return 0; } let d = 2; while (d * d <= n) { if (n % d == 0) { return 0; "
         "} d = d + 1; } return 1; } let c = 0; let k = 0; while (k < 500) { c = c + is_prime(k); k = k + 1; } "
         "c;",
         true, 95, ""},
        {"# comment\nlet a = 10; # trailing\na + 1;", true, 11, ""},
        {"1 / 0;", false, 0, ""},
        {"y + 1;", false, 0, ""},
        {"let x = ;", false, 0, ""},
        {"fn f(n) { return f(n + 1); } f(0);", false, 0, ""},
        {"print(\"partial\"); undefined_fn();", false, 0, "partial\n"},
        {"let s = \"a\"; -s;", false, 0, ""},
        {"if (1) { 2; ", false, 0, ""},
    };
    for (usize i = 0; i < CB_ARRAY_LEN(cases); i++) {
        calc_result r;
        calc_run(cases[i].source, &r);
        cb_check(t, r.ok == cases[i].ok);
        if (cases[i].ok)
            cb_check_int(t, r.value, cases[i].value);
        else
            cb_check(t, r.error[0] != 0);
        cb_check_str(t, r.output, cases[i].output);
        cb_checksum_add(t, r.error, cb_strlen(r.error));
    }
}

/* ---- bigint ---- */
void test_bigint(cb_test_state *t) {
    cb_sb sb;
    cb_bigint a, b, c;
    cb_big_init(&a, 0);
    cb_big_init(&b, 0);
    cb_big_init(&c, 0);

    cb_big_pow(&a, 2, 100);
    cb_sb_init(&sb);
    cb_big_to_string(&a, &sb);
    cb_check_str(t, cb_sb_cstr(&sb), "1267650600228229401496703205376");
    cb_sb_free(&sb);

    cb_big_factorial(&a, 100);
    cb_check_int(t, cb_big_digit_sum(&a), 648);
    cb_big_factorial(&b, 30);
    cb_sb_init(&sb);
    cb_big_to_string(&b, &sb);
    cb_check_str(t, cb_sb_cstr(&sb), "265252859812191058636308480000000");
    cb_sb_free(&sb);

    cb_big_fib(&a, 100);
    cb_sb_init(&sb);
    cb_big_to_string(&a, &sb);
    cb_check_str(t, cb_sb_cstr(&sb), "354224848179261915075");
    cb_sb_free(&sb);

    cb_big_from_string(&a, "123456789012345678901234567890");
    cb_big_from_string(&b, "987654321098765432109876543210");
    cb_big_mul(&c, &a, &b);
    cb_sb_init(&sb);
    cb_big_to_string(&c, &sb);
    cb_check_str(t, cb_sb_cstr(&sb), "121932631137021795226185032733622923332237463801111263526900");
    cb_sb_free(&sb);
    cb_big_add(&c, &a, &b);
    cb_sb_init(&sb);
    cb_big_to_string(&c, &sb);
    cb_check_str(t, cb_sb_cstr(&sb), "1111111110111111111011111111100");
    cb_sb_free(&sb);
    cb_big_sub(&c, &b, &a);
    cb_sb_init(&sb);
    cb_big_to_string(&c, &sb);
    cb_check_str(t, cb_sb_cstr(&sb), "864197532086419753208641975320");
    cb_sb_free(&sb);
    cb_check(t, cb_big_cmp(&a, &b) < 0 && cb_big_cmp(&b, &a) > 0 && cb_big_cmp(&a, &a) == 0);
    cb_check_int(t, cb_big_divmod_small(&a, 97), 52);

    cb_big_free(&a);
    cb_big_free(&b);
    cb_big_free(&c);
}

static int run_tests(cb_test_state *t, u32 seed) {
    test_str(t);
    test_hash(t);
    test_sort(t, seed);
    test_json(t);
    test_regex(t);
    test_calc(t);
    test_bigint(t);
    return t->failures;
}

static int heap_ready;

static void ensure_heap(void) {
    if (!heap_ready) {
        cb_heap_init();
        heap_ready = 1;
    }
}

EXPORT(selftest) int selftest(void) {
    ensure_heap();
    cb_test_state t = {0, 0, 0};
    return run_tests(&t, 1);
}

/* the number of checks, for reporting */
EXPORT(selftest_checks) int selftest_checks(void) {
    ensure_heap();
    cb_test_state t = {0, 0, 0};
    run_tests(&t, 1);
    return t.checks;
}

EXPORT(run) int run(int n) {
    ensure_heap();
    cb_test_state t = {0, 0, 0};
    for (int round = 0; round < (n > 0 ? n : 1); round++)
        run_tests(&t, (u32)round + 1);
    if (t.failures)
        return -t.failures;
    return (int)(t.checksum & 0x7FFFFFFF);
}

#ifndef __wasm__
#include <stdio.h>
int main(int argc, char **argv) {
    int n = argc > 1 ? (int)cb_atoi(argv[1], NULL) : 1;
    cb_test_state t = {0, 0, 0};
    ensure_heap();
    run_tests(&t, 1);
    printf("selftest: %d checks, %d failures\n", t.checks, t.failures);
    printf("run(%d) = %d\n", n, run(n));
    printf("heap in use after run: %lu\n", (unsigned long)cb_heap_in_use());
    return t.failures != 0;
}
#endif
