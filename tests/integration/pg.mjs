// SPDX-License-Identifier: MIT
// PostgreSQL for the integration tests: the throwaway cluster CTest starts for
// the run (fixture pg-cluster, scripts/pg-cluster; its URL in
// $SALESDESK_TEST_PG_DIR/url), or a server named by $SALESDESK_TEST_PG. Each
// test gets databases of its own, dropped when the file's tests are done, and
// reads them with the psql shell, independently of the code under test.
import { after } from 'node:test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

function serverUrl() {
  if (process.env.SALESDESK_TEST_PG) return process.env.SALESDESK_TEST_PG;
  const dir = process.env.SALESDESK_TEST_PG_DIR;
  if (!dir) throw new Error('no PostgreSQL: run through ctest (fixture pg-cluster) or set SALESDESK_TEST_PG');
  return readFileSync(path.join(dir, 'url'), 'utf8').trim();
}

/** Runs psql on `url`; returns its rows as arrays of text (NULL as ''). */
export function psql(url, query) {
  const r = spawnSync('psql', ['-X', '-q', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', query],
    { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout === '' ? [] : r.stdout.replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
}

const made = [];
let serial = 0;
after(() => { for (const db of made) psql(serverUrl(), `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`); });

/**
 * A new database on the test server, empty or a copy of database URL
 * `template` (which nothing may be connected to); its URL. Dropped after the
 * file's tests.
 */
export function pgDatabase(name, template) {
  const server = serverUrl();
  const db = `sd_${name.replace(/[^a-z0-9]/g, '_')}_${process.pid}_${++serial}`;
  psql(server, `CREATE DATABASE ${db}${template ? ` TEMPLATE ${new URL(template).pathname.slice(1)}` : ''}`);
  made.push(db);
  const url = new URL(server);
  url.pathname = `/${db}`;
  return url.toString();
}

/**
 * Takes database `url` away (on = false: no new connections, and the ones it
 * has are ended) or gives it back, as a server that went away and came back.
 */
export function pgConnectable(url, on) {
  const name = new URL(url).pathname.slice(1);
  psql(serverUrl(), `ALTER DATABASE ${name} ALLOW_CONNECTIONS ${on}`);
  if (!on) psql(serverUrl(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${name}'`);
}
