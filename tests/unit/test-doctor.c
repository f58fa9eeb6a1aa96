/* SPDX-License-Identifier: MIT */
/*
 * test-doctor: the order doctor's logic on rows built here, without a store:
 * which open orders come first for a product's stock (order date, then id,
 * then line; shipped quantities and closed orders do not compete), which
 * order of an identical pair is the duplicate, how evidence reads in
 * messages, and how findings decide the verdict. The expected numbers are
 * worked out by hand in the comments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "desk/doctor.c"

#define P_SCARCE 100
#define P_OTHER 101

/* Rows for one test: orders (sorted by id), their lines, one account, two products. */
struct fixture {
    struct store_doctor_order orders[16];
    struct order_line lines[32];
    struct store_doctor_account account;
    struct store_doctor_product products[2];
    struct store_doctor_data d;
    size_t n_orders, n_lines;
};

static void fixture_init(struct fixture *f, int64_t available)
{
    memset(f, 0, sizeof(*f));
    f->account = (struct store_doctor_account){.id = 1, .ext_id = "A1", .status = "active",
                                               .credit_limit = MONEY_NONE};
    f->products[0] = (struct store_doctor_product){P_SCARCE, "SCARCE", 100 * MONEY_SCALE, 0,
                                                   available};
    f->products[1] = (struct store_doctor_product){P_OTHER, "OTHER", 100 * MONEY_SCALE, 0, 1000};
}

/* Adds an order (ids must come in increasing order) with `n` lines of (product, qty, shipped). */
static void add_order(struct fixture *f, int64_t id, int32_t day, enum order_status status,
                      int64_t account_id, int n, ...)
{
    struct store_doctor_order *o = &f->orders[f->n_orders++];
    static char names[16][8];
    snprintf(names[f->n_orders - 1], sizeof(names[0]), "O%lld", (long long)id);
    o->order = (struct order){.id = id, .ext_id = names[f->n_orders - 1], .account_id = account_id,
                              .rep_id = 0, .order_date = day, .requested_date = DATE_NONE,
                              .promised_date = DATE_NONE, .ship_date = DATE_NONE,
                              .status = status, .status_date = day, .ship_country = "DE",
                              .ship_address = "1 Road"};
    o->subject = 1;
    o->first_line = f->n_lines;
    o->n_lines = (size_t)n;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        struct order_line *l = &f->lines[f->n_lines++];
        l->order_id = id;
        l->line_no = i + 1;
        l->product_id = va_arg(ap, int64_t);
        l->qty = va_arg(ap, int64_t);
        l->shipped_qty = va_arg(ap, int64_t);
        l->unit_price = 100 * MONEY_SCALE;
    }
    va_end(ap);
}

static void fixture_done(struct fixture *f)
{
    f->d = (struct store_doctor_data){
        .orders = f->orders, .n_orders = f->n_orders, .lines = f->lines, .n_lines = f->n_lines,
        .accounts = &f->account, .n_accounts = 1, .products = f->products, .n_products = 2,
    };
}

static size_t line_of(const struct fixture *f, int64_t order_id, int line_no)
{
    for (size_t i = 0; i < f->n_lines; i++)
        if (f->lines[i].order_id == order_id && f->lines[i].line_no == line_no)
            return i;
    fail_msg("no line %lld/%d", (long long)order_id, line_no);
    return 0;
}

static const struct doctor_finding *find(const struct doctor_diagnosis *dg, const char *code,
                                         int line_no)
{
    for (size_t i = 0; i < dg->n_findings; i++)
        if (strcmp(dg->findings[i].rule->code, code) == 0 && dg->findings[i].line_no == line_no)
            return &dg->findings[i];
    return NULL;
}

static int64_t evidence(const struct doctor_finding *f, const char *name)
{
    for (int i = 0; i < f->n_evidence; i++)
        if (strcmp(f->evidence[i].name, name) == 0)
            return f->evidence[i].value;
    fail_msg("no evidence '%s' in %s", name, f->rule->code);
    return 0;
}

static void default_settings(struct doctor_settings *s)
{
    memset(s, 0, sizeof(*s));
    for (size_t r = 0; r < doctor_rules_count; r++)
        for (int k = 0; k < DOCTOR_PARAMS_MAX && doctor_rules[r].params[k].key; k++)
            assert_int_equal(param_parse(&doctor_rules[r].params[k],
                                         doctor_rules[r].params[k].fallback, &s->params[r][k],
                                         NULL),
                             0);
}

/* Diagnoses every subject; diagnoses[i] belongs to f->orders[i]. */
static void run_all(struct fixture *f, struct arena *arena, struct doctor_diagnosis **items)
{
    struct doctor_settings s;
    size_t n = 0;
    default_settings(&s);
    assert_int_equal(doctor_diagnose_loaded(arena, &s, &f->d, 20, items, &n, NULL), 0);
    assert_int_equal(n, f->n_orders);
}

/*
 * 100 units available. Open demand in competition order:
 *   O6  day 8,  50 ordered, 45 shipped: 5 to ship     earlier   0, left 100: ok
 *   O9  day 9,  20                                    earlier   5, left  95: ok
 *   O3  day 10, 30 (same day as O5, lower id: first)  earlier  25, left  75: ok
 *   O5  day 10, 60                                    earlier  55, left  45: 15 short
 *   O1  day 11, line 1: 5                             earlier 115, left   0: 5 short
 *               line 2: 10 (another line, same product) earlier 120: 10 short
 *   O7  day 1, shipped: 1000 units but not open, does not compete
 *   O8  day 2, cancelled: does not compete
 */
static void test_stock_competition_order(void **state)
{
    (void)state;
    struct fixture f;
    struct arena arena;
    struct doctor_diagnosis *dg = NULL;
    fixture_init(&f, 100);
    add_order(&f, 1, 11, ORDER_CONFIRMED, 1, 2, (int64_t)P_SCARCE, (int64_t)5, (int64_t)0,
              (int64_t)P_SCARCE, (int64_t)10, (int64_t)0);
    add_order(&f, 3, 10, ORDER_PENDING, 1, 1, (int64_t)P_SCARCE, (int64_t)30, (int64_t)0);
    add_order(&f, 5, 10, ORDER_ON_HOLD, 1, 1, (int64_t)P_SCARCE, (int64_t)60, (int64_t)0);
    add_order(&f, 6, 8, ORDER_CONFIRMED, 1, 1, (int64_t)P_SCARCE, (int64_t)50, (int64_t)45);
    add_order(&f, 7, 1, ORDER_SHIPPED, 1, 1, (int64_t)P_SCARCE, (int64_t)1000, (int64_t)0);
    add_order(&f, 8, 2, ORDER_CANCELLED, 1, 1, (int64_t)P_SCARCE, (int64_t)1000, (int64_t)0);
    add_order(&f, 9, 9, ORDER_DRAFT, 1, 1, (int64_t)P_SCARCE, (int64_t)20, (int64_t)0);
    fixture_done(&f);

    struct doctor_index x = {0};
    assert_int_equal(index_build(&x, &f.d, 20, 7, NULL), 0);
    assert_int_equal(x.earlier_demand[line_of(&f, 6, 1)], 0);
    assert_int_equal(x.earlier_demand[line_of(&f, 9, 1)], 5);
    assert_int_equal(x.earlier_demand[line_of(&f, 3, 1)], 25);
    assert_int_equal(x.earlier_demand[line_of(&f, 5, 1)], 55);
    assert_int_equal(x.earlier_demand[line_of(&f, 1, 1)], 115);
    assert_int_equal(x.earlier_demand[line_of(&f, 1, 2)], 120);
    index_release(&x);

    arena_init(&arena, 0);
    run_all(&f, &arena, &dg);
    /* orders[]: O1 O3 O5 O6 O7 O8 O9 */
    assert_null(find(&dg[1], "STOCK_SHORT", 1));
    assert_null(find(&dg[3], "STOCK_SHORT", 1));
    assert_null(find(&dg[6], "STOCK_SHORT", 1));
    const struct doctor_finding *o5 = find(&dg[2], "STOCK_SHORT", 1);
    assert_non_null(o5);
    assert_int_equal(evidence(o5, "needed"), 60);
    assert_int_equal(evidence(o5, "available"), 100);
    assert_int_equal(evidence(o5, "earlier_demand"), 55);
    assert_int_equal(evidence(o5, "left"), 45);
    assert_int_equal(evidence(o5, "short"), 15);
    assert_string_equal(o5->message, "line 1 SCARCE: needs 60, stock 100 of which 55 go to earlier "
                                     "open orders, 45 left: 15 short");
    assert_int_equal(evidence(find(&dg[0], "STOCK_SHORT", 1), "short"), 5);
    assert_int_equal(evidence(find(&dg[0], "STOCK_SHORT", 2), "short"), 10);
    assert_int_equal(dg[0].verdict, DOCTOR_BLOCKED);
    /* Line findings of one rule keep line order. */
    assert_int_equal(dg[0].findings[0].line_no, 1);
    assert_int_equal(dg[0].findings[1].line_no, 2);
    assert_null(find(&dg[4], "STOCK_SHORT", 1)); /* shipped: not an open order */
    arena_release(&arena);
}

/*
 * Duplicates within 7 days, same account, same (product, qty) multiset:
 *   O2 day 10 {SCARCE×5, OTHER×3}  the original
 *   O4 day 12 {OTHER×3, SCARCE×5}  duplicate of O2 (line order does not matter)
 *   O5 day 12 {SCARCE×5, OTHER×4}  other quantity: not a duplicate
 *   O6 day 12 account 2, same lines: other account: not a duplicate
 *   O7 day 30 same lines as O2: 18 days later, outside the window... but O4
 *            is 18 days before too; not a duplicate
 *   O8 day 3 same lines, cancelled; O9 day 4 same lines: O8 does not count,
 *            and O9 is the original of O2 (6 days): O2 is flagged too
 */
static void test_duplicates(void **state)
{
    (void)state;
    struct fixture f;
    struct arena arena;
    struct doctor_diagnosis *dg = NULL;
    fixture_init(&f, 100000);
    add_order(&f, 2, 10, ORDER_CONFIRMED, 1, 2, (int64_t)P_SCARCE, (int64_t)5, (int64_t)0,
              (int64_t)P_OTHER, (int64_t)3, (int64_t)0);
    add_order(&f, 4, 12, ORDER_PENDING, 1, 2, (int64_t)P_OTHER, (int64_t)3, (int64_t)0,
              (int64_t)P_SCARCE, (int64_t)5, (int64_t)0);
    add_order(&f, 5, 12, ORDER_PENDING, 1, 2, (int64_t)P_SCARCE, (int64_t)5, (int64_t)0,
              (int64_t)P_OTHER, (int64_t)4, (int64_t)0);
    add_order(&f, 6, 12, ORDER_PENDING, 2, 2, (int64_t)P_SCARCE, (int64_t)5, (int64_t)0,
              (int64_t)P_OTHER, (int64_t)3, (int64_t)0);
    add_order(&f, 7, 30, ORDER_PENDING, 1, 2, (int64_t)P_SCARCE, (int64_t)5, (int64_t)0,
              (int64_t)P_OTHER, (int64_t)3, (int64_t)0);
    add_order(&f, 8, 3, ORDER_CANCELLED, 1, 2, (int64_t)P_SCARCE, (int64_t)5, (int64_t)0,
              (int64_t)P_OTHER, (int64_t)3, (int64_t)0);
    add_order(&f, 9, 4, ORDER_INVOICED, 1, 2, (int64_t)P_SCARCE, (int64_t)5, (int64_t)0,
              (int64_t)P_OTHER, (int64_t)3, (int64_t)0);
    fixture_done(&f);
    arena_init(&arena, 0);
    run_all(&f, &arena, &dg);
    const struct doctor_finding *dup = find(&dg[1], "DUPLICATE_ORDER", 0);
    assert_non_null(dup);
    assert_int_equal(evidence(dup, "days_apart"), 2);
    assert_string_equal(dup->message, "same 2 line(s) (800.00) as order O2 of 1970-01-11, 2 days earlier");
    assert_null(find(&dg[2], "DUPLICATE_ORDER", 0));
    assert_null(find(&dg[3], "DUPLICATE_ORDER", 0));
    assert_null(find(&dg[4], "DUPLICATE_ORDER", 0));
    const struct doctor_finding *o2 = find(&dg[0], "DUPLICATE_ORDER", 0);
    assert_non_null(o2);
    assert_int_equal(evidence(o2, "days_apart"), 6);
    assert_null(find(&dg[6], "DUPLICATE_ORDER", 0)); /* invoiced: only open orders are flagged */
    arena_release(&arena);
}

/* Evidence as a person reads it. */
static void test_evidence_text(void **state)
{
    (void)state;
    char buf[64];
    struct {
        enum doctor_unit unit;
        int64_t value;
        const char *want;
    } cases[] = {
        {DOCTOR_MONEY, -12345675000, "-1,234,567.50"},
        {DOCTOR_MONEY, 0, "0.00"},
        {DOCTOR_MONEY, 9999999, "1,000.00"}, /* 999.9999 rounds half away from zero */
        {DOCTOR_MONEY, 1234500, "123.45"},
        {DOCTOR_COUNT, 12345, "12,345"},
        {DOCTOR_DAYS, 7, "7"},
        {DOCTOR_DISCOUNT, 125000, "12.5"},
        {DOCTOR_PERCENT, 300038, "30.0038"},
        {DOCTOR_DATE, 0, "1970-01-01"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct doctor_evidence e = {"x", cases[i].unit, cases[i].value, NULL};
        assert_string_equal(doctor_evidence_text(&e, buf), cases[i].want);
    }
    assert_int_equal(percent_below(55 * MONEY_SCALE + 2900, 78 * MONEY_SCALE + 9900), 300038);
    assert_int_equal(percent_below(80, 100), 200000);
    assert_int_equal(percent_below(80, 0), 0);
}

/* Settings parse in their unit; bad ones are refused. */
static void test_param_parse(void **state)
{
    (void)state;
    struct sd_error err = {0};
    int64_t v = 0;
    const struct doctor_param days = {"doctor.x_days", "3", DOCTOR_DAYS, ""};
    const struct doctor_param pct = {"doctor.x_pct", "0", DOCTOR_PERCENT, ""};
    assert_int_equal(param_parse(&days, "14", &v, &err), 0);
    assert_int_equal(v, 14);
    assert_int_equal(param_parse(&days, "-1", &v, &err), SD_EINVAL);
    assert_int_equal(param_parse(&days, "", &v, &err), SD_EINVAL);
    assert_int_equal(param_parse(&days, "3d", &v, &err), SD_EINVAL);
    assert_string_equal(err.message, "setting 'doctor.x_days': '3d' is not a whole number 0..100000");
    assert_int_equal(param_parse(&pct, "2.5", &v, &err), 0);
    assert_int_equal(v, 25000);
    assert_int_equal(param_parse(&pct, "-2", &v, &err), SD_EINVAL);
}

/* The table: unique codes, a check, message and action each, keys prefixed "doctor.". */
static void test_rule_table(void **state)
{
    (void)state;
    assert_true(doctor_rules_count >= 15);
    for (size_t i = 0; i < doctor_rules_count; i++) {
        const struct doctor_rule *r = &doctor_rules[i];
        assert_non_null(r->check);
        assert_non_null(r->message);
        assert_non_null(r->action);
        assert_non_null(r->when);
        for (size_t j = 0; j < i; j++)
            assert_true(strcmp(doctor_rules[j].code, r->code) != 0);
        for (int k = 0; k < DOCTOR_PARAMS_MAX && r->params[k].key; k++)
            assert_int_equal(strncmp(r->params[k].key, "doctor.", 7), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stock_competition_order),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_evidence_text),
        cmocka_unit_test(test_param_parse),
        cmocka_unit_test(test_rule_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
