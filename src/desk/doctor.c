/* SPDX-License-Identifier: MIT */
/*
 * doctor: the order doctor's rule table and the run that applies it. The
 * store loads the rows (store/doctor.c); this file indexes them once (order
 * nets, each account's exposure and overdue invoices, the stock each open
 * line competes for, duplicate signatures) and then runs every rule on every
 * subject order. One order and the whole open book go through the same code.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/date.h"
#include "base/json.h"
#include "base/money.h"
#include "base/strbuf.h"
#include "base/vec.h"
#include "base/xalloc.h"
#include "desk/doctor.h"
#include "store/store.h"
#include "base/banned.h"

/* What the rules see of one subject order: the loaded rows and the derived figures. */
struct doctor_case {
    const struct store_doctor_data *d;
    const struct store_doctor_order *o;
    const struct store_doctor_account *account; /* NULL: not loaded (cannot happen) */
    const struct store_doctor_rep *rep;         /* NULL: no rep */
    int32_t today;
    int64_t net;
    int64_t other_open_net; /* the account's other open orders */
    int64_t receivables;    /* the account's unpaid invoice balance */
    int64_t n_overdue;      /* unpaid invoices past due */
    int64_t overdue;        /* their balance */
    int32_t oldest_due;     /* the earliest due date among them; DATE_NONE: none */
    const int64_t *earlier_demand; /* per line of d->lines */
    const struct store_doctor_order *duplicate_of; /* NULL: none */
    int64_t invoiced;
    int64_t n_invoices;
    const struct store_doctor_request *requests; /* open requests on the order */
    size_t n_requests;
};

struct doctor_out {
    struct arena *arena;
    const struct doctor_rule *rule;
    struct vec findings; /* struct doctor_finding */
};

/* ---- evidence ---- */

static struct doctor_finding *finding_add(struct doctor_out *out, int line_no)
{
    struct doctor_finding *f = vec_push_zero(&out->findings);
    f->rule = out->rule;
    f->line_no = line_no;
    return f;
}

static void ev(struct doctor_finding *f, const char *name, enum doctor_unit unit, int64_t value)
{
    assert(f->n_evidence < DOCTOR_EVIDENCE_MAX);
    f->evidence[f->n_evidence++] = (struct doctor_evidence){name, unit, value, NULL};
}

static void ev_text(struct doctor_finding *f, const char *name, const char *text)
{
    assert(f->n_evidence < DOCTOR_EVIDENCE_MAX);
    f->evidence[f->n_evidence++] = (struct doctor_evidence){name, DOCTOR_TEXT, 0, text ? text : ""};
}

static const struct store_doctor_product *product_of(const struct store_doctor_data *d,
                                                     int64_t id)
{
    size_t i = store_doctor_find(d->products, d->n_products, sizeof(*d->products), id);
    return i == SIZE_MAX ? NULL : &d->products[i];
}

/* Line evidence every per-line rule starts with. */
static struct doctor_finding *line_finding(struct doctor_out *out, const struct doctor_case *c,
                                           const struct order_line *l)
{
    struct doctor_finding *f = finding_add(out, l->line_no);
    const struct store_doctor_product *p = product_of(c->d, l->product_id);
    ev(f, "line", DOCTOR_COUNT, l->line_no);
    ev_text(f, "sku", p ? p->sku : "?");
    return f;
}

static int is_open(const struct doctor_case *c)
{
    return order_status_is_open(c->o->order.status);
}

static int64_t unshipped(const struct order_line *l)
{
    return l->qty > l->shipped_qty ? l->qty - l->shipped_qty : 0;
}

#define FOR_LINES(c, l)                                                                   \
    for (const struct order_line *l = &(c)->d->lines[(c)->o->first_line];                 \
         l < &(c)->d->lines[(c)->o->first_line + (c)->o->n_lines]; l++)

/* ---- the checks ---- */

static void check_credit_limit(const struct doctor_case *c, const int64_t *params,
                               struct doctor_out *out)
{
    (void)params;
    if (!is_open(c) || !c->account || c->account->credit_limit == MONEY_NONE)
        return;
    int64_t exposure = c->receivables + c->other_open_net + c->net;
    if (exposure <= c->account->credit_limit)
        return;
    struct doctor_finding *f = finding_add(out, 0);
    ev(f, "receivables", DOCTOR_MONEY, c->receivables);
    ev(f, "open_orders", DOCTOR_MONEY, c->other_open_net);
    ev(f, "order_net", DOCTOR_MONEY, c->net);
    ev(f, "exposure", DOCTOR_MONEY, exposure);
    ev(f, "credit_limit", DOCTOR_MONEY, c->account->credit_limit);
    ev(f, "over_by", DOCTOR_MONEY, exposure - c->account->credit_limit);
}

static void check_overdue(const struct doctor_case *c, const int64_t *params,
                          struct doctor_out *out)
{
    int64_t grace = params[0], min_amount = params[1], max_count = params[2];
    if (!is_open(c) || c->n_overdue == 0)
        return;
    int64_t oldest = c->today - c->oldest_due;
    if (!((oldest > grace && c->overdue >= min_amount) || c->n_overdue >= max_count))
        return;
    struct doctor_finding *f = finding_add(out, 0);
    ev(f, "overdue_invoices", DOCTOR_COUNT, c->n_overdue);
    ev(f, "overdue_amount", DOCTOR_MONEY, c->overdue);
    ev(f, "oldest_days_overdue", DOCTOR_DAYS, oldest);
    ev(f, "grace_days", DOCTOR_DAYS, grace);
    ev(f, "min_amount", DOCTOR_MONEY, min_amount);
    ev(f, "max_count", DOCTOR_COUNT, max_count);
}

static void check_account_hold(const struct doctor_case *c, const int64_t *params,
                               struct doctor_out *out)
{
    (void)params;
    if (!is_open(c) || !c->account || !c->account->status ||
        strcmp(c->account->status, "active") == 0)
        return;
    struct doctor_finding *f = finding_add(out, 0);
    ev_text(f, "account", c->account->ext_id);
    ev_text(f, "account_status", c->account->status);
}

static void check_stock_short(const struct doctor_case *c, const int64_t *params,
                              struct doctor_out *out)
{
    (void)params;
    if (!is_open(c))
        return;
    FOR_LINES(c, l) {
        const struct store_doctor_product *p = product_of(c->d, l->product_id);
        int64_t needed = unshipped(l), earlier = c->earlier_demand[l - c->d->lines];
        int64_t available = p ? p->available : 0;
        int64_t left = available - earlier > 0 ? available - earlier : 0;
        if (needed == 0 || needed <= left)
            continue;
        struct doctor_finding *f = line_finding(out, c, l);
        ev(f, "needed", DOCTOR_COUNT, needed);
        ev(f, "available", DOCTOR_COUNT, available);
        ev(f, "earlier_demand", DOCTOR_COUNT, earlier);
        ev(f, "left", DOCTOR_COUNT, left);
        ev(f, "short", DOCTOR_COUNT, needed - left);
    }
}

static void check_discontinued(const struct doctor_case *c, const int64_t *params,
                               struct doctor_out *out)
{
    (void)params;
    if (!is_open(c))
        return;
    FOR_LINES(c, l) {
        const struct store_doctor_product *p = product_of(c->d, l->product_id);
        if (!p || !p->discontinued || unshipped(l) == 0)
            continue;
        struct doctor_finding *f = line_finding(out, c, l);
        ev(f, "needed", DOCTOR_COUNT, unshipped(l));
    }
}

/*
 * How far `price` is below `list` in percent, in 1/10000 (rounded half away
 * from zero); 0 when list is not positive.
 */
static int64_t percent_below(int64_t price, int64_t list)
{
    int64_t pct = 0;
    if (list <= 0 || money_div_round((__int128)(list - price) * 1000000, list, &pct))
        return 0;
    return pct;
}

static void check_price_below_list(const struct doctor_case *c, const int64_t *params,
                                   struct doctor_out *out)
{
    /* percent × 10^4, which is also the fraction in millionths (20 % = 200000 = 0.2) */
    int64_t tolerance = params[0];
    if (!is_open(c))
        return;
    FOR_LINES(c, l) {
        const struct store_doctor_product *p = product_of(c->d, l->product_id);
        /* below beyond tolerance: price × 10^6 < list × (10^6 − tolerance) */
        if (!p || (__int128)l->unit_price * 1000000 >=
                      (__int128)p->list_price * (1000000 - tolerance))
            continue;
        struct doctor_finding *f = line_finding(out, c, l);
        ev(f, "unit_price", DOCTOR_MONEY, l->unit_price);
        ev(f, "list_price", DOCTOR_MONEY, p->list_price);
        ev(f, "below_pct", DOCTOR_PERCENT, percent_below(l->unit_price, p->list_price));
        ev(f, "tolerance_pct", DOCTOR_PERCENT, tolerance);
    }
}

static void check_discount_limit(const struct doctor_case *c, const int64_t *params,
                                 struct doctor_out *out)
{
    (void)params;
    if (!is_open(c) || !c->rep || c->rep->discount_limit == INT_NONE)
        return;
    FOR_LINES(c, l) {
        if (l->discount <= c->rep->discount_limit)
            continue;
        struct doctor_finding *f = line_finding(out, c, l);
        ev_text(f, "rep", c->rep->ext_id);
        ev(f, "discount", DOCTOR_DISCOUNT, l->discount);
        ev(f, "discount_limit", DOCTOR_DISCOUNT, c->rep->discount_limit);
    }
}

static void check_stuck(const struct doctor_case *c, const int64_t *params,
                        struct doctor_out *out)
{
    enum order_status s = c->o->order.status;
    int64_t limit = s == ORDER_PENDING ? params[0] : s == ORDER_CONFIRMED ? params[1]
                                     : s == ORDER_ON_HOLD ? params[2] : -1;
    int32_t since = c->o->order.status_date;
    if (limit < 0 || since == DATE_NONE || c->today - since <= limit)
        return;
    struct doctor_finding *f = finding_add(out, 0);
    ev_text(f, "status", order_status_name(s));
    ev(f, "status_date", DOCTOR_DATE, since);
    ev(f, "days_in_status", DOCTOR_DAYS, c->today - since);
    ev(f, "limit_days", DOCTOR_DAYS, limit);
}

static void check_late(const struct doctor_case *c, const int64_t *params,
                       struct doctor_out *out)
{
    (void)params;
    const struct order *o = &c->o->order;
    int32_t due = o->promised_date != DATE_NONE ? o->promised_date : o->requested_date;
    if (!is_open(c) || due == DATE_NONE || c->today <= due)
        return;
    struct doctor_finding *f = finding_add(out, 0);
    ev_text(f, "due_kind", o->promised_date != DATE_NONE ? "promised" : "requested");
    ev(f, "due_date", DOCTOR_DATE, due);
    ev(f, "days_late", DOCTOR_DAYS, c->today - due);
}

static void check_backorder(const struct doctor_case *c, const int64_t *params,
                            struct doctor_out *out)
{
    (void)params;
    enum order_status s = c->o->order.status;
    int64_t ordered = 0, shipped = 0, open_lines = 0;
    if (!is_open(c) && s != ORDER_SHIPPED)
        return;
    FOR_LINES(c, l) {
        ordered += l->qty;
        shipped += l->shipped_qty < l->qty ? l->shipped_qty : l->qty;
        open_lines += unshipped(l) > 0;
    }
    if (shipped == 0 || shipped >= ordered)
        return;
    struct doctor_finding *f = finding_add(out, 0);
    ev(f, "ordered_units", DOCTOR_COUNT, ordered);
    ev(f, "shipped_units", DOCTOR_COUNT, shipped);
    ev(f, "outstanding_units", DOCTOR_COUNT, ordered - shipped);
    ev(f, "open_lines", DOCTOR_COUNT, open_lines);
}

static void check_not_invoiced(const struct doctor_case *c, const int64_t *params,
                               struct doctor_out *out)
{
    const struct order *o = &c->o->order;
    int32_t shipped = o->ship_date != DATE_NONE ? o->ship_date : o->status_date;
    if (o->status != ORDER_SHIPPED || c->n_invoices > 0 || shipped == DATE_NONE ||
        c->today - shipped <= params[0])
        return;
    struct doctor_finding *f = finding_add(out, 0);
    ev(f, "ship_date", DOCTOR_DATE, shipped);
    ev(f, "days_since_ship", DOCTOR_DAYS, c->today - shipped);
    ev(f, "order_net", DOCTOR_MONEY, c->net);
    ev(f, "limit_days", DOCTOR_DAYS, params[0]);
}

static void check_invoice_mismatch(const struct doctor_case *c, const int64_t *params,
                                   struct doctor_out *out)
{
    int64_t diff = c->invoiced - c->net;
    if (c->n_invoices == 0 || c->o->order.status == ORDER_CANCELLED ||
        (diff < 0 ? -diff : diff) <= params[0])
        return;
    struct doctor_finding *f = finding_add(out, 0);
    ev(f, "invoiced", DOCTOR_MONEY, c->invoiced);
    ev(f, "invoices", DOCTOR_COUNT, c->n_invoices);
    ev(f, "order_net", DOCTOR_MONEY, c->net);
    ev(f, "difference", DOCTOR_MONEY, diff);
    ev(f, "tolerance", DOCTOR_MONEY, params[0]);
}

static void check_duplicate(const struct doctor_case *c, const int64_t *params,
                            struct doctor_out *out)
{
    (void)params;
    const struct store_doctor_order *other = c->duplicate_of;
    if (!is_open(c) || !other)
        return;
    struct doctor_finding *f = finding_add(out, 0);
    ev_text(f, "other_order", other->order.ext_id);
    ev(f, "other_date", DOCTOR_DATE, other->order.order_date);
    ev(f, "days_apart", DOCTOR_DAYS, c->o->order.order_date - other->order.order_date);
    ev(f, "lines", DOCTOR_COUNT, (int64_t)c->o->n_lines);
    ev(f, "order_net", DOCTOR_MONEY, c->net);
}

static int blank(const char *s)
{
    if (!s)
        return 1;
    while (*s == ' ' || *s == '\t')
        s++;
    return *s == '\0';
}

static void check_missing(const struct doctor_case *c, const int64_t *params,
                          struct doctor_out *out)
{
    (void)params;
    const struct order *o = &c->o->order;
    char buf[64] = "";
    size_t n = 0;
    if (!is_open(c))
        return;
    if (o->rep_id == 0)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%srep", n ? ", " : "");
    if (blank(o->ship_country))
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sship country", n ? ", " : "");
    if (blank(o->ship_address))
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sship address", n ? ", " : "");
    if (n == 0)
        return;
    struct doctor_finding *f = finding_add(out, 0);
    ev_text(f, "missing", arena_strndup(out->arena, buf, n));
}

static void check_open_request(const struct doctor_case *c, const int64_t *params,
                               struct doctor_out *out)
{
    (void)params;
    if (c->n_requests == 0)
        return;
    struct doctor_finding *f = finding_add(out, 0);
    ev(f, "requests", DOCTOR_COUNT, (int64_t)c->n_requests);
    ev_text(f, "request", c->requests[0].ext_id);
    ev_text(f, "priority", c->requests[0].priority);
    ev_text(f, "request_status", c->requests[0].status);
}

/* ---- the table ---- */

const struct doctor_rule doctor_rules[] = {
    {
        .code = "CREDIT_LIMIT",
        .severity = DOCTOR_BLOCKER,
        .owner = DOCTOR_CREDIT,
        .when = "open order; the account's unpaid invoice balance + the net of its other open "
                "orders + this order's net is above the account's credit limit",
        .message = "open receivables {receivables} + open orders {open_orders} + this order "
                   "{order_net} = {exposure} over the credit limit {credit_limit} (by {over_by})",
        .action = "ask credit control to raise the limit or collect payment; or split the order",
        .check = check_credit_limit,
    },
    {
        .code = "OVERDUE_INVOICES",
        .severity = DOCTOR_BLOCKER,
        .owner = DOCTOR_CREDIT,
        .when = "open order; the account has unpaid invoices past due, and either the oldest is "
                "more than grace_days past due with an overdue balance of at least min_amount, or "
                "there are max_count or more of them",
        .message = "{overdue_invoices} overdue invoice(s) for {overdue_amount}, the oldest "
                   "{oldest_days_overdue} days past due (policy: over {grace_days} days, or "
                   "{max_count} invoices)",
        .action = "collect the overdue invoices, or get credit control to release the order",
        .params = {{"doctor.overdue_grace_days", "30", DOCTOR_DAYS,
                    "days past due before an overdue invoice blocks"},
                   {"doctor.overdue_min_amount", "0", DOCTOR_MONEY,
                    "overdue balance below which the age test does not block"},
                   {"doctor.overdue_max_count", "3", DOCTOR_COUNT,
                    "this many overdue invoices block whatever their age"}},
        .check = check_overdue,
    },
    {
        .code = "ACCOUNT_ON_HOLD",
        .severity = DOCTOR_BLOCKER,
        .owner = DOCTOR_CREDIT,
        .when = "open order; the account's status is on_hold or closed",
        .message = "account {account} is {account_status}",
        .action = "ask credit control to reactivate the account, or cancel the order",
        .check = check_account_hold,
    },
    {
        .code = "STOCK_SHORT",
        .severity = DOCTOR_BLOCKER,
        .owner = DOCTOR_WAREHOUSE,
        .when = "open order; a line's unshipped quantity is above what is left of the "
                "product's stock (on_hand - reserved over all warehouses) after the unshipped "
                "quantities of earlier open orders: earlier means an earlier order date, or the "
                "same date and a lower internal id (the order it was entered in), or an earlier "
                "line of the same order",
        .message = "line {line} {sku}: needs {needed}, stock {available} of which {earlier_demand} "
                   "go to earlier open orders, {left} left: {short} short",
        .action = "ask the warehouse for a restock date, ship partially, or offer a substitute",
        .check = check_stock_short,
    },
    {
        .code = "DISCONTINUED_PRODUCT",
        .severity = DOCTOR_BLOCKER,
        .owner = DOCTOR_REP,
        .when = "open order; a line with quantity still to ship is for a discontinued product",
        .message = "line {line} {sku} is a discontinued product ({needed} still to ship)",
        .action = "offer the customer the successor product or remove the line",
        .check = check_discontinued,
    },
    {
        .code = "PRICE_BELOW_LIST",
        .severity = DOCTOR_RISK,
        .owner = DOCTOR_REP,
        .when = "open order; a line's unit price is below the product's list price by more "
                "than tolerance_pct percent (discounts are checked separately)",
        .message = "line {line} {sku}: unit price {unit_price} is {below_pct} % below the list "
                   "price {list_price} (tolerance {tolerance_pct} %)",
        .action = "correct the price or attach the approved special price",
        .params = {{"doctor.price_tolerance_pct", "0", DOCTOR_PERCENT,
                    "percent below list price that is still accepted"}},
        .check = check_price_below_list,
    },
    {
        .code = "DISCOUNT_OVER_LIMIT",
        .severity = DOCTOR_BLOCKER,
        .owner = DOCTOR_REP,
        .when = "open order; a line's discount is above the discount limit of the order's rep",
        .message = "line {line} {sku}: discount {discount} % is above rep {rep}'s limit "
                   "{discount_limit} %",
        .action = "get the sales manager's approval or reduce the discount",
        .check = check_discount_limit,
    },
    {
        .code = "STUCK_IN_STATUS",
        .severity = DOCTOR_RISK,
        .owner = DOCTOR_REP,
        .when = "the order has been pending, confirmed or on_hold (since orders.status_date) for "
                "more days than that status allows",
        .message = "{status} for {days_in_status} days since {status_date} (limit {limit_days} "
                   "days)",
        .action = "find out what holds the order and move it on, or cancel it",
        .params = {{"doctor.stuck_pending_days", "3", DOCTOR_DAYS, "days an order may stay pending"},
                   {"doctor.stuck_confirmed_days", "14", DOCTOR_DAYS,
                    "days an order may stay confirmed without shipping"},
                   {"doctor.stuck_on_hold_days", "7", DOCTOR_DAYS,
                    "days an order may stay on hold"}},
        .check = check_stuck,
    },
    {
        .code = "LATE_AGAINST_PROMISE",
        .severity = DOCTOR_RISK,
        .owner = DOCTOR_WAREHOUSE,
        .when = "open order; its promised date (else its requested date) is before today",
        .message = "the {due_kind} date {due_date} passed {days_late} days ago and the order has "
                   "not shipped",
        .action = "ship it now, or agree a new date with the customer",
        .check = check_late,
    },
    {
        .code = "BACKORDER",
        .severity = DOCTOR_RISK,
        .owner = DOCTOR_WAREHOUSE,
        .when = "open or shipped order that has shipped part, but not all, of its units",
        .message = "{shipped_units} of {ordered_units} units shipped; {outstanding_units} on "
                   "{open_lines} line(s) still to ship",
        .action = "give the customer a date for the rest, or close the remainder",
        .check = check_backorder,
    },
    {
        .code = "SHIPPED_NOT_INVOICED",
        .severity = DOCTOR_RISK,
        .owner = DOCTOR_BILLING,
        .when = "the order is shipped, has no invoice, and shipped more than limit_days ago",
        .message = "shipped on {ship_date}, {days_since_ship} days ago, and not invoiced: net "
                   "{order_net} (limit {limit_days} days)",
        .action = "issue the invoice",
        .params = {{"doctor.invoice_days", "3", DOCTOR_DAYS,
                    "days after shipping by which an invoice is due"}},
        .check = check_not_invoiced,
    },
    {
        .code = "INVOICE_MISMATCH",
        .severity = DOCTOR_RISK,
        .owner = DOCTOR_BILLING,
        .when = "the order has invoices and their total differs from the order's net by more "
                "than the tolerance",
        .message = "invoiced {invoiced} on {invoices} invoice(s) but the order's net is "
                   "{order_net} (difference {difference})",
        .action = "issue a credit note or a corrected invoice",
        .params = {{"doctor.invoice_tolerance", "0.01", DOCTOR_MONEY,
                    "difference between invoiced and net that is accepted"}},
        .check = check_invoice_mismatch,
    },
    {
        .code = "DUPLICATE_ORDER",
        .severity = DOCTOR_BLOCKER,
        .owner = DOCTOR_REP,
        .when = "open order; an earlier order (not cancelled) of the same account, at most "
                "window_days before it, has exactly the same lines (the same products in the same "
                "quantities); only the later order of the pair is flagged",
        .message = "same {lines} line(s) ({order_net}) as order {other_order} of {other_date}, "
                   "{days_apart} days earlier",
        .action = "confirm with the customer that both orders are wanted, else cancel this one",
        .params = {{"doctor.duplicate_days", "7", DOCTOR_DAYS,
                    "how many days back an identical order counts as a duplicate"}},
        .check = check_duplicate,
    },
    {
        .code = "MISSING_DATA",
        .severity = DOCTOR_BLOCKER,
        .owner = DOCTOR_REP,
        .when = "open order without a rep, a ship country or a ship address",
        .message = "missing {missing}",
        .action = "complete the order",
        .check = check_missing,
    },
    {
        .code = "OPEN_REQUEST",
        .severity = DOCTOR_INFO,
        .owner = DOCTOR_REP,
        .when = "a customer request on the order is open, in progress or waiting",
        .message = "{requests} open customer request(s) on this order, first {request} "
                   "({priority}, {request_status})",
        .action = "answer the request before changing the order",
        .check = check_open_request,
    },
};

const size_t doctor_rules_count = sizeof(doctor_rules) / sizeof(doctor_rules[0]);

_Static_assert(sizeof(doctor_rules) / sizeof(doctor_rules[0]) <=
                   sizeof(((struct doctor_settings *)0)->params) /
                       sizeof(((struct doctor_settings *)0)->params[0]),
               "doctor_settings holds every rule's params");

static size_t rule_index(const char *code)
{
    for (size_t i = 0; i < doctor_rules_count; i++)
        if (strcmp(doctor_rules[i].code, code) == 0)
            return i;
    return 0;
}

const char *doctor_severity_name(enum doctor_severity s)
{
    static const char *const names[] = {"blocker", "risk", "info"};
    return (unsigned)s < 3 ? names[s] : "?";
}

const char *doctor_owner_name(enum doctor_owner o)
{
    static const char *const names[] = {"credit control", "warehouse", "rep", "billing"};
    return (unsigned)o < 4 ? names[o] : "?";
}

const char *doctor_verdict_name(enum doctor_verdict v)
{
    static const char *const names[] = {"blocked", "at risk", "ok"};
    return (unsigned)v < 3 ? names[v] : "?";
}

/* ---- settings ---- */

static int param_parse(const struct doctor_param *p, const char *text, int64_t *out,
                       struct sd_error *err)
{
    size_t len = strlen(text);
    if (p->unit == DOCTOR_MONEY || p->unit == DOCTOR_PERCENT) {
        if (money_parse(text, len, out, NULL) == 0 && *out >= 0)
            return 0;
        return sd_error_set(err, SD_EINVAL, "setting '%s': '%s' is not a decimal number >= 0",
                            p->key, text);
    }
    char *end = NULL;
    long long v = len ? strtoll(text, &end, 10) : -1;
    if (!end || *end != '\0' || v < 0 || v > 100000)
        return sd_error_set(err, SD_EINVAL, "setting '%s': '%s' is not a whole number 0..100000",
                            p->key, text);
    *out = v;
    return 0;
}

int doctor_settings_load(struct db *db, struct doctor_settings *out, struct sd_error *err)
{
    struct arena a;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    arena_init(&a, 0);
    for (size_t r = 0; rc == 0 && r < doctor_rules_count; r++) {
        for (int k = 0; rc == 0 && k < DOCTOR_PARAMS_MAX && doctor_rules[r].params[k].key; k++) {
            const struct doctor_param *p = &doctor_rules[r].params[k];
            const char *value = NULL;
            rc = store_setting_get(db, &a, p->key, &value, err);
            if (rc == 0)
                rc = param_parse(p, value ? value : p->fallback, &out->params[r][k], err);
        }
    }
    arena_release(&a);
    return rc;
}

/* ---- the index: figures derived once for all subjects ---- */

struct doctor_index {
    const struct store_doctor_data *d;
    int32_t today;
    int64_t *net;            /* per order */
    int64_t *open_net;       /* per account: net of its open orders */
    int64_t *receivables;    /* per account */
    int64_t *n_overdue;      /* per account */
    int64_t *overdue;        /* per account */
    int32_t *oldest_due;     /* per account */
    int64_t *earlier_demand; /* per line */
    const struct store_doctor_order **duplicate_of; /* per order */
    int64_t *invoiced;       /* per order */
    int64_t *n_invoices;     /* per order */
};

static size_t account_index(const struct store_doctor_data *d, int64_t id)
{
    return store_doctor_find(d->accounts, d->n_accounts, sizeof(*d->accounts), id);
}

static size_t order_index(const struct store_doctor_data *d, int64_t id)
{
    return store_doctor_find(d->orders, d->n_orders, sizeof(*d->orders), id);
}

static int index_nets(struct doctor_index *x, struct sd_error *err)
{
    const struct store_doctor_data *d = x->d;
    for (size_t i = 0; i < d->n_orders; i++) {
        const struct store_doctor_order *o = &d->orders[i];
        int64_t total = 0, line_net = 0;
        for (size_t l = o->first_line; l < o->first_line + o->n_lines; l++) {
            if (money_line_net(d->lines[l].unit_price, d->lines[l].qty, d->lines[l].discount,
                               &line_net) ||
                money_add(total, line_net, &total))
                return sd_error_set(err, SD_EOVERFLOW, "order '%s': amounts out of range",
                                    o->order.ext_id);
        }
        x->net[i] = total;
        size_t a = account_index(d, o->order.account_id);
        if (a != SIZE_MAX && order_status_is_open(o->order.status))
            x->open_net[a] += total;
    }
    return 0;
}

static void index_invoices(struct doctor_index *x)
{
    const struct store_doctor_data *d = x->d;
    for (size_t a = 0; a < d->n_accounts; a++)
        x->oldest_due[a] = DATE_NONE;
    for (size_t i = 0; i < d->n_invoices; i++) {
        const struct invoice *inv = &d->invoices[i];
        size_t o = inv->order_id ? order_index(d, inv->order_id) : SIZE_MAX;
        if (o != SIZE_MAX) {
            x->invoiced[o] += inv->amount;
            x->n_invoices[o]++;
        }
        size_t a = account_index(d, inv->account_id);
        int64_t balance = inv->amount - inv->paid_amount;
        if (a == SIZE_MAX || balance <= 0)
            continue;
        x->receivables[a] += balance;
        if (inv->due_date < x->today) {
            x->n_overdue[a]++;
            x->overdue[a] += balance;
            if (x->oldest_due[a] == DATE_NONE || inv->due_date < x->oldest_due[a])
                x->oldest_due[a] = inv->due_date;
        }
    }
}

/* Open-order lines with quantity to ship, for the stock competition sort. */
struct demand {
    int64_t product_id;
    int32_t order_date;
    int64_t order_id;
    int line_no;
    size_t line;
};

static int cmp_demand(const void *a, const void *b)
{
    const struct demand *x = a, *y = b;
    if (x->product_id != y->product_id)
        return x->product_id < y->product_id ? -1 : 1;
    if (x->order_date != y->order_date)
        return x->order_date < y->order_date ? -1 : 1;
    if (x->order_id != y->order_id)
        return x->order_id < y->order_id ? -1 : 1;
    return (x->line_no > y->line_no) - (x->line_no < y->line_no);
}

/*
 * earlier_demand[line]: for each line of an open order, the unshipped
 * quantity of the same product on open-order lines that come before it in
 * (order date, order id, line number) order. Lines are sorted that way per
 * product and summed as they go.
 */
static void index_stock(struct doctor_index *x)
{
    const struct store_doctor_data *d = x->d;
    struct demand *q = xmalloc((d->n_lines ? d->n_lines : 1) * sizeof(*q));
    size_t n = 0;
    for (size_t i = 0; i < d->n_orders; i++) {
        const struct store_doctor_order *o = &d->orders[i];
        if (!order_status_is_open(o->order.status))
            continue;
        for (size_t l = o->first_line; l < o->first_line + o->n_lines; l++)
            q[n++] = (struct demand){d->lines[l].product_id, o->order.order_date, o->order.id,
                                     d->lines[l].line_no, l};
    }
    qsort(q, n, sizeof(*q), cmp_demand);
    int64_t running = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || q[i].product_id != q[i - 1].product_id)
            running = 0;
        x->earlier_demand[q[i].line] = running;
        running += unshipped(&d->lines[q[i].line]);
    }
    free(q);
}

/* An order's lines as a signature: (product, qty) pairs, sorted; a hash of them. */
struct signature {
    size_t order;
    int64_t account_id;
    uint64_t hash;
};

static int cmp_pair(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* The sorted (product, qty) pairs of order `i` into pairs[2 * n_lines]. */
static void order_pairs(const struct store_doctor_data *d, size_t i, int64_t *pairs)
{
    const struct store_doctor_order *o = &d->orders[i];
    for (size_t k = 0; k < o->n_lines; k++) {
        pairs[2 * k] = d->lines[o->first_line + k].product_id;
        pairs[2 * k + 1] = d->lines[o->first_line + k].qty;
    }
    qsort(pairs, o->n_lines, 2 * sizeof(int64_t), cmp_pair);
}

static int cmp_signature(const void *a, const void *b)
{
    const struct signature *x = a, *y = b;
    if (x->account_id != y->account_id)
        return x->account_id < y->account_id ? -1 : 1;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static int same_lines(const struct store_doctor_data *d, size_t a, size_t b, int64_t *buf)
{
    size_t n = d->orders[a].n_lines;
    if (n != d->orders[b].n_lines)
        return 0;
    order_pairs(d, a, buf);
    order_pairs(d, b, buf + 2 * n);
    return memcmp(buf, buf + 2 * n, 2 * n * sizeof(int64_t)) == 0;
}

/* 1 when order a comes before order b: earlier date, else lower id. */
static int before(const struct order *a, const struct order *b)
{
    return a->order_date < b->order_date || (a->order_date == b->order_date && a->id < b->id);
}

/* Makes `other` the duplicate_of of order `i` when it is an earlier identical order, the latest. */
static void consider_duplicate(struct doctor_index *x, size_t i, size_t other, int64_t window_days,
                               int64_t *pairs)
{
    const struct store_doctor_data *d = x->d;
    const struct order *o = &d->orders[i].order, *e = &d->orders[other].order;
    if (other == i || !before(e, o) || o->order_date - e->order_date > window_days ||
        !same_lines(d, i, other, pairs))
        return;
    if (!x->duplicate_of[i] || before(&x->duplicate_of[i]->order, e))
        x->duplicate_of[i] = &d->orders[other];
}

/*
 * duplicate_of[i]: for an open subject, the latest earlier non-cancelled
 * order of the same account with the same lines, at most window_days before.
 */
static void index_duplicates(struct doctor_index *x, int64_t window_days)
{
    const struct store_doctor_data *d = x->d;
    size_t max_lines = 1;
    struct signature *s = xmalloc((d->n_orders ? d->n_orders : 1) * sizeof(*s));
    size_t n = 0;
    for (size_t i = 0; i < d->n_orders; i++)
        max_lines = d->orders[i].n_lines > max_lines ? d->orders[i].n_lines : max_lines;
    int64_t *pairs = xmalloc(4 * max_lines * sizeof(int64_t));
    for (size_t i = 0; i < d->n_orders; i++) {
        const struct store_doctor_order *o = &d->orders[i];
        if (o->n_lines == 0 || o->order.status == ORDER_CANCELLED)
            continue;
        order_pairs(d, i, pairs);
        uint64_t h = 1469598103934665603u;
        for (size_t k = 0; k < 2 * o->n_lines; k++)
            h = (h ^ (uint64_t)pairs[k]) * 1099511628211u;
        s[n++] = (struct signature){i, o->order.account_id, h};
    }
    qsort(s, n, sizeof(*s), cmp_signature);
    for (size_t i = 0; i < n; i++) {
        const struct store_doctor_order *o = &d->orders[s[i].order];
        if (!o->subject || !order_status_is_open(o->order.status))
            continue;
        /* Candidates: the run of signatures with the same account and hash around i. */
        size_t first = i, last = i;
        while (first > 0 && s[first - 1].account_id == s[i].account_id &&
               s[first - 1].hash == s[i].hash)
            first--;
        while (last + 1 < n && s[last + 1].account_id == s[i].account_id &&
               s[last + 1].hash == s[i].hash)
            last++;
        for (size_t j = first; j <= last; j++)
            consider_duplicate(x, s[i].order, s[j].order, window_days, pairs);
    }
    free(pairs);
    free(s);
}

static void index_release(struct doctor_index *x)
{
    free(x->net);
    free(x->open_net);
    free(x->receivables);
    free(x->n_overdue);
    free(x->overdue);
    free(x->oldest_due);
    free(x->earlier_demand);
    free(x->duplicate_of);
    free(x->invoiced);
    free(x->n_invoices);
}

static int index_build(struct doctor_index *x, const struct store_doctor_data *d, int32_t today,
                       int64_t window_days, struct sd_error *err)
{
    size_t no = d->n_orders + 1, na = d->n_accounts + 1, nl = d->n_lines + 1;
    x->d = d;
    x->today = today;
    x->net = xcalloc(no, sizeof(int64_t));
    x->invoiced = xcalloc(no, sizeof(int64_t));
    x->n_invoices = xcalloc(no, sizeof(int64_t));
    x->duplicate_of = xcalloc(no, sizeof(*x->duplicate_of));
    x->open_net = xcalloc(na, sizeof(int64_t));
    x->receivables = xcalloc(na, sizeof(int64_t));
    x->n_overdue = xcalloc(na, sizeof(int64_t));
    x->overdue = xcalloc(na, sizeof(int64_t));
    x->oldest_due = xcalloc(na, sizeof(int32_t));
    x->earlier_demand = xcalloc(nl, sizeof(int64_t));
    int rc = index_nets(x, err);
    if (rc)
        return rc;
    index_invoices(x);
    index_stock(x);
    index_duplicates(x, window_days);
    return 0;
}

/* ---- running the rules ---- */

static const struct store_doctor_rep *rep_of(const struct store_doctor_data *d, int64_t id)
{
    size_t i = id ? store_doctor_find(d->reps, d->n_reps, sizeof(*d->reps), id) : SIZE_MAX;
    return i == SIZE_MAX ? NULL : &d->reps[i];
}

static void requests_of(const struct store_doctor_data *d, int64_t order_id,
                        const struct store_doctor_request **first, size_t *n)
{
    size_t lo = 0, hi = d->n_requests;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->requests[mid].order_id < order_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *first = &d->requests[lo < d->n_requests ? lo : 0];
    *n = 0;
    while (lo + *n < d->n_requests && d->requests[lo + *n].order_id == order_id)
        (*n)++;
}

static void case_init(struct doctor_case *c, const struct doctor_index *x, size_t i)
{
    const struct store_doctor_data *d = x->d;
    memset(c, 0, sizeof(*c));
    c->d = d;
    c->o = &d->orders[i];
    c->today = x->today;
    c->net = x->net[i];
    c->earlier_demand = x->earlier_demand;
    c->duplicate_of = x->duplicate_of[i];
    c->invoiced = x->invoiced[i];
    c->n_invoices = x->n_invoices[i];
    c->rep = rep_of(d, c->o->order.rep_id);
    c->oldest_due = DATE_NONE;
    size_t a = account_index(d, c->o->order.account_id);
    if (a != SIZE_MAX) {
        c->account = &d->accounts[a];
        c->other_open_net = x->open_net[a] - (order_status_is_open(c->o->order.status) ? c->net : 0);
        c->receivables = x->receivables[a];
        c->n_overdue = x->n_overdue[a];
        c->overdue = x->overdue[a];
        c->oldest_due = x->oldest_due[a];
    }
    requests_of(d, c->o->order.id, &c->requests, &c->n_requests);
}

/* Inserts thousands separators into a formatted number ("-1234567.50" → "-1,234,567.50"). */
static void group_thousands(const char *in, char *out)
{
    const char *digits = in + (*in == '-');
    size_t int_len = strcspn(digits, ".");
    if (*in == '-')
        *out++ = '-';
    for (size_t i = 0; i < int_len; i++) {
        if (i > 0 && (int_len - i) % 3 == 0)
            *out++ = ',';
        *out++ = digits[i];
    }
    for (const char *p = digits + int_len;; p++) {
        *out++ = *p;
        if (!*p)
            break;
    }
}

const char *doctor_evidence_text(const struct doctor_evidence *e, char *buf)
{
    char tmp[64];
    switch (e->unit) {
    case DOCTOR_MONEY:
        money_format_fixed(e->value, 2, tmp);
        group_thousands(tmp, buf);
        return buf;
    case DOCTOR_DISCOUNT:
    case DOCTOR_PERCENT: /* both are percent × 10^4 as numbers: shortest exact form */
        money_format(e->value, buf);
        return buf;
    case DOCTOR_DATE:
        if (e->value == DATE_NONE)
            return "-";
        date_format((int32_t)e->value, buf);
        return buf;
    case DOCTOR_TEXT: return e->text;
    case DOCTOR_COUNT:
    case DOCTOR_DAYS: break;
    }
    snprintf(tmp, sizeof(tmp), "%lld", (long long)e->value);
    group_thousands(tmp, buf);
    return buf;
}

/* The rule's message with each {name} replaced by the evidence of that name. */
static const char *render(struct arena *arena, const struct doctor_finding *f)
{
    struct strbuf sb = STRBUF_INIT;
    const char *t = f->rule->message;
    while (*t) {
        const char *close = *t == '{' ? strchr(t, '}') : NULL;
        const struct doctor_evidence *e = NULL;
        for (int k = 0; close && k < f->n_evidence && !e; k++)
            if (strlen(f->evidence[k].name) == (size_t)(close - t - 1) &&
                strncmp(f->evidence[k].name, t + 1, (size_t)(close - t - 1)) == 0)
                e = &f->evidence[k];
        if (e) {
            char buf[64];
            strbuf_addstr(&sb, doctor_evidence_text(e, buf));
            t = close + 1;
        } else {
            strbuf_addch(&sb, *t++);
        }
    }
    const char *s = arena_strndup(arena, sb.buf, sb.len);
    strbuf_release(&sb);
    return s;
}

static int cmp_finding(const void *a, const void *b)
{
    const struct doctor_finding *x = a, *y = b;
    if (x->rule->severity != y->rule->severity)
        return x->rule->severity < y->rule->severity ? -1 : 1;
    if (x->rule != y->rule)
        return x->rule < y->rule ? -1 : 1;
    return (x->line_no > y->line_no) - (x->line_no < y->line_no);
}

static void diagnose_case(struct arena *arena, const struct doctor_settings *s,
                          const struct doctor_case *c, struct doctor_diagnosis *out)
{
    struct doctor_out run = {.arena = arena};
    vec_init(&run.findings, sizeof(struct doctor_finding));
    for (size_t r = 0; r < doctor_rules_count; r++) {
        run.rule = &doctor_rules[r];
        doctor_rules[r].check(c, s->params[r], &run);
    }
    size_t n = run.findings.len;
    struct doctor_finding *f = arena_alloc(arena, (n ? n : 1) * sizeof(*f));
    if (n)
        memcpy(f, run.findings.items, n * sizeof(*f));
    qsort(f, n, sizeof(*f), cmp_finding);
    out->order_ext_id = c->o->order.ext_id;
    out->status = c->o->order.status;
    out->net = c->net;
    out->verdict = DOCTOR_OK;
    for (size_t i = 0; i < n; i++) {
        f[i].message = render(arena, &f[i]);
        if (f[i].rule->severity == DOCTOR_BLOCKER)
            out->verdict = DOCTOR_BLOCKED;
        else if (f[i].rule->severity == DOCTOR_RISK && out->verdict == DOCTOR_OK)
            out->verdict = DOCTOR_AT_RISK;
    }
    out->findings = f;
    out->n_findings = n;
    vec_release(&run.findings);
}

int64_t doctor_window_days(const struct doctor_settings *s)
{
    return s->params[rule_index("DUPLICATE_ORDER")][0];
}

int doctor_diagnose_loaded(struct arena *arena, const struct doctor_settings *s,
                           const struct store_doctor_data *d, int32_t today,
                           struct doctor_diagnosis **items, size_t *n, struct sd_error *err)
{
    struct doctor_index x = {0};
    int rc = index_build(&x, d, today, doctor_window_days(s), err);
    size_t count = 0;
    for (size_t i = 0; i < d->n_orders; i++)
        count += d->orders[i].subject != 0;
    *items = arena_alloc(arena, (count ? count : 1) * sizeof(**items));
    *n = 0;
    for (size_t i = 0; rc == 0 && i < d->n_orders; i++) {
        if (!d->orders[i].subject)
            continue;
        struct doctor_case c;
        case_init(&c, &x, i);
        diagnose_case(arena, s, &c, &(*items)[(*n)++]);
    }
    index_release(&x);
    return rc;
}

int doctor_diagnose_order(struct db *db, struct arena *arena, const struct doctor_settings *s,
                          const char *ext_id, int32_t today, struct doctor_diagnosis *out,
                          struct sd_error *err)
{
    struct store_doctor_data d;
    struct doctor_diagnosis *items = NULL;
    size_t n = 0;
    int rc = store_doctor_load_order(db, arena, ext_id, (int)doctor_window_days(s), &d, err);
    if (rc)
        return rc;
    rc = doctor_diagnose_loaded(arena, s, &d, today, &items, &n, err);
    if (rc == 0 && n != 1)
        rc = sd_error_set(err, SD_ERR, "order '%s': expected one diagnosis", ext_id);
    if (rc == 0)
        *out = items[0];
    store_doctor_release(&d);
    return rc;
}

int doctor_diagnose_open(struct db *db, struct arena *arena, const struct doctor_settings *s,
                         int32_t today, struct doctor_diagnosis **items, size_t *n,
                         struct sd_error *err)
{
    struct store_doctor_data d;
    int rc = store_doctor_load_open(db, arena, (int)doctor_window_days(s), &d, err);
    if (rc)
        return rc;
    rc = doctor_diagnose_loaded(arena, s, &d, today, items, n, err);
    store_doctor_release(&d);
    return rc;
}

/* ---- another order named in a finding ---- */

static struct doctor_evidence *other_order_evidence(struct doctor_finding *f)
{
    for (int k = 0; k < f->n_evidence; k++)
        if (strcmp(f->evidence[k].name, "other_order") == 0 && f->evidence[k].text)
            return &f->evidence[k];
    return NULL;
}

const char *doctor_finding_other_order(struct doctor_finding *f)
{
    struct doctor_evidence *e = other_order_evidence(f);
    return e ? e->text : NULL;
}

void doctor_finding_hide_order(struct arena *arena, struct doctor_finding *f)
{
    struct doctor_evidence *e = other_order_evidence(f);
    if (!e)
        return;
    struct strbuf needle = STRBUF_INIT, message = STRBUF_INIT;
    strbuf_addf(&needle, "order %s of ", e->text); /* as the template reads */
    const char *at = strstr(f->message, needle.buf);
    if (at) {
        strbuf_add(&message, f->message, (size_t)(at - f->message));
        strbuf_addstr(&message, "another order of ");
        strbuf_addstr(&message, at + needle.len);
        const char *copy = arena_strndup(arena, message.buf, message.len);
        if (copy)
            f->message = copy;
    }
    e->text = NULL;
    strbuf_release(&needle);
    strbuf_release(&message);
}

/* ---- JSON ---- */

static void evidence_json(struct json_writer *w, const struct doctor_evidence *e)
{
    json_key(w, e->name);
    switch (e->unit) {
    case DOCTOR_MONEY:
    case DOCTOR_PERCENT: json_money(w, e->value); break;
    case DOCTOR_DISCOUNT: json_discount(w, e->value); break;
    case DOCTOR_DATE: json_date(w, (int32_t)e->value); break;
    case DOCTOR_TEXT: json_string(w, e->text); break;
    case DOCTOR_COUNT:
    case DOCTOR_DAYS: json_int(w, e->value); break;
    }
}

static void finding_json(struct json_writer *w, const struct doctor_finding *f)
{
    json_object_begin(w);
    json_kv_string(w, "code", f->rule->code);
    json_kv_string(w, "severity", doctor_severity_name(f->rule->severity));
    json_kv_string(w, "owner", doctor_owner_name(f->rule->owner));
    if (f->line_no)
        json_kv_int(w, "line", f->line_no);
    json_kv_string(w, "message", f->message);
    json_kv_string(w, "action", f->rule->action);
    json_key(w, "evidence");
    json_object_begin(w);
    for (int k = 0; k < f->n_evidence; k++)
        evidence_json(w, &f->evidence[k]);
    json_object_end(w);
    json_object_end(w);
}

void doctor_diagnosis_json(struct json_writer *w, const struct doctor_diagnosis *dg,
                           int32_t today)
{
    json_object_begin(w);
    json_kv_string(w, "id", dg->order_ext_id);
    json_kv_string(w, "status", order_status_name(dg->status));
    json_kv_string(w, "verdict", doctor_verdict_name(dg->verdict));
    if (today != DATE_NONE)
        json_kv_date(w, "today", today);
    json_key(w, "findings");
    json_array_begin(w);
    for (size_t i = 0; i < dg->n_findings; i++)
        finding_json(w, &dg->findings[i]);
    json_array_end(w);
    json_object_end(w);
}
