/* "calc": a small scripting language with integers, strings, variables,
 * functions (with recursion), if/else, while, return and print.
 *
 *   fn fib(n) { if (n < 2) { return n; } return fib(n - 1) + fib(n - 2); }
 *   let i = 0;
 *   while (i < 5) { print("fib", i, "=", fib(i)); i = i + 1; }
 *
 * Pipeline: lexer -> Pratt/recursive-descent parser building an AST in an
 * arena -> tree-walking interpreter.  The value of the last top-level
 * expression statement (or of a top-level return) is the program result. */
#include "cb.h"

/* ---- lexer ---- */
typedef enum {
    T_EOF,
    T_INT,
    T_STR,
    T_IDENT,
    T_LET,
    T_FN,
    T_IF,
    T_ELSE,
    T_WHILE,
    T_RETURN,
    T_LPAREN,
    T_RPAREN,
    T_LBRACE,
    T_RBRACE,
    T_COMMA,
    T_SEMI,
    T_ASSIGN,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_PERCENT,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_AND,
    T_OR,
    T_NOT,
    T_ERROR
} tok_kind;

typedef struct {
    tok_kind kind;
    const char *start;
    int len;
    i64 value;
    int line;
} token;

typedef struct {
    const char *src;
    usize pos;
    int line;
    token tok;  /* current */
    token next; /* one token of lookahead */
    bool has_next;
} lexer;

static const struct {
    const char *word;
    tok_kind kind;
} keywords[] = {
    {"let", T_LET}, {"fn", T_FN}, {"if", T_IF}, {"else", T_ELSE}, {"while", T_WHILE}, {"return", T_RETURN},
};

static token lex_one(lexer *lx) {
    const char *s = lx->src;
    for (;;) {
        while (cb_isspace(s[lx->pos])) {
            if (s[lx->pos] == '\n')
                lx->line++;
            lx->pos++;
        }
        if (s[lx->pos] == '#') { /* comment to end of line */
            while (s[lx->pos] && s[lx->pos] != '\n')
                lx->pos++;
            continue;
        }
        break;
    }
    token t;
    t.start = s + lx->pos;
    t.len = 1;
    t.value = 0;
    t.line = lx->line;
    char c = s[lx->pos];
    if (c == 0) {
        t.kind = T_EOF;
        t.len = 0;
        return t;
    }
    if (cb_isdigit(c)) {
        i64 v = 0;
        usize start = lx->pos;
        while (cb_isdigit(s[lx->pos]))
            v = v * 10 + (s[lx->pos++] - '0');
        t.kind = T_INT;
        t.value = v;
        t.len = (int)(lx->pos - start);
        return t;
    }
    if (cb_isalpha(c) || c == '_') {
        usize start = lx->pos;
        while (cb_isalnum(s[lx->pos]) || s[lx->pos] == '_')
            lx->pos++;
        t.len = (int)(lx->pos - start);
        t.kind = T_IDENT;
        for (usize i = 0; i < CB_ARRAY_LEN(keywords); i++)
            if ((int)cb_strlen(keywords[i].word) == t.len && cb_strncmp(keywords[i].word, t.start, (usize)t.len) == 0)
                t.kind = keywords[i].kind;
        return t;
    }
    if (c == '"') {
        usize start = ++lx->pos;
        while (s[lx->pos] && s[lx->pos] != '"') {
            if (s[lx->pos] == '\\' && s[lx->pos + 1])
                lx->pos++;
            lx->pos++;
        }
        if (!s[lx->pos]) {
            t.kind = T_ERROR;
            return t;
        }
        t.kind = T_STR;
        t.start = s + start;
        t.len = (int)(lx->pos - start);
        lx->pos++;
        return t;
    }
    lx->pos++;
    char n = s[lx->pos];
    switch (c) {
    case '(':
        t.kind = T_LPAREN;
        break;
    case ')':
        t.kind = T_RPAREN;
        break;
    case '{':
        t.kind = T_LBRACE;
        break;
    case '}':
        t.kind = T_RBRACE;
        break;
    case ',':
        t.kind = T_COMMA;
        break;
    case ';':
        t.kind = T_SEMI;
        break;
    case '+':
        t.kind = T_PLUS;
        break;
    case '-':
        t.kind = T_MINUS;
        break;
    case '*':
        t.kind = T_STAR;
        break;
    case '/':
        t.kind = T_SLASH;
        break;
    case '%':
        t.kind = T_PERCENT;
        break;
    case '=':
        t.kind = n == '=' ? T_EQ : T_ASSIGN;
        break;
    case '!':
        t.kind = n == '=' ? T_NE : T_NOT;
        break;
    case '<':
        t.kind = n == '=' ? T_LE : T_LT;
        break;
    case '>':
        t.kind = n == '=' ? T_GE : T_GT;
        break;
    case '&':
        t.kind = n == '&' ? T_AND : T_ERROR;
        break;
    case '|':
        t.kind = n == '|' ? T_OR : T_ERROR;
        break;
    default:
        t.kind = T_ERROR;
        break;
    }
    if (t.kind == T_EQ || t.kind == T_NE || t.kind == T_LE || t.kind == T_GE || t.kind == T_AND || t.kind == T_OR) {
        lx->pos++;
        t.len = 2;
    }
    return t;
}

static void lex_advance(lexer *lx) {
    if (lx->has_next) {
        lx->tok = lx->next;
        lx->has_next = false;
    } else {
        lx->tok = lex_one(lx);
    }
}

static token *lex_peek2(lexer *lx) {
    if (!lx->has_next) {
        lx->next = lex_one(lx);
        lx->has_next = true;
    }
    return &lx->next;
}

/* ---- AST ---- */
typedef enum {
    E_INT,
    E_STR,
    E_VAR,
    E_ASSIGN,
    E_BINARY,
    E_UNARY,
    E_CALL,
    S_EXPR,
    S_LET,
    S_IF,
    S_WHILE,
    S_RETURN,
    S_BLOCK,
    S_FN
} ast_kind;

typedef struct ast ast;
struct ast {
    ast_kind kind;
    tok_kind op;
    i64 value;
    const char *name; /* identifiers, string literals (unescaped) */
    int name_len;
    ast *a, *b, *c;   /* operands / condition, then, else / body */
    ast **list;       /* call args, block statements, fn params (as E_VAR) */
    int count;
    int line;
};

typedef struct {
    lexer lx;
    cb_arena *arena;
    char error[128];
} parser;

static ast *mk(parser *p, ast_kind kind) {
    ast *n = cb_arena_alloc(p->arena, sizeof(ast));
    cb_memset(n, 0, sizeof *n);
    n->kind = kind;
    n->line = p->lx.tok.line;
    return n;
}

static void perror_at(parser *p, const char *msg) {
    if (p->error[0])
        return;
    cb_sb sb;
    cb_sb_init(&sb);
    cb_sb_fmt(&sb, "line %d: %s", p->lx.tok.line, msg);
    usize n = CB_MIN(sb.len, sizeof p->error - 1);
    cb_memcpy(p->error, sb.data, n);
    p->error[n] = 0;
    cb_sb_free(&sb);
}

static bool expect(parser *p, tok_kind kind, const char *what) {
    if (p->lx.tok.kind != kind) {
        cb_sb sb;
        cb_sb_init(&sb);
        cb_sb_fmt(&sb, "expected %s", what);
        perror_at(p, cb_sb_cstr(&sb));
        cb_sb_free(&sb);
        return false;
    }
    lex_advance(&p->lx);
    return true;
}

typedef struct {
    ast **items;
    int count, cap;
} ast_list;

static void list_push(parser *p, ast_list *l, ast *n) {
    if (l->count == l->cap) {
        int cap = l->cap ? l->cap * 2 : 4;
        ast **items = cb_arena_alloc(p->arena, (usize)cap * sizeof(ast *));
        if (l->count)
            cb_memcpy(items, l->items, (usize)l->count * sizeof(ast *));
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count++] = n;
}

static ast *parse_expr(parser *p, int min_prec);
static ast *parse_stmt(parser *p);

static char *unescape(parser *p, const char *s, int len) {
    char *out = cb_arena_alloc(p->arena, (usize)len + 1);
    int n = 0;
    for (int i = 0; i < len; i++) {
        if (s[i] == '\\' && i + 1 < len) {
            i++;
            out[n++] = s[i] == 'n' ? '\n' : s[i] == 't' ? '\t' : s[i];
        } else {
            out[n++] = s[i];
        }
    }
    out[n] = 0;
    return out;
}

static ast *parse_primary(parser *p) {
    token t = p->lx.tok;
    switch (t.kind) {
    case T_INT: {
        ast *n = mk(p, E_INT);
        n->value = t.value;
        lex_advance(&p->lx);
        return n;
    }
    case T_STR: {
        ast *n = mk(p, E_STR);
        n->name = unescape(p, t.start, t.len);
        n->name_len = (int)cb_strlen(n->name);
        lex_advance(&p->lx);
        return n;
    }
    case T_IDENT: {
        lex_advance(&p->lx);
        if (p->lx.tok.kind == T_LPAREN) {
            ast *n = mk(p, E_CALL);
            n->name = t.start;
            n->name_len = t.len;
            lex_advance(&p->lx);
            ast_list args = {0, 0, 0};
            if (p->lx.tok.kind != T_RPAREN) {
                for (;;) {
                    ast *arg = parse_expr(p, 0);
                    if (!arg)
                        return NULL;
                    list_push(p, &args, arg);
                    if (p->lx.tok.kind != T_COMMA)
                        break;
                    lex_advance(&p->lx);
                }
            }
            if (!expect(p, T_RPAREN, "')' after arguments"))
                return NULL;
            n->list = args.items;
            n->count = args.count;
            return n;
        }
        ast *n = mk(p, E_VAR);
        n->name = t.start;
        n->name_len = t.len;
        return n;
    }
    case T_LPAREN: {
        lex_advance(&p->lx);
        ast *n = parse_expr(p, 0);
        if (!n || !expect(p, T_RPAREN, "')'"))
            return NULL;
        return n;
    }
    case T_MINUS:
    case T_NOT: {
        lex_advance(&p->lx);
        ast *n = mk(p, E_UNARY);
        n->op = t.kind;
        n->a = parse_expr(p, 7); /* binds tighter than any binary operator */
        return n->a ? n : NULL;
    }
    default:
        perror_at(p, "expected an expression");
        return NULL;
    }
}

static int precedence(tok_kind k) {
    switch (k) {
    case T_OR:
        return 1;
    case T_AND:
        return 2;
    case T_EQ:
    case T_NE:
        return 3;
    case T_LT:
    case T_LE:
    case T_GT:
    case T_GE:
        return 4;
    case T_PLUS:
    case T_MINUS:
        return 5;
    case T_STAR:
    case T_SLASH:
    case T_PERCENT:
        return 6;
    default:
        return -1;
    }
}

/* precedence climbing; assignment is handled here as right-associative */
static ast *parse_expr(parser *p, int min_prec) {
    if (min_prec == 0 && p->lx.tok.kind == T_IDENT && lex_peek2(&p->lx)->kind == T_ASSIGN) {
        ast *n = mk(p, E_ASSIGN);
        n->name = p->lx.tok.start;
        n->name_len = p->lx.tok.len;
        lex_advance(&p->lx);
        lex_advance(&p->lx);
        n->a = parse_expr(p, 0);
        return n->a ? n : NULL;
    }
    ast *left = parse_primary(p);
    while (left) {
        tok_kind op = p->lx.tok.kind;
        int prec = precedence(op);
        if (prec < 0 || prec < min_prec || prec == 0)
            break;
        lex_advance(&p->lx);
        ast *right = parse_expr(p, prec + 1);
        if (!right)
            return NULL;
        ast *n = mk(p, E_BINARY);
        n->op = op;
        n->a = left;
        n->b = right;
        left = n;
    }
    return left;
}

static ast *parse_block(parser *p) {
    if (!expect(p, T_LBRACE, "'{'"))
        return NULL;
    ast *n = mk(p, S_BLOCK);
    ast_list stmts = {0, 0, 0};
    while (p->lx.tok.kind != T_RBRACE) {
        if (p->lx.tok.kind == T_EOF) {
            perror_at(p, "unterminated block");
            return NULL;
        }
        ast *s = parse_stmt(p);
        if (!s)
            return NULL;
        list_push(p, &stmts, s);
    }
    lex_advance(&p->lx);
    n->list = stmts.items;
    n->count = stmts.count;
    return n;
}

static ast *parse_stmt(parser *p) {
    switch (p->lx.tok.kind) {
    case T_LET: {
        lex_advance(&p->lx);
        ast *n = mk(p, S_LET);
        if (p->lx.tok.kind != T_IDENT) {
            perror_at(p, "expected a name after let");
            return NULL;
        }
        n->name = p->lx.tok.start;
        n->name_len = p->lx.tok.len;
        lex_advance(&p->lx);
        if (!expect(p, T_ASSIGN, "'='"))
            return NULL;
        n->a = parse_expr(p, 0);
        if (!n->a || !expect(p, T_SEMI, "';'"))
            return NULL;
        return n;
    }
    case T_FN: {
        lex_advance(&p->lx);
        ast *n = mk(p, S_FN);
        if (p->lx.tok.kind != T_IDENT) {
            perror_at(p, "expected a function name");
            return NULL;
        }
        n->name = p->lx.tok.start;
        n->name_len = p->lx.tok.len;
        lex_advance(&p->lx);
        if (!expect(p, T_LPAREN, "'('"))
            return NULL;
        ast_list params = {0, 0, 0};
        while (p->lx.tok.kind == T_IDENT) {
            ast *param = mk(p, E_VAR);
            param->name = p->lx.tok.start;
            param->name_len = p->lx.tok.len;
            list_push(p, &params, param);
            lex_advance(&p->lx);
            if (p->lx.tok.kind != T_COMMA)
                break;
            lex_advance(&p->lx);
        }
        if (!expect(p, T_RPAREN, "')'"))
            return NULL;
        n->list = params.items;
        n->count = params.count;
        n->a = parse_block(p);
        return n->a ? n : NULL;
    }
    case T_IF: {
        lex_advance(&p->lx);
        ast *n = mk(p, S_IF);
        if (!expect(p, T_LPAREN, "'(' after if"))
            return NULL;
        n->a = parse_expr(p, 0);
        if (!n->a || !expect(p, T_RPAREN, "')'"))
            return NULL;
        n->b = parse_block(p);
        if (!n->b)
            return NULL;
        if (p->lx.tok.kind == T_ELSE) {
            lex_advance(&p->lx);
            n->c = p->lx.tok.kind == T_IF ? parse_stmt(p) : parse_block(p);
            if (!n->c)
                return NULL;
        }
        return n;
    }
    case T_WHILE: {
        lex_advance(&p->lx);
        ast *n = mk(p, S_WHILE);
        if (!expect(p, T_LPAREN, "'(' after while"))
            return NULL;
        n->a = parse_expr(p, 0);
        if (!n->a || !expect(p, T_RPAREN, "')'"))
            return NULL;
        n->b = parse_block(p);
        return n->b ? n : NULL;
    }
    case T_RETURN: {
        lex_advance(&p->lx);
        ast *n = mk(p, S_RETURN);
        if (p->lx.tok.kind != T_SEMI) {
            n->a = parse_expr(p, 0);
            if (!n->a)
                return NULL;
        }
        return expect(p, T_SEMI, "';' after return") ? n : NULL;
    }
    case T_LBRACE:
        return parse_block(p);
    default: {
        ast *n = mk(p, S_EXPR);
        n->a = parse_expr(p, 0);
        if (!n->a || !expect(p, T_SEMI, "';'"))
            return NULL;
        return n;
    }
    }
}

/* ---- interpreter ---- */
typedef enum { V_INT, V_STR } value_kind;
typedef struct {
    value_kind kind;
    i64 i;
    const char *s;
} value;

typedef struct {
    const char *name;
    int name_len;
    value v;
} binding;

typedef struct frame {
    binding *vars;
    int count, cap;
    struct frame *parent; /* globals for function frames */
} frame;

typedef struct {
    const char *name;
    int name_len;
    const ast *decl;
} function;

typedef struct {
    cb_arena *arena;
    frame globals;
    function *fns;
    int nfns, capfns;
    cb_sb out;
    char error[128];
    bool returning;
    value ret;
    int depth;
    long steps;
} interp;

#define CALC_MAX_DEPTH 150
#define CALC_MAX_STEPS 5000000

static void rt_error(interp *in, int line, const char *msg) {
    if (in->error[0])
        return;
    cb_sb sb;
    cb_sb_init(&sb);
    cb_sb_fmt(&sb, "line %d: %s", line, msg);
    usize n = CB_MIN(sb.len, sizeof in->error - 1);
    cb_memcpy(in->error, sb.data, n);
    in->error[n] = 0;
    cb_sb_free(&sb);
}

static binding *lookup(frame *f, const char *name, int len) {
    for (; f; f = f->parent)
        for (int i = f->count - 1; i >= 0; i--)
            if (f->vars[i].name_len == len && cb_strncmp(f->vars[i].name, name, (usize)len) == 0)
                return &f->vars[i];
    return NULL;
}

static void define(frame *f, const char *name, int len, value v) {
    for (int i = 0; i < f->count; i++) {
        if (f->vars[i].name_len == len && cb_strncmp(f->vars[i].name, name, (usize)len) == 0) {
            f->vars[i].v = v;
            return;
        }
    }
    if (f->count == f->cap) {
        int cap = f->cap ? f->cap * 2 : 8;
        f->vars = cb_realloc(f->vars, (usize)cap * sizeof(binding));
        f->cap = cap;
    }
    f->vars[f->count].name = name;
    f->vars[f->count].name_len = len;
    f->vars[f->count].v = v;
    f->count++;
}

static const function *find_fn(interp *in, const char *name, int len) {
    for (int i = 0; i < in->nfns; i++)
        if (in->fns[i].name_len == len && cb_strncmp(in->fns[i].name, name, (usize)len) == 0)
            return &in->fns[i];
    return NULL;
}

static value int_value(i64 i) {
    value v = {V_INT, i, NULL};
    return v;
}

static value str_value(const char *s) {
    value v = {V_STR, 0, s};
    return v;
}

static const char *to_string(interp *in, value v) {
    if (v.kind == V_STR)
        return v.s;
    char buf[24];
    int n = cb_itoa(v.i, buf);
    return cb_arena_strdup(in->arena, buf, (usize)n);
}

static bool truthy(value v) { return v.kind == V_INT ? v.i != 0 : v.s[0] != 0; }

static value eval(interp *in, const ast *n, frame *f);
static void exec(interp *in, const ast *n, frame *f);

static value call_builtin(interp *in, const ast *n, frame *f, bool *handled) {
    *handled = true;
#define IS(word) (n->name_len == (int)sizeof(word) - 1 && cb_strncmp(n->name, word, sizeof(word) - 1) == 0)
    if (IS("print")) {
        for (int i = 0; i < n->count; i++) {
            value v = eval(in, n->list[i], f);
            if (in->error[0])
                return int_value(0);
            if (i)
                cb_sb_putc(&in->out, ' ');
            cb_sb_puts(&in->out, to_string(in, v));
        }
        cb_sb_putc(&in->out, '\n');
        return int_value(n->count);
    }
    if (IS("len") && n->count == 1) {
        value v = eval(in, n->list[0], f);
        return int_value(v.kind == V_STR ? (i64)cb_strlen(v.s) : (i64)cb_strlen(to_string(in, v)));
    }
    if (IS("str") && n->count == 1)
        return str_value(to_string(in, eval(in, n->list[0], f)));
    if (IS("abs") && n->count == 1) {
        value v = eval(in, n->list[0], f);
        return int_value(v.i < 0 ? -v.i : v.i);
    }
    if (IS("substr") && n->count == 3) {
        value s = eval(in, n->list[0], f), a = eval(in, n->list[1], f), b = eval(in, n->list[2], f);
        if (s.kind != V_STR || a.kind != V_INT || b.kind != V_INT) {
            rt_error(in, n->line, "substr(string, start, length)");
            return int_value(0);
        }
        i64 len = (i64)cb_strlen(s.s);
        i64 start = CB_MAX(0, CB_MIN(a.i, len));
        i64 count = CB_MAX(0, CB_MIN(b.i, len - start));
        return str_value(cb_arena_strdup(in->arena, s.s + start, (usize)count));
    }
#undef IS
    *handled = false;
    return int_value(0);
}

static value call(interp *in, const ast *n, frame *f) {
    bool handled;
    value r = call_builtin(in, n, f, &handled);
    if (handled)
        return r;
    const function *fn = find_fn(in, n->name, n->name_len);
    if (!fn) {
        rt_error(in, n->line, "call to undefined function");
        return int_value(0);
    }
    const ast *decl = fn->decl;
    if (decl->count != n->count) {
        rt_error(in, n->line, "wrong number of arguments");
        return int_value(0);
    }
    if (in->depth >= CALC_MAX_DEPTH) {
        rt_error(in, n->line, "recursion too deep");
        return int_value(0);
    }
    frame local = {NULL, 0, 0, &in->globals};
    for (int i = 0; i < n->count; i++) {
        value arg = eval(in, n->list[i], f);
        define(&local, decl->list[i]->name, decl->list[i]->name_len, arg);
    }
    in->depth++;
    exec(in, decl->a, &local);
    in->depth--;
    value result = in->returning ? in->ret : int_value(0);
    in->returning = false;
    cb_free(local.vars);
    return result;
}

static value binary(interp *in, const ast *n, value a, value b) {
    if (n->op == T_PLUS && (a.kind == V_STR || b.kind == V_STR)) {
        const char *x = to_string(in, a), *y = to_string(in, b);
        usize lx = cb_strlen(x), ly = cb_strlen(y);
        char *s = cb_arena_alloc(in->arena, lx + ly + 1);
        cb_memcpy(s, x, lx);
        cb_memcpy(s + lx, y, ly + 1);
        return str_value(s);
    }
    if ((n->op == T_EQ || n->op == T_NE) && a.kind == V_STR && b.kind == V_STR) {
        bool eq = cb_strcmp(a.s, b.s) == 0;
        return int_value(n->op == T_EQ ? eq : !eq);
    }
    if (a.kind != V_INT || b.kind != V_INT) {
        rt_error(in, n->line, "operator needs integers");
        return int_value(0);
    }
    i64 x = a.i, y = b.i;
    switch (n->op) {
    case T_PLUS:
        return int_value((i64)((u64)x + (u64)y));
    case T_MINUS:
        return int_value((i64)((u64)x - (u64)y));
    case T_STAR:
        return int_value((i64)((u64)x * (u64)y));
    case T_SLASH:
    case T_PERCENT:
        if (y == 0) {
            rt_error(in, n->line, "division by zero");
            return int_value(0);
        }
        if (x == (i64)0x8000000000000000ull && y == -1)
            return int_value(n->op == T_SLASH ? x : 0);
        return int_value(n->op == T_SLASH ? x / y : x % y);
    case T_EQ:
        return int_value(x == y);
    case T_NE:
        return int_value(x != y);
    case T_LT:
        return int_value(x < y);
    case T_LE:
        return int_value(x <= y);
    case T_GT:
        return int_value(x > y);
    case T_GE:
        return int_value(x >= y);
    default:
        rt_error(in, n->line, "bad operator");
        return int_value(0);
    }
}

static value eval(interp *in, const ast *n, frame *f) {
    if (in->error[0])
        return int_value(0);
    if (++in->steps > CALC_MAX_STEPS) {
        rt_error(in, n->line, "step limit exceeded");
        return int_value(0);
    }
    switch (n->kind) {
    case E_INT:
        return int_value(n->value);
    case E_STR:
        return str_value(n->name);
    case E_VAR: {
        binding *b = lookup(f, n->name, n->name_len);
        if (!b) {
            rt_error(in, n->line, "undefined variable");
            return int_value(0);
        }
        return b->v;
    }
    case E_ASSIGN: {
        value v = eval(in, n->a, f);
        binding *b = lookup(f, n->name, n->name_len);
        if (!b) {
            rt_error(in, n->line, "assignment to undeclared variable");
            return int_value(0);
        }
        b->v = v;
        return v;
    }
    case E_UNARY: {
        value v = eval(in, n->a, f);
        if (n->op == T_NOT)
            return int_value(!truthy(v));
        if (v.kind != V_INT) {
            rt_error(in, n->line, "cannot negate a string");
            return int_value(0);
        }
        return int_value((i64)(0 - (u64)v.i));
    }
    case E_BINARY: {
        if (n->op == T_AND || n->op == T_OR) {
            bool left = truthy(eval(in, n->a, f));
            if (n->op == T_AND && !left)
                return int_value(0);
            if (n->op == T_OR && left)
                return int_value(1);
            return int_value(truthy(eval(in, n->b, f)));
        }
        value a = eval(in, n->a, f);
        value b = eval(in, n->b, f);
        return binary(in, n, a, b);
    }
    case E_CALL:
        return call(in, n, f);
    default:
        rt_error(in, n->line, "not an expression");
        return int_value(0);
    }
}

static value last_value;

static void exec(interp *in, const ast *n, frame *f) {
    if (in->error[0] || in->returning)
        return;
    switch (n->kind) {
    case S_EXPR:
        last_value = eval(in, n->a, f);
        break;
    case S_LET:
        define(f, n->name, n->name_len, eval(in, n->a, f));
        break;
    case S_IF:
        if (truthy(eval(in, n->a, f)))
            exec(in, n->b, f);
        else if (n->c)
            exec(in, n->c, f);
        break;
    case S_WHILE:
        while (!in->error[0] && !in->returning && truthy(eval(in, n->a, f)))
            exec(in, n->b, f);
        break;
    case S_RETURN:
        in->ret = n->a ? eval(in, n->a, f) : int_value(0);
        in->returning = true;
        break;
    case S_BLOCK:
        for (int i = 0; i < n->count && !in->error[0] && !in->returning; i++)
            exec(in, n->list[i], f);
        break;
    case S_FN:
        if (find_fn(in, n->name, n->name_len)) {
            rt_error(in, n->line, "function defined twice");
            break;
        }
        if (in->nfns == in->capfns) {
            int cap = in->capfns ? in->capfns * 2 : 8;
            in->fns = cb_realloc(in->fns, (usize)cap * sizeof(function));
            in->capfns = cap;
        }
        in->fns[in->nfns].name = n->name;
        in->fns[in->nfns].name_len = n->name_len;
        in->fns[in->nfns].decl = n;
        in->nfns++;
        break;
    default:
        rt_error(in, n->line, "not a statement");
        break;
    }
}

static void copy_out(char *dst, usize cap, const char *src) {
    usize n = CB_MIN(cb_strlen(src), cap - 1);
    cb_memcpy(dst, src, n);
    dst[n] = 0;
}

void calc_run(const char *source, calc_result *result) {
    cb_arena arena;
    cb_arena_init(&arena, 4096);
    parser p;
    cb_memset(&p, 0, sizeof p);
    p.lx.src = source;
    p.lx.line = 1;
    p.arena = &arena;
    lex_advance(&p.lx);

    ast_list program = {0, 0, 0};
    while (p.lx.tok.kind != T_EOF && !p.error[0]) {
        if (p.lx.tok.kind == T_ERROR) {
            perror_at(&p, "bad token");
            break;
        }
        ast *s = parse_stmt(&p);
        if (s)
            list_push(&p, &program, s);
    }

    result->ok = false;
    result->value = 0;
    result->output[0] = 0;
    result->error[0] = 0;
    if (p.error[0]) {
        copy_out(result->error, sizeof result->error, p.error);
        cb_arena_free(&arena);
        return;
    }

    interp in;
    cb_memset(&in, 0, sizeof in);
    in.arena = &arena;
    cb_sb_init(&in.out);
    last_value = int_value(0);
    /* hoist function definitions so calls may precede them */
    for (int i = 0; i < program.count; i++)
        if (program.items[i]->kind == S_FN)
            exec(&in, program.items[i], &in.globals);
    for (int i = 0; i < program.count && !in.error[0]; i++) {
        if (program.items[i]->kind == S_FN)
            continue;
        exec(&in, program.items[i], &in.globals);
        if (in.returning) {
            last_value = in.ret;
            break;
        }
    }
    copy_out(result->output, sizeof result->output, cb_sb_cstr(&in.out));
    if (in.error[0]) {
        copy_out(result->error, sizeof result->error, in.error);
    } else {
        result->ok = true;
        result->value = last_value.kind == V_INT ? last_value.i : (i64)cb_strlen(last_value.s);
    }
    cb_sb_free(&in.out);
    cb_free(in.globals.vars);
    cb_free(in.fns);
    cb_arena_free(&arena);
}
