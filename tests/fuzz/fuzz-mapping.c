/* SPDX-License-Identifier: MIT */
/*
 * fuzz-mapping: libFuzzer target for mapping files: the JSON document parser
 * (base/jval.c) and the mapping loader on top of it. Any input must load or be
 * rejected without a sanitizer report; a loaded mapping's entries must name
 * real kinds and fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/mapping.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entries(const struct mapping *m)
{
    for (size_t i = 0; i < m->n_entries; i++) {
        const struct map_entry *e = &m->entries[i];
        if ((unsigned)e->kind >= KIND_COUNT)
            abort();
        for (int f = import_kinds[e->kind].n_fields; f < KIND_MAX_FIELDS; f++) {
            if (e->fields[f].source != MAP_NONE)
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy, so that reads past `size` are caught. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    struct mapping m;
    if (mapping_load(&m, text, size, "fuzz.json", NULL) == 0) {
        check_entries(&m);
        mapping_release(&m);
    }
    free(text);
    return 0;
}
