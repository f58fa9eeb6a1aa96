/* SPDX-License-Identifier: MIT */
/*
 * lines: the staged order lines grouped by order, and their duplicate keys.
 *
 * Lines are most of a large import (ten million in the large demo). Checking
 * their keys (order, line) in a hash map as they were read took a third of
 * the reading time and 400 MB; grouping them instead costs a counting sort by
 * order (one map look-up per run of lines of the same order: the order ids on
 * consecutive lines are one interned string) and a sort by line number within
 * each order. The groups then serve apply.c as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "ingest/load-int.h"
#include "base/banned.h"

enum { LINE_ORDER = 0, LINE_NO = 1 };

#define NO_ORDER SIZE_MAX

/* The staged order a line belongs to (its index), or NO_ORDER when only the store has it. */
static size_t order_of(const struct run *r, const struct staged_row *line, const char **last,
                       size_t *last_index)
{
    const char *key = line->cells[LINE_ORDER].s;
    int64_t found = 0;
    if (key == *last)
        return *last_index;
    *last = key;
    *last_index = hashmap_get(&r->keys[KIND_ORDERS], key, strlen(key), &found)
                      ? (size_t)found - 1
                      : NO_ORDER;
    return *last_index;
}

static int compare_lines(const void *a, const void *b, void *ctx)
{
    const struct run *r = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const struct staged_row *x = run_row(r, KIND_LINES, i), *y = run_row(r, KIND_LINES, j);
    int by_order = x->cells[LINE_ORDER].s == y->cells[LINE_ORDER].s
                       ? 0
                       : strcmp(x->cells[LINE_ORDER].s, y->cells[LINE_ORDER].s);
    if (by_order)
        return by_order;
    int64_t u = x->cells[LINE_NO].i, v = y->cells[LINE_NO].i;
    if (u != v)
        return (u > v) - (u < v);
    return (i > j) - (i < j); /* the first in the file first */
}

/* Sorts rows[0..n) by order key, line number and file position. */
static void sort_lines(struct run *r, size_t *rows, size_t n)
{
    if (n < 2)
        return;
    if (n > 8) {
        qsort_r(rows, n, sizeof(*rows), compare_lines, r);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        size_t row = rows[i], j = i;
        for (; j > 0 && compare_lines(&rows[j - 1], &row, r) > 0; j--)
            rows[j] = rows[j - 1];
        rows[j] = row;
    }
}

/* Counting sort by staged order; lines of orders only in the store go last. */
static void distribute(struct run *r, struct line_groups *g, size_t n_orders)
{
    const char *last = NULL;
    size_t last_index = NO_ORDER;
    size_t *count = xcalloc(n_orders + 1, sizeof(*count));
    for (size_t i = 0; i < g->n; i++) {
        size_t o = order_of(r, run_row(r, KIND_LINES, i), &last, &last_index);
        count[o == NO_ORDER ? n_orders : o]++;
    }
    size_t pos = 0;
    for (size_t o = 0; o <= n_orders; o++) {
        g->start[o] = pos;
        pos += count[o];
        count[o] = g->start[o]; /* from here on: the next free position */
    }
    last = NULL;
    last_index = NO_ORDER;
    for (size_t i = 0; i < g->n; i++) {
        size_t o = order_of(r, run_row(r, KIND_LINES, i), &last, &last_index);
        g->rows[count[o == NO_ORDER ? n_orders : o]++] = i;
    }
    free(count);
}

static void report_duplicate(struct run *r, const struct staged_row *first,
                             const struct staged_row *again)
{
    char msg[SD_ERROR_MSG_MAX];
    snprintf(msg, sizeof(msg), "%s:%ld: duplicate lines key '%s/%lld' (first at %s:%ld)",
             r->file_names[again->file], again->row, again->cells[LINE_ORDER].s,
             (long long)again->cells[LINE_NO].i, r->file_names[first->file], first->row);
    run_issue(r, r->file_names[again->file], again->row, msg);
    r->report->kinds[KIND_LINES].rejected++;
}

/* Marks (in `drop`) and reports each line whose (order, line) came earlier in the file. */
static size_t find_duplicates(struct run *r, const struct line_groups *g, char *drop)
{
    size_t found = 0, run_first = 0;
    for (size_t p = 1; p < g->n; p++) {
        const struct staged_row *prev = run_row(r, KIND_LINES, g->rows[p - 1]);
        const struct staged_row *row = run_row(r, KIND_LINES, g->rows[p]);
        if (prev->cells[LINE_NO].i != row->cells[LINE_NO].i ||
            strcmp(prev->cells[LINE_ORDER].s, row->cells[LINE_ORDER].s) != 0) {
            run_first = p;
            continue;
        }
        report_duplicate(r, run_row(r, KIND_LINES, g->rows[run_first]), row);
        drop[g->rows[p]] = 1;
        found++;
    }
    return found;
}

/* Drops the marked rows from the staged lines, keeping the others in file order. */
static void drop_rows(struct run *r, const char *drop)
{
    struct vec *v = &r->staged[KIND_LINES];
    size_t kept = 0;
    for (size_t i = 0; i < v->len; i++) {
        if (drop[i])
            continue;
        if (kept != i)
            memcpy(vec_at(v, kept), vec_at(v, i), v->elem_size);
        kept++;
    }
    v->len = kept;
}

void line_groups_release(struct line_groups *g)
{
    free(g->rows);
    free(g->start);
    memset(g, 0, sizeof(*g));
}

void line_groups_build(struct run *r)
{
    struct line_groups *g = &r->lines;
    size_t n_orders = r->staged[KIND_ORDERS].len;
    line_groups_release(g);
    g->n = r->staged[KIND_LINES].len;
    g->rows = xmalloc((g->n ? g->n : 1) * sizeof(*g->rows));
    g->start = xmalloc((n_orders + 1) * sizeof(*g->start));
    distribute(r, g, n_orders);
    for (size_t o = 0; o < n_orders; o++)
        sort_lines(r, g->rows + g->start[o], g->start[o + 1] - g->start[o]);
    sort_lines(r, g->rows + g->start[n_orders], g->n - g->start[n_orders]);
    char *drop = xcalloc(g->n ? g->n : 1, 1);
    if (find_duplicates(r, g, drop)) {
        /* The import is rejected: the groups are not needed, only the issues. */
        drop_rows(r, drop);
        line_groups_release(g);
    }
    free(drop);
}
