/* SPDX-License-Identifier: MIT */
/*
 * imports: uploads as import jobs. POST /api/v1/imports takes the raw file
 * as its body (spooled to a temporary file by http/ under --max-upload, never
 * held in memory), checks the kind, the preset and the reading options, makes
 * a queued import_jobs row and hands the job to the job thread (jobs.c): 202
 * with the job's address. The import itself is `salesdesk import`'s: all or
 * nothing, with file, row and column for every problem. GET answers a job
 * (with its progress while it runs), its problems, and the recent jobs.
 *
 * A mapping is a built-in preset, named by `map` (default native): mapping
 * files are the command line's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/api-int.h"
#include "base/date.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "ingest/import.h"
#include "store/store.h"
#include "base/banned.h"

#define IMPORTS_PATH  "/api/v1/imports"
#define PRESET_MAX    64
#define SHEET_MAX     255

static const struct {
    const char *media_type;
    int format; /* enum import_format, -1: say it with format= */
} media_types[] = {
    {"text/csv", IMPORT_CSV},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", IMPORT_XLSX},
    {"application/json", IMPORT_JSON},
    {"application/x-ndjson", IMPORT_JSON},
    {"application/octet-stream", -1},
};

static const char *const format_names[] = {"csv", "xlsx", "json"};

int api_is_upload(const char *method, const char *path)
{
    return strcmp(method, "POST") == 0 && strcmp(path, IMPORTS_PATH) == 0;
}

/* ---- the upload's parameters ---- */

struct upload {
    int kind;
    int format;
    const char *map;
    const char *sheet;
    char delimiter;
    int encoding;
    int dry_run;
};

static int find_format(const char *name)
{
    for (int f = 0; f < (int)(sizeof(format_names) / sizeof(format_names[0])); f++) {
        if (strcmp(name, format_names[f]) == 0)
            return f;
    }
    return -2;
}

/* The format the Content-Type says: a format, -1 (octet-stream), -2 (none), -3 (unknown). */
static int media_format(const char *ct)
{
    if (!ct)
        return -2;
    size_t len = strcspn(ct, "; ");
    for (size_t i = 0; i < sizeof(media_types) / sizeof(media_types[0]); i++) {
        if (strlen(media_types[i].media_type) == len &&
            strncasecmp(ct, media_types[i].media_type, len) == 0)
            return media_types[i].format;
    }
    return -3;
}

/* The format from format= and the Content-Type; 1 when answered 415. */
static int upload_format(struct api_call *c, const char *format, struct upload *u)
{
    int asked = format ? find_format(format) : -2;
    int said = media_format(http_header(c->req, "Content-Type"));
    if (format && asked < 0)
        api_detail(c, "format", "must be csv, xlsx or json");
    if (said == -3)
        return !api_fail(c, 415, "unsupported_media_type",
                         "the body must be the file: Content-Type text/csv, application/vnd."
                         "openxmlformats-officedocument.spreadsheetml.sheet, application/json, "
                         "application/x-ndjson, or application/octet-stream with format=");
    if (said >= 0 && asked >= 0 && said != asked)
        api_detail(c, "format", "'%s' does not match the Content-Type", format);
    if (said < 0 && !format)
        api_detail(c, "format", "is required with this Content-Type (csv, xlsx or json)");
    u->format = said >= 0 ? said : asked;
    return 0;
}

static void upload_kind(struct api_call *c, const char *kind, struct upload *u)
{
    u->kind = kind ? import_kind_find(kind) : -1;
    if (!kind)
        api_detail(c, "kind", "is required");
    else if (u->kind < 0)
        api_detail(c, "kind", "'%s' is not one of accounts reps products stock orders lines "
                   "invoices opportunities stages requests quotas fx", kind);
}

/* The preset must exist and map the kind. */
static void upload_mapping(struct api_call *c, struct upload *u)
{
    struct mapping m = {0};
    struct sd_error err = {0};
    if (mapping_preset(&m, u->map, &err) != 0)
        api_detail(c, "map", "%s", err.message);
    else if (u->kind >= 0 && !mapping_entry(&m, (enum import_kind)u->kind, NULL))
        api_detail(c, "map", "preset '%s' has no entry for %s", u->map,
                   import_kinds[u->kind].name);
    mapping_release(&m);
}

static void upload_reading(struct api_call *c, const char *delimiter, const char *encoding,
                           struct upload *u)
{
    enum ingest_encoding enc = INGEST_ENC_AUTO;
    if (delimiter && ingest_delimiter_parse(delimiter, &u->delimiter) != 0)
        api_detail(c, "delimiter", "must be one of , ; | tab");
    if (encoding && ingest_encoding_parse(encoding, &enc) != 0)
        api_detail(c, "encoding", "must be auto, utf-8, windows-1252 or iso-8859-1");
    u->encoding = (int)enc;
}

/* Reads and checks every parameter; 0, SD_EINVAL with details, or 1 when answered. */
static int upload_read(struct api_call *c, struct upload *u)
{
    const char *kind, *format, *dry_run, *delimiter, *encoding;
    int rc = api_query_text(c, "kind", 32, &kind);
    rc |= api_query_text(c, "map", PRESET_MAX, &u->map);
    rc |= api_query_text(c, "format", 8, &format);
    rc |= api_query_text(c, "dry_run", 5, &dry_run);
    rc |= api_query_text(c, "sheet", SHEET_MAX, &u->sheet);
    rc |= api_query_text(c, "delimiter", 3, &delimiter);
    rc |= api_query_text(c, "encoding", 16, &encoding);
    if (!u->map)
        u->map = "native";
    if (upload_format(c, format, u))
        return 1;
    upload_kind(c, kind, u);
    upload_mapping(c, u);
    upload_reading(c, delimiter, encoding, u);
    u->dry_run = dry_run && strcmp(dry_run, "true") == 0;
    if (dry_run && !u->dry_run && strcmp(dry_run, "false") != 0)
        api_detail(c, "dry_run", "must be true or false");
    if (c->req->spool_fd < 0 || c->req->spool_len == 0)
        api_detail(c, "body", "is empty: send the file as the body");
    return rc || c->n_details ? SD_EINVAL : 0;
}

/* ---- making the job ---- */

struct submit {
    const struct upload *u;
    struct import_job row;
};

static int add_job(struct api_call *c, void *ctx, struct sd_error *err)
{
    struct submit *s = ctx;
    int rc = store_import_job_add(c->db, &s->row, &s->row.id, err);
    if (rc)
        return rc;
    struct strbuf after = STRBUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &after, 0);
    json_object_begin(&w);
    json_kv_string(&w, "kind", s->row.kind);
    json_kv_string(&w, "mapping", s->row.mapping);
    json_kv_string(&w, "format", s->row.format);
    json_kv_bool(&w, "dry_run", s->row.dry_run);
    json_kv_int(&w, "bytes", s->row.upload_bytes);
    json_object_end(&w);
    struct audit_entry e = {.at = s->row.created_at,
                            .user_id = c->who.user_id,
                            .actor = s->row.actor,
                            .action = "import.submit",
                            .entity = "import_job",
                            .entity_id = s->row.id,
                            .after_json = after.buf};
    rc = store_audit_append(c->db, &e, err);
    strbuf_release(&after);
    return rc;
}

static struct api_job *job_of(struct api_call *c, const struct submit *s, int fd)
{
    struct api_job *job = xcalloc(1, sizeof(*job));
    job->id = s->row.id;
    job->fd = fd;
    job->kind = s->u->kind;
    job->format = s->u->format;
    job->mapping = xstrdup(s->u->map);
    job->sheet = s->u->sheet ? xstrdup(s->u->sheet) : NULL;
    job->delimiter = s->u->delimiter;
    job->encoding = s->u->encoding;
    job->dry_run = s->u->dry_run;
    job->actor = xstrdup(s->row.actor);
    job->user_id = c->who.user_id;
    return job;
}

/* A job that could not be queued ends at once, failed. */
static void refuse_job(struct api_call *c, struct submit *s, const char *why)
{
    struct sd_error err = {0};
    s->row.status = "failed";
    s->row.finished_at = ts_now_ms();
    s->row.error = why;
    if (store_import_job_update(c->db, &s->row, &err) != 0)
        log_error("request %s: import job %lld could not be marked failed: %s", c->req->id,
                  (long long)s->row.id, err.message);
}

static void links_json(struct json_writer *w, int64_t id)
{
    char path[64];
    json_key(w, "links");
    json_object_begin(w);
    snprintf(path, sizeof(path), IMPORTS_PATH "/%lld", (long long)id);
    json_kv_string(w, "self", path);
    snprintf(path, sizeof(path), IMPORTS_PATH "/%lld/errors", (long long)id);
    json_kv_string(w, "errors", path);
    json_object_end(w);
}

int api_imports_create(struct api_call *c, struct sd_error *err)
{
    struct upload u = {.kind = -1};
    char name[64];
    int rc = upload_read(c, &u);
    if (rc == 1)
        return 0;
    if (rc)
        return sd_error_set(err, SD_EINVAL, "the upload's parameters are not right");
    snprintf(name, sizeof(name), "%s.%s", import_kinds[u.kind].name, format_names[u.format]);
    struct submit s = {.u = &u};
    s.row = (struct import_job){.kind = import_kinds[u.kind].name, .files = name,
                                .status = "queued", .user_id = c->who.user_id,
                                .actor = api_actor_name(c), .mapping = u.map,
                                .format = format_names[u.format], .dry_run = u.dry_run,
                                .upload_bytes = c->req->spool_len, .created_at = ts_now_ms(),
                                .started_at = INT_NONE, .finished_at = INT_NONE,
                                .instance = api_jobs_instance(c->app->jobs)};
    int fd = fcntl(c->req->spool_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return sd_error_set(err, SD_EIO, "cannot keep the upload");
    rc = api_write(c, add_job, &s, err);
    if (rc) {
        close(fd);
        return rc;
    }
    struct api_job *job = job_of(c, &s, fd);
    rc = api_jobs_submit(c->app->jobs, job, err);
    if (rc) {
        api_job_free(job);
        refuse_job(c, &s, err->message);
        return rc;
    }
    char location[64];
    snprintf(location, sizeof(location), IMPORTS_PATH "/%lld", (long long)s.row.id);
    http_response_header(c->req, c->resp, "Location", location);
    struct json_writer w;
    api_json_begin(c, 202, &w);
    json_object_begin(&w);
    json_kv_int(&w, "job", s.row.id);
    json_kv_string(&w, "status", "queued");
    links_json(&w, s.row.id);
    json_object_end(&w);
    return 0;
}

/* ---- reading jobs ---- */

static const char *status_name(const char *stored)
{
    return strcmp(stored, "done") == 0 ? "succeeded" : stored;
}

static void counts_json(struct json_writer *w, int64_t read, int64_t inserted, int64_t updated,
                        int64_t unchanged, int64_t rejected)
{
    json_object_begin(w);
    json_kv_int(w, "read", read);
    json_kv_int(w, "inserted", inserted);
    json_kv_int(w, "updated", updated);
    json_kv_int(w, "unchanged", unchanged);
    json_kv_int(w, "rejected", rejected);
    json_object_end(w);
}

static void progress_json(struct json_writer *w, const struct api_job_progress *p)
{
    int64_t rows = p->writing ? p->rows_done : p->rows_read;
    int64_t per_s = p->phase_ms > 0 ? rows * 1000 / p->phase_ms : 0;
    json_key(w, "progress");
    json_object_begin(w);
    json_kv_string(w, "phase", p->writing ? "writing" : "reading");
    json_kv_string(w, "kind", p->phase);
    json_kv_int(w, "rows_read", p->rows_read);
    json_kv_int(w, "rows_written", p->writing ? p->rows_done : 0);
    json_kv_int(w, "rows_to_write", p->writing ? p->rows_total : INT_NONE);
    json_kv_int(w, "rows_per_second", per_s);
    /* known once writing: the kind's rows left at its rate so far */
    json_kv_int(w, "eta_seconds", p->writing && per_s > 0 && p->rows_total >= p->rows_done
                                      ? (p->rows_total - p->rows_done + per_s - 1) / per_s
                                      : INT_NONE);
    json_kv_int(w, "elapsed_ms", p->elapsed_ms);
    json_object_end(w);
}

/* A job; with its counts per kind when `with_kinds` (one job, not a list). */
static void job_json(struct api_call *c, struct json_writer *w, const struct import_job *j,
                     int with_kinds, const struct import_job_kind *kinds, size_t n_kinds)
{
    struct api_job_progress p;
    json_object_begin(w);
    json_kv_int(w, "job", j->id);
    json_kv_string(w, "status", status_name(j->status));
    json_kv_string(w, "kind", j->kind);
    json_kv_string(w, "mapping", j->mapping);
    json_kv_string(w, "format", j->format);
    json_kv_string(w, "file", j->files);
    json_kv_int(w, "bytes", j->upload_bytes);
    json_kv_bool(w, "dry_run", j->dry_run);
    json_kv_string(w, "who", j->actor);
    json_kv_ts(w, "created_at", j->created_at);
    json_kv_ts(w, "started_at", j->started_at);
    json_kv_ts(w, "finished_at", j->finished_at);
    json_kv_int(w, "duration_ms", j->started_at != INT_NONE && j->finished_at != INT_NONE
                                      ? j->finished_at - j->started_at
                                      : INT_NONE);
    json_key(w, "counts");
    counts_json(w, j->rows_read, j->inserted, j->updated, j->unchanged, j->rejected);
    if (with_kinds) {
        json_key(w, "kinds");
        json_object_begin(w);
        for (size_t i = 0; i < n_kinds; i++) {
            json_key(w, kinds[i].kind);
            counts_json(w, kinds[i].rows_read, kinds[i].inserted, kinds[i].updated,
                        kinds[i].unchanged, kinds[i].rejected);
        }
        json_object_end(w);
    }
    json_kv_int(w, "changes", j->changes);
    json_kv_int(w, "error_count", j->error_count);
    json_kv_string(w, "error", j->error);
    if (strcmp(j->status, "running") == 0 && api_jobs_progress(c->app->jobs, j->id, &p))
        progress_json(w, &p);
    links_json(w, j->id);
    json_object_end(w);
}

int api_imports_get(struct api_call *c, struct sd_error *err)
{
    int64_t id = 0;
    struct import_job job;
    struct import_job_kind *kinds;
    size_t n = 0;
    int rc = api_id_number(c, "import job", &id, err);
    if (rc == 0)
        rc = store_import_job_get(c->db, c->req->arena, id, &job, err);
    if (rc == 0)
        rc = store_import_job_kinds(c->db, c->req->arena, id, &kinds, &n, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    job_json(c, &w, &job, 1, kinds, n);
    return 0;
}

/* Limit and cursor; the cursor's key is the decimal id (or seq) of the last row of the page. */
static int page_read(struct api_call *c, struct api_page *page, int64_t *after,
                     struct sd_error *err)
{
    char *end = NULL;
    *after = 0;
    if (api_page_parse(c, page))
        return sd_error_set(err, SD_EINVAL, "bad limit or cursor");
    if (!page->after)
        return 0;
    *after = strtoll(page->after, &end, 10);
    if (*end || *after <= 0) {
        api_detail(c, "cursor", "is not a cursor this server gave out");
        return sd_error_set(err, SD_EINVAL, "bad cursor");
    }
    return 0;
}

int api_imports_errors(struct api_call *c, struct sd_error *err)
{
    int64_t id = 0, after = 0;
    struct api_page page;
    struct import_job job;
    struct import_job_error *items;
    size_t n = 0;
    int rc = api_id_number(c, "import job", &id, err);
    if (rc == 0)
        rc = page_read(c, &page, &after, err);
    if (rc == 0)
        rc = store_import_job_get(c->db, c->req->arena, id, &job, err);
    if (rc == 0)
        rc = store_import_job_errors(c->db, c->req->arena, id, after, page.limit + 1, &items,
                                     &n, err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_kv_int(&w, "job", id);
    json_kv_string(&w, "status", status_name(job.status));
    json_kv_int(&w, "error_count", job.error_count);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < n && i < (size_t)page.limit; i++) {
        json_object_begin(&w);
        json_kv_string(&w, "file", items[i].file);
        json_kv_int(&w, "row", items[i].row);
        json_kv_int(&w, "column", items[i].column);
        json_kv_string(&w, "field", items[i].field);
        json_kv_string(&w, "reason", items[i].message);
        json_object_end(&w);
    }
    json_array_end(&w);
    char key[24];
    if (n > (size_t)page.limit)
        snprintf(key, sizeof(key), "%lld", (long long)items[page.limit - 1].seq);
    api_page_next(c, &w, n > (size_t)page.limit ? key : NULL);
    json_object_end(&w);
    return 0;
}

int api_imports_list(struct api_call *c, struct sd_error *err)
{
    struct api_page page;
    struct import_job *items;
    size_t n = 0;
    int64_t before = 0;
    int rc = page_read(c, &page, &before, err);
    if (rc == 0)
        rc = store_import_job_list(c->db, c->req->arena, before, page.limit + 1, &items, &n,
                                   err);
    if (rc)
        return rc;
    struct json_writer w;
    api_json_begin(c, 200, &w);
    json_object_begin(&w);
    json_key(&w, "items");
    json_array_begin(&w);
    for (size_t i = 0; i < n && i < (size_t)page.limit; i++)
        job_json(c, &w, &items[i], 0, NULL, 0);
    json_array_end(&w);
    char key[24];
    if (n > (size_t)page.limit)
        snprintf(key, sizeof(key), "%lld", (long long)items[page.limit - 1].id);
    api_page_next(c, &w, n > (size_t)page.limit ? key : NULL);
    json_object_end(&w);
    return 0;
}
