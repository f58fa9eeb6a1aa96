// SPDX-License-Identifier: MIT
// Helpers for the integration tests: run the real binary, query the store with
// the sqlite3 command-line shell or psql (independently of the code under
// test), parse JSON keeping numbers exact, and compute money the way DESIGN.md
// defines it.
//
// Backends: a test file runs once per backend (CMake registers
// integration/NAME and integration-pg/NAME). SD_TEST_BACKEND=pg makes
// testDb() give a new PostgreSQL database (pg.mjs) instead of a SQLite file;
// sql() reads either, so a test is written once, in SQL both dialects take.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pgDatabase, psql } from './pg.mjs';

export const BIN = process.env.SALESDESK_BIN;
if (!BIN) throw new Error('SALESDESK_BIN is not set (run the tests through ctest)');

export function tempDir(t, name) {
  const dir = mkdtempSync(path.join(tmpdir(), `salesdesk-${name}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The backend this run tests: 'sqlite' or 'pg' (SD_TEST_BACKEND). */
export const BACKEND = process.env.SD_TEST_BACKEND === 'pg' ? 'pg' : 'sqlite';

/**
 * A new, empty store for a test: the SQLite file `file` in `dir`, or on the
 * PostgreSQL backend a new database named after it (dropped after the file's
 * tests). Either is what --db takes.
 */
export function testDb(dir, file) {
  if (BACKEND === 'pg') return pgDatabase(file.replace(/\.db$/, ''));
  return path.join(dir, file);
}

/** A copy of store `db` (nothing may be using it), as testDb(dir, file) would name it. */
export function copyDb(db, dir, file) {
  if (isPg(db)) return pgDatabase(file.replace(/\.db$/, ''), db);
  const copy = path.join(dir, file);
  sql(db, `VACUUM INTO '${copy}'`);
  return copy;
}

/** True for a PostgreSQL URL (what testDb gives on the pg backend). */
export function isPg(db) {
  return /^postgres(ql)?:/.test(db);
}

/** Runs salesdesk synchronously; returns { code, signal, stdout, stderr }. */
export function run(args, options = {}) {
  const env = { ...process.env, ...(options.env || {}) };
  delete env.SALESDESK_DB;
  if (options.env && options.env.SALESDESK_DB) env.SALESDESK_DB = options.env.SALESDESK_DB;
  const r = spawnSync(BIN, args, { encoding: 'utf8', cwd: options.cwd, env, maxBuffer: 1 << 28 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs salesdesk asynchronously (for running many commands in parallel). */
export function runAsync(args) {
  return new Promise((resolve) => {
    const child = spawn(BIN, args);
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Maps `fn` over `items` with at most `limit` running at once. */
export async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Rows of a query as objects, through the sqlite3 shell or psql (for a
 * postgresql:// URL); numbers stay exact (strings). A statement that is not a
 * query (INSERT, UPDATE, ...) runs as it is and gives [].
 */
export function sql(db, query) {
  if (isPg(db)) {
    if (!/^\s*(SELECT|WITH|VALUES)\b/i.test(query)) {
      psql(db, query);
      return [];
    }
    // One JSON object a line (row_to_json escapes newlines in values), in the query's order.
    return psql(db, `SELECT row_to_json(q) FROM (${query}) q`).map(([line]) => parseExact(line));
  }
  // The shell waits for a lock as the server does (busy timeout), instead of failing at once
  // while a server holds it: after a kill -9 the next reader recovers the WAL, say.
  const r = spawnSync('sqlite3', ['-cmd', '.timeout 5000', '-json', db, query], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  return r.stdout.trim() === '' ? [] : parseExact(r.stdout);
}

/** The store's tables (schema_version and the engine's own left out), in name order. */
export function tableNames(db) {
  const q = isPg(db)
    ? "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
    : "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
  return sql(db, `${q} ORDER BY name`).map((r) => r.name).filter((n) => n !== 'schema_version');
}

/**
 * The schema (tables' columns and the indexes) and every row of every table
 * but those in `skip`, as text to compare: per table its name, then each row
 * as JSON (without the columns `omit` names as "table.column"), sorted.
 */
export function storeDump(db, { skip = [], omit = [] } = {}) {
  const schema = isPg(db)
    ? sql(db, `SELECT table_name || '.' || column_name || ' ' || data_type AS s FROM information_schema.columns
        WHERE table_schema = current_schema() UNION ALL
        SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1`)
    : sql(db, "SELECT coalesce(sql, name) AS s FROM sqlite_schema ORDER BY name");
  let text = schema.map((r) => r.s).join('\n') + '\n';
  for (const name of tableNames(db)) {
    if (skip.includes(name)) continue;
    const rows = sql(db, `SELECT * FROM ${name}`).map((row) => {
      for (const c of omit) if (c.startsWith(`${name}.`)) delete row[c.slice(name.length + 1)];
      return JSON.stringify(row);
    });
    text += `== ${name}\n${rows.sort().join('\n')}\n`;
  }
  return text;
}

/**
 * JSON.parse, but every number is returned as its exact source text (a string),
 * so money like 617085.2035 or 64-bit integers are never rounded through double.
 */
export function parseExact(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9.eE+-]/.test(text[j])) j++;
      out += JSON.stringify(text.slice(i, j));
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return JSON.parse(out);
}

/** Exact decimal text of an amount in 1/10000 units (BigInt), shortest form: 12345000n -> "1234.5". */
export function moneyText(units) {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const whole = abs / 10000n;
  let frac = (abs % 10000n).toString().padStart(4, '0').replace(/0+$/, '');
  return (neg ? '-' : '') + whole.toString() + (frac ? '.' + frac : '');
}

/** Decimal text ("12.5", "-0.0001", "3") to 1/10000 units as BigInt. */
export function moneyUnits(text) {
  const m = /^(-?)(\d+)(?:\.(\d{1,4}))?$/.exec(String(text));
  if (!m) throw new Error(`not a money amount: ${text}`);
  const v = BigInt(m[2]) * 10000n + BigInt((m[3] || '').padEnd(4, '0') || '0');
  return m[1] ? -v : v;
}

/** qty × unit_price × (1 − discount/10^6), rounded half away from zero to 1/10000 (BigInt). */
export function lineNet(qty, unitPrice, discountPpm) {
  const num = BigInt(qty) * BigInt(unitPrice) * (1000000n - BigInt(discountPpm));
  const den = 1000000n;
  const q = num / den;
  const r = num % den;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice >= den) return num < 0n ? q - 1n : q + 1n;
  return q;
}

/** Fields of one CSV line (quoted fields with commas and doubled quotes). */
export function csvFields(line) {
  const out = [];
  let field = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(field); field = ''; } else field += c;
  }
  out.push(field);
  return out;
}
