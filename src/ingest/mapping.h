/* SPDX-License-Identifier: MIT */
/*
 * mapping: how the columns of someone else's export become the native fields
 * of DESIGN.md. A mapping is a list of entries, each for one import kind and
 * (in a bundle) one file; each entry says, per native field, where its value
 * comes from and how to transform it. Mappings are JSON (docs/import.md has
 * the format); presets are the same JSON compiled into the binary.
 *
 * A field's value is built in this order: source (a column, several columns
 * joined, a constant, a running number within a group, or a look-up in
 * another file of the bundle) → trim → presence map (if_present/if_empty) →
 * value map → default. The typed parse (dates with a format, decimal comma,
 * thousands separators, percentages) follows in validate.c.
 *
 * Memory: everything a mapping holds lives in its arena.
 */
#ifndef SD_INGEST_MAPPING_H
#define SD_INGEST_MAPPING_H

#include <stddef.h>

#include "base/arena.h"
#include "base/error.h"
#include "ingest/kinds.h"

enum map_source {
    MAP_NONE,     /* not mapped: the field stays empty (or takes its default) */
    MAP_COLUMN,   /* one column */
    MAP_JOIN,     /* several columns joined by `separator`, empty ones left out */
    MAP_CONST,    /* a constant */
    MAP_SEQUENCE, /* 1, 2, 3... within each value of `column` (line numbers) */
    MAP_LOOKUP,   /* `column`'s value looked up in another file of the bundle */
};

struct value_pair {
    const char *from;
    const char *to;
};

struct field_map {
    enum map_source source;
    const char *column;
    const char **columns; /* MAP_JOIN */
    size_t n_columns;
    const char *separator;
    const char *constant;
    const char *default_value;
    int keep_spaces;             /* 0: values are trimmed */
    int optional_column;         /* a missing column means empty values (native optional fields) */
    const char *if_present;      /* presence map: the value when the source is not empty */
    const char *if_empty;        /* ... and when it is */
    struct value_pair *map;      /* value map, exact match after trimming */
    size_t n_map;
    const char *map_else;        /* a value not in the map: this, or (NULL) an error */
    const char *date_format;     /* NULL: ISO 8601; "excel": a serial; else %Y %m %d %H %M %S %y %b */
    char decimal;                /* decimal mark: '.' (default) or ',' */
    char thousands;              /* thousands separator to drop, or 0 */
    int percent;                 /* plain numbers are percentages (5 → 0.05) */
    const char *lookup_file;     /* MAP_LOOKUP: file (bundle name without extension) */
    const char *lookup_key;      /* its key column */
    const char *lookup_value;    /* its value column */
};

struct map_entry {
    enum import_kind kind;
    const char *file;  /* bundle file name without extension; NULL: any file */
    const char *sheet; /* XLSX sheet; NULL: the first */
    struct field_map fields[KIND_MAX_FIELDS]; /* indexed like import_kinds[kind].fields */
};

struct mapping {
    const char *name;
    const char *description;
    const char *source; /* written to (source, ext_id); "" for the native preset */
    const char *reference; /* where the preset's column names were taken from */
    struct map_entry *entries;
    size_t n_entries;
    struct arena arena;
};

/* Parses mapping JSON (`name` in messages); unknown kinds, fields and options are errors. */
int mapping_load(struct mapping *m, const char *text, size_t len, const char *name,
                 struct sd_error *err);
/* Reads and parses a mapping file. */
int mapping_load_file(struct mapping *m, const char *path, struct sd_error *err);
/* A built-in preset by name ("native", "northwind"...); SD_ENOTFOUND lists the names. */
int mapping_preset(struct mapping *m, const char *name, struct sd_error *err);
void mapping_release(struct mapping *m);

/* The built-in presets, for --list-presets. */
struct mapping_preset_info {
    const char *name;
    const char *description;
};
/* Lists the built-in presets into `arena`; returns how many. */
size_t mapping_preset_list(struct arena *arena, struct mapping_preset_info **out);

/* The entry for `kind` (and, when file is not NULL and entries name files, that file); NULL if none. */
const struct map_entry *mapping_entry(const struct mapping *m, enum import_kind kind,
                                      const char *file);

#endif
