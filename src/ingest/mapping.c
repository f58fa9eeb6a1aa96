/* SPDX-License-Identifier: MIT */
/*
 * mapping: loading mappings from JSON, the built-in presets (the native one
 * is derived from the kinds table, the others are JSON files compiled in),
 * and finding the entry for a kind and file.
 */
#include "ingest/mapping.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jval.h"
#include "base/strbuf.h"
#include "base/banned.h"

#define MAPPING_MAX_BYTES (4u << 20)
#define MAPPING_MAX_DEPTH 16

struct preset_file {
    const char *name;
    const char *text;
};
/* Generated from the JSON files in src/ingest/presets by tools/embed-presets.cmake. */
extern const struct preset_file mapping_preset_files[];
extern const size_t mapping_preset_files_count;

/* Loader state: the mapping being filled and where errors point. */
struct loader {
    struct mapping *m;
    const char *name;
    struct sd_error *err;
};

static int bad(struct loader *l, const struct jval *at, const char *what, const char *subject)
{
    return sd_error_set(l->err, SD_EINVAL, "%s:%d:%d: %s%s%s%s", l->name, at ? at->line : 0,
                        at ? at->column : 0, what, subject ? " '" : "", subject ? subject : "",
                        subject ? "'" : "");
}

static const char *copy(struct loader *l, const char *s)
{
    return s ? arena_strndup(&l->m->arena, s, strlen(s)) : NULL;
}

/* A string option, or NULL when absent; an error when present but not a string. */
static int opt_string(struct loader *l, const struct jval *obj, const char *key, const char **out)
{
    const struct jval *v = jval_get(obj, key);
    *out = NULL;
    if (!v || v->type == JVAL_NULL)
        return 0;
    if (v->type != JVAL_STRING)
        return bad(l, v, "must be a string:", key);
    *out = copy(l, v->text);
    return 0;
}

static int opt_char(struct loader *l, const struct jval *obj, const char *key, char *out)
{
    const char *s = NULL;
    int rc = opt_string(l, obj, key, &s);
    if (rc || !s)
        return rc;
    if (strlen(s) != 1)
        return bad(l, jval_get(obj, key), "must be one character:", key);
    *out = s[0];
    return 0;
}

static int opt_bool(struct loader *l, const struct jval *obj, const char *key, int *out)
{
    const struct jval *v = jval_get(obj, key);
    if (!v)
        return 0;
    if (v->type != JVAL_BOOL)
        return bad(l, v, "must be true or false:", key);
    *out = v->boolean;
    return 0;
}

static int load_value_map(struct loader *l, const struct jval *map, struct field_map *f)
{
    if (!map)
        return 0;
    if (map->type != JVAL_OBJECT)
        return bad(l, map, "must be an object:", "map");
    f->map = arena_alloc(&l->m->arena, (map->n ? map->n : 1) * sizeof(*f->map));
    for (size_t i = 0; i < map->n; i++) {
        const struct jval *to = map->members[i].value;
        if (to->type != JVAL_STRING)
            return bad(l, to, "map values must be strings: the value for", map->members[i].key);
        f->map[i].from = copy(l, map->members[i].key);
        f->map[i].to = copy(l, to->text);
    }
    f->n_map = map->n;
    return 0;
}

static int load_columns(struct loader *l, const struct jval *cols, struct field_map *f)
{
    if (cols->type != JVAL_ARRAY || cols->n == 0)
        return bad(l, cols, "must be a non-empty array of column names:", "columns");
    f->columns = arena_alloc(&l->m->arena, cols->n * sizeof(*f->columns));
    for (size_t i = 0; i < cols->n; i++) {
        if (cols->items[i]->type != JVAL_STRING)
            return bad(l, cols->items[i], "column names must be strings", NULL);
        f->columns[i] = copy(l, cols->items[i]->text);
    }
    f->n_columns = cols->n;
    f->source = MAP_JOIN;
    return 0;
}

static int load_lookup(struct loader *l, const struct jval *lookup, struct field_map *f)
{
    if (lookup->type != JVAL_OBJECT)
        return bad(l, lookup, "must be an object with file, key and value:", "lookup");
    int rc = opt_string(l, lookup, "file", &f->lookup_file);
    if (rc == 0)
        rc = opt_string(l, lookup, "key", &f->lookup_key);
    if (rc == 0)
        rc = opt_string(l, lookup, "value", &f->lookup_value);
    if (rc == 0 && (!f->lookup_file || !f->lookup_key || !f->lookup_value || !f->column))
        rc = bad(l, lookup, "a lookup needs column, and file, key and value in", "lookup");
    f->source = MAP_LOOKUP;
    return rc;
}

static const char *const field_options[] = {
    "column", "columns", "separator", "const", "default", "keep_spaces", "if_present",
    "if_empty", "map", "else", "date_format", "decimal", "thousands", "percent", "sequence",
    "lookup", NULL,
};

static int check_option_names(struct loader *l, const struct jval *spec)
{
    for (size_t i = 0; i < spec->n; i++) {
        int known = 0;
        for (const char *const *o = field_options; *o; o++)
            known |= strcmp(*o, spec->members[i].key) == 0;
        if (!known)
            return bad(l, spec->members[i].value, "unknown option", spec->members[i].key);
    }
    return 0;
}

/* The source of a field spec object: column, columns, const, sequence or lookup. */
static int load_source(struct loader *l, const struct jval *spec, struct field_map *f)
{
    const char *sequence = NULL;
    int rc = opt_string(l, spec, "column", &f->column);
    if (rc == 0)
        rc = opt_string(l, spec, "const", &f->constant);
    if (rc == 0)
        rc = opt_string(l, spec, "sequence", &sequence);
    if (rc)
        return rc;
    f->source = f->column ? MAP_COLUMN : f->constant ? MAP_CONST : MAP_NONE;
    if (sequence) {
        f->source = MAP_SEQUENCE;
        f->column = sequence;
    }
    if (jval_get(spec, "columns")) {
        rc = load_columns(l, jval_get(spec, "columns"), f);
        if (rc == 0)
            rc = opt_string(l, spec, "separator", &f->separator);
    }
    if (rc == 0 && jval_get(spec, "lookup"))
        rc = load_lookup(l, jval_get(spec, "lookup"), f);
    return rc;
}

static int load_field(struct loader *l, const struct jval *spec, struct field_map *f)
{
    memset(f, 0, sizeof(*f));
    f->decimal = '.';
    if (spec->type == JVAL_STRING) {
        f->source = MAP_COLUMN;
        f->column = copy(l, spec->text);
        return 0;
    }
    if (spec->type != JVAL_OBJECT)
        return bad(l, spec, "a field is a column name or an object", NULL);
    int rc = check_option_names(l, spec);
    if (rc == 0)
        rc = load_source(l, spec, f);
    if (rc == 0)
        rc = opt_string(l, spec, "default", &f->default_value);
    if (rc == 0)
        rc = opt_bool(l, spec, "keep_spaces", &f->keep_spaces);
    if (rc == 0)
        rc = opt_string(l, spec, "if_present", &f->if_present);
    if (rc == 0)
        rc = opt_string(l, spec, "if_empty", &f->if_empty);
    if (rc == 0)
        rc = load_value_map(l, jval_get(spec, "map"), f);
    if (rc == 0)
        rc = opt_string(l, spec, "else", &f->map_else);
    if (rc == 0)
        rc = opt_string(l, spec, "date_format", &f->date_format);
    if (rc == 0)
        rc = opt_char(l, spec, "decimal", &f->decimal);
    if (rc == 0)
        rc = opt_char(l, spec, "thousands", &f->thousands);
    if (rc == 0)
        rc = opt_bool(l, spec, "percent", &f->percent);
    if (rc == 0 && f->source == MAP_NONE && !f->default_value)
        rc = bad(l, spec, "a field needs column, columns, const, sequence or default", NULL);
    return rc;
}

static int load_fields(struct loader *l, const struct jval *fields, struct map_entry *e)
{
    if (!fields || fields->type != JVAL_OBJECT)
        return bad(l, fields, "an entry needs an object", "fields");
    for (size_t i = 0; i < fields->n; i++) {
        const char *name = fields->members[i].key;
        int idx = import_field_find(e->kind, name);
        if (idx < 0) {
            char what[96];
            snprintf(what, sizeof(what), "%s has no field", import_kinds[e->kind].name);
            return bad(l, fields->members[i].value, what, name);
        }
        int rc = load_field(l, fields->members[i].value, &e->fields[idx]);
        if (rc)
            return rc;
    }
    return 0;
}

static int load_entry(struct loader *l, const struct jval *obj, struct map_entry *e)
{
    const char *kind = NULL;
    memset(e, 0, sizeof(*e));
    if (obj->type != JVAL_OBJECT)
        return bad(l, obj, "an entry is an object", NULL);
    int rc = opt_string(l, obj, "kind", &kind);
    if (rc)
        return rc;
    int k = kind ? import_kind_find(kind) : -1;
    if (k < 0)
        return bad(l, obj, "unknown or missing kind", kind);
    e->kind = (enum import_kind)k;
    rc = opt_string(l, obj, "file", &e->file);
    if (rc == 0)
        rc = opt_string(l, obj, "sheet", &e->sheet);
    return rc ? rc : load_fields(l, jval_get(obj, "fields"), e);
}

static int load_root(struct loader *l, const struct jval *root)
{
    struct mapping *m = l->m;
    if (root->type != JVAL_OBJECT)
        return bad(l, root, "a mapping is a JSON object", NULL);
    int rc = opt_string(l, root, "name", &m->name);
    if (rc == 0)
        rc = opt_string(l, root, "description", &m->description);
    if (rc == 0)
        rc = opt_string(l, root, "source", &m->source);
    if (rc == 0)
        rc = opt_string(l, root, "reference", &m->reference);
    const struct jval *entries = jval_get(root, "entries");
    if (rc == 0 && (!entries || entries->type != JVAL_ARRAY || entries->n == 0))
        rc = bad(l, root, "a mapping needs a non-empty array", "entries");
    if (rc)
        return rc;
    m->entries = arena_alloc(&m->arena, entries->n * sizeof(*m->entries));
    for (size_t i = 0; rc == 0 && i < entries->n; i++)
        rc = load_entry(l, entries->items[i], &m->entries[i]);
    m->n_entries = entries->n;
    if (!m->name)
        m->name = copy(l, l->name);
    if (!m->source)
        m->source = m->name;
    return rc;
}

int mapping_load(struct mapping *m, const char *text, size_t len, const char *name,
                 struct sd_error *err)
{
    memset(m, 0, sizeof(*m));
    arena_init(&m->arena, 0);
    struct loader l = {m, name, err};
    struct jval *root = NULL;
    int rc = jval_parse(text, len, name, MAPPING_MAX_DEPTH, &m->arena, &root, err);
    if (rc == 0)
        rc = load_root(&l, root);
    if (rc)
        mapping_release(m);
    return rc;
}

int mapping_load_file(struct mapping *m, const char *path, struct sd_error *err)
{
    struct strbuf text = STRBUF_INIT;
    char chunk[65536];
    size_t n;
    memset(m, 0, sizeof(*m));
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return sd_error_set(err, SD_EIO, "cannot read mapping '%s': %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0 && text.len <= MAPPING_MAX_BYTES)
        strbuf_add(&text, chunk, n);
    int failed = ferror(fp);
    fclose(fp);
    int rc = failed ? sd_error_set(err, SD_EIO, "cannot read mapping '%s'", path)
             : text.len > MAPPING_MAX_BYTES
                 ? sd_error_set(err, SD_ELIMIT, "mapping '%s' is larger than %u bytes", path,
                                MAPPING_MAX_BYTES)
                 : mapping_load(m, text.buf, text.len, path, err);
    strbuf_release(&text);
    return rc;
}

/* The native preset: every kind, its file named after it, every column named like its field. */
static void native_preset(struct mapping *m)
{
    memset(m, 0, sizeof(*m));
    arena_init(&m->arena, 0);
    m->name = "native";
    m->description = "Salesdesk's own CSV/XLSX/JSON layout (DESIGN.md), one file per kind";
    m->source = "";
    m->entries = arena_alloc(&m->arena, KIND_COUNT * sizeof(*m->entries));
    memset(m->entries, 0, KIND_COUNT * sizeof(*m->entries));
    m->n_entries = KIND_COUNT;
    for (int k = 0; k < KIND_COUNT; k++) {
        struct map_entry *e = &m->entries[k];
        e->kind = (enum import_kind)k;
        e->file = import_kinds[k].name;
        for (int i = 0; i < import_kinds[k].n_fields; i++) {
            e->fields[i].source = MAP_COLUMN;
            e->fields[i].column = import_kinds[k].fields[i].name;
            e->fields[i].decimal = '.';
            e->fields[i].optional_column = !import_kinds[k].fields[i].required;
        }
    }
}

int mapping_preset(struct mapping *m, const char *name, struct sd_error *err)
{
    if (strcmp(name, "native") == 0) {
        native_preset(m);
        return 0;
    }
    for (size_t i = 0; i < mapping_preset_files_count; i++) {
        if (strcmp(mapping_preset_files[i].name, name) == 0)
            return mapping_load(m, mapping_preset_files[i].text,
                                strlen(mapping_preset_files[i].text), name, err);
    }
    struct strbuf names = STRBUF_INIT;
    strbuf_addstr(&names, "native");
    for (size_t i = 0; i < mapping_preset_files_count; i++)
        strbuf_addf(&names, ", %s", mapping_preset_files[i].name);
    sd_error_set(err, SD_ENOTFOUND, "no preset '%s' (presets: %s)", name, names.buf);
    strbuf_release(&names);
    return SD_ENOTFOUND;
}

void mapping_release(struct mapping *m)
{
    arena_release(&m->arena);
    memset(m, 0, sizeof(*m));
}

size_t mapping_preset_list(struct arena *arena, struct mapping_preset_info **out)
{
    size_t n = 1 + mapping_preset_files_count;
    struct mapping_preset_info *infos = arena_alloc(arena, n * sizeof(*infos));
    infos[0] = (struct mapping_preset_info){"native", "Salesdesk's own layout (DESIGN.md)"};
    for (size_t i = 0; i < mapping_preset_files_count; i++) {
        struct mapping m;
        const char *text = mapping_preset_files[i].text;
        infos[i + 1].name = mapping_preset_files[i].name;
        infos[i + 1].description = "";
        if (mapping_load(&m, text, strlen(text), mapping_preset_files[i].name, NULL) == 0) {
            if (m.description)
                infos[i + 1].description =
                    arena_strndup(arena, m.description, strlen(m.description));
            mapping_release(&m);
        }
    }
    *out = infos;
    return n;
}

const struct map_entry *mapping_entry(const struct mapping *m, enum import_kind kind,
                                      const char *file)
{
    const struct map_entry *any = NULL;
    for (size_t i = 0; i < m->n_entries; i++) {
        const struct map_entry *e = &m->entries[i];
        if (e->kind != kind)
            continue;
        if (!file || !e->file || strcmp(e->file, file) == 0)
            return e;
        if (!any)
            any = e;
    }
    return file ? NULL : any;
}
