/* SPDX-License-Identifier: MIT */
/*
 * throttle: counts login attempts per key ("login:ada", "addr:10.0.0.7",
 * "addr:2001:db8:1:2::" for an IPv6 /64) in a window that starts at the
 * first attempt counted. A bounded table (THROTTLE_SLOTS) shared by the
 * worker threads under one mutex; the work inside is tiny next to a
 * password hash.
 *
 * An attempt is reserved before the password is checked (check and count
 * are one step under the lock, so concurrent guesses cannot all pass the
 * check before any of them is counted), and then settled: a failure stays
 * counted, a success gives the reservation back.
 *
 * Eviction never forgets a key that blocks or has attempts in flight: a new
 * key takes an empty or expired slot, else the oldest slot under its limit.
 * When every slot blocks or is in flight (a flood from very many addresses),
 * a new key cannot be counted and its attempt is refused: flooding the table
 * cannot unblock a login, nor buy uncounted guesses.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-int.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define THROTTLE_SLOTS   4096
#define THROTTLE_KEY_MAX 160
#define RETRY_IN_FLIGHT_MS 1000

struct throttle_entry {
    char key[THROTTLE_KEY_MAX];
    int64_t first_ms;
    unsigned failures;
    unsigned pending; /* attempts reserved and not settled */
    unsigned limit;
};

struct api_throttle {
    pthread_mutex_t lock;
    size_t slots;
    struct throttle_entry entries[];
};

struct api_throttle *api_throttle_new_sized(size_t slots)
{
    struct api_throttle *t = xcalloc(1, sizeof(*t) + slots * sizeof(t->entries[0]));
    t->slots = slots;
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

struct api_throttle *api_throttle_new(void)
{
    return api_throttle_new_sized(THROTTLE_SLOTS);
}

void api_throttle_free(struct api_throttle *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static int in_use(const struct throttle_entry *e)
{
    return e->failures || e->pending;
}

/* Keys longer than the slot are cut: a cut key still throttles (a little more widely). */
static struct throttle_entry *find(struct api_throttle *t, const char *key)
{
    for (size_t i = 0; i < t->slots; i++)
        if (in_use(&t->entries[i]) &&
            strncmp(t->entries[i].key, key, THROTTLE_KEY_MAX - 1) == 0)
            return &t->entries[i];
    return NULL;
}

/* Starts a new window when the entry's is over (attempts in flight stay counted). */
static void expire(struct throttle_entry *e, int64_t window_ms, int64_t now_ms)
{
    if (now_ms - e->first_ms >= window_ms) {
        e->failures = 0;
        e->first_ms = now_ms;
    }
}

/* A slot for a new key: empty or expired, else the oldest under its limit; NULL when none. */
static struct throttle_entry *take_slot(struct api_throttle *t, int64_t window_ms, int64_t now_ms)
{
    struct throttle_entry *oldest = NULL;
    for (size_t i = 0; i < t->slots; i++) {
        struct throttle_entry *x = &t->entries[i];
        if (!in_use(x) || (!x->pending && now_ms - x->first_ms >= window_ms))
            return x;
        if (!x->pending && x->failures < x->limit && (!oldest || x->first_ms < oldest->first_ms))
            oldest = x;
    }
    return oldest;
}

/* The entry of `key`, made when absent; NULL when the table has no room for it. */
static struct throttle_entry *entry(struct api_throttle *t, const char *key, unsigned limit,
                                    int64_t window_ms, int64_t now_ms)
{
    struct throttle_entry *e = find(t, key);
    if (e) {
        expire(e, window_ms, now_ms);
        e->limit = limit;
        return e;
    }
    e = take_slot(t, window_ms, now_ms);
    if (!e)
        return NULL;
    snprintf(e->key, sizeof(e->key), "%s", key);
    e->first_ms = now_ms;
    e->failures = 0;
    e->pending = 0;
    e->limit = limit;
    return e;
}

int api_throttle_reserve(struct api_throttle *t, const struct api_throttle_key *keys, size_t n,
                         int64_t window_ms, int64_t now_ms, int64_t *retry_ms)
{
    struct throttle_entry *found[API_THROTTLE_KEYS_MAX];
    int blocked = 0;
    if (n > API_THROTTLE_KEYS_MAX)
        n = API_THROTTLE_KEYS_MAX;
    pthread_mutex_lock(&t->lock);
    /* Each entry is held by a reservation as soon as it is found, so that
     * taking a slot for the next key cannot evict it. */
    size_t held = 0;
    for (; held < n && !blocked; held++) {
        struct throttle_entry *e = entry(t, keys[held].key, keys[held].limit, window_ms, now_ms);
        if (!e) {
            blocked = 1;
            *retry_ms = RETRY_IN_FLIGHT_MS;
            log_warn("login throttle: table full, refusing an attempt for a new key");
            break;
        }
        if (e->failures + e->pending >= keys[held].limit) {
            blocked = 1;
            *retry_ms = e->failures >= keys[held].limit ? window_ms - (now_ms - e->first_ms)
                                                         : RETRY_IN_FLIGHT_MS;
            break;
        }
        e->pending++;
        found[held] = e;
    }
    if (blocked)
        for (size_t i = 0; i < held; i++)
            found[i]->pending--;
    pthread_mutex_unlock(&t->lock);
    return blocked;
}

void api_throttle_settle(struct api_throttle *t, const struct api_throttle_key *keys, size_t n,
                         int failed)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < n && i < API_THROTTLE_KEYS_MAX; i++) {
        struct throttle_entry *e = find(t, keys[i].key);
        if (!e || !e->pending)
            continue;
        e->pending--;
        if (failed)
            e->failures++;
        else if (keys[i].reset_on_success)
            e->failures = 0;
    }
    pthread_mutex_unlock(&t->lock);
}

void api_throttle_addr_key(const char *remote, char *buf, size_t size)
{
    unsigned char a[16];
    char text[INET6_ADDRSTRLEN];
    if (inet_pton(AF_INET6, remote, a) == 1 && !IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
        memset(a + 8, 0, 8); /* one client usually holds a whole /64 */
        if (inet_ntop(AF_INET6, a, text, sizeof(text))) {
            snprintf(buf, size, "addr:%s/64", text);
            return;
        }
    }
    snprintf(buf, size, "addr:%s", remote);
}
