-- SPDX-License-Identifier: MIT
-- Who did it, before logins exist (issue 5). The command line has no login, so
-- audit rows and notes written from it carry a text actor, "cli:<OS user>",
-- and a NULL user_id / author_user_id; once users log in (issue 6) the ids are
-- set as well and the text names the user's login.
ALTER TABLE audit_log ADD COLUMN actor TEXT;
ALTER TABLE notes ADD COLUMN author TEXT;
