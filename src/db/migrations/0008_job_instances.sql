-- SPDX-License-Identifier: MIT
-- Several servers over one store (issue 7): an import job belongs to the server
-- that queued it, which alone runs it. `instance` is that server's lease key
-- (db.h: db_lease_take), held for as long as the server lives; a server marks
-- failed only its own unfinished jobs when it stops, and the unfinished jobs
-- of servers no longer alive (lease free) when it starts and while it runs.
-- NULL: a job recorded by the CLI, or queued before this version.
ALTER TABLE import_jobs ADD COLUMN instance BIGINT;
