// SPDX-License-Identifier: MIT
// `salesdesk copy`: the small demo, with rows added in every table the demo
// leaves empty (users, a session and an API token, requests, notes, audit
// rows, KPI definitions, targets and alerts, import jobs with their kinds and
// errors), copied SQLite -> PostgreSQL -> a fresh SQLite file. Each table's
// row count and the sum of each integer column are computed here, by the
// sqlite3 shell on both SQLite files and by psql on PostgreSQL, and must be
// equal on all three; both SQLite files hold exactly the same rows; `kpi
// --json` answers the same on all three. A non-empty target is refused and
// left as it was; --force replaces it. Sources at another schema version are
// refused. A copy that comes out different (a trigger in the target skews a
// column) is rolled back and the report names the column.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { run, sql, tempDir } from './helpers.mjs';
import { addUser, login, request, startServer } from './server.mjs';
import { pgDatabase, psql } from './pg.mjs';

const SANITIZE = process.env.SD_SANITIZE === 'ON';

/** The tables of a SQLite store with their integer columns, read from its schema. */
function tablesOf(db) {
  return sql(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' " +
    "AND name <> 'schema_version' ORDER BY name").map(({ name }) => ({
    name,
    columns: sql(db, `PRAGMA table_info(${name})`).map((c) => c.name),
    integers: sql(db, `PRAGMA table_info(${name})`).filter((c) => /INT/i.test(c.type)).map((c) => c.name),
  }));
}

/** SELECT count(*), sum(a), sum(b)... for one table; sums as exact text. */
function countsQuery(table, cast) {
  const sums = table.integers.map((c) => `coalesce(sum(${c}), 0)${cast}`);
  return `SELECT count(*)${cast}${sums.map((s) => `, ${s}`).join('')} FROM ${table.name}`;
}

function sqliteCounts(db, tables) {
  return Object.fromEntries(tables.map((t) => {
    const [row] = sql(db, countsQuery(t, ''));
    return [t.name, Object.values(row).map(String)];
  }));
}

function pgCounts(url, tables) {
  return Object.fromEntries(tables.map((t) => [t.name, psql(url, countsQuery(t, '::text'))[0]]));
}

/** Every row of every table, in a fixed order, as the sqlite3 shell prints them. */
function allRows(db, tables) {
  return Object.fromEntries(tables.map((t) => [t.name,
    sql(db, `SELECT * FROM ${t.name} ORDER BY ${t.columns.map((_, i) => i + 1).join(', ')}`)]));
}

function kpiJson(db) {
  const r = run(['kpi', '--json', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

function copy(from, to, extra = []) {
  return run(['copy', '--from', from, '--to', to, ...extra]);
}

async function waitJob(server, auth, id) {
  const until = Date.now() + (SANITIZE ? 120000 : 30000);
  for (;;) {
    const res = await request(server, `/api/v1/imports/${id}`, { headers: { Cookie: auth.cookie } });
    if (!['queued', 'running'].includes(res.json.status)) return res.json;
    if (Date.now() > until) throw new Error(`job ${id} still ${res.json.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Writes through the API and the CLI into the tables the demo leaves empty. */
async function fillEmptyTables(t, db) {
  const account = sql(db, 'SELECT ext_id FROM accounts ORDER BY id LIMIT 1')[0].ext_id;
  addUser(db, 'ada', 'admin', 'admin-password-1');
  const rep = sql(db, 'SELECT ext_id FROM reps ORDER BY id LIMIT 1')[0].ext_id;
  addUser(db, 'rita', 'rep', 'rep-password-1', ['--rep', rep]);
  for (const args of [
    ['request', 'new', '--account', account, '--kind', 'delivery_status', '--subject', 'Where is it?'],
    ['note', 'account', account, 'Called, will order again in May'],
    ['kpi', 'define', 'margin_per_order', 'margin / orders'],
    ['kpi', 'target', 'revenue', '99999999', '--period', '2026-Q4'],
    ['alerts', 'check'],
  ]) {
    const r = run([...args, '--db', db]);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  const server = await startServer(t, db);
  const auth = await login(server, 'ada', 'admin-password-1');
  const headers = { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf };
  const token = await request(server, '/api/v1/tokens', { method: 'POST', headers, body: { name: 'erp sync' } });
  assert.equal(token.status, 201, token.text);
  for (const body of ['sku,name,category,list_price,cost,status,launch_date\nNEW1,Thing,Tools,2.5,1.1,active,\n',
    'sku,name,category,list_price,cost,status,launch_date\nNEW2,Bad,Tools,two,1.1,active,\n']) {
    const up = await request(server, '/api/v1/imports?kind=products', {
      method: 'POST', body: Buffer.from(body), headers: { ...headers, 'Content-Type': 'text/csv' },
    });
    assert.equal(up.status, 202, up.text);
    await waitJob(server, auth, up.json.job);
  }
}

let dir, source, tables;
const cleanup = [];
after(async () => { for (const fn of cleanup.reverse()) await fn(); });

// One source store for the file's tests; the server that wrote into it is stopped before they run.
before(async () => {
  dir = tempDir({ after: (fn) => cleanup.push(fn) }, 'copy');
  source = path.join(dir, 'source.db');
  const demo = run(['demo', '--db', source, '--scale', 'small']);
  assert.equal(demo.code, 0, demo.stderr);
  const setup = { hooks: [], after(fn) { this.hooks.push(fn); } };
  await fillEmptyTables(setup, source);
  for (const fn of setup.hooks) await fn();
  tables = tablesOf(source);
});

test('SQLite -> PostgreSQL -> SQLite keeps every count, sum, row and KPI', () => {
  const empty = tables.filter((t) => sqliteCounts(source, [t])[t.name][0] === '0').map((t) => t.name);
  // Only the tables nothing writes yet are empty.
  assert.deepEqual(empty, ['account_plans', 'guides', 'launch_acks', 'launches', 'plan_actions']);

  const pg = pgDatabase('copy_round');
  const there = copy(source, pg);
  assert.equal(there.code, 0, there.stderr);
  assert.match(there.stdout, /counts and sums are equal/);
  const back = path.join(dir, 'back.db');
  const again = copy(pg, back, ['--json']);
  assert.equal(again.code, 0, again.stderr);

  const expected = sqliteCounts(source, tables);
  assert.deepEqual(pgCounts(pg, tables), expected);
  assert.deepEqual(sqliteCounts(back, tables), expected);
  assert.deepEqual(allRows(back, tables), allRows(source, tables));

  // The report names every table with the counts computed here.
  const report = JSON.parse(again.stdout);
  assert.equal(report.copied, true);
  assert.deepEqual(Object.fromEntries(report.tables.map((t) => [t.table, [t.source_rows, t.target_rows]])),
    Object.fromEntries(tables.map((t) => [t.name, [Number(expected[t.name][0]), Number(expected[t.name][0])]])));

  const kpi = kpiJson(source);
  assert.match(kpi, /"cards"/);
  assert.equal(kpiJson(pg), kpi);
  assert.equal(kpiJson(back), kpi);

  // New rows continue after the copied ids on PostgreSQL (identities moved).
  const account = sql(source, 'SELECT ext_id FROM accounts ORDER BY id LIMIT 1')[0].ext_id;
  assert.equal(run(['note', 'account', account, 'after the move', '--db', pg]).code, 0);
  const [[seq, maxSeq]] = psql(pg, "SELECT (SELECT max(seq) FROM change_log WHERE entity = 'note'), (SELECT max(seq) FROM change_log)");
  assert.equal(seq, maxSeq);
  const maxCopied = sql(source, 'SELECT max(seq) AS m FROM change_log')[0].m;
  assert.equal(seq, String(Number(maxCopied) + 1));
});

test('a target holding rows is refused and left as it was; --force replaces it', () => {
  const pg = pgDatabase('copy_force');
  assert.equal(copy(source, pg).code, 0);
  const account = sql(source, 'SELECT ext_id FROM accounts ORDER BY id LIMIT 1')[0].ext_id;
  assert.equal(run(['note', 'account', account, 'only on PostgreSQL', '--db', pg]).code, 0);
  const held = pgCounts(pg, tables);

  const refused = copy(source, pg);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^salesdesk: the target is not empty \(\d+ rows in 'settings'\): use --force/);
  assert.deepEqual(pgCounts(pg, tables), held);

  const forced = copy(source, pg, ['--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /replaced \d+ rows the target held/);
  assert.deepEqual(pgCounts(pg, tables), sqliteCounts(source, tables));
  assert.deepEqual(psql(pg, "SELECT count(*) FROM notes WHERE body = 'only on PostgreSQL'"), [['0']]);

  // The same into SQLite.
  const file = path.join(dir, 'force.db');
  assert.equal(run(['init', '--db', file]).code, 0);
  assert.equal(copy(source, file).code, 0);
  const twice = copy(source, file);
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /not empty/);
  assert.equal(copy(source, file, ['--force']).code, 0);
  assert.deepEqual(sqliteCounts(file, tables), sqliteCounts(source, tables));
});

test('a source at another schema version is refused, naming the fix', () => {
  const older = path.join(dir, 'older.db');
  copyFileSync(source, older);
  sql(older, 'DELETE FROM schema_version WHERE version = (SELECT max(version) FROM schema_version)');
  const r = copy(older, path.join(dir, 'x.db'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /needs an upgrade: run 'salesdesk init'/);

  const newer = path.join(dir, 'newer.db');
  copyFileSync(source, newer);
  sql(newer, "INSERT INTO schema_version(version, name, applied_at) VALUES (999, 'future', 0)");
  const n = copy(newer, path.join(dir, 'y.db'));
  assert.equal(n.code, 1);
  assert.match(n.stderr, /newer/);

  const same = copy(source, source);
  assert.equal(same.code, 2);
});

test('a copy that does not come out equal is not committed, and the report says where it differs', () => {
  // A trigger in the target adds 1 to the quantity of every first order line as it arrives.
  const target = path.join(dir, 'skewed.db');
  assert.equal(run(['init', '--db', target]).code, 0);
  sql(target, 'CREATE TRIGGER skew AFTER INSERT ON order_lines WHEN NEW.line_no = 1 BEGIN ' +
    'UPDATE order_lines SET qty = qty + 1 WHERE order_id = NEW.order_id AND line_no = 1; END');
  const [{ orders, qty }] = sql(source, 'SELECT (SELECT count(*) FROM order_lines WHERE line_no = 1) AS orders, ' +
    '(SELECT sum(qty) FROM order_lines) AS qty');
  const r = copy(source, target);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^order_lines +\d+ +\d+ +\d+ +DIFFERS$/m);
  assert.match(r.stdout, new RegExp(`order_lines\\.qty: sum ${qty} in the source, ${BigInt(qty) + BigInt(orders)} in the target`));
  assert.equal((r.stdout.match(/DIFFERS/g) || []).length, 1);
  assert.match(r.stderr, /the copy differs from the source in 1 table\(s\); nothing was written/);
  for (const t of tables) assert.deepEqual(sql(target, `SELECT count(*) AS n FROM ${t.name}`), [{ n: '0' }], t.name);
});
