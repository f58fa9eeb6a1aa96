/* SPDX-License-Identifier: MIT */
/*
 * load: one import run (see import.h): reads each file through its reader,
 * builds native rows through the mapping, validates every value, stages the
 * rows, checks keys and references, and only then hands over to apply.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/date.h"
#include "base/xalloc.h"
#include "ingest/jsonrec.h"
#include "ingest/load-int.h"
#include "ingest/xlsx.h"
#include "base/banned.h"

#define KEY_SEPARATOR '\x1f'
#define DEFAULT_MAX_ISSUES 100

/* A recently interned value of one field (struct stage's cache). */
struct recent {
    const char *text; /* interned; NULL: empty slot */
    uint32_t hash;
    uint32_t len;
};

#define RECENT_SLOTS 1024 /* per field, a power of two */

/* Reading one file for one mapping entry. */
struct stage {
    struct run *r;
    const struct map_entry *entry;
    enum import_kind kind;
    const struct import_file *file;
    uint32_t file_index;
    int lenient_columns;           /* JSON: columns appear as keys do */
    unsigned version;              /* of the columns the positions below were found in */
    int col[KIND_MAX_FIELDS];      /* column position per field, -1: none */
    int *join[KIND_MAX_FIELDS];    /* MAP_JOIN: positions of its columns */
    struct hashmap sequence;       /* MAP_SEQUENCE: group value → last number */
    struct hashmap *lookup[KIND_MAX_FIELDS]; /* MAP_LOOKUP: key → interned value */
    struct strbuf value;
    struct recent *recent;         /* [KIND_MAX_FIELDS][RECENT_SLOTS], see intern_field */
};

void import_options_init(struct import_options *opt, const struct mapping *mapping)
{
    memset(opt, 0, sizeof(*opt));
    opt->mapping = mapping;
    opt->max_issues = DEFAULT_MAX_ISSUES;
    csv_options_init(&opt->csv);
}

int import_format_of(const char *path, enum import_format *out, struct sd_error *err)
{
    const char *dot = strrchr(path, '.');
    if (dot && strcasecmp(dot, ".csv") == 0)
        *out = IMPORT_CSV;
    else if (dot && (strcasecmp(dot, ".xlsx") == 0 || strcasecmp(dot, ".xlsm") == 0))
        *out = IMPORT_XLSX;
    else if (dot && (strcasecmp(dot, ".json") == 0 || strcasecmp(dot, ".ndjson") == 0 ||
                     strcasecmp(dot, ".jsonl") == 0))
        *out = IMPORT_JSON;
    else
        return sd_error_set(err, SD_EINVAL,
                            "'%s': unknown file type (expected .csv, .xlsx, .json or .ndjson)",
                            path);
    return 0;
}

static int read_file(struct run *r, const struct import_file *f, const char *sheet,
                     ingest_record_fn *fn, void *ctx)
{
    switch (f->format) {
    case IMPORT_CSV: return csv_read_file(f->path, f->name, &r->opt->csv, fn, ctx, r->err);
    case IMPORT_JSON:
        return jsonrec_read_file(f->path, f->name, &r->opt->csv.limits, fn, ctx, r->err);
    case IMPORT_XLSX: {
        struct xlsx_options xo;
        xlsx_options_init(&xo);
        xo.limits = r->opt->csv.limits;
        xo.sheet = r->opt->sheet ? r->opt->sheet : sheet;
        return xlsx_read_file(f->path, f->name, &xo, fn, ctx, r->err);
    }
    }
    return sd_error_set(r->err, SD_EINVAL, "unknown format");
}

/* ---- issues ---- */

static void add_issue(struct run *r, const char *file, long row, int column, const char *field,
                      const char *message)
{
    struct import_report *rep = r->report;
    r->failed = 1;
    if (rep->n_issues >= r->opt->max_issues) {
        rep->more_issues++;
        return;
    }
    if (rep->n_issues % 64 == 0) {
        struct import_issue *bigger =
            arena_alloc(&rep->arena, (rep->n_issues + 64) * sizeof(*bigger));
        if (rep->n_issues)
            memcpy(bigger, rep->issues, rep->n_issues * sizeof(*bigger));
        rep->issues = bigger;
    }
    struct import_issue *is = &rep->issues[rep->n_issues++];
    is->file = file;
    is->row = row;
    is->column = column;
    is->field = field ? arena_strndup(&rep->arena, field, strlen(field)) : NULL;
    is->message = arena_strndup(&rep->arena, message, strlen(message));
}

void run_issue(struct run *r, const char *file, long row, const char *message)
{
    add_issue(r, file, row, 0, NULL, message);
}

/* ---- column positions ---- */

static int column_of(const struct ingest_columns *cols, const char *name)
{
    for (size_t i = 0; i < cols->n; i++) {
        if (strcmp(cols->names[i], name) == 0)
            return (int)i;
    }
    return -1;
}

static int missing_column(struct stage *s, const struct ingest_columns *cols, const char *name,
                          int field)
{
    struct strbuf have = STRBUF_INIT;
    for (size_t i = 0; i < cols->n && i < 30; i++)
        strbuf_addf(&have, "%s%s", i ? ", " : "", cols->names[i]);
    sd_error_set(s->r->err, SD_EINVAL,
                 "%s: mapping '%s': column '%s' (for %s.%s) is not in the file (its columns: %s)",
                 s->file->name, s->r->opt->mapping->name, name, import_kinds[s->kind].name,
                 import_kinds[s->kind].fields[field].name, have.buf);
    strbuf_release(&have);
    return SD_EINVAL;
}

static int find_column(struct stage *s, const struct ingest_columns *cols, const char *name,
                       int field, int *out)
{
    *out = column_of(cols, name);
    if (*out < 0 && !s->lenient_columns && !s->entry->fields[field].optional_column)
        return missing_column(s, cols, name, field);
    return 0;
}

static int locate_columns(struct stage *s, const struct ingest_columns *cols)
{
    const struct kind_def *kd = &import_kinds[s->kind];
    for (int i = 0; i < kd->n_fields; i++) {
        const struct field_map *f = &s->entry->fields[i];
        int rc = 0;
        s->col[i] = -1;
        if (f->source == MAP_JOIN) {
            free(s->join[i]);
            s->join[i] = calloc(f->n_columns, sizeof(int));
            for (size_t c = 0; rc == 0 && c < f->n_columns; c++)
                rc = find_column(s, cols, f->columns[c], i, &s->join[i][c]);
        } else if (f->source == MAP_COLUMN || f->source == MAP_SEQUENCE ||
                   f->source == MAP_LOOKUP) {
            rc = find_column(s, cols, f->column, i, &s->col[i]);
        }
        if (rc)
            return rc;
    }
    s->version = cols->version;
    return 0;
}

/* ---- one field's text ---- */

static struct ingest_value value_at(const struct ingest_record *rec, int col)
{
    struct ingest_value none = {NULL, 0, INGEST_ABSENT};
    return col >= 0 && (size_t)col < rec->n_values ? rec->values[col] : none;
}

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\n')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\r' ||
                    (*s)[*len - 1] == '\n'))
        (*len)--;
}

static void source_text(struct stage *s, const struct ingest_record *rec, int field)
{
    const struct field_map *f = &s->entry->fields[field];
    struct strbuf *out = &s->value;
    strbuf_reset(out);
    if (f->source == MAP_CONST) {
        strbuf_addstr(out, f->constant);
    } else if (f->source == MAP_JOIN) {
        for (size_t c = 0; c < f->n_columns; c++) {
            struct ingest_value v = value_at(rec, s->join[field][c]);
            const char *t = v.data;
            size_t len = v.len;
            trim(&t, &len);
            if (len && out->len && f->separator)
                strbuf_addstr(out, f->separator);
            strbuf_add(out, t, len);
        }
    } else if (f->source != MAP_NONE) {
        struct ingest_value v = value_at(rec, s->col[field]);
        strbuf_add(out, v.data ? v.data : "", v.len);
    }
}

/* Applies lookup, presence map, value map and default to the text in s->value. */
static int transform(struct stage *s, int field, const char **text, size_t *len,
                     const char **why)
{
    const struct field_map *f = &s->entry->fields[field];
    *text = s->value.buf;
    *len = s->value.len;
    if (!f->keep_spaces)
        trim(text, len);
    if (f->source == MAP_SEQUENCE && *len) {
        /* 1, 2, 3... within each group value; the map copies the key before the reset */
        int64_t n = 0;
        hashmap_get(&s->sequence, *text, *len, &n);
        hashmap_put(&s->sequence, *text, *len, ++n);
        strbuf_reset(&s->value);
        strbuf_addf(&s->value, "%lld", (long long)n);
        *text = s->value.buf;
        *len = s->value.len;
    } else if (f->source == MAP_LOOKUP && *len) {
        int64_t found = 0;
        if (!hashmap_get(s->lookup[field], *text, *len, &found)) {
            *why = "not found in the lookup file";
            return SD_EINVAL;
        }
        *text = (const char *)(intptr_t)found;
        *len = strlen(*text);
    }
    if (f->if_present || f->if_empty) {
        const char *to = *len ? f->if_present : f->if_empty;
        *text = to ? to : *text;
        *len = to ? strlen(to) : *len;
    }
    if (f->n_map && *len) {
        size_t i = 0;
        while (i < f->n_map && !(strlen(f->map[i].from) == *len &&
                                 memcmp(f->map[i].from, *text, *len) == 0))
            i++;
        if (i == f->n_map && !f->map_else) {
            *why = "is not in the mapping's value map";
            return SD_EINVAL;
        }
        *text = i < f->n_map ? f->map[i].to : f->map_else;
        *len = strlen(*text);
    }
    if (*len == 0 && f->default_value) {
        *text = f->default_value;
        *len = strlen(*text);
    }
    return 0;
}

/* ---- one record ---- */

static int source_column(const struct stage *s, int field)
{
    const struct field_map *f = &s->entry->fields[field];
    if (f->source == MAP_JOIN)
        return s->join[field][0] + 1;
    return s->col[field] + 1;
}

static void field_issue(struct stage *s, const struct ingest_record *rec, int field,
                        const char *message)
{
    char where[160], full[SD_ERROR_MSG_MAX + 200];
    const struct kind_def *kd = &import_kinds[s->kind];
    const struct field_map *f = &s->entry->fields[field];
    int column = source_column(s, field);
    const char *colname = f->source == MAP_JOIN ? f->columns[0] : f->column;
    snprintf(where, sizeof(where), "%s.%s", kd->name, kd->fields[field].name);
    if (colname && column > 0)
        snprintf(full, sizeof(full), "%s:%ld: column '%s' (%s): %s", rec->file, rec->row, colname,
                 where, message);
    else
        snprintf(full, sizeof(full), "%s:%ld: %s: %s", rec->file, rec->row, where, message);
    add_issue(s->r, rec->file, rec->row, column > 0 ? column : 0, where, full);
}

static const char *intern(struct run *r, const char *text, size_t len)
{
    return hashmap_intern(&r->strings, text, len);
}

/*
 * Interned text of field `field`, through a small cache of the field's recent
 * values: most text cells repeat a value seen a few rows earlier (the order id
 * on consecutive lines, SKUs, statuses, currencies), and the cache answers them
 * from memory the CPU holds, where a look-up in the run's string map, millions
 * of entries large, waits on a cache miss or two (a tenth of a large import).
 */
static const char *intern_field(struct stage *s, int field, const char *text, size_t len)
{
    uint32_t hash = hashmap_hash(text, len);
    struct recent *slot = &s->recent[(size_t)field * RECENT_SLOTS + (hash & (RECENT_SLOTS - 1))];
    if (slot->text && slot->hash == hash && slot->len == len && memcmp(slot->text, text, len) == 0)
        return slot->text;
    slot->text = intern(s->r, text, len);
    slot->hash = hash;
    slot->len = (uint32_t)len;
    return slot->text;
}

/* Builds, validates and stores field `i` of `row`; 0, or 1 when the field was rejected. */
static int stage_field(struct stage *s, const struct ingest_record *rec, int i,
                       struct staged_row *row)
{
    const struct field_def *def = &import_kinds[s->kind].fields[i];
    const struct field_map *f = &s->entry->fields[i];
    const char *text, *why = NULL;
    size_t len;
    source_text(s, rec, i);
    if (transform(s, i, &text, &len, &why)) {
        char msg[SD_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), SD_QUOTE_FMT " %s", SD_QUOTE_ARGS(s->value.buf, s->value.len),
                 why);
        field_issue(s, rec, i, msg);
        return 1;
    }
    if (len == 0) {
        row->null_mask |= 1u << i;
        if (!def->required)
            return 0;
        field_issue(s, rec, i, f->source == MAP_NONE ? "required, and the mapping gives no value"
                                                     : "required, but empty");
        return 1;
    }
    struct typed_value tv;
    struct sd_error verr = {0};
    if (validate_value(def, f, text, len, s->r->fy_start_month, &tv, &verr)) {
        field_issue(s, rec, i, verr.message);
        return 1;
    }
    if (def->type == FT_TEXT || def->type == FT_ID || def->type == FT_ENUM ||
        def->type == FT_PERIOD)
        row->cells[i].s = intern_field(s, i, tv.s, tv.len);
    else
        row->cells[i].i = tv.i;
    return 0;
}

/* Appends the decimal text of `v` (keys are built for every row: no printf). */
static void add_integer(struct strbuf *out, int64_t v)
{
    char digits[24];
    size_t n = sizeof(digits);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        digits[--n] = '-';
    strbuf_add(out, digits + n, sizeof(digits) - n);
}

/* The key of a staged row as text: its key fields joined by KEY_SEPARATOR. */
static void key_text(enum import_kind k, const struct staged_row *row, struct strbuf *out)
{
    const struct kind_def *kd = &import_kinds[k];
    strbuf_reset(out);
    for (int j = 0; j < KIND_MAX_KEY && kd->key[j] >= 0; j++) {
        int f = kd->key[j];
        if (j)
            strbuf_addch(out, KEY_SEPARATOR);
        if (kd->fields[f].type == FT_ID || kd->fields[f].type == FT_TEXT)
            strbuf_addstr(out, row->cells[f].s);
        else
            add_integer(out, row->cells[f].i);
    }
}

static void check_duplicate(struct stage *s, const struct ingest_record *rec, size_t index)
{
    struct run *r = s->r;
    struct staged_row *row = run_row(r, s->kind, index);
    int64_t first = 0;
    key_text(s->kind, row, &r->scratch);
    if (hashmap_put_new(&r->keys[s->kind], r->scratch.buf, r->scratch.len, (int64_t)index + 1,
                        &first))
        return;
    const struct staged_row *earlier = run_row(r, s->kind, (size_t)first - 1);
    char msg[SD_ERROR_MSG_MAX];
    for (char *c = r->scratch.buf; *c; c++)
        if (*c == KEY_SEPARATOR)
            *c = '/';
    snprintf(msg, sizeof(msg), "%s:%ld: duplicate %s key '%s' (first at %s:%ld)", rec->file,
             rec->row, import_kinds[s->kind].name, r->scratch.buf,
             r->file_names[earlier->file], earlier->row);
    add_issue(r, rec->file, rec->row, 0, NULL, msg);
    r->report->kinds[s->kind].rejected++;
    r->staged[s->kind].len--; /* drop the duplicate */
}

/* Keeps the key of a rejected row when its key fields are fine, so rows that refer to it
 * are not reported again for a problem that is already on the list. */
static void remember_rejected(struct stage *s, const struct staged_row *row)
{
    const struct kind_def *kd = &import_kinds[s->kind];
    for (int j = 0; j < KIND_MAX_KEY && kd->key[j] >= 0; j++) {
        if (cell_is_null(row, kd->key[j]) ||
            ((kd->fields[kd->key[j]].type == FT_ID || kd->fields[kd->key[j]].type == FT_TEXT) &&
             !row->cells[kd->key[j]].s))
            return;
    }
    key_text(s->kind, row, &s->r->scratch);
    hashmap_put(&s->r->rejected[s->kind], s->r->scratch.buf, s->r->scratch.len, 1);
}

static int on_record(void *ctx, const struct ingest_record *rec, struct sd_error *err)
{
    struct stage *s = ctx;
    struct run *r = s->r;
    (void)err;
    if (run_stopped(r))
        return SD_ERR;
    if (rec->columns->version != s->version || s->version == 0) {
        int rc = locate_columns(s, rec->columns);
        if (rc)
            return rc;
    }
    r->report->kinds[s->kind].read++;
    struct staged_row *row = vec_push_zero(&r->staged[s->kind]);
    row->file = s->file_index;
    row->row = rec->row;
    int rejected = 0;
    for (int i = 0; i < import_kinds[s->kind].n_fields; i++)
        rejected |= stage_field(s, rec, i, row);
    if (rejected) {
        remember_rejected(s, row);
        r->report->kinds[s->kind].rejected++;
        r->staged[s->kind].len--;
    } else if (s->kind != KIND_LINES) { /* lines: when grouped, see lines.c */
        check_duplicate(s, rec, r->staged[s->kind].len - 1);
    }
    if (r->opt->progress && r->report->kinds[s->kind].read % 65536 == 0)
        r->opt->progress(r->opt->progress_ctx, import_kinds[s->kind].name,
                         r->report->kinds[s->kind].read, 0);
    return 0;
}

/* ---- look-up files (MAP_LOOKUP) ---- */

struct lookup_load {
    struct run *r;
    struct hashmap *map;
    const char *key;
    const char *value;
    int key_col;
    int value_col;
};

static int on_lookup_record(void *ctx, const struct ingest_record *rec, struct sd_error *err)
{
    struct lookup_load *l = ctx;
    if (l->key_col < 0) {
        l->key_col = column_of(rec->columns, l->key);
        l->value_col = column_of(rec->columns, l->value);
        if (l->key_col < 0 || l->value_col < 0)
            return sd_error_set(err, SD_EINVAL, "%s: lookup columns '%s' and '%s' are not both there",
                                rec->file, l->key, l->value);
    }
    struct ingest_value k = value_at(rec, l->key_col), v = value_at(rec, l->value_col);
    const char *kt = k.data ? k.data : "", *vt = v.data ? v.data : "";
    size_t kl = k.len, vl = v.len;
    trim(&kt, &kl);
    trim(&vt, &vl);
    const char *value = intern(l->r, vt, vl);
    hashmap_put(l->map, kt, kl, (int64_t)(intptr_t)value);
    return 0;
}

/* The bundle file whose base name (without extension) is `name`, or NULL. */
static const struct import_file *bundle_file(const struct import_file *files, size_t n,
                                             const char *name)
{
    for (size_t i = 0; i < n; i++) {
        const char *dot = strrchr(files[i].name, '.');
        size_t len = dot ? (size_t)(dot - files[i].name) : strlen(files[i].name);
        if (strlen(name) == len && strncmp(files[i].name, name, len) == 0)
            return &files[i];
    }
    return NULL;
}

static int load_lookups(struct stage *s, const struct import_file *files, size_t n)
{
    for (int i = 0; i < import_kinds[s->kind].n_fields; i++) {
        const struct field_map *f = &s->entry->fields[i];
        if (f->source != MAP_LOOKUP)
            continue;
        const struct import_file *lf = bundle_file(files, n, f->lookup_file);
        if (!lf)
            return sd_error_set(s->r->err, SD_EINVAL,
                                "mapping '%s': %s.%s looks up '%s', which is not among the files",
                                s->r->opt->mapping->name, import_kinds[s->kind].name,
                                import_kinds[s->kind].fields[i].name, f->lookup_file);
        s->lookup[i] = calloc(1, sizeof(struct hashmap));
        hashmap_init(s->lookup[i]);
        struct lookup_load l = {s->r, s->lookup[i], f->lookup_key, f->lookup_value, -1, -1};
        int rc = read_file(s->r, lf, NULL, on_lookup_record, &l);
        if (rc)
            return rc;
    }
    return 0;
}

static void stage_release(struct stage *s)
{
    for (int i = 0; i < KIND_MAX_FIELDS; i++) {
        free(s->join[i]);
        if (s->lookup[i]) {
            hashmap_release(s->lookup[i]);
            free(s->lookup[i]);
        }
    }
    hashmap_release(&s->sequence);
    strbuf_release(&s->value);
    free(s->recent);
}

static int stage_file(struct run *r, const struct import_file *files, size_t n, size_t index,
                      const struct map_entry *entry)
{
    struct stage s = {
        .r = r,
        .entry = entry,
        .kind = entry->kind,
        .file = &files[index],
        .file_index = (uint32_t)index,
        .lenient_columns = files[index].format == IMPORT_JSON,
    };
    hashmap_init(&s.sequence);
    strbuf_init(&s.value, 0);
    s.recent = xcalloc((size_t)KIND_MAX_FIELDS * RECENT_SLOTS, sizeof(*s.recent));
    int rc = load_lookups(&s, files, n);
    if (rc == 0)
        rc = read_file(r, &files[index], entry->sheet, on_record, &s);
    if (rc == 0 && r->opt->progress) /* the rows read in all, not just the last multiple */
        r->opt->progress(r->opt->progress_ctx, import_kinds[s.kind].name,
                         r->report->kinds[s.kind].read, 0);
    stage_release(&s);
    return rc;
}

/* ---- references ---- */

int run_entity(enum import_kind k)
{
    switch (k) {
    case KIND_REPS: return ENTITY_REP;
    case KIND_ACCOUNTS: return ENTITY_ACCOUNT;
    case KIND_PRODUCTS: return ENTITY_PRODUCT;
    case KIND_ORDERS: return ENTITY_ORDER;
    case KIND_INVOICES: return ENTITY_INVOICE;
    case KIND_OPPORTUNITIES: return ENTITY_OPPORTUNITY;
    case KIND_REQUESTS: return ENTITY_REQUEST;
    default: return -1;
    }
}

int run_resolve(struct run *r, enum import_kind k, const char *key, int64_t *id)
{
    size_t len = strlen(key);
    int64_t unused;
    if (r->bulk_first[k] && hashmap_get(&r->keys[k], key, len, id)) {
        *id += r->bulk_first[k] - 1; /* keys hold the row index + 1 */
        return 0;
    }
    if (hashmap_get(&r->ids[k], key, len, id))
        return 0;
    if (run_entity(k) < 0 || hashmap_get(&r->missing[k], key, len, &unused))
        return SD_ENOTFOUND;
    int rc = store_lookup(r->db, (enum store_entity)run_entity(k), r->source, key, id, NULL);
    if (rc == 0)
        hashmap_put(&r->ids[k], key, len, *id);
    else if (rc == SD_ENOTFOUND)
        hashmap_put(&r->missing[k], key, len, 0);
    return rc;
}

/* A reference is good when the row is staged in this import or already in the store. */
static int reference_exists(struct run *r, enum import_kind target, const char *key)
{
    int64_t id;
    if (hashmap_get(&r->keys[target], key, strlen(key), &id) ||
        hashmap_get(&r->rejected[target], key, strlen(key), &id))
        return 1;
    return run_resolve(r, target, key, &id) == 0;
}

/* A quota's rep_or_team names a rep (id) or a team (name) of this import or the store. */
static int quota_target_exists(struct run *r, const char *who)
{
    int64_t id;
    int team = import_field_find(KIND_REPS, "team");
    if (reference_exists(r, KIND_REPS, who))
        return 1;
    for (size_t i = 0; i < r->staged[KIND_REPS].len; i++) {
        const struct staged_row *rep = run_row(r, KIND_REPS, i);
        if (!cell_is_null(rep, team) && strcmp(rep->cells[team].s, who) == 0)
            return 1;
    }
    return store_lookup(r->db, ENTITY_TEAM, r->source, who, &id, NULL) == 0;
}

static void check_row_refs(struct run *r, enum import_kind k, const struct staged_row *row)
{
    const struct kind_def *kd = &import_kinds[k];
    if (k == KIND_QUOTAS && !quota_target_exists(r, row->cells[0].s)) {
        char msg[SD_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s:%ld: quotas.rep_or_team: '%s' is neither a rep nor a team",
                 r->file_names[row->file], row->row, row->cells[0].s);
        add_issue(r, r->file_names[row->file], row->row, 0, NULL, msg);
        r->report->kinds[k].rejected++;
    }
    for (int f = 0; f < kd->n_fields; f++) {
        const struct field_def *def = &kd->fields[f];
        if (!def->refers || cell_is_null(row, f))
            continue;
        enum import_kind target = (enum import_kind)(def->refers - 1);
        if (reference_exists(r, target, row->cells[f].s))
            continue;
        char msg[SD_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s:%ld: %s.%s: no %s with id '%s' (not in this import, "
                 "not in the store from source '%s')", r->file_names[row->file], row->row,
                 kd->name, def->name, import_kinds[target].one, row->cells[f].s, r->source);
        add_issue(r, r->file_names[row->file], row->row, 0, NULL, msg);
        r->report->kinds[k].rejected++;
    }
}

static void check_references(struct run *r)
{
    for (int k = 0; k < KIND_COUNT; k++) {
        for (size_t i = 0; i < r->staged[k].len; i++)
            check_row_refs(r, (enum import_kind)k, run_row(r, (enum import_kind)k, i));
    }
}

/* ---- the run ---- */

static int setting_fy_start(struct db *db)
{
    struct arena a;
    const char *value = NULL;
    arena_init(&a, 0);
    int month = 1;
    if (store_setting_get(db, &a, "fiscal_year_start_month", &value, NULL) == 0 && value) {
        long m = strtol(value, NULL, 10);
        month = m >= 1 && m <= 12 ? (int)m : 1;
    }
    arena_release(&a);
    return month;
}

static void run_init(struct run *r, struct db *db, const struct import_options *opt,
                     struct import_report *report, struct sd_error *err)
{
    memset(r, 0, sizeof(*r));
    r->db = db;
    r->opt = opt;
    r->report = report;
    r->err = err;
    r->source = opt->source ? opt->source : opt->mapping->source ? opt->mapping->source : "";
    r->fy_start_month = setting_fy_start(db);
    for (int k = 0; k < KIND_COUNT; k++) {
        vec_init(&r->staged[k], sizeof(struct staged_row) +
                                    (size_t)import_kinds[k].n_fields * sizeof(union cell));
        hashmap_init(&r->keys[k]);
        hashmap_init(&r->ids[k]);
        hashmap_init(&r->missing[k]);
        hashmap_init(&r->rejected[k]);
    }
    hashmap_init(&r->strings);
    hashmap_init(&r->teams);
    strbuf_init(&r->scratch, 0);
}

static void run_release(struct run *r)
{
    for (int k = 0; k < KIND_COUNT; k++) {
        vec_release(&r->staged[k]);
        hashmap_release(&r->keys[k]);
        hashmap_release(&r->ids[k]);
        hashmap_release(&r->missing[k]);
        hashmap_release(&r->rejected[k]);
    }
    hashmap_release(&r->strings);
    hashmap_release(&r->teams);
    line_groups_release(&r->lines);
    strbuf_release(&r->scratch);
    free(r->file_names);
}

/* 1 when some entry of the mapping looks values up in the file `name` (len bytes). */
static int lookup_only(const struct mapping *m, const char *name, size_t len)
{
    for (size_t e = 0; e < m->n_entries; e++) {
        for (int f = 0; f < KIND_MAX_FIELDS; f++) {
            const char *lf = m->entries[e].fields[f].lookup_file;
            if (lf && strlen(lf) == len && strncmp(lf, name, len) == 0)
                return 1;
        }
    }
    return 0;
}

static void note_skipped(struct import_report *rep, const char *name)
{
    const char **bigger = arena_alloc(&rep->arena, (rep->n_skipped + 1) * sizeof(*bigger));
    if (rep->n_skipped)
        memcpy(bigger, rep->skipped, rep->n_skipped * sizeof(*bigger));
    bigger[rep->n_skipped++] = arena_strndup(&rep->arena, name, strlen(name));
    rep->skipped = bigger;
}

/* Stages every file for every mapping entry that takes it. */
static int stage_all(struct run *r, const struct import_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct mapping *m = r->opt->mapping;
        if (files[i].kind >= 0) {
            const struct map_entry *e = mapping_entry(m, (enum import_kind)files[i].kind, NULL);
            if (!e)
                return sd_error_set(r->err, SD_EINVAL, "mapping '%s' has no entry for %s",
                                    m->name, import_kinds[files[i].kind].name);
            int rc = stage_file(r, files, n, i, e);
            if (rc)
                return rc;
            continue;
        }
        const char *dot = strrchr(files[i].name, '.');
        size_t len = dot ? (size_t)(dot - files[i].name) : strlen(files[i].name);
        int used = lookup_only(m, files[i].name, len);
        for (size_t e = 0; e < m->n_entries; e++) {
            const char *want = m->entries[e].file;
            if (!want || strlen(want) != len || strncmp(want, files[i].name, len) != 0)
                continue;
            used = 1;
            int rc = stage_file(r, files, n, i, &m->entries[e]);
            if (rc)
                return rc;
        }
        if (!used)
            note_skipped(r->report, files[i].name);
    }
    return 0;
}

static int apply_in_transaction(struct run *r)
{
    int64_t before = 0, after = 0;
    int rc = db_begin(r->db, r->err);
    if (rc)
        return rc;
    rc = store_change_count(r->db, &before, r->err);
    if (rc == 0)
        rc = apply_all(r);
    if (rc == 0)
        rc = store_change_count(r->db, &after, r->err);
    r->report->changes = after - before;
    if (rc == 0 && !r->opt->dry_run)
        rc = apply_record_job(r);
    if (rc == 0)
        rc = run_stopped(r);
    if (rc || r->opt->dry_run) {
        db_rollback(r->db);
        return rc;
    }
    rc = db_commit(r->db, r->err);
    r->report->applied = rc == 0;
    return rc;
}

int import_run(struct db *db, const struct import_file *files, size_t n_files,
               const struct import_options *opt, struct import_report *report,
               struct sd_error *err)
{
    struct run r;
    int64_t started = ts_now_ms();
    memset(report, 0, sizeof(*report));
    arena_init(&report->arena, 0);
    run_init(&r, db, opt, report, err);
    r.started_ms = started;
    r.file_names = calloc(n_files ? n_files : 1, sizeof(*r.file_names));
    r.n_file_names = n_files;
    for (size_t i = 0; i < n_files; i++)
        r.file_names[i] = files[i].name;
    int rc = stage_all(&r, files, n_files);
    if (rc == 0)
        line_groups_build(&r);
    if (rc == 0)
        check_references(&r);
    if (rc == 0 && r.failed)
        rc = sd_error_set(err, SD_EINVAL, "the input was rejected: %zu problem%s found",
                          report->n_issues + (size_t)report->more_issues,
                          report->n_issues + (size_t)report->more_issues == 1 ? "" : "s");
    if (rc == 0)
        rc = apply_in_transaction(&r);
    report->duration_ms = ts_now_ms() - started;
    run_release(&r);
    return rc;
}

void import_report_release(struct import_report *report)
{
    arena_release(&report->arena);
    memset(report, 0, sizeof(*report));
}
