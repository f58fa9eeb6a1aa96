/* SPDX-License-Identifier: MIT */
/*
 * fuzz-xlsx: libFuzzer target for the XLSX reader. Any input, read with tight
 * limits, must come back as 0 or a status with a message, without a sanitizer
 * report, and every record must keep the contract of record.h (n_values
 * within the columns, dates and numbers as plain text). The input is the
 * workbook as it is (the corpus holds copies of the fixtures); its size picks
 * the sheet asked for (none, by number, by name).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/xlsx.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int only_chars(const char *s, size_t len, const char *allowed)
{
    for (size_t i = 0; i < len; i++) {
        if (!strchr(allowed, s[i]) || s[i] == '\0')
            return 0;
    }
    return 1;
}

static int check_record(void *ctx, const struct ingest_record *rec, struct sd_error *err)
{
    size_t *count = ctx;
    (void)err;
    if (rec->n_values > rec->columns->n || rec->row < 2 || rec->row > 1048576)
        abort();
    for (size_t i = 0; i < rec->columns->n; i++) {
        if (!rec->columns->names[i] || !rec->columns->names[i][0])
            abort();
    }
    for (size_t i = 0; i < rec->n_values; i++) {
        const struct ingest_value *v = &rec->values[i];
        if (v->len && !v->data)
            abort();
        if ((v->kind == INGEST_EMPTY) != (v->len == 0))
            abort();
        if (v->kind == INGEST_NUMBER && !only_chars(v->data, v->len, "0123456789-.e"))
            abort();
        if (v->kind == INGEST_DATE &&
            ((v->len != 10 && v->len != 19) || !only_chars(v->data, v->len, "0123456789-T:")))
            abort();
    }
    /* stop early now and then, as a sink would */
    return ++*count == 50 ? SD_ECONFLICT : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const sheets[] = {NULL, "1", "2", "Sheet1", "Lines", "nope"};
    struct xlsx_options opt;
    struct sd_error err = {0};
    size_t count = 0;
    xlsx_options_init(&opt);
    opt.sheet = sheets[size % (sizeof(sheets) / sizeof(sheets[0]))];
    opt.limits.max_field_bytes = 4096;
    opt.limits.max_columns = 64;
    opt.limits.max_rows = 1000;
    opt.limits.max_decompressed_bytes = 8u << 20;
    opt.limits.max_compression_ratio = 100;
    int rc = xlsx_read_buffer(data, size, "fuzz.xlsx", &opt, check_record, &count, &err);
    if (rc != 0 && err.message[0] == '\0')
        abort();
    return 0;
}
