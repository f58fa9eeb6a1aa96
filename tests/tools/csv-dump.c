/* SPDX-License-Identifier: MIT */
/*
 * csv-dump FILE: reads a CSV file with csv_read_file (default options) and
 * prints its records as a JSON array of objects, the header names as keys in
 * header order, every value a string ("" for an empty one). Exit 0; 3 with
 * the reader's message on stderr when it rejects the file; 2 on misuse. The
 * integration tests drive it (SD_TOOL_CSV_DUMP).
 */
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "ingest/csv.h"

#include "base/banned.h"

struct dump {
    struct strbuf out;
    struct json_writer json;
};

static int dump_record(void *ctx, const struct ingest_record *rec, struct sd_error *err)
{
    struct dump *d = ctx;

    (void)err;
    json_object_begin(&d->json);
    for (size_t i = 0; i < rec->columns->n; i++) {
        json_key(&d->json, rec->columns->names[i]);
        if (i < rec->n_values)
            json_string_n(&d->json, rec->values[i].data, rec->values[i].len);
        else
            json_null(&d->json);
    }
    json_object_end(&d->json);
    return 0;
}

int main(int argc, char **argv)
{
    struct dump d;
    struct csv_options opt;
    struct sd_error err = {0};

    if (argc != 2) {
        fprintf(stderr, "usage: csv-dump FILE\n");
        return 2;
    }
    strbuf_init(&d.out, 0);
    json_writer_init(&d.json, &d.out, 1);
    csv_options_init(&opt);
    json_array_begin(&d.json);
    int rc = csv_read_file(argv[1], NULL, &opt, dump_record, &d, &err);
    json_array_end(&d.json);
    if (rc != 0) {
        fprintf(stderr, "csv-dump: %s\n", err.message);
        strbuf_release(&d.out);
        return 3;
    }
    strbuf_addch(&d.out, '\n');
    int ok = fwrite(d.out.buf, 1, d.out.len, stdout) == d.out.len && fflush(stdout) == 0;
    strbuf_release(&d.out);
    return ok ? 0 : 1;
}
