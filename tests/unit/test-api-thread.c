/* SPDX-License-Identifier: MIT */
/*
 * test-api-thread: a worker thread's store connection. A store that cannot
 * be opened is tried again after a wait that doubles (not never again), and
 * a connection on which a COMMIT failed is closed after the request and a
 * fresh one opened for the next (a failed COMMIT is final); a transaction
 * a request left open is rolled back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "api/api-int.h"
#include "base/log.h"
#include "db/db.h"
#include "store/store.h"
#include "test-util.h"
#include "base/banned.h"

struct fixture {
    char dir[TEST_PATH_MAX];
    char path[TEST_PATH_MAX];
    char away[TEST_PATH_MAX];
    struct api_options opt;
};

static int setup(void **state)
{
    static struct fixture f;
    struct sd_error err = {0};
    struct db *db = NULL;
    test_tmpdir_make(f.dir, sizeof(f.dir));
    test_path(f.path, f.dir, "store.db");
    test_path(f.away, f.dir, "away.db");
    if (db_open(&db, f.path, DB_OPEN_CREATE, &err) || db_migrate(db, NULL, NULL, &err))
        fail_msg("%s", err.message);
    db_close(db);
    api_options_defaults(&f.opt);
    f.opt.db_url = f.path;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    test_tmpdir_remove(f->dir);
    return 0;
}

static void test_open_is_retried_with_backoff(void **state)
{
    struct fixture *f = *state;
    struct api_thread t = {0};
    assert_int_equal(rename(f->path, f->away), 0);
    assert_null(api_thread_db(&f->opt, &t, 1000));
    assert_true(t.open_error.message[0] != 0);
    assert_int_equal(t.retry_at_ms, 1000 + API_REOPEN_FIRST_MS);
    assert_null(api_thread_db(&f->opt, &t, 1000 + API_REOPEN_FIRST_MS));
    assert_int_equal(t.retry_at_ms, 1000 + 3 * API_REOPEN_FIRST_MS); /* waited twice as long */
    assert_int_equal(rename(f->away, f->path), 0);
    assert_null(api_thread_db(&f->opt, &t, 1000 + 2 * API_REOPEN_FIRST_MS)); /* not yet */
    assert_non_null(api_thread_db(&f->opt, &t, 1000 + 3 * API_REOPEN_FIRST_MS));
    assert_int_equal(t.backoff_ms, 0);
    /* The wait stops doubling at its cap. */
    struct api_thread u = {.backoff_ms = API_REOPEN_MAX_MS};
    struct api_options missing = f->opt;
    missing.db_url = f->away;
    assert_null(api_thread_db(&missing, &u, 0));
    assert_int_equal(u.retry_at_ms, API_REOPEN_MAX_MS);
    api_thread_done(&t, "test");
    db_close(t.db);
}

/* A deferred foreign key makes COMMIT itself fail, the way a full disk would. */
static void test_failed_commit_reopens(void **state)
{
    struct fixture *f = *state;
    struct sd_error err = {0};
    struct api_thread t = {0};
    struct db *first = api_thread_db(&f->opt, &t, 0);
    assert_non_null(first);
    test_exec(first, "CREATE TEMP TABLE parent(id INTEGER PRIMARY KEY)");
    test_exec(first, "CREATE TEMP TABLE child(parent_id INTEGER REFERENCES parent(id) "
                     "DEFERRABLE INITIALLY DEFERRED)");
    assert_int_equal(db_begin(first, &err), 0);
    test_exec(first, "INSERT INTO child VALUES (42)");
    assert_int_not_equal(db_commit(first, &err), 0);
    assert_true(db_failed(first));
    assert_false(db_in_transaction(first));
    api_thread_done(&t, "test");
    assert_null(t.db);
    struct db *second = api_thread_db(&f->opt, &t, 1);
    assert_non_null(second);
    assert_false(db_failed(second));
    assert_int_equal(test_sql_int(second, "SELECT count(*) FROM sqlite_temp_master"), 0);
    /* A transaction a request leaves open is rolled back after it. */
    assert_int_equal(db_begin(second, &err), 0);
    api_thread_done(&t, "test");
    assert_ptr_equal(t.db, second);
    assert_false(db_in_transaction(second));
    db_close(t.db);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_is_retried_with_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit_reopens, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
