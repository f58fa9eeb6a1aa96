// SPDX-License-Identifier: MIT
// The command line as a user meets it: help for every command, and malformed
// input of every kind answered by a one-line error and the documented exit
// code (0 ok, 1 failure, 2 usage, 3 rejected), never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, existsSync, chmodSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, sql, tempDir, testDb, tableNames, BACKEND } from './helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A failure: the exit code, one line on stderr naming the problem, nothing on stdout. */
function assertOneLineError(r, code, pattern) {
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.code, code, `exit ${r.code}, stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line expected, got: ${r.stderr}`);
  assert.match(lines[0], /^salesdesk: /);
  assert.match(lines[0], pattern);
}

function commandNames() {
  const r = run(['--help']);
  assert.equal(r.code, 0);
  return [...r.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]);
}

test('every command has --help, and README.md tours every command', () => {
  const names = commandNames();
  assert.deepEqual(names, ['init', 'backup', 'demo', 'import', 'order', 'account', 'queue', 'request', 'note', 'trend', 'kpi',
    'alerts', 'serve', 'user', 'copy']);
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const name of names) {
    const r = run([name, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^usage: salesdesk ${name}`));
    assert.match(r.stdout, name === 'copy' ? /--from URL/ : /--db URL/);
    assert.match(readme, new RegExp(`salesdesk ${name}\\b`), `README.md mentions 'salesdesk ${name}'`);
  }
});

test('usage errors exit 2', () => {
  const bare = run([]);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /^usage: salesdesk COMMAND/);
  assertOneLineError(run(['frobnicate']), 2, /unknown command 'frobnicate'/);
  assertOneLineError(run(['order']), 2, /missing argument ID/);
  assertOneLineError(run(['order', '1', '2']), 2, /unexpected argument '2'/);
  assertOneLineError(run(['order', '1', '--colour']), 2, /unknown option '--colour'/);
  assertOneLineError(run(['order', '1', '-x']), 2, /unknown option '-x'/);
  assertOneLineError(run(['order', '1', '--db']), 2, /'--db' needs a value/);
  assertOneLineError(run(['order', '1', '--json=yes']), 2, /'--json' takes no value/);
  assertOneLineError(run(['demo', '--scale', 'huge']), 2, /--scale: 'huge' is not one of small, medium, large/);
  assertOneLineError(run(['demo', '--seed', '-4']), 2, /--seed: '-4' is not a whole number/);
  assertOneLineError(run(['demo', '--seed', '12abc']), 2, /--seed: '12abc' is not a whole number/);
  assertOneLineError(run(['demo', '--seed', '99999999999999999999999']), 2, /--seed/);
  assertOneLineError(run(['demo', '--today', '2024-13-01']), 2, /--today: '2024-13-01' is not a date \(YYYY-MM-DD\): month 13/);
  assertOneLineError(run(['demo', '--today', '2023-02-29']), 2, /2023 has no february 29/);
  assertOneLineError(run(['account', 'C1', '--today', 'yesterday']), 2, /--today: 'yesterday' is not a date/);
});

test('bad ids and missing databases exit 1 with the reason', (t) => {
  const dir = tempDir(t, 'cli-ids');
  const db = testDb(dir, 'demo.db');
  assert.equal(run(['demo', '--db', db, '--quiet']).code, 0);
  assertOneLineError(run(['order', '999999999', '--db', db]), 1, /no order with id '999999999'/);
  assertOneLineError(run(['order', '', '--db', db]), 1, /no order with id ''/);
  assertOneLineError(run(['order', "1' OR '1'='1", '--db', db]), 1, /no order with id/);
  assertOneLineError(run(['account', 'NOPE', '--db', db]), 1, /no account with id 'NOPE'/);
  assertOneLineError(run(['order', '1', '--db', path.join(dir, 'missing.db')]), 1, /does not exist \(create it with 'salesdesk init'\)/);
  // nothing listens on port 1: the PostgreSQL driver's reason, on one line
  assertOneLineError(run(['order', '1', '--db', 'postgresql://127.0.0.1:1/x']), 1,
    /cannot connect to database 'postgresql:\/\/127\.0\.0\.1:1\/x': .*refused/);
  assertOneLineError(run(['order', '1', '--db', dir]), 1, /is a directory/);
  assert.equal(existsSync(path.join(dir, 'missing.db')), false, 'a read command creates no file');
  // every command that opens a store says why it cannot, instead of crashing
  const missing = path.join(dir, 'missing.db');
  for (const args of [['account', 'C1'], ['account', 'C1', '--timeline'], ['queue'], ['queue', 'requests'],
    ['request', 'R1'], ['request', 'note', 'R1', 'x'], ['note', 'order', '1', 'x'], ['order', '--diagnose-open'],
    ['kpi'], ['trend', 'revenue'], ['alerts']]) {
    assertOneLineError(run([...args, '--db', missing]), 1, /does not exist \(create it with 'salesdesk init'\)/);
  }
  assert.equal(existsSync(missing), false, 'no command creates the file');
});

test('SALESDESK_DB selects the database when --db is absent', (t) => {
  const dir = tempDir(t, 'cli-env');
  const db = testDb(dir, 'env.db');
  assert.equal(run(['demo', '--quiet'], { env: { SALESDESK_DB: db } }).code, 0);
  const [o] = sql(db, 'SELECT ext_id FROM orders LIMIT 1');
  assert.equal(run(['order', o.ext_id], { env: { SALESDESK_DB: db } }).code, 0);
  const r = run(['order', o.ext_id], { cwd: dir });
  assertOneLineError(r, 1, /'\.\/salesdesk\.db' does not exist/);
});

// SQLite only (files): a file that is not a database, a read-only directory.
if (BACKEND === 'sqlite') test('a file that is not a SQLite database is refused, and left as it was', (t) => {
  const dir = tempDir(t, 'cli-notdb');
  const file = path.join(dir, 'notes.txt');
  const text = 'this is not a database\n'.repeat(200);
  writeFileSync(file, text);
  for (const args of [['init'], ['order', '1'], ['account', 'C1']]) {
    assertOneLineError(run([...args, '--db', file]), 1, /notes\.txt.*not a database/);
  }
  assert.equal(readFileSync(file, 'utf8'), text);
});

test('init creates, reports a current schema, and refuses a newer one untouched', (t) => {
  const dir = tempDir(t, 'cli-init');
  const db = testDb(dir, 'new.db');
  const first = run(['init', '--db', db]);
  assert.equal(first.code, 0, first.stderr);
  // The latest version is the number of migration files in the source tree.
  const latest = readdirSync(path.join(ROOT, 'src/db/migrations')).filter((f) => /^\d{4}_\w+\.sql$/.test(f)).length;
  assert.ok(latest >= 2);
  assert.match(first.stdout, new RegExp(`created \\(schema version ${latest}\\)`));
  assert.match(run(['init', '--db', db]).stdout, new RegExp(`schema is current \\(version ${latest}\\)`));
  const tables = tableNames(db).length;
  assert.ok(tables >= 30, `${tables} tables`);
  assertOneLineError(run(['order', '1', '--db', db]), 1, /no order with id '1'/);
  sql(db, "INSERT INTO schema_version VALUES (99, 'future', 0)");
  assertOneLineError(run(['init', '--db', db]), 1, /schema version 99 is newer than this salesdesk/);
  assertOneLineError(run(['order', '1', '--db', db]), 1, /schema version 99 is newer/);
  assert.equal(sql(db, 'SELECT max(version) AS v FROM schema_version')[0].v, '99');
  const empty = testDb(dir, 'empty.db');
  sql(empty, 'CREATE TABLE t(x INTEGER)');
  assertOneLineError(run(['order', '1', '--db', empty]), 1, /is not set up: run 'salesdesk init'/);
});

/** A directory nobody can write to, even root (chattr +i on top of mode 555). */
function makeReadOnly(dir) {
  mkdirSync(dir);
  chmodSync(dir, 0o555);
  if (process.getuid() === 0) {
    const r = spawnSync('chattr', ['+i', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, `chattr +i is needed for a read-only directory as root: ${r.stderr}`);
  }
}

if (BACKEND === 'sqlite') test('a read-only directory gives a one-line error, not a crash or a stray file', (t) => {
  const ro = path.join(tempDir(t, 'cli-ro'), 'readonly');
  try {
    makeReadOnly(ro);
    const db = path.join(ro, 'x.db');
    assertOneLineError(run(['init', '--db', db]), 1, /x\.db/);
    assertOneLineError(run(['demo', '--db', db, '--quiet']), 1, /x\.db/);
    assert.equal(spawnSync('ls', ['-A', ro], { encoding: 'utf8' }).stdout, '');
  } finally {
    if (process.getuid() === 0) spawnSync('chattr', ['-i', ro]);
  }
});

test('the measures the engine knows are the ones trend --help and docs/engine.md list', () => {
  const r = run(['trend', 'no_such_measure']);
  assert.equal(r.code, 2);
  const known = /unknown measure 'no_such_measure' \(([^)]*)\)/.exec(r.stderr)[1].split(', ');
  assert.ok(known.length >= 16);
  const help = run(['trend', '--help']).stdout.replace(/\s+/g, ' ');
  const doc = readFileSync(path.join(ROOT, 'docs/engine.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `([a-z_]+)` \| (money|count|percent|days|hours) \|/gm)].map((m) => m[1]);
  assert.deepEqual(documented, known);
  for (const name of known) assert.match(help, new RegExp(`\\b${name}\\b`), `trend --help names ${name}`);
});
