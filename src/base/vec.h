/* SPDX-License-Identifier: MIT */
/*
 * vec: a growable array of fixed-size elements.
 *
 * Invariants: `items` holds `len` elements of `elem_size` bytes each, with room
 * for `cap`. Pointers into `items` are invalidated by any push. Allocation
 * failure aborts (see xalloc.h).
 */
#ifndef SD_BASE_VEC_H
#define SD_BASE_VEC_H

#include <stddef.h>

struct vec {
    void *items;
    size_t len;
    size_t cap;
    size_t elem_size;
};

void vec_init(struct vec *v, size_t elem_size);
void vec_release(struct vec *v);
/* Appends a copy of the element at `elem`; returns a pointer to the stored copy. */
void *vec_push(struct vec *v, const void *elem);
/* Appends a zeroed element and returns it. */
void *vec_push_zero(struct vec *v);
/* Makes room for at least `cap` elements. */
void vec_reserve(struct vec *v, size_t cap);
/* Element `i` (i < len). */
void *vec_at(const struct vec *v, size_t i);

#define VEC_AT(v, type, i) ((type *)vec_at((v), (i)))

#endif
