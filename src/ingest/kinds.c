/* SPDX-License-Identifier: MIT */
/* kinds: the table of native import kinds and their fields (see kinds.h). */
#include "ingest/kinds.h"

#include <stddef.h>
#include <string.h>

#include "base/banned.h"

#define REF(k) ((k) + 1)
#define DAY_MIN (-25567) /* 1900-01-01 */
#define DAY_MAX 47482    /* 2099-12-31 */

static const char *const account_status[] = {"active", "on_hold", "closed", NULL};
static const char *const rep_status[] = {"active", "inactive", NULL};
static const char *const product_status[] = {"active", "discontinued", NULL};
static const char *const order_status[] = {"draft",    "pending", "confirmed", "on_hold",
                                           "shipped",  "invoiced", "paid",     "cancelled",
                                           "returned", NULL};
static const char *const outcomes[] = {"won", "lost", NULL};
static const char *const priorities[] = {"low", "normal", "high", "urgent", NULL};
static const char *const request_status[] = {"open",     "in_progress", "waiting",
                                             "resolved", "closed",      NULL};

static const struct field_def accounts[] = {
    {"id", FT_ID, 1, NULL, 0, 0, 0},
    {"name", FT_TEXT, 1, NULL, 0, 0, 0},
    {"segment", FT_TEXT, 0, NULL, 0, 0, 0},
    {"region", FT_TEXT, 0, NULL, 0, 0, 0},
    {"country", FT_TEXT, 0, NULL, 0, 0, 0},
    {"city", FT_TEXT, 0, NULL, 0, 0, 0},
    {"owner_rep", FT_ID, 0, NULL, REF(KIND_REPS), 0, 0},
    {"account_manager", FT_ID, 0, NULL, REF(KIND_REPS), 0, 0},
    {"credit_limit", FT_MONEY, 0, NULL, 0, 0, INT64_MAX},
    {"payment_terms_days", FT_INT, 0, NULL, 0, 0, 3650},
    {"status", FT_ENUM, 0, account_status, 0, 0, 0},
    {"currency", FT_TEXT, 0, NULL, 0, 0, 0},
};

static const struct field_def reps[] = {
    {"id", FT_ID, 1, NULL, 0, 0, 0},
    {"name", FT_TEXT, 1, NULL, 0, 0, 0},
    {"email", FT_TEXT, 0, NULL, 0, 0, 0},
    {"team", FT_TEXT, 0, NULL, 0, 0, 0},
    {"region", FT_TEXT, 0, NULL, 0, 0, 0},
    {"manager", FT_ID, 0, NULL, REF(KIND_REPS), 0, 0},
    {"discount_limit_pct", FT_PERCENT, 0, NULL, 0, 0, 0},
    {"status", FT_ENUM, 0, rep_status, 0, 0, 0},
};

static const struct field_def products[] = {
    {"sku", FT_ID, 1, NULL, 0, 0, 0},
    {"name", FT_TEXT, 1, NULL, 0, 0, 0},
    {"category", FT_TEXT, 0, NULL, 0, 0, 0},
    {"list_price", FT_MONEY, 1, NULL, 0, 0, INT64_MAX},
    {"cost", FT_MONEY, 0, NULL, 0, 0, INT64_MAX},
    {"status", FT_ENUM, 0, product_status, 0, 0, 0},
    {"launch_date", FT_DATE, 0, NULL, 0, DAY_MIN, DAY_MAX},
};

static const struct field_def stock[] = {
    {"sku", FT_ID, 1, NULL, REF(KIND_PRODUCTS), 0, 0},
    {"warehouse", FT_ID, 1, NULL, 0, 0, 0},
    {"on_hand", FT_INT, 1, NULL, 0, -1000000000000, 1000000000000},
    {"reserved", FT_INT, 0, NULL, 0, 0, 1000000000000},
};

static const struct field_def orders[] = {
    {"id", FT_ID, 1, NULL, 0, 0, 0},
    {"account", FT_ID, 1, NULL, REF(KIND_ACCOUNTS), 0, 0},
    {"rep", FT_ID, 0, NULL, REF(KIND_REPS), 0, 0},
    {"order_date", FT_DATE, 1, NULL, 0, DAY_MIN, DAY_MAX},
    {"requested_date", FT_DATE, 0, NULL, 0, DAY_MIN, DAY_MAX},
    {"promised_date", FT_DATE, 0, NULL, 0, DAY_MIN, DAY_MAX},
    {"ship_date", FT_DATE, 0, NULL, 0, DAY_MIN, DAY_MAX},
    {"status", FT_ENUM, 1, order_status, 0, 0, 0},
    {"currency", FT_TEXT, 0, NULL, 0, 0, 0},
    {"ship_country", FT_TEXT, 0, NULL, 0, 0, 0},
    {"ship_address", FT_TEXT, 0, NULL, 0, 0, 0},
};

static const struct field_def lines[] = {
    {"order", FT_ID, 1, NULL, REF(KIND_ORDERS), 0, 0},
    {"line", FT_INT, 1, NULL, 0, 1, 1000000},
    {"sku", FT_ID, 1, NULL, REF(KIND_PRODUCTS), 0, 0},
    {"qty", FT_INT, 1, NULL, 0, -1000000000, 1000000000},
    {"unit_price", FT_MONEY, 1, NULL, 0, 0, INT64_MAX},
    {"discount", FT_DISCOUNT, 0, NULL, 0, 0, 0},
    {"shipped_qty", FT_INT, 0, NULL, 0, -1000000000, 1000000000},
};

static const struct field_def invoices[] = {
    {"id", FT_ID, 1, NULL, 0, 0, 0},
    {"order", FT_ID, 0, NULL, REF(KIND_ORDERS), 0, 0},
    {"account", FT_ID, 1, NULL, REF(KIND_ACCOUNTS), 0, 0},
    {"issue_date", FT_DATE, 1, NULL, 0, DAY_MIN, DAY_MAX},
    {"due_date", FT_DATE, 1, NULL, 0, DAY_MIN, DAY_MAX},
    {"amount", FT_MONEY, 1, NULL, 0, 0, 0},
    {"paid_amount", FT_MONEY, 0, NULL, 0, 0, 0},
    {"paid_date", FT_DATE, 0, NULL, 0, DAY_MIN, DAY_MAX},
};

static const struct field_def opportunities[] = {
    {"id", FT_ID, 1, NULL, 0, 0, 0},
    {"account", FT_ID, 1, NULL, REF(KIND_ACCOUNTS), 0, 0},
    {"rep", FT_ID, 0, NULL, REF(KIND_REPS), 0, 0},
    {"name", FT_TEXT, 1, NULL, 0, 0, 0},
    {"stage", FT_TEXT, 1, NULL, 0, 0, 0},
    {"amount", FT_MONEY, 1, NULL, 0, 0, 0},
    {"created_date", FT_DATE, 1, NULL, 0, DAY_MIN, DAY_MAX},
    {"expected_close", FT_DATE, 0, NULL, 0, DAY_MIN, DAY_MAX},
    {"closed_date", FT_DATE, 0, NULL, 0, DAY_MIN, DAY_MAX},
    {"outcome", FT_ENUM, 0, outcomes, 0, 0, 0},
    {"lost_reason", FT_TEXT, 0, NULL, 0, 0, 0},
    {"source", FT_TEXT, 0, NULL, 0, 0, 0},
};

static const struct field_def stages[] = {
    {"opportunity", FT_ID, 1, NULL, REF(KIND_OPPORTUNITIES), 0, 0},
    {"stage", FT_TEXT, 1, NULL, 0, 0, 0},
    {"entered_date", FT_DATE, 1, NULL, 0, DAY_MIN, DAY_MAX},
};

static const struct field_def requests[] = {
    {"id", FT_ID, 1, NULL, 0, 0, 0},
    {"account", FT_ID, 1, NULL, REF(KIND_ACCOUNTS), 0, 0},
    {"order", FT_ID, 0, NULL, REF(KIND_ORDERS), 0, 0},
    {"kind", FT_TEXT, 1, NULL, 0, 0, 0},
    {"subject", FT_TEXT, 1, NULL, 0, 0, 0},
    {"priority", FT_ENUM, 0, priorities, 0, 0, 0},
    {"status", FT_ENUM, 0, request_status, 0, 0, 0},
    {"opened_at", FT_TIMESTAMP, 1, NULL, 0, 0, 0},
    {"first_response_at", FT_TIMESTAMP, 0, NULL, 0, 0, 0},
    {"resolved_at", FT_TIMESTAMP, 0, NULL, 0, 0, 0},
    {"assignee", FT_ID, 0, NULL, REF(KIND_REPS), 0, 0},
};

static const struct field_def quotas[] = {
    {"rep_or_team", FT_ID, 1, NULL, 0, 0, 0},
    {"period", FT_PERIOD, 1, NULL, 0, 0, 0},
    {"amount", FT_MONEY, 1, NULL, 0, 0, INT64_MAX},
};

static const struct field_def fx[] = {
    {"currency", FT_ID, 1, NULL, 0, 0, 0},
    {"date", FT_DATE, 1, NULL, 0, DAY_MIN, DAY_MAX},
    {"rate_to_base", FT_RATE, 1, NULL, 0, 1, INT64_MAX},
};

#define KIND(n, o, f, k0, k1, k2) {n, o, f, (int)(sizeof(f) / sizeof(f[0])), {k0, k1, k2}}

const struct kind_def import_kinds[KIND_COUNT] = {
    [KIND_ACCOUNTS] = KIND("accounts", "account", accounts, 0, -1, -1),
    [KIND_REPS] = KIND("reps", "rep", reps, 0, -1, -1),
    [KIND_PRODUCTS] = KIND("products", "product", products, 0, -1, -1),
    [KIND_STOCK] = KIND("stock", "stock level", stock, 0, 1, -1),
    [KIND_ORDERS] = KIND("orders", "order", orders, 0, -1, -1),
    [KIND_LINES] = KIND("lines", "order line", lines, 0, 1, -1),
    [KIND_INVOICES] = KIND("invoices", "invoice", invoices, 0, -1, -1),
    [KIND_OPPORTUNITIES] = KIND("opportunities", "opportunity", opportunities, 0, -1, -1),
    [KIND_STAGES] = KIND("stages", "stage entry", stages, 0, 2, 1),
    [KIND_REQUESTS] = KIND("requests", "request", requests, 0, -1, -1),
    [KIND_QUOTAS] = KIND("quotas", "quota", quotas, 0, 1, -1),
    [KIND_FX] = KIND("fx", "fx rate", fx, 0, 1, -1),
};

int import_kind_find(const char *name)
{
    for (int k = 0; k < KIND_COUNT; k++) {
        if (strcmp(import_kinds[k].name, name) == 0)
            return k;
    }
    return -1;
}

int import_field_find(enum import_kind k, const char *name)
{
    for (int i = 0; i < import_kinds[k].n_fields; i++) {
        if (strcmp(import_kinds[k].fields[i].name, name) == 0)
            return i;
    }
    return -1;
}
