/* SPDX-License-Identifier: MIT */
/*
 * engine: the numbers engine inside the server. The facts are built when the
 * server starts, on a thread of their own with its own store connection, while
 * the server already answers (a large store takes tens of seconds): until they
 * are built an engine request waits up to ENGINE_WAIT_MS and then answers 503
 * with Retry-After, /healthz says "engine": "loading", and every other route
 * answers as usual. A build that fails leaves the engine "failed" (engine
 * requests answer 503 and /healthz 503, so that monitoring sees it) and is
 * tried again with a growing wait: a store that was away comes back.
 *
 * Once built, the facts are shared by every worker thread behind a read-write
 * lock: queries hold the read lock; catching up with the store
 * (facts_refresh) holds the write lock. Before an engine query a request
 * compares the store's last change_log sequence number with the one the
 * facts applied and, when the store is ahead (a write through the API, the
 * CLI or an import), refreshes first, so the next request after a write sees
 * it. The gauges of GET /metrics come from here.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api-int.h"
#include "base/date.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "engine/facts.h"
#include "store/store.h"
#include "base/banned.h"

/* How long an engine request waits for a build in progress before it answers 503. */
#define ENGINE_WAIT_MS 5000
/* A failed build is tried again after 1 s, then 2, 4... up to a minute. */
#define ENGINE_RETRY_FIRST_MS 1000
#define ENGINE_RETRY_MAX_MS   60000

enum engine_state { ENGINE_LOADING, ENGINE_READY, ENGINE_FAILED };

struct api_engine {
    pthread_rwlock_t lock;
    struct facts *facts; /* the lock guards it; NULL until built */
    pthread_mutex_t state_lock;
    pthread_cond_t state_changed;
    enum engine_state state;     /* state_lock guards it */
    struct sd_error build_error; /* ENGINE_FAILED: why */
    pthread_t builder;
    char *db_url;
    atomic_int stop; /* the server is stopping: the build gives up */
    atomic_int_fast64_t build_us;
    atomic_int_fast64_t loaded;  /* order lines read so far by the build */
    atomic_int_fast64_t total;   /* order lines the build expects */
    atomic_int_fast64_t lines;   /* live order lines after the last build or refresh */
    atomic_int_fast64_t applied; /* the last change_log seq the facts applied */
    atomic_int_fast64_t store_seq; /* the store's last seq, as last seen */
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void note_stats(struct api_engine *e)
{
    struct facts_stats st;
    facts_stats(e->facts, &st);
    atomic_store(&e->lines, st.lines);
    atomic_store(&e->applied, st.seq);
    if (atomic_load(&e->store_seq) < st.seq)
        atomic_store(&e->store_seq, st.seq);
}

static int build_progress(void *ctx, int64_t done, int64_t total)
{
    struct api_engine *e = ctx;
    atomic_store(&e->loaded, done);
    atomic_store(&e->total, total);
    return atomic_load(&e->stop);
}

static void set_state(struct api_engine *e, enum engine_state state)
{
    pthread_mutex_lock(&e->state_lock);
    e->state = state;
    pthread_cond_broadcast(&e->state_changed);
    pthread_mutex_unlock(&e->state_lock);
}

struct timespec api_deadline_in(int64_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}

/* One build on a connection of its own; 0 with the facts in place. */
static int build_once(struct api_engine *e, struct sd_error *err)
{
    struct db *db = NULL;
    struct facts *f = NULL;
    int64_t t0 = now_us();
    int rc = store_open(&db, e->db_url, DB_OPEN_EXISTING, err);
    if (rc == 0)
        rc = facts_build(db, build_progress, e, &f, err);
    db_close(db);
    if (rc == 0)
        facts_group_accounts(f); /* for the account status (facts_account_lines) */
    if (rc)
        return rc;
    pthread_rwlock_wrlock(&e->lock);
    e->facts = f;
    int64_t took = now_us() - t0;
    atomic_store(&e->build_us, took);
    note_stats(e);
    pthread_rwlock_unlock(&e->lock);
    log_info("engine: %" PRId64 " order lines read in %" PRId64 ".%03" PRId64 " s (change_log "
             "seq %" PRId64 ")",
             atomic_load(&e->lines), took / 1000000, took / 1000 % 1000, atomic_load(&e->applied));
    return 0;
}

/*
 * The build thread: builds until it succeeds or the server stops. A failed
 * build (the store could not be opened, or holds what the facts refuse) is
 * tried again after ENGINE_RETRY_FIRST_MS, the wait doubling up to
 * ENGINE_RETRY_MAX_MS; meanwhile the engine is "failed".
 */
static void *build(void *arg)
{
    struct api_engine *e = arg;
    int64_t wait_ms = ENGINE_RETRY_FIRST_MS;
    while (!atomic_load(&e->stop)) {
        struct sd_error err = {0};
        if (build_once(e, &err) == 0) {
            set_state(e, ENGINE_READY);
            return NULL;
        }
        if (atomic_load(&e->stop))
            break;
        log_error("engine: building the facts failed (trying again in %" PRId64 " s): %s",
                  wait_ms / 1000, err.message);
        set_state(e, ENGINE_FAILED);
        struct timespec until = api_deadline_in(wait_ms);
        pthread_mutex_lock(&e->state_lock);
        while (!atomic_load(&e->stop) &&
               pthread_cond_timedwait(&e->state_changed, &e->state_lock, &until) == 0)
            ;
        pthread_mutex_unlock(&e->state_lock);
        wait_ms = wait_ms * 2 < ENGINE_RETRY_MAX_MS ? wait_ms * 2 : ENGINE_RETRY_MAX_MS;
    }
    return NULL;
}

int api_engine_start(struct api_server *srv, const char *db_url, struct sd_error *err)
{
    struct api_engine *e = xcalloc(1, sizeof(*e));
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
#ifdef __GLIBC__
    /*
     * Engine requests keep coming; with glibc's default (readers first) a
     * refresh could wait for a lull that never comes. A request never takes
     * the read lock twice, so a waiting writer cannot deadlock it.
     */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    pthread_rwlock_init(&e->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_mutex_init(&e->state_lock, NULL);
    pthread_cond_init(&e->state_changed, NULL);
    e->db_url = xstrdup(db_url);
    if (pthread_create(&e->builder, NULL, build, e) != 0) {
        free(e->db_url);
        free(e);
        return sd_error_set(err, SD_ERR, "cannot start the engine's build thread");
    }
    srv->engine = e;
    return 0;
}

void api_engine_free(struct api_engine *e)
{
    if (!e)
        return;
    atomic_store(&e->stop, 1);
    pthread_mutex_lock(&e->state_lock); /* wakes a build thread waiting to try again */
    pthread_cond_broadcast(&e->state_changed);
    pthread_mutex_unlock(&e->state_lock);
    pthread_join(e->builder, NULL);
    facts_free(e->facts);
    pthread_rwlock_destroy(&e->lock);
    pthread_cond_destroy(&e->state_changed);
    pthread_mutex_destroy(&e->state_lock);
    free(e->db_url);
    free(e);
}

/* The engine's state, after waiting up to `wait_ms` for a build in progress. */
static enum engine_state engine_state(struct api_engine *e, int64_t wait_ms)
{
    struct timespec until = api_deadline_in(wait_ms);
    pthread_mutex_lock(&e->state_lock);
    while (e->state == ENGINE_LOADING && wait_ms > 0 &&
           pthread_cond_timedwait(&e->state_changed, &e->state_lock, &until) == 0)
        ;
    enum engine_state state = e->state;
    pthread_mutex_unlock(&e->state_lock);
    return state;
}

const char *api_engine_state(struct api_engine *e)
{
    static const char *const names[] = {"loading", "ready", "failed"};
    return names[engine_state(e, 0)];
}

/* 503 for an engine that is not built (yet); 0 when it is ready. */
static int engine_ready(struct api_call *c, struct api_engine *e)
{
    enum engine_state state = engine_state(e, ENGINE_WAIT_MS);
    if (state == ENGINE_READY)
        return 0;
    if (state == ENGINE_FAILED)
        return !api_fail(c, 503, "engine_unavailable",
                         "the numbers engine could not be built (request id %s; the server log "
                         "says why)",
                         c->req->id);
    http_response_header(c->req, c->resp, "Retry-After", "5");
    return !api_fail(c, 503, "engine_loading",
                     "the numbers engine is still reading the store (%" PRId64 " of %" PRId64
                     " order lines); try again shortly",
                     atomic_load(&e->loaded), atomic_load(&e->total));
}

/*
 * Applies what the store wrote since the facts' last seq, under the write
 * lock. With `wait` 0 it does not wait for the lock: 1 when another request
 * holds it (catching up, or reading).
 */
static int catch_up(struct api_call *c, struct api_engine *e, int wait, struct sd_error *err)
{
    int64_t seq = 0;
    int rc = store_change_last(c->db, &seq, err);
    if (rc)
        return rc;
    atomic_store(&e->store_seq, seq);
    if (seq <= atomic_load(&e->applied))
        return 0;
    if (wait)
        pthread_rwlock_wrlock(&e->lock);
    else if (pthread_rwlock_trywrlock(&e->lock) != 0)
        return 1;
    struct facts_stats st;
    facts_stats(e->facts, &st);
    if (st.seq < seq) { /* another request may have caught up meanwhile */
        int64_t t0 = now_us(), applied = 0;
        rc = facts_refresh(e->facts, c->db, &applied, err);
        if (rc == 0)
            log_debug("request %s: engine caught up with %" PRId64 " change_log rows in %" PRId64
                      " us",
                      c->req->id, applied, now_us() - t0);
        note_stats(e);
    }
    pthread_rwlock_unlock(&e->lock);
    return rc;
}

/* ?today=, else the setting demo_today, else the current UTC date. */
static int engine_today(struct api_call *c, int32_t *today, struct sd_error *err)
{
    int set;
    *today = ts_to_date(ts_now_ms());
    if (api_route_takes(c->route, "today") && http_query(c->req, "today"))
        return api_query_date(c, "today", today) ? sd_error_set(err, SD_EINVAL, "bad today")
                                                  : 0;
    return store_demo_today(c->db, today, &set, err);
}

/* A rep's rows: their own orders and the orders of the accounts they own or manage. */
static int rep_rows(struct api_call *c, struct api_engine_use *u, struct sd_error *err)
{
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = store_rep_visible_accounts(c->db, c->req->arena, c->scope_rep_id, &ids, &n, err);
    if (rc)
        return rc;
    query_rows_init(&u->rows, u->f, c->scope_rep_id, ids, n);
    u->scope = &u->rows;
    return 0;
}

int api_engine_begin(struct api_call *c, struct api_engine_use *u, struct sd_error *err)
{
    struct api_engine *e = c->app->engine;
    memset(u, 0, sizeof(*u));
    if (engine_ready(c, e))
        return API_ANSWERED;
    int rc = engine_today(c, &u->today, err);
    if (rc)
        return rc;
    u->fy_start_month = store_fiscal_start(c->db);
    rc = catch_up(c, e, 1, err);
    if (rc)
        return rc;
    pthread_rwlock_rdlock(&e->lock);
    u->f = e->facts;
    u->locked = 1;
    rc = c->scope_rep_id ? rep_rows(c, u, err) : 0;
    if (rc)
        api_engine_end(c, u);
    return rc;
}

int api_engine_try(struct api_call *c, const struct facts **f, struct sd_error *err)
{
    struct api_engine *e = c->app->engine;
    *f = NULL;
    if (!e || engine_state(e, 0) != ENGINE_READY)
        return 0;
    int rc = catch_up(c, e, 0, err);
    if (rc)
        return rc < 0 ? rc : 0; /* busy: the store */
    if (pthread_rwlock_tryrdlock(&e->lock) != 0)
        return 0; /* a request is catching up (a large import can take seconds) */
    /* Caught up, unless a write committed since: the facts are a snapshot at least that new. */
    *f = e->facts;
    return 0;
}

void api_engine_release(struct api_call *c, const struct facts *f)
{
    if (f)
        pthread_rwlock_unlock(&c->app->engine->lock);
}

void api_engine_end(struct api_call *c, struct api_engine_use *u)
{
    if (u->scope)
        query_rows_release(&u->rows);
    if (u->locked)
        pthread_rwlock_unlock(&c->app->engine->lock);
    memset(u, 0, sizeof(*u));
}

void api_engine_metrics(struct api_call *c, struct strbuf *out)
{
    struct api_engine *e = c->app->engine;
    int64_t seq = atomic_load(&e->store_seq), applied = atomic_load(&e->applied);
    int64_t build_us = atomic_load(&e->build_us);
    int ready = engine_state(e, 0) == ENGINE_READY;
    struct sd_error err = {0};
    if (c->db && store_change_last(c->db, &seq, &err) != 0)
        seq = atomic_load(&e->store_seq);
    strbuf_addf(out,
                "# HELP salesdesk_engine_ready 1 once the engine has built its facts after the "
                "server started (0 while it reads the store, or when the build failed).\n"
                "# TYPE salesdesk_engine_ready gauge\nsalesdesk_engine_ready %d\n"
                "# HELP salesdesk_engine_lines Order lines held by the engine.\n"
                "# TYPE salesdesk_engine_lines gauge\nsalesdesk_engine_lines %" PRId64 "\n"
                "# HELP salesdesk_engine_build_seconds Time the engine took to build its facts "
                "when the server started.\n"
                "# TYPE salesdesk_engine_build_seconds gauge\n"
                "salesdesk_engine_build_seconds %" PRId64 ".%06" PRId64 "\n"
                "# HELP salesdesk_engine_change_log_applied The last change_log sequence "
                "number the engine applied.\n"
                "# TYPE salesdesk_engine_change_log_applied gauge\n"
                "salesdesk_engine_change_log_applied %" PRId64 "\n"
                "# HELP salesdesk_engine_change_log_lag change_log rows the engine has not "
                "applied yet (it catches up on the next engine request).\n"
                "# TYPE salesdesk_engine_change_log_lag gauge\n"
                "salesdesk_engine_change_log_lag %" PRId64 "\n",
                ready, atomic_load(&e->lines), build_us / 1000000, build_us % 1000000, applied,
                seq > applied ? seq - applied : 0);
}
