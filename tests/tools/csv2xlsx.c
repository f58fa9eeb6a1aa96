/* SPDX-License-Identifier: MIT */
/*
 * csv2xlsx CSV XLSX: writes a CSV file as a workbook with libxlsxwriter, the
 * way an ERP's Excel export would: numbers as number cells, ISO dates as
 * date cells (format yyyy-mm-dd), everything else as strings, empty fields as
 * missing cells. The integration tests import the result and the CSV and
 * compare the stores.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "base/date.h"
#include "ingest/csv.h"
#include "base/banned.h"

struct sheet {
    lxw_worksheet *ws;
    lxw_format *date;
    int header_done;
};

/* A plain decimal number without leading zeros (so "007" stays text). */
static int is_number(const char *s, size_t len)
{
    size_t i = s[0] == '-' ? 1 : 0;
    int digits = 0, dot = 0;
    if (i >= len || (s[i] == '0' && i + 1 < len && s[i + 1] != '.'))
        return 0;
    for (; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '.' && !dot)
            dot = 1;
        else
            return 0;
    }
    return digits > 0;
}

static void write_cell(struct sheet *sh, int row, int col, const struct ingest_value *v)
{
    char text[4096];
    int32_t day;
    if (v->kind == INGEST_EMPTY || v->len == 0 || v->len >= sizeof(text))
        return;
    memcpy(text, v->data, v->len);
    text[v->len] = '\0';
    if (is_number(text, v->len)) {
        worksheet_write_number(sh->ws, (lxw_row_t)row, (lxw_col_t)col, strtod(text, NULL), NULL);
    } else if (v->len == 10 && date_parse(text, v->len, &day, NULL) == 0) {
        int y, m, d;
        date_to_civil(day, &y, &m, &d);
        lxw_datetime dt = {y, m, d, 0, 0, 0};
        worksheet_write_datetime(sh->ws, (lxw_row_t)row, (lxw_col_t)col, &dt, sh->date);
    } else {
        worksheet_write_string(sh->ws, (lxw_row_t)row, (lxw_col_t)col, text, NULL);
    }
}

static int on_record(void *ctx, const struct ingest_record *rec, struct sd_error *err)
{
    struct sheet *sh = ctx;
    (void)err;
    if (!sh->header_done) {
        for (size_t c = 0; c < rec->columns->n; c++)
            worksheet_write_string(sh->ws, 0, (lxw_col_t)c, rec->columns->names[c], NULL);
        sh->header_done = 1;
    }
    for (size_t c = 0; c < rec->n_values; c++)
        write_cell(sh, (int)rec->row - 1, (int)c, &rec->values[c]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: csv2xlsx CSV XLSX\n");
        return 2;
    }
    lxw_workbook *wb = workbook_new(argv[2]);
    struct sheet sh = {.ws = workbook_add_worksheet(wb, NULL), .date = workbook_add_format(wb)};
    format_set_num_format(sh.date, "yyyy-mm-dd");
    struct csv_options opt;
    struct sd_error err = {0};
    csv_options_init(&opt);
    int rc = csv_read_file(argv[1], argv[1], &opt, on_record, &sh, &err);
    if (rc)
        fprintf(stderr, "csv2xlsx: %s\n", err.message);
    if (workbook_close(wb) != LXW_NO_ERROR) {
        fprintf(stderr, "csv2xlsx: cannot write %s\n", argv[2]);
        rc = 1;
    }
    return rc ? 1 : 0;
}
