/* SPDX-License-Identifier: MIT */
/*
 * fuzz-money: libFuzzer target for the money and discount parsers. Any input
 * must be rejected or accepted without a sanitizer report, and an accepted
 * amount must survive format → parse unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/money.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_money(const char *text, size_t len)
{
    int64_t v = 0, again = 0;
    if (money_parse(text, len, &v, NULL) != 0)
        return;
    char buf[MONEY_TEXT_MAX];
    size_t n = money_format(v, buf);
    if (money_parse(buf, n, &again, NULL) != 0 || again != v)
        abort();
    for (int d = 0; d <= MONEY_DECIMALS; d++)
        money_format_fixed(v, d, buf);
    int64_t net = 0;
    money_line_net(v, (int64_t)len - 8, 50000, &net);
}

static void check_discount(const char *text, size_t len)
{
    int64_t d = 0, again = 0;
    if (discount_parse(text, len, &d, NULL) != 0)
        return;
    char buf[MONEY_TEXT_MAX];
    size_t n = discount_format(d, buf);
    if (discount_parse(buf, n, &again, NULL) != 0 || again != d)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy without a terminating NUL, so reads past `size` are caught. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    check_money(text, size);
    check_discount(text, size);
    free(text);
    return 0;
}
