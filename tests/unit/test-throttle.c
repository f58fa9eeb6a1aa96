/* SPDX-License-Identifier: MIT */
/*
 * test-throttle: the login throttle's table: limits per key and window,
 * reservations that make check and count one step (attempts in flight count
 * against the limit), a success giving its reservation back, eviction that
 * never forgets a blocking key however many other keys arrive, refusing new
 * keys when every slot blocks, and IPv6 clients keyed by their /64.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api/api-int.h"
#include "base/log.h"
#include "base/banned.h"

#define WINDOW 60000

static int attempt(struct api_throttle *t, const char *key, unsigned limit, int64_t now,
                   int failed)
{
    struct api_throttle_key k = {key, limit, 1};
    int64_t retry = 0;
    if (api_throttle_reserve(t, &k, 1, WINDOW, now, &retry))
        return 429;
    api_throttle_settle(t, &k, 1, failed);
    return failed ? 401 : 200;
}

static void test_limit_and_window(void **state)
{
    (void)state;
    struct api_throttle *t = api_throttle_new_sized(16);
    assert_int_equal(attempt(t, "login:ada", 3, 1000, 1), 401);
    assert_int_equal(attempt(t, "login:ada", 3, 2000, 1), 401);
    assert_int_equal(attempt(t, "login:ada", 3, 3000, 1), 401);
    assert_int_equal(attempt(t, "login:ada", 3, 4000, 0), 429); /* even a right password */
    struct api_throttle_key k = {"login:ada", 3, 1};
    int64_t retry = 0;
    assert_int_equal(api_throttle_reserve(t, &k, 1, WINDOW, 11000, &retry), 1);
    assert_int_equal(retry, WINDOW - 10000); /* the window began at the first attempt, 1000 */
    assert_int_equal(attempt(t, "login:bob", 3, 4000, 0), 200);
    assert_int_equal(attempt(t, "login:ada", 3, 1000 + WINDOW, 0), 200); /* the window is over */
    /* A success forgets the failures of a key that resets on success. */
    assert_int_equal(attempt(t, "login:cyd", 2, 100, 1), 401);
    assert_int_equal(attempt(t, "login:cyd", 2, 200, 0), 200);
    assert_int_equal(attempt(t, "login:cyd", 2, 300, 1), 401);
    assert_int_equal(attempt(t, "login:cyd", 2, 400, 1), 401);
    assert_int_equal(attempt(t, "login:cyd", 2, 500, 0), 429);
    api_throttle_free(t);
}

/* Attempts in flight count: with limit 2, a third concurrent reservation is refused. */
static void test_reservations_are_atomic(void **state)
{
    (void)state;
    struct api_throttle *t = api_throttle_new_sized(16);
    struct api_throttle_key k = {"login:ada", 2, 1};
    int64_t retry = 0;
    assert_int_equal(api_throttle_reserve(t, &k, 1, WINDOW, 10, &retry), 0);
    assert_int_equal(api_throttle_reserve(t, &k, 1, WINDOW, 10, &retry), 0);
    assert_int_equal(api_throttle_reserve(t, &k, 1, WINDOW, 10, &retry), 1);
    assert_int_equal(retry, 1000); /* in flight, not yet failed: try again soon */
    api_throttle_settle(t, &k, 1, 1);
    api_throttle_settle(t, &k, 1, 1);
    assert_int_equal(api_throttle_reserve(t, &k, 1, WINDOW, 20, &retry), 1);
    assert_int_equal(retry, WINDOW - 10);
    /* Two keys are reserved together or not at all. */
    struct api_throttle_key both[2] = {{"login:bob", 5, 1}, {"addr:10.0.0.1", 1, 0}};
    assert_int_equal(api_throttle_reserve(t, both, 2, WINDOW, 30, &retry), 0);
    assert_int_equal(api_throttle_reserve(t, both, 2, WINDOW, 30, &retry), 1);
    api_throttle_settle(t, both, 2, 0); /* a success: the address keeps no failure */
    assert_int_equal(api_throttle_reserve(t, both, 2, WINDOW, 40, &retry), 0);
    api_throttle_settle(t, both, 2, 1);
    assert_int_equal(attempt(t, "login:bob", 5, 50, 0), 200); /* bob alone: 1 failure of 5 */
    api_throttle_free(t);
}

/* A flood of other keys cannot evict a blocking key; when no slot is free, new keys wait. */
static void test_flood_cannot_evict_a_block(void **state)
{
    (void)state;
    struct api_throttle *t = api_throttle_new_sized(8);
    char key[32];
    assert_int_equal(attempt(t, "login:ada", 2, 0, 1), 401);
    assert_int_equal(attempt(t, "login:ada", 2, 0, 1), 401);
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "login:flood%d", i);
        attempt(t, key, 2, 1 + i, 1); /* one failure each: under the limit, evictable */
    }
    assert_int_equal(attempt(t, "login:ada", 2, 2000, 0), 429);
    /* Fill every other slot with blocking keys: a new key cannot be counted and is refused. */
    for (int i = 0; i < 7; i++) {
        snprintf(key, sizeof(key), "login:block%d", i);
        assert_int_equal(attempt(t, key, 1, 3000, 1), 401);
    }
    assert_int_equal(attempt(t, "login:new", 2, 3000, 0), 429);
    assert_int_equal(attempt(t, "login:ada", 2, 3000, 0), 429);
    /* Once their window is over, the slots are reused. */
    assert_int_equal(attempt(t, "login:new", 2, 3000 + WINDOW, 0), 200);
    api_throttle_free(t);
}

static void expect_key(const char *remote, const char *key)
{
    char buf[160];
    api_throttle_addr_key(remote, buf, sizeof(buf));
    assert_string_equal(buf, key);
}

static void test_address_keys(void **state)
{
    (void)state;
    expect_key("10.1.2.3", "addr:10.1.2.3");
    expect_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "addr:2001:db8:1:2::/64");
    expect_key("2001:db8:1:2::1", "addr:2001:db8:1:2::/64");
    expect_key("2001:db8:1:3::1", "addr:2001:db8:1:3::/64");
    expect_key("::1", "addr:::/64");
    expect_key("::ffff:10.1.2.3", "addr:::ffff:10.1.2.3"); /* an IPv4 client on a v6 socket */
    expect_key("-", "addr:-");
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_and_window),
        cmocka_unit_test(test_reservations_are_atomic),
        cmocka_unit_test(test_flood_cannot_evict_a_block),
        cmocka_unit_test(test_address_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
