/* JSON: recursive-descent parser into an arena, serializer, path queries. */
#include "cb.h"

typedef struct {
    cb_arena *arena;
    const char *text;
    usize len;
    usize pos;
    int depth;
    json_error *err;
} json_parser;

#define JSON_MAX_DEPTH 200

static bool fail(json_parser *p, const char *message) {
    if (p->err && !p->err->message) {
        p->err->message = message;
        p->err->offset = p->pos;
        int line = 1, column = 1;
        for (usize i = 0; i < p->pos && i < p->len; i++) {
            if (p->text[i] == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        p->err->line = line;
        p->err->column = column;
    }
    return false;
}

static void skip_ws(json_parser *p) {
    while (p->pos < p->len) {
        char c = p->text[p->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            p->pos++;
        else
            break;
    }
}

static int peek(json_parser *p) { return p->pos < p->len ? (u8)p->text[p->pos] : -1; }

static json_value *new_value(json_parser *p, json_type type) {
    json_value *v = cb_arena_alloc(p->arena, sizeof(json_value));
    cb_memset(v, 0, sizeof *v);
    v->type = type;
    return v;
}

static bool match_word(json_parser *p, const char *word) {
    usize n = cb_strlen(word);
    if (p->pos + n > p->len || cb_strncmp(p->text + p->pos, word, n) != 0)
        return false;
    p->pos += n;
    return true;
}

static int hex_value(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = cb_tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static bool parse_hex4(json_parser *p, u32 *out) {
    if (p->pos + 4 > p->len)
        return fail(p, "truncated \\u escape");
    u32 v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value((u8)p->text[p->pos + i]);
        if (h < 0)
            return fail(p, "bad hex digit in \\u escape");
        v = v * 16 + (u32)h;
    }
    p->pos += 4;
    *out = v;
    return true;
}

/* parses a string literal (p->pos at the opening quote) */
static bool parse_string_raw(json_parser *p, char **out, usize *out_len) {
    p->pos++; /* opening quote */
    cb_sb sb;
    cb_sb_init(&sb);
    for (;;) {
        if (p->pos >= p->len) {
            cb_sb_free(&sb);
            return fail(p, "unterminated string");
        }
        u8 c = (u8)p->text[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            cb_sb_free(&sb);
            return fail(p, "control character in string");
        }
        if (c != '\\') {
            /* copy a run of plain bytes at once */
            usize start = p->pos;
            while (p->pos < p->len && p->text[p->pos] != '"' && p->text[p->pos] != '\\' &&
                   (u8)p->text[p->pos] >= 0x20)
                p->pos++;
            cb_sb_putn(&sb, p->text + start, p->pos - start);
            continue;
        }
        p->pos++;
        if (p->pos >= p->len) {
            cb_sb_free(&sb);
            return fail(p, "unterminated escape");
        }
        char e = p->text[p->pos++];
        switch (e) {
        case '"':
            cb_sb_putc(&sb, '"');
            break;
        case '\\':
            cb_sb_putc(&sb, '\\');
            break;
        case '/':
            cb_sb_putc(&sb, '/');
            break;
        case 'b':
            cb_sb_putc(&sb, '\b');
            break;
        case 'f':
            cb_sb_putc(&sb, '\f');
            break;
        case 'n':
            cb_sb_putc(&sb, '\n');
            break;
        case 'r':
            cb_sb_putc(&sb, '\r');
            break;
        case 't':
            cb_sb_putc(&sb, '\t');
            break;
        case 'u': {
            u32 cp;
            if (!parse_hex4(p, &cp)) {
                cb_sb_free(&sb);
                return false;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                /* surrogate pair */
                u32 low;
                if (!match_word(p, "\\u") || !parse_hex4(p, &low) || low < 0xDC00 || low > 0xDFFF) {
                    cb_sb_free(&sb);
                    return fail(p, "invalid surrogate pair");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cb_sb_free(&sb);
                return fail(p, "lone low surrogate");
            }
            char buf[4];
            int n = cb_utf8_encode(cp, buf);
            cb_sb_putn(&sb, buf, (usize)n);
            break;
        }
        default:
            cb_sb_free(&sb);
            return fail(p, "unknown escape");
        }
    }
    *out_len = sb.len;
    *out = cb_arena_strdup(p->arena, sb.data ? sb.data : "", sb.len);
    cb_sb_free(&sb);
    return true;
}

static double pow10_int(int e) {
    double r = 1.0, base = 10.0;
    bool neg = e < 0;
    unsigned u = neg ? (unsigned)-e : (unsigned)e;
    while (u) {
        if (u & 1)
            r *= base;
        base *= base;
        u >>= 1;
    }
    return neg ? 1.0 / r : r;
}

static json_value *parse_number(json_parser *p) {
    usize start = p->pos;
    bool neg = false;
    if (peek(p) == '-') {
        neg = true;
        p->pos++;
    }
    if (!cb_isdigit(peek(p))) {
        fail(p, "expected digit");
        return NULL;
    }
    if (peek(p) == '0' && p->pos + 1 < p->len && cb_isdigit((u8)p->text[p->pos + 1])) {
        fail(p, "leading zero");
        return NULL;
    }
    u64 mant = 0;
    int digits = 0, exp10 = 0;
    bool overflow = false;
    while (cb_isdigit(peek(p))) {
        if (mant < 1000000000000000000ull) {
            mant = mant * 10 + (u64)(p->text[p->pos] - '0');
            digits++;
        } else {
            exp10++;
            overflow = true;
        }
        p->pos++;
    }
    bool is_integer = !overflow;
    if (peek(p) == '.') {
        p->pos++;
        if (!cb_isdigit(peek(p))) {
            fail(p, "expected digit after '.'");
            return NULL;
        }
        is_integer = false;
        while (cb_isdigit(peek(p))) {
            if (mant < 1000000000000000000ull) {
                mant = mant * 10 + (u64)(p->text[p->pos] - '0');
                exp10--;
            }
            p->pos++;
        }
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->pos++;
        bool eneg = false;
        if (peek(p) == '+' || peek(p) == '-')
            eneg = p->text[p->pos++] == '-';
        if (!cb_isdigit(peek(p))) {
            fail(p, "expected exponent digits");
            return NULL;
        }
        int e = 0;
        while (cb_isdigit(peek(p))) {
            if (e < 10000)
                e = e * 10 + (p->text[p->pos] - '0');
            p->pos++;
        }
        exp10 += eneg ? -e : e;
        is_integer = false;
    }
    (void)digits;
    (void)start;
    json_value *v = new_value(p, JSON_NUMBER);
    v->u.num.is_integer = is_integer && mant <= 0x7FFFFFFFFFFFFFFFull;
    v->u.num.integer = neg ? -(i64)mant : (i64)mant;
    double d = (double)mant * pow10_int(exp10);
    v->u.num.number = neg ? -d : d;
    return v;
}

static json_value *parse_value(json_parser *p);

static json_value *parse_array(json_parser *p) {
    p->pos++; /* [ */
    json_value *v = new_value(p, JSON_ARRAY);
    usize cap = 0;
    skip_ws(p);
    if (peek(p) == ']') {
        p->pos++;
        return v;
    }
    for (;;) {
        json_value *item = parse_value(p);
        if (!item)
            return NULL;
        if (v->u.arr.count == cap) {
            usize ncap = cap ? cap * 2 : 4;
            json_value **items = cb_arena_alloc(p->arena, ncap * sizeof(json_value *));
            if (cap)
                cb_memcpy(items, v->u.arr.items, cap * sizeof(json_value *));
            v->u.arr.items = items;
            cap = ncap;
        }
        v->u.arr.items[v->u.arr.count++] = item;
        skip_ws(p);
        int c = peek(p);
        p->pos++;
        if (c == ']')
            return v;
        if (c != ',') {
            p->pos--;
            fail(p, "expected ',' or ']'");
            return NULL;
        }
    }
}

static json_value *parse_object(json_parser *p) {
    p->pos++; /* { */
    json_value *v = new_value(p, JSON_OBJECT);
    usize cap = 0;
    skip_ws(p);
    if (peek(p) == '}') {
        p->pos++;
        return v;
    }
    for (;;) {
        skip_ws(p);
        if (peek(p) != '"') {
            fail(p, "expected string key");
            return NULL;
        }
        char *key;
        usize key_len;
        if (!parse_string_raw(p, &key, &key_len))
            return NULL;
        skip_ws(p);
        if (peek(p) != ':') {
            fail(p, "expected ':'");
            return NULL;
        }
        p->pos++;
        json_value *item = parse_value(p);
        if (!item)
            return NULL;
        if (v->u.obj.count == cap) {
            usize ncap = cap ? cap * 2 : 4;
            char **keys = cb_arena_alloc(p->arena, ncap * sizeof(char *));
            json_value **values = cb_arena_alloc(p->arena, ncap * sizeof(json_value *));
            if (cap) {
                cb_memcpy(keys, v->u.obj.keys, cap * sizeof(char *));
                cb_memcpy(values, v->u.obj.values, cap * sizeof(json_value *));
            }
            v->u.obj.keys = keys;
            v->u.obj.values = values;
            cap = ncap;
        }
        v->u.obj.keys[v->u.obj.count] = key;
        v->u.obj.values[v->u.obj.count] = item;
        v->u.obj.count++;
        skip_ws(p);
        int c = peek(p);
        p->pos++;
        if (c == '}')
            return v;
        if (c != ',') {
            p->pos--;
            fail(p, "expected ',' or '}'");
            return NULL;
        }
    }
}

static json_value *parse_value(json_parser *p) {
    skip_ws(p);
    if (++p->depth > JSON_MAX_DEPTH) {
        fail(p, "nesting too deep");
        return NULL;
    }
    json_value *v = NULL;
    int c = peek(p);
    switch (c) {
    case '{':
        v = parse_object(p);
        break;
    case '[':
        v = parse_array(p);
        break;
    case '"': {
        char *s;
        usize n;
        if (parse_string_raw(p, &s, &n)) {
            v = new_value(p, JSON_STRING);
            v->u.str.chars = s;
            v->u.str.len = n;
        }
        break;
    }
    case 't':
    case 'f':
        if (match_word(p, "true") || match_word(p, "false")) {
            v = new_value(p, JSON_BOOL);
            v->u.boolean = c == 't';
        } else {
            fail(p, "invalid literal");
        }
        break;
    case 'n':
        if (match_word(p, "null"))
            v = new_value(p, JSON_NULL);
        else
            fail(p, "invalid literal");
        break;
    default:
        if (c == '-' || cb_isdigit(c))
            v = parse_number(p);
        else
            fail(p, c < 0 ? "unexpected end of input" : "unexpected character");
        break;
    }
    p->depth--;
    return v;
}

json_value *json_parse(cb_arena *arena, const char *text, usize len, json_error *err) {
    json_parser p = {arena, text, len, 0, 0, err};
    if (err)
        err->message = NULL;
    json_value *v = parse_value(&p);
    if (!v)
        return NULL;
    skip_ws(&p);
    if (p.pos != p.len) {
        fail(&p, "trailing characters");
        return NULL;
    }
    return v;
}

/* ---- serializer ---- */
static void put_string(cb_sb *out, const char *s, usize len) {
    static const char hex[] = "0123456789abcdef";
    cb_sb_putc(out, '"');
    for (usize i = 0; i < len; i++) {
        u8 c = (u8)s[i];
        switch (c) {
        case '"':
            cb_sb_puts(out, "\\\"");
            break;
        case '\\':
            cb_sb_puts(out, "\\\\");
            break;
        case '\n':
            cb_sb_puts(out, "\\n");
            break;
        case '\r':
            cb_sb_puts(out, "\\r");
            break;
        case '\t':
            cb_sb_puts(out, "\\t");
            break;
        default:
            if (c < 0x20) {
                cb_sb_puts(out, "\\u00");
                cb_sb_putc(out, hex[c >> 4]);
                cb_sb_putc(out, hex[c & 15]);
            } else {
                cb_sb_putc(out, (char)c);
            }
        }
    }
    cb_sb_putc(out, '"');
}

/* fixed-point rendering with up to 6 decimals, trailing zeros trimmed */
static void put_double(cb_sb *out, double d) {
    if (d != d) {
        cb_sb_puts(out, "null");
        return;
    }
    if (d < 0) {
        cb_sb_putc(out, '-');
        d = -d;
    }
    if (d > 9.2e18) {
        cb_sb_puts(out, "1e999");
        return;
    }
    u64 scaled = (u64)(d * 1000000.0 + 0.5);
    u64 whole = scaled / 1000000, frac = scaled % 1000000;
    char buf[32];
    cb_utoa(whole, 10, buf);
    cb_sb_puts(out, buf);
    if (frac) {
        char digits[7];
        for (int i = 5; i >= 0; i--) {
            digits[i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        int n = 6;
        while (n > 0 && digits[n - 1] == '0')
            n--;
        cb_sb_putc(out, '.');
        cb_sb_putn(out, digits, (usize)n);
    }
}

static void newline_indent(cb_sb *out, int indent, int level) {
    if (indent <= 0)
        return;
    cb_sb_putc(out, '\n');
    for (int i = 0; i < indent * level; i++)
        cb_sb_putc(out, ' ');
}

static void serialize(const json_value *v, cb_sb *out, int indent, int level) {
    switch (v->type) {
    case JSON_NULL:
        cb_sb_puts(out, "null");
        break;
    case JSON_BOOL:
        cb_sb_puts(out, v->u.boolean ? "true" : "false");
        break;
    case JSON_NUMBER:
        if (v->u.num.is_integer)
            cb_sb_int(out, v->u.num.integer);
        else
            put_double(out, v->u.num.number);
        break;
    case JSON_STRING:
        put_string(out, v->u.str.chars, v->u.str.len);
        break;
    case JSON_ARRAY:
        cb_sb_putc(out, '[');
        for (usize i = 0; i < v->u.arr.count; i++) {
            if (i)
                cb_sb_putc(out, ',');
            newline_indent(out, indent, level + 1);
            serialize(v->u.arr.items[i], out, indent, level + 1);
        }
        if (v->u.arr.count)
            newline_indent(out, indent, level);
        cb_sb_putc(out, ']');
        break;
    case JSON_OBJECT:
        cb_sb_putc(out, '{');
        for (usize i = 0; i < v->u.obj.count; i++) {
            if (i)
                cb_sb_putc(out, ',');
            newline_indent(out, indent, level + 1);
            put_string(out, v->u.obj.keys[i], cb_strlen(v->u.obj.keys[i]));
            cb_sb_putc(out, ':');
            if (indent > 0)
                cb_sb_putc(out, ' ');
            serialize(v->u.obj.values[i], out, indent, level + 1);
        }
        if (v->u.obj.count)
            newline_indent(out, indent, level);
        cb_sb_putc(out, '}');
        break;
    }
}

void json_serialize(const json_value *v, cb_sb *out, int indent) { serialize(v, out, indent, 0); }

const json_value *json_get(const json_value *obj, const char *key) {
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    /* last duplicate wins, like most parsers */
    for (usize i = obj->u.obj.count; i-- > 0;)
        if (cb_strcmp(obj->u.obj.keys[i], key) == 0)
            return obj->u.obj.values[i];
    return NULL;
}

/* path syntax: a.b[3].c  (keys without '.', '[' characters) */
const json_value *json_path(const json_value *root, const char *path) {
    const json_value *cur = root;
    const char *p = path;
    char key[128];
    while (cur && *p) {
        if (*p == '.') {
            p++;
            continue;
        }
        if (*p == '[') {
            p++;
            const char *end;
            i64 index = cb_atoi(p, &end);
            if (*end != ']' || cur->type != JSON_ARRAY || index < 0 || (usize)index >= cur->u.arr.count)
                return NULL;
            cur = cur->u.arr.items[index];
            p = end + 1;
            continue;
        }
        usize n = 0;
        while (*p && *p != '.' && *p != '[' && n + 1 < sizeof key)
            key[n++] = *p++;
        key[n] = 0;
        cur = json_get(cur, key);
    }
    return cur;
}

bool json_equal(const json_value *a, const json_value *b) {
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case JSON_NULL:
        return true;
    case JSON_BOOL:
        return a->u.boolean == b->u.boolean;
    case JSON_NUMBER:
        if (a->u.num.is_integer && b->u.num.is_integer)
            return a->u.num.integer == b->u.num.integer;
        return a->u.num.number == b->u.num.number;
    case JSON_STRING:
        return a->u.str.len == b->u.str.len && cb_memcmp(a->u.str.chars, b->u.str.chars, a->u.str.len) == 0;
    case JSON_ARRAY:
        if (a->u.arr.count != b->u.arr.count)
            return false;
        for (usize i = 0; i < a->u.arr.count; i++)
            if (!json_equal(a->u.arr.items[i], b->u.arr.items[i]))
                return false;
        return true;
    case JSON_OBJECT:
        if (a->u.obj.count != b->u.obj.count)
            return false;
        for (usize i = 0; i < a->u.obj.count; i++) {
            const json_value *other = json_get(b, a->u.obj.keys[i]);
            if (!other || !json_equal(a->u.obj.values[i], other))
                return false;
        }
        return true;
    }
    return false;
}

usize json_count_nodes(const json_value *v) {
    usize n = 1;
    if (v->type == JSON_ARRAY)
        for (usize i = 0; i < v->u.arr.count; i++)
            n += json_count_nodes(v->u.arr.items[i]);
    else if (v->type == JSON_OBJECT)
        for (usize i = 0; i < v->u.obj.count; i++)
            n += json_count_nodes(v->u.obj.values[i]);
    return n;
}

json_value *json_copy(cb_arena *arena, const json_value *v) {
    json_value *c = cb_arena_alloc(arena, sizeof(json_value));
    *c = *v;
    switch (v->type) {
    case JSON_STRING:
        c->u.str.chars = cb_arena_strdup(arena, v->u.str.chars, v->u.str.len);
        break;
    case JSON_ARRAY:
        c->u.arr.items = cb_arena_alloc(arena, (v->u.arr.count + 1) * sizeof(json_value *));
        for (usize i = 0; i < v->u.arr.count; i++)
            c->u.arr.items[i] = json_copy(arena, v->u.arr.items[i]);
        break;
    case JSON_OBJECT:
        c->u.obj.keys = cb_arena_alloc(arena, (v->u.obj.count + 1) * sizeof(char *));
        c->u.obj.values = cb_arena_alloc(arena, (v->u.obj.count + 1) * sizeof(json_value *));
        for (usize i = 0; i < v->u.obj.count; i++) {
            const char *k = v->u.obj.keys[i];
            c->u.obj.keys[i] = cb_arena_strdup(arena, k, cb_strlen(k));
            c->u.obj.values[i] = json_copy(arena, v->u.obj.values[i]);
        }
        break;
    default:
        break;
    }
    return c;
}
