-- SPDX-License-Identifier: MIT
-- The whole Salesdesk schema, version 1.
--
-- Conventions (docs/ARCHITECTURE.md): every entity has an internal integer id and
-- an optional external id (source, ext_id) from the system it came from, unique
-- together. Money is BIGINT in 1/10000 of the row's currency; discounts are BIGINT
-- millionths (0.05 -> 50000); dates are INTEGER days since 1970-01-01; timestamps
-- are BIGINT milliseconds UTC. {{ID}} and {{WITHOUT_ROWID}} are expanded per driver.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE change_log (
    seq {{ID}},
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    at BIGINT NOT NULL
);

CREATE TABLE teams (
    id {{ID}},
    source TEXT NOT NULL DEFAULT '',
    ext_id TEXT NOT NULL,
    name TEXT NOT NULL,
    region TEXT,
    UNIQUE (source, ext_id)
);
CREATE INDEX teams_ext ON teams(ext_id);

CREATE TABLE reps (
    id {{ID}},
    source TEXT NOT NULL DEFAULT '',
    ext_id TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    team_id BIGINT REFERENCES teams(id),
    region TEXT,
    manager_id BIGINT REFERENCES reps(id),
    discount_limit BIGINT,               -- millionths of a line (0.10 -> 100000)
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    UNIQUE (source, ext_id)
);
CREATE INDEX reps_ext ON reps(ext_id);
CREATE INDEX reps_team ON reps(team_id);

CREATE TABLE accounts (
    id {{ID}},
    source TEXT NOT NULL DEFAULT '',
    ext_id TEXT NOT NULL,
    name TEXT NOT NULL,
    segment TEXT,
    region TEXT,
    country TEXT,
    city TEXT,
    owner_rep_id BIGINT REFERENCES reps(id),
    account_manager_id BIGINT REFERENCES reps(id),
    credit_limit BIGINT,                 -- money, NULL: no limit
    payment_terms_days INTEGER,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'on_hold', 'closed')),
    currency TEXT NOT NULL DEFAULT 'USD',
    UNIQUE (source, ext_id)
);
CREATE INDEX accounts_ext ON accounts(ext_id);
CREATE INDEX accounts_owner ON accounts(owner_rep_id);
CREATE INDEX accounts_manager ON accounts(account_manager_id);
CREATE INDEX accounts_name ON accounts(name);

CREATE TABLE contacts (
    id {{ID}},
    source TEXT NOT NULL DEFAULT '',
    ext_id TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    title TEXT,
    email TEXT,
    phone TEXT,
    is_primary INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source, ext_id)
);
CREATE INDEX contacts_account ON contacts(account_id);

CREATE TABLE products (
    id {{ID}},
    source TEXT NOT NULL DEFAULT '',
    ext_id TEXT NOT NULL,                -- the SKU
    name TEXT NOT NULL,
    category TEXT,
    list_price BIGINT NOT NULL,
    cost BIGINT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'discontinued')),
    launch_date INTEGER,
    UNIQUE (source, ext_id)
);
CREATE INDEX products_ext ON products(ext_id);
CREATE INDEX products_category ON products(category);

CREATE TABLE stock (
    product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    warehouse TEXT NOT NULL,
    on_hand BIGINT NOT NULL,
    reserved BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, warehouse)
);

CREATE TABLE orders (
    id {{ID}},
    source TEXT NOT NULL DEFAULT '',
    ext_id TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    rep_id BIGINT REFERENCES reps(id),
    order_date INTEGER NOT NULL,
    requested_date INTEGER,
    promised_date INTEGER,
    ship_date INTEGER,
    status TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'confirmed', 'on_hold',
                                           'shipped', 'invoiced', 'paid', 'cancelled',
                                           'returned')),
    status_date INTEGER NOT NULL,        -- the day the order entered its current status
    currency TEXT NOT NULL DEFAULT 'USD',
    ship_country TEXT,
    ship_address TEXT,
    UNIQUE (source, ext_id)
);
CREATE INDEX orders_ext ON orders(ext_id);
CREATE INDEX orders_account ON orders(account_id, order_date);
CREATE INDEX orders_rep ON orders(rep_id);
CREATE INDEX orders_status ON orders(status, status_date);
CREATE INDEX orders_date ON orders(order_date);

CREATE TABLE order_lines (
    order_id BIGINT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    line_no INTEGER NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products(id),
    qty BIGINT NOT NULL,                 -- whole units
    unit_price BIGINT NOT NULL,          -- money
    discount BIGINT NOT NULL DEFAULT 0,  -- millionths
    shipped_qty BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, line_no)
) {{WITHOUT_ROWID}};
CREATE INDEX order_lines_product ON order_lines(product_id);

CREATE TABLE invoices (
    id {{ID}},
    source TEXT NOT NULL DEFAULT '',
    ext_id TEXT NOT NULL,
    order_id BIGINT REFERENCES orders(id),
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    issue_date INTEGER NOT NULL,
    due_date INTEGER NOT NULL,
    amount BIGINT NOT NULL,
    paid_amount BIGINT NOT NULL DEFAULT 0,
    paid_date INTEGER,
    currency TEXT NOT NULL DEFAULT 'USD',
    UNIQUE (source, ext_id)
);
CREATE INDEX invoices_ext ON invoices(ext_id);
CREATE INDEX invoices_order ON invoices(order_id);
CREATE INDEX invoices_account ON invoices(account_id, due_date);

CREATE TABLE opportunities (
    id {{ID}},
    source TEXT NOT NULL DEFAULT '',
    ext_id TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    rep_id BIGINT REFERENCES reps(id),
    name TEXT NOT NULL,
    stage TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL DEFAULT 'USD',
    created_date INTEGER NOT NULL,
    expected_close INTEGER,
    closed_date INTEGER,
    outcome TEXT CHECK (outcome IN ('won', 'lost')),
    lost_reason TEXT,
    lead_source TEXT,
    UNIQUE (source, ext_id)
);
CREATE INDEX opportunities_ext ON opportunities(ext_id);
CREATE INDEX opportunities_account ON opportunities(account_id);
CREATE INDEX opportunities_rep ON opportunities(rep_id);

CREATE TABLE opportunity_stages (
    opportunity_id BIGINT NOT NULL REFERENCES opportunities(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    entered_date INTEGER NOT NULL,
    PRIMARY KEY (opportunity_id, entered_date, stage)
);

CREATE TABLE users (
    id {{ID}},
    login TEXT NOT NULL UNIQUE,
    name TEXT,
    role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'support', 'rep', 'viewer')),
    rep_id BIGINT REFERENCES reps(id),
    password_hash TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    csrf_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT
);

CREATE TABLE requests (
    id {{ID}},
    source TEXT NOT NULL DEFAULT '',
    ext_id TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    order_id BIGINT REFERENCES orders(id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'waiting',
                                                          'resolved', 'closed')),
    opened_at BIGINT NOT NULL,
    first_response_at BIGINT,
    resolved_at BIGINT,
    assignee_rep_id BIGINT REFERENCES reps(id),
    UNIQUE (source, ext_id)
);
CREATE INDEX requests_ext ON requests(ext_id);
CREATE INDEX requests_account ON requests(account_id);
CREATE INDEX requests_order ON requests(order_id);
CREATE INDEX requests_status ON requests(status, opened_at);

CREATE TABLE notes (
    id {{ID}},
    entity TEXT NOT NULL,                -- 'order', 'account', 'request', ...
    entity_id BIGINT NOT NULL,
    author_user_id BIGINT REFERENCES users(id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX notes_entity ON notes(entity, entity_id, created_at);

CREATE TABLE quotas (
    id {{ID}},
    scope_kind TEXT NOT NULL CHECK (scope_kind IN ('rep', 'team')),
    scope_id BIGINT NOT NULL,            -- reps.id or teams.id
    period TEXT NOT NULL,                -- canonical period text, e.g. '2024-Q3'
    first_day INTEGER NOT NULL,
    last_day INTEGER NOT NULL,
    amount BIGINT NOT NULL,              -- money, base currency
    UNIQUE (scope_kind, scope_id, period)
);

CREATE TABLE fx_rates (
    currency TEXT NOT NULL,
    day INTEGER NOT NULL,
    rate_to_base BIGINT NOT NULL,        -- base units per currency unit, × 10^8
    PRIMARY KEY (currency, day)
);

CREATE TABLE audit_log (
    id {{ID}},
    at BIGINT NOT NULL,
    user_id BIGINT REFERENCES users(id),
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_at ON audit_log(at);

CREATE TABLE kpi_definitions (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    formula TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT 'money' CHECK (unit IN ('money', 'count', 'ratio', 'days')),
    higher_is_better INTEGER NOT NULL DEFAULT 1,
    builtin INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE kpi_targets (
    id {{ID}},
    kpi_id BIGINT NOT NULL REFERENCES kpi_definitions(id) ON DELETE CASCADE,
    scope_kind TEXT NOT NULL CHECK (scope_kind IN ('company', 'team', 'rep')),
    scope_id BIGINT NOT NULL DEFAULT 0,  -- team or rep id; 0 for the company
    period TEXT NOT NULL,
    target BIGINT NOT NULL,              -- in the KPI's unit × 10^4
    warn_ratio BIGINT NOT NULL DEFAULT 900000, -- millionths of target below which status is amber
    UNIQUE (kpi_id, scope_kind, scope_id, period)
);

CREATE TABLE kpi_alerts (
    id {{ID}},
    kpi_id BIGINT NOT NULL REFERENCES kpi_definitions(id) ON DELETE CASCADE,
    scope_kind TEXT NOT NULL,
    scope_id BIGINT NOT NULL DEFAULT 0,
    period TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('amber', 'red')),
    message TEXT NOT NULL,
    value BIGINT,
    target BIGINT,
    raised_at BIGINT NOT NULL,
    acked_by BIGINT REFERENCES users(id),
    acked_at BIGINT
);
CREATE INDEX kpi_alerts_open ON kpi_alerts(acked_at, raised_at);

CREATE TABLE guides (
    id {{ID}},
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL,
    product_id BIGINT REFERENCES products(id),
    author_user_id BIGINT REFERENCES users(id),
    updated_at BIGINT NOT NULL
);

CREATE TABLE launches (
    id {{ID}},
    source TEXT NOT NULL DEFAULT '',
    ext_id TEXT NOT NULL,
    product_id BIGINT REFERENCES products(id),
    title TEXT NOT NULL,
    announcement TEXT NOT NULL,
    guide_id BIGINT REFERENCES guides(id),
    launch_date INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'live', 'retired')),
    created_at BIGINT NOT NULL,
    UNIQUE (source, ext_id)
);

CREATE TABLE launch_acks (
    launch_id BIGINT NOT NULL REFERENCES launches(id) ON DELETE CASCADE,
    rep_id BIGINT NOT NULL REFERENCES reps(id),
    acked_at BIGINT NOT NULL,
    PRIMARY KEY (launch_id, rep_id)
);

CREATE TABLE account_plans (
    id {{ID}},
    account_id BIGINT NOT NULL UNIQUE REFERENCES accounts(id) ON DELETE CASCADE,
    owner_rep_id BIGINT REFERENCES reps(id),
    objective TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('draft', 'active', 'closed')),
    updated_at BIGINT NOT NULL
);

CREATE TABLE plan_actions (
    id {{ID}},
    plan_id BIGINT NOT NULL REFERENCES account_plans(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    owner_rep_id BIGINT REFERENCES reps(id),
    due_date INTEGER,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
    done_at BIGINT
);
CREATE INDEX plan_actions_plan ON plan_actions(plan_id);

CREATE TABLE import_jobs (
    id {{ID}},
    kind TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    files TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'rejected')),
    user_id BIGINT REFERENCES users(id),
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    rows_read BIGINT NOT NULL DEFAULT 0,
    inserted BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    error TEXT
);

-- Problems the demo builder planted on purpose, for the order doctor's tests.
CREATE TABLE demo_planted (
    order_id TEXT NOT NULL,              -- the order's external id, as the CLI takes it
    code TEXT NOT NULL,                  -- the order doctor's rule code
    PRIMARY KEY (order_id, code)
);
