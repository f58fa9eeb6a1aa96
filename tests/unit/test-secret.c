/* SPDX-License-Identifier: MIT */
/*
 * test-secret: tokens are 64 hex digits and differ every time; token hashes
 * are the BLAKE2b-256 digest (checked against the RFC 7693 test vector
 * recomputed with Python's hashlib.blake2b(digest_size=32)); passwords hash
 * to argon2id strings that check the right password only; length limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/secret.h"
#include "base/banned.h"

static int setup(void **state)
{
    (void)state;
    return secret_init(NULL);
}

static void test_tokens(void **state)
{
    (void)state;
    char a[SECRET_TOKEN_HEX + 1], b[SECRET_TOKEN_HEX + 1];
    secret_token(a);
    secret_token(b);
    assert_int_equal(strlen(a), SECRET_TOKEN_HEX);
    assert_int_equal(strspn(a, "0123456789abcdef"), SECRET_TOKEN_HEX);
    assert_string_not_equal(a, b);
    assert_true(secret_equal(a, a));
    assert_false(secret_equal(a, b));
    assert_false(secret_equal("abc", "abcd"));
}

static void test_token_hash(void **state)
{
    (void)state;
    char h[SECRET_HASH_HEX + 1];
    /* python3 -c "import hashlib; print(hashlib.blake2b(b'abc', digest_size=32).hexdigest())" */
    secret_token_hash("abc", 3, h);
    assert_string_equal(h, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

static void test_passwords(void **state)
{
    (void)state;
    char stored[SECRET_PASSWORD_STR];
    struct sd_error err = {0};
    assert_int_equal(secret_password_hash("correct horse", 13, stored, &err), 0);
    assert_true(strncmp(stored, "$argon2id$", 10) == 0);
    assert_true(secret_password_check(stored, "correct horse", 13));
    assert_false(secret_password_check(stored, "correct horsE", 13));
    assert_false(secret_password_check(stored, "correct hors", 12));
    assert_false(secret_password_check("", "correct horse", 13));
    assert_false(secret_password_check("$argon2id$garbage", "correct horse", 13));
    assert_int_equal(secret_password_hash("short", 5, stored, &err), SD_EINVAL);
    assert_non_null(strstr(err.message, "at least 8"));
    secret_password_dummy("whatever", 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_token_hash),
        cmocka_unit_test(test_passwords),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
