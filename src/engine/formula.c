/* SPDX-License-Identifier: MIT */
/*
 * formula: a recursive-descent parser for KPI formulas into a small tree kept
 * in one array (children by index), its needs walk, evaluator and printer.
 * The parser builds the tree in a fixed scratch array and copies it into the
 * one heap object only when the whole text is accepted. Recursion is
 * bounded by the limits: parentheses by FORMULA_DEPTH_MAX, unary minus chains
 * and the tree's height by FORMULA_NODES_MAX.
 */
#include "engine/formula.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#include "base/banned.h"

#define SCALE 10000.0L /* values are carried as units of 1/10000 */
/* Room for the list of known measures in an error message. */
#define KNOWN_LIST_MAX 160

enum node_kind {
    NODE_NUMBER,
    NODE_MEASURE,
    NODE_NEG,
    NODE_ADD,
    NODE_SUB,
    NODE_MUL,
    NODE_DIV,
    NODE_PREV,
    NODE_YOY,
};

struct node {
    long double value; /* NODE_NUMBER: the number × 10^4 */
    uint64_t digits;   /* NODE_NUMBER: the significant digits as an integer */
    int decimals;      /* NODE_NUMBER: how many of them follow the point */
    int measure;       /* NODE_MEASURE: the id, or FORMULA_TARGET */
    int left, right;   /* children; the operand of NEG, PREV and YOY is `left` */
    int name_at;       /* NODE_MEASURE: where its name is in the text */
    int name_len;
    enum node_kind kind;
};

struct formula {
    int root;
    size_t node_count;
    size_t need_count;
    size_t text_len;
    char text[FORMULA_TEXT_MAX];
    struct formula_need needs[FORMULA_NODES_MAX];
    struct node nodes[];
};

/* ---- tokens ---- */

enum token_kind {
    TOK_END,
    TOK_NUMBER,
    TOK_NAME,
    TOK_PLUS,
    TOK_MINUS,
    TOK_STAR,
    TOK_SLASH,
    TOK_LPAREN,
    TOK_RPAREN,
};

struct token {
    enum token_kind kind;
    size_t start;
    size_t len;
};

struct parser {
    const char *text;
    size_t len;
    size_t pos; /* next byte to scan */
    const char *const *names;
    size_t count;
    int depth;
    size_t node_count;
    struct sd_error *err;
    struct node nodes[FORMULA_NODES_MAX];
};

__attribute__((format(printf, 4, 5))) static int fail(const struct parser *p, int code, size_t at,
                                                      const char *fmt, ...)
{
    char reason[SD_ERROR_MSG_MAX];
    va_list ap;

    if (!p->err)
        return code;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    sd_error_set(p->err, code, "formula " SD_QUOTE_FMT ": column %zu: %s",
                 SD_QUOTE_ARGS(p->text, p->len), at + 1, reason);
    p->err->column = (int)(at + 1);
    return code;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_name_char(char c)
{
    return is_name_start(c) || is_digit(c);
}

static enum token_kind operator_kind(char c)
{
    switch (c) {
    case '+': return TOK_PLUS;
    case '-': return TOK_MINUS;
    case '*': return TOK_STAR;
    case '/': return TOK_SLASH;
    case '(': return TOK_LPAREN;
    case ')': return TOK_RPAREN;
    default: return TOK_END;
    }
}

/* A number: digits with at most one point, at least one digit. */
static size_t number_length(const char *s, size_t len)
{
    size_t n = 0, digits = 0;
    int point = 0;

    for (; n < len; n++) {
        if (is_digit(s[n]))
            digits++;
        else if (s[n] == '.' && !point)
            point = 1;
        else
            break;
    }
    return digits > 0 ? n : 0;
}

static int bad_character(const struct parser *p, size_t at)
{
    unsigned char c = (unsigned char)p->text[at];

    if (c > 0x20 && c < 0x7f)
        return fail(p, SD_EINVAL, at, "unexpected character '%c'", c);
    return fail(p, SD_EINVAL, at,
                "unexpected byte 0x%02x (a formula is ASCII: numbers, names, + - * / ( ))", c);
}

/* Skips whitespace and describes the next token without consuming it. */
static int peek(struct parser *p, struct token *t)
{
    while (p->pos < p->len && is_space(p->text[p->pos]))
        p->pos++;
    t->start = p->pos;
    t->len = 1;
    if (p->pos == p->len) {
        t->kind = TOK_END;
        t->len = 0;
        return 0;
    }
    const char *s = p->text + p->pos;
    size_t rest = p->len - p->pos;
    if ((t->kind = operator_kind(s[0])) != TOK_END)
        return 0;
    if (is_name_start(s[0])) {
        t->kind = TOK_NAME;
        while (t->len < rest && is_name_char(s[t->len]))
            t->len++;
        return 0;
    }
    if ((t->len = number_length(s, rest)) > 0) {
        t->kind = TOK_NUMBER;
        return 0;
    }
    return bad_character(p, p->pos);
}

static void advance(struct parser *p, const struct token *t)
{
    p->pos = t->start + t->len;
}

/* ---- nodes ---- */

/* Takes the next node for a token at `at`, or SD_ELIMIT past FORMULA_NODES_MAX. */
static int claim(struct parser *p, enum node_kind kind, size_t at, int *index)
{
    if (p->node_count == FORMULA_NODES_MAX)
        return fail(p, SD_ELIMIT, at, "more than %d numbers, names and operators",
                    FORMULA_NODES_MAX);
    struct node *n = &p->nodes[p->node_count];
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->left = n->right = -1;
    *index = (int)p->node_count++;
    return 0;
}

/* 10^n, exact up to 10^27 (5^27 fits in the 64-bit significand of x87 long double). */
static long double power_of_ten(int n)
{
    long double result = 1.0L;

    if (n > 27)
        return powl(10.0L, (long double)n);
    while (n-- > 0)
        result *= 10.0L;
    return result;
}

/*
 * Fills a NODE_NUMBER from the token: drops the fraction's trailing zeros
 * and the leading zeros, keeps at most FORMULA_DIGITS_MAX digits.
 */
static int parse_number(struct parser *p, const struct token *t, struct node *n)
{
    const char *s = p->text + t->start;
    size_t point = 0, end = t->len;
    int significant = 0;

    while (point < t->len && s[point] != '.')
        point++;
    if (point < t->len) {
        while (end > point + 1 && s[end - 1] == '0')
            end--;
    }
    for (size_t i = 0; i < end; i++) {
        if (i == point || (significant == 0 && s[i] == '0'))
            continue;
        if (++significant > FORMULA_DIGITS_MAX)
            return fail(p, SD_ELIMIT, t->start,
                        "number " SD_QUOTE_FMT " has more than %d significant digits",
                        SD_QUOTE_ARGS(s, t->len), FORMULA_DIGITS_MAX);
        n->digits = n->digits * 10 + (uint64_t)(s[i] - '0');
    }
    n->decimals = end > point ? (int)(end - point - 1) : 0;
    if (n->decimals <= 4)
        n->value = (long double)n->digits * power_of_ten(4 - n->decimals);
    else
        n->value = (long double)n->digits / power_of_ten(n->decimals - 4);
    return 0;
}

static int name_is(const struct parser *p, const struct token *t, const char *name)
{
    return strlen(name) == t->len && memcmp(p->text + t->start, name, t->len) == 0;
}

/* The measure id of a name, FORMULA_TARGET for `target`, or -2 when unknown. */
static int lookup(const struct parser *p, const struct token *t)
{
    if (name_is(p, t, "target"))
        return FORMULA_TARGET;
    for (size_t i = 0; i < p->count; i++) {
        if (p->names[i] && name_is(p, t, p->names[i]))
            return (int)i;
    }
    return -2;
}

/* "revenue, cost, target" (cut with "..." when long) into buf. */
static void known_measures(const struct parser *p, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < p->count; i++) {
        if (!p->names[i])
            continue;
        if (used + strlen(p->names[i]) + 2 > KNOWN_LIST_MAX) {
            used += (size_t)snprintf(buf + used, size - used, "..., ");
            break;
        }
        used += (size_t)snprintf(buf + used, size - used, "%s, ", p->names[i]);
    }
    snprintf(buf + used, size - used, "target");
}

static int unknown_measure(const struct parser *p, const struct token *t)
{
    const char *name = p->text + t->start;
    char known[KNOWN_LIST_MAX + 16];

    if (name_is(p, t, "prev") || name_is(p, t, "yoy"))
        return fail(p, SD_EINVAL, t->start, "'%.*s' is a function: write %.*s(...)", (int)t->len,
                    name, (int)t->len, name);
    known_measures(p, known, sizeof(known));
    return fail(p, SD_EINVAL, t->start, "unknown measure " SD_QUOTE_FMT " (known: %s)",
                SD_QUOTE_ARGS(name, t->len), known);
}

/* ---- grammar ---- */

static int parse_expr(struct parser *p, int *out);

/* After '(' at `open`: an expression, then ')'. Counts the nesting depth. */
static int parse_parenthesised(struct parser *p, size_t open, int *out)
{
    struct token t;
    int rc;

    if (++p->depth > FORMULA_DEPTH_MAX)
        return fail(p, SD_ELIMIT, open, "parentheses nested deeper than %d levels",
                    FORMULA_DEPTH_MAX);
    if ((rc = parse_expr(p, out)) != 0 || (rc = peek(p, &t)) != 0)
        return rc;
    if (t.kind != TOK_RPAREN)
        return fail(p, SD_EINVAL, t.start, "expected ')' to close the '(' at column %zu", open + 1);
    advance(p, &t);
    p->depth--;
    return 0;
}

/* `name(` with `name` consumed: prev(...) or yoy(...). */
static int parse_call(struct parser *p, const struct token *name, const struct token *open,
                      int *out)
{
    enum node_kind kind = name_is(p, name, "prev") ? NODE_PREV : NODE_YOY;
    int rc;

    if (!name_is(p, name, "prev") && !name_is(p, name, "yoy")) {
        if (lookup(p, name) != -2)
            return fail(p, SD_EINVAL, name->start,
                        SD_QUOTE_FMT " is a measure, not a function (functions: prev, yoy)",
                        SD_QUOTE_ARGS(p->text + name->start, name->len));
        return fail(p, SD_EINVAL, name->start,
                    "unknown function " SD_QUOTE_FMT " (functions: prev, yoy)",
                    SD_QUOTE_ARGS(p->text + name->start, name->len));
    }
    if ((rc = claim(p, kind, name->start, out)) != 0)
        return rc;
    advance(p, open);
    return parse_parenthesised(p, open->start, &p->nodes[*out].left);
}

static int parse_name(struct parser *p, const struct token *name, int *out)
{
    struct token next;
    int rc, measure;

    advance(p, name);
    if ((rc = peek(p, &next)) != 0)
        return rc;
    if (next.kind == TOK_LPAREN)
        return parse_call(p, name, &next, out);
    if ((measure = lookup(p, name)) == -2)
        return unknown_measure(p, name);
    if ((rc = claim(p, NODE_MEASURE, name->start, out)) != 0)
        return rc;
    p->nodes[*out].measure = measure;
    p->nodes[*out].name_at = (int)name->start;
    p->nodes[*out].name_len = (int)name->len;
    return 0;
}

static int expected_operand(const struct parser *p, const struct token *t)
{
    if (t->kind != TOK_END)
        return fail(p, SD_EINVAL, t->start, "expected a number, a measure or '('");
    if (p->node_count == 0 && p->depth == 0)
        return fail(p, SD_EINVAL, t->start, "the formula is empty");
    return fail(p, SD_EINVAL, t->start,
                "expected a number, a measure or '(', found the end of the formula");
}

static int parse_primary(struct parser *p, int *out)
{
    struct token t;
    int rc;

    if ((rc = peek(p, &t)) != 0)
        return rc;
    switch (t.kind) {
    case TOK_NUMBER:
        if ((rc = claim(p, NODE_NUMBER, t.start, out)) != 0 ||
            (rc = parse_number(p, &t, &p->nodes[*out])) != 0)
            return rc;
        advance(p, &t);
        return 0;
    case TOK_NAME: return parse_name(p, &t, out);
    case TOK_LPAREN: advance(p, &t); return parse_parenthesised(p, t.start, out);
    default: return expected_operand(p, &t);
    }
}

static int parse_unary(struct parser *p, int *out)
{
    struct token t;
    int rc;

    if ((rc = peek(p, &t)) != 0)
        return rc;
    if (t.kind != TOK_MINUS)
        return parse_primary(p, out);
    if ((rc = claim(p, NODE_NEG, t.start, out)) != 0)
        return rc;
    advance(p, &t);
    return parse_unary(p, &p->nodes[*out].left);
}

/*
 * One level of left-associative binary operators: operands from `operand`,
 * the tokens `first_tok` and `second_tok` making nodes of the paired kinds.
 */
static int parse_binary(struct parser *p, int (*operand)(struct parser *, int *),
                        enum token_kind first_tok, enum node_kind first_node,
                        enum token_kind second_tok, enum node_kind second_node, int *out)
{
    struct token t;
    int left, node = 0, rc;

    if ((rc = operand(p, &left)) != 0)
        return rc;
    for (;;) {
        if ((rc = peek(p, &t)) != 0)
            return rc;
        if (t.kind != first_tok && t.kind != second_tok)
            break;
        if ((rc = claim(p, t.kind == first_tok ? first_node : second_node, t.start, &node)) != 0)
            return rc;
        advance(p, &t);
        p->nodes[node].left = left;
        if ((rc = operand(p, &p->nodes[node].right)) != 0)
            return rc;
        left = node;
    }
    *out = left;
    return 0;
}

static int parse_term(struct parser *p, int *out)
{
    return parse_binary(p, parse_unary, TOK_STAR, NODE_MUL, TOK_SLASH, NODE_DIV, out);
}

static int parse_expr(struct parser *p, int *out)
{
    return parse_binary(p, parse_term, TOK_PLUS, NODE_ADD, TOK_MINUS, NODE_SUB, out);
}

/* After a whole expression: only the end may follow. */
static int expect_end(struct parser *p)
{
    struct token t;
    int rc = peek(p, &t);

    if (rc != 0 || t.kind == TOK_END)
        return rc;
    if (t.kind == TOK_RPAREN)
        return fail(p, SD_EINVAL, t.start, "')' without a matching '('");
    return fail(p, SD_EINVAL, t.start,
                "expected an operator or the end of the formula, found " SD_QUOTE_FMT,
                SD_QUOTE_ARGS(p->text + t.start, t.len));
}

/* ---- needs ---- */

static void collect_needs(struct formula *f, int index, struct formula_shift shift)
{
    const struct node *n = &f->nodes[index];

    switch (n->kind) {
    case NODE_NUMBER: return;
    case NODE_MEASURE:
        f->needs[f->need_count].measure = n->measure;
        f->needs[f->need_count].shift = shift;
        f->need_count++;
        return;
    case NODE_PREV: shift.prev++; break;
    case NODE_YOY: shift.years++; break;
    default: break;
    }
    collect_needs(f, n->left, shift);
    if (n->right >= 0)
        collect_needs(f, n->right, shift);
}

static int compare_int(int a, int b)
{
    return (a > b) - (a < b);
}

static int compare_needs(const void *a, const void *b)
{
    const struct formula_need *x = a, *y = b;
    int c = compare_int(x->measure, y->measure);

    if (c == 0)
        c = compare_int(x->shift.years, y->shift.years);
    return c != 0 ? c : compare_int(x->shift.prev, y->shift.prev);
}

static void sort_needs(struct formula *f)
{
    size_t kept = 0;

    if (f->need_count == 0)
        return;
    qsort(f->needs, f->need_count, sizeof(f->needs[0]), compare_needs);
    for (size_t i = 1; i < f->need_count; i++) {
        if (compare_needs(&f->needs[kept], &f->needs[i]) != 0)
            f->needs[++kept] = f->needs[i];
    }
    f->need_count = kept + 1;
}

/* ---- the API ---- */

int formula_parse(const char *text, size_t len, const char *const *names, size_t count,
                  struct formula **out, struct sd_error *err)
{
    struct parser *p = xcalloc(1, sizeof(*p));
    struct formula *f = NULL;
    int root = -1, rc;

    p->text = text ? text : "";
    p->len = text ? len : 0;
    p->names = names;
    p->count = names ? count : 0;
    p->err = err;
    if (p->len > FORMULA_TEXT_MAX)
        rc = fail(p, SD_ELIMIT, FORMULA_TEXT_MAX, "longer than %d bytes", FORMULA_TEXT_MAX);
    else if ((rc = parse_expr(p, &root)) == 0)
        rc = expect_end(p);
    if (rc == 0) {
        f = xcalloc(1, sizeof(*f) + p->node_count * sizeof(f->nodes[0]));
        f->root = root;
        f->node_count = p->node_count;
        f->text_len = p->len;
        memcpy(f->text, p->text, p->len);
        memcpy(f->nodes, p->nodes, p->node_count * sizeof(f->nodes[0]));
        collect_needs(f, root, (struct formula_shift){0, 0});
        sort_needs(f);
        *out = f;
    }
    free(p);
    return rc;
}

void formula_free(struct formula *f)
{
    free(f);
}

const struct formula_need *formula_needs(const struct formula *f, size_t *count)
{
    *count = f->need_count;
    return f->needs;
}

struct evaluation {
    const struct formula *f;
    formula_value_fn value;
    void *ctx;
    struct sd_error *err;
};

/* The value of a node × 10^4; NaN stands for none until the very end. */
static int eval_node(const struct evaluation *ev, int index, struct formula_shift shift,
                     long double *out)
{
    const struct node *n = &ev->f->nodes[index];
    long double left = 0, right = 0;
    int64_t got = FORMULA_NONE;
    int rc;

    switch (n->kind) {
    case NODE_NUMBER: *out = n->value; return 0;
    case NODE_MEASURE:
        if ((rc = ev->value(ev->ctx, n->measure, shift, &got, ev->err)) != 0)
            return rc;
        *out = got == FORMULA_NONE ? NAN : (long double)got;
        return 0;
    case NODE_PREV: shift.prev++; return eval_node(ev, n->left, shift, out);
    case NODE_YOY: shift.years++; return eval_node(ev, n->left, shift, out);
    default: break;
    }
    if ((rc = eval_node(ev, n->left, shift, &left)) != 0)
        return rc;
    if (n->right >= 0 && (rc = eval_node(ev, n->right, shift, &right)) != 0)
        return rc;
    switch (n->kind) {
    case NODE_NEG: *out = -left; break;
    case NODE_ADD: *out = left + right; break;
    case NODE_SUB: *out = left - right; break;
    case NODE_MUL: *out = left * right / SCALE; break;
    case NODE_DIV: *out = right == 0 ? NAN : left * SCALE / right; break;
    default: *out = NAN; break;
    }
    return 0;
}

int formula_eval(const struct formula *f, formula_value_fn value, void *ctx, int64_t *result,
                 struct sd_error *err)
{
    struct evaluation ev = {.f = f, .value = value, .ctx = ctx, .err = err};
    long double x = 0;
    int rc = eval_node(&ev, f->root, (struct formula_shift){0, 0}, &x);

    if (rc != 0)
        return rc;
    /* ±2^63 are exact in every long double; INT64_MIN is the none sentinel. */
    x = roundl(x);
    if (isfinite(x) && x < 9223372036854775808.0L && x > -9223372036854775808.0L)
        *result = (int64_t)x;
    else
        *result = FORMULA_NONE;
    return 0;
}

/* ---- printing ---- */

static int precedence(enum node_kind kind)
{
    switch (kind) {
    case NODE_ADD:
    case NODE_SUB: return 1;
    case NODE_MUL:
    case NODE_DIV: return 2;
    case NODE_NEG: return 3;
    default: return 4;
    }
}

static int format_node(const struct formula *f, int index, struct strbuf *out);

static int format_wrapped(const struct formula *f, int index, int parens, struct strbuf *out)
{
    int rc = parens ? strbuf_addch(out, '(') : 0;

    if (rc == 0)
        rc = format_node(f, index, out);
    if (rc == 0 && parens)
        rc = strbuf_addch(out, ')');
    return rc;
}

/* digits / 10^decimals as the shortest exact decimal (trailing zeros were dropped). */
static int format_number(const struct node *n, struct strbuf *out)
{
    char digits[32];
    int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n->digits);
    int rc = 0;

    if (n->decimals == 0)
        return strbuf_add(out, digits, (size_t)len);
    if (len <= n->decimals) {
        rc = strbuf_addstr(out, "0.");
        for (int i = len; i < n->decimals && rc == 0; i++)
            rc = strbuf_addch(out, '0');
        return rc == 0 ? strbuf_add(out, digits, (size_t)len) : rc;
    }
    if ((rc = strbuf_add(out, digits, (size_t)(len - n->decimals))) == 0 &&
        (rc = strbuf_addch(out, '.')) == 0)
        rc = strbuf_add(out, digits + len - n->decimals, (size_t)n->decimals);
    return rc;
}

static int format_node(const struct formula *f, int index, struct strbuf *out)
{
    const struct node *n = &f->nodes[index];
    static const char *const operators[] = {
        [NODE_ADD] = " + ", [NODE_SUB] = " - ", [NODE_MUL] = " * ", [NODE_DIV] = " / "};
    int p = precedence(n->kind), rc;

    switch (n->kind) {
    case NODE_NUMBER: return format_number(n, out);
    case NODE_MEASURE:
        if (n->measure == FORMULA_TARGET)
            return strbuf_addstr(out, "target");
        return strbuf_add(out, f->text + n->name_at, (size_t)n->name_len);
    case NODE_NEG:
        /* -(-x) would add a level of parentheses the text did not have: --x. */
        if ((rc = strbuf_addch(out, '-')) != 0)
            return rc;
        return format_wrapped(f, n->left, precedence(f->nodes[n->left].kind) < p, out);
    case NODE_PREV:
    case NODE_YOY:
        if ((rc = strbuf_addstr(out, n->kind == NODE_PREV ? "prev" : "yoy")) != 0)
            return rc;
        return format_wrapped(f, n->left, 1, out);
    default: break;
    }
    if ((rc = format_wrapped(f, n->left, precedence(f->nodes[n->left].kind) < p, out)) != 0 ||
        (rc = strbuf_addstr(out, operators[n->kind])) != 0)
        return rc;
    return format_wrapped(f, n->right, precedence(f->nodes[n->right].kind) <= p, out);
}

int formula_format(const struct formula *f, struct strbuf *out)
{
    return format_node(f, f->root, out);
}
