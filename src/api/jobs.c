/* SPDX-License-Identifier: MIT */
/*
 * jobs: the import jobs of the API. POST /api/v1/imports spools the upload
 * (http/), records a queued import_jobs row and hands the job here; one job
 * thread takes the jobs in order, each on a store connection of its own, and
 * runs the same import as `salesdesk import` (ingest/import.h): all or
 * nothing, one transaction with its change_log rows and the job row. A run
 * that applies nothing (rejected, failed, a dry run) is recorded after it
 * with import_job_record.
 *
 * Progress of the running job (rows read, rows written of how many) lives
 * here, in memory, for GET /api/v1/imports/{id}; everything else is in the
 * store. Stopping (SIGTERM): the running import is told to stop and rolls
 * back (it is marked failed) and the jobs still waiting are marked failed.
 *
 * Several servers may share one store. Each job row names the server that
 * queued it (import_jobs.instance: the lease key this server holds for its
 * lifetime, db.h), and only that server runs it or, stopping, ends it. What a
 * server that died left queued or running (its lease is free once it is
 * gone) is marked failed by the next server to start, and by every running
 * server within JOBS_SWEEP_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "api/api-int.h"
#include "base/date.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "ingest/import.h"
#include "store/store.h"
#include "base/banned.h"

#define JOBS_QUEUE_MAX 32
#define JOBS_SWEEP_MS 10000 /* how often a server looks for jobs a dead server left */
#define LEASE_TRIES 8       /* random lease keys tried before giving up */

static const char interrupted_msg[] =
    "interrupted: the server stopped before the import finished; nothing was applied";

enum { DONE, REJECTED, FAILED, N_OUTCOMES };
static const char *const outcome_names[N_OUTCOMES] = {"succeeded", "rejected", "failed"};

struct api_jobs {
    char *db_url;
    struct db *lease_db; /* holds this server's lease while it runs; the sweeps' connection */
    int64_t instance;    /* the lease key */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct api_job *head, *tail; /* waiting, oldest first */
    unsigned queued;
    int submitted; /* jobs were queued: stopping has rows of its own to end */
    int stopping;
    atomic_int stop; /* tells the running import to stop */
    /* the running job, under lock */
    int64_t running_id;
    int64_t running_since_ms;
    const char *phase; /* the kind being read or written (a constant) */
    int writing;
    int64_t phase_since_ms; /* when this kind's reading or writing began */
    int64_t rows_read, rows_done, rows_total;
    /* for /metrics */
    atomic_uint_fast64_t outcomes[N_OUTCOMES];
    atomic_uint_fast64_t rows_imported;
};

void api_job_free(struct api_job *job)
{
    if (!job)
        return;
    if (job->fd >= 0)
        close(job->fd);
    free(job->mapping);
    free(job->sheet);
    free(job->actor);
    free(job);
}

/* ---- one run ---- */

static void on_progress(void *ctx, const char *phase, int64_t done, int64_t total)
{
    struct api_jobs *jobs = ctx;
    pthread_mutex_lock(&jobs->lock);
    if (phase != jobs->phase || (total > 0) != jobs->writing)
        jobs->phase_since_ms = ts_now_ms();
    jobs->phase = phase;
    jobs->writing = total > 0;
    if (total > 0) {
        jobs->rows_done = done;
        jobs->rows_total = total;
    } else {
        jobs->rows_read = done;
    }
    pthread_mutex_unlock(&jobs->lock);
}

static void set_running(struct api_jobs *jobs, int64_t id)
{
    pthread_mutex_lock(&jobs->lock);
    jobs->running_id = id;
    jobs->running_since_ms = ts_now_ms();
    jobs->phase_since_ms = jobs->running_since_ms;
    jobs->phase = NULL;
    jobs->writing = 0;
    jobs->rows_read = jobs->rows_done = jobs->rows_total = 0;
    pthread_mutex_unlock(&jobs->lock);
}

static void count_outcome(struct api_jobs *jobs, int rc, const struct import_report *rep)
{
    int outcome = rc == 0 ? DONE : rc == SD_EINVAL || rc == SD_ELIMIT ? REJECTED : FAILED;
    atomic_fetch_add(&jobs->outcomes[outcome], 1);
    if (rc == 0 && rep->applied) {
        int64_t rows = 0;
        for (int k = 0; k < KIND_COUNT; k++)
            rows += rep->kinds[k].read;
        atomic_fetch_add(&jobs->rows_imported, (uint_fast64_t)rows);
    }
}

/*
 * Runs the import of `job` on `db`; the report and status, err filled on
 * failure. The report's problems point at `name` (the file's name in
 * messages), which the caller keeps until it has recorded them.
 */
static int run_import(struct api_jobs *jobs, struct db *db, const struct api_job *job,
                      const char *name, struct import_report *rep, struct sd_error *err)
{
    struct mapping m = {0};
    char path[64];
    int rc = mapping_preset(&m, job->mapping, err);
    if (rc)
        return rc;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", job->fd);
    struct import_file file = {path, name, (enum import_format)job->format, job->kind};
    struct import_options opt;
    import_options_init(&opt, &m);
    opt.dry_run = job->dry_run;
    opt.csv.delimiter = job->delimiter;
    opt.csv.encoding = (enum ingest_encoding)job->encoding;
    opt.sheet = job->sheet;
    opt.progress = on_progress;
    opt.progress_ctx = jobs;
    opt.job_id = job->id;
    opt.job_kind = import_kinds[job->kind].name;
    opt.actor = job->actor;
    opt.user_id = job->user_id;
    opt.stop = &jobs->stop;
    rc = import_run(db, &file, 1, &opt, rep, err);
    mapping_release(&m);
    return rc;
}

/* Records a run that applied nothing, on a fresh connection when the run failed. */
static void record_outcome(struct api_jobs *jobs, struct db **db, int64_t id,
                           const struct import_report *rep, int rc, const struct sd_error *run_err)
{
    struct sd_error err = {0};
    struct arena arena;
    struct import_job row;
    arena_init(&arena, 0);
    int reopen = rc != 0 && rc != SD_EINVAL && rc != SD_ELIMIT;
    if (reopen) { /* a failed commit is final for its connection (NOTES.md) */
        db_close(*db);
        *db = NULL;
    }
    int wrc = *db ? 0 : store_open(db, jobs->db_url, DB_OPEN_EXISTING, &err);
    if (wrc == 0)
        wrc = store_import_job_get(*db, &arena, id, &row, &err);
    if (wrc == 0)
        wrc = import_job_record(*db, &row, rep, rc, run_err, &err);
    if (wrc)
        log_error("import job %lld: recording how it ended failed: %s", (long long)id,
                  err.message);
    arena_release(&arena);
}

static void run_job(struct api_jobs *jobs, struct api_job *job)
{
    static const char *const extensions[] = {"csv", "xlsx", "json"};
    struct db *db = NULL;
    struct sd_error err = {0};
    struct import_report rep = {0};
    char name[64];
    snprintf(name, sizeof(name), "%s.%s", import_kinds[job->kind].name, extensions[job->format]);
    arena_init(&rep.arena, 0);
    set_running(jobs, job->id);
    int rc = store_open(&db, jobs->db_url, DB_OPEN_EXISTING, &err);
    if (rc == 0)
        rc = store_import_job_start(db, job->id, ts_now_ms(), &err);
    if (rc == SD_ENOTFOUND) { /* no longer queued: nothing to run */
        log_warn("import job %lld: %s", (long long)job->id, err.message);
        db_close(db);
        import_report_release(&rep);
        set_running(jobs, 0);
        return;
    }
    if (rc == 0)
        rc = run_import(jobs, db, job, name, &rep, &err);
    log_info("import job %lld: %s (%s)", (long long)job->id,
             rc == 0 ? (job->dry_run ? "dry run done" : "applied") : sd_status_name(rc),
             rc ? err.message : "");
    if (rc != 0 || job->dry_run)
        record_outcome(jobs, &db, job->id, &rep, rc, &err);
    count_outcome(jobs, rc, &rep);
    db_close(db);
    import_report_release(&rep);
    set_running(jobs, 0);
}

/* ---- the thread and its queue ---- */

static void sweep_orphans(struct api_jobs *jobs);

/* The next job; NULL when stopping. Idle, it looks for dead servers' jobs now and then. */
static struct api_job *next_job(struct api_jobs *jobs)
{
    pthread_mutex_lock(&jobs->lock);
    while (!jobs->head && !jobs->stopping) {
        struct timespec until = api_deadline_in(JOBS_SWEEP_MS);
        if (pthread_cond_timedwait(&jobs->wake, &jobs->lock, &until) != ETIMEDOUT)
            continue;
        pthread_mutex_unlock(&jobs->lock);
        sweep_orphans(jobs);
        pthread_mutex_lock(&jobs->lock);
    }
    struct api_job *job = jobs->stopping ? NULL : jobs->head;
    if (job) {
        jobs->head = job->next;
        if (!jobs->head)
            jobs->tail = NULL;
        jobs->queued--;
    }
    pthread_mutex_unlock(&jobs->lock);
    return job;
}

static void *job_thread(void *arg)
{
    struct api_jobs *jobs = arg;
    struct api_job *job;
    while ((job = next_job(jobs)) != NULL) {
        run_job(jobs, job);
        api_job_free(job);
    }
    return NULL;
}

/* Marks failed what servers no longer alive left queued or running. */
static void sweep_orphans(struct api_jobs *jobs)
{
    struct sd_error err = {0};
    int64_t n = 0;
    if (store_import_jobs_orphans(jobs->lease_db, ts_now_ms(), interrupted_msg, jobs->instance,
                                  &n, &err) != 0)
        log_warn("looking for import jobs a stopped server left: %s", err.message);
    else if (n > 0)
        log_warn("%lld import job%s left unfinished by a stopped server marked failed",
                 (long long)n, n == 1 ? "" : "s");
}

/* This server's lease: a random key no other live server holds. */
static int take_lease(struct api_jobs *jobs, struct sd_error *err)
{
    int rc = store_open(&jobs->lease_db, jobs->db_url, DB_OPEN_EXISTING, err);
    for (int i = 0; rc == 0 && i < LEASE_TRIES; i++) {
        uint32_t key = 0;
        if (getrandom(&key, sizeof(key), 0) != (ssize_t)sizeof(key))
            return sd_error_set(err, SD_ERR, "no random bytes for the server's lease");
        jobs->instance = (int64_t)(key & 0x7fffffff) + 1;
        if (jobs->instance > INT32_MAX)
            jobs->instance = INT32_MAX;
        rc = db_lease_take(jobs->lease_db, jobs->instance, err);
        if (rc != SD_EBUSY)
            return rc;
        rc = 0;
    }
    return rc ? rc : sd_error_set(err, SD_EBUSY, "no free lease key for this server");
}

static void jobs_free(struct api_jobs *jobs)
{
    db_close(jobs->lease_db);
    pthread_cond_destroy(&jobs->wake);
    pthread_mutex_destroy(&jobs->lock);
    free(jobs->db_url);
    free(jobs);
}

int api_jobs_start(const char *db_url, struct api_jobs **out, struct sd_error *err)
{
    struct api_jobs *jobs = xcalloc(1, sizeof(*jobs));
    jobs->db_url = xstrdup(db_url);
    pthread_mutex_init(&jobs->lock, NULL);
    pthread_cond_init(&jobs->wake, NULL);
    int rc = take_lease(jobs, err);
    if (rc == 0)
        sweep_orphans(jobs);
    if (rc == 0 && pthread_create(&jobs->thread, NULL, job_thread, jobs) != 0)
        rc = sd_error_set(err, SD_ERR, "cannot start the import job thread");
    if (rc) {
        jobs_free(jobs);
        return rc;
    }
    *out = jobs;
    return 0;
}

int64_t api_jobs_instance(const struct api_jobs *jobs)
{
    return jobs->instance;
}

int api_jobs_submit(struct api_jobs *jobs, struct api_job *job, struct sd_error *err)
{
    int rc = 0;
    pthread_mutex_lock(&jobs->lock);
    if (jobs->stopping)
        rc = sd_error_set(err, SD_EBUSY, "the server is stopping");
    else if (jobs->queued >= JOBS_QUEUE_MAX)
        rc = sd_error_set(err, SD_EBUSY, "%d import jobs are waiting already", JOBS_QUEUE_MAX);
    if (rc == 0) {
        job->next = NULL;
        if (jobs->tail)
            jobs->tail->next = job;
        else
            jobs->head = job;
        jobs->tail = job;
        jobs->queued++;
        jobs->submitted = 1;
        pthread_cond_signal(&jobs->wake);
    }
    pthread_mutex_unlock(&jobs->lock);
    return rc;
}

void api_jobs_stop_begin(struct api_jobs *jobs)
{
    if (!jobs)
        return;
    pthread_mutex_lock(&jobs->lock);
    jobs->stopping = 1;
    atomic_store(&jobs->stop, 1);
    pthread_cond_broadcast(&jobs->wake);
    pthread_mutex_unlock(&jobs->lock);
}

void api_jobs_stop(struct api_jobs *jobs)
{
    if (!jobs)
        return;
    api_jobs_stop_begin(jobs);
    pthread_join(jobs->thread, NULL);
    struct api_job *job = jobs->head;
    while (job) {
        struct api_job *next = job->next;
        api_job_free(job);
        job = next;
    }
    struct sd_error err = {0};
    int64_t n = 0;
    if (jobs->submitted && store_import_jobs_interrupt(jobs->lease_db, ts_now_ms(),
                                                       interrupted_msg, jobs->instance, &n, &err))
        log_error("marking the waiting import jobs failed: %s", err.message);
    jobs_free(jobs);
}

int api_jobs_progress(struct api_jobs *jobs, int64_t id, struct api_job_progress *out)
{
    int running;
    pthread_mutex_lock(&jobs->lock);
    running = jobs->running_id == id && id != 0;
    if (running) {
        out->phase = jobs->phase;
        out->writing = jobs->writing;
        out->rows_read = jobs->rows_read;
        out->rows_done = jobs->rows_done;
        out->rows_total = jobs->rows_total;
        out->elapsed_ms = ts_now_ms() - jobs->running_since_ms;
        out->phase_ms = ts_now_ms() - jobs->phase_since_ms;
    }
    pthread_mutex_unlock(&jobs->lock);
    return running;
}

void api_jobs_metrics(struct api_jobs *jobs, struct strbuf *out)
{
    pthread_mutex_lock(&jobs->lock);
    unsigned queued = jobs->queued, running = jobs->running_id != 0;
    pthread_mutex_unlock(&jobs->lock);
    strbuf_addstr(out, "# HELP salesdesk_import_jobs_total Import jobs ended since the server "
                       "started, by status.\n# TYPE salesdesk_import_jobs_total counter\n");
    for (int i = 0; i < N_OUTCOMES; i++)
        strbuf_addf(out, "salesdesk_import_jobs_total{status=\"%s\"} %llu\n", outcome_names[i],
                    (unsigned long long)atomic_load(&jobs->outcomes[i]));
    strbuf_addf(out,
                "# HELP salesdesk_import_jobs Import jobs waiting or running now.\n"
                "# TYPE salesdesk_import_jobs gauge\n"
                "salesdesk_import_jobs{status=\"queued\"} %u\n"
                "salesdesk_import_jobs{status=\"running\"} %u\n",
                queued, running);
    strbuf_addf(out,
                "# HELP salesdesk_import_rows_total Rows read by the imports that applied "
                "since the server started.\n# TYPE salesdesk_import_rows_total counter\n"
                "salesdesk_import_rows_total %llu\n",
                (unsigned long long)atomic_load(&jobs->rows_imported));
}
