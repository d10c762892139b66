/* String routines, string builder, formatting and UTF-8 helpers. */
#include "cb.h"

usize cb_strlen(const char *s) {
    const char *p = s;
    while (*p)
        p++;
    return (usize)(p - s);
}

int cb_strcmp(const char *a, const char *b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (u8)*a - (u8)*b;
}

int cb_strncmp(const char *a, const char *b, usize n) {
    for (usize i = 0; i < n; i++) {
        if (a[i] != b[i])
            return (u8)a[i] - (u8)b[i];
        if (!a[i])
            return 0;
    }
    return 0;
}

char *cb_strchr(const char *s, int c) {
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *cb_strrchr(const char *s, int c) {
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (!*s)
            return (char *)last;
    }
}

char *cb_strstr(const char *hay, const char *needle) {
    usize n = cb_strlen(needle);
    if (n == 0)
        return (char *)hay;
    for (; *hay; hay++)
        if (*hay == *needle && cb_strncmp(hay, needle, n) == 0)
            return (char *)hay;
    return NULL;
}

char *cb_strndup(const char *s, usize n) {
    char *p = cb_alloc(n + 1);
    if (!p)
        return NULL;
    cb_memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *cb_strdup(const char *s) { return cb_strndup(s, cb_strlen(s)); }

int cb_isdigit(int c) { return c >= '0' && c <= '9'; }
int cb_isalpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
int cb_isalnum(int c) { return cb_isdigit(c) || cb_isalpha(c); }
int cb_isspace(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
int cb_tolower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }
int cb_toupper(int c) { return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c; }

i64 cb_atoi(const char *s, const char **end) {
    while (cb_isspace(*s))
        s++;
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    u64 v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (;; s++) {
        unsigned d;
        if (cb_isdigit(*s))
            d = (unsigned)(*s - '0');
        else if (base == 16 && cb_tolower(*s) >= 'a' && cb_tolower(*s) <= 'f')
            d = (unsigned)(cb_tolower(*s) - 'a' + 10);
        else
            break;
        v = v * base + d;
    }
    if (end)
        *end = s;
    return neg ? (i64)(0 - v) : (i64)v;
}

void cb_str_reverse(char *s, usize n) {
    for (usize i = 0, j = n; i + 1 < j; i++, j--) {
        char t = s[i];
        s[i] = s[j - 1];
        s[j - 1] = t;
    }
}

int cb_utoa(u64 v, unsigned base, char *out) {
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    int n = 0;
    do {
        out[n++] = digits[v % base];
        v /= base;
    } while (v);
    cb_str_reverse(out, (usize)n);
    out[n] = 0;
    return n;
}

int cb_itoa(i64 v, char *out) {
    if (v < 0) {
        out[0] = '-';
        return 1 + cb_utoa(0 - (u64)v, 10, out + 1);
    }
    return cb_utoa((u64)v, 10, out);
}

usize cb_str_trim(char *s) {
    usize n = cb_strlen(s);
    usize start = 0;
    while (start < n && cb_isspace(s[start]))
        start++;
    while (n > start && cb_isspace(s[n - 1]))
        n--;
    cb_memmove(s, s + start, n - start);
    s[n - start] = 0;
    return n - start;
}

/* splits s at sep into freshly allocated parts; returns the part count */
int cb_str_split(const char *s, char sep, char **parts, int max_parts) {
    int count = 0;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == sep || *p == 0) {
            if (count < max_parts)
                parts[count] = cb_strndup(start, (usize)(p - start));
            count++;
            if (*p == 0)
                break;
            start = p + 1;
        }
    }
    return count;
}

void cb_str_upper(char *s) {
    for (; *s; s++)
        *s = (char)cb_toupper(*s);
}

/* replaces every occurrence of from; returns the length or -1 if cap is too small */
int cb_str_replace(const char *s, const char *from, const char *to, char *out, usize cap) {
    usize flen = cb_strlen(from), tlen = cb_strlen(to), n = 0;
    while (*s) {
        if (flen && cb_strncmp(s, from, flen) == 0) {
            if (n + tlen >= cap)
                return -1;
            cb_memcpy(out + n, to, tlen);
            n += tlen;
            s += flen;
        } else {
            if (n + 1 >= cap)
                return -1;
            out[n++] = *s++;
        }
    }
    out[n] = 0;
    return (int)n;
}

/* decodes one code point; returns its byte length, or -1 if malformed */
int cb_utf8_decode(const char *str, usize len, u32 *cp) {
    const u8 *s = (const u8 *)str;
    if (len == 0)
        return -1;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int n;
    u32 c, min;
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        c = s[0] & 0x1F;
        min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        c = s[0] & 0x0F;
        min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        c = s[0] & 0x07;
        min = 0x10000;
    } else {
        return -1;
    }
    if ((usize)n > len)
        return -1;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    *cp = c;
    return n;
}

int cb_utf8_encode(u32 cp, char *out) {
    u8 *o = (u8 *)out;
    if (cp < 0x80) {
        o[0] = (u8)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (u8)(0xC0 | (cp >> 6));
        o[1] = (u8)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (u8)(0xE0 | (cp >> 12));
        o[1] = (u8)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (u8)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (u8)(0xF0 | (cp >> 18));
    o[1] = (u8)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (u8)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (u8)(0x80 | (cp & 0x3F));
    return 4;
}

bool cb_utf8_valid(const char *s, usize len) {
    usize i = 0;
    while (i < len) {
        u32 cp;
        int n = cb_utf8_decode(s + i, len - i, &cp);
        if (n < 0)
            return false;
        i += (usize)n;
    }
    return true;
}

usize cb_utf8_count(const char *s, usize len) {
    usize count = 0, i = 0;
    while (i < len) {
        u32 cp;
        int n = cb_utf8_decode(s + i, len - i, &cp);
        i += n > 0 ? (usize)n : 1;
        count++;
    }
    return count;
}

int cb_levenshtein(const char *a, const char *b) {
    usize la = cb_strlen(a), lb = cb_strlen(b);
    int *row = cb_alloc((lb + 1) * sizeof(int));
    for (usize j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (usize i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (usize j = 1; j <= lb; j++) {
            int up = row[j];
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    int d = row[lb];
    cb_free(row);
    return d;
}

/* ---- string builder ---- */
void cb_sb_init(cb_sb *sb) {
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
}

void cb_sb_free(cb_sb *sb) {
    cb_free(sb->data);
    cb_sb_init(sb);
}

static void sb_reserve(cb_sb *sb, usize extra) {
    if (sb->len + extra + 1 <= sb->cap)
        return;
    usize cap = sb->cap ? sb->cap : 32;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    sb->data = cb_realloc(sb->data, cap);
    sb->cap = cap;
}

void cb_sb_putc(cb_sb *sb, char c) {
    sb_reserve(sb, 1);
    sb->data[sb->len++] = c;
    sb->data[sb->len] = 0;
}

void cb_sb_putn(cb_sb *sb, const char *s, usize n) {
    sb_reserve(sb, n);
    cb_memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = 0;
}

void cb_sb_puts(cb_sb *sb, const char *s) { cb_sb_putn(sb, s, cb_strlen(s)); }

void cb_sb_int(cb_sb *sb, i64 v) {
    char buf[24];
    int n = cb_itoa(v, buf);
    cb_sb_putn(sb, buf, (usize)n);
}

void cb_sb_hex(cb_sb *sb, u64 v) {
    char buf[24];
    int n = cb_utoa(v, 16, buf);
    cb_sb_putn(sb, buf, (usize)n);
}

const char *cb_sb_cstr(cb_sb *sb) {
    if (!sb->data)
        sb_reserve(sb, 0), sb->data[0] = 0;
    return sb->data;
}

/* A small printf: %d %i (int), %ld %lld (i64), %u, %x, %s, %.*s, %c, %%,
 * with an optional width and '-' / '0' flags. */
void cb_sb_fmt(cb_sb *sb, const char *fmt, ...) {
    __builtin_va_list ap;
    __builtin_va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            cb_sb_putc(sb, *p);
            continue;
        }
        p++;
        bool left = false, zero = false;
        for (;; p++) {
            if (*p == '-')
                left = true;
            else if (*p == '0')
                zero = true;
            else
                break;
        }
        int width = 0, precision = -1;
        while (cb_isdigit(*p))
            width = width * 10 + (*p++ - '0');
        if (*p == '.') {
            p++;
            if (*p == '*') {
                precision = __builtin_va_arg(ap, int);
                p++;
            } else {
                precision = 0;
                while (cb_isdigit(*p))
                    precision = precision * 10 + (*p++ - '0');
            }
        }
        int longs = 0;
        while (*p == 'l') {
            longs++;
            p++;
        }
        char buf[32];
        const char *text = buf;
        int n = 0;
        switch (*p) {
        case 'd':
        case 'i': {
            i64 v = longs ? __builtin_va_arg(ap, i64) : __builtin_va_arg(ap, int);
            n = cb_itoa(v, buf);
            break;
        }
        case 'u': {
            u64 v = longs ? __builtin_va_arg(ap, u64) : __builtin_va_arg(ap, unsigned);
            n = cb_utoa(v, 10, buf);
            break;
        }
        case 'x': {
            u64 v = longs ? __builtin_va_arg(ap, u64) : __builtin_va_arg(ap, unsigned);
            n = cb_utoa(v, 16, buf);
            break;
        }
        case 'c':
            buf[0] = (char)__builtin_va_arg(ap, int);
            n = 1;
            break;
        case 's':
            text = __builtin_va_arg(ap, const char *);
            if (!text)
                text = "(null)";
            n = (int)cb_strlen(text);
            if (precision >= 0 && precision < n)
                n = precision;
            break;
        case '%':
            buf[0] = '%';
            n = 1;
            break;
        default:
            buf[0] = '?';
            n = 1;
            break;
        }
        int pad = width > n ? width - n : 0;
        if (!left)
            while (pad-- > 0)
                cb_sb_putc(sb, zero ? '0' : ' ');
        cb_sb_putn(sb, text, (usize)n);
        if (left)
            while (pad-- > 0)
                cb_sb_putc(sb, ' ');
    }
    __builtin_va_end(ap);
}
