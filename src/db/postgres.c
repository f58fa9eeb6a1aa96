/* SPDX-License-Identifier: MIT */
/*
 * postgres: the PostgreSQL driver, on libpq. A URL "postgresql://..." or
 * "postgres://..." goes to libpq as it is; "postgres:KEY=VALUE ..." passes a
 * key=value conninfo string.
 *
 * Statements: `?` and `?NNN` placeholders become $N once, when a statement is
 * prepared; each statement is prepared on the server once per connection
 * (PQprepare, named "sN") and kept in db.c's cache. Parameters and results
 * travel as text (an int64 as its decimal digits), so a parameter takes the
 * type PostgreSQL infers from where it stands, and a column reads the same
 * whether the server computed int4, int8 or numeric (sum() of a BIGINT is a
 * numeric). A statement's rows are fetched whole when it is first stepped,
 * but for the generic readers' whole-table SELECTs (see "Cursors").
 *
 * Transactions: db_begin keeps SQLite's "one writer at a time, a conflict is
 * seen at begin" (see WRITER_LOCK_KEY); db_begin_read is one REPEATABLE READ
 * snapshot. Errors map by SQLSTATE to the statuses sqlite.c gives. A lost
 * connection answers SD_EIO; the next db_begin, db_begin_read or db_exec
 * outside a transaction connects again (bounded retries with backoff), and
 * statements prepare again on the new connection.
 */
#include <libpq-fe.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db/db-int.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* The busy timeout (sqlite.c: SQLITE_BUSY_TIMEOUT_MS): how long db_begin waits to write. */
#define PG_LOCK_TIMEOUT "'5s'"
/* Reconnecting: this many attempts, the first at once, then waits doubling from PG_RETRY_MS. */
#define PG_RECONNECT_TRIES 8
#define PG_RETRY_MS        50

/* Type oids (pg_type.h is a server header). */
#define PG_BOOLOID 16
#define PG_INT8OID 20
#define PG_INT2OID 21
#define PG_INT4OID 23
#define PG_TEXTOID 25

/*
 * The writer lock. db_begin takes a transaction-scoped advisory lock with this
 * fixed key ("SALESDK1" as a big-endian int64) before anything else, and waits
 * for it at most PG_LOCK_TIMEOUT (SD_EBUSY after that, as SQLite's BEGIN
 * IMMEDIATE past its busy timeout). Two reasons:
 * - the callers are written for SQLite, where a write transaction holds the
 *   database's one write lock from its start: nothing they read can change
 *   under them, and a conflict is seen at begin, not halfway;
 * - change_log.seq is an identity column. Concurrent writers would draw seq
 *   values in one order and commit in another, so a reader catching up with
 *   "seq > last applied" could pass over a seq that commits later and never
 *   see it. With one writer at a time, seq values commit in seq order, also
 *   across several Salesdesk instances over one database.
 * Read transactions take no lock and never wait for the writer.
 */
#define WRITER_LOCK_KEY "5999160039267650353"

/*
 * Leases (db.h) are session advisory locks of the two-key form, so they never
 * meet the writer lock: (LEASE_CLASS, key). LEASE_CLASS is "SDLS" as a
 * big-endian int32.
 */
#define LEASE_CLASS "1396984915"

struct pg_db {
    struct db common;
    PGconn *conn;
    char *conninfo;      /* what PQconnectdb takes */
    char *shown;         /* the URL for messages, any password hidden */
    int readonly;        /* DB_OPEN_READONLY: every transaction is read-only */
    unsigned generation; /* counts connections: statements prepare again on a new one */
    unsigned statements; /* names given out: "s1", "s2", ... */
    int64_t changes;
    struct strbuf reseed; /* tables given explicit ids in this transaction, "\n"-terminated */
    unsigned transactions; /* counts BEGINs: a cursor lives in the transaction that opened it */
};

struct pg_stmt {
    struct db_stmt common;
    char *sql; /* the statement with $N placeholders */
    char name[16];
    unsigned generation; /* the connection it was prepared on */
    int nparams;
    char **values;      /* the bound parameters as text; NULL is SQL NULL */
    PGresult *res;      /* the rows, once stepped */
    int row;            /* the current row of res */
    char *insert_table; /* the table of an INSERT, else NULL */
    int gives_id;       /* the INSERT names the id column */
    char cursor[24];    /* the open cursor's name (see "Cursors"), else "" */
    unsigned cursor_tx; /* the transaction it belongs to */
};

static struct pg_db *pg_of(struct db *db)
{
    return (struct pg_db *)db;
}

static struct pg_stmt *stmt_of(struct db_stmt *st)
{
    return (struct pg_stmt *)st;
}

static int map_sqlstate(const char *state)
{
    if (!state || strlen(state) != 5)
        return SD_EDB;
    if (strncmp(state, "23", 2) == 0) /* integrity: unique, foreign key, check, not null */
        return SD_ECONFLICT;
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
        return SD_EBUSY; /* serialization failure, deadlock, lock timeout */
    if (!strcmp(state, "42501") || !strcmp(state, "25006"))
        return SD_EPERM; /* no privilege, read-only transaction */
    if (!strcmp(state, "53200"))
        return SD_ENOMEM;
    if (!strcmp(state, "53100") || strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
        return SD_EIO; /* disk full, connection failures, server shutting down */
    if (strncmp(state, "54", 2) == 0)
        return SD_ELIMIT;
    return SD_EDB;
}

/*
 * Fills err from `res` (may be NULL) or the connection; returns the mapped
 * status. libpq's messages run over several lines (a failed connection lists
 * every address it tried, with hints): they become one line.
 */
static int fail(struct pg_db *p, const PGresult *res, const char *what, struct sd_error *err)
{
    const char *msg = res ? PQresultErrorMessage(res) : "";
    if (!*msg)
        msg = PQerrorMessage(p->conn);
    struct strbuf line = STRBUF_INIT;
    for (const char *c = msg; *c; c++) {
        if (*c == '\n' && c[1] && line.len)
            strbuf_addstr(&line, "; ");
        else if (*c != '\n' && *c != '\t')
            strbuf_addch(&line, *c);
    }
    while (line.len && (line.buf[line.len - 1] == ' ' || line.buf[line.len - 1] == ';'))
        strbuf_setlen(&line, line.len - 1);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int lost = PQstatus(p->conn) == CONNECTION_BAD;
    int rc = lost ? SD_EIO : map_sqlstate(state);
    /* db_retryable; db_commit takes it back when this was the COMMIT */
    p->common.retryable =
        lost || (state && (!strcmp(state, "40001") || !strcmp(state, "40P01")));
    rc = sd_error_set(err, rc, "%s '%s': %s", what, p->shown, line.buf);
    strbuf_release(&line);
    return rc;
}

static int pg_accepts(const char *url, const char **target)
{
    if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
        *target = url;
        return 1;
    }
    if (strncmp(url, "postgres:", 9) == 0) {
        *target = url + 9;
        return 1;
    }
    return 0;
}

/*
 * The URL with its password shown as "***": the one of "scheme://user:password@host",
 * or the value of "password=" in a conninfo string or URL query.
 */
static char *hide_password(const char *url)
{
    const char *auth = strstr(url, "://");
    const char *at = auth ? strchr(auth + 3, '@') : NULL;
    const char *colon = at ? memchr(auth + 3, ':', (size_t)(at - auth - 3)) : NULL;
    struct strbuf sb = STRBUF_INIT;
    if (!colon) {
        strbuf_addstr(&sb, url);
    } else {
        strbuf_add(&sb, url, (size_t)(colon + 1 - url));
        strbuf_addstr(&sb, "***");
        strbuf_addstr(&sb, at);
    }
    char *key = strstr(sb.buf, "password=");
    if (key) {
        size_t start = (size_t)(key - sb.buf) + 9;
        size_t end = start + strcspn(sb.buf + start, " &");
        struct strbuf shown = STRBUF_INIT;
        strbuf_add(&shown, sb.buf, start);
        strbuf_addstr(&shown, "***");
        strbuf_addstr(&shown, sb.buf + end);
        strbuf_release(&sb);
        return strbuf_detach(&shown, NULL);
    }
    return strbuf_detach(&sb, NULL);
}

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs ("... does not exist, skipping") are not errors */
}

/* Rows changed, after an INSERT, UPDATE, DELETE or MERGE (SELECTs leave it). */
static void note_changes(struct pg_db *p, const PGresult *res)
{
    const char *cmd = PQcmdStatus((PGresult *)res);
    if (!strncmp(cmd, "INSERT", 6) || !strncmp(cmd, "UPDATE", 6) || !strncmp(cmd, "DELETE", 6) ||
        !strncmp(cmd, "MERGE", 5))
        p->changes = strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
}

/* Runs SQL on the connection; 0 or the mapped status. */
static int run(struct pg_db *p, const char *sql, struct sd_error *err)
{
    PGresult *res = PQexec(p->conn, sql);
    ExecStatusType status = PQresultStatus(res);
    int rc = 0;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY)
        rc = fail(p, res, "database", err);
    else if (strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
        /* COMMIT of a transaction an error aborted: the server rolled it back instead. */
        rc = sd_error_set(err, SD_EDB,
                          "database '%s': the transaction was rolled back after an error in it",
                          p->shown);
    else
        note_changes(p, res);
    PQclear(res);
    return rc;
}

/* What every connection sets up: UTF-8, no notices, read-only when opened so. */
static int session_setup(struct pg_db *p, struct sd_error *err)
{
    PQsetNoticeProcessor(p->conn, quiet_notices, NULL);
    if (PQsetClientEncoding(p->conn, "UTF8") != 0)
        return fail(p, NULL, "cannot set the client encoding of database", err);
    if (p->readonly)
        return run(p, "SET default_transaction_read_only = on", err);
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/*
 * Connects again when the connection was lost (a server restart): up to
 * PG_RECONNECT_TRIES attempts with a doubling wait between them. Only called
 * outside a transaction, where nothing of the caller's is lost with the old
 * connection.
 */
static int lease_query(struct pg_db *p, const char *sql, int *answer, struct sd_error *err);

/*
 * 1 when the server has dropped this idle connection (a restart, an
 * administrator's pg_terminate_backend): between statements a live server
 * sends nothing, so anything to read is its last word and the socket's end.
 * Seen here, the next statement runs on a new connection instead of failing
 * once.
 */
static int dropped(struct pg_db *p)
{
    struct pollfd pfd = {.fd = PQsocket(p->conn), .events = POLLIN};
    if (pfd.fd < 0 || PQtransactionStatus(p->conn) != PQTRANS_IDLE)
        return 0;
    /* A read takes the server's FATAL message, the next one its end of the socket. */
    for (int reads = 0; reads < 4 && poll(&pfd, 1, 0) > 0; reads++)
        if (!PQconsumeInput(p->conn) || PQstatus(p->conn) != CONNECTION_OK)
            return 1;
    return 0;
}

static int reconnect(struct pg_db *p, struct sd_error *err)
{
    long wait_ms = PG_RETRY_MS;
    if (PQstatus(p->conn) == CONNECTION_OK && !dropped(p))
        return 0;
    for (int attempt = 0; attempt < PG_RECONNECT_TRIES; attempt++) {
        if (attempt) {
            sleep_ms(wait_ms);
            wait_ms *= 2;
        }
        PQreset(p->conn);
        if (PQstatus(p->conn) == CONNECTION_OK && session_setup(p, NULL) == 0) {
            p->generation++;
            /* The lease ended with the old session: held again, unless another took it. */
            char sql[120];
            int taken = 0;
            if (p->common.lease) {
                snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(" LEASE_CLASS ", %lld)",
                         (long long)p->common.lease);
                lease_query(p, sql, &taken, NULL);
            }
            return 0;
        }
    }
    return fail(p, NULL, "connection lost; cannot connect again to database", err);
}

static int pg_open(struct db **out, const char *target, int flags, struct sd_error *err)
{
    struct pg_db *p = xcalloc(1, sizeof(*p));
    db_common_init(&p->common, &db_postgres_ops, target);
    p->conninfo = xstrdup(target);
    p->shown = hide_password(target);
    p->readonly = (flags & DB_OPEN_READONLY) != 0;
    strbuf_init(&p->reseed, 0);
    p->conn = PQconnectdb(p->conninfo);
    int rc = 0;
    if (!p->conn)
        rc = sd_error_set(err, SD_ENOMEM, "cannot connect to database '%s'", p->shown);
    else if (PQstatus(p->conn) != CONNECTION_OK &&
             strstr(PQerrorMessage(p->conn), "does not exist"))
        rc = sd_error_set(err, SD_ENOTFOUND,
                          "database '%s' does not exist (create it with createdb)", p->shown);
    else if (PQstatus(p->conn) != CONNECTION_OK)
        rc = fail(p, NULL, "cannot connect to database", err);
    else
        rc = session_setup(p, err);
    if (rc) {
        db_close(&p->common);
        return rc;
    }
    *out = &p->common;
    return 0;
}

static void pg_close(struct db *db)
{
    struct pg_db *p = pg_of(db);
    db_common_release(db);
    PQfinish(p->conn);
    strbuf_release(&p->reseed);
    free(p->conninfo);
    free(p->shown);
    free(p);
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Skips `word` (upper case) and the spaces after it in `p`, case-insensitively; NULL if absent. */
static const char *skip_word(const char *p, const char *word)
{
    size_t len = strlen(word);
    if (strncasecmp(p, word, len) != 0 || is_name_char(p[len]))
        return NULL;
    p += len;
    while (*p == ' ' || *p == '\n' || *p == '\t')
        p++;
    return p;
}

/*
 * Explicit ids. SQLite numbers a row left without an id after the table's
 * largest id, however that id got there; an identity column counts on from
 * its sequence, which explicit ids do not move. The store's bulk import gives
 * ids itself (store_bulk_next_id), so the driver notes each table an INSERT
 * names an "id" column for, and moves its sequence past the table's largest
 * id before the next INSERT that leaves the id out, and before COMMIT (at
 * once outside a transaction).
 */

/*
 * The table of "INSERT INTO table(...)", else NULL (the caller frees it);
 * *gives_id is 1 when the column list names "id".
 */
static char *insert_table(const char *sql, int *gives_id)
{
    *gives_id = 0;
    while (*sql == ' ' || *sql == '\n' || *sql == '\t')
        sql++;
    const char *p = skip_word(sql, "INSERT");
    p = p ? skip_word(p, "INTO") : NULL;
    if (!p)
        return NULL;
    const char *name = p;
    while (is_name_char(*p))
        p++;
    size_t name_len = (size_t)(p - name);
    while (*p == ' ')
        p++;
    if (name_len == 0 || *p != '(')
        return NULL;
    for (const char *col = p + 1; *col && *col != ')'; col++) {
        if (!is_name_char(col[-1]) && strncmp(col, "id", 2) == 0 && !is_name_char(col[2]))
            *gives_id = 1;
    }
    return xstrndup(name, name_len);
}

static int reseed_table(struct pg_db *p, const char *table, size_t len, struct sd_error *err)
{
    char sql[320];
    snprintf(sql, sizeof(sql),
             "SELECT setval(pg_get_serial_sequence('\"%.*s\"', 'id'), "
             "coalesce(max(id), 0) + 1, false) FROM \"%.*s\"",
             (int)len, table, (int)len, table);
    return run(p, sql, err);
}

/* Where `table` is in the noted list, or NULL. */
static char *noted(struct pg_db *p, const char *table, size_t len)
{
    for (char *at = p->reseed.buf; (at = strstr(at, table)) != NULL; at += len) {
        if ((at == p->reseed.buf || at[-1] == '\n') && at[len] == '\n')
            return at;
    }
    return NULL;
}

/* Before an INSERT into `table`, and after it: see "Explicit ids" above. */
static int insert_before(struct pg_db *p, const char *table, int gives_id, struct sd_error *err)
{
    size_t len = strlen(table);
    char *at = gives_id ? NULL : noted(p, table, len);
    if (!at)
        return 0;
    memmove(at, at + len + 1, p->reseed.len - (size_t)(at - p->reseed.buf) - len - 1);
    strbuf_setlen(&p->reseed, p->reseed.len - len - 1);
    return reseed_table(p, table, len, err);
}

static int insert_after(struct pg_db *p, const char *table, int gives_id, struct sd_error *err)
{
    size_t len = strlen(table);
    if (!gives_id)
        return 0;
    if (!p->common.tx_depth)
        return reseed_table(p, table, len, err);
    if (!noted(p, table, len)) {
        strbuf_addstr(&p->reseed, table);
        strbuf_addch(&p->reseed, '\n');
    }
    return 0;
}

static int reseed_noted(struct pg_db *p, struct sd_error *err)
{
    int rc = 0;
    for (const char *at = p->reseed.buf; rc == 0 && *at;) {
        const char *end = strchr(at, '\n');
        rc = reseed_table(p, at, (size_t)(end - at), err);
        at = end + 1;
    }
    strbuf_reset(&p->reseed);
    return rc;
}

static int pg_exec(struct db *db, const char *sql, struct sd_error *err)
{
    struct pg_db *p = pg_of(db);
    if (!db->tx_depth) {
        int rc = reconnect(p, err);
        if (rc)
            return rc;
    }
    if (db->tx_depth && strcmp(sql, "COMMIT") == 0) {
        int rc = reseed_noted(p, err);
        if (rc)
            return rc;
    }
    if (strcmp(sql, "ROLLBACK") == 0)
        strbuf_reset(&p->reseed);
    if (sql == db_postgres_ops.begin_sql || sql == db_postgres_ops.begin_read_sql)
        p->transactions++;
    int gives_id = 0;
    char *table = insert_table(sql, &gives_id);
    int rc = table ? insert_before(p, table, gives_id, err) : 0;
    if (rc == 0)
        rc = run(p, sql, err);
    if (rc == 0 && table)
        rc = insert_after(p, table, gives_id, err);
    free(table);
    /* A transaction that failed to start (the writer lock timed out) is not left open. */
    if (rc && !db->tx_depth && PQtransactionStatus(p->conn) == PQTRANS_INERROR)
        run(p, "ROLLBACK", NULL);
    /*
     * BEGIN on a connection the server dropped since the last transaction (a
     * restart): nothing was done on it yet, so connect again and begin there.
     */
    if (rc == SD_EIO && !db->tx_depth &&
        (sql == db_postgres_ops.begin_sql || sql == db_postgres_ops.begin_read_sql) &&
        reconnect(p, NULL) == 0)
        rc = run(p, sql, err);
    return rc;
}

/*
 * Appends `sql` to `out` with SQLite's placeholders as PostgreSQL's: `?NNN`
 * becomes $NNN, and a bare `?` the number after the largest so far (SQLite's
 * rule). String literals, quoted names and comments are copied as they are.
 * Returns the number of parameters.
 */
static int translate(const char *sql, struct strbuf *out)
{
    int largest = 0;
    const char *p = sql;
    while (*p) {
        if (*p == '\'' || *p == '"') {
            const char *end = strchr(p + 1, *p);
            end = end ? end + 1 : p + strlen(p);
            strbuf_add(out, p, (size_t)(end - p));
            p = end;
        } else if (p[0] == '-' && p[1] == '-') {
            size_t len = strcspn(p, "\n");
            strbuf_add(out, p, len);
            p += len;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            end = end ? end + 2 : p + strlen(p);
            strbuf_add(out, p, (size_t)(end - p));
            p = end;
        } else if (*p == '?') {
            int n = 0;
            p++;
            while (*p >= '0' && *p <= '9' && n < 100000)
                n = n * 10 + (*p++ - '0');
            if (n == 0)
                n = largest + 1;
            if (n > largest)
                largest = n;
            strbuf_addf(out, "$%d", n);
        } else {
            strbuf_addch(out, *p++);
        }
    }
    return largest;
}

/* 1 when $n stands in the translated `sql`. */
static int param_used(const char *sql, int n)
{
    for (const char *p = strchr(sql, '$'); p; p = strchr(p + 1, '$')) {
        char *end;
        if (p[1] >= '0' && p[1] <= '9' && strtol(p + 1, &end, 10) == n)
            return 1;
    }
    return 0;
}

/*
 * `sql` with each "$N IS [NOT] NULL" as "NULL IS [NOT] NULL"; 1 when there
 * was any. PostgreSQL cannot type a parameter whose first use is such a test
 * ("?1 IS NULL OR region = ?1", the store's optional filters), though a later
 * use would tell: the statement without those tests does, and its types are
 * then declared for the real one.
 */
static int without_null_tests(const char *sql, struct strbuf *out)
{
    int any = 0;
    const char *p = sql;
    while (*p) {
        const char *digits = p + 1, *after = digits;
        if (*p != '$' || !(*digits >= '0' && *digits <= '9')) {
            strbuf_addch(out, *p++);
            continue;
        }
        while (*after >= '0' && *after <= '9')
            after++;
        const char *rest = after;
        while (*rest == ' ' || *rest == '\n' || *rest == '\t')
            rest++;
        const char *is = skip_word(rest, "IS");
        const char *negated = is ? skip_word(is, "NOT") : NULL;
        if (is && skip_word(negated ? negated : is, "NULL")) {
            strbuf_addstr(out, "NULL");
            any = 1;
        } else {
            strbuf_add(out, p, (size_t)(after - p));
        }
        p = after;
    }
    return any;
}

/* Prepares `sql` as `name` with `types` (0: inferred); 0 or the mapped status. */
static int prepare_as(struct pg_db *p, const char *name, const char *sql, int nparams,
                      const Oid *types, struct sd_error *err)
{
    PGresult *res = PQprepare(p->conn, name, sql, nparams, types);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK
                 ? 0
                 : fail(p, res, "cannot prepare statement on", err);
    PQclear(res);
    return rc;
}

/*
 * Prepares `sql` as `name` and reads back the types the server gave its
 * parameters into types: 1 in *narrow when one is a smaller integer than
 * int8, which it then widens (see prepare_on_server).
 */
static int prepare_typed(struct pg_db *p, const char *name, const char *sql, int nparams,
                         Oid *types, int *narrow, struct sd_error *err)
{
    *narrow = 0;
    int rc = prepare_as(p, name, sql, nparams, types, err);
    if (rc)
        return rc;
    PGresult *res = PQdescribePrepared(p->conn, name);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = fail(p, res, "cannot prepare statement on", err);
    for (int i = 0; rc == 0 && i < nparams && i < PQnparams(res); i++) {
        types[i] = PQparamtype(res, i);
        if (types[i] == PG_INT2OID || types[i] == PG_INT4OID) {
            types[i] = PG_INT8OID;
            *narrow = 1;
        }
    }
    PQclear(res);
    return rc;
}

static void deallocate(struct pg_db *p, const char *name)
{
    char sql[48];
    snprintf(sql, sizeof(sql), "DEALLOCATE %s", name);
    PQclear(PQexec(p->conn, sql));
}

/*
 * The server infers each parameter's type from where it stands, and the
 * statement is prepared with the types it inferred, but:
 * - one that stands nowhere (a statement that skips ?1 and ?2 because it
 *   shares its binder with another) is declared text;
 * - one whose first use is a null test ("?1 IS NULL OR region = ?1", the
 *   store's optional filters) cannot be typed there; the statement without
 *   its null tests (without_null_tests) tells its type;
 * - an integer is int8 where the server would take int4 (a date column is
 *   INTEGER): SQLite's integers are all 64-bit, and the callers bind
 *   INT64_MAX as "no upper bound".
 * The first two need a second statement, the last a second PQprepare; the
 * cost is paid once per statement and connection.
 */
static int prepare_on_server(struct pg_stmt *ps, struct sd_error *err)
{
    struct pg_db *p = pg_of(ps->common.db);
    struct strbuf probe = STRBUF_INIT;
    Oid *types = xcalloc((size_t)ps->nparams + 1, sizeof(*types));
    int probing = without_null_tests(ps->sql, &probe), narrow = 0;
    const char *first = probing ? probe.buf : ps->sql;
    snprintf(ps->name, sizeof(ps->name), "s%u", ++p->statements);
    for (int i = 0; i < ps->nparams; i++)
        types[i] = param_used(first, i + 1) ? 0 : PG_TEXTOID;
    int rc = prepare_typed(p, ps->name, first, ps->nparams, types, &narrow, err);
    if (rc == 0 && (probing || narrow)) {
        deallocate(p, ps->name);
        rc = prepare_as(p, ps->name, ps->sql, ps->nparams, types, err);
    }
    free(types);
    strbuf_release(&probe);
    if (rc == 0)
        ps->generation = p->generation;
    return rc;
}

static int pg_prepare(struct db *db, const char *sql, struct db_stmt **out, struct sd_error *err)
{
    struct pg_stmt *ps = xcalloc(1, sizeof(*ps));
    struct strbuf text = STRBUF_INIT;
    ps->nparams = translate(sql, &text);
    ps->sql = strbuf_detach(&text, NULL);
    ps->values = xcalloc((size_t)ps->nparams + 1, sizeof(*ps->values));
    ps->insert_table = insert_table(sql, &ps->gives_id);
    ps->common.db = db; /* db.c sets it too, after a success */
    int rc = db->tx_depth ? 0 : reconnect(pg_of(db), err);
    if (rc == 0)
        rc = prepare_on_server(ps, err);
    if (rc) {
        free(ps->insert_table);
        free(ps->values);
        free(ps->sql);
        free(ps);
        return rc;
    }
    *out = &ps->common;
    return 0;
}

static void clear_bindings(struct pg_stmt *ps)
{
    for (int i = 0; i < ps->nparams; i++) {
        free(ps->values[i]);
        ps->values[i] = NULL;
    }
}

static void cursor_close(struct pg_stmt *ps);

static void pg_reset(struct db_stmt *st)
{
    struct pg_stmt *ps = stmt_of(st);
    cursor_close(ps);
    PQclear(ps->res);
    ps->res = NULL;
    ps->row = 0;
    clear_bindings(ps);
}

static void pg_finalize(struct db_stmt *st)
{
    struct pg_stmt *ps = stmt_of(st);
    /* Statements are finalized when the connection closes, and the server forgets them then. */
    pg_reset(st);
    free(ps->insert_table);
    free(ps->values);
    free(ps->sql);
    free(ps);
}

/* Parameters out of range are ignored, as sqlite3_bind_* does (it returns SQLITE_RANGE). */
static void bind_value(struct db_stmt *st, int idx, char *text)
{
    struct pg_stmt *ps = stmt_of(st);
    if (idx < 1 || idx > ps->nparams) {
        free(text);
        return;
    }
    free(ps->values[idx - 1]);
    ps->values[idx - 1] = text;
}

static void pg_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
    char digits[24];
    snprintf(digits, sizeof(digits), "%lld", (long long)v);
    bind_value(st, idx, xstrdup(digits));
}

/*
 * PostgreSQL refuses a text parameter that is not UTF-8 (the statement fails),
 * where SQLite compares the bytes and finds nothing: such bytes, which only a
 * request's path or query can bring (imports check their text), go as U+FFFD.
 */
static void pg_bind_text(struct db_stmt *st, int idx, const char *s, size_t len)
{
    struct strbuf text = STRBUF_INIT;
    strbuf_add_utf8(&text, s, len);
    bind_value(st, idx, strbuf_detach(&text, NULL));
}

static void pg_bind_null(struct db_stmt *st, int idx)
{
    bind_value(st, idx, NULL);
}

/*
 * Cursors. A statement's rows are fetched whole when it is first stepped,
 * except for a SELECT without parameters prepared with db_prepare_own (the
 * generic readers of salesdesk copy, which read whole tables) and stepped
 * inside a transaction: it runs as a cursor (DECLARE ... NO SCROLL CURSOR),
 * PG_FETCH_ROWS rows per FETCH, so a copy out of PostgreSQL holds one batch
 * of a table at a time instead of the whole table. Other statements may run
 * between the FETCHes. The cursor is closed when the statement is reset or
 * steps past its last row, unless its transaction has ended (which closed it).
 */
#define PG_FETCH_ROWS 10000

static int fetch(struct pg_stmt *ps, struct sd_error *err)
{
    struct pg_db *p = pg_of(ps->common.db);
    char sql[64];
    snprintf(sql, sizeof(sql), "FETCH FORWARD %d FROM %s", PG_FETCH_ROWS, ps->cursor);
    PQclear(ps->res);
    ps->res = PQexec(p->conn, sql);
    ps->row = -1;
    if (PQresultStatus(ps->res) == PGRES_TUPLES_OK)
        return 0;
    int rc = fail(p, ps->res, "database", err);
    PQclear(ps->res);
    ps->res = NULL;
    return rc;
}

static int use_cursor(const struct pg_stmt *ps)
{
    const char *sql = ps->sql;
    while (*sql == ' ' || *sql == '\n' || *sql == '\t')
        sql++;
    return ps->common.sql_key == NULL && ps->nparams == 0 && ps->common.db->tx_depth &&
           (skip_word(sql, "SELECT") || skip_word(sql, "WITH"));
}

static int cursor_open(struct pg_stmt *ps, struct sd_error *err)
{
    struct pg_db *p = pg_of(ps->common.db);
    struct strbuf sql = STRBUF_INIT;
    snprintf(ps->cursor, sizeof(ps->cursor), "c%s", ps->name);
    strbuf_addf(&sql, "DECLARE %s NO SCROLL CURSOR FOR %s", ps->cursor, ps->sql);
    int rc = run(p, sql.buf, err);
    strbuf_release(&sql);
    if (rc) {
        ps->cursor[0] = '\0';
        return rc;
    }
    ps->cursor_tx = p->transactions;
    return fetch(ps, err);
}

static void cursor_close(struct pg_stmt *ps)
{
    struct pg_db *p = pg_of(ps->common.db);
    if (!ps->cursor[0])
        return;
    if (ps->cursor_tx == p->transactions && PQtransactionStatus(p->conn) == PQTRANS_INTRANS) {
        char sql[48];
        snprintf(sql, sizeof(sql), "CLOSE %s", ps->cursor);
        run(p, sql, NULL);
    }
    ps->cursor[0] = '\0';
}

static int execute(struct pg_stmt *ps, struct sd_error *err)
{
    struct pg_db *p = pg_of(ps->common.db);
    int rc = ps->common.db->tx_depth ? 0 : reconnect(p, err);
    if (rc == 0 && ps->generation != p->generation)
        rc = prepare_on_server(ps, err);
    if (rc)
        return rc;
    if (ps->insert_table && (rc = insert_before(p, ps->insert_table, ps->gives_id, err)) != 0)
        return rc;
    if (use_cursor(ps))
        return cursor_open(ps, err);
    PGresult *res = PQexecPrepared(p->conn, ps->name, ps->nparams, (const char *const *)ps->values,
                                   NULL, NULL, 0);
    ExecStatusType status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        rc = fail(p, res, "database", err);
        PQclear(res);
        return rc;
    }
    note_changes(p, res);
    ps->res = res;
    ps->row = -1;
    return ps->insert_table ? insert_after(p, ps->insert_table, ps->gives_id, err) : 0;
}

static int pg_step(struct db_stmt *st, struct sd_error *err)
{
    struct pg_stmt *ps = stmt_of(st);
    if (!ps->res) {
        int rc = execute(ps, err);
        if (rc)
            return rc;
    }
    ps->row++;
    if (ps->row >= PQntuples(ps->res) && ps->cursor[0] && PQntuples(ps->res) == PG_FETCH_ROWS) {
        int rc = fetch(ps, err);
        if (rc)
            return rc;
        ps->row = 0;
    }
    return ps->row < PQntuples(ps->res) ? DB_ROW : DB_DONE;
}

static int in_row(struct pg_stmt *ps, int col)
{
    return ps->res && ps->row >= 0 && ps->row < PQntuples(ps->res) && col >= 0 &&
           col < PQnfields(ps->res);
}

static int pg_column_is_null(struct db_stmt *st, int col)
{
    struct pg_stmt *ps = stmt_of(st);
    return !in_row(ps, col) || PQgetisnull(ps->res, ps->row, col);
}

/* A boolean reads as 1 or 0, as SQLite's comparisons do. */
static const char *pg_column_text(struct db_stmt *st, int col)
{
    struct pg_stmt *ps = stmt_of(st);
    if (pg_column_is_null(st, col))
        return NULL;
    const char *text = PQgetvalue(ps->res, ps->row, col);
    if (PQftype(ps->res, col) == PG_BOOLOID)
        return *text == 't' ? "1" : "0";
    return text;
}

static int64_t pg_column_int64(struct db_stmt *st, int col)
{
    const char *text = pg_column_text(st, col);
    return text ? strtoll(text, NULL, 10) : 0;
}

static int pg_column_count(struct db_stmt *st)
{
    struct pg_stmt *ps = stmt_of(st);
    return ps->res ? PQnfields(ps->res) : 0;
}

static const char *pg_column_name(struct db_stmt *st, int col)
{
    struct pg_stmt *ps = stmt_of(st);
    return ps->res ? PQfname(ps->res, col) : NULL;
}

static enum db_kind pg_column_kind(struct db_stmt *st, int col)
{
    struct pg_stmt *ps = stmt_of(st);
    Oid type = ps->res ? PQftype(ps->res, col) : 0;
    if (type == PG_INT8OID || type == PG_INT4OID || type == PG_INT2OID)
        return DB_KIND_INTEGER;
    if (type == PG_TEXTOID)
        return DB_KIND_TEXT;
    return DB_KIND_OTHER;
}

static int64_t pg_changes(struct db *db)
{
    return pg_of(db)->changes;
}

/*
 * Bulk loads: COPY table(columns) FROM STDIN in text format. Rows collect in
 * a buffer as COPY's text (values tab-separated, \N for NULL, a backslash,
 * tab, newline or carriage return in a value escaped with a backslash), and
 * each PG_LOAD_BATCH bytes go to the server as one COPY, so the connection is
 * free for other statements between db_load_row calls. Explicit ids are
 * noted for the reseed at COMMIT as an INSERT's are.
 */
#define PG_LOAD_BATCH (1u << 20)

struct pg_load {
    struct db_load common;
    char *copy_sql;
    char *table;
    int gives_id;
    struct strbuf rows; /* COPY text not yet sent */
};

static struct pg_load *load_of(struct db_load *load)
{
    return (struct pg_load *)load;
}

static int pg_load_begin(struct db *db, const char *table, const char *columns, int ncolumns,
                         struct db_load **out, struct sd_error *err)
{
    (void)ncolumns;
    (void)err;
    struct pg_load *pl = xcalloc(1, sizeof(*pl));
    struct strbuf sql = STRBUF_INIT;
    strbuf_addf(&sql, "INSERT INTO %s(%s)", table, columns);
    pl->table = insert_table(sql.buf, &pl->gives_id);
    strbuf_reset(&sql);
    strbuf_addf(&sql, "COPY %s(%s) FROM STDIN", table, columns);
    pl->copy_sql = strbuf_detach(&sql, NULL);
    strbuf_init(&pl->rows, 0);
    if (!pl->table)
        pl->table = xstrdup(table);
    pl->common.db = db;
    *out = &pl->common;
    return 0;
}

static void pg_load_value(struct db_load *load, const char *text, size_t len)
{
    struct strbuf *rows = &load_of(load)->rows;
    if (load->column > 1)
        strbuf_addch(rows, '\t');
    if (!text) {
        strbuf_addstr(rows, "\\N");
        return;
    }
    size_t plain = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c != '\\' && c != '\t' && c != '\n' && c != '\r')
            continue;
        strbuf_add(rows, text + plain, i - plain);
        strbuf_addch(rows, '\\');
        strbuf_addch(rows, c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\');
        plain = i + 1;
    }
    strbuf_add(rows, text + plain, len - plain);
}

/* Sends the buffered rows as one COPY; 0 or the mapped status. */
static int load_send(struct pg_load *pl, struct sd_error *err)
{
    struct pg_db *p = pg_of(pl->common.db);
    if (pl->rows.len == 0)
        return 0;
    int rc = insert_before(p, pl->table, pl->gives_id, err);
    if (rc)
        return rc;
    PGresult *res = PQexec(p->conn, pl->copy_sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = fail(p, res, "database", err);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    int sent = PQputCopyData(p->conn, pl->rows.buf, (int)pl->rows.len) == 1;
    if (PQputCopyEnd(p->conn, sent ? NULL : "the rows could not be sent") != 1)
        sent = 0;
    strbuf_reset(&pl->rows);
    res = PQgetResult(p->conn);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = fail(p, res, "database", err);
    else if (!sent)
        rc = fail(p, NULL, "database", err);
    else
        p->changes = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    while ((res = PQgetResult(p->conn)) != NULL)
        PQclear(res);
    return rc ? rc : insert_after(p, pl->table, pl->gives_id, err);
}

static int pg_load_row(struct db_load *load, struct sd_error *err)
{
    struct pg_load *pl = load_of(load);
    strbuf_addch(&pl->rows, '\n');
    return pl->rows.len >= PG_LOAD_BATCH ? load_send(pl, err) : 0;
}

static int pg_load_end(struct db_load *load, int abort, struct sd_error *err)
{
    struct pg_load *pl = load_of(load);
    int rc = abort ? 0 : load_send(pl, err);
    strbuf_release(&pl->rows);
    free(pl->copy_sql);
    free(pl->table);
    free(pl);
    return rc;
}

/*
 * {{ID}}: a key the database numbers when an INSERT leaves it out, and that
 * takes an explicit value when given one, as SQLite's INTEGER PRIMARY KEY.
 * {{RESEED_IDS}} follows an INSERT that copied ids (a table made again in a
 * migration): every identity column of the schema then continues after its
 * table's largest id, as SQLite's does on its own.
 */
static const char *pg_dialect(const char *token)
{
    if (strcmp(token, "ID") == 0)
        return "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
    if (strcmp(token, "WITHOUT_ROWID") == 0)
        return "";
    if (strcmp(token, "RESEED_IDS") == 0)
        return "DO $$ DECLARE c record; BEGIN "
               "FOR c IN SELECT table_name, column_name FROM information_schema.columns "
               "WHERE table_schema = current_schema() AND is_identity = 'YES' LOOP "
               "EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), "
               "COALESCE((SELECT max(%I) FROM %I), 0) + 1, false)', "
               "c.table_name, c.column_name, c.column_name, c.table_name); "
               "END LOOP; END $$;";
    return NULL;
}

/*
 * SQLite's INTEGER is 64-bit, PostgreSQL's 32: the schema's INTEGER columns
 * (dates, counts, flags) become BIGINT, so that arithmetic on them (a day
 * times 86400000 ms) and 64-bit values bound to them work as on SQLite. The
 * word is replaced outside string literals and comments.
 */
static void pg_migration_sql(struct strbuf *sql)
{
    struct strbuf out = STRBUF_INIT;
    const char *p = sql->buf;
    while (*p) {
        size_t len = 1;
        if (*p == '\'') {
            const char *end = strchr(p + 1, '\'');
            len = end ? (size_t)(end + 1 - p) : strlen(p);
        } else if (p[0] == '-' && p[1] == '-') {
            len = strcspn(p, "\n");
        } else if (strncmp(p, "INTEGER", 7) == 0 && (p == sql->buf || !is_name_char(p[-1])) &&
                   !is_name_char(p[7])) {
            strbuf_addstr(&out, "BIGINT");
            p += 7;
            continue;
        }
        strbuf_add(&out, p, len);
        p += len;
    }
    strbuf_reset(sql);
    strbuf_add(sql, out.buf, out.len);
    strbuf_release(&out);
}

/* Secondary indexes: those no primary key or unique constraint owns. */
static const char list_indexes_sql[] =
    "SELECT format('DROP INDEX %I;', indexname), indexdef || ';' FROM pg_indexes i "
    "WHERE schemaname = current_schema() AND ($1::text IS NULL OR tablename = $1) "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k "
    "WHERE k.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass) "
    "ORDER BY indexname";

/*
 * Foreign keys are suspended with the indexes: each row a COPY or INSERT
 * adds otherwise runs a look-up in the referenced table (and locks the row
 * found) as a trigger, which was most of a bulk import's time (35 us per order
 * line), while ADD CONSTRAINT checks all rows at once with one join.
 */
static const char list_foreign_keys_sql[] =
    "SELECT format('ALTER TABLE %I DROP CONSTRAINT %I;', t.relname, c.conname), "
    "format('ALTER TABLE %I ADD CONSTRAINT %I %s;', t.relname, c.conname, "
    "pg_get_constraintdef(c.oid)) "
    "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
    "WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace "
    "AND ($1::text IS NULL OR t.relname = $1) ORDER BY c.conname";

/* Appends the two columns of `sql`'s rows (statements) to `drops` and `creates`. */
static int list_statements(struct pg_db *p, const char *sql, const char *table,
                           struct strbuf *drops, struct strbuf *creates, struct sd_error *err)
{
    const char *params[1] = {table};
    PGresult *res = PQexecParams(p->conn, sql, 1, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = fail(p, res, "database", err);
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        strbuf_addf(drops, "%s\n", PQgetvalue(res, i, 0));
        strbuf_addf(creates, "%s\n", PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return rc;
}

static int pg_list_indexes(struct db *db, const char *table, struct strbuf *drops,
                           struct strbuf *creates, struct sd_error *err)
{
    struct pg_db *p = pg_of(db);
    int rc = list_statements(p, list_indexes_sql, table, drops, creates, err);
    return rc ? rc : list_statements(p, list_foreign_keys_sql, table, drops, creates, err);
}

/* More sort memory for the builds, for this transaction only. */
static int pg_build_indexes(struct db *db, const char *creates, struct sd_error *err)
{
    int rc = run(pg_of(db), "SET LOCAL maintenance_work_mem = '256MB'", err);
    return rc ? rc : run(pg_of(db), creates, err);
}

/*
 * Bulk mode: commits no longer wait for the WAL to reach the disk. A crash
 * may lose the last commits, never leave a half of one: enough for a load
 * that is thrown away when it fails.
 */
static int pg_bulk(struct db *db, int on, struct sd_error *err)
{
    return run(pg_of(db), on ? "SET synchronous_commit = off" : "SET synchronous_commit = on", err);
}

/* Runs a lease query answering one boolean; that answer. */
static int lease_query(struct pg_db *p, const char *sql, int *answer, struct sd_error *err)
{
    PGresult *res = PQexec(p->conn, sql);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        rc = fail(p, res, "database", err);
    else
        *answer = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return rc;
}

static int pg_lease_take(struct db *db, int64_t key, struct sd_error *err)
{
    struct pg_db *p = pg_of(db);
    char sql[120];
    int taken = 0;
    snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(" LEASE_CLASS ", %lld)",
             (long long)key);
    int rc = db->tx_depth ? 0 : reconnect(p, err);
    if (rc == 0)
        rc = lease_query(p, sql, &taken, err);
    if (rc == 0 && !taken)
        rc = sd_error_set(err, SD_EBUSY, "lease %lld of database '%s' is held already",
                          (long long)key, p->shown);
    return rc;
}

/* Held by another session when this one cannot take it; taken, it is let go at once. */
static int pg_lease_held(struct db *db, int64_t key, int *held, struct sd_error *err)
{
    struct pg_db *p = pg_of(db);
    char sql[200];
    snprintf(sql, sizeof(sql),
             "SELECT CASE WHEN pg_try_advisory_lock(" LEASE_CLASS ", %lld) "
             "THEN NOT pg_advisory_unlock(" LEASE_CLASS ", %lld) ELSE true END",
             (long long)key, (long long)key);
    int rc = db->tx_depth ? 0 : reconnect(p, err);
    if (rc == 0)
        rc = lease_query(p, sql, held, err);
    return rc;
}

const struct db_ops db_postgres_ops = {
    .name = "postgresql",
    .accepts = pg_accepts,
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .reset = pg_reset,
    .column_is_null = pg_column_is_null,
    .column_int64 = pg_column_int64,
    .column_text = pg_column_text,
    .changes = pg_changes,
    .column_count = pg_column_count,
    .column_name = pg_column_name,
    .column_kind = pg_column_kind,
    .load_begin = pg_load_begin,
    .load_value = pg_load_value,
    .load_row = pg_load_row,
    .load_end = pg_load_end,
    .dialect = pg_dialect,
    .migration_sql = pg_migration_sql,
    .bulk = pg_bulk,
    .list_indexes = pg_list_indexes,
    .build_indexes = pg_build_indexes,
    .lease_take = pg_lease_take,
    .lease_held = pg_lease_held,
    .table_exists_sql = "SELECT count(*) FROM pg_tables "
                        "WHERE schemaname = current_schema() AND tablename = ?",
    .table_names_sql = "SELECT tablename FROM pg_tables "
                       "WHERE schemaname = current_schema() ORDER BY tablename",
    .begin_sql = "BEGIN; SET LOCAL lock_timeout = " PG_LOCK_TIMEOUT
                 "; SELECT pg_advisory_xact_lock(" WRITER_LOCK_KEY ")",
    .begin_read_sql = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
};
