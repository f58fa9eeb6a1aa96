/* SPDX-License-Identifier: MIT */
/*
 * import: one import run, all or nothing. Files are read (csv, xlsx, jsonrec),
 * mapped (mapping.h), every value validated (validate.h), keys checked for
 * duplicates and references checked against this import and the store; only
 * when nothing is wrong is the store written, in one transaction with its
 * change_log rows and an import_jobs row. A dry run does everything and then
 * rolls back, so its counts are exactly what a real run would do.
 *
 * Re-importing the same data changes nothing: upserts compare before they
 * write, and an unchanged row appends no change_log row.
 */
#ifndef SD_INGEST_IMPORT_H
#define SD_INGEST_IMPORT_H

#include <stdatomic.h>
#include <stdint.h>

#include "base/error.h"
#include "db/db.h"
#include "ingest/csv.h"
#include "ingest/kinds.h"
#include "ingest/mapping.h"

struct import_job;

enum import_format { IMPORT_CSV, IMPORT_XLSX, IMPORT_JSON };

struct import_file {
    const char *path;
    const char *name;         /* shown in messages: the file's base name */
    enum import_format format;
    int kind;                 /* enum import_kind, or -1: from the mapping entry whose file matches */
};

struct import_kind_counts {
    int64_t read;
    int64_t inserted;
    int64_t updated;
    int64_t unchanged;
    int64_t rejected;
};

/* One problem found in the input. */
struct import_issue {
    const char *file;  /* the import_file's name (the caller's, not the report's) */
    long row;          /* 0: not tied to a row */
    int column;        /* 1-based source column, 0: unknown */
    const char *field; /* "orders.order_date", or NULL */
    const char *message;
};

typedef void import_progress_fn(void *ctx, const char *phase, int64_t done, int64_t total);

struct import_options {
    const struct mapping *mapping;
    const char *source;       /* overrides the mapping's source; NULL: the mapping's */
    int dry_run;
    /* Write every row through the upsert path, also where the bulk path would do (a kind
     * the store holds no rows of from this source): slower, the same result. */
    int row_by_row;
    struct csv_options csv;
    const char *sheet;        /* XLSX sheet, overrides the mapping entry's */
    size_t max_issues;        /* issues kept in the report (the rest are counted) */
    import_progress_fn *progress;
    void *progress_ctx;
    /*
     * The import_jobs row: 0 makes one when the run applies; else the id of a
     * row the caller made (a queued upload), which the run's transaction
     * completes (status done, counts) instead.
     */
    int64_t job_id;
    const char *job_kind; /* the row's kind; NULL: "import" */
    const char *actor;    /* who runs it: "cli:<OS user>", "api:<login>"; NULL: nobody named */
    int64_t user_id;      /* 0: no user */
    /*
     * Set (to non-zero, by another thread) to stop the run as soon as it can:
     * it then fails with SD_ERR, *stopped, and writes nothing. NULL: never.
     */
    const atomic_int *stop;
};

struct import_report {
    struct import_kind_counts kinds[KIND_COUNT];
    struct import_issue *issues;
    size_t n_issues;
    int64_t more_issues;   /* found beyond max_issues */
    int64_t job_id;        /* import_jobs row, 0 for a dry run or a rejected import */
    int64_t changes;       /* change_log rows the run appended (0 for a dry run) */
    int64_t duration_ms;
    int applied;
    const char **skipped;  /* bundle files no mapping entry takes (names) */
    size_t n_skipped;
    struct arena arena;    /* owns the issues' text and the skipped list */
};

void import_options_init(struct import_options *opt, const struct mapping *mapping);

/*
 * Runs an import of `files` into `db`. Returns 0 when applied (or, for a dry
 * run, when it would apply); SD_EINVAL when the input was rejected: nothing was
 * written and `report` lists the issues; other statuses when reading or the
 * store failed (nothing written either). `report` is filled in every case and
 * released with import_report_release.
 */
int import_run(struct db *db, const struct import_file *files, size_t n_files,
               const struct import_options *opt, struct import_report *report,
               struct sd_error *err);
void import_report_release(struct import_report *report);

/*
 * Records, in its own transaction, how a run that applied nothing ended in
 * the job row `job` (made by the caller): its status ("rejected" for rc
 * SD_EINVAL or SD_ELIMIT, "failed" for another failure, "done" for a dry
 * run), the counts per kind and every problem kept, with the count of all;
 * a rejection without listed problems keeps err's message as its one problem.
 * `job` is the row as made (its text fields are kept); the times and counts
 * are set here.
 */
int import_job_record(struct db *db, const struct import_job *job, const struct import_report *rep,
                      int rc, const struct sd_error *run_err, struct sd_error *err);

/* "orders.csv" → IMPORT_CSV etc. by extension; SD_EINVAL for an unknown one. */
int import_format_of(const char *path, enum import_format *out, struct sd_error *err);

#endif
