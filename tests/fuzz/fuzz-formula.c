/* SPDX-License-Identifier: MIT */
/*
 * fuzz-formula: libFuzzer target for the KPI formula parser and evaluator.
 * Any input must be rejected (with a status, a message and a column inside
 * the text) or accepted without a sanitizer report. An accepted formula is
 * evaluated with values derived from the input (ordinary amounts, zeros,
 * extremes, none, and the odd callback failure); every value it asks for must
 * be one of formula_needs, and its normalised text must parse back to a
 * formula that prints and evaluates the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "engine/formula.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"revenue", "cost", "orders", "margin", "a", "b1", "_x"};
#define NAME_COUNT (sizeof(names) / sizeof(names[0]))

struct values {
    uint64_t seed;
    const struct formula *f;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return x;
}

static int is_need(const struct formula *f, int measure, struct formula_shift shift)
{
    size_t count = 0;
    const struct formula_need *needs = formula_needs(f, &count);

    for (size_t i = 0; i < count; i++) {
        if (needs[i].measure == measure && needs[i].shift.prev == shift.prev &&
            needs[i].shift.years == shift.years)
            return 1;
    }
    return 0;
}

static int answer(void *ctx, int measure, struct formula_shift shift, int64_t *value,
                  struct sd_error *err)
{
    const struct values *v = ctx;
    uint64_t h = mix(v->seed ^ (uint64_t)(measure + 2) * 1000003u ^ (uint64_t)shift.prev * 7919u ^
                     (uint64_t)shift.years * 104729u);

    if (measure < FORMULA_TARGET || measure >= (int)NAME_COUNT || shift.prev < 0 ||
        shift.years < 0 || !is_need(v->f, measure, shift))
        abort();
    switch (h % 16) {
    case 0: *value = FORMULA_NONE; return 0;
    case 1: *value = 0; return 0;
    case 2: *value = INT64_MAX; return 0;
    case 3: *value = -INT64_MAX; return 0;
    case 4: return sd_error_set(err, SD_EDB, "fuzz failure");
    default: *value = (int64_t)(h >> 20) - (INT64_C(1) << 42); return 0;
    }
}

static void check_rejected(const char *text, size_t len, int rc, const struct formula *f,
                           const struct sd_error *err)
{
    if ((rc != SD_EINVAL && rc != SD_ELIMIT) || f != NULL || err->code != rc ||
        err->message[0] == '\0' || err->column < 1 || (size_t)err->column > len + 1)
        abort();
    (void)text;
}

static int64_t evaluate(const struct formula *f, uint64_t seed, int *rc)
{
    struct values v = {.seed = seed, .f = f};
    int64_t result = 0;

    *rc = formula_eval(f, answer, &v, &result, NULL);
    return result;
}

static void check_accepted(struct formula *f, uint64_t seed)
{
    struct strbuf sb = STRBUF_INIT, again_text = STRBUF_INIT;
    struct formula *again = NULL;
    int rc = 0, again_rc = 0;
    int64_t result = evaluate(f, seed, &rc);

    if (rc != 0 && rc != SD_EDB)
        abort();
    if (formula_format(f, &sb) != 0)
        abort();
    /* Spaces around operators may push a normalised text past the limit. */
    if (sb.len <= FORMULA_TEXT_MAX) {
        if (formula_parse(sb.buf, sb.len, names, NAME_COUNT, &again, NULL) != 0 ||
            formula_format(again, &again_text) != 0 || strcmp(sb.buf, again_text.buf) != 0)
            abort();
        int64_t again_result = evaluate(again, seed, &again_rc);
        if (again_rc != rc || (rc == 0 && again_result != result))
            abort();
        formula_free(again);
    }
    strbuf_release(&again_text);
    strbuf_release(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy without a terminating NUL, so reads past `size` are caught. */
    char *text = malloc(size ? size : 1);
    struct sd_error err = {0};
    struct formula *f = NULL;
    uint64_t seed = size;

    if (!text)
        return 0;
    memcpy(text, data, size);
    for (size_t i = 0; i < size; i++)
        seed = mix(seed ^ data[i]);
    int rc = formula_parse(text, size, names, NAME_COUNT, &f, &err);
    if (rc == 0)
        check_accepted(f, seed);
    else
        check_rejected(text, size, rc, f, &err);
    formula_free(f);
    free(text);
    return 0;
}
