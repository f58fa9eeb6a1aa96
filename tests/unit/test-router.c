/* SPDX-License-Identifier: MIT */
/*
 * test-router: route pattern matching: literal segments, {param} segments,
 * and the paths that must not match (empty segments, trailing slashes,
 * prefixes, extra segments), with the parameters a match extracts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http/router.h"
#include "base/banned.h"

static int match(const char *pattern, const char *path, struct http_path_params *out)
{
    return http_path_match(pattern, path, strlen(path), out);
}

static void expect_param(const struct http_path_params *p, const char *name, const char *value)
{
    size_t len = 0;
    const char *v = http_path_param(p, name, &len);
    if (!v)
        fail_msg("no parameter %s", name);
    if (len != strlen(value) || memcmp(v, value, len) != 0)
        fail_msg("parameter %s is '%.*s', expected '%s'", name, (int)len, v, value);
}

static void test_literals(void **state)
{
    (void)state;
    struct http_path_params p;
    assert_true(match("/healthz", "/healthz", &p));
    assert_int_equal(p.n, 0);
    assert_true(match("/api/v1/auth/login", "/api/v1/auth/login", &p));
    assert_false(match("/healthz", "/healthz/", &p));
    assert_false(match("/healthz", "/healthzz", &p));
    assert_false(match("/healthz", "/health", &p));
    assert_false(match("/healthz", "/HEALTHZ", &p));
    assert_false(match("/healthz", "healthz", &p));
    assert_false(match("/healthz", "", &p));
    assert_false(match("/api/v1/auth/login", "/api/v1/auth", &p));
    assert_false(match("/api/v1/auth", "/api/v1/auth/login", &p));
    assert_false(match("/api/v1/tokens", "//api/v1/tokens", &p));
}

static void test_params(void **state)
{
    (void)state;
    struct http_path_params p;
    assert_true(match("/api/v1/orders/{id}", "/api/v1/orders/100123", &p));
    assert_int_equal(p.n, 1);
    expect_param(&p, "id", "100123");
    assert_null(http_path_param(&p, "account", NULL));
    assert_true(match("/api/v1/orders/{id}/diagnosis", "/api/v1/orders/ERP:7/diagnosis", &p));
    expect_param(&p, "id", "ERP:7");
    assert_true(match("/a/{x}/b/{y}", "/a/1/b/22", &p));
    assert_int_equal(p.n, 2);
    expect_param(&p, "x", "1");
    expect_param(&p, "y", "22");
    /* A parameter is one non-empty segment. */
    assert_false(match("/api/v1/orders/{id}", "/api/v1/orders/", &p));
    assert_false(match("/api/v1/orders/{id}", "/api/v1/orders", &p));
    assert_false(match("/api/v1/orders/{id}", "/api/v1/orders/1/2", &p));
    assert_false(match("/api/v1/orders/{id}/diagnosis", "/api/v1/orders//diagnosis", &p));
    assert_false(match("/api/v1/orders/{id}/diagnosis", "/api/v1/orders/1/diagnosis/", &p));
    /* The path need not be NUL-terminated: only path_len bytes count. */
    assert_true(http_path_match("/api/v1/orders/{id}", "/api/v1/orders/12XYZ", 17, &p));
    expect_param(&p, "id", "12");
}

static void test_too_many_params(void **state)
{
    (void)state;
    struct http_path_params p;
    assert_true(match("/{a}/{b}/{c}/{d}", "/1/2/3/4", &p));
    assert_false(match("/{a}/{b}/{c}/{d}/{e}", "/1/2/3/4/5", &p));
    assert_true(match("/{a}", "/1", NULL));
}

static void expect_unescape(const char *in, const char *out)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%s", in);
    size_t len = http_unescape(buf);
    assert_string_equal(buf, out);
    assert_int_equal(len, strlen(out));
}

static void test_unescape(void **state)
{
    (void)state;
    expect_unescape("/api/v1/orders/ERP%3A7", "/api/v1/orders/ERP:7");
    expect_unescape("%2e%2E%2f", "../");
    expect_unescape("a%20b+c", "a b+c");
    expect_unescape("%FF%c0", "\xff\xc0");
    /* A NUL is never decoded: it would cut the path short. */
    expect_unescape("/healthz%00x", "/healthz%00x");
    expect_unescape("/api/v1/tokens/1%00", "/api/v1/tokens/1%00");
    expect_unescape("%2500", "%00");
    /* A '%' without two hex digits stays. */
    expect_unescape("100%", "100%");
    expect_unescape("%4", "%4");
    expect_unescape("%g1%%41", "%g1%A");
    expect_unescape("", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_too_many_params),
        cmocka_unit_test(test_unescape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
