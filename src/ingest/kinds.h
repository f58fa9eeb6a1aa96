/* SPDX-License-Identifier: MIT */
/*
 * kinds: the native import kinds of DESIGN.md (accounts, reps, products,
 * stock, orders, lines, invoices, opportunities, stages, requests, quotas, fx)
 * as a table: each kind's fields with their type, whether they are required,
 * allowed values, ranges and what they refer to. Validation, mappings, the
 * native CSV preset, error messages and `--help` all read this table.
 */
#ifndef SD_INGEST_KINDS_H
#define SD_INGEST_KINDS_H

#include <stdint.h>

/* In dependency order: a kind refers only to kinds before it (and reps to reps). */
enum import_kind {
    KIND_REPS,
    KIND_ACCOUNTS,
    KIND_PRODUCTS,
    KIND_STOCK,
    KIND_ORDERS,
    KIND_LINES,
    KIND_INVOICES,
    KIND_OPPORTUNITIES,
    KIND_STAGES,
    KIND_REQUESTS,
    KIND_QUOTAS,
    KIND_FX,
    KIND_COUNT
};

enum field_type {
    FT_TEXT,      /* trimmed UTF-8 */
    FT_ID,        /* a key or a reference: non-empty text */
    FT_MONEY,     /* exact decimal, 4 places */
    FT_DISCOUNT,  /* a fraction 0..1 ("0.05" or "5%"), millionths */
    FT_PERCENT,   /* a percentage 0..100 ("10" or "10%"), millionths of 1 */
    FT_INT,       /* whole number */
    FT_DATE,      /* day */
    FT_TIMESTAMP, /* ms UTC */
    FT_ENUM,      /* one of `values` */
    FT_RATE,      /* exact decimal, 8 places (fx) */
    FT_PERIOD,    /* a period as DESIGN.md writes it */
};

struct field_def {
    const char *name;
    enum field_type type;
    int required;
    const char *const *values; /* FT_ENUM: NULL-terminated */
    int refers;                /* enum import_kind + 1 the value refers to; 0: none */
    int64_t min;               /* FT_INT/FT_MONEY ranges in their units; min == max: none */
    int64_t max;
};

#define KIND_MAX_FIELDS 16
#define KIND_MAX_KEY 3

struct kind_def {
    const char *name;          /* "orders": the CLI word and the native file name */
    const char *one;           /* "order": one row, for messages */
    const struct field_def *fields;
    int n_fields;
    int key[KIND_MAX_KEY];     /* indexes of the key fields, -1 after the last */
};

extern const struct kind_def import_kinds[KIND_COUNT];

/* The kind called `name`; -1 when there is none. */
int import_kind_find(const char *name);
/* Index of field `name` in kind `k`, or -1. */
int import_field_find(enum import_kind k, const char *name);

#endif
