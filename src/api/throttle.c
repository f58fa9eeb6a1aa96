/* SPDX-License-Identifier: MIT */
/*
 * throttle: counts failed logins per key ("login:ada", "addr:10.0.0.7") in a
 * window that starts at the first failure. A bounded table (THROTTLE_SLOTS):
 * when full, an expired entry or else the one whose window started first is
 * reused, so memory stays fixed whatever a client sends. Shared by the
 * worker threads under one mutex; the work inside is tiny next to a
 * password hash.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-int.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define THROTTLE_SLOTS   4096
#define THROTTLE_KEY_MAX 160

struct throttle_entry {
    char key[THROTTLE_KEY_MAX];
    int64_t first_ms;
    unsigned failures;
};

struct api_throttle {
    pthread_mutex_t lock;
    struct throttle_entry entries[THROTTLE_SLOTS];
};

struct api_throttle *api_throttle_new(void)
{
    struct api_throttle *t = xcalloc(1, sizeof(*t));
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void api_throttle_free(struct api_throttle *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* Keys longer than the slot are cut: a cut key still throttles (a little more widely). */
static struct throttle_entry *find(struct api_throttle *t, const char *key)
{
    for (size_t i = 0; i < THROTTLE_SLOTS; i++)
        if (t->entries[i].failures && strncmp(t->entries[i].key, key, THROTTLE_KEY_MAX - 1) == 0)
            return &t->entries[i];
    return NULL;
}

int api_throttle_blocked(struct api_throttle *t, const char *key, unsigned limit, int64_t window_ms,
                         int64_t now_ms, int64_t *retry_ms)
{
    int blocked = 0;
    pthread_mutex_lock(&t->lock);
    struct throttle_entry *e = find(t, key);
    if (e && now_ms - e->first_ms >= window_ms)
        e->failures = 0; /* the window is over */
    else if (e && e->failures >= limit) {
        blocked = 1;
        *retry_ms = window_ms - (now_ms - e->first_ms);
    }
    pthread_mutex_unlock(&t->lock);
    return blocked;
}

void api_throttle_fail(struct api_throttle *t, const char *key, int64_t window_ms, int64_t now_ms)
{
    pthread_mutex_lock(&t->lock);
    struct throttle_entry *e = find(t, key);
    if (e && now_ms - e->first_ms >= window_ms)
        e->failures = 0;
    if (!e || e->failures == 0) {
        struct throttle_entry *slot = e;
        for (size_t i = 0; i < THROTTLE_SLOTS && !slot; i++) {
            struct throttle_entry *x = &t->entries[i];
            if (!x->failures || now_ms - x->first_ms >= window_ms)
                slot = x;
        }
        if (!slot) {
            slot = &t->entries[0];
            for (size_t i = 1; i < THROTTLE_SLOTS; i++)
                if (t->entries[i].first_ms < slot->first_ms)
                    slot = &t->entries[i];
        }
        snprintf(slot->key, sizeof(slot->key), "%s", key);
        slot->first_ms = now_ms;
        slot->failures = 0;
        e = slot;
    }
    e->failures++;
    pthread_mutex_unlock(&t->lock);
}

void api_throttle_clear(struct api_throttle *t, const char *key)
{
    pthread_mutex_lock(&t->lock);
    struct throttle_entry *e = find(t, key);
    if (e)
        e->failures = 0;
    pthread_mutex_unlock(&t->lock);
}
