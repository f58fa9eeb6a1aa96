/* SPDX-License-Identifier: MIT */
/*
 * test-strbuf: base/strbuf: appends of bytes, strings, characters and
 * formatted text; the NUL terminator after every operation; limits (an append
 * that would pass the limit returns SD_ELIMIT and leaves the buffer exactly as
 * it was); detach, reset, setlen, and release followed by reuse.
 *
 * Expected contents are written out by hand or built byte by byte in the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/strbuf.h"

#include "base/banned.h"

/* The invariants every strbuf keeps: buf set, NUL at len, len within alloc and limit. */
static void check_invariants(const struct strbuf *sb)
{
    assert_non_null(sb->buf);
    assert_int_equal(sb->buf[sb->len], '\0');
    if (sb->alloc)
        assert_true(sb->len < sb->alloc);
    else
        assert_int_equal(sb->len, 0);
    if (sb->limit)
        assert_true(sb->len <= sb->limit);
}

/* Content and length, compared as bytes (the content may hold NULs). */
static void check_content(const struct strbuf *sb, const void *want, size_t want_len)
{
    check_invariants(sb);
    assert_int_equal(sb->len, want_len);
    if (want_len)
        assert_memory_equal(sb->buf, want, want_len);
}

static void test_init_is_empty(void **state)
{
    struct strbuf a = STRBUF_INIT;
    struct strbuf b;

    (void)state;
    strbuf_init(&b, 0);
    check_content(&a, "", 0);
    check_content(&b, "", 0);
    assert_string_equal(a.buf, "");
    assert_int_equal(a.limit, 0);
    strbuf_release(&a);
    strbuf_release(&b);
    check_content(&a, "", 0);
}

static void test_appends(void **state)
{
    struct strbuf sb = STRBUF_INIT;

    (void)state;
    assert_int_equal(strbuf_addstr(&sb, "hello"), 0);
    check_content(&sb, "hello", 5);
    assert_int_equal(strbuf_addch(&sb, ','), 0);
    assert_int_equal(strbuf_addch(&sb, ' '), 0);
    assert_int_equal(strbuf_add(&sb, "world!!!", 5), 0); /* only "world" */
    check_content(&sb, "hello, world", 12);
    assert_string_equal(sb.buf, "hello, world");
    assert_int_equal(strbuf_addstr(&sb, ""), 0);
    assert_int_equal(strbuf_add(&sb, "ignored", 0), 0);
    check_content(&sb, "hello, world", 12);
    strbuf_release(&sb);
}

static void test_binary_bytes(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    const char want[] = {'a', '\0', 'b', '\xff', '\0', '\n'};

    (void)state;
    assert_int_equal(strbuf_add(&sb, "a\0b", 3), 0);
    assert_int_equal(strbuf_addch(&sb, '\xff'), 0);
    assert_int_equal(strbuf_addch(&sb, '\0'), 0);
    assert_int_equal(strbuf_addch(&sb, '\n'), 0);
    check_content(&sb, want, sizeof(want));
    assert_int_equal(strlen(sb.buf), 1); /* as a C string it ends at the first NUL */
    strbuf_release(&sb);
}

/* Grows through many reallocations; every byte stays where it was put. */
static void test_growth_keeps_content(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    enum { TOTAL = 200000 };

    (void)state;
    for (int i = 0; i < TOTAL; i++) {
        assert_int_equal(strbuf_addch(&sb, (char)('a' + i % 26)), 0);
        assert_int_equal(sb.buf[sb.len], '\0');
    }
    check_invariants(&sb);
    assert_int_equal(sb.len, TOTAL);
    for (int i = 0; i < TOTAL; i++) {
        if (sb.buf[i] != (char)('a' + i % 26))
            fail_msg("byte %d is '%c', expected '%c'", i, sb.buf[i], 'a' + i % 26);
    }
    strbuf_release(&sb);
}

static void test_addf(void **state)
{
    struct strbuf sb = STRBUF_INIT;

    (void)state;
    assert_int_equal(strbuf_addf(&sb, "%s=%d;", "qty", 42), 0);
    assert_int_equal(strbuf_addf(&sb, "%05.1f|%-4s|%x", 3.5, "ab", 255u), 0);
    check_content(&sb, "qty=42;003.5|ab  |ff", 20);
    assert_int_equal(strbuf_addf(&sb, "%s", ""), 0);
    check_content(&sb, "qty=42;003.5|ab  |ff", 20);
    strbuf_release(&sb);

    /* One formatted append far larger than the first allocation. */
    assert_int_equal(strbuf_addstr(&sb, "<"), 0);
    assert_int_equal(strbuf_addf(&sb, "%0300d", 7), 0);
    assert_int_equal(strbuf_addch(&sb, '>'), 0);
    check_invariants(&sb);
    assert_int_equal(sb.len, 302);
    assert_int_equal(sb.buf[0], '<');
    for (size_t i = 1; i < 300; i++)
        assert_int_equal(sb.buf[i], '0');
    assert_int_equal(sb.buf[300], '7');
    assert_int_equal(sb.buf[301], '>');
    strbuf_release(&sb);
}

__attribute__((format(printf, 2, 3))) static int add_via_va_list(struct strbuf *sb, const char *fmt,
                                                                 ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
    return rc;
}

static void test_vaddf(void **state)
{
    struct strbuf sb = STRBUF_INIT;

    (void)state;
    assert_int_equal(add_via_va_list(&sb, "[%d,%d,%s]", -1, 20, "x"), 0);
    assert_int_equal(add_via_va_list(&sb, "%c%c", 'o', 'k'), 0);
    check_content(&sb, "[-1,20,x]ok", 11);
    strbuf_release(&sb);
}

/* A limit allows exactly `limit` bytes; anything past it fails and changes nothing. */
static void test_limit(void **state)
{
    struct strbuf sb;

    (void)state;
    strbuf_init(&sb, 10);
    assert_int_equal(strbuf_addstr(&sb, "12345"), 0);
    assert_int_equal(strbuf_addstr(&sb, "678901"), SD_ELIMIT); /* 11 bytes */
    check_content(&sb, "12345", 5);
    assert_int_equal(strbuf_addf(&sb, "%d", 678901), SD_ELIMIT);
    check_content(&sb, "12345", 5);
    assert_int_equal(add_via_va_list(&sb, "%s", "abcdef"), SD_ELIMIT);
    check_content(&sb, "12345", 5);
    assert_int_equal(strbuf_addf(&sb, "%d", 6789), 0);
    assert_int_equal(strbuf_addch(&sb, '0'), 0); /* exactly 10 */
    check_content(&sb, "1234567890", 10);
    assert_int_equal(strbuf_addch(&sb, 'x'), SD_ELIMIT);
    assert_int_equal(strbuf_add(&sb, "x", 1), SD_ELIMIT);
    assert_int_equal(strbuf_addf(&sb, "%s", "x"), SD_ELIMIT);
    check_content(&sb, "1234567890", 10);
    /* Appending nothing at the limit is not passing it. */
    assert_int_equal(strbuf_addstr(&sb, ""), 0);
    assert_int_equal(strbuf_addf(&sb, "%s", ""), 0);
    check_content(&sb, "1234567890", 10);
    strbuf_release(&sb);
}

static void test_limit_on_empty_buffer(void **state)
{
    struct strbuf sb;

    (void)state;
    strbuf_init(&sb, 3);
    assert_int_equal(strbuf_addstr(&sb, "abcd"), SD_ELIMIT);
    check_content(&sb, "", 0);
    assert_string_equal(sb.buf, "");
    /* A length that would overflow size_t arithmetic is refused before `data` is read. */
    assert_int_equal(strbuf_add(&sb, "", SIZE_MAX), SD_ELIMIT);
    assert_int_equal(strbuf_add(&sb, "", SIZE_MAX - 1), SD_ELIMIT);
    check_content(&sb, "", 0);
    assert_int_equal(strbuf_addstr(&sb, "abc"), 0);
    assert_int_equal(strbuf_add(&sb, "", SIZE_MAX), SD_ELIMIT);
    check_content(&sb, "abc", 3);
    strbuf_release(&sb);
}

static void test_detach(void **state)
{
    struct strbuf sb;
    size_t len = 99;

    (void)state;
    strbuf_init(&sb, 100);
    assert_int_equal(strbuf_addstr(&sb, "order 17"), 0);
    char *s = strbuf_detach(&sb, &len);
    assert_string_equal(s, "order 17");
    assert_int_equal(len, 8);
    free(s);
    check_content(&sb, "", 0);
    assert_int_equal(sb.limit, 100);

    /* Detaching an empty buffer still hands out a string the caller may free(). */
    s = strbuf_detach(&sb, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);

    /* The detached buffer is reusable; a NULL length is accepted. */
    assert_int_equal(strbuf_addch(&sb, 'z'), 0);
    s = strbuf_detach(&sb, NULL);
    assert_string_equal(s, "z");
    free(s);
    check_content(&sb, "", 0);
    strbuf_release(&sb);
}

static void test_reset_keeps_memory(void **state)
{
    struct strbuf sb = STRBUF_INIT;

    (void)state;
    strbuf_reset(&sb); /* on a buffer that never allocated */
    check_content(&sb, "", 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(strbuf_addch(&sb, 'x'), 0);
    char *memory = sb.buf;
    size_t alloc = sb.alloc;
    strbuf_reset(&sb);
    check_content(&sb, "", 0);
    assert_string_equal(sb.buf, "");
    assert_ptr_equal(sb.buf, memory);
    assert_int_equal(sb.alloc, alloc);
    assert_int_equal(strbuf_addstr(&sb, "again"), 0);
    check_content(&sb, "again", 5);
    assert_ptr_equal(sb.buf, memory);
    strbuf_release(&sb);
}

static void test_setlen(void **state)
{
    struct strbuf sb = STRBUF_INIT;

    (void)state;
    assert_int_equal(strbuf_addstr(&sb, "hello world"), 0);
    strbuf_setlen(&sb, 5);
    check_content(&sb, "hello", 5);
    assert_string_equal(sb.buf, "hello");
    strbuf_setlen(&sb, 5);
    check_content(&sb, "hello", 5);
    assert_int_equal(strbuf_addstr(&sb, "!"), 0);
    assert_string_equal(sb.buf, "hello!");
    strbuf_setlen(&sb, 0);
    check_content(&sb, "", 0);
    strbuf_release(&sb);
}

static void test_release_and_reuse(void **state)
{
    struct strbuf sb;

    (void)state;
    strbuf_init(&sb, 64);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(strbuf_addf(&sb, "round %d", round), 0);
        check_content(&sb, round == 0 ? "round 0" : round == 1 ? "round 1" : "round 2", 7);
        strbuf_release(&sb);
        check_content(&sb, "", 0);
        /* The limit is part of the buffer's setup, not of its contents. */
        assert_int_equal(sb.limit, 64);
    }
    strbuf_release(&sb); /* twice in a row is fine */
    assert_int_equal(strbuf_add(&sb, "", 65), SD_ELIMIT);
    strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_is_empty), cmocka_unit_test(test_appends),
        cmocka_unit_test(test_binary_bytes),  cmocka_unit_test(test_growth_keeps_content),
        cmocka_unit_test(test_addf),          cmocka_unit_test(test_vaddf),
        cmocka_unit_test(test_limit),         cmocka_unit_test(test_limit_on_empty_buffer),
        cmocka_unit_test(test_detach),        cmocka_unit_test(test_reset_keeps_memory),
        cmocka_unit_test(test_setlen),        cmocka_unit_test(test_release_and_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
