/* SPDX-License-Identifier: MIT */
/*
 * bench-queries: the engine side of bench/queries (issue #4's query set).
 * Opens a database, builds the facts (timed, with bytes per line and RSS),
 * then runs Q1..Q7 through the public engine API (query_run), each once to
 * warm up and then `runs` times, and prints per query the median wall time
 * and a checksum that the SQL systems print too. Q1 also runs as a
 * hand-written C loop over plain copies of the facts' day, status and net
 * columns (one thread and one per core): the memory-bandwidth bound.
 *
 * Output, one record a line, for the script to read:
 *   info KEY VALUE
 *   query Qn MEDIAN_MS CHECKSUM...     (CHECKSUM "n/a ..." when not expressible)
 *
 * Money and ratios in checksums are integers in 1/10000 (the engine's fixed
 * point), so every system's output compares as text.
 *
 * Usage: bench-queries DB RUNS TODAY REGION REP ACCOUNT COHORT_START
 * (dates ISO; COHORT_START the first day of the first cohort month).
 * BENCH_QUERIES_ONLY=Qn (or cloop) runs that one alone, e.g. under perf.
 *
 * It reads the facts' column arrays for the C loop through facts-int.h, read
 * only; everything else goes through facts.h and query.h.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/date.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "engine/facts-int.h"
#include "engine/query.h"
#include "store/model.h"
#include "store/store.h"
#include "base/banned.h"

#define MAX_RUNS 101

struct params {
    int32_t today;
    const char *region, *rep, *account;
    int32_t cohort_start;
};

struct bench {
    const struct facts *f;
    struct db *db;
    struct params p;
    char checksum[256];
};

typedef int query_fn(struct bench *b);

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die_err(const char *what, const struct sd_error *err)
{
    fprintf(stderr, "bench-queries: %s: %s\n", what, err->message);
    exit(1);
}

/* Runs `q` and dies on failure: a bench query that fails is a bug in the bench. */
static void run(const struct facts *f, const struct query *q, struct query_result *r)
{
    struct sd_error err = {0};
    if (query_run(f, q, r, &err))
        die_err("query", &err);
}

static int32_t add_months(int32_t first_of_month, int months)
{
    struct period p = period_containing(first_of_month, PERIOD_MONTH, 1);
    for (int i = 0; i < months; i++)
        p = period_containing(p.last + 1, PERIOD_MONTH, 1);
    return p.first;
}

/* ---- the queries ---- */

/* Q1: revenue by month over the whole data (3 years), booked lines. */
static int q1(struct bench *b)
{
    struct query q = {.measures = 1u << MEASURE_REVENUE,
                      .bucketed = 1,
                      .bucket = PERIOD_MONTH,
                      .fy_start_month = 1,
                      .from = DATE_NONE,
                      .to = DATE_NONE,
                      .status_mask = QUERY_BOOKED};
    struct query_result r;
    run(b->f, &q, &r);
    int64_t sum = 0;
    for (size_t i = 0; i < r.n; i++)
        sum += r.rows[i].value[MEASURE_REVENUE];
    snprintf(b->checksum, sizeof(b->checksum), "%zu %" PRId64, r.n, sum);
    query_result_release(&r);
    return 0;
}

/* Q2: revenue by month x team for one region. */
static int q2(struct bench *b)
{
    const char *values[] = {b->p.region};
    struct query_filter where = {DIM_REGION, values, 1};
    struct query q = {.measures = 1u << MEASURE_REVENUE,
                      .bucketed = 1,
                      .bucket = PERIOD_MONTH,
                      .fy_start_month = 1,
                      .by = {DIM_TEAM, DIM_NONE},
                      .from = DATE_NONE,
                      .to = DATE_NONE,
                      .status_mask = QUERY_BOOKED,
                      .where = &where,
                      .nwhere = 1};
    struct query_result r;
    run(b->f, &q, &r);
    int64_t sum = 0;
    for (size_t i = 0; i < r.n; i++)
        sum += r.rows[i].value[MEASURE_REVENUE];
    snprintf(b->checksum, sizeof(b->checksum), "%zu %" PRId64, r.n, sum);
    query_result_release(&r);
    return 0;
}

struct growth {
    uint32_t product;
    int64_t last, prev;
    const char *sku;
};

static int cmp_growth(const void *a, const void *b)
{
    const struct growth *x = a, *y = b;
    /* (x.last - x.prev) / x.prev vs the same of y, exactly (prev > 0). */
    __int128 l = (__int128)(x->last - x->prev) * y->prev;
    __int128 r = (__int128)(y->last - y->prev) * x->prev;
    if (l != r)
        return l > r ? -1 : 1;
    return strcmp(x->sku, y->sku);
}

/* Q3: top 20 products by growth, the last 90 days against the 90 before. */
static int q3(struct bench *b)
{
    int32_t t = b->p.today;
    struct query q = {.measures = 1u << MEASURE_REVENUE,
                      .by = {DIM_PRODUCT, DIM_NONE},
                      .from = t - 179,
                      .to = t - 90,
                      .status_mask = QUERY_BOOKED};
    struct query_result prev, last;
    run(b->f, &q, &prev);
    q.from = t - 89;
    q.to = t;
    run(b->f, &q, &last);
    uint32_t nproducts = facts_dim_count(b->f, DIM_PRODUCT);
    int64_t *last_by = xcalloc(nproducts, sizeof(*last_by));
    for (size_t i = 0; i < last.n; i++)
        last_by[last.rows[i].key[0]] = last.rows[i].value[MEASURE_REVENUE];
    struct growth *g = xmalloc((prev.n ? prev.n : 1) * sizeof(*g));
    size_t n = 0;
    for (size_t i = 0; i < prev.n; i++) {
        uint32_t k = prev.rows[i].key[0];
        if (prev.rows[i].value[MEASURE_REVENUE] > 0)
            g[n++] = (struct growth){k, last_by[k], prev.rows[i].value[MEASURE_REVENUE],
                                     facts_dim_key(b->f, DIM_PRODUCT, k)};
    }
    qsort(g, n, sizeof(*g), cmp_growth);
    size_t top = n < 20 ? n : 20;
    int64_t sum_last = 0, sum_prev = 0;
    for (size_t i = 0; i < top; i++) {
        sum_last += g[i].last;
        sum_prev += g[i].prev;
    }
    snprintf(b->checksum, sizeof(b->checksum), "%zu %" PRId64 " %" PRId64 " %s", top, sum_last,
             sum_prev, top ? g[0].sku : "-");
    free(g);
    free(last_by);
    query_result_release(&prev);
    query_result_release(&last);
    return 0;
}

/* Q4: KPI cards for one rep for the quarter of today. */
static int q4(struct bench *b)
{
    struct period quarter = period_containing(b->p.today, PERIOD_QUARTER, 1);
    const char *values[] = {b->p.rep};
    struct query_filter where = {DIM_REP, values, 1};
    struct query q = {.measures = (1u << MEASURE_REVENUE) | (1u << MEASURE_ORDERS) |
                                  (1u << MEASURE_AOV) | (1u << MEASURE_ACCOUNTS) |
                                  (1u << MEASURE_ON_TIME_RATE),
                      .from = quarter.first,
                      .to = quarter.last,
                      .status_mask = QUERY_BOOKED,
                      .where = &where,
                      .nwhere = 1};
    struct query_result r;
    run(b->f, &q, &r);
    if (r.n != 1) {
        snprintf(b->checksum, sizeof(b->checksum), "no-rows");
    } else {
        const int64_t *v = r.rows[0].value;
        snprintf(b->checksum, sizeof(b->checksum),
                 "%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64, v[MEASURE_REVENUE],
                 v[MEASURE_ORDERS] / 10000, v[MEASURE_AOV], v[MEASURE_ACCOUNTS] / 10000,
                 v[MEASURE_ON_TIME_RATE]);
    }
    query_result_release(&r);
    return 0;
}

/* One row's measure of a one-group query, 0 when no line counted. */
static int64_t single(const struct facts *f, const struct query *q, enum measure m)
{
    struct query_result r;
    run(f, q, &r);
    int64_t v = r.n ? r.rows[0].value[m] : 0;
    query_result_release(&r);
    return v;
}

#define OPEN_STATUSES ((1u << ORDER_PENDING) | (1u << ORDER_CONFIRMED) | (1u << ORDER_ON_HOLD))

/*
 * Q5: one account: its open orders (count and value: the engine cannot list
 * orders), the day of its last booked order (day buckets, the last one),
 * revenue of the trailing 365 days and of the 365 before.
 */
static int q5(struct bench *b)
{
    int32_t t = b->p.today;
    const char *values[] = {b->p.account};
    struct query_filter where = {DIM_ACCOUNT, values, 1};
    struct query q = {.measures = (1u << MEASURE_ORDERS) | (1u << MEASURE_REVENUE),
                      .from = DATE_NONE,
                      .to = DATE_NONE,
                      .status_mask = OPEN_STATUSES,
                      .where = &where,
                      .nwhere = 1};
    struct query_result r;
    run(b->f, &q, &r);
    int64_t open_orders = r.n ? r.rows[0].value[MEASURE_ORDERS] / 10000 : 0;
    int64_t open_value = r.n ? r.rows[0].value[MEASURE_REVENUE] : 0;
    query_result_release(&r);
    q.measures = 1u << MEASURE_ORDERS;
    q.status_mask = QUERY_BOOKED;
    q.bucketed = 1;
    q.bucket = PERIOD_DAY;
    run(b->f, &q, &r);
    char last_day[16] = "-";
    if (r.n)
        date_format(r.rows[r.n - 1].bucket_first, last_day);
    query_result_release(&r);
    q.measures = 1u << MEASURE_REVENUE;
    q.bucketed = 0;
    q.from = t - 364;
    q.to = t;
    int64_t trailing = single(b->f, &q, MEASURE_REVENUE);
    q.from = t - 729;
    q.to = t - 365;
    int64_t before = single(b->f, &q, MEASURE_REVENUE);
    snprintf(b->checksum, sizeof(b->checksum), "%" PRId64 " %" PRId64 " %s %" PRId64 " %" PRId64,
             open_orders, open_value, last_day, trailing, before);
    return 0;
}

/*
 * Q6: pending orders placed at least 4 days before today (older than 3
 * days), the top 100 by value (ties by id): their count, total value and the
 * first one's external id.
 */
static int q6(struct bench *b)
{
    struct sd_error err = {0};
    struct order_row *rows;
    size_t n;
    struct order_query q = {.status_mask = 1u << ORDER_PENDING,
                            .from = DATE_NONE,
                            .to = b->p.today - 4,
                            .top = 100};
    if (query_orders(b->f, &q, &rows, &n, &err))
        die_err("query_orders", &err);
    int64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += rows[i].value;
    char first[64] = "";
    if (n && store_order_ext_id(b->db, rows[0].order_id, first, sizeof(first), &err))
        die_err("store_order_ext_id", &err);
    snprintf(b->checksum, sizeof(b->checksum), "%zu %" PRId64 " %s", n, total, first);
    free(rows);
    return 0;
}

/*
 * Q7: monthly cohorts (accounts by the month of their first booked order,
 * for the 12 months from cohort_start) and their repeat orders: orders in the
 * cohort month and the 12 months after, less each account's first. One query
 * by account x month (new_accounts, orders) over the 24 months, folded here.
 */
static int q7(struct bench *b)
{
    const struct facts *f = b->f;
    int32_t start = b->p.cohort_start;
    struct query q = {.measures = (1u << MEASURE_NEW_ACCOUNTS) | (1u << MEASURE_ORDERS),
                      .bucketed = 1,
                      .bucket = PERIOD_MONTH,
                      .fy_start_month = 1,
                      .by = {DIM_ACCOUNT, DIM_NONE},
                      .from = start,
                      .to = add_months(start, 24) - 1,
                      .status_mask = QUERY_BOOKED};
    struct query_result r;
    run(f, &q, &r);
    uint32_t naccounts = facts_dim_count(f, DIM_ACCOUNT);
    int *cohort = xmalloc(naccounts * sizeof(*cohort));
    for (uint32_t a = 0; a < naccounts; a++)
        cohort[a] = -1;
    int32_t month_first[25];
    for (int m = 0; m <= 24; m++)
        month_first[m] = add_months(start, m);
    int64_t accounts[12] = {0}, orders[12] = {0};
    for (size_t i = 0; i < r.n; i++) {
        int m = 0;
        while (m < 24 && month_first[m + 1] <= r.rows[i].bucket_first)
            m++;
        if (r.rows[i].value[MEASURE_NEW_ACCOUNTS] > 0 && m < 12) {
            cohort[r.rows[i].key[0]] = m;
            accounts[m]++;
        }
    }
    for (size_t i = 0; i < r.n; i++) {
        int c = cohort[r.rows[i].key[0]];
        int m = 0;
        while (m < 24 && month_first[m + 1] <= r.rows[i].bucket_first)
            m++;
        if (c >= 0 && m >= c && m <= c + 12)
            orders[c] += r.rows[i].value[MEASURE_ORDERS] / 10000;
    }
    int ncohorts = 0;
    int64_t sum_accounts = 0, sum_repeats = 0;
    for (int c = 0; c < 12; c++) {
        ncohorts += accounts[c] > 0;
        sum_accounts += accounts[c];
        sum_repeats += orders[c] - accounts[c];
    }
    snprintf(b->checksum, sizeof(b->checksum), "%d %" PRId64 " %" PRId64, ncohorts, sum_accounts,
             sum_repeats);
    free(cohort);
    query_result_release(&r);
    return 0;
}

/* ---- the C loop for Q1 ---- */

struct cloop {
    size_t n;
    int32_t *day;
    uint8_t *status;
    int64_t *net;
    int32_t day_lo;
    uint32_t *month_of; /* day - day_lo → month index */
    uint32_t nmonths;
};

struct cloop_part {
    const struct cloop *c;
    size_t lo, hi;
    int64_t sums[64];
    pthread_t thread;
};

static void *cloop_scan(void *arg)
{
    struct cloop_part *p = arg;
    const struct cloop *c = p->c;
    int64_t sums[64] = {0}; /* 3 years of months; more is refused at set-up */
    for (size_t i = p->lo; i < p->hi; i++) {
        if ((QUERY_BOOKED >> c->status[i]) & 1)
            sums[c->month_of[c->day[i] - c->day_lo]] += c->net[i];
    }
    memcpy(p->sums, sums, sizeof(sums));
    return NULL;
}

static int64_t cloop_run(const struct cloop *c, int nthreads, uint32_t *nmonths_seen)
{
    struct cloop_part parts[16];
    for (int t = 0; t < nthreads; t++) {
        parts[t].c = c;
        parts[t].lo = c->n / (size_t)nthreads * (size_t)t;
        parts[t].hi = t + 1 == nthreads ? c->n : c->n / (size_t)nthreads * (size_t)(t + 1);
        if (t > 0)
            pthread_create(&parts[t].thread, NULL, cloop_scan, &parts[t]);
    }
    cloop_scan(&parts[0]);
    for (int t = 1; t < nthreads; t++)
        pthread_join(parts[t].thread, NULL);
    int64_t total = 0;
    *nmonths_seen = 0;
    for (uint32_t m = 0; m < c->nmonths; m++) {
        int64_t s = 0;
        for (int t = 0; t < nthreads; t++)
            s += parts[t].sums[m];
        total += s;
        *nmonths_seen += s != 0;
    }
    return total;
}

static void cloop_init(struct cloop *c, const struct facts *f)
{
    c->n = f->n;
    c->day = xmalloc(f->n * sizeof(*c->day));
    c->status = xmalloc(f->n);
    c->net = xmalloc(f->n * sizeof(*c->net));
    memcpy(c->day, f->day, f->n * sizeof(*c->day));
    memcpy(c->status, f->status, f->n);
    memcpy(c->net, f->net, f->n * sizeof(*c->net));
    c->day_lo = f->first_day;
    size_t span = (size_t)(f->last_day - f->first_day) + 1;
    c->month_of = xmalloc(span * sizeof(*c->month_of));
    c->nmonths = 0;
    for (int32_t d = f->first_day; d <= f->last_day;) {
        struct period p = period_containing(d, PERIOD_MONTH, 1);
        for (; d <= p.last && d <= f->last_day; d++)
            c->month_of[d - f->first_day] = c->nmonths;
        c->nmonths++;
    }
    if (c->nmonths > 64) {
        fprintf(stderr, "bench-queries: more than 64 months of data\n");
        exit(1);
    }
}

static void cloop_release(struct cloop *c)
{
    free(c->day);
    free(c->status);
    free(c->net);
    free(c->month_of);
}

/* ---- driver ---- */

static long status_kib(const char *field)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    long kib = 0;
    size_t len = strlen(field);
    while (fp && fgets(line, sizeof(line), fp)) {
        if (strncmp(line, field, len) == 0 && line[len] == ':')
            kib = strtol(line + len + 1, NULL, 10);
    }
    if (fp)
        fclose(fp);
    return kib;
}

static void time_query(struct bench *b, const char *name, query_fn *fn, int runs)
{
    double ms[MAX_RUNS];
    if (fn(b) < 0) {
        printf("query %s - %s\n", name, b->checksum);
        return;
    }
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        fn(b);
        ms[i] = now_ms() - t0;
    }
    printf("query %s %.3f %s\n", name, median(ms, runs), b->checksum);
    fflush(stdout);
}

static void time_cloop(const struct facts *f, int runs)
{
    struct cloop c;
    double ms[MAX_RUNS];
    uint32_t months = 0;
    int64_t total = 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads[2] = {1, cores < 1 ? 1 : cores > 16 ? 16 : (int)cores};
    cloop_init(&c, f);
    for (int k = 0; k < 2; k++) {
        cloop_run(&c, threads[k], &months);
        for (int i = 0; i < runs; i++) {
            double t0 = now_ms();
            total = cloop_run(&c, threads[k], &months);
            ms[i] = now_ms() - t0;
        }
        printf("query Q1-cloop-%dt %.3f %u %" PRId64 "\n", threads[k], median(ms, runs), months,
               total);
    }
    cloop_release(&c);
}

static int parse_args(int argc, char **argv, struct params *p, int *runs)
{
    struct sd_error err = {0};
    if (argc != 8) {
        fprintf(stderr, "usage: bench-queries DB RUNS TODAY REGION REP ACCOUNT COHORT_START\n");
        return 2;
    }
    *runs = (int)strtol(argv[2], NULL, 10);
    if (*runs < 1 || *runs > MAX_RUNS) {
        fprintf(stderr, "bench-queries: RUNS must be 1..%d\n", MAX_RUNS);
        return 2;
    }
    if (date_parse(argv[3], strlen(argv[3]), &p->today, &err) ||
        date_parse(argv[7], strlen(argv[7]), &p->cohort_start, &err))
        die_err("dates", &err);
    p->region = argv[4];
    p->rep = argv[5];
    p->account = argv[6];
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        query_fn *fn;
    } queries[] = {{"Q1", q1}, {"Q2", q2}, {"Q3", q3}, {"Q4", q4},
                   {"Q5", q5}, {"Q6", q6}, {"Q7", q7}};
    struct bench b = {0};
    struct sd_error err = {0};
    struct db *db = NULL;
    struct facts *f = NULL;
    int runs;
    int rc = parse_args(argc, argv, &b.p, &runs);
    if (rc)
        return rc;
    if (store_open(&db, argv[1], DB_OPEN_EXISTING, &err))
        die_err(argv[1], &err);
    long rss_before = status_kib("VmRSS");
    double t0 = now_ms();
    if (facts_build(db, NULL, NULL, &f, &err))
        die_err("facts_build", &err);
    double build_ms = now_ms() - t0;
    struct facts_stats st;
    facts_stats(f, &st);
    printf("info lines %" PRId64 "\ninfo orders %" PRId64 "\ninfo build_s %.2f\n", st.lines,
           st.orders, build_ms / 1000);
    printf("info engine_bytes %" PRId64 "\ninfo bytes_per_line %.1f\n", st.bytes,
           st.lines ? (double)st.bytes / st.lines : 0.0);
    printf("info rss_mib %.0f\ninfo rss_growth_mib %.0f\ninfo peak_rss_mib %.0f\n",
           status_kib("VmRSS") / 1024.0, (status_kib("VmRSS") - rss_before) / 1024.0,
           status_kib("VmHWM") / 1024.0);
    printf("info unrated %" PRId64 "\n", st.unrated);
    fflush(stdout);
    b.f = f;
    b.db = db;
    /* BENCH_QUERIES_ONLY=Q7: that query alone (for a profile); "cloop": the C loop alone. */
    const char *only = getenv("BENCH_QUERIES_ONLY");
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        if (!only || strcmp(only, queries[i].name) == 0)
            time_query(&b, queries[i].name, queries[i].fn, runs);
    }
    if (!only || strcmp(only, "cloop") == 0)
        time_cloop(f, runs);
    facts_free(f);
    db_close(db);
    return 0;
}
