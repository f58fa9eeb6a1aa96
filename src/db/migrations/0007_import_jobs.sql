-- SPDX-License-Identifier: MIT
-- Imports through the HTTP API (issue 6). An upload becomes a job that waits
-- ('queued') until the server's job thread runs it; the row says who sent it,
-- with which mapping and format, whether it was a dry run, and how it ended:
-- counts per kind (import_job_kinds) and, for a rejected import, every
-- problem kept (import_job_errors) with error_count saying how many were
-- found in all. Version 1's import_jobs cannot take the new status (SQLite
-- cannot change a CHECK), so it is made again here with its rows copied;
-- started_at is now empty while a job waits, created_at is when it was made.

CREATE TABLE import_jobs_new (
    id {{ID}},
    kind TEXT NOT NULL,                   -- the kind imported, or "import" (CLI runs)
    source TEXT NOT NULL DEFAULT '',
    files TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'rejected')),
    user_id BIGINT REFERENCES users(id),
    actor TEXT,                           -- "api:<login>", "cli:<OS user>"
    mapping TEXT,                         -- the preset or mapping name
    format TEXT,                          -- csv, xlsx or json
    dry_run INTEGER NOT NULL DEFAULT 0,
    upload_bytes BIGINT,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    rows_read BIGINT NOT NULL DEFAULT 0,
    inserted BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    changes BIGINT NOT NULL DEFAULT 0,    -- change_log rows the run appended (or would append)
    error_count BIGINT NOT NULL DEFAULT 0,
    error TEXT
);

INSERT INTO import_jobs_new (id, kind, source, files, idempotency_key, status, user_id,
                             created_at, started_at, finished_at, rows_read, inserted, updated,
                             unchanged, rejected, error)
SELECT id, kind, source, files, idempotency_key, status, user_id, started_at, started_at,
       finished_at, rows_read, inserted, updated, unchanged, rejected, error
FROM import_jobs;
-- The copied ids are explicit: the new table's numbering continues after them.
{{RESEED_IDS}}

DROP TABLE import_jobs;
ALTER TABLE import_jobs_new RENAME TO import_jobs;

CREATE TABLE import_job_kinds (
    job_id BIGINT NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    rows_read BIGINT NOT NULL DEFAULT 0,
    inserted BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (job_id, kind)
);

CREATE TABLE import_job_errors (
    job_id BIGINT NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,                 -- 1, 2, ... in the order found
    file TEXT,
    row_number BIGINT,                    -- NULL: not tied to a row
    column_number INTEGER,                -- 1-based source column, NULL: unknown
    field TEXT,                           -- "orders.order_date"
    message TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
