/* SPDX-License-Identifier: MIT */
/*
 * cmd-copy: `salesdesk copy --from URL --to URL [--force] [--json]`: every
 * table of one store into another (SQLite to PostgreSQL and back), checked by
 * counts and sums before the target commits (store/copy.c). The databases are
 * named by driver, not URL, in what it prints: a URL may hold a password.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/strbuf.h"
#include "cli/cli.h"
#include "db/db.h"
#include "store/store.h"
#include "base/banned.h"

static void print_text(const struct store_copy_report *r, const char *from, const char *to)
{
    int64_t rows = 0;
    printf("%-20s %12s %12s %9s\n", "table", "source rows", "target rows", "int sums");
    for (size_t i = 0; i < r->count; i++) {
        const struct store_copy_table *t = &r->tables[i];
        printf("%-20s %12" PRId64 " %12" PRId64 " %9zu%s\n", t->name, t->rows[0], t->rows[1],
               t->nsums, t->differs ? "  DIFFERS" : "");
        for (size_t k = 0; k < t->nsums; k++) {
            if (strcmp(t->sums[k].value[0], t->sums[k].value[1]) != 0)
                printf("  %s.%s: sum %s in the source, %s in the target\n", t->name,
                       t->sums[k].column, t->sums[k].value[0], t->sums[k].value[1]);
        }
        rows += t->rows[0];
    }
    if (r->differs)
        return;
    if (r->rows_removed)
        printf("\nreplaced %" PRId64 " rows the target held\n", r->rows_removed);
    printf("%scopied %" PRId64 " rows in %zu tables from %s to %s; counts and sums are equal\n",
           r->rows_removed ? "" : "\n", rows, r->count, from, to);
}

static void write_table(struct json_writer *w, const struct store_copy_table *t)
{
    json_object_begin(w);
    json_kv_string(w, "table", t->name);
    json_kv_int(w, "source_rows", t->rows[0]);
    json_kv_int(w, "target_rows", t->rows[1]);
    json_key(w, "sums");
    json_array_begin(w);
    for (size_t k = 0; k < t->nsums; k++) {
        json_object_begin(w);
        json_kv_string(w, "column", t->sums[k].column);
        json_key(w, "source");
        json_raw(w, t->sums[k].value[0], strlen(t->sums[k].value[0]));
        json_key(w, "target");
        json_raw(w, t->sums[k].value[1], strlen(t->sums[k].value[1]));
        json_object_end(w);
    }
    json_array_end(w);
    json_kv_bool(w, "equal", !t->differs);
    json_object_end(w);
}

static int print_json(const struct store_copy_report *r, const char *from, const char *to,
                      int copied)
{
    struct strbuf out = STRBUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &out, 1);
    json_object_begin(&w);
    json_kv_string(&w, "source", from);
    json_kv_string(&w, "target", to);
    json_kv_int(&w, "schema_version", db_schema_latest());
    json_kv_bool(&w, "copied", copied);
    json_kv_int(&w, "rows_removed", r->rows_removed);
    json_key(&w, "tables");
    json_array_begin(&w);
    for (size_t i = 0; i < r->count; i++)
        write_table(&w, &r->tables[i]);
    json_array_end(&w);
    json_object_end(&w);
    strbuf_addch(&out, '\n');
    int rc = cli_write_stdout(out.buf, out.len);
    strbuf_release(&out);
    return rc;
}

int cmd_copy(const struct cli_args *args)
{
    const char *from_url = cli_opt(args, "from"), *to_url = cli_opt(args, "to");
    if (!from_url || !to_url)
        return cli_usage_error(args, "both --from and --to are required");
    if (strcmp(from_url, to_url) == 0)
        return cli_usage_error(args, "--from and --to name the same database");
    struct sd_error err = {0};
    struct db *from = NULL, *to = NULL;
    struct store_copy_report report = {0};
    int rc = store_open(&from, from_url, DB_OPEN_READONLY, &err);
    if (rc == 0)
        rc = db_open(&to, to_url, DB_OPEN_CREATE, &err);
    if (rc == 0)
        rc = db_migrate(to, NULL, NULL, &err);
    if (rc == 0)
        rc = store_copy(from, to, cli_flag(args, "force"), &report, &err);
    /* The checks are shown when they ran to the end: all equal, or what differs. */
    int exit_code = CLI_EXIT_OK;
    if ((rc == 0 || report.differs) && cli_flag(args, "json"))
        exit_code = print_json(&report, db_driver_name(from), db_driver_name(to), rc == 0);
    else if (rc == 0 || report.differs)
        print_text(&report, db_driver_name(from), db_driver_name(to));
    store_copy_report_release(&report);
    db_close(to);
    db_close(from);
    if (rc)
        return cli_fail(&err);
    return exit_code;
}
