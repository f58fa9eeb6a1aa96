/* SPDX-License-Identifier: MIT */
/*
 * test-cookie: finding one cookie in a Cookie header: position, spaces,
 * quotes, names that are prefixes of others, pairs without '=', empty
 * values, and a header that is not NUL-terminated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "http/cookie.h"
#include "base/banned.h"

static void expect_cookie(const char *header, const char *name, const char *value)
{
    const char *v = NULL;
    size_t len = 0;
    int found = http_cookie_get(header, strlen(header), name, &v, &len);
    if (!value) {
        if (found)
            fail_msg("%s: found %s='%.*s', expected none", header, name, (int)len, v);
        return;
    }
    if (!found)
        fail_msg("%s: no cookie %s", header, name);
    if (len != strlen(value) || memcmp(v, value, len) != 0)
        fail_msg("%s: %s is '%.*s', expected '%s'", header, name, (int)len, v, value);
}

static void test_cookies(void **state)
{
    (void)state;
    expect_cookie("sd_session=abc", "sd_session", "abc");
    expect_cookie("a=1; sd_session=abc; b=2", "sd_session", "abc");
    expect_cookie("a=1;sd_session=abc", "sd_session", "abc");
    expect_cookie("  sd_session = abc  ;x=y", "sd_session", "abc");
    expect_cookie("sd_session=\"abc\"", "sd_session", "abc");
    expect_cookie("sd_session=", "sd_session", "");
    expect_cookie("sd_session=a=b", "sd_session", "a=b");
    expect_cookie("sd_session=first; sd_session=second", "sd_session", "first");
    expect_cookie("flag; sd_session=abc", "sd_session", "abc");
    expect_cookie("x_sd_session=abc", "sd_session", NULL);
    expect_cookie("sd_session_old=abc", "sd_session", NULL);
    expect_cookie("sd_sessio=abc", "sd_session", NULL);
    expect_cookie("sd_session", "sd_session", NULL);
    expect_cookie("", "sd_session", NULL);
    expect_cookie(";;;", "sd_session", NULL);
    expect_cookie("a=\"", "a", "\"");
}

static void test_length_bound(void **state)
{
    (void)state;
    const char *v = NULL;
    size_t len = 0;
    /* Only the first 12 bytes are the header: the value ends there. */
    assert_true(http_cookie_get("sd_session=abcdef", 12, "sd_session", &v, &len));
    assert_int_equal(len, 1);
    assert_memory_equal(v, "a", 1);
    assert_false(http_cookie_get("sd_session=abc", 9, "sd_session", &v, &len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cookies),
        cmocka_unit_test(test_length_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
