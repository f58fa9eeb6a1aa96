/* SPDX-License-Identifier: MIT */
/* jval: recursive-descent JSON document parser with exact numbers (see jval.h). */
#include "base/jval.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/hashmap.h"
#include "base/strbuf.h"
#include "base/banned.h"

struct parser {
    const char *p;
    const char *end;
    const char *start;
    const char *name;
    int max_depth;
    struct arena *arena;
    struct sd_error *err;
    int line;               /* of ps->p; newlines only occur in whitespace */
    const char *line_start;
};

static void position(const struct parser *ps, const char *at, int *line, int *column)
{
    *line = ps->line;
    *column = (int)(at - ps->line_start) + 1;
}

static int fault(struct parser *ps, const char *what)
{
    int line, column;
    position(ps, ps->p, &line, &column);
    return sd_error_set(ps->err, SD_EINVAL, "%s:%d:%d: %s", ps->name, line, column, what);
}

static void skip_space(struct parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) {
        if (*ps->p == '\n') {
            ps->line++;
            ps->line_start = ps->p + 1;
        }
        ps->p++;
    }
}

static struct jval *new_value(struct parser *ps, enum jval_type type)
{
    struct jval *v = arena_alloc(ps->arena, sizeof(*v));
    if (!v)
        return NULL;
    memset(v, 0, sizeof(*v));
    v->type = type;
    position(ps, ps->p, &v->line, &v->column);
    return v;
}

static int parse_value(struct parser *ps, int depth, struct jval **out);

static int literal(struct parser *ps, const char *word, struct jval *v)
{
    size_t len = strlen(word);
    if ((size_t)(ps->end - ps->p) < len || memcmp(ps->p, word, len) != 0)
        return fault(ps, "unexpected character");
    ps->p += len;
    (void)v;
    return 0;
}

static int parse_number(struct parser *ps, struct jval *v)
{
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return fault(ps, "malformed number");
    if (*ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9')
        return fault(ps, "numbers may not have leading zeros");
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
        ps->p++;
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fault(ps, "malformed number");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fault(ps, "malformed number");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    v->text = arena_strndup(ps->arena, s, (size_t)(ps->p - s));
    v->len = (size_t)(ps->p - s);
    return v->text ? 0 : sd_error_set(ps->err, SD_ELIMIT, "%s: too large", ps->name);
}

static int hex4(struct parser *ps, unsigned *out)
{
    if (ps->end - ps->p < 4)
        return fault(ps, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = ps->p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return fault(ps, "bad \\u escape");
    }
    ps->p += 4;
    *out = v;
    return 0;
}

static void put_utf8(struct strbuf *sb, unsigned cp)
{
    if (cp < 0x80) {
        strbuf_addch(sb, (char)cp);
    } else if (cp < 0x800) {
        strbuf_addch(sb, (char)(0xC0 | (cp >> 6)));
        strbuf_addch(sb, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        strbuf_addch(sb, (char)(0xE0 | (cp >> 12)));
        strbuf_addch(sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
        strbuf_addch(sb, (char)(0x80 | (cp & 0x3F)));
    } else {
        strbuf_addch(sb, (char)(0xF0 | (cp >> 18)));
        strbuf_addch(sb, (char)(0x80 | ((cp >> 12) & 0x3F)));
        strbuf_addch(sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
        strbuf_addch(sb, (char)(0x80 | (cp & 0x3F)));
    }
}

static int unicode_escape(struct parser *ps, struct strbuf *sb)
{
    unsigned cp;
    int rc = hex4(ps, &cp);
    if (rc)
        return rc;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fault(ps, "lone low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned low;
        if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
            return fault(ps, "lone high surrogate in \\u escape");
        ps->p += 2;
        if ((rc = hex4(ps, &low)) != 0)
            return rc;
        if (low < 0xDC00 || low > 0xDFFF)
            return fault(ps, "bad surrogate pair in \\u escape");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    put_utf8(sb, cp);
    return 0;
}

static int escape(struct parser *ps, struct strbuf *sb)
{
    if (ps->p >= ps->end)
        return fault(ps, "unterminated string");
    char c = *ps->p++;
    switch (c) {
    case '"': strbuf_addch(sb, '"'); return 0;
    case '\\': strbuf_addch(sb, '\\'); return 0;
    case '/': strbuf_addch(sb, '/'); return 0;
    case 'b': strbuf_addch(sb, '\b'); return 0;
    case 'f': strbuf_addch(sb, '\f'); return 0;
    case 'n': strbuf_addch(sb, '\n'); return 0;
    case 'r': strbuf_addch(sb, '\r'); return 0;
    case 't': strbuf_addch(sb, '\t'); return 0;
    case 'u': return unicode_escape(ps, sb);
    default: ps->p--; return fault(ps, "bad escape in string");
    }
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0. */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || (size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    }
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90) ||
        (c == 0xF4 && p[1] > 0x8F))
        return 0;
    return n;
}

static int parse_string_text(struct parser *ps, const char **text, size_t *len)
{
    struct strbuf sb = STRBUF_INIT;
    int rc = 0;
    ps->p++; /* the opening quote */
    while (rc == 0) {
        if (ps->p >= ps->end) {
            rc = fault(ps, "unterminated string");
        } else if (*ps->p == '"') {
            ps->p++;
            break;
        } else if (*ps->p == '\\') {
            ps->p++;
            rc = escape(ps, &sb);
        } else if ((unsigned char)*ps->p < 0x20) {
            rc = fault(ps, "control character in string");
        } else {
            size_t n = utf8_sequence((const unsigned char *)ps->p, (const unsigned char *)ps->end);
            if (n == 0)
                rc = fault(ps, "invalid UTF-8 in string");
            else
                strbuf_add(&sb, ps->p, n);
            ps->p += n;
        }
    }
    if (rc == 0) {
        *text = arena_strndup(ps->arena, sb.buf, sb.len);
        *len = sb.len;
        if (!*text)
            rc = sd_error_set(ps->err, SD_ELIMIT, "%s: too large", ps->name);
    }
    strbuf_release(&sb);
    return rc;
}

/* Collects pointers in a strbuf used as a growable array, then copies them into the arena. */
static void *finish_array(struct parser *ps, struct strbuf *buf)
{
    void *items = arena_alloc(ps->arena, buf->len ? buf->len : 1);
    if (items && buf->len)
        memcpy(items, buf->buf, buf->len);
    strbuf_release(buf);
    return items;
}

static int parse_array(struct parser *ps, int depth, struct jval *v)
{
    struct strbuf items = STRBUF_INIT;
    int rc = 0;
    ps->p++;
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
    } else {
        for (;;) {
            struct jval *item = NULL;
            if ((rc = parse_value(ps, depth + 1, &item)) != 0)
                break;
            strbuf_add(&items, &item, sizeof(item));
            v->n++;
            skip_space(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            if (ps->p < ps->end && *ps->p == ']') {
                ps->p++;
                break;
            }
            rc = fault(ps, "expected ',' or ']'");
            break;
        }
    }
    v->items = finish_array(ps, &items);
    return rc;
}

/* Objects with more members than this find duplicate keys through a hash map. */
#define MEMBERS_SCANNED 16

/* An object's members while it is parsed, and its keys once there are many. */
struct members {
    struct strbuf list; /* struct jval_member */
    struct hashmap keys;
    int hashed;
};

static int duplicate(struct parser *ps, const char *key)
{
    char what[160];
    snprintf(what, sizeof(what), "duplicate key '%.100s'", key);
    return fault(ps, what);
}

/*
 * Adds one member, refusing a key the object already has: a scan of the few
 * first members, then a hash map (so that an object with 100,000 keys is not
 * 5·10^9 comparisons).
 */
static int add_member(struct parser *ps, struct jval *v, struct members *ms, const char *key,
                      struct jval *value)
{
    const struct jval_member *have = (const struct jval_member *)ms->list.buf;
    if (!ms->hashed && v->n >= MEMBERS_SCANNED) {
        hashmap_init(&ms->keys);
        ms->hashed = 1;
        for (size_t i = 0; i < v->n; i++)
            hashmap_put(&ms->keys, have[i].key, strlen(have[i].key), 0);
    }
    if (ms->hashed) {
        int64_t existing;
        if (!hashmap_put_new(&ms->keys, key, strlen(key), 0, &existing))
            return duplicate(ps, key);
    } else {
        for (size_t i = 0; i < v->n; i++)
            if (strcmp(have[i].key, key) == 0)
                return duplicate(ps, key);
    }
    struct jval_member m = {key, value};
    strbuf_add(&ms->list, &m, sizeof(m));
    v->n++;
    return 0;
}

static int parse_member(struct parser *ps, int depth, struct jval *v, struct members *members)
{
    const char *key;
    size_t key_len;
    struct jval *value = NULL;
    skip_space(ps);
    if (ps->p >= ps->end || *ps->p != '"')
        return fault(ps, "expected a key in double quotes");
    int rc = parse_string_text(ps, &key, &key_len);
    if (rc)
        return rc;
    skip_space(ps);
    if (ps->p >= ps->end || *ps->p != ':')
        return fault(ps, "expected ':'");
    ps->p++;
    if ((rc = parse_value(ps, depth + 1, &value)) != 0)
        return rc;
    return add_member(ps, v, members, key, value);
}

static int parse_object(struct parser *ps, int depth, struct jval *v)
{
    struct members members = {.list = STRBUF_INIT};
    int rc = 0;
    ps->p++;
    skip_space(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
    } else {
        while ((rc = parse_member(ps, depth, v, &members)) == 0) {
            skip_space(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            if (ps->p < ps->end && *ps->p == '}') {
                ps->p++;
                break;
            }
            rc = fault(ps, "expected ',' or '}'");
            break;
        }
    }
    v->members = finish_array(ps, &members.list);
    if (members.hashed)
        hashmap_release(&members.keys);
    return rc;
}

static int parse_value(struct parser *ps, int depth, struct jval **out)
{
    if (depth > ps->max_depth)
        return sd_error_set(ps->err, SD_ELIMIT, "%s: nested deeper than %d", ps->name,
                            ps->max_depth);
    skip_space(ps);
    if (ps->p >= ps->end)
        return fault(ps, "unexpected end of input");
    char c = *ps->p;
    if (!strchr("{[\"tfn-0123456789", c))
        return fault(ps, "unexpected character");
    enum jval_type type = c == '{' ? JVAL_OBJECT : c == '[' ? JVAL_ARRAY : c == '"' ? JVAL_STRING
                          : c == 't' || c == 'f' ? JVAL_BOOL : c == 'n' ? JVAL_NULL : JVAL_NUMBER;
    struct jval *v = new_value(ps, type);
    if (!v)
        return sd_error_set(ps->err, SD_ELIMIT, "%s: too large", ps->name);
    *out = v;
    switch (type) {
    case JVAL_OBJECT: return parse_object(ps, depth, v);
    case JVAL_ARRAY: return parse_array(ps, depth, v);
    case JVAL_STRING: return parse_string_text(ps, &v->text, &v->len);
    case JVAL_NULL: return literal(ps, "null", v);
    case JVAL_BOOL:
        v->boolean = c == 't';
        return literal(ps, v->boolean ? "true" : "false", v);
    default: return parse_number(ps, v);
    }
}

int jval_parse(const char *text, size_t len, const char *name, int max_depth,
               struct arena *arena, struct jval **out, struct sd_error *err)
{
    struct parser ps = {text, text + len, text, name, max_depth, arena, err, 1, text};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        ps.p += 3;
    int rc = parse_value(&ps, 0, out);
    if (rc)
        return rc;
    skip_space(&ps);
    if (ps.p != ps.end)
        return fault(&ps, "unexpected text after the JSON value");
    return 0;
}

const struct jval *jval_get(const struct jval *v, const char *key)
{
    if (!v || v->type != JVAL_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->members[i].key, key) == 0)
            return v->members[i].value;
    }
    return NULL;
}

const char *jval_string(const struct jval *v)
{
    return v && v->type == JVAL_STRING ? v->text : NULL;
}

const char *jval_type_name(enum jval_type type)
{
    static const char *const names[] = {"null", "a boolean", "a number", "a string", "an array",
                                        "an object"};
    return names[type];
}
