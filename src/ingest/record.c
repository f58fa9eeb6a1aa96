/* SPDX-License-Identifier: MIT */
/* record: defaults shared by the input readers (see record.h). */
#include <string.h>
#include <strings.h>

#include "ingest/record.h"
#include "base/banned.h"

const struct ingest_limits ingest_default_limits = {
    .max_field_bytes = 1u << 20,
    .max_columns = 1000,
    .max_rows = 100000000,
    .max_decompressed_bytes = (size_t)4 << 30,
    .max_compression_ratio = 200,
    .max_depth = 32,
};

int ingest_encoding_parse(const char *name, enum ingest_encoding *out)
{
    static const struct {
        const char *name;
        enum ingest_encoding encoding;
    } names[] = {
        {"auto", INGEST_ENC_AUTO},           {"utf-8", INGEST_ENC_UTF8},
        {"utf8", INGEST_ENC_UTF8},           {"windows-1252", INGEST_ENC_CP1252},
        {"cp1252", INGEST_ENC_CP1252},       {"iso-8859-1", INGEST_ENC_LATIN1},
        {"latin1", INGEST_ENC_LATIN1},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].encoding;
            return 0;
        }
    }
    return SD_EINVAL;
}

int ingest_delimiter_parse(const char *name, char *out)
{
    if (strcmp(name, "tab") == 0 || strcmp(name, "\\t") == 0)
        *out = '\t';
    else if (strlen(name) == 1 && strchr(",;|\t", name[0]))
        *out = name[0];
    else
        return SD_EINVAL;
    return 0;
}
