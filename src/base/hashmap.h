/* SPDX-License-Identifier: MIT */
/*
 * hashmap: byte-string keys to int64_t values, open addressing with linear
 * probing. Used to resolve external ids to internal ids during bulk work.
 *
 * Invariants: keys are copied into the map's own arena and live until
 * hashmap_release; the table is at most 70 % full. Allocation failure aborts.
 */
#ifndef SD_BASE_HASHMAP_H
#define SD_BASE_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

struct hashmap_slot {
    const char *key; /* NULL: empty */
    uint32_t key_len;
    uint32_t hash;
    int64_t value;
};

struct hashmap {
    struct hashmap_slot *slots;
    size_t cap;   /* power of two */
    size_t count;
    struct arena keys;
};

void hashmap_init(struct hashmap *m);
void hashmap_release(struct hashmap *m);
/* Sets key → value, replacing any earlier value. */
void hashmap_put(struct hashmap *m, const char *key, size_t len, int64_t value);
/*
 * Adds key → value unless the key is present: returns 1 when added, else 0
 * with *existing set to the value it has (left as it was). One look-up
 * instead of a hashmap_get and a hashmap_put.
 */
int hashmap_put_new(struct hashmap *m, const char *key, size_t len, int64_t value,
                    int64_t *existing);
/* 1 and *value when the key is present, else 0. */
int hashmap_get(const struct hashmap *m, const char *key, size_t len, int64_t *value);

/*
 * The map's own NUL-terminated copy of `key` (added with value 0 when new):
 * equal strings get the same pointer, which lives until hashmap_release.
 */
const char *hashmap_intern(struct hashmap *m, const char *key, size_t len);

/* FNV-1a over `len` bytes. */
uint32_t hashmap_hash(const void *data, size_t len);

#endif
