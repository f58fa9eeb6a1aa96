/* SPDX-License-Identifier: MIT */
/*
 * test-validate: typed parsing of import values (validate_value), data-driven
 * from tests/data/validate/values.tsv: each row names a field type, mapping
 * options and an input, and the expected integer, text or error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "case-file.h"
#include "ingest/validate.h"
#include "base/banned.h"

static const char *const order_statuses[] = {"draft",   "pending", "confirmed", "on_hold",
                                             "shipped", "invoiced", "paid",     "cancelled",
                                             "returned", NULL};

/* A field definition of `type` with no range, as the kinds table would give. */
static struct field_def field_of_type(const char *type)
{
    static const struct {
        const char *name;
        enum field_type type;
    } types[] = {
        {"money", FT_MONEY}, {"int", FT_INT},   {"discount", FT_DISCOUNT},
        {"percent", FT_PERCENT}, {"date", FT_DATE}, {"timestamp", FT_TIMESTAMP},
        {"rate", FT_RATE},   {"enum", FT_ENUM}, {"period", FT_PERIOD},
    };
    struct field_def def = {.name = type};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(types[i].name, type) == 0)
            def.type = types[i].type;
    }
    if (def.type == FT_ENUM)
        def.values = order_statuses;
    if (def.type == FT_DATE) {
        def.min = -25567; /* 1900-01-01 */
        def.max = 47482;  /* 2099-12-31 */
    }
    return def;
}

/* Options as "decimal=,;thousands=.;percent;date=FORMAT" into a field map. */
static void options_of(const char *text, struct field_map *map, char *storage)
{
    memset(map, 0, sizeof(*map));
    map->decimal = '.';
    if (strcmp(text, "none") == 0)
        return;
    snprintf(storage, CASE_TEXT_MAX, "%s", text);
    for (char *opt = storage; opt && *opt;) {
        char *next = strchr(opt, ';');
        if (next)
            *next++ = '\0';
        if (strncmp(opt, "decimal=", 8) == 0)
            map->decimal = opt[8];
        else if (strncmp(opt, "thousands=", 10) == 0)
            map->thousands = opt[10];
        else if (strcmp(opt, "percent") == 0)
            map->percent = 1;
        else if (strncmp(opt, "date=", 5) == 0)
            map->date_format = opt + 5;
        else
            fail_msg("unknown option '%s'", opt);
        opt = next;
    }
}

static void check_case(struct case_file *cf)
{
    char options[CASE_TEXT_MAX], storage[CASE_TEXT_MAX], input[CASE_TEXT_MAX];
    char expected[CASE_TEXT_MAX];
    struct field_map map;
    struct field_def def = field_of_type(case_field(cf, "type"));
    case_text(cf, "options", options);
    options_of(options, &map, storage);
    size_t len = case_text(cf, "input", input);
    case_text(cf, "expected", expected);
    struct typed_value v;
    struct sd_error err = {0};
    int rc = validate_value(&def, &map, input, len, 1, &v, &err);
    if (strncmp(expected, "error: ", 7) == 0) {
        if (rc != SD_EINVAL || !strstr(err.message, expected + 7))
            case_fail(cf, "'%s': expected an error with '%s', got %d '%s'", input, expected + 7,
                      rc, err.message);
    } else if (rc != 0) {
        case_fail(cf, "'%s': expected %s, got error '%s'", input, expected, err.message);
    } else if (strncmp(expected, "text: ", 6) == 0) {
        if (strlen(expected + 6) != v.len || strncmp(v.s, expected + 6, v.len) != 0)
            case_fail(cf, "'%s': expected text '%s', got '%.*s'", input, expected + 6, (int)v.len,
                      v.s);
    } else if (strtoll(expected, NULL, 10) != v.i) {
        case_fail(cf, "'%s': expected %s, got %" PRId64, input, expected, v.i);
    }
}

static void test_values(void **state)
{
    (void)state;
    struct case_file cf;
    case_open(&cf, "validate/values.tsv");
    while (case_next(&cf))
        check_case(&cf);
    case_close(&cf);
    assert_true(cf.rows >= 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_values)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
