/* SPDX-License-Identifier: MIT */
/*
 * arena: bump allocation for memory with one owner and one lifetime (an HTTP
 * request, an import batch, a report). Everything is freed at once by
 * arena_release. Pointers are aligned for any type. An arena with a limit
 * returns NULL from arena_alloc once the limit would be passed, so input-sized
 * work fails with SD_ELIMIT instead of exhausting memory.
 */
#ifndef SD_BASE_ARENA_H
#define SD_BASE_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
    struct arena_block *head;
    size_t used;   /* bytes handed out, for limits and statistics */
    size_t limit;  /* 0: no limit */
};

void arena_init(struct arena *a, size_t limit);
/* Frees every block; the arena is empty and usable again. */
void arena_release(struct arena *a);
/* `size` bytes, aligned to max_align_t; NULL only when the limit is reached. */
void *arena_alloc(struct arena *a, size_t size);
/* A NUL-terminated copy of `len` bytes of `s`; NULL only when the limit is reached. */
char *arena_strndup(struct arena *a, const char *s, size_t len);

#endif
