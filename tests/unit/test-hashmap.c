/* SPDX-License-Identifier: MIT */
/*
 * test-hashmap: base/hashmap: put, get and replace; missing keys (prefixes,
 * extensions, the empty key); keys with embedded NULs and arbitrary bytes;
 * keys copied at put; two different keys with the same 32-bit hash; growth to
 * 100 000 keys within the 70 % fill invariant; a long random sequence of puts
 * checked against a plain array indexed by key number; FNV-1a against the
 * published test vectors; release and reuse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashmap.h"

#include "base/banned.h"

#define UNTOUCHED INT64_C(0x5a5a5a5a5a5a5a5a)

/* 1 and the value when present; fails the test when present with another value. */
static void check_value(const struct hashmap *m, const void *key, size_t len, int64_t want)
{
    int64_t got = UNTOUCHED;
    if (!hashmap_get(m, key, len, &got))
        fail_msg("key of %zu bytes is missing, expected %" PRId64, len, want);
    if (got != want)
        fail_msg("key of %zu bytes: got %" PRId64 ", expected %" PRId64, len, got, want);
}

static void check_missing(const struct hashmap *m, const void *key, size_t len)
{
    int64_t got = UNTOUCHED;
    if (hashmap_get(m, key, len, &got))
        fail_msg("key of %zu bytes is present (value %" PRId64 "), expected missing", len, got);
    assert_int_equal(got, UNTOUCHED);
}

/* The published FNV-1a 32-bit test vectors. */
static void test_hash_vectors(void **state)
{
    (void)state;
    assert_int_equal(hashmap_hash("", 0), 0x811c9dc5u);
    assert_int_equal(hashmap_hash("a", 1), 0xe40c292cu);
    assert_int_equal(hashmap_hash("foobar", 6), 0xbf9cf968u);
    /* Only `len` bytes count. */
    assert_int_equal(hashmap_hash("foobarbaz", 6), 0xbf9cf968u);
}

static void test_empty_map(void **state)
{
    struct hashmap m;

    (void)state;
    hashmap_init(&m);
    check_missing(&m, "x", 1);
    check_missing(&m, "", 0);
    assert_int_equal(m.count, 0);
    hashmap_release(&m);
}

static void test_put_get_replace(void **state)
{
    struct hashmap m;

    (void)state;
    hashmap_init(&m);
    hashmap_put(&m, "ACME", 4, 1);
    hashmap_put(&m, "GLOBEX", 6, 2);
    check_value(&m, "ACME", 4, 1);
    check_value(&m, "GLOBEX", 6, 2);
    assert_int_equal(m.count, 2);

    hashmap_put(&m, "ACME", 4, 10);
    check_value(&m, "ACME", 4, 10);
    check_value(&m, "GLOBEX", 6, 2);
    assert_int_equal(m.count, 2);

    /* The extremes of int64 are ordinary values. */
    hashmap_put(&m, "min", 3, INT64_MIN);
    hashmap_put(&m, "max", 3, INT64_MAX);
    hashmap_put(&m, "zero", 4, 0);
    check_value(&m, "min", 3, INT64_MIN);
    check_value(&m, "max", 3, INT64_MAX);
    check_value(&m, "zero", 4, 0);
    assert_int_equal(m.count, 5);
    hashmap_release(&m);
}

static void test_put_new(void **state)
{
    struct hashmap m;
    int64_t existing = -1;

    (void)state;
    hashmap_init(&m);
    assert_int_equal(hashmap_put_new(&m, "O1", 2, 7, &existing), 1);
    assert_int_equal(existing, -1); /* untouched when added */
    /* present: not replaced, the first value comes back */
    assert_int_equal(hashmap_put_new(&m, "O1", 2, 9, &existing), 0);
    assert_int_equal(existing, 7);
    check_value(&m, "O1", 2, 7);
    /* a value of 0 is present like any other */
    assert_int_equal(hashmap_put_new(&m, "", 0, 0, &existing), 1);
    assert_int_equal(hashmap_put_new(&m, "", 0, 5, &existing), 0);
    assert_int_equal(existing, 0);
    assert_int_equal(m.count, 2);
    /* through growth: 1000 keys added once each, each second try reports the first value */
    char key[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(hashmap_put_new(&m, key, strlen(key), i, &existing), 1);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(hashmap_put_new(&m, key, strlen(key), -i, &existing), 0);
        assert_int_equal(existing, i);
    }
    assert_int_equal(m.count, 1002);
    hashmap_release(&m);
}

static void test_missing_keys(void **state)
{
    struct hashmap m;

    (void)state;
    hashmap_init(&m);
    hashmap_put(&m, "ORD-1001", 8, 7);
    check_missing(&m, "ORD-100", 7);   /* a prefix */
    check_missing(&m, "ORD-10011", 9); /* an extension */
    check_missing(&m, "ord-1001", 8);  /* case matters */
    check_missing(&m, "ORD-1002", 8);
    check_missing(&m, "", 0);
    /* Comparing only `len` bytes: "ORD-1001" inside a longer text is the key. */
    check_value(&m, "ORD-1001 and more", 8, 7);
    hashmap_release(&m);
}

/* Keys are byte strings: NULs inside, and lengths, make keys different. */
static void test_binary_keys(void **state)
{
    struct hashmap m;
    const unsigned char high[] = {0xff, 0x00, 0x80, 0x7f};

    (void)state;
    hashmap_init(&m);
    hashmap_put(&m, "a", 1, 1);
    hashmap_put(&m, "a\0b", 3, 2);
    hashmap_put(&m, "a\0c", 3, 3);
    hashmap_put(&m, "a\0", 2, 4);
    hashmap_put(&m, "", 0, 5);
    hashmap_put(&m, "\0", 1, 6);
    hashmap_put(&m, "\0\0", 2, 7);
    hashmap_put(&m, (const char *)high, sizeof(high), 8);
    assert_int_equal(m.count, 8);
    check_value(&m, "a", 1, 1);
    check_value(&m, "a\0b", 3, 2);
    check_value(&m, "a\0c", 3, 3);
    check_value(&m, "a\0", 2, 4);
    check_value(&m, "", 0, 5);
    check_value(&m, "\0", 1, 6);
    check_value(&m, "\0\0", 2, 7);
    check_value(&m, high, sizeof(high), 8);
    check_missing(&m, "a\0d", 3);
    check_missing(&m, "\0\0\0", 3);
    check_missing(&m, high, 3);
    hashmap_release(&m);
}

/* The map copies keys: the caller's buffer may change after put. */
static void test_keys_are_copied(void **state)
{
    struct hashmap m;
    char key[16];

    (void)state;
    hashmap_init(&m);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "rep-%03d", i);
        hashmap_put(&m, key, strlen(key), i);
    }
    memset(key, 'x', sizeof(key));
    check_value(&m, "rep-000", 7, 0);
    check_value(&m, "rep-042", 7, 42);
    check_value(&m, "rep-099", 7, 99);
    check_missing(&m, "xxxxxxx", 7);
    hashmap_release(&m);
}

struct hashed {
    uint32_t hash;
    uint32_t index;
};

static int compare_hashed(const void *a, const void *b)
{
    const struct hashed *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static uint64_t next_random(uint64_t *s)
{
    /* xorshift64* */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* Key number i of the collision search: "acct-" and 16 pseudo-random hex digits. */
static void collision_key(uint64_t i, char *buf, size_t size)
{
    uint64_t s = i * 0x9e3779b97f4a7c15ULL + 1;
    snprintf(buf, size, "acct-%016" PRIx64, next_random(&s));
}

/*
 * Two different keys with the same full hash share a home slot; both must be
 * kept apart. Among 300 000 random keys about 10 pairs share a 32-bit hash.
 */
static void test_full_hash_collision(void **state)
{
    enum { KEYS = 300000 };
    struct hashed *all = malloc(KEYS * sizeof(*all));
    char a[32], b[32];
    int found = 0;

    (void)state;
    assert_non_null(all);
    for (uint32_t i = 0; i < KEYS; i++) {
        collision_key(i, a, sizeof(a));
        all[i].hash = hashmap_hash(a, strlen(a));
        all[i].index = i;
    }
    qsort(all, KEYS, sizeof(*all), compare_hashed);
    for (size_t i = 1; i < KEYS && !found; i++) {
        if (all[i].hash == all[i - 1].hash) {
            collision_key(all[i - 1].index, a, sizeof(a));
            collision_key(all[i].index, b, sizeof(b));
            found = 1;
        }
    }
    free(all);
    if (!found)
        fail_msg("no FNV-1a collision among %d keys (expected about 10)", KEYS);
    assert_int_equal(hashmap_hash(a, strlen(a)), hashmap_hash(b, strlen(b)));
    assert_string_not_equal(a, b);

    struct hashmap m;
    hashmap_init(&m);
    hashmap_put(&m, a, strlen(a), 1);
    check_missing(&m, b, strlen(b));
    hashmap_put(&m, b, strlen(b), 2);
    check_value(&m, a, strlen(a), 1);
    check_value(&m, b, strlen(b), 2);
    hashmap_put(&m, a, strlen(a), 3);
    check_value(&m, a, strlen(a), 3);
    check_value(&m, b, strlen(b), 2);
    assert_int_equal(m.count, 2);
    hashmap_release(&m);
}

static void check_table_shape(const struct hashmap *m)
{
    assert_true(m->cap > 0);
    assert_int_equal(m->cap & (m->cap - 1), 0); /* power of two */
    if (m->count * 10 > m->cap * 7)
        fail_msg("%zu keys in %zu slots: more than 70 %% full", m->count, m->cap);
}

/* 100 000 distinct text keys: every one found with its value, growth within 70 %. */
static void test_many_keys(void **state)
{
    enum { KEYS = 100000 };
    struct hashmap m;
    char key[32];

    (void)state;
    hashmap_init(&m);
    for (int i = 0; i < KEYS; i++) {
        int len = snprintf(key, sizeof(key), "SKU-%d", i);
        hashmap_put(&m, key, (size_t)len, (int64_t)i * 3 - 7);
        if ((i & (i - 1)) == 0)
            check_table_shape(&m);
    }
    check_table_shape(&m);
    assert_int_equal(m.count, KEYS);
    for (int i = 0; i < KEYS; i++) {
        int len = snprintf(key, sizeof(key), "SKU-%d", i);
        check_value(&m, key, (size_t)len, (int64_t)i * 3 - 7);
    }
    for (int i = KEYS; i < KEYS + 1000; i++) {
        int len = snprintf(key, sizeof(key), "SKU-%d", i);
        check_missing(&m, key, (size_t)len);
    }
    hashmap_release(&m);
}

/*
 * Key number n as bytes: n in 4 little-endian bytes (small numbers give NULs)
 * followed by n % 5 bytes 0x00 or 0xff. The first 4 bytes identify n, so
 * different numbers give different keys.
 */
static size_t key_bytes(uint32_t n, unsigned char *out)
{
    size_t len = 0;
    for (int i = 0; i < 4; i++)
        out[len++] = (unsigned char)(n >> (8 * i));
    for (uint32_t i = 0; i < n % 5; i++)
        out[len++] = (n & 1) ? 0xff : 0x00;
    return len;
}

/*
 * 300 000 puts of random key numbers below 60 000 (so most keys are replaced
 * several times) against a reference array: value[n] and present[n].
 */
static void test_random_against_reference(void **state)
{
    enum { UNIVERSE = 60000, PUTS = 300000 };
    int64_t *want = calloc(UNIVERSE, sizeof(*want));
    unsigned char *present = calloc(UNIVERSE, 1);
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    size_t distinct = 0;
    unsigned char key[16];
    struct hashmap m;

    (void)state;
    assert_non_null(want);
    assert_non_null(present);
    hashmap_init(&m);
    for (int i = 0; i < PUTS; i++) {
        uint32_t n = (uint32_t)(next_random(&seed) % UNIVERSE);
        int64_t value = (int64_t)next_random(&seed);
        size_t len = key_bytes(n, key);
        hashmap_put(&m, (const char *)key, len, value);
        if (!present[n])
            distinct++;
        present[n] = 1;
        want[n] = value;
    }
    assert_int_equal(m.count, distinct);
    check_table_shape(&m);
    for (uint32_t n = 0; n < UNIVERSE; n++) {
        size_t len = key_bytes(n, key);
        if (present[n])
            check_value(&m, key, len, want[n]);
        else
            check_missing(&m, key, len);
    }
    hashmap_release(&m);
    free(want);
    free(present);
}

static void test_release_and_reuse(void **state)
{
    struct hashmap m;

    (void)state;
    hashmap_init(&m);
    hashmap_release(&m); /* never used */
    for (int round = 0; round < 3; round++) {
        char key[16];
        for (int i = 0; i < 1000; i++) {
            int len = snprintf(key, sizeof(key), "k%d", i);
            hashmap_put(&m, key, (size_t)len, round * 1000 + i);
        }
        assert_int_equal(m.count, 1000);
        check_value(&m, "k999", 4, round * 1000 + 999);
        hashmap_release(&m);
        assert_int_equal(m.count, 0);
        check_missing(&m, "k999", 4);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_vectors),
        cmocka_unit_test(test_empty_map),
        cmocka_unit_test(test_put_get_replace),
        cmocka_unit_test(test_put_new),
        cmocka_unit_test(test_missing_keys),
        cmocka_unit_test(test_binary_keys),
        cmocka_unit_test(test_keys_are_copied),
        cmocka_unit_test(test_full_hash_collision),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_random_against_reference),
        cmocka_unit_test(test_release_and_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
