/* SPDX-License-Identifier: MIT */
/* arena: bump allocator in a chain of blocks (see arena.h). */
#include "base/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "base/banned.h"

#define ARENA_BLOCK_MIN (64 * 1024)

struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

void arena_init(struct arena *a, size_t limit)
{
    a->head = NULL;
    a->used = 0;
    a->limit = limit;
}

void arena_release(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    arena_init(a, a->limit);
}

static size_t align_up(size_t n)
{
    size_t align = alignof(max_align_t);
    return (n + align - 1) & ~(align - 1);
}

void *arena_alloc(struct arena *a, size_t size)
{
    if (size > SIZE_MAX / 2) {
        if (a->limit)
            return NULL;
        xmalloc(SIZE_MAX); /* reports out of memory and aborts */
    }
    size = align_up(size ? size : 1);
    if (a->limit && (size > a->limit || a->used > a->limit - size))
        return NULL;
    struct arena_block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t block = size > ARENA_BLOCK_MIN ? size : ARENA_BLOCK_MIN;
        b = xmalloc(sizeof(*b) + block);
        b->size = block;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    a->used += size;
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
    char *p = arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}
