// SPDX-License-Identifier: MIT
// The PostgreSQL server dies (SIGKILL to its postmaster, by the PID in its
// postmaster.pid) while `salesdesk import` is writing a large bundle: the
// import exits 1 with an error naming the lost connection (no crash), and
// after the server is back every table holds exactly what it held before (no
// partial import, no import job row); the same import then succeeds, and the
// counts, quantity and price sums and the revenue are those computed here from
// the generated CSV files. A `salesdesk serve` on the same server lives
// through the crash and the restart: it answers 5xx while the server is down
// and, once it is back, serves reads and writes on all its worker threads
// again. The cluster is this file's own (scripts/pg-cluster), never the run's
// shared one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, lineNet, moneyText, parseExact, run } from './helpers.mjs';
import { addUser, login, request, startServer } from './server.mjs';
import { psql } from './pg.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PG_CLUSTER = path.join(ROOT, 'scripts/pg-cluster');
const SANITIZE = process.env.SD_SANITIZE === 'ON';

function pgCluster(cmd, dir) {
  const r = spawnSync(PG_CLUSTER, [cmd, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pg-cluster ${cmd}: ${r.stderr}`);
  return r.stdout.trim();
}

/** This file's cluster: { dir, url } (the server's URL, database postgres). */
let base, cluster;
before(() => {
  base = mkdtempSync(path.join(tmpdir(), 'salesdesk-pg-kill-'));
  chmodSync(base, 0o755); // as root the server runs as postgres, which must reach its directory
  const dir = path.join(base, 'pg');
  cluster = { dir, url: pgCluster('start', dir) };
});
after(() => {
  if (cluster) pgCluster('remove', cluster.dir);
  if (base) rmSync(base, { recursive: true, force: true });
});

/** A new database on this file's cluster, migrated by `salesdesk init`; its URL. */
function database(name) {
  psql(cluster.url, `CREATE DATABASE ${name}`);
  const url = new URL(cluster.url);
  url.pathname = `/${name}`;
  const init = run(['init', '--db', url.toString()]);
  assert.equal(init.code, 0, init.stderr);
  return url.toString();
}

/** The postmaster's PID, from the first line of postmaster.pid. */
function postmasterPid() {
  return Number(readFileSync(path.join(cluster.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** SIGKILL to the postmaster; waits until it is gone. */
async function killServer() {
  const pid = postmasterPid();
  process.kill(pid, 'SIGKILL');
  for (let i = 0; alive(pid); i++) {
    assert.ok(i < 500, `postmaster ${pid} still alive after SIGKILL`);
    await sleep(10);
  }
}

/**
 * Starts the killed cluster again (crash recovery). Its backends end on their
 * own once they see the postmaster gone; until they have, a start is refused
 * (their shared memory is still in use), so it is tried for up to 30 s.
 */
async function restartServer() {
  for (let i = 0; ; i++) {
    try {
      return pgCluster('start', cluster.dir);
    } catch (e) {
      if (i >= 60) throw e;
      await sleep(500);
    }
  }
}

/** A bundle folder of native CSV files: `accounts` accounts, `products` products, `orders` orders of `perOrder` lines. */
function writeBundle(dir, { prefix, accounts, products, orders, perOrder, year }) {
  mkdirSync(dir, { recursive: true });
  const rows = (header, n, row) => {
    const out = [header];
    for (let i = 0; i < n; i++) out.push(row(i));
    return out.join('\n') + '\n';
  };
  writeFileSync(path.join(dir, 'reps.csv'),
    `id,name,email,team,region,manager,discount_limit_pct\n${prefix}R1,Rita,,${prefix}T1,EMEA,,10\n`);
  writeFileSync(path.join(dir, 'accounts.csv'), rows(
    'id,name,segment,region,country,city,owner_rep,account_manager,credit_limit,payment_terms_days,status,currency',
    accounts, (i) => `${prefix}A${i},Account ${i},smb,EMEA,DE,Berlin,${prefix}R1,${prefix}R1,,30,active,USD`));
  writeFileSync(path.join(dir, 'products.csv'), rows('sku,name,category,list_price,cost,status,launch_date',
    products, (i) => `${prefix}P${i},Product ${i},Cat${i % 7},${10 + (i % 50)}.25,4,active,`));
  const month = (i) => String(1 + (i % 12)).padStart(2, '0');
  const day = (i) => String(1 + (i % 28)).padStart(2, '0');
  writeFileSync(path.join(dir, 'orders.csv'), rows(
    'id,account,rep,order_date,requested_date,promised_date,ship_date,status,currency,ship_country,ship_address',
    orders, (i) => `${prefix}O${i},${prefix}A${i % accounts},${prefix}R1,${year}-${month(i)}-${day(i)},,,,pending,USD,DE,`));
  const lines = [];
  const expected = { lines: 0, qty: 0n, unitPrice: 0n, revenue: 0n };
  for (let i = 0; i < orders; i++) {
    for (let j = 1; j <= perOrder; j++) {
      const qty = 1 + ((i + j) % 9);
      const cents = (i % 90) * 100 + 1 + j; // unit price i%90 + (1+j)/100
      const price = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
      lines.push(`${prefix}O${i},${j},${prefix}P${(i * 7 + j) % products},${qty},${price},0.05,0`);
      expected.lines++;
      expected.qty += BigInt(qty);
      expected.unitPrice += BigInt(cents) * 100n;
      expected.revenue += lineNet(qty, BigInt(cents) * 100n, 50000n);
    }
  }
  writeFileSync(path.join(dir, 'lines.csv'), 'order,line,sku,qty,unit_price,discount,shipped_qty\n' + lines.join('\n') + '\n');
  return { accounts, products, orders, ...expected };
}

/** What the store holds, counted by psql: rows of every table an import writes, and line sums. */
function storeCounts(url) {
  const [row] = psql(url, 'SELECT (SELECT count(*) FROM teams), (SELECT count(*) FROM reps), ' +
    '(SELECT count(*) FROM accounts), (SELECT count(*) FROM products), (SELECT count(*) FROM orders), ' +
    '(SELECT count(*) FROM order_lines), (SELECT coalesce(sum(qty), 0) FROM order_lines), ' +
    '(SELECT coalesce(sum(unit_price), 0) FROM order_lines), (SELECT count(*) FROM change_log), ' +
    '(SELECT count(*) FROM import_jobs), (SELECT count(*) FROM import_job_kinds)');
  const [teams, reps, accounts, products, orders, lines, qty, unitPrice, changes, jobs, jobKinds] = row.map(BigInt);
  return { teams, reps, accounts, products, orders, lines, qty, unitPrice, changes, jobs, jobKinds };
}

test('a server killed mid-import leaves no partial import; once it is back the same import succeeds', async (t) => {
  const url = database('kill_import');
  // What the store holds before: a small import of another source, a year earlier.
  const seedDir = path.join(base, 'seed');
  writeBundle(seedDir, { prefix: 'S', accounts: 20, products: 10, orders: 50, perOrder: 3, year: 2023 });
  const seed = run(['import', 'bundle', seedDir, '--map', 'native', '--source', 'seed', '--db', url]);
  assert.equal(seed.code, 0, seed.stderr);
  const before = storeCounts(url);
  assert.equal(before.orders, 50n);
  assert.equal(before.jobs, 1n);

  // 300,000 lines: the import writes for seconds, long enough to be caught in the middle.
  const bigDir = path.join(base, 'big');
  const big = writeBundle(bigDir, { prefix: 'B', accounts: 2000, products: 500, orders: 75000, perOrder: 4, year: 2024 });
  const child = spawn(BIN, ['import', 'bundle', bigDir, '--map', 'native', '--db', url]);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // Wait until its transaction writes order lines. Only the catalogue is read: the
  // import may hold order_lines locked (a bulk load drops its indexes).
  const writing = "SELECT count(*) FROM pg_stat_activity WHERE datname = 'kill_import' " +
    "AND xact_start IS NOT NULL AND query ~* '^\\s*(insert\\s+into|copy)\\s+order_lines'";
  const until = Date.now() + (SANITIZE ? 600000 : 180000);
  while (psql(cluster.url, writing)[0][0] === '0') {
    assert.equal(child.exitCode, null, `the import ended before it was caught writing: ${stderr}`);
    assert.ok(Date.now() < until, 'the import did not start writing order lines');
    await sleep(20);
  }
  await sleep(500);
  assert.equal(child.exitCode, null, `the import ended before the kill: ${stderr}`);
  await killServer();
  const exit = await exited;
  t.diagnostic(`import after the kill: ${JSON.stringify(exit)} ${stderr.trim()}`);
  assert.equal(exit.signal, null, `salesdesk died of ${exit.signal}: ${stderr}`);
  assert.equal(exit.code, 1, stderr);
  assert.match(stderr, /^salesdesk: .*(connection|server closed|terminat)/m);
  assert.doesNotMatch(stderr, /applied:/);

  await restartServer();
  assert.deepEqual(storeCounts(url), before, 'the killed import left rows behind');

  // The same import again, on a new connection: it all goes in, once.
  const again = run(['import', 'bundle', bigDir, '--map', 'native', '--db', url]);
  assert.equal(again.code, 0, again.stderr);
  const afterImport = storeCounts(url);
  const plus = (n) => (k) => before[k] + BigInt(n);
  const want = {
    teams: plus(1)('teams'), reps: plus(1)('reps'), accounts: plus(big.accounts)('accounts'),
    products: plus(big.products)('products'), orders: plus(big.orders)('orders'), lines: plus(big.lines)('lines'),
    qty: before.qty + big.qty, unitPrice: before.unitPrice + big.unitPrice,
    // One change_log row per team, rep, account, product and order written (an order's lines are its own).
    changes: before.changes + BigInt(1 + 1 + big.accounts + big.products + big.orders),
    jobs: before.jobs + 1n, jobKinds: afterImport.jobKinds,
  };
  assert.deepEqual(afterImport, want);
  assert.ok(afterImport.jobKinds > before.jobKinds);
  assert.deepEqual(psql(url, 'SELECT status, inserted FROM import_jobs ORDER BY id DESC LIMIT 1'),
    [['done', String(1 + big.accounts + big.products + big.orders + big.lines)]]); // the rep, not its team
  const kpi = run(['kpi', '--period', '2024', '--kpi', 'revenue,orders', '--json', '--db', url]);
  assert.equal(kpi.code, 0, kpi.stderr);
  const cards = parseExact(kpi.stdout).cards;
  assert.equal(cards.find((c) => c.name === 'revenue').value, moneyText(big.revenue));
  assert.equal(cards.find((c) => c.name === 'orders').value, String(big.orders));
});

test('a server lives through a PostgreSQL crash and restart: 5xx while it is down, then reads and writes again', async (t) => {
  const url = database('kill_serve');
  const seedDir = path.join(base, 'serve-seed');
  writeBundle(seedDir, { prefix: 'S', accounts: 5, products: 5, orders: 20, perOrder: 2, year: 2024 });
  const seed = run(['import', 'bundle', seedDir, '--map', 'native', '--db', url]);
  assert.equal(seed.code, 0, seed.stderr);
  addUser(url, 'ada', 'admin', 'admin-password-1');
  const server = await startServer(t, url);
  const auth = await login(server, 'ada', 'admin-password-1');
  assert.equal(auth.res.status, 200);
  const get = (p) => request(server, p, { headers: { Cookie: auth.cookie } });
  const order = await get('/api/v1/orders/SO7');
  assert.equal(order.status, 200, order.text);
  assert.equal((await get('/healthz')).status, 200);

  await killServer();
  const down = await get('/api/v1/orders/SO7');
  assert.ok(down.status >= 500 && down.status < 600, `while PostgreSQL is down: ${down.status} ${down.text}`);
  assert.equal((await get('/healthz')).status, 503);
  assert.equal(server.proc.exitCode, null, server.stderr());

  await restartServer();
  // Reads on every worker thread (each has its own connection to make again).
  const reads = await Promise.all(Array.from({ length: 24 }, () => get('/api/v1/orders/SO7')));
  for (const r of reads) assert.deepEqual([r.status, r.text], [200, order.text]);
  assert.equal((await get('/healthz')).status, 200);
  // A write: a request on an account, there when read back through psql.
  const made = await request(server, '/api/v1/requests', {
    method: 'POST', headers: { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf },
    body: { account: 'SA1', kind: 'delivery_status', subject: 'after the restart', priority: 'high' },
  });
  assert.equal(made.status, 201, made.text);
  assert.deepEqual(psql(url, "SELECT count(*) FROM requests WHERE subject = 'after the restart'"), [['1']]);
  const kpis = await get('/api/v1/kpis?period=2024&kpi=orders');
  assert.equal(kpis.status, 200, kpis.text);
  assert.equal(parseExact(kpis.text).cards[0].value, '20');
});
