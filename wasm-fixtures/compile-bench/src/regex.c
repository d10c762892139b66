/* A backtracking regular-expression engine.
 *
 * Syntax: literals, '.', classes [a-z] [^...] with escapes, \d \w \s \D \W
 * \S, anchors ^ $, groups (...) and (?:...), alternation |, quantifiers
 * * + ? {n} {n,} {n,m} and their lazy forms (*? +? ?? {..}?).
 *
 * The pattern is parsed into an AST, compiled to instructions for a small
 * backtracking VM (CHAR, ANY, CLASS, SPLIT, JMP, SAVE, BOL, EOL, MATCH) and
 * run with an explicit backtrack stack.  A step budget stops pathological
 * patterns. */
#include "cb.h"

#define RE_MAX_GROUPS 10
#define RE_STEP_LIMIT 2000000

typedef enum { N_CHAR, N_ANY, N_CLASS, N_BOL, N_EOL, N_CONCAT, N_ALT, N_REPEAT, N_GROUP, N_EMPTY } node_kind;

typedef struct re_node re_node;
struct re_node {
    node_kind kind;
    u8 ch;
    bool greedy;
    int min, max; /* max -1 = unbounded */
    int group;    /* capture index, -1 for non-capturing */
    int cls;      /* index into the class table */
    re_node *left, *right, *child;
};

typedef enum { I_CHAR, I_ANY, I_CLASS, I_SPLIT, I_JMP, I_SAVE, I_BOL, I_EOL, I_MATCH } op_kind;

typedef struct {
    u8 op;
    u8 ch;
    u16 cls;
    int x, y; /* SPLIT: prefer x, then y; JMP: x; SAVE: slot x */
} re_inst;

typedef struct {
    u32 bits[8];
} re_class;

struct cb_regex {
    re_inst *code;
    int ncode, capcode;
    re_class *classes;
    int nclasses, capclasses;
    int ngroups;
    /* results of the last successful search */
    int captures[2 * RE_MAX_GROUPS];
    /* parser state */
    const char *pat;
    int pos;
    const char *error;
    cb_arena arena;
};

/* ---- classes ---- */
static void class_set(re_class *c, u8 ch) { c->bits[ch >> 5] |= 1u << (ch & 31); }
static bool class_has(const re_class *c, u8 ch) { return (c->bits[ch >> 5] >> (ch & 31)) & 1; }

static void class_add_range(re_class *c, int lo, int hi) {
    for (int ch = lo; ch <= hi; ch++)
        class_set(c, (u8)ch);
}

static void class_add_shorthand(re_class *c, char kind) {
    switch (cb_tolower(kind)) {
    case 'd':
        class_add_range(c, '0', '9');
        break;
    case 'w':
        class_add_range(c, 'a', 'z');
        class_add_range(c, 'A', 'Z');
        class_add_range(c, '0', '9');
        class_set(c, '_');
        break;
    case 's':
        class_set(c, ' ');
        class_set(c, '\t');
        class_set(c, '\n');
        class_set(c, '\r');
        class_set(c, '\f');
        class_set(c, '\v');
        break;
    }
    if (kind >= 'A' && kind <= 'Z')
        for (int i = 0; i < 8; i++)
            c->bits[i] = ~c->bits[i];
}

static int new_class(cb_regex *re) {
    if (re->nclasses == re->capclasses) {
        int cap = re->capclasses ? re->capclasses * 2 : 4;
        re->classes = cb_realloc(re->classes, (usize)cap * sizeof(re_class));
        re->capclasses = cap;
    }
    cb_memset(&re->classes[re->nclasses], 0, sizeof(re_class));
    return re->nclasses++;
}

/* ---- parser ---- */
static re_node *node(cb_regex *re, node_kind kind) {
    re_node *n = cb_arena_alloc(&re->arena, sizeof(re_node));
    cb_memset(n, 0, sizeof *n);
    n->kind = kind;
    n->group = -1;
    return n;
}

static int cur(cb_regex *re) { return (u8)re->pat[re->pos]; }

static re_node *parse_alt(cb_regex *re);

static u8 escape_char(char c) {
    switch (c) {
    case 'n':
        return '\n';
    case 't':
        return '\t';
    case 'r':
        return '\r';
    case 'f':
        return '\f';
    case 'v':
        return '\v';
    case '0':
        return 0;
    default:
        return (u8)c;
    }
}

static bool is_shorthand(char c) { return c && cb_strchr("dDwWsS", c) != NULL; }

static re_node *parse_class(cb_regex *re) {
    re->pos++; /* [ */
    int idx = new_class(re);
    bool negate = false;
    if (cur(re) == '^') {
        negate = true;
        re->pos++;
    }
    bool first = true;
    while (cur(re) && (cur(re) != ']' || first)) {
        first = false;
        int lo = cur(re);
        re->pos++;
        if (lo == '\\') {
            char e = (char)cur(re);
            if (!e) {
                re->error = "trailing backslash in class";
                return NULL;
            }
            re->pos++;
            if (is_shorthand(e)) {
                class_add_shorthand(&re->classes[idx], e);
                continue;
            }
            lo = escape_char(e);
        }
        int hi = lo;
        if (cur(re) == '-' && re->pat[re->pos + 1] && re->pat[re->pos + 1] != ']') {
            re->pos++;
            hi = cur(re);
            re->pos++;
            if (hi == '\\') {
                hi = escape_char((char)cur(re));
                re->pos++;
            }
            if (hi < lo) {
                re->error = "reversed class range";
                return NULL;
            }
        }
        class_add_range(&re->classes[idx], lo, hi);
    }
    if (cur(re) != ']') {
        re->error = "missing ]";
        return NULL;
    }
    re->pos++;
    if (negate)
        for (int i = 0; i < 8; i++)
            re->classes[idx].bits[i] = ~re->classes[idx].bits[i];
    re_node *n = node(re, N_CLASS);
    n->cls = idx;
    return n;
}

static re_node *parse_atom(cb_regex *re) {
    int c = cur(re);
    switch (c) {
    case '(': {
        re->pos++;
        int group = -1;
        if (cur(re) == '?' && re->pat[re->pos + 1] == ':') {
            re->pos += 2;
        } else {
            if (re->ngroups >= RE_MAX_GROUPS) {
                re->error = "too many groups";
                return NULL;
            }
            group = re->ngroups++; /* numbered from 1 in order of '(' */
        }
        re_node *inner = parse_alt(re);
        if (!inner)
            return NULL;
        if (cur(re) != ')') {
            re->error = "missing )";
            return NULL;
        }
        re->pos++;
        re_node *n = node(re, N_GROUP);
        n->group = group;
        n->child = inner;
        return n;
    }
    case '[':
        return parse_class(re);
    case '.':
        re->pos++;
        return node(re, N_ANY);
    case '^':
        re->pos++;
        return node(re, N_BOL);
    case '$':
        re->pos++;
        return node(re, N_EOL);
    case '\\': {
        re->pos++;
        char e = (char)cur(re);
        if (!e) {
            re->error = "trailing backslash";
            return NULL;
        }
        re->pos++;
        if (is_shorthand(e)) {
            re_node *n = node(re, N_CLASS);
            n->cls = new_class(re);
            class_add_shorthand(&re->classes[n->cls], e);
            return n;
        }
        re_node *n = node(re, N_CHAR);
        n->ch = escape_char(e);
        return n;
    }
    case '*':
    case '+':
    case '?':
        re->error = "quantifier without operand";
        return NULL;
    default: {
        re->pos++;
        re_node *n = node(re, N_CHAR);
        n->ch = (u8)c;
        return n;
    }
    }
}

static bool parse_int(cb_regex *re, int *out) {
    if (!cb_isdigit(cur(re)))
        return false;
    int v = 0;
    while (cb_isdigit(cur(re))) {
        v = v * 10 + (cur(re) - '0');
        if (v > 1000) {
            re->error = "repeat count too large";
            return false;
        }
        re->pos++;
    }
    *out = v;
    return true;
}

static re_node *parse_repeat(cb_regex *re) {
    re_node *atom = parse_atom(re);
    if (!atom)
        return NULL;
    for (;;) {
        int c = cur(re), min, max;
        if (c == '*') {
            min = 0;
            max = -1;
            re->pos++;
        } else if (c == '+') {
            min = 1;
            max = -1;
            re->pos++;
        } else if (c == '?') {
            min = 0;
            max = 1;
            re->pos++;
        } else if (c == '{') {
            int save = re->pos;
            re->pos++;
            if (!parse_int(re, &min)) {
                if (re->error)
                    return NULL;
                re->pos = save; /* not a quantifier: '{' is a literal */
                return atom;
            }
            max = min;
            if (cur(re) == ',') {
                re->pos++;
                max = -1;
                if (cb_isdigit(cur(re)) && !parse_int(re, &max))
                    return NULL;
            }
            if (cur(re) != '}') {
                re->error = "missing }";
                return NULL;
            }
            re->pos++;
            if (max != -1 && max < min) {
                re->error = "bad repeat range";
                return NULL;
            }
        } else {
            return atom;
        }
        re_node *n = node(re, N_REPEAT);
        n->min = min;
        n->max = max;
        n->greedy = true;
        if (cur(re) == '?') {
            n->greedy = false;
            re->pos++;
        }
        n->child = atom;
        atom = n;
    }
}

static re_node *parse_concat(cb_regex *re) {
    re_node *result = NULL;
    while (cur(re) && cur(re) != '|' && cur(re) != ')') {
        re_node *item = parse_repeat(re);
        if (!item)
            return NULL;
        if (!result) {
            result = item;
        } else {
            re_node *n = node(re, N_CONCAT);
            n->left = result;
            n->right = item;
            result = n;
        }
    }
    return result ? result : node(re, N_EMPTY);
}

static re_node *parse_alt(cb_regex *re) {
    re_node *left = parse_concat(re);
    if (!left)
        return NULL;
    while (cur(re) == '|') {
        re->pos++;
        re_node *right = parse_concat(re);
        if (!right)
            return NULL;
        re_node *n = node(re, N_ALT);
        n->left = left;
        n->right = right;
        left = n;
    }
    return left;
}

/* ---- compiler ---- */
static int emit(cb_regex *re, op_kind op) {
    if (re->ncode == re->capcode) {
        int cap = re->capcode ? re->capcode * 2 : 32;
        re->code = cb_realloc(re->code, (usize)cap * sizeof(re_inst));
        re->capcode = cap;
    }
    re_inst *in = &re->code[re->ncode];
    cb_memset(in, 0, sizeof *in);
    in->op = (u8)op;
    return re->ncode++;
}

/* emit() may move re->code, so set operands only after it returns */
static void emit_x(cb_regex *re, op_kind op, int x) {
    int at = emit(re, op);
    re->code[at].x = x;
}

static void emit_ch(cb_regex *re, op_kind op, u8 ch) {
    int at = emit(re, op);
    re->code[at].ch = ch;
}

static void emit_cls(cb_regex *re, op_kind op, u16 cls) {
    int at = emit(re, op);
    re->code[at].cls = cls;
}

static bool compile_node(cb_regex *re, const re_node *n) {
    if (re->ncode > 100000) {
        re->error = "pattern too large";
        return false;
    }
    switch (n->kind) {
    case N_EMPTY:
        return true;
    case N_CHAR:
        emit_ch(re, I_CHAR, n->ch);
        return true;
    case N_ANY:
        emit(re, I_ANY);
        return true;
    case N_CLASS:
        emit_cls(re, I_CLASS, (u16)n->cls);
        return true;
    case N_BOL:
        emit(re, I_BOL);
        return true;
    case N_EOL:
        emit(re, I_EOL);
        return true;
    case N_CONCAT:
        return compile_node(re, n->left) && compile_node(re, n->right);
    case N_GROUP:
        if (n->group >= 0)
            emit_x(re, I_SAVE, 2 * n->group);
        if (!compile_node(re, n->child))
            return false;
        if (n->group >= 0)
            emit_x(re, I_SAVE, 2 * n->group + 1);
        return true;
    case N_ALT: {
        /* SPLIT L1 L2; L1: left; JMP end; L2: right; end: */
        int split = emit(re, I_SPLIT);
        re->code[split].x = re->ncode;
        if (!compile_node(re, n->left))
            return false;
        int jmp = emit(re, I_JMP);
        re->code[split].y = re->ncode;
        if (!compile_node(re, n->right))
            return false;
        re->code[jmp].x = re->ncode;
        return true;
    }
    case N_REPEAT: {
        /* mandatory copies */
        for (int i = 0; i < n->min; i++)
            if (!compile_node(re, n->child))
                return false;
        if (n->max == -1) {
            /* L: SPLIT body, end; body; JMP L; end: */
            int split = emit(re, I_SPLIT);
            int body = re->ncode;
            if (!compile_node(re, n->child))
                return false;
            emit_x(re, I_JMP, split);
            int end = re->ncode;
            re->code[split].x = n->greedy ? body : end;
            re->code[split].y = n->greedy ? end : body;
        } else {
            /* optional copies: SPLIT body, end; body; ... all SPLITs jump to
             * the common end.  The SPLIT positions are kept on the heap: a
             * big local array here would be multiplied by the recursion
             * depth on the (small) wasm shadow stack. */
            int optional = n->max - n->min;
            int *pending = cb_alloc((usize)(optional > 0 ? optional : 1) * sizeof(int));
            for (int i = 0; i < optional; i++) {
                int split = emit(re, I_SPLIT);
                pending[i] = split;
                re->code[split].x = re->ncode; /* body follows */
                if (!compile_node(re, n->child)) {
                    cb_free(pending);
                    return false;
                }
            }
            int end = re->ncode;
            for (int i = 0; i < optional; i++) {
                re_inst *s = &re->code[pending[i]];
                int body = s->x;
                s->x = n->greedy ? body : end;
                s->y = n->greedy ? end : body;
            }
            cb_free(pending);
        }
        return true;
    }
    }
    return false;
}

cb_regex *cb_regex_compile(const char *pattern, const char **error) {
    cb_regex *re = cb_calloc(1, sizeof(cb_regex));
    re->pat = pattern;
    re->ngroups = 1; /* group 0 is the whole match */
    cb_arena_init(&re->arena, 1024);
    re_node *ast = parse_alt(re);
    if (ast && !re->error && cur(re) == ')')
        re->error = "unbalanced )";
    if (ast && !re->error) {
        /* program: SAVE 0, body, SAVE 1, MATCH */
        emit_x(re, I_SAVE, 0);
        if (compile_node(re, ast)) {
            emit_x(re, I_SAVE, 1);
            emit(re, I_MATCH);
        }
    }
    if (!ast || re->error) {
        if (error)
            *error = re->error ? re->error : "parse error";
        cb_regex_free(re);
        return NULL;
    }
    cb_arena_free(&re->arena);
    return re;
}

void cb_regex_free(cb_regex *re) {
    if (!re)
        return;
    if (re->arena.base)
        cb_arena_free(&re->arena);
    cb_free(re->code);
    cb_free(re->classes);
    cb_free(re);
}

/* ---- backtracking VM ---- */
typedef struct {
    int pc;
    int sp;   /* -1 marks a capture-restore entry */
    int slot; /* for restore entries */
    int old;
} bt_entry;

/* require_end: only accept a MATCH at the end of the text (full match) */
static bool vm_run(cb_regex *re, const char *text, int len, int start, bool require_end) {
    int caps[2 * RE_MAX_GROUPS];
    for (int i = 0; i < 2 * re->ngroups; i++)
        caps[i] = -1;
    usize cap = 64, top = 0;
    bt_entry *stack = cb_alloc(cap * sizeof(bt_entry));
    int pc = 0, sp = start;
    long steps = 0;
    bool matched = false;
    for (;;) {
        if (++steps > RE_STEP_LIMIT)
            break;
        const re_inst *in = &re->code[pc];
        bool fail_now = false;
        switch (in->op) {
        case I_CHAR:
            if (sp < len && (u8)text[sp] == in->ch) {
                sp++;
                pc++;
            } else {
                fail_now = true;
            }
            break;
        case I_ANY:
            if (sp < len && text[sp] != '\n') {
                sp++;
                pc++;
            } else {
                fail_now = true;
            }
            break;
        case I_CLASS:
            if (sp < len && class_has(&re->classes[in->cls], (u8)text[sp])) {
                sp++;
                pc++;
            } else {
                fail_now = true;
            }
            break;
        case I_BOL:
            if (sp == 0)
                pc++;
            else
                fail_now = true;
            break;
        case I_EOL:
            if (sp == len)
                pc++;
            else
                fail_now = true;
            break;
        case I_JMP:
            pc = in->x;
            break;
        case I_SPLIT:
            if (top == cap) {
                cap *= 2;
                stack = cb_realloc(stack, cap * sizeof(bt_entry));
            }
            stack[top].pc = in->y;
            stack[top].sp = sp;
            top++;
            pc = in->x;
            break;
        case I_SAVE:
            if (in->x < 2 * re->ngroups) {
                if (top == cap) {
                    cap *= 2;
                    stack = cb_realloc(stack, cap * sizeof(bt_entry));
                }
                stack[top].pc = -1;
                stack[top].sp = -1;
                stack[top].slot = in->x;
                stack[top].old = caps[in->x];
                top++;
                caps[in->x] = sp;
            }
            pc++;
            break;
        case I_MATCH:
            if (require_end && sp != len)
                fail_now = true;
            else
                matched = true;
            break;
        }
        if (matched)
            break;
        if (fail_now) {
            /* pop restore entries until a branch to retry */
            bool resumed = false;
            while (top > 0) {
                bt_entry *e = &stack[--top];
                if (e->sp == -1) {
                    caps[e->slot] = e->old;
                } else {
                    pc = e->pc;
                    sp = e->sp;
                    resumed = true;
                    break;
                }
            }
            if (!resumed)
                break;
        }
    }
    cb_free(stack);
    if (matched)
        for (int i = 0; i < 2 * re->ngroups; i++)
            re->captures[i] = caps[i];
    return matched;
}

int cb_regex_search(const cb_regex *cre, const char *text, int *match_len) {
    cb_regex *re = (cb_regex *)cre; /* captures are cached in the object */
    int len = (int)cb_strlen(text);
    bool anchored = re->ncode > 1 && re->code[1].op == I_BOL;
    for (int start = 0; start <= len; start++) {
        if (vm_run(re, text, len, start, false)) {
            if (match_len)
                *match_len = re->captures[1] - re->captures[0];
            return re->captures[0];
        }
        if (anchored)
            break;
    }
    return -1;
}

bool cb_regex_full_match(const cb_regex *cre, const char *text) {
    cb_regex *re = (cb_regex *)cre;
    return vm_run(re, text, (int)cb_strlen(text), 0, true);
}

int cb_regex_count(const cb_regex *re, const char *text) {
    int count = 0, offset = 0, len = (int)cb_strlen(text);
    while (offset <= len) {
        int mlen;
        int at = cb_regex_search(re, text + offset, &mlen);
        if (at < 0)
            break;
        count++;
        offset += at + (mlen > 0 ? mlen : 1);
    }
    return count;
}

int cb_regex_group(const cb_regex *re, int group, int *start, int *len) {
    if (group < 0 || group >= re->ngroups)
        return 0;
    int s = re->captures[2 * group], e = re->captures[2 * group + 1];
    if (s < 0 || e < 0)
        return 0;
    *start = s;
    *len = e - s;
    return 1;
}
