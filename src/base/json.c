/* SPDX-License-Identifier: MIT */
/* json: streaming JSON writer (see json.h). */
#include "base/json.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/date.h"
#include "base/money.h"
#include "base/banned.h"

void json_writer_init(struct json_writer *w, struct strbuf *out, int pretty)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->pretty = pretty;
}

static void newline_indent(struct json_writer *w)
{
    if (!w->pretty)
        return;
    strbuf_addch(w->out, '\n');
    for (int i = 0; i < w->depth; i++)
        strbuf_add(w->out, "  ", 2);
}

/* Called before every value and key: separators and indentation. */
static void before_item(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth == 0)
        return;
    if (w->has_items[w->depth])
        strbuf_addch(w->out, ',');
    w->has_items[w->depth] = 1;
    newline_indent(w);
}

static void open_level(struct json_writer *w, char c)
{
    before_item(w);
    strbuf_addch(w->out, c);
    w->depth++;
    assert(w->depth < JSON_MAX_DEPTH);
    w->has_items[w->depth] = 0;
}

static void close_level(struct json_writer *w, char c)
{
    assert(w->depth > 0);
    int had_items = w->has_items[w->depth];
    w->depth--;
    if (had_items)
        newline_indent(w);
    strbuf_addch(w->out, c);
}

void json_object_begin(struct json_writer *w) { open_level(w, '{'); }
void json_object_end(struct json_writer *w) { close_level(w, '}'); }
void json_array_begin(struct json_writer *w) { open_level(w, '['); }
void json_array_end(struct json_writer *w) { close_level(w, ']'); }

/* 1 for a byte written as it is: printable ASCII but the quote and the backslash. */
static int json_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

void json_escape(struct strbuf *out, const char *s, size_t len)
{
    strbuf_addch(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (json_plain(c)) { /* a run of plain bytes in one copy */
            size_t end = i + 1;
            while (end < len && json_plain((unsigned char)s[end]))
                end++;
            strbuf_add(out, s + i, end - i);
            i = end - 1;
            continue;
        }
        switch (c) {
        case '"': strbuf_add(out, "\\\"", 2); break;
        case '\\': strbuf_add(out, "\\\\", 2); break;
        case '\n': strbuf_add(out, "\\n", 2); break;
        case '\r': strbuf_add(out, "\\r", 2); break;
        case '\t': strbuf_add(out, "\\t", 2); break;
        default:
            if (c < 0x20) {
                strbuf_addf(out, "\\u%04x", c);
            } else if (c < 0x80) {
                strbuf_addch(out, (char)c);
            } else {
                size_t n = utf8_seq_len((const unsigned char *)s + i, len - i);
                if (n) {
                    strbuf_add(out, s + i, n);
                    i += n - 1;
                } else {
                    strbuf_add(out, "\xef\xbf\xbd", 3); /* U+FFFD for a byte that is not UTF-8 */
                }
            }
        }
    }
    strbuf_addch(out, '"');
}

void json_key(struct json_writer *w, const char *key)
{
    before_item(w);
    json_escape(w->out, key, strlen(key));
    strbuf_add(w->out, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
    w->after_key = 1;
}

void json_string_n(struct json_writer *w, const char *s, size_t len)
{
    before_item(w);
    json_escape(w->out, s, len);
}

void json_string(struct json_writer *w, const char *s)
{
    if (!s) {
        json_null(w);
        return;
    }
    json_string_n(w, s, strlen(s));
}

void json_null(struct json_writer *w)
{
    before_item(w);
    strbuf_add(w->out, "null", 4);
}

void json_bool(struct json_writer *w, int v)
{
    before_item(w);
    strbuf_addstr(w->out, v ? "true" : "false");
}

void json_int(struct json_writer *w, int64_t v)
{
    if (v == INT_NONE) {
        json_null(w);
        return;
    }
    /* Digits right to left: snprintf was a tenth of writing a JSON answer. */
    char text[24];
    size_t n = sizeof(text);
    uint64_t magnitude = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        text[--n] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (v < 0)
        text[--n] = '-';
    before_item(w);
    strbuf_add(w->out, text + n, sizeof(text) - n);
}

void json_money(struct json_writer *w, int64_t v)
{
    if (v == MONEY_NONE) {
        json_null(w);
        return;
    }
    char text[MONEY_TEXT_MAX];
    size_t len = money_format(v, text);
    before_item(w);
    strbuf_add(w->out, text, len);
}

void json_date(struct json_writer *w, int32_t day)
{
    if (day == DATE_NONE) {
        json_null(w);
        return;
    }
    char text[DATE_TEXT_MAX];
    size_t len = date_format(day, text);
    json_string_n(w, text, len);
}

void json_ts(struct json_writer *w, int64_t ms)
{
    if (ms == INT_NONE) {
        json_null(w);
        return;
    }
    char text[TS_TEXT_MAX];
    size_t len = ts_format(ms, text);
    json_string_n(w, text, len);
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
    json_key(w, key);
    json_string(w, s);
}

void json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
    json_key(w, key);
    json_int(w, v);
}

void json_kv_money(struct json_writer *w, const char *key, int64_t v)
{
    json_key(w, key);
    json_money(w, v);
}

void json_kv_date(struct json_writer *w, const char *key, int32_t day)
{
    json_key(w, key);
    json_date(w, day);
}

void json_kv_ts(struct json_writer *w, const char *key, int64_t ms)
{
    json_key(w, key);
    json_ts(w, ms);
}

void json_kv_bool(struct json_writer *w, const char *key, int v)
{
    json_key(w, key);
    json_bool(w, v);
}

void json_raw(struct json_writer *w, const char *number, size_t len)
{
    before_item(w);
    strbuf_add(w->out, number, len);
}

void json_discount(struct json_writer *w, int64_t discount)
{
    char text[MONEY_TEXT_MAX];
    size_t len = discount_format(discount, text);
    json_raw(w, text, len);
}

void json_kv_discount(struct json_writer *w, const char *key, int64_t discount)
{
    json_key(w, key);
    json_discount(w, discount);
}
