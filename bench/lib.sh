# SPDX-License-Identifier: MIT
# bench/lib.sh: shell functions the benchmarks share (sourced by bench/import
# and bench/queries, never run by itself):
#   bench_init SCALE       checks the tools, sets $top $bin $base $duck_mod $pg_bin
#   bench_demo SCALE       the demo company at SCALE (seed 1), built once and kept in
#                          $base as demo-SCALE-KEY.db; KEY hashes the generator and the
#                          schema, so a changed generator builds a new one
#   bench_export_csv DB DIR [net]
#                          the native CSV files of docs/import.md; with `net`, lines.csv
#                          gets a last column net_base (see bench_add_net_base)
#   bench_tables_sql [net] the PostgreSQL/DuckDB tables of those files
#   bench_pg_start DIR     a throwaway PostgreSQL cluster in DIR (sets $pg_port, psql=(...))
#   bench_pg_stop DIR      stops it through its PID file (safe to call twice)
# Scratch and cache files go to $BENCH_IMPORT_DIR (default /tmp/bench-import).

say() { printf 'bench: %s\n' "$*" >&2; }

bench_init() {
    top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    bin=$top/build/salesdesk
    case $1 in
    small | medium | large) ;;
    *) return 2 ;;
    esac
    [ -x "$bin" ] || { echo "bench: build first (make release)" >&2; exit 2; }
    for tool in sqlite3 /usr/bin/time; do
        command -v "$tool" >/dev/null ||
            { echo "bench: $tool missing (scripts/install-deps --bench)" >&2; exit 2; }
    done
    # The newest PostgreSQL server installed (Debian's layout), or $PG_BIN.
    pg_bin=${PG_BIN:-}
    local d v pg_major=0
    if [ -z "$pg_bin" ]; then
        for d in /usr/lib/postgresql/*/bin; do
            v=${d#/usr/lib/postgresql/}
            v=${v%/bin}
            if [ -x "$d/initdb" ] && [ "$v" -gt "$pg_major" ]; then
                pg_bin=$d
                pg_major=$v
            fi
        done
    fi
    [ -x "$pg_bin/initdb" ] ||
        { echo "bench: PostgreSQL server missing (scripts/install-deps)" >&2; exit 2; }
    base=${BENCH_IMPORT_DIR:-/tmp/bench-import}
    duck_mod=$base/duckdb/node_modules/@duckdb/node-api
    mkdir -p "$base"
    chmod 755 "$base"
}

# The cache key of a demo: what decides its content (generator and schema).
bench_demo_key() {
    cat "$top"/src/demo/*.c "$top"/src/demo/*.h "$top"/src/db/migrations/*.sql |
        sha1sum | cut -c1-12
}

bench_demo() { # SCALE; prints the database's path
    local db
    db=$base/demo-$1-$(bench_demo_key).db
    if [ ! -f "$db" ]; then
        say "building the $1 demo into $db"
        "$bin" demo --db "$db.building" --scale "$1" --seed 1 --quiet
        sqlite3 "$db.building" 'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;' \
            >/dev/null
        mv "$db.building" "$db"
    fi
    echo "$db"
}

# Money is 1/10000 units, printed exactly with 4 decimals; discounts are
# millionths, printed as a fraction (50000 -> 0.05); discount_limit_pct is a
# percentage (250000 millionths -> 25.0000); dates are days since 1970-01-01.
bench_money() { echo "CASE WHEN $1 IS NULL THEN NULL ELSE printf('%s%d.%04d', CASE WHEN $1 < 0 THEN '-' ELSE '' END, abs($1) / 10000, abs($1) % 10000) END"; }
bench_day() { echo "date($1 * 86400, 'unixepoch')"; }
bench_fraction() { echo "rtrim(rtrim(printf('%d.%06d', $1 / 1000000, $1 % 1000000), '0'), '.')"; }

bench_export_csv() { # DB DIR [net]
    local db=$1 dir=$2 net=""
    [ "${3:-}" != net ] || net=", $(bench_money l.net_base) AS net_base"
    mkdir -p "$dir"
    sqlite3 -csv -header "$db" "SELECT r.ext_id AS id, r.name, r.email, t.name AS team, r.region,
    m.ext_id AS manager, $(bench_money r.discount_limit) AS discount_limit_pct, r.status
  FROM reps r LEFT JOIN teams t ON t.id = r.team_id LEFT JOIN reps m ON m.id = r.manager_id
  ORDER BY r.id" >"$dir/reps.csv"
    sqlite3 -csv -header "$db" "SELECT a.ext_id AS id, a.name, a.segment, a.region, a.country,
    a.city, o.ext_id AS owner_rep, m.ext_id AS account_manager,
    $(bench_money a.credit_limit) AS credit_limit, a.payment_terms_days, a.status, a.currency
  FROM accounts a LEFT JOIN reps o ON o.id = a.owner_rep_id
  LEFT JOIN reps m ON m.id = a.account_manager_id ORDER BY a.id" >"$dir/accounts.csv"
    sqlite3 -csv -header "$db" "SELECT ext_id AS sku, name, category,
    $(bench_money list_price) AS list_price, $(bench_money cost) AS cost, status,
    $(bench_day launch_date) AS launch_date
  FROM products ORDER BY id" >"$dir/products.csv"
    sqlite3 -csv -header "$db" "SELECT p.ext_id AS sku, s.warehouse, s.on_hand, s.reserved
  FROM stock s JOIN products p ON p.id = s.product_id
  ORDER BY s.product_id, s.warehouse" >"$dir/stock.csv"
    sqlite3 -csv -header "$db" "SELECT o.ext_id AS id, a.ext_id AS account, r.ext_id AS rep,
    $(bench_day o.order_date) AS order_date, $(bench_day o.requested_date) AS requested_date,
    $(bench_day o.promised_date) AS promised_date, $(bench_day o.ship_date) AS ship_date,
    o.status, o.currency, o.ship_country, o.ship_address
  FROM orders o JOIN accounts a ON a.id = o.account_id LEFT JOIN reps r ON r.id = o.rep_id
  ORDER BY o.id" >"$dir/orders.csv"
    sqlite3 -csv -header "$db" "SELECT o.ext_id AS \"order\", l.line_no AS line,
    p.ext_id AS sku, l.qty, $(bench_money l.unit_price) AS unit_price,
    $(bench_fraction l.discount) AS discount, l.shipped_qty$net
  FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN products p ON p.id = l.product_id
  ORDER BY l.order_id, l.line_no" >"$dir/lines.csv"
    sqlite3 -csv -header "$db" "SELECT i.ext_id AS id, o.ext_id AS \"order\",
    a.ext_id AS account, $(bench_day i.issue_date) AS issue_date,
    $(bench_day i.due_date) AS due_date, $(bench_money i.amount) AS amount,
    $(bench_money i.paid_amount) AS paid_amount, $(bench_day i.paid_date) AS paid_date
  FROM invoices i LEFT JOIN orders o ON o.id = i.order_id JOIN accounts a ON a.id = i.account_id
  ORDER BY i.id" >"$dir/invoices.csv"
}

# The tables of PostgreSQL and DuckDB: primary keys, NOT NULL where ours are.
bench_tables_sql() { # [net]
    local net=""
    [ "${1:-}" != net ] || net=", net_base NUMERIC(18,4) NOT NULL"
    cat <<EOF
CREATE TABLE reps (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT, team TEXT, region TEXT,
    manager TEXT, discount_limit_pct NUMERIC(9,4), status TEXT);
CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT NOT NULL, segment TEXT, region TEXT,
    country TEXT, city TEXT, owner_rep TEXT, account_manager TEXT, credit_limit NUMERIC(18,4),
    payment_terms_days INTEGER, status TEXT, currency TEXT);
CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT,
    list_price NUMERIC(18,4) NOT NULL, cost NUMERIC(18,4), status TEXT, launch_date DATE);
CREATE TABLE stock (sku TEXT NOT NULL, warehouse TEXT NOT NULL, on_hand BIGINT NOT NULL,
    reserved BIGINT, PRIMARY KEY (sku, warehouse));
CREATE TABLE orders (id TEXT PRIMARY KEY, account TEXT NOT NULL, rep TEXT,
    order_date DATE NOT NULL, requested_date DATE, promised_date DATE, ship_date DATE,
    status TEXT NOT NULL, currency TEXT, ship_country TEXT, ship_address TEXT);
CREATE TABLE lines ("order" TEXT NOT NULL, line INTEGER NOT NULL, sku TEXT NOT NULL,
    qty BIGINT NOT NULL, unit_price NUMERIC(18,4) NOT NULL, discount NUMERIC(9,6),
    shipped_qty BIGINT$net, PRIMARY KEY ("order", line));
CREATE TABLE invoices (id TEXT PRIMARY KEY, "order" TEXT, account TEXT NOT NULL,
    issue_date DATE NOT NULL, due_date DATE NOT NULL, amount NUMERIC(18,4) NOT NULL,
    paid_amount NUMERIC(18,4), paid_date DATE);
CHECKPOINT;
EOF
}

# The cluster is scripts/pg-cluster's (the tests use the same one); $BENCH_PG_CONF
# adds postgresql.conf lines.
bench_pg_start() { # DIR
    local url
    url=$(PG_BIN=$pg_bin PG_CLUSTER_CONF=${BENCH_PG_CONF:-} "$top/scripts/pg-cluster" start "$1") ||
        exit 1
    pg_port=${url##*:}
    pg_port=${pg_port%%/*}
    psql=("$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$1" -p "$pg_port" -U postgres
        -d postgres)
}

bench_pg_stop() { # DIR
    PG_BIN=$pg_bin "$top/scripts/pg-cluster" stop "$1"
}

bench_have_duckdb() {
    command -v node >/dev/null && [ -d "$duck_mod" ]
}

bench_machine() {
    echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; shared with" \
        "other work: see the load averages"
}
