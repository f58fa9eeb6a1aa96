/* SPDX-License-Identifier: MIT */
/*
 * test-json: base/json, the streaming writer: the exact text it produces for
 * nested objects and arrays, compact and pretty; string escaping (quotes,
 * backslash, control characters as \u00XX, embedded NUL, UTF-8 passed through);
 * money as exact decimals; dates and timestamps as ISO 8601; discounts as
 * fractions; the "none" sentinels as null; json_raw; the kv helpers.
 *
 * Every expected string is written out by hand. Day numbers and timestamps
 * were computed with Python's datetime, not with base/date.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/json.h"
#include "base/money.h"
#include "base/strbuf.h"

#include "base/banned.h"

typedef void build_fn(struct json_writer *w);

/* Runs `build` on a fresh writer and compares the whole output with `want`. */
static void expect_json(build_fn *build, int pretty, const char *want)
{
    struct strbuf out = STRBUF_INIT;
    struct json_writer w;

    json_writer_init(&w, &out, pretty);
    build(&w);
    assert_int_equal(w.depth, 0);
    assert_string_equal(out.buf, want);
    assert_int_equal(out.len, strlen(want));
    strbuf_release(&out);
}

static void build_nested(struct json_writer *w)
{
    json_object_begin(w);
    json_key(w, "a");
    json_int(w, 1);
    json_key(w, "b");
    json_array_begin(w);
    json_bool(w, 1);
    json_bool(w, 0);
    json_null(w);
    json_array_end(w);
    json_key(w, "c");
    json_object_begin(w);
    json_key(w, "d");
    json_string(w, "x");
    json_key(w, "e");
    json_array_begin(w);
    json_object_begin(w);
    json_object_end(w);
    json_array_begin(w);
    json_array_end(w);
    json_array_end(w);
    json_object_end(w);
    json_key(w, "f");
    json_array_begin(w);
    json_array_end(w);
    json_key(w, "g");
    json_object_begin(w);
    json_object_end(w);
    json_object_end(w);
}

static void test_nested_compact(void **state)
{
    (void)state;
    expect_json(build_nested, 0,
                "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"x\",\"e\":[{},[]]},"
                "\"f\":[],\"g\":{}}");
}

static void test_nested_pretty(void **state)
{
    (void)state;
    expect_json(build_nested, 1,
                "{\n"
                "  \"a\": 1,\n"
                "  \"b\": [\n"
                "    true,\n"
                "    false,\n"
                "    null\n"
                "  ],\n"
                "  \"c\": {\n"
                "    \"d\": \"x\",\n"
                "    \"e\": [\n"
                "      {},\n"
                "      []\n"
                "    ]\n"
                "  },\n"
                "  \"f\": [],\n"
                "  \"g\": {}\n"
                "}");
}

static void build_array_of_objects(struct json_writer *w)
{
    json_array_begin(w);
    for (int i = 1; i <= 2; i++) {
        json_object_begin(w);
        json_kv_int(w, "line", i);
        json_kv_string(w, "sku", i == 1 ? "A-1" : "B-2");
        json_object_end(w);
    }
    json_array_end(w);
}

static void test_array_of_objects(void **state)
{
    (void)state;
    expect_json(build_array_of_objects, 0,
                "[{\"line\":1,\"sku\":\"A-1\"},{\"line\":2,\"sku\":\"B-2\"}]");
    expect_json(build_array_of_objects, 1,
                "[\n"
                "  {\n"
                "    \"line\": 1,\n"
                "    \"sku\": \"A-1\"\n"
                "  },\n"
                "  {\n"
                "    \"line\": 2,\n"
                "    \"sku\": \"B-2\"\n"
                "  }\n"
                "]");
}

static void build_empty_object(struct json_writer *w)
{
    json_object_begin(w);
    json_object_end(w);
}

static void build_empty_array(struct json_writer *w)
{
    json_array_begin(w);
    json_array_end(w);
}

static void test_empty_containers(void **state)
{
    (void)state;
    expect_json(build_empty_object, 0, "{}");
    expect_json(build_empty_object, 1, "{}");
    expect_json(build_empty_array, 0, "[]");
    expect_json(build_empty_array, 1, "[]");
}

static void build_deep(struct json_writer *w)
{
    for (int i = 0; i < JSON_MAX_DEPTH - 1; i++)
        json_array_begin(w);
    json_int(w, 0);
    for (int i = 0; i < JSON_MAX_DEPTH - 1; i++)
        json_array_end(w);
}

/* The deepest nesting allowed: JSON_MAX_DEPTH - 1 levels. */
static void test_deepest_nesting(void **state)
{
    char want[2 * JSON_MAX_DEPTH + 2];
    size_t n = 0;

    (void)state;
    for (int i = 0; i < JSON_MAX_DEPTH - 1; i++)
        want[n++] = '[';
    want[n++] = '0';
    for (int i = 0; i < JSON_MAX_DEPTH - 1; i++)
        want[n++] = ']';
    want[n] = '\0';
    expect_json(build_deep, 0, want);
}

/* Appends an escaped string to an empty buffer and compares the whole result. */
static void expect_escape(const char *s, size_t len, const char *want)
{
    struct strbuf out = STRBUF_INIT;
    json_escape(&out, s, len);
    assert_string_equal(out.buf, want);
    strbuf_release(&out);
}

static void test_escaping(void **state)
{
    (void)state;
    expect_escape("plain", 5, "\"plain\"");
    expect_escape("", 0, "\"\"");
    expect_escape("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
    expect_escape("C:\\dir\\", 7, "\"C:\\\\dir\\\\\"");
    expect_escape("a\nb\tc\rd", 7, "\"a\\nb\\tc\\rd\"");
    expect_escape("\x01", 1, "\"\\u0001\"");
    expect_escape("\x08\x0c\x1f", 3, "\"\\u0008\\u000c\\u001f\"");
    expect_escape("x\0y", 3, "\"x\\u0000y\"");
    /* Not control characters: space, '/', DEL and UTF-8 pass through. */
    expect_escape(" /\x7f", 3, "\" /\x7f\"");
    expect_escape("Zürich €", 11, "\"Zürich €\"");
    expect_escape("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"");
    /* Bytes that are not UTF-8: test_escaping_invalid_utf8. */
    /* Only `len` bytes are written. */
    expect_escape("abcdef", 3, "\"abc\"");
}

/* Bytes that are not well-formed UTF-8 become U+FFFD, one per byte; good sequences pass. */
static void test_escaping_invalid_utf8(void **state)
{
    (void)state;
#define FFFD "\xef\xbf\xbd"
    expect_escape("\xff\xfe", 2, "\"" FFFD FFFD "\"");
    expect_escape("a\x80" "b", 3, "\"a" FFFD "b\"");
    expect_escape("\xc3", 1, "\"" FFFD "\"");                  /* cut short at the end */
    expect_escape("\xc3(", 2, "\"" FFFD "(\"");                /* bad continuation */
    expect_escape("\xc0\xaf", 2, "\"" FFFD FFFD "\"");         /* overlong '/' */
    expect_escape("\xe0\x80\xaf", 3, "\"" FFFD FFFD FFFD "\""); /* overlong, 3 bytes */
    expect_escape("\xed\xa0\x80", 3, "\"" FFFD FFFD FFFD "\""); /* a surrogate, U+D800 */
    expect_escape("\xf4\x90\x80\x80", 4, "\"" FFFD FFFD FFFD FFFD "\""); /* above U+10FFFF */
    expect_escape("\xf5", 1, "\"" FFFD "\"");
    expect_escape("a\xff\xfe\x62", 4, "\"a" FFFD FFFD "b\"");
    expect_escape("\xe2\x82\xac", 2, "\"" FFFD FFFD "\""); /* a good sequence cut by len */
    expect_escape("\xc3\xbc\x80", 3, "\"\xc3\xbc" FFFD "\"");
    /* Well-formed at the edges: U+0080, U+07FF, U+FFFF, U+10000, U+10FFFF, U+E000. */
    expect_escape("\xc2\x80\xdf\xbf", 4, "\"\xc2\x80\xdf\xbf\"");
    expect_escape("\xef\xbf\xbf\xf0\x90\x80\x80", 7, "\"\xef\xbf\xbf\xf0\x90\x80\x80\"");
    expect_escape("\xf4\x8f\xbf\xbf\xee\x80\x80", 7, "\"\xf4\x8f\xbf\xbf\xee\x80\x80\"");
#undef FFFD
}

/* Escaping applies to keys and to values written through the writer. */
static void build_escaped_members(struct json_writer *w)
{
    json_object_begin(w);
    json_kv_string(w, "na\"me", "O'Brien \"Bob\"\\\x01");
    json_key(w, "raw");
    json_string_n(w, "a\0b", 3);
    json_kv_string(w, "none", NULL);
    json_object_end(w);
}

static void test_escaped_members(void **state)
{
    (void)state;
    expect_json(build_escaped_members, 0,
                "{\"na\\\"me\":\"O'Brien \\\"Bob\\\"\\\\\\u0001\",\"raw\":\"a\\u0000b\","
                "\"none\":null}");
}

static void build_money(struct json_writer *w)
{
    json_array_begin(w);
    json_money(w, 6172085203); /* 617208.5203 */
    json_money(w, 0);          /* 0 */
    json_money(w, 12345000);   /* 1234.5 */
    json_money(w, 20000);      /* 2 */
    json_money(w, 1);          /* 0.0001 */
    json_money(w, -1);         /* -0.0001 */
    json_money(w, -1234500);   /* -123.45 */
    json_money(w, 100);        /* 0.01 */
    json_money(w, MONEY_MAX);  /* 922337203685477.5807 */
    json_money(w, MONEY_MIN);  /* -922337203685477.5807 */
    json_money(w, MONEY_NONE); /* null */
    json_array_end(w);
}

static void test_money(void **state)
{
    (void)state;
    expect_json(build_money, 0,
                "[617208.5203,0,1234.5,2,0.0001,-0.0001,-123.45,0.01,"
                "922337203685477.5807,-922337203685477.5807,null]");
}

static void build_dates(struct json_writer *w)
{
    json_array_begin(w);
    json_date(w, 0);
    json_date(w, 19723);   /* 2024-01-01 */
    json_date(w, 19782);   /* 2024-02-29 */
    json_date(w, -1);      /* 1969-12-31 */
    json_date(w, 11017);   /* 2000-03-01 */
    json_date(w, 2932896); /* 9999-12-31 */
    json_date(w, -719162); /* 0001-01-01 */
    json_date(w, DATE_NONE);
    json_array_end(w);
}

static void test_dates(void **state)
{
    (void)state;
    expect_json(build_dates, 0,
                "[\"1970-01-01\",\"2024-01-01\",\"2024-02-29\",\"1969-12-31\",\"2000-03-01\","
                "\"9999-12-31\",\"0001-01-01\",null]");
}

static void build_timestamps(struct json_writer *w)
{
    json_array_begin(w);
    json_ts(w, 0);
    json_ts(w, INT64_C(1700000000123));
    json_ts(w, -1);
    json_ts(w, INT64_C(253402300799999));
    json_ts(w, INT_NONE);
    json_array_end(w);
}

static void test_timestamps(void **state)
{
    (void)state;
    expect_json(build_timestamps, 0,
                "[\"1970-01-01T00:00:00.000Z\",\"2023-11-14T22:13:20.123Z\","
                "\"1969-12-31T23:59:59.999Z\",\"9999-12-31T23:59:59.999Z\",null]");
}

static void build_discounts(struct json_writer *w)
{
    json_array_begin(w);
    json_discount(w, 50000);
    json_discount(w, 0);
    json_discount(w, 125000);
    json_discount(w, 1000000);
    json_discount(w, -250000);
    json_discount(w, 1);
    json_discount(w, 333333);
    json_discount(w, 900000);
    json_array_end(w);
}

static void test_discounts(void **state)
{
    (void)state;
    expect_json(build_discounts, 0, "[0.05,0,0.125,1,-0.25,0.000001,0.333333,0.9]");
}

static void build_ints_and_raw(struct json_writer *w)
{
    json_array_begin(w);
    json_int(w, 0);
    json_int(w, -5);
    json_int(w, INT64_MAX);
    json_int(w, INT64_MIN + 1);
    json_int(w, INT_NONE);
    json_raw(w, "1.50", 4);
    json_raw(w, "2e3 and the rest", 3);
    json_array_end(w);
}

static void test_ints_and_raw(void **state)
{
    (void)state;
    expect_json(build_ints_and_raw, 0,
                "[0,-5,9223372036854775807,-9223372036854775807,null,1.50,2e3]");
}

static void build_raw_pretty(struct json_writer *w)
{
    json_object_begin(w);
    json_key(w, "rate");
    json_raw(w, "1.08", 4);
    json_key(w, "list");
    json_array_begin(w);
    json_raw(w, "1", 1);
    json_raw(w, "2", 1);
    json_array_end(w);
    json_object_end(w);
}

static void test_raw_pretty(void **state)
{
    (void)state;
    expect_json(build_raw_pretty, 1,
                "{\n"
                "  \"rate\": 1.08,\n"
                "  \"list\": [\n"
                "    1,\n"
                "    2\n"
                "  ]\n"
                "}");
}

/* One order as an API would write it, with every kv helper. */
static void build_order(struct json_writer *w)
{
    json_object_begin(w);
    json_kv_int(w, "id", 42);
    json_kv_string(w, "ext_id", "SO-1001");
    json_kv_date(w, "order_date", 19782);
    json_kv_date(w, "ship_date", DATE_NONE);
    json_kv_ts(w, "updated_at", INT64_C(1700000000123));
    json_kv_ts(w, "deleted_at", INT_NONE);
    json_kv_money(w, "net", 6172085203);
    json_kv_money(w, "credit_limit", MONEY_NONE);
    json_kv_discount(w, "discount", 50000);
    json_kv_bool(w, "open", 1);
    json_kv_int(w, "rep_id", INT_NONE);
    json_object_end(w);
}

static void test_kv_helpers(void **state)
{
    (void)state;
    expect_json(build_order, 0,
                "{\"id\":42,\"ext_id\":\"SO-1001\",\"order_date\":\"2024-02-29\","
                "\"ship_date\":null,\"updated_at\":\"2023-11-14T22:13:20.123Z\","
                "\"deleted_at\":null,\"net\":617208.5203,\"credit_limit\":null,"
                "\"discount\":0.05,\"open\":true,\"rep_id\":null}");
    expect_json(build_order, 1,
                "{\n"
                "  \"id\": 42,\n"
                "  \"ext_id\": \"SO-1001\",\n"
                "  \"order_date\": \"2024-02-29\",\n"
                "  \"ship_date\": null,\n"
                "  \"updated_at\": \"2023-11-14T22:13:20.123Z\",\n"
                "  \"deleted_at\": null,\n"
                "  \"net\": 617208.5203,\n"
                "  \"credit_limit\": null,\n"
                "  \"discount\": 0.05,\n"
                "  \"open\": true,\n"
                "  \"rep_id\": null\n"
                "}");
}

/* The writer appends to what is already in the buffer. */
static void test_appends_to_buffer(void **state)
{
    struct strbuf out = STRBUF_INIT;
    struct json_writer w;

    (void)state;
    strbuf_addstr(&out, "data: ");
    json_writer_init(&w, &out, 0);
    json_array_begin(&w);
    json_string(&w, "a");
    json_array_end(&w);
    assert_string_equal(out.buf, "data: [\"a\"]");
    strbuf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_compact),
        cmocka_unit_test(test_nested_pretty),
        cmocka_unit_test(test_array_of_objects),
        cmocka_unit_test(test_empty_containers),
        cmocka_unit_test(test_deepest_nesting),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_escaping_invalid_utf8),
        cmocka_unit_test(test_escaped_members),
        cmocka_unit_test(test_money),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_discounts),
        cmocka_unit_test(test_ints_and_raw),
        cmocka_unit_test(test_raw_pretty),
        cmocka_unit_test(test_kv_helpers),
        cmocka_unit_test(test_appends_to_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
