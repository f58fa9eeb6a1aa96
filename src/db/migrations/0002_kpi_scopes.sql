-- SPDX-License-Identifier: MIT
-- KPIs as the engine uses them (issue 4). Version 1 created kpi_definitions,
-- kpi_targets and kpi_alerts, but no released code wrote to them, so they are
-- made again here rather than altered (SQLite cannot change a CHECK):
-- - units are money, count, percent, days and hours (values × 10^4 in every unit);
-- - targets and alerts are scoped to the company, a region, a team, a rep or
--   a product category, named by scope_key: the team's or rep's external id,
--   the region's or category's text ('' for the company), the same text a
--   query filter takes;
-- - a target has the first and last day of its period and two thresholds in
--   millionths of the expected value: at or above green_at it is green, at or
--   above amber_at amber, below red;
-- - an alert is stored once per KPI, scope, period and level.

DROP TABLE kpi_alerts;
DROP TABLE kpi_targets;
DROP TABLE kpi_definitions;

CREATE TABLE kpi_definitions (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    formula TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT 'money' CHECK (unit IN ('money', 'count', 'percent', 'days',
                                                     'hours')),
    higher_is_better INTEGER NOT NULL DEFAULT 1,
    builtin INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE kpi_targets (
    id {{ID}},
    kpi_id BIGINT NOT NULL REFERENCES kpi_definitions(id) ON DELETE CASCADE,
    scope_kind TEXT NOT NULL CHECK (scope_kind IN ('company', 'region', 'team', 'rep',
                                                   'category')),
    scope_key TEXT NOT NULL DEFAULT '',
    period TEXT NOT NULL,                -- canonical period text, e.g. '2024-Q3'
    first_day INTEGER NOT NULL,
    last_day INTEGER NOT NULL,
    target BIGINT NOT NULL,              -- in the KPI's unit × 10^4
    green_at BIGINT NOT NULL DEFAULT 1000000,
    amber_at BIGINT NOT NULL DEFAULT 900000,
    UNIQUE (kpi_id, scope_kind, scope_key, period)
);

CREATE TABLE kpi_alerts (
    id {{ID}},
    kpi_id BIGINT NOT NULL REFERENCES kpi_definitions(id) ON DELETE CASCADE,
    scope_kind TEXT NOT NULL,
    scope_key TEXT NOT NULL DEFAULT '',
    period TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('amber', 'red')),
    message TEXT NOT NULL,
    value BIGINT,
    target BIGINT,
    expected BIGINT,
    raised_at BIGINT NOT NULL,
    acked_by BIGINT REFERENCES users(id),
    acked_at BIGINT,
    UNIQUE (kpi_id, scope_kind, scope_key, period, level)
);
CREATE INDEX kpi_alerts_open ON kpi_alerts(acked_at, raised_at);
