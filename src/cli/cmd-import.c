/* SPDX-License-Identifier: MIT */
/*
 * cmd-import: `salesdesk import KIND FILE…`: runs an import (ingest/import.h)
 * and reports per kind what was (or, with --dry-run, would be) inserted,
 * updated, left unchanged and rejected. Rejected input exits 3 with every
 * problem found (file, row, column, reason), and nothing is applied.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "base/strbuf.h"
#include "cli/cli-desk.h"
#include "cli/cli-engine.h"
#include "ingest/import.h"
#include "store/store.h"
#include "base/banned.h"

#define MAX_FILES 256

struct file_list {
    struct import_file files[MAX_FILES];
    size_t n;
    char *paths[MAX_FILES];
};

static void list_presets(void)
{
    struct arena arena;
    struct mapping_preset_info *presets;
    arena_init(&arena, 0);
    size_t n = mapping_preset_list(&arena, &presets);
    for (size_t i = 0; i < n; i++)
        printf("%-12s %s\n", presets[i].name, presets[i].description);
    arena_release(&arena);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int add_file(struct file_list *l, const char *path, int kind, struct sd_error *err)
{
    if (l->n >= MAX_FILES)
        return sd_error_set(err, SD_ELIMIT, "more than %d files", MAX_FILES);
    struct import_file *f = &l->files[l->n];
    l->paths[l->n] = strdup(path);
    f->path = l->paths[l->n];
    f->name = base_name(f->path);
    f->kind = kind;
    l->n++;
    return import_format_of(path, &f->format, err);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The data files of a bundle folder, sorted by name; other files are left alone. */
static int add_folder(struct file_list *l, const char *dir, struct sd_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return sd_error_set(err, SD_EIO, "cannot read folder '%s'", dir);
    char *names[MAX_FILES];
    size_t n = 0;
    struct dirent *e;
    enum import_format format;
    while ((e = readdir(d)) != NULL && n < MAX_FILES) {
        if (e->d_name[0] != '.' && import_format_of(e->d_name, &format, NULL) == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), compare_names);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct strbuf path = STRBUF_INIT;
        strbuf_addf(&path, "%s/%s", dir, names[i]);
        if (rc == 0)
            rc = add_file(l, path.buf, -1, err);
        strbuf_release(&path);
        free(names[i]);
    }
    return rc;
}

static int collect_files(const struct cli_args *args, int kind, struct file_list *l,
                         struct sd_error *err)
{
    int rc = 0;
    for (int i = 1; rc == 0 && i < args->n_args; i++) {
        struct stat sb;
        if (stat(args->args[i], &sb) != 0)
            return sd_error_set(err, SD_EIO, "cannot read '%s'", args->args[i]);
        if (S_ISDIR(sb.st_mode) && kind < 0)
            rc = add_folder(l, args->args[i], err);
        else if (S_ISDIR(sb.st_mode))
            rc = sd_error_set(err, SD_EINVAL, "'%s' is a folder: import it as a bundle",
                              args->args[i]);
        else
            rc = add_file(l, args->args[i], kind, err);
    }
    if (rc == 0 && l->n == 0)
        rc = sd_error_set(err, SD_EINVAL, "no .csv, .xlsx or .json files to import");
    return rc;
}

static void free_files(struct file_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
}

static int load_mapping(const struct cli_args *args, int kind, struct mapping *m,
                        struct sd_error *err)
{
    const char *map = cli_opt(args, "map");
    if (!map)
        map = kind < 0 ? NULL : "native";
    if (!map)
        return sd_error_set(err, SD_EINVAL, "a bundle needs --map (a preset or a mapping file)");
    /* A path (or an existing file) is a mapping file; a bare word is a preset. */
    struct stat sb;
    if (strchr(map, '/') || strstr(map, ".json") || (stat(map, &sb) == 0 && S_ISREG(sb.st_mode)))
        return mapping_load_file(m, map, err);
    return mapping_preset(m, map, err);
}

/* ---- progress and output ---- */

struct progress {
    int enabled;
};

static void show_progress(void *ctx, const char *phase, int64_t done, int64_t total)
{
    struct progress *p = ctx;
    if (!p->enabled)
        return;
    if (total > 0)
        fprintf(stderr, "\r  writing %-14s %12" PRId64 " / %" PRId64 "   ", phase, done, total);
    else
        fprintf(stderr, "\r  reading %-14s %12" PRId64 " rows         ", phase, done);
    fflush(stderr);
}

static void print_counts(const struct import_report *rep, int dry_run)
{
    printf("%-14s %10s %10s %10s %10s %10s\n", "kind", "read", "inserted", "updated", "unchanged",
           "rejected");
    for (int k = 0; k < KIND_COUNT; k++) {
        const struct import_kind_counts *c = &rep->kinds[k];
        if (!c->read && !c->inserted && !c->updated && !c->unchanged)
            continue;
        printf("%-14s %10" PRId64 " %10" PRId64 " %10" PRId64 " %10" PRId64 " %10" PRId64 "\n",
               import_kinds[k].name, c->read, c->inserted, c->updated, c->unchanged, c->rejected);
    }
    for (size_t i = 0; i < rep->n_skipped; i++)
        printf("%s %s", i ? "," : "skipped (the mapping has no entry for it):", rep->skipped[i]);
    if (rep->n_skipped)
        putchar('\n');
    if (dry_run)
        printf("dry run: nothing was applied (%" PRId64 " change%s would be made)\n", rep->changes,
               rep->changes == 1 ? "" : "s");
    else if (rep->changes == 0)
        printf("nothing changed: the store already holds this data (import job %" PRId64 ")\n",
               rep->job_id);
    else
        printf("applied: %" PRId64 " change%s (import job %" PRId64 ", %.1f s)\n", rep->changes,
               rep->changes == 1 ? "" : "s", rep->job_id, rep->duration_ms / 1000.0);
}

static void print_issues(const struct import_report *rep)
{
    for (size_t i = 0; i < rep->n_issues; i++)
        fprintf(stderr, "%s\n", rep->issues[i].message);
    if (rep->more_issues)
        fprintf(stderr, "... and %" PRId64 " more problems\n", rep->more_issues);
}

static void report_json(const struct import_report *rep, int dry_run, struct strbuf *out)
{
    struct json_writer w;
    json_writer_init(&w, out, 1);
    json_object_begin(&w);
    json_kv_bool(&w, "applied", rep->applied);
    json_kv_bool(&w, "dry_run", dry_run);
    json_kv_int(&w, "job", rep->job_id ? rep->job_id : INT_NONE);
    json_kv_int(&w, "changes", rep->changes);
    json_kv_int(&w, "duration_ms", rep->duration_ms);
    json_key(&w, "kinds");
    json_object_begin(&w);
    for (int k = 0; k < KIND_COUNT; k++) {
        const struct import_kind_counts *c = &rep->kinds[k];
        if (!c->read && !c->inserted && !c->updated && !c->unchanged)
            continue;
        json_key(&w, import_kinds[k].name);
        json_object_begin(&w);
        json_kv_int(&w, "read", c->read);
        json_kv_int(&w, "inserted", c->inserted);
        json_kv_int(&w, "updated", c->updated);
        json_kv_int(&w, "unchanged", c->unchanged);
        json_kv_int(&w, "rejected", c->rejected);
        json_object_end(&w);
    }
    json_object_end(&w);
    json_key(&w, "issues");
    json_array_begin(&w);
    for (size_t i = 0; i < rep->n_issues; i++) {
        const struct import_issue *is = &rep->issues[i];
        json_object_begin(&w);
        json_kv_string(&w, "file", is->file);
        json_kv_int(&w, "row", is->row ? is->row : INT_NONE);
        json_kv_int(&w, "column", is->column ? is->column : INT_NONE);
        json_kv_string(&w, "field", is->field);
        json_kv_string(&w, "message", is->message);
        json_object_end(&w);
    }
    json_array_end(&w);
    json_kv_int(&w, "more_issues", rep->more_issues);
    json_key(&w, "skipped");
    json_array_begin(&w);
    for (size_t i = 0; i < rep->n_skipped; i++)
        json_string(&w, rep->skipped[i]);
    json_array_end(&w);
    json_object_end(&w);
    strbuf_addch(out, '\n');
}

/* ---- options ---- */

static int parse_options(const struct cli_args *args, struct import_options *opt)
{
    const char *delimiter = cli_opt(args, "delimiter");
    const char *encoding = cli_opt(args, "encoding");
    opt->dry_run = cli_flag(args, "dry-run");
    opt->row_by_row = cli_flag(args, "row-by-row");
    opt->source = cli_opt(args, "source");
    opt->sheet = cli_opt(args, "sheet");
    if (delimiter && ingest_delimiter_parse(delimiter, &opt->csv.delimiter) != 0)
        return cli_usage_error(args, "--delimiter: '%s' is not one of , ; | tab", delimiter);
    if (encoding && ingest_encoding_parse(encoding, &opt->csv.encoding) != 0)
        return cli_usage_error(args, "--encoding: '%s' is not one of auto, utf-8, windows-1252, "
                               "iso-8859-1", encoding);
    return 0;
}

static int run_import(const struct cli_args *args, int kind, struct file_list *files,
                      struct mapping *m, struct sd_error *err)
{
    struct import_options opt;
    struct import_report rep;
    struct db *db = NULL;
    struct progress progress = {.enabled = isatty(STDERR_FILENO) && !cli_flag(args, "json")};
    char actor_name[128];
    struct desk_actor actor;
    cli_desk_actor(actor_name, sizeof(actor_name), &actor);
    import_options_init(&opt, m);
    opt.progress = show_progress;
    opt.progress_ctx = &progress;
    opt.actor = actor.name;
    int rc = parse_options(args, &opt);
    if (rc)
        return rc;
    (void)kind;
    rc = store_open(&db, cli_db_url(args), DB_OPEN_EXISTING, err);
    if (rc)
        return cli_fail(err);
    rc = import_run(db, files->files, files->n, &opt, &rep, err);
    if (progress.enabled)
        fputc('\n', stderr);
    int alerts = -1;
    struct sd_error alert_err = {0};
    if (rc == 0 && rep.applied && rep.changes > 0 && !cli_flag(args, "no-alerts") &&
        cli_alerts_after_write(db, &alerts, &alert_err))
        fprintf(stderr, "salesdesk: the import was applied, but checking KPI alerts failed: %s\n",
                alert_err.message);
    db_close(db);
    int exit_code = CLI_EXIT_OK;
    struct strbuf out = STRBUF_INIT;
    if (cli_flag(args, "json") && (rc == 0 || rep.n_issues)) {
        report_json(&rep, opt.dry_run, &out);
        exit_code = cli_write_stdout(out.buf, out.len);
    } else if (rc == 0) {
        print_counts(&rep, opt.dry_run);
        if (alerts > 0)
            printf("KPI alerts: %d new (salesdesk alerts)\n", alerts);
    }
    if (rc && rep.n_issues)
        print_issues(&rep);
    if (rc)
        fprintf(stderr, "salesdesk: %s\n", err->message);
    if (rc)
        exit_code = rc == SD_EINVAL || rc == SD_ELIMIT ? CLI_EXIT_REJECTED : CLI_EXIT_FAIL;
    strbuf_release(&out);
    import_report_release(&rep);
    return exit_code;
}

int cmd_import(const struct cli_args *args)
{
    if (cli_flag(args, "list-presets")) {
        list_presets();
        return CLI_EXIT_OK;
    }
    if (args->n_args < 2)
        return cli_usage_error(args, "missing argument KIND FILE...");
    int kind = strcmp(args->args[0], "bundle") == 0 ? -1 : import_kind_find(args->args[0]);
    if (kind < 0 && strcmp(args->args[0], "bundle") != 0)
        return cli_usage_error(args, "'%s' is not a kind (accounts reps products stock orders "
                               "lines invoices opportunities stages requests quotas fx bundle)",
                               args->args[0]);
    struct sd_error err = {0};
    struct file_list files = {0};
    struct mapping m = {0};
    int rc = collect_files(args, kind, &files, &err);
    if (rc == 0)
        rc = load_mapping(args, kind, &m, &err);
    int exit_code;
    if (rc == 0) {
        exit_code = run_import(args, kind, &files, &m, &err);
    } else {
        cli_fail(&err);
        /* unreadable files fail; an unknown preset is a usage error; a bad mapping is rejected */
        exit_code = rc == SD_EIO ? CLI_EXIT_FAIL
                    : rc == SD_ENOTFOUND ? CLI_EXIT_USAGE : CLI_EXIT_REJECTED;
    }
    mapping_release(&m);
    free_files(&files);
    return exit_code;
}
