/* SPDX-License-Identifier: MIT */
/*
 * engine: the numbers engine inside the server. The facts are built once
 * when the server starts and shared by every worker thread behind a
 * read-write lock: queries hold the read lock; catching up with the store
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

struct api_engine {
    pthread_rwlock_t lock;
    struct facts *facts; /* the lock guards it */
    int64_t build_us;
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

int api_engine_start(struct api_server *srv, struct db *db, struct sd_error *err)
{
    struct api_engine *e = xcalloc(1, sizeof(*e));
    int64_t t0 = now_us();
    int rc = facts_build(db, NULL, NULL, &e->facts, err);
    if (rc) {
        sd_error_prefix(err, "building the engine's facts");
        free(e);
        return rc;
    }
    e->build_us = now_us() - t0;
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
    note_stats(e);
    log_info("engine: %" PRId64 " order lines read in %" PRId64 ".%03" PRId64 " s (change_log "
             "seq %" PRId64 ")",
             atomic_load(&e->lines), e->build_us / 1000000, e->build_us / 1000 % 1000,
             atomic_load(&e->applied));
    srv->engine = e;
    return 0;
}

void api_engine_free(struct api_engine *e)
{
    if (!e)
        return;
    facts_free(e->facts);
    pthread_rwlock_destroy(&e->lock);
    free(e);
}

/* Applies what the store wrote since the facts' last seq, under the write lock. */
static int catch_up(struct api_call *c, struct api_engine *e, struct sd_error *err)
{
    int64_t seq = 0;
    int rc = store_change_last(c->db, &seq, err);
    if (rc)
        return rc;
    atomic_store(&e->store_seq, seq);
    if (seq <= atomic_load(&e->applied))
        return 0;
    pthread_rwlock_wrlock(&e->lock);
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
    int rc = engine_today(c, &u->today, err);
    if (rc)
        return rc;
    u->fy_start_month = store_fiscal_start(c->db);
    rc = catch_up(c, e, err);
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
    const struct api_engine *e = c->app->engine;
    int64_t seq = atomic_load(&e->store_seq), applied = atomic_load(&e->applied);
    struct sd_error err = {0};
    if (c->db && store_change_last(c->db, &seq, &err) != 0)
        seq = atomic_load(&e->store_seq);
    strbuf_addf(out,
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
                atomic_load(&e->lines), e->build_us / 1000000, e->build_us % 1000000, applied,
                seq > applied ? seq - applied : 0);
}
