/* SPDX-License-Identifier: MIT */
/* vec: growable array (see vec.h). */
#include "base/vec.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "base/banned.h"

void vec_init(struct vec *v, size_t elem_size)
{
    v->items = NULL;
    v->len = 0;
    v->cap = 0;
    v->elem_size = elem_size;
}

void vec_release(struct vec *v)
{
    free(v->items);
    vec_init(v, v->elem_size);
}

void vec_reserve(struct vec *v, size_t cap)
{
    if (cap <= v->cap)
        return;
    v->items = xreallocarray(v->items, cap, v->elem_size);
    v->cap = cap;
}

void *vec_push_zero(struct vec *v)
{
    if (v->len == v->cap)
        vec_reserve(v, v->cap ? v->cap * 2 : 16);
    void *slot = (char *)v->items + v->len * v->elem_size;
    memset(slot, 0, v->elem_size);
    v->len++;
    return slot;
}

void *vec_push(struct vec *v, const void *elem)
{
    void *slot = vec_push_zero(v);
    memcpy(slot, elem, v->elem_size);
    return slot;
}

void *vec_at(const struct vec *v, size_t i)
{
    assert(i < v->len);
    return (char *)v->items + i * v->elem_size;
}
