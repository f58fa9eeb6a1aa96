/* SPDX-License-Identifier: MIT */
/*
 * fuzz-validate: libFuzzer target for the typed parsing of import values
 * (ingest/validate.c): every field type, with mapping options (decimal mark,
 * thousands separator, percent, a date format) chosen by the first bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/validate.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const formats[] = {NULL, "excel", "%d.%m.%Y", "%m/%d/%y %H:%M", "%e %b %Y",
                                      "%Y%m%d%H%M%S", "%"};
static const char *const values[] = {"a", "b", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct field_def def = {.name = "f", .type = (enum field_type)(data[0] % (FT_PERIOD + 1)),
                            .values = values, .min = -100000, .max = 100000};
    struct field_map map = {.decimal = data[1] & 1 ? ',' : '.',
                            .thousands = data[1] & 2 ? '.' : 0,
                            .percent = (data[1] >> 2) & 1,
                            .date_format = formats[(data[1] >> 3) % 7]};
    if (map.thousands == map.decimal)
        map.thousands = 0;
    size_t len = size - 2;
    char *text = malloc(len ? len : 1);
    if (!text)
        return 0;
    memcpy(text, data + 2, len);
    struct typed_value v;
    validate_value(&def, &map, text, len, 1 + data[1] % 12, &v, NULL);
    free(text);
    return 0;
}
