/* SPDX-License-Identifier: MIT */
/*
 * formula: the KPI formula language. Users define a KPI as arithmetic over
 * measures, e.g. `revenue / orders`, `margin / revenue * 100`,
 * `revenue - prev(revenue)`, `revenue / yoy(revenue) - 1`, `revenue / target`.
 * This module parses such text once (formula_parse), tells the engine which
 * measures at which period shifts it needs (formula_needs), and evaluates it
 * against values the caller supplies (formula_eval). It knows nothing of the
 * engine: measures are integer ids the caller chose.
 *
 * The language:
 *   expr    := term (('+' | '-') term)*
 *   term    := unary (('*' | '/') unary)*
 *   unary   := '-' unary | primary
 *   primary := number | name | name '(' expr ')' | '(' expr ')'
 * - a number is decimal digits with an optional point (`100`, `0.5`, `.5`,
 *   `5.`), no sign, no exponent, at most FORMULA_DIGITS_MAX digits once the
 *   leading zeros and the trailing zeros of the fraction are dropped;
 * - a name is [A-Za-z_][A-Za-z0-9_]*. Followed by '(' it is a function,
 *   `prev` (the argument for the previous period) or `yoy` (for the same
 *   period a year earlier); they nest: prev(prev(x)) is two periods back.
 *   Otherwise it is a measure from the caller's table, or `target` (the KPI's
 *   target for the scope and period; `target` wins over a measure of that
 *   name). Names are case-sensitive;
 * - spaces, tabs, CR and LF may separate any two tokens;
 * - limits, reported as SD_ELIMIT with the column: FORMULA_TEXT_MAX bytes of
 *   text, FORMULA_DEPTH_MAX levels of parentheses (grouping and function calls
 *   both count), FORMULA_NODES_MAX nodes (each number, name, operator, unary
 *   minus and function call is one), and the number of digits above.
 *
 * Errors are SD_EINVAL (or SD_ELIMIT) with a message such as
 *   formula 'revenue / / orders': column 11: expected a number, a measure or '('
 * and err->column set to the same 1-based byte column.
 *
 * Evaluation semantics: arithmetic is done in long double on values scaled by
 * 10^4 (so sums, ties and halvings of 1/10000 units stay exact); the result is
 * rounded half away from zero to 1/10000. The result is FORMULA_NONE, not an
 * error, when any value the formula needs is none, on a division by zero, or
 * when the result is outside -INT64_MAX..INT64_MAX: a KPI with no data shows
 * no value. Every needed value is asked for, even after one was none.
 *
 * Memory: a parsed formula is one heap object, owned by the caller and freed
 * with formula_free. It is immutable, so several threads may evaluate it at
 * once.
 */
#ifndef SD_ENGINE_FORMULA_H
#define SD_ENGINE_FORMULA_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

#define FORMULA_TEXT_MAX   512 /* bytes of formula text */
#define FORMULA_DEPTH_MAX  32  /* nested parentheses, function calls included */
#define FORMULA_NODES_MAX  256 /* numbers, names, operators, calls */
#define FORMULA_DIGITS_MAX 18  /* significant digits of a number */

/* The measure id of the identifier `target`. */
#define FORMULA_TARGET (-1)

/* "No value", in and out of formula_eval: the same value as MONEY_NONE. */
#define FORMULA_NONE INT64_MIN

/* How far back a value is asked for: `prev` periods, then `years` years. */
struct formula_shift {
    int prev;  /* periods back: one per enclosing prev() */
    int years; /* years back: one per enclosing yoy() */
};

/* One value a formula needs: a measure id (or FORMULA_TARGET) at a shift. */
struct formula_need {
    int measure;
    struct formula_shift shift;
};

struct formula;

/*
 * Parses `len` bytes of `text` (need not be NUL-terminated). Measure names
 * resolve through `names[0..count)`: a name's id is its index in the table
 * (the first one when a name appears twice; NULL entries are skipped). The
 * table is only read during the call.
 * Returns 0 and a new formula in `*out` (free it with formula_free), or
 * SD_EINVAL / SD_ELIMIT with `err` filled (message and column) and `*out`
 * untouched.
 */
int formula_parse(const char *text, size_t len, const char *const *names, size_t count,
                  struct formula **out, struct sd_error *err);

/* Frees a formula; NULL is fine. */
void formula_free(struct formula *f);

/*
 * The distinct values `f` needs, sorted by measure id (FORMULA_TARGET first),
 * then years, then periods back; `*count` receives their number (at least 0:
 * `100 / 4` needs nothing). The array belongs to `f`.
 */
const struct formula_need *formula_needs(const struct formula *f, size_t *count);

/*
 * Asked by formula_eval for the value of `measure` (an id from the table, or
 * FORMULA_TARGET) at `shift`, as an int64 in units of 1/10000 (revenue 1234.5
 * is 12345000, a count of 5 is 50000). Returns 0 with `*value` set
 * (FORMULA_NONE when there is no value), or a negative SD_E... status, which
 * stops the evaluation and is returned by formula_eval as it is (the callback
 * may fill `err`, formula_eval's own).
 */
typedef int (*formula_value_fn)(void *ctx, int measure, struct formula_shift shift, int64_t *value,
                                struct sd_error *err);

/*
 * Evaluates `f`, asking `value` (with `ctx`) for every value it needs. Returns
 * 0 with `*result` in units of 1/10000, or FORMULA_NONE (see the semantics
 * above); or the callback's negative status, `*result` untouched.
 */
int formula_eval(const struct formula *f, formula_value_fn value, void *ctx, int64_t *result,
                 struct sd_error *err);

/*
 * Appends the normalised text of `f` to `out`: one space around binary
 * operators, none inside parentheses or after a unary minus, only the
 * parentheses the tree needs, numbers in their shortest form (`.50` is
 * `0.5`). Parsing the normalised text gives the same formula. Returns 0, or
 * SD_ELIMIT when `out`'s limit is reached (then `out` holds a cut text).
 */
int formula_format(const struct formula *f, struct strbuf *out);

#endif
