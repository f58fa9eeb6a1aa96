/* SPDX-License-Identifier: MIT */
/*
 * load-int: the state of one import run, shared by load.c (reading, mapping,
 * staging, checking) and apply.c (writing the staged rows to the store).
 *
 * Staged rows: one vec per kind; each row is a struct staged_row followed by
 * one union cell per field of the kind. Text cells point at interned strings
 * (run->strings), so repeated values (order ids on lines, SKUs) cost one copy.
 */
#ifndef SD_INGEST_LOAD_INT_H
#define SD_INGEST_LOAD_INT_H

#include "base/hashmap.h"
#include "base/strbuf.h"
#include "base/vec.h"
#include "ingest/import.h"
#include "ingest/record.h"
#include "ingest/validate.h"
#include "store/store.h"

union cell {
    int64_t i;
    const char *s;
};

struct staged_row {
    uint32_t file;      /* index into run->file_names */
    uint32_t null_mask; /* bit i: field i is empty */
    long row;
    union cell cells[];
};

/*
 * The staged order lines grouped by order (lines.c), built once staging is
 * done. rows holds every line's row index: first the lines of staged order 0,
 * then of order 1, ..., each group by line number; then the lines of orders
 * only in the store, by order key and line number. The lines of staged order
 * i are rows[start[i]] .. rows[start[i + 1] - 1]; start has one entry per
 * staged order plus one, where the store-only lines begin.
 */
struct line_groups {
    size_t *rows;
    size_t *start;
    size_t n;
};

struct run {
    struct db *db;
    const struct import_options *opt;
    struct import_report *report;
    struct sd_error *err;
    const char *source;
    int64_t started_ms;             /* when import_run began */
    int fy_start_month;
    int failed;                     /* issues were found */
    struct vec staged[KIND_COUNT];  /* rows, see above */
    struct hashmap keys[KIND_COUNT]; /* staged key text → row index + 1 */
    struct hashmap ids[KIND_COUNT]; /* key text → internal id (applied or found in the store) */
    struct hashmap missing[KIND_COUNT]; /* key text known not to be in the store */
    struct hashmap rejected[KIND_COUNT]; /* keys of rejected rows: no follow-on reference errors */
    struct hashmap strings;         /* interned text */
    struct hashmap teams;           /* team name → id */
    int64_t bulk_first[KIND_COUNT]; /* written in bulk: the id of staged row 0; else 0 */
    struct line_groups lines;       /* see above; empty until line_groups_build */
    const char **file_names;
    size_t n_file_names;
    struct strbuf scratch;
};

static inline struct staged_row *run_row(const struct run *r, enum import_kind k, size_t i)
{
    return (struct staged_row *)vec_at(&r->staged[k], i);
}

static inline int cell_is_null(const struct staged_row *row, int field)
{
    return (row->null_mask >> field) & 1u;
}

/* SD_ERR (with the message) once the caller asked the run to stop (import_options.stop). */
static inline int run_stopped(struct run *r)
{
    if (!r->opt->stop || !atomic_load_explicit(r->opt->stop, memory_order_relaxed))
        return 0;
    return sd_error_set(r->err, SD_ERR, "the import was stopped before it finished: nothing "
                                        "was applied");
}

/* The store entity of a kind with external ids, or -1. */
int run_entity(enum import_kind k);

/*
 * The internal id of the row of kind `k` with key text `key`: applied in this
 * run (for a kind written in bulk: staged, its id is bulk_first + its index),
 * or found in the store (by this run's source). SD_ENOTFOUND otherwise.
 */
int run_resolve(struct run *r, enum import_kind k, const char *key, int64_t *id);

/* Adds an issue not tied to a column (load.c): the run is rejected. */
void run_issue(struct run *r, const char *file, long row, const char *message);

/*
 * Groups the staged lines by order (r->lines) and reports each line whose key
 * (order, line) came earlier in the files, dropping it from the staged lines
 * (the run is then rejected and r->lines left empty).
 */
void line_groups_build(struct run *r);
void line_groups_release(struct line_groups *g);

/* Writes every staged row, kind by kind, in dependency order (apply.c). */
int apply_all(struct run *r);
/* Completes (or adds) the run's import_jobs row and its counts per kind (apply.c). */
int apply_record_job(struct run *r);

#endif
