/* SPDX-License-Identifier: MIT */
/*
 * test-jval: the JSON document parser used for mapping files: exact numbers,
 * strings with escapes, structure, and every kind of malformed input with the
 * line and column of the mistake.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/jval.h"
#include "base/banned.h"

static struct jval *parse_ok(struct arena *a, const char *text)
{
    struct jval *v = NULL;
    struct sd_error err = {0};
    int rc = jval_parse(text, strlen(text), "t.json", 8, a, &v, &err);
    if (rc)
        fail_msg("parse of %s failed: %s", text, err.message);
    return v;
}

static void expect_error(const char *text, int status, const char *message)
{
    struct arena a;
    struct jval *v = NULL;
    struct sd_error err = {0};
    arena_init(&a, 0);
    int rc = jval_parse(text, strlen(text), "t.json", 8, &a, &v, &err);
    if (rc != status || !strstr(err.message, message))
        fail_msg("%s: expected %d with '%s', got %d '%s'", text, status, message, rc, err.message);
    arena_release(&a);
}

/* {"k0":0,"k1":1,...} with n keys; when dup >= 0 the last key repeats "k<dup>". */
static char *many_keys(size_t n, long dup)
{
    char *text = test_malloc(n * 24 + 32);
    size_t len = 0;
    text[len++] = '{';
    for (size_t i = 0; i < n; i++) {
        long k = dup >= 0 && i == n - 1 ? dup : (long)i;
        len += (size_t)snprintf(text + len, 32, "%s\"k%ld\":%zu", i ? "," : "", k, i);
    }
    text[len++] = '}';
    text[len] = '\0';
    return text;
}

/* Duplicate keys are found among many keys too, and 100,000 keys parse in linear time. */
static void test_many_keys(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    char *text = many_keys(100000, -1);
    struct jval *v = parse_ok(&a, text);
    assert_int_equal(v->n, 100000);
    assert_string_equal(v->members[99999].key, "k99999");
    assert_string_equal(jval_get(v, "k54321")->text, "54321");
    test_free(text);
    arena_release(&a);
    for (long dup = 0; dup < 40; dup += 13) { /* before and after the scan turns to hashing */
        text = many_keys(dup < 16 ? 20 : 100000, dup);
        char want[40];
        snprintf(want, sizeof(want), "duplicate key 'k%ld'", dup);
        expect_error(text, SD_EINVAL, want);
        test_free(text);
    }
    text = many_keys(10, 3);
    expect_error(text, SD_EINVAL, "duplicate key 'k3'");
    test_free(text);
}

static void test_document(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct jval *v = parse_ok(&a, "{\"name\": \"n\\u00e9\\ud83d\\ude00\\n\", \"n\": -617085.2035e0,\n"
                                  " \"big\": 12345678901234567890, \"list\": [true, false, null, []],"
                                  " \"o\": {}}");
    assert_int_equal(v->type, JVAL_OBJECT);
    assert_int_equal(v->n, 5);
    /* é is C3 A9, U+1F600 is F0 9F 98 80. */
    assert_string_equal(jval_string(jval_get(v, "name")), "n\xc3\xa9\xf0\x9f\x98\x80\n");
    assert_string_equal(jval_get(v, "n")->text, "-617085.2035e0");
    assert_string_equal(jval_get(v, "big")->text, "12345678901234567890");
    const struct jval *list = jval_get(v, "list");
    assert_int_equal(list->n, 4);
    assert_int_equal(list->items[0]->type, JVAL_BOOL);
    assert_true(list->items[0]->boolean);
    assert_false(list->items[1]->boolean);
    assert_int_equal(list->items[2]->type, JVAL_NULL);
    assert_int_equal(list->items[3]->type, JVAL_ARRAY);
    assert_int_equal(list->items[3]->n, 0);
    assert_int_equal(jval_get(v, "big")->line, 2);
    assert_int_equal(jval_get(v, "big")->column, 9);
    assert_null(jval_get(v, "missing"));
    assert_null(jval_string(jval_get(v, "n")));
    assert_string_equal(jval_type_name(JVAL_OBJECT), "an object");
    arena_release(&a);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("", SD_EINVAL, "t.json:1:1: unexpected end of input");
    expect_error("{\"a\": 1,}", SD_EINVAL, "t.json:1:9: expected a key in double quotes");
    expect_error("[1, 2", SD_EINVAL, "expected ',' or ']'");
    expect_error("{\"a\" 1}", SD_EINVAL, "t.json:1:6: expected ':'");
    expect_error("{\"a\": 1, \"a\": 2}", SD_EINVAL, "duplicate key 'a'");
    expect_error("[01]", SD_EINVAL, "leading zeros");
    expect_error("[1.]", SD_EINVAL, "malformed number");
    expect_error("[-]", SD_EINVAL, "malformed number");
    expect_error("[1e]", SD_EINVAL, "malformed number");
    expect_error("['a']", SD_EINVAL, "unexpected character");
    expect_error("[tru]", SD_EINVAL, "unexpected character");
    expect_error("\"a\tb\"", SD_EINVAL, "control character in string");
    expect_error("\"\\x\"", SD_EINVAL, "bad escape");
    expect_error("\"\\ud800\"", SD_EINVAL, "lone high surrogate");
    expect_error("\"\\udc00\"", SD_EINVAL, "lone low surrogate");
    expect_error("\"\xc3\x28\"", SD_EINVAL, "invalid UTF-8");
    expect_error("\"\xed\xa0\x80\"", SD_EINVAL, "invalid UTF-8");
    expect_error("\"abc", SD_EINVAL, "unterminated string");
    expect_error("{} x", SD_EINVAL, "t.json:1:4: unexpected text after the JSON value");
    expect_error("\n\n  [1 2]", SD_EINVAL, "t.json:3:6: expected ',' or ']'");
    expect_error("[[[[[[[[[[1]]]]]]]]]]", SD_ELIMIT, "nested deeper than 8");
}

static void test_arena_limit(void **state)
{
    (void)state;
    struct arena a;
    struct jval *v;
    struct sd_error err = {0};
    arena_init(&a, 64);
    int rc = jval_parse("[\"a long string that does not fit into sixty-four bytes of arena\"]",
                        67, "t.json", 8, &a, &v, &err);
    assert_int_equal(rc, SD_ELIMIT);
    arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_arena_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
