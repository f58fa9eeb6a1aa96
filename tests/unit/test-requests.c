/* SPDX-License-Identifier: MIT */
/*
 * test-requests: the customer requests' SLA arithmetic with fixed clocks
 * (engine/sla.h, desk/requests.h): across midnight, each priority with its
 * own targets, the deadline itself against one millisecond and one second
 * after it, answered and resolved clocks, the clock running on while a
 * request waits; the targets read from settings; and the transition table.
 * Timestamps are written out as epoch milliseconds computed with Python's
 * datetime (shown next to each), not with our date code.
 *
 * With SALESDESK_TEST_PG set (see test-util.h) the one case with a store,
 * the targets from settings, runs on PostgreSQL; the others touch no store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/json.h"
#include "desk/requests.h"
#include "test-util.h"
#include "base/banned.h"

#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)

#define T_0629_2330 1782775800000LL /* 2026-06-29T23:30:00Z */
#define T_0630_0030 1782779400000LL /* 2026-06-30T00:30:00Z */
#define T_0630_0100 1782781200000LL /* 2026-06-30T01:00:00Z */
#define T_0630_0330 1782790200000LL /* 2026-06-30T03:30:00Z */
#define T_0702_2330 1783035000000LL /* 2026-07-02T23:30:00Z */

static struct request req(const char *priority, const char *status, int64_t opened,
                          int64_t first, int64_t resolved)
{
    return (struct request){.ext_id = "R1", .priority = priority, .status = status,
                            .opened_at = opened, .first_response_at = first,
                            .resolved_at = resolved};
}

static struct sla_targets defaults(void)
{
    struct sla_targets t;
    sla_targets_default(&t);
    return t;
}

/* High (4 h to answer, 24 h to resolve), opened at 23:30: due at 03:30 the next day. */
static void test_across_midnight(void **state)
{
    (void)state;
    struct sla_targets t = defaults();
    struct request r = req("high", "open", T_0629_2330, INT_NONE, INT_NONE);
    struct request_sla s;

    request_sla_compute(&r, &t, T_0630_0100, &s);
    assert_int_equal(s.first_response.due_at, T_0630_0330);
    assert_int_equal(s.first_response.left_ms, 2 * HOUR + 30 * MIN);
    assert_false(s.first_response.breached);
    assert_int_equal(s.resolution.due_at, T_0629_2330 + 24 * HOUR);
    assert_int_equal(s.next_due_at, T_0630_0330);
    assert_int_equal(s.next_left_ms, 2 * HOUR + 30 * MIN);
    assert_false(s.breached);

    /* Exactly at the deadline: still in time. */
    request_sla_compute(&r, &t, T_0630_0330, &s);
    assert_int_equal(s.first_response.left_ms, 0);
    assert_false(s.first_response.breached);
    assert_false(s.breached);

    /* One millisecond and one second after it: breached. */
    request_sla_compute(&r, &t, T_0630_0330 + 1, &s);
    assert_int_equal(s.first_response.left_ms, -1);
    assert_true(s.first_response.breached);
    assert_true(s.breached);
    request_sla_compute(&r, &t, T_0630_0330 + SEC, &s);
    assert_int_equal(s.first_response.left_ms, -SEC);
    assert_true(s.first_response.breached);
    assert_false(s.resolution.breached);
}

/* Urgent (1 h): opened 23:30, due 00:30 on the next calendar day. */
static void test_urgent_next_day(void **state)
{
    (void)state;
    struct sla_targets t = defaults();
    struct request r = req("urgent", "open", T_0629_2330, INT_NONE, INT_NONE);
    struct request_sla s;
    request_sla_compute(&r, &t, T_0630_0030, &s);
    assert_int_equal(s.first_response.due_at, T_0630_0030);
    assert_false(s.first_response.breached);
    request_sla_compute(&r, &t, T_0630_0100, &s);
    assert_true(s.first_response.breached);
    assert_int_equal(s.first_response.left_ms, -30 * MIN);
    assert_int_equal(s.resolution.due_at, T_0629_2330 + 8 * HOUR);
    assert_int_equal(s.resolution.left_ms, 6 * HOUR + 30 * MIN); /* 8 h - 1 h 30 min */
}

/* Five and nine hours after opening, each priority against its own targets. */
static void test_each_priority(void **state)
{
    (void)state;
    static const struct {
        const char *priority;
        int first_after_5h, resolve_after_9h;
        int64_t first_target, resolve_target;
    } cases[] = {
        {"low", 0, 0, 24 * HOUR, 168 * HOUR},
        {"normal", 0, 0, 8 * HOUR, 72 * HOUR},
        {"high", 1, 0, 4 * HOUR, 24 * HOUR},
        {"urgent", 1, 1, 1 * HOUR, 8 * HOUR},
        {"no-such-priority", 0, 0, 8 * HOUR, 72 * HOUR}, /* counts as normal, as in the KPIs */
    };
    struct sla_targets t = defaults();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct request r = req(cases[i].priority, "in_progress", T_0629_2330, INT_NONE, INT_NONE);
        struct request_sla s;
        request_sla_compute(&r, &t, T_0629_2330 + 5 * HOUR, &s);
        assert_int_equal(s.first_response.target_ms, cases[i].first_target);
        assert_int_equal(s.resolution.target_ms, cases[i].resolve_target);
        assert_int_equal(s.first_response.breached, cases[i].first_after_5h);
        assert_int_equal(s.first_response.left_ms, cases[i].first_target - 5 * HOUR);
        request_sla_compute(&r, &t, T_0629_2330 + 9 * HOUR, &s);
        assert_int_equal(s.resolution.breached, cases[i].resolve_after_9h);
        assert_int_equal(s.resolution.left_ms, cases[i].resolve_target - 9 * HOUR);
    }
}

/* A clock that is done keeps the verdict of its done time, whatever the clock says now. */
static void test_done_clocks(void **state)
{
    (void)state;
    struct sla_targets t = defaults();
    struct request_sla s;
    /* High, answered exactly at 03:30: in time; resolution still runs. */
    struct request r = req("high", "in_progress", T_0629_2330, T_0630_0330, INT_NONE);
    request_sla_compute(&r, &t, T_0702_2330, &s);
    assert_int_equal(s.first_response.done_at, T_0630_0330);
    assert_int_equal(s.first_response.left_ms, INT_NONE);
    assert_false(s.first_response.breached);
    assert_int_equal(s.next_due_at, T_0629_2330 + 24 * HOUR); /* only resolution runs */
    assert_int_equal(s.next_left_ms, T_0629_2330 + 24 * HOUR - T_0702_2330);
    assert_true(s.resolution.breached);

    /* Answered one second late: breached for good. */
    r.first_response_at = T_0630_0330 + SEC;
    request_sla_compute(&r, &t, T_0630_0330 + 2 * SEC, &s);
    assert_true(s.first_response.breached);
    assert_true(s.breached);

    /* Resolved 23 h 59 min after opening: both done, nothing runs, in time. */
    r = req("high", "resolved", T_0629_2330, T_0630_0100, T_0629_2330 + 24 * HOUR - MIN);
    request_sla_compute(&r, &t, T_0702_2330, &s);
    assert_int_equal(s.next_due_at, INT_NONE);
    assert_int_equal(s.next_left_ms, INT_NONE);
    assert_int_equal(s.resolution.left_ms, INT_NONE);
    assert_false(s.breached);
}

/* Waiting on the customer does not stop the clock (elapsed wall-clock hours, as the KPIs). */
static void test_waiting_runs(void **state)
{
    (void)state;
    struct sla_targets t = defaults();
    struct request_sla s;
    struct request r = req("normal", "waiting", T_0629_2330, T_0630_0100, INT_NONE);
    request_sla_compute(&r, &t, T_0702_2330, &s); /* exactly 72 h later */
    assert_int_equal(s.resolution.left_ms, 0);
    assert_false(s.resolution.breached);
    request_sla_compute(&r, &t, T_0702_2330 + SEC, &s);
    assert_true(s.resolution.breached);
    assert_int_equal(s.next_left_ms, -SEC);
}

/* The PostgreSQL database of this run (SALESDESK_TEST_PG), "" on SQLite. */
static char pg_url[TEST_PATH_MAX];

struct db_fixture {
    char dir[TEST_PATH_MAX];
    char path[TEST_PATH_MAX];
    struct db *db;
};

static int db_setup(void **state)
{
    struct db_fixture *f = calloc(1, sizeof(*f));
    struct sd_error err = {0};
    if (!f)
        return -1;
    test_tmpdir_make(f->dir, sizeof(f->dir));
    *state = f;
    int rc = test_store_make(f->path, f->dir, "sla.db", pg_url, &f->db, &err);
    if (rc)
        print_error("setup: %s\n", err.message);
    return rc;
}

static int db_teardown(void **state)
{
    struct db_fixture *f = *state;
    db_close(f->db);
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* The settings keys the KPIs use set the desk's targets; malformed ones are refused by name. */
static void test_targets_from_settings(void **state)
{
    struct db_fixture *f = *state;
    struct sd_error err = {0};
    struct sla_targets t;
    test_exec(f->db, "INSERT INTO settings VALUES ('sla_first_response_hours.high', '2'), "
                     "('sla_resolution_hours.low', '240')");
    assert_sd_ok(sla_targets_load(f->db, &t, &err), &err);
    assert_int_equal(t.first_ms[SLA_HIGH], 2 * HOUR);
    assert_int_equal(t.resolve_ms[SLA_LOW], 240 * HOUR);
    assert_int_equal(t.first_ms[SLA_URGENT], 1 * HOUR); /* defaults for the rest */
    assert_int_equal(t.resolve_ms[SLA_NORMAL], 72 * HOUR);

    static const char *const bad[] = {
        "UPDATE settings SET value = '2.5' WHERE key = 'sla_first_response_hours.high'",
        "UPDATE settings SET value = '0' WHERE key = 'sla_first_response_hours.high'",
        "UPDATE settings SET value = 'four' WHERE key = 'sla_first_response_hours.high'",
        "UPDATE settings SET value = '-4' WHERE key = 'sla_first_response_hours.high'",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        test_exec(f->db, bad[i]);
        assert_sd_status(sla_targets_load(f->db, &t, &err), SD_EINVAL, &err);
        assert_contains(err.message, "setting 'sla_first_response_hours.high'");
    }
}

/* Every pair of states: allowed exactly as the table in requests.h says. */
static void test_transitions(void **state)
{
    (void)state;
    /* rows: from open, in_progress, waiting, resolved, closed; columns: to, same order */
    static const int allowed[REQUEST_STATUS_COUNT][REQUEST_STATUS_COUNT] = {
        {0, 1, 1, 1, 0}, /* open -> in_progress, waiting, resolved */
        {0, 0, 1, 1, 0}, /* in_progress -> waiting, resolved */
        {0, 1, 0, 1, 0}, /* waiting -> in_progress, resolved */
        {1, 1, 0, 0, 1}, /* resolved -> open, in_progress (reopen), closed */
        {0, 0, 0, 0, 0}, /* closed is final */
    };
    for (int from = 0; from < REQUEST_STATUS_COUNT; from++) {
        for (int to = 0; to < REQUEST_STATUS_COUNT; to++) {
            if (request_transition_allowed((enum request_status)from, (enum request_status)to) !=
                allowed[from][to])
                fail_msg("%s -> %s", request_status_name((enum request_status)from),
                         request_status_name((enum request_status)to));
        }
    }
}

int main(void)
{
    const char *server = getenv("SALESDESK_TEST_PG");
    if (server && *server) {
        const struct CMUnitTest pg_tests[] = {
            cmocka_unit_test_setup_teardown(test_targets_from_settings, db_setup, db_teardown),
        };
        return test_pg_run_group(server, "requests", pg_url, pg_tests,
                                 sizeof(pg_tests) / sizeof(pg_tests[0]));
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_across_midnight),
        cmocka_unit_test(test_urgent_next_day),
        cmocka_unit_test(test_each_priority),
        cmocka_unit_test(test_done_clocks),
        cmocka_unit_test(test_waiting_runs),
        cmocka_unit_test_setup_teardown(test_targets_from_settings, db_setup, db_teardown),
        cmocka_unit_test(test_transitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
