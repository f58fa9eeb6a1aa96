/* SPDX-License-Identifier: MIT */
/*
 * test-vec: base/vec: push (copies the element and returns the stored copy),
 * push_zero, reserve, at / VEC_AT, elements of odd sizes stored contiguously,
 * growth to many elements, and release followed by reuse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/vec.h"

#include "base/banned.h"

struct line {
    int64_t product_id;
    int64_t qty;
    char sku[13];
};

static void test_push_and_at(void **state)
{
    struct vec v;

    (void)state;
    vec_init(&v, sizeof(int64_t));
    assert_int_equal(v.len, 0);
    for (int64_t i = 0; i < 10000; i++) {
        int64_t value = i * i - 5000;
        int64_t *stored = vec_push(&v, &value);
        assert_ptr_equal(stored, vec_at(&v, (size_t)i));
        assert_int_equal(*stored, value);
        assert_int_equal(v.len, (size_t)i + 1);
        assert_true(v.cap >= v.len);
    }
    for (size_t i = 0; i < 10000; i++) {
        int64_t want = (int64_t)i * (int64_t)i - 5000;
        assert_int_equal(*VEC_AT(&v, int64_t, i), want);
    }
    vec_release(&v);
}

/* The vector keeps a copy: changing the pushed original changes nothing. */
static void test_push_copies(void **state)
{
    struct vec v;
    struct line l = {.product_id = 7, .qty = 3};

    (void)state;
    vec_init(&v, sizeof(struct line));
    memcpy(l.sku, "SKU-0007", 9);
    vec_push(&v, &l);
    l.qty = 99;
    memcpy(l.sku, "CHANGED", 8);
    struct line *stored = VEC_AT(&v, struct line, 0);
    assert_int_equal(stored->product_id, 7);
    assert_int_equal(stored->qty, 3);
    assert_string_equal(stored->sku, "SKU-0007");
    vec_release(&v);
}

static void test_push_zero(void **state)
{
    struct vec v;
    const unsigned char zeros[sizeof(struct line)] = {0};

    (void)state;
    vec_init(&v, sizeof(struct line));
    /* Fill memory with non-zero elements first, so that zeroing is really tested. */
    struct line full;
    memset(&full, 0xee, sizeof(full));
    for (int i = 0; i < 40; i++)
        vec_push(&v, &full);
    vec_release(&v);
    for (int i = 0; i < 100; i++) {
        vec_push(&v, &full);
        struct line *z = vec_push_zero(&v);
        assert_memory_equal(z, zeros, sizeof(*z));
        assert_ptr_equal(z, vec_at(&v, v.len - 1));
        z->qty = i; /* usable */
    }
    assert_int_equal(v.len, 200);
    for (size_t i = 0; i < 200; i += 2) {
        assert_int_equal(VEC_AT(&v, struct line, i)->qty, (int64_t)0xeeeeeeeeeeeeeeeeull);
        assert_int_equal(VEC_AT(&v, struct line, i + 1)->qty, (int64_t)(i / 2));
    }
    vec_release(&v);
}

static void test_reserve(void **state)
{
    struct vec v;

    (void)state;
    vec_init(&v, sizeof(int));
    vec_reserve(&v, 1000);
    assert_true(v.cap >= 1000);
    assert_int_equal(v.len, 0);
    for (int i = 0; i < 1000; i++)
        vec_push(&v, &i);
    assert_int_equal(v.len, 1000);
    /* Reserving less than what is there keeps every element. */
    size_t cap = v.cap;
    vec_reserve(&v, 10);
    assert_true(v.cap >= cap);
    assert_int_equal(v.len, 1000);
    /* Reserving more keeps every element too. */
    vec_reserve(&v, 50000);
    assert_true(v.cap >= 50000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(*VEC_AT(&v, int, (size_t)i), i);
    vec_release(&v);
}

/* Elements of an odd size (3 bytes) are packed: element i is at items + 3 i. */
static void test_odd_element_size(void **state)
{
    struct vec v;

    (void)state;
    vec_init(&v, 3);
    for (int i = 0; i < 1000; i++) {
        unsigned char elem[3] = {(unsigned char)i, (unsigned char)(i >> 8), 0x5a};
        vec_push(&v, elem);
    }
    for (size_t i = 0; i < 1000; i++) {
        const unsigned char *elem = vec_at(&v, i);
        assert_ptr_equal(elem, (const unsigned char *)v.items + 3 * i);
        assert_int_equal(elem[0], (unsigned char)i);
        assert_int_equal(elem[1], (unsigned char)(i >> 8));
        assert_int_equal(elem[2], 0x5a);
    }
    vec_release(&v);
}

static void test_release_and_reuse(void **state)
{
    struct vec v;

    (void)state;
    vec_init(&v, sizeof(double));
    vec_release(&v); /* never used */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 100; i++) {
            double d = round + i / 4.0;
            vec_push(&v, &d);
        }
        assert_int_equal(v.len, 100);
        assert_true(*VEC_AT(&v, double, 99) == round + 24.75);
        vec_release(&v);
        assert_int_equal(v.len, 0);
        assert_int_equal(v.elem_size, sizeof(double));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_and_at),      cmocka_unit_test(test_push_copies),
        cmocka_unit_test(test_push_zero),        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_odd_element_size), cmocka_unit_test(test_release_and_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
