/* SPDX-License-Identifier: MIT */
/*
 * cli-commands: the table of commands. It is the single source of the command
 * list, each command's options and its --help text.
 */
#include <stddef.h>
#include <string.h>

#include "cli/cli.h"
#include "base/banned.h"

#define CLI_OPT_NOW                                                                           \
    {"now", "TIME", "the clock, ISO 8601 (2026-06-30T17:00:00Z; default: on a demo database "  \
                    "17:00 UTC of its day, else the current time)"}

static const struct cli_option init_options[] = {
    CLI_OPT_DB,
    {0},
};

static const struct cli_option copy_options[] = {
    {"from", "URL", "the store to copy: a SQLite file path or a postgresql:// URL"},
    {"to", "URL", "the store to fill (created or migrated first)"},
    {"force", NULL, "replace the rows the target holds"},
    CLI_OPT_JSON,
    {0},
};

static const struct cli_option demo_options[] = {
    CLI_OPT_DB,
    {"scale", "SIZE", "small (~200 accounts, ~20,000 lines), medium (~5,000 accounts, "
                      "~1,000,000 lines) or large (50,000 accounts, >=10,000,000 lines)"},
    {"seed", "N", "random seed; the same seed gives the same company (default 1)"},
    {"today", "DATE", "the last day of the demo's history (default: today)"},
    {"force", NULL, "replace an existing database file (PostgreSQL: the rows it holds)"},
    {"quiet", NULL, "no progress and no summary"},
    CLI_OPT_JSON,
    {"serve", NULL, "then add a demo login per role (password demo-ROLE), print them and serve "
                    "the API until SIGTERM or SIGINT"},
    {"listen", "ADDR", "with --serve: HOST:PORT to listen on (default 127.0.0.1:8080; port 0 "
                       "picks a free port)"},
    {0},
};

static const struct cli_option order_options[] = {
    CLI_OPT_DB,
    {"diagnose", NULL, "run the order doctor on the order: verdict and findings with evidence"},
    {"diagnose-open", NULL, "run the order doctor on every open and shipped order (no ID)"},
    {"today", "DATE", "with --diagnose*: the current day (default: the demo's day, else today)"},
    CLI_OPT_JSON,
    {0},
};

static const struct cli_option account_options[] = {
    CLI_OPT_DB,
    {"today", "DATE", "the day that decides ageing, revenue windows and rhythm (default: the "
                      "demo's day, else today)"},
    {"timeline", NULL, "the account's history instead, newest first: orders, shipments, "
                       "invoices, payments, requests, notes, opportunity stages"},
    {"limit", "N", "with --timeline: the N newest events (default 50)"},
    CLI_OPT_JSON,
    {0},
};

static const struct cli_option request_options[] = {
    CLI_OPT_DB,
    {"account", "ID", "new: the account the request comes from (required)"},
    {"order", "ID", "new: the order it is about (an order of that account)"},
    {"kind", "K", "new: what it is about, e.g. delivery_status, invoice_question (required)"},
    {"subject", "TEXT", "new: one line for people (required)"},
    {"priority", "P", "new: low, normal (default), high or urgent"},
    {"assignee", "REP", "new: the rep (team member id) who handles it"},
    CLI_OPT_NOW,
    CLI_OPT_JSON,
    {0},
};

static const struct cli_option note_options[] = {
    CLI_OPT_DB,
    CLI_OPT_NOW,
    CLI_OPT_JSON,
    {0},
};

static const struct cli_option import_options[] = {
    CLI_OPT_DB,
    {"map", "PRESET|FILE", "how the files' columns map to native fields (default: native; "
                           "see --list-presets)"},
    {"dry-run", NULL, "check and count everything, apply nothing"},
    {"row-by-row", NULL, "write every row through the upsert path, also on a first import "
                         "(slower, same result)"},
    {"source", "NAME", "the source the ids come from (default: the mapping's)"},
    {"delimiter", "C", "CSV delimiter: , ; | or tab (default: detected)"},
    {"encoding", "NAME", "CSV encoding: auto, utf-8, windows-1252, iso-8859-1 (default: auto)"},
    {"sheet", "NAME|N", "XLSX sheet to read (default: the first)"},
    {"list-presets", NULL, "list the built-in mappings and exit"},
    {"no-alerts", NULL, "do not check KPI targets for alerts after the import"},
    CLI_OPT_JSON,
    {0},
};

static const struct cli_option trend_options[] = {
    CLI_OPT_DB,
    {"bucket", "B", "day, week, month, quarter, year, fquarter or fyear (default month)"},
    {"by", "DIM", "one series per value of region, segment, country, account, rep, team, "
                  "product or category"},
    {"top", "N", "with --by: only the N values with the largest total (with --movers: N movers)"},
    {"movers", NULL, "with --by: the values that moved most, last complete period against the "
                     "one before"},
    {"forecast", "N", "forecast N periods after the last complete one (default 3; 0: none)"},
    {"period", "P", "the range: 2024, 2024-Q3, 2024-07, FY2024, FROM..TO (default: all data)"},
    {"from", "DATE", "first order day (overrides the start of --period)"},
    {"to", "DATE", "last order day (overrides the end of --period)"},
    {"where", "FILTER", "DIM=V[,V...][;DIM=V...]: only lines matching every clause"},
    {"status", "LIST", "only orders in these statuses (comma separated)"},
    {"today", "DATE", "the current day (default: the demo's day, else today)"},
    CLI_OPT_JSON,
    {0},
};

static const struct cli_option kpi_options[] = {
    CLI_OPT_DB,
    {"period", "P", "the period: 2024, 2024-Q3, 2024-07, 2024-W05, FY2024, FROM..TO "
                    "(default: the current quarter)"},
    {"scope", "S", "company (default), region=R, team=T, rep=R or category=C"},
    {"by", "DIM", "one row per value of region, team, rep, category (or any dimension)"},
    {"kpi", "LIST", "only these KPIs (comma separated)"},
    {"today", "DATE", "the current day, for pacing (default: the demo's day, else today)"},
    {"label", "TEXT", "define: the KPI's name for people"},
    {"unit", "U", "define: money (default), count, percent or days"},
    {"lower-is-better", NULL, "define: a falling value is good (costs, delays)"},
    {"green", "PCT", "target: green at or above this % of the expected value (default 100)"},
    {"amber", "PCT", "target: amber at or above this % (default 90); below it red"},
    CLI_OPT_JSON,
    {0},
};

static const struct cli_option alerts_options[] = {
    CLI_OPT_DB,
    {"all", NULL, "list acknowledged alerts too"},
    {"today", "DATE", "check: the current day (default: the demo's day, else today)"},
    CLI_OPT_JSON,
    {0},
};

static const struct cli_option queue_options[] = {
    CLI_OPT_DB,
    {"team", "ID", "pending: only orders whose rep is in this team"},
    {"rep", "ID", "pending: only this rep's orders"},
    {"region", "R", "pending: only orders of accounts in this region"},
    {"code", "CODE", "pending: only orders with a finding of this doctor rule (e.g. CREDIT_LIMIT)"},
    {"verdict", "V", "pending: only blocked, at-risk or ok orders"},
    {"limit", "N", "pending: show the first N (default 50; 0: all)"},
    {"today", "DATE", "pending: the current day (default: the demo's day, else today)"},
    {"status", "LIST", "requests: only these of open, in_progress, waiting (comma separated)"},
    {"assignee", "REP", "requests: only those assigned to this rep"},
    {"priority", "P", "requests: only this priority (low, normal, high, urgent)"},
    {"breached", NULL, "requests: only those with a breached SLA"},
    CLI_OPT_NOW,
    CLI_OPT_JSON,
    {0},
};

static const struct cli_option serve_options[] = {
    CLI_OPT_DB,
    {"listen", "ADDR", "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks a free "
                       "port, printed on stdout)"},
    {"threads", "N", "worker threads, each with its own store connection (default: one per core)"},
    {"secure-cookies", NULL, "mark the session cookie Secure (when served over TLS)"},
    {"session-idle", "SEC", "a session ends after this many seconds unused (default 1800)"},
    {"session-max", "SEC", "a session ends this many seconds after login (default 43200)"},
    {"login-limit", "N", "failed logins per login in 15 minutes before 429 (default 5; four "
                         "times as many per client address)"},
    {"max-body", "BYTES", "largest request body (default 1048576; larger answers 413)"},
    {"max-conns-per-ip", "N", "connections from one client address (default 64; more are "
                              "closed at once)"},
    {"max-buffered", "BYTES", "request body bytes held by all requests at once (default "
                              "67108864; a body past it answers 503 busy)"},
    {"max-upload", "BYTES", "largest import upload, POST /api/v1/imports (default 268435456; "
                            "written to a temporary file in $TMPDIR as it arrives; larger "
                            "answers 413)"},
    {"log-level", "LEVEL", "error, warn, info (default: one access line per request) or debug"},
    {"print-api-docs", NULL, "print the API reference (docs/api.md) and exit"},
    {"print-routes", NULL, "print the routes as a JSON array (method, pattern, roles, object, "
                           "json_body, query) and exit"},
    {0},
};

static const struct cli_option backup_options[] = {
    CLI_OPT_DB,
    {"force", NULL, "replace FILE when it exists"},
    {0},
};

static const struct cli_option user_options[] = {
    CLI_OPT_DB,
    {"role", "ROLE", "add: admin, manager, support, rep or viewer"},
    {"rep", "ID", "add: the rep this user is (required for role rep; a rep sees only their "
                  "accounts)"},
    {"name", "NAME", "add: the user's name"},
    {"password-stdin", NULL, "read the password from the first line of stdin (8 to 1024 "
                             "characters)"},
    CLI_OPT_JSON,
    {0},
};

const struct cli_command cli_commands[] = {
    {
        .name = "init",
        .summary = "create or migrate a database",
        .details = "Creates the database when it does not exist and brings its schema up to "
                   "date. A database made by a newer salesdesk is refused and left as it is.",
        .options = init_options,
        .run = cmd_init,
    },
    {
        .name = "backup",
        .args = "FILE",
        .summary = "copy a SQLite store to FILE while it is in use: one consistent, checked copy",
        .details = "Takes one snapshot with SQLite's online backup (the server and imports go "
                   "on meanwhile), checks the copy (PRAGMA quick_check), syncs it and renames "
                   "it to FILE only then: FILE is the old file or a whole copy, never a part. "
                   "Restoring is copying FILE back while nothing uses the store. A PostgreSQL "
                   "store is backed up with pg_dump (docs/operations.md).",
        .min_args = 1,
        .max_args = 1,
        .options = backup_options,
        .run = cmd_backup,
    },
    {
        .name = "demo",
        .summary = "create a demo database: a synthetic company with planted problems",
        .details = "Builds a deterministic company (same seed and day, same data): teams, reps, "
                   "accounts, products, orders with lines, invoices, stock, opportunities and "
                   "customer requests over three years, with orders that the order doctor must "
                   "flag (listed in the table demo_planted). Refuses to touch an existing file "
                   "(or a PostgreSQL database holding rows) unless --force is given. With --serve it then adds one login per role "
                   "(admin, manager, support, rep, viewer; password demo-ROLE; the rep user is "
                   "the owner of the largest account), prints them and serves the API like "
                   "'salesdesk serve'.",
        .options = demo_options,
        .run = cmd_demo,
    },
    {
        .name = "import",
        .args = "KIND FILE...",
        .summary = "import ERP/CRM exports (CSV, XLSX, JSON): all or nothing",
        .details = "KIND is accounts, reps, products, stock, orders, lines, invoices, "
                   "opportunities, stages, requests, quotas or fx, or bundle: a folder (or "
                   "several files) whose files the mapping assigns to kinds by name. Every value "
                   "is validated and every reference checked before anything is written; one "
                   "bad cell rejects the import (exit 3) and lists file, row, column and reason "
                   "for each problem. Re-importing the same data changes nothing.",
        .min_args = 0,
        .max_args = CLI_MAX_ARGS,
        .options = import_options,
        .run = cmd_import,
    },
    {
        .name = "order",
        .args = "ID | --diagnose-open",
        .summary = "show an order: header, lines, totals, invoices and status dates",
        .details = "With --diagnose the order doctor explains what blocks or endangers the order: "
                   "a verdict (blocked, at risk, ok) and findings by severity, each with its "
                   "evidence, owner and suggested action (docs/desk.md lists the rules and their "
                   "settings). --diagnose-open diagnoses every open (draft, pending, confirmed, "
                   "on_hold) and shipped order at once and lists those with findings.",
        .min_args = 0,
        .max_args = 1,
        .options = order_options,
        .run = cmd_order,
    },
    {
        .name = "account",
        .args = "ID",
        .summary = "show an account's status: health, credit, receivables ageing, revenue, rhythm",
        .details = "The health score (0-100) lists the reasons that lowered it and flags a churn "
                   "risk; receivables are aged by days past due (current, 1-30, 31-60, 61-90, "
                   "90+); revenue compares the last 12 months with the 12 before, month by month. "
                   "Then top products, open requests, contacts, open orders and open invoices. "
                   "Thresholds are settings (account.*); docs/desk.md defines every figure. "
                   "With --timeline: the account's history instead, newest first.",
        .min_args = 1,
        .max_args = 1,
        .options = account_options,
        .run = cmd_account,
    },
    {
        .name = "queue",
        .args = "[pending | requests]",
        .summary = "work queues: pending orders by priority; customer requests by SLA urgency",
        .details = "pending (the default) lists every order not yet shipped (draft, pending, "
                   "confirmed, on_hold) with its age, days left to the promised (else "
                   "requested) date, value, account tier, the order doctor's verdict and top "
                   "finding, and a priority score 0-100: verdict (blocked 40, at risk 20) + "
                   "date (up to 30) + value (up to 20) + tier (up to 10); docs/desk.md gives "
                   "the formula. requests lists the open, in_progress and waiting customer "
                   "requests by time left to their next SLA deadline (first response while "
                   "unanswered, else resolution), most overdue first, with breach flags.",
        .min_args = 0,
        .max_args = 1,
        .options = queue_options,
        .run = cmd_queue,
    },
    {
        .name = "request",
        .args = "ID | show ID | new --account ID --kind K --subject S | assign ID REP | "
                "status ID STATUS | note ID TEXT",
        .summary = "customer requests: show one with its SLA and notes, create, assign, "
                   "change status, add a note",
        .details = "States: open, in_progress, waiting, resolved, closed. open -> in_progress, "
                   "waiting or resolved; in_progress -> waiting or resolved; waiting -> "
                   "in_progress or resolved; resolved -> closed, or reopened to open or "
                   "in_progress; closed is final. The first move out of open, or the first "
                   "note, is the first response; resolving sets the resolution time and "
                   "reopening clears it. SLA targets per priority come from the settings "
                   "sla_first_response_hours.P and sla_resolution_hours.P, in elapsed hours "
                   "(docs/desk.md). New requests get the ids R1, R2, ... (source salesdesk). A "
                   "refused write (unknown id, rep or status, a transition not allowed) exits "
                   "3 and changes nothing.",
        .min_args = 1,
        .max_args = 3,
        .options = request_options,
        .run = cmd_request,
    },
    {
        .name = "note",
        .args = "order|account|request ID TEXT",
        .summary = "add a note to an order, an account or a customer request",
        .details = "Notes show on 'salesdesk request ID' and in 'salesdesk account ID "
                   "--timeline'. A note on a request that has no first response yet records "
                   "it (unless the request is resolved or closed).",
        .min_args = 3,
        .max_args = 3,
        .options = note_options,
        .run = cmd_note,
    },
    {
        .name = "trend",
        .args = "MEASURE",
        .summary = "a measure over time: table, sparkline, growth, forecast and anomalies",
        .details = "MEASURE is revenue, cost, margin, margin_pct, units, lines, orders, accounts, "
                   "new_accounts, aov, on_time_rate, days_to_ship, days_to_ship_median, "
                   "fill_rate, return_rate, discount, pipeline, weighted_pipeline, win_rate, "
                   "deals_won, avg_deal, sales_cycle, requests, first_response, resolution, "
                   "sla_breach_rate, receivables, overdue or dso (docs/engine.md defines each). "
                   "Amounts are in the base currency, converted at the order date.",
        .min_args = 1,
        .max_args = 1,
        .options = trend_options,
        .run = cmd_trend,
    },
    {
        .name = "kpi",
        .args = "[list | define NAME FORMULA | target KPI VALUE | targets]",
        .summary = "KPI cards: value, target, pacing and status; define KPIs and set targets",
        .details = "Without a subcommand shows every KPI for the period and scope. A formula "
                   "combines measures with + - * / ( ), prev(x) (previous period), yoy(x) (same "
                   "period last year) and target, e.g. 'margin / revenue * 100'. A target is "
                   "per KPI, scope and period; a rep's or team's revenue quota counts as a "
                   "revenue target. docs/engine.md explains pacing and status.",
        .min_args = 0,
        .max_args = 3,
        .options = kpi_options,
        .run = cmd_kpi,
    },
    {
        .name = "alerts",
        .args = "[list | check | ack ID]",
        .summary = "KPI alerts: list the open ones, check the targets now, acknowledge one",
        .details = "An alert is raised once per KPI, scope, period and level when a KPI with a "
                   "target goes amber or red: after every import that applies changes, and on "
                   "'alerts check'.",
        .min_args = 0,
        .max_args = 2,
        .options = alerts_options,
        .run = cmd_alerts,
    },
    {
        .name = "serve",
        .summary = "serve the HTTP JSON API (docs/api.md) until SIGTERM or SIGINT",
        .details = "Listens on --listen with a pool of worker threads and prints the address. "
                   "Logins are the users of 'salesdesk user'. On SIGTERM or SIGINT it refuses "
                   "new connections, stops a running import job (rolled back, marked "
                   "failed), lets the requests in flight finish and exits 0.",
        .options = serve_options,
        .run = cmd_serve,
    },
    {
        .name = "user",
        .args = "add LOGIN | list | passwd LOGIN",
        .summary = "manage the users who log in to the API: add, list, set a password",
        .details = "'user add LOGIN --role ROLE [--rep ID] [--name NAME] [--password-stdin]' "
                   "adds a user; without --password-stdin the user cannot log in until 'user "
                   "passwd LOGIN --password-stdin' sets a password, which also ends their "
                   "sessions. Passwords are stored as argon2id hashes.",
        .min_args = 1,
        .max_args = 2,
        .options = user_options,
        .run = cmd_user,
    },
    {
        .name = "copy",
        .summary = "copy a whole store into another (SQLite to PostgreSQL and back), verified",
        .details = "Copies every table (entities, users, sessions and tokens, audit log, change "
                   "log, import jobs, settings, KPIs) with their ids into the --to store, "
                   "which is created or migrated first; both must be at this binary's schema "
                   "version. A target that holds any row is refused unless --force, which "
                   "replaces its rows. The source is read on one snapshot, the target written "
                   "in one transaction that commits only when every table has the same row "
                   "count and the same sum of each integer column on both sides; the checks "
                   "are printed, and a difference exits 1 with nothing written.",
        .options = copy_options,
        .run = cmd_copy,
    },
};

const int cli_commands_count = (int)(sizeof(cli_commands) / sizeof(cli_commands[0]));

const struct cli_command *cli_find_command(const char *name)
{
    for (int i = 0; i < cli_commands_count; i++) {
        if (strcmp(cli_commands[i].name, name) == 0)
            return &cli_commands[i];
    }
    return NULL;
}
