/* SPDX-License-Identifier: MIT */
/*
 * copy: every table of one store into another (salesdesk copy), the way from
 * SQLite to PostgreSQL and back. Generic by table: the columns are what the
 * source's rows say (name and kind), the rows go over as they are, ids
 * included, so every reference holds. The tables are listed here in foreign
 * key order; a table the database holds and the list lacks (a new migration)
 * stops the copy instead of being left behind.
 *
 * The source is read on one snapshot; the target is written in one
 * transaction, checked (per table the row count and the exact sum of every
 * integer column, by SQL on both sides) before it commits, and rolled back
 * when anything differs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xalloc.h"
#include "store/store.h"
#include "base/banned.h"

/*
 * A table of this many rows or more is copied with its secondary indexes (on
 * PostgreSQL also its foreign keys) suspended, built once at commit.
 */
#define COPY_SUSPEND_ROWS 10000
/* Sums are split (v / 10^6 and v % 10^6) so that SQL's 64-bit sum() cannot overflow. */
#define COPY_SPLIT 1000000

/*
 * The tables in foreign key order: a table comes after those it references.
 * `self_ref` is a column referencing its own table (a rep's manager), filled
 * in once every row of the table is there.
 */
static const struct copy_table {
    const char *name;
    const char *self_ref;
} copy_tables[] = {
    {"settings", NULL},
    {"change_log", NULL},
    {"teams", NULL},
    {"reps", "manager_id"},
    {"accounts", NULL},
    {"contacts", NULL},
    {"products", NULL},
    {"stock", NULL},
    {"orders", NULL},
    {"order_lines", NULL},
    {"invoices", NULL},
    {"opportunities", NULL},
    {"opportunity_stages", NULL},
    {"users", NULL},
    {"sessions", NULL},
    {"api_tokens", NULL},
    {"requests", NULL},
    {"notes", NULL},
    {"quotas", NULL},
    {"fx_rates", NULL},
    {"audit_log", NULL},
    {"kpi_definitions", NULL},
    {"kpi_targets", NULL},
    {"kpi_alerts", NULL},
    {"guides", NULL},
    {"launches", NULL},
    {"launch_acks", NULL},
    {"account_plans", NULL},
    {"plan_actions", NULL},
    {"import_jobs", NULL},
    {"import_job_kinds", NULL},
    {"import_job_errors", NULL},
    {"demo_planted", NULL},
};
#define COPY_TABLES (sizeof(copy_tables) / sizeof(copy_tables[0]))

/* The columns of one table, as the source's first row tells them. */
struct copy_columns {
    int count;
    char **names;
    enum db_kind *kinds;
    int self_ref; /* the index of the self-referencing column, or -1 */
    int id;       /* the index of "id", or -1 */
};

static void columns_release(struct copy_columns *c)
{
    for (int i = 0; i < c->count; i++)
        free(c->names[i]);
    free(c->names);
    free(c->kinds);
    memset(c, 0, sizeof(*c));
}

static int columns_read(struct db_stmt *st, const struct copy_table *t, struct copy_columns *c,
                        struct sd_error *err)
{
    c->count = db_column_count(st);
    c->names = xcalloc((size_t)c->count, sizeof(*c->names));
    c->kinds = xcalloc((size_t)c->count, sizeof(*c->kinds));
    c->self_ref = -1;
    c->id = -1;
    for (int i = 0; i < c->count; i++) {
        c->names[i] = xstrdup(db_column_name(st, i));
        c->kinds[i] = db_column_kind(st, i);
        /* The names go into SQL text: only the schema's plain ones. */
        if (strspn(c->names[i], "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(c->names[i]))
            return sd_error_set(err, SD_EINVAL, "column '%s.%s' has a name copy does not take",
                                t->name, c->names[i]);
        if (c->kinds[i] == DB_KIND_OTHER)
            return sd_error_set(err, SD_EINVAL, "column '%s.%s' is neither integer nor text",
                                t->name, c->names[i]);
        if (t->self_ref && strcmp(c->names[i], t->self_ref) == 0)
            c->self_ref = i;
        if (strcmp(c->names[i], "id") == 0)
            c->id = i;
    }
    if (t->self_ref && (c->self_ref < 0 || c->id < 0))
        return sd_error_set(err, SD_EINVAL, "table '%s' has no columns id and '%s'", t->name,
                            t->self_ref);
    return 0;
}

/* Runs SQL built at run time that answers one row; *st is left on that row. */
static int query_row(struct db *db, const char *sql, struct db_stmt **st, struct sd_error *err)
{
    int rc = db_prepare_own(db, sql, st, err);
    if (rc == 0)
        rc = db_step(*st, err);
    if (rc == DB_DONE)
        rc = sd_error_set(err, SD_EDB, "no row from '%s'", sql);
    return rc == DB_ROW ? 0 : rc;
}

static int table_count(struct db *db, const char *table, int64_t *count, struct sd_error *err)
{
    char sql[128];
    struct db_stmt *st = NULL;
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    int rc = query_row(db, sql, &st, err);
    if (rc == 0)
        *count = db_column_int64(st, 0);
    db_finalize(st);
    return rc;
}

/* The database holds exactly the tables this file lists. */
static int check_tables(struct db *db, const char *which, struct sd_error *err)
{
    struct strbuf names = STRBUF_INIT;
    int rc = db_table_names(db, &names, err);
    size_t found = 0;
    for (const char *at = names.buf; rc == 0 && at && *at;) {
        const char *end = strchr(at, '\n');
        size_t len = (size_t)(end - at), i = 0;
        while (i < COPY_TABLES &&
               (strlen(copy_tables[i].name) != len || strncmp(copy_tables[i].name, at, len)))
            i++;
        if (i == COPY_TABLES)
            rc = sd_error_set(err, SD_EINVAL, "the %s holds table '%.*s', which copy does not know",
                              which, (int)len, at);
        found++;
        at = end + 1;
    }
    if (rc == 0 && found != COPY_TABLES)
        rc = sd_error_set(err, SD_EINVAL, "the %s lacks tables copy expects (%zu of %zu)", which,
                          found, COPY_TABLES);
    strbuf_release(&names);
    return rc;
}

int store_clear(struct db *db, int force, int64_t *removed, struct sd_error *err)
{
    *removed = 0;
    for (size_t i = 0; i < COPY_TABLES; i++) {
        int64_t rows = 0;
        int rc = table_count(db, copy_tables[i].name, &rows, err);
        if (rc)
            return rc;
        if (rows && !force)
            return sd_error_set(err, SD_ECONFLICT,
                                "the target is not empty (%" PRId64 " rows in '%s'): use --force "
                                "to replace what it holds",
                                rows, copy_tables[i].name);
        *removed += rows;
    }
    for (size_t i = COPY_TABLES; *removed && i-- > 0;) {
        char sql[128];
        snprintf(sql, sizeof(sql), "DELETE FROM %s", copy_tables[i].name);
        int rc = db_exec(db, sql, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* "a, b, c": the columns of the source's rows. */
static char *column_list(const struct copy_columns *c)
{
    struct strbuf list = STRBUF_INIT;
    for (int i = 0; i < c->count; i++)
        strbuf_addf(&list, "%s%s", i ? ", " : "", c->names[i]);
    return strbuf_detach(&list, NULL);
}

/* Loads the source's current row (a self-reference held back in `later`, loaded as NULL). */
static int load_row(struct db_load *load, struct db_stmt *src, const struct copy_columns *c,
                    struct strbuf *later, struct sd_error *err)
{
    for (int i = 0; i < c->count; i++) {
        if (db_column_is_null(src, i)) {
            db_load_text(load, NULL);
        } else if (i == c->self_ref) {
            db_load_text(load, NULL);
            strbuf_addf(later, "%" PRId64 " %" PRId64 "\n", db_column_int64(src, c->id),
                        db_column_int64(src, i));
        } else if (c->kinds[i] == DB_KIND_INTEGER) {
            db_load_int64(load, db_column_int64(src, i));
        } else {
            db_load_text(load, db_column_text(src, i));
        }
    }
    return db_load_row(load, err);
}

/* The self-references held back by load_row ("ID VALUE\n" lines), now that every row is in. */
static int set_self_refs(struct db *to, const struct copy_table *t, const char *later,
                         struct sd_error *err)
{
    char sql[160];
    struct db_stmt *st = NULL;
    snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ? WHERE id = ?", t->name, t->self_ref);
    int rc = *later ? db_prepare_own(to, sql, &st, err) : 0;
    for (const char *at = later; rc == 0 && *at; at = strchr(at, '\n') + 1) {
        char *end = NULL;
        int64_t id = strtoll(at, &end, 10);
        db_bind_int64(st, 1, strtoll(end, NULL, 10));
        db_bind_int64(st, 2, id);
        rc = db_step(st, err);
        rc = rc == DB_DONE ? 0 : rc;
    }
    db_finalize(st);
    return rc;
}

/* Copies the rows of `t` through a bulk load (COPY into PostgreSQL). */
static int copy_rows(struct db *from, struct db *to, const struct copy_table *t, int64_t total,
                     struct copy_columns *c, struct sd_error *err)
{
    char sql[128];
    struct db_stmt *src = NULL;
    struct db_load *load = NULL;
    struct strbuf later = STRBUF_INIT;
    int64_t done = 0;
    snprintf(sql, sizeof(sql), "SELECT * FROM %s", t->name);
    int rc = db_prepare_own(from, sql, &src, err);
    while (rc == 0 && (rc = db_step(src, err)) == DB_ROW) {
        rc = c->count ? 0 : columns_read(src, t, c, err);
        if (rc == 0 && !load) {
            char *columns = column_list(c);
            rc = db_load_begin(to, t->name, columns, &load, err);
            free(columns);
        }
        if (rc == 0 && ++done > total)
            rc = sd_error_set(err, SD_EDB, "'%s' changed while read", t->name);
        if (rc == 0)
            rc = load_row(load, src, c, &later, err);
    }
    if (rc == DB_DONE)
        rc = done == total ? 0
                           : sd_error_set(err, SD_EDB,
                                          "'%s' changed while read (%" PRId64 " of %" PRId64
                                          " rows)",
                                          t->name, done, total);
    if (rc)
        db_load_abort(load);
    else
        rc = db_load_end(load, err);
    if (rc == 0 && later.len)
        rc = set_self_refs(to, t, later.buf, err);
    db_finalize(src);
    strbuf_release(&later);
    return rc;
}

/* "SELECT count(*), sum(a / 10^6), sum(a % 10^6), ... FROM t" over the integer columns. */
static char *sums_sql(const struct copy_table *t, const struct copy_columns *c)
{
    struct strbuf sql = STRBUF_INIT;
    strbuf_addstr(&sql, "SELECT count(*)");
    for (int i = 0; i < c->count; i++) {
        if (c->kinds[i] != DB_KIND_INTEGER)
            continue;
        strbuf_addf(&sql, ", coalesce(sum(%s / %d), 0), coalesce(sum(%s %% %d), 0)", c->names[i],
                    COPY_SPLIT, c->names[i], COPY_SPLIT);
    }
    strbuf_addf(&sql, " FROM %s", t->name);
    return strbuf_detach(&sql, NULL);
}

/* The exact decimal of high * 10^6 + low, which may pass 64 bits. */
static void sum_text(int64_t high, int64_t low, char *out, size_t size)
{
    __extension__ typedef __int128 wide;
    wide v = (wide)high * COPY_SPLIT + low;
    char digits[48];
    size_t n = 0;
    int negative = v < 0;
    do {
        int d = (int)(v % 10);
        digits[n++] = (char)('0' + (d < 0 ? -d : d));
        v /= 10;
    } while (v != 0 && n < sizeof(digits));
    size_t at = 0;
    if (negative && at + 1 < size)
        out[at++] = '-';
    while (n && at + 1 < size)
        out[at++] = digits[--n];
    out[at] = '\0';
}

/* Reads count and sums on one side into the report's strings (`side` 0: from, 1: to). */
static int measure(struct db *db, const char *sql, struct store_copy_table *r, int side,
                   struct sd_error *err)
{
    struct db_stmt *st = NULL;
    int rc = query_row(db, sql, &st, err);
    if (rc == 0) {
        r->rows[side] = db_column_int64(st, 0);
        for (size_t i = 0; i < r->nsums; i++)
            sum_text(db_column_int64(st, 1 + 2 * (int)i), db_column_int64(st, 2 + 2 * (int)i),
                     r->sums[i].value[side], sizeof(r->sums[i].value[side]));
    }
    db_finalize(st);
    return rc;
}

static int verify_table(struct db *from, struct db *to, const struct copy_table *t,
                        const struct copy_columns *c, struct store_copy_table *r,
                        struct sd_error *err)
{
    r->name = t->name;
    for (int i = 0; i < c->count; i++)
        r->nsums += c->kinds[i] == DB_KIND_INTEGER;
    r->sums = xcalloc(r->nsums + 1, sizeof(*r->sums));
    for (int i = 0, k = 0; i < c->count; i++) {
        if (c->kinds[i] == DB_KIND_INTEGER)
            snprintf(r->sums[k++].column, sizeof(r->sums[0].column), "%s", c->names[i]);
    }
    char *sql = sums_sql(t, c);
    int rc = measure(from, sql, r, 0, err);
    if (rc == 0)
        rc = measure(to, sql, r, 1, err);
    free(sql);
    r->differs = r->rows[0] != r->rows[1];
    for (size_t i = 0; i < r->nsums; i++)
        r->differs |= strcmp(r->sums[i].value[0], r->sums[i].value[1]) != 0;
    return rc;
}

static int copy_table(struct db *from, struct db *to, const struct copy_table *t,
                      struct store_copy_table *r, struct sd_error *err)
{
    struct copy_columns c = {0};
    int64_t total = 0;
    int rc = table_count(from, t->name, &total, err);
    if (rc == 0 && total >= COPY_SUSPEND_ROWS)
        rc = db_indexes_suspend(to, t->name, err);
    if (rc == 0)
        rc = copy_rows(from, to, t, total, &c, err);
    if (rc == 0)
        rc = verify_table(from, to, t, &c, r, err);
    columns_release(&c);
    return rc;
}

int store_copy(struct db *from, struct db *to, int force, struct store_copy_report *report,
               struct sd_error *err)
{
    memset(report, 0, sizeof(*report));
    report->tables = xcalloc(COPY_TABLES, sizeof(*report->tables));
    int rc = check_tables(from, "source", err);
    if (rc == 0)
        rc = check_tables(to, "target", err);
    if (rc == 0)
        rc = db_begin_read(from, err);
    if (rc == 0)
        rc = db_begin(to, err);
    if (rc == 0)
        rc = store_clear(to, force, &report->rows_removed, err);
    for (size_t i = 0; rc == 0 && i < COPY_TABLES; i++) {
        rc = copy_table(from, to, &copy_tables[i], &report->tables[i], err);
        report->count = i + 1;
        report->differs += rc == 0 && report->tables[i].differs;
    }
    if (rc == 0 && report->differs)
        rc = sd_error_set(err, SD_EDB,
                          "the copy differs from the source in %d table(s); nothing was written",
                          report->differs);
    if (rc == 0)
        rc = db_reseed_ids(to, err);
    if (rc == 0)
        rc = db_commit(to, err);
    if (db_in_transaction(to))
        db_rollback(to);
    if (db_in_transaction(from))
        db_rollback(from);
    return rc;
}

void store_copy_report_release(struct store_copy_report *report)
{
    for (size_t i = 0; i < report->count; i++)
        free(report->tables[i].sums);
    free(report->tables);
    memset(report, 0, sizeof(*report));
}
