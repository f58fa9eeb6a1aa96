/* SPDX-License-Identifier: MIT */
/* hashmap: open-addressing string → int64 map (see hashmap.h). */
#include "base/hashmap.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "base/banned.h"

uint32_t hashmap_hash(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

void hashmap_init(struct hashmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
    arena_init(&m->keys, 0);
}

void hashmap_release(struct hashmap *m)
{
    free(m->slots);
    arena_release(&m->keys);
    hashmap_init(m);
}

/*
 * The first slot to probe. FNV-1a's low bits are poor for keys that differ only
 * in their last characters ("O-0001234", "O-0001235", ...): taken as they are,
 * such keys fill runs of neighbouring slots and linear probes grow long (most of
 * a large import's time went there). Mixing all 32 bits first spreads them.
 */
static size_t first_slot(uint32_t hash, size_t mask)
{
    uint64_t h = (uint64_t)hash * 0x9E3779B97F4A7C15u;
    return (size_t)(h >> 32) & mask;
}

static struct hashmap_slot *find(const struct hashmap *m, const char *key, size_t len,
                                 uint32_t hash)
{
    size_t mask = m->cap - 1;
    for (size_t i = first_slot(hash, mask);; i = (i + 1) & mask) {
        struct hashmap_slot *s = &m->slots[i];
        if (!s->key)
            return s;
        if (s->hash == hash && s->key_len == len && memcmp(s->key, key, len) == 0)
            return s;
    }
}

static void grow(struct hashmap *m)
{
    struct hashmap_slot *old = m->slots;
    size_t old_cap = m->cap;
    m->cap = old_cap ? old_cap * 2 : 64;
    m->slots = xcalloc(m->cap, sizeof(*m->slots));
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].key)
            *find(m, old[i].key, old[i].key_len, old[i].hash) = old[i];
    }
    free(old);
}

/* The slot of `key`, added (value 0) when it is new. */
static struct hashmap_slot *slot_for(struct hashmap *m, const char *key, size_t len)
{
    if ((m->count + 1) * 10 > m->cap * 7)
        grow(m);
    uint32_t hash = hashmap_hash(key, len);
    struct hashmap_slot *s = find(m, key, len, hash);
    if (!s->key) {
        s->key = arena_strndup(&m->keys, key, len);
        s->key_len = (uint32_t)len;
        s->hash = hash;
        s->value = 0;
        m->count++;
    }
    return s;
}

void hashmap_put(struct hashmap *m, const char *key, size_t len, int64_t value)
{
    slot_for(m, key, len)->value = value;
}

int hashmap_put_new(struct hashmap *m, const char *key, size_t len, int64_t value,
                    int64_t *existing)
{
    size_t before = m->count;
    struct hashmap_slot *s = slot_for(m, key, len);
    if (m->count == before) {
        *existing = s->value;
        return 0;
    }
    s->value = value;
    return 1;
}

const char *hashmap_intern(struct hashmap *m, const char *key, size_t len)
{
    return slot_for(m, key, len)->key;
}

int hashmap_get(const struct hashmap *m, const char *key, size_t len, int64_t *value)
{
    if (!m->cap)
        return 0;
    struct hashmap_slot *s = find(m, key, len, hashmap_hash(key, len));
    if (!s->key)
        return 0;
    *value = s->value;
    return 1;
}
