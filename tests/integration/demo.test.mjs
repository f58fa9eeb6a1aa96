// SPDX-License-Identifier: MIT
// The demo company: deterministic per seed, and its planted problems are real
// (each checked here with SQL of its own, straight on the store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { run, sql, tempDir, lineNet, testDb, storeDump } from './helpers.mjs';

/** Every table, every row, every column but those that record when a row was written. */
function canonicalDump(db) {
  return storeDump(db, { omit: ['change_log.at'] });
}

function sha(text) {
  return createHash('sha256').update(text).digest('hex');
}

test('the same seed gives byte-identical canonical dumps; another seed differs', (t) => {
  const dir = tempDir(t, 'demo-seed');
  const dbs = ['a.db', 'b.db', 'c.db'].map((f) => testDb(dir, f));
  for (const [db, seed] of [[dbs[0], '7'], [dbs[1], '7'], [dbs[2], '8']]) {
    const r = run(['demo', '--scale', 'small', '--seed', seed, '--db', db]);
    assert.equal(r.code, 0, r.stderr);
  }
  const [a, b, c] = dbs.map(canonicalDump);
  assert.ok(a.length > 1_000_000, 'the dump covers the whole company');
  assert.equal(sha(a), sha(b));
  assert.notEqual(sha(a), sha(c));
});

test('the small demo has the documented size and prints what it made', (t) => {
  const db = testDb(tempDir(t, 'demo-size'), 'demo.db');
  const r = run(['demo', '--scale', 'small', '--seed', '3', '--db', db, '--today', '2025-06-30']);
  assert.equal(r.code, 0, r.stderr);
  const [counts] = sql(db, `SELECT
      (SELECT count(*) FROM accounts) AS accounts, (SELECT count(*) FROM order_lines) AS lines,
      (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM reps) AS reps,
      (SELECT min(order_date) FROM orders) AS first, (SELECT max(order_date) FROM orders) AS last`);
  assert.equal(Number(counts.accounts), 200);
  assert.ok(Number(counts.lines) > 17000 && Number(counts.lines) < 23000, `lines ${counts.lines}`);
  // Three years of history ending on --today (days since 1970: 2025-06-30 is 20269).
  assert.equal(Number(counts.last), 20269);
  assert.ok(Number(counts.first) >= 20269 - 3 * 366 && Number(counts.first) < 20269 - 3 * 360);
  assert.match(r.stdout, new RegExp(`order lines\\s+${counts.lines}\\n`));
  assert.match(r.stdout, new RegExp(`accounts\\s+200\\n`));
  assert.match(r.stdout, /salesdesk order \d+ +--db .* \(planted: CREDIT_LIMIT\)/);
  assert.match(r.stdout, /salesdesk account C\d{5} +--db/);
});

test('an existing database is not replaced without --force', (t) => {
  const db = testDb(tempDir(t, 'demo-force'), 'demo.db');
  assert.equal(run(['demo', '--db', db, '--quiet']).code, 0);
  const again = run(['demo', '--db', db, '--quiet']);
  assert.equal(again.code, 1);
  // A file exists; a PostgreSQL database holds rows.
  assert.match(again.stderr, /already exists \(use --force|is not empty \(\d+ rows in '\w+'\): use --force/);
  assert.equal(run(['demo', '--db', db, '--quiet', '--force', '--seed', '2']).code, 0);
  assert.equal(sql(db, "SELECT value FROM settings WHERE key = 'demo_seed'")[0].value, '2');
});

/** Net of each order, computed here from the raw line columns. */
function orderNets(db) {
  const nets = new Map();
  for (const l of sql(db, 'SELECT order_id, qty, unit_price, discount FROM order_lines')) {
    const net = lineNet(l.qty, l.unit_price, l.discount);
    nets.set(l.order_id, (nets.get(l.order_id) || 0n) + net);
  }
  return nets;
}

/** SQL (and a little arithmetic) that proves each planted problem is there. */
function plantedHolds(db, today) {
  const nets = orderNets(db);
  const orders = new Map(sql(db, 'SELECT * FROM orders').map((o) => [o.ext_id, o]));
  const accounts = new Map(sql(db, 'SELECT * FROM accounts').map((a) => [a.id, a]));
  const linesOf = (id) => sql(db, `SELECT l.*, p.list_price, p.status AS pstatus FROM order_lines l
      JOIN products p ON p.id = l.product_id WHERE order_id = ${id}`);
  const open = ['draft', 'pending', 'confirmed', 'on_hold'];
  return {
    CREDIT_LIMIT: (o) => nets.get(o.id) > BigInt(accounts.get(o.account_id).credit_limit),
    OVERDUE_INVOICES: (o) => sql(db, `SELECT count(*) AS n FROM invoices WHERE account_id = ${o.account_id}
        AND paid_amount < amount AND due_date < ${today - 30}`)[0].n > 0,
    STOCK_SHORT: (o) => linesOf(o.id).some((l) => {
      const [s] = sql(db, `SELECT coalesce(sum(on_hand - reserved), 0) AS avail FROM stock WHERE product_id = ${l.product_id}`);
      const [d] = sql(db, `SELECT coalesce(sum(l.qty - l.shipped_qty), 0) AS earlier FROM order_lines l
          JOIN orders o ON o.id = l.order_id WHERE l.product_id = ${l.product_id}
          AND o.status IN ('draft','pending','confirmed','on_hold')
          AND (o.order_date < ${o.order_date} OR (o.order_date = ${o.order_date} AND o.id < ${o.id}))`);
      return BigInt(l.qty) - BigInt(l.shipped_qty) > BigInt(s.avail) - BigInt(d.earlier);
    }),
    DISCONTINUED_PRODUCT: (o) => linesOf(o.id).some((l) => l.pstatus === 'discontinued'),
    PRICE_BELOW_LIST: (o) => linesOf(o.id).some((l) => BigInt(l.unit_price) * 100n < BigInt(l.list_price) * 95n),
    DISCOUNT_OVER_LIMIT: (o) => {
      const [rep] = sql(db, `SELECT discount_limit FROM reps WHERE id = ${o.rep_id}`);
      return linesOf(o.id).some((l) => BigInt(l.discount) > BigInt(rep.discount_limit));
    },
    STUCK_IN_STATUS: (o) => open.includes(o.status) && today - Number(o.status_date) > 14,
    LATE_AGAINST_PROMISE: (o) => open.includes(o.status) && o.ship_date === null && Number(o.promised_date) < today,
    SHIPPED_NOT_INVOICED: (o) => o.status === 'shipped' && Number(o.ship_date) < today - 7 &&
      sql(db, `SELECT count(*) AS n FROM invoices WHERE order_id = ${o.id}`)[0].n === '0',
    INVOICE_MISMATCH: (o) => {
      const [inv] = sql(db, `SELECT coalesce(sum(amount), 0) AS total, count(*) AS n FROM invoices WHERE order_id = ${o.id}`);
      return inv.n !== '0' && BigInt(inv.total) !== nets.get(o.id);
    },
    DUPLICATE_ORDER: (o) => {
      const mine = linesOf(o.id).map((l) => `${l.product_id}x${l.qty}`).sort().join(' ');
      return sql(db, `SELECT id FROM orders WHERE account_id = ${o.account_id} AND id <> ${o.id}
          AND abs(order_date - ${o.order_date}) <= 3`).some((other) =>
        linesOf(other.id).map((l) => `${l.product_id}x${l.qty}`).sort().join(' ') === mine);
    },
    orders,
  };
}

test('at least 5 orders of each planted problem, and each really has it', (t) => {
  const db = testDb(tempDir(t, 'demo-planted'), 'demo.db');
  const r = run(['demo', '--scale', 'small', '--seed', '11', '--db', db, '--today', '2026-03-15']);
  assert.equal(r.code, 0, r.stderr);
  const today = Date.parse(sql(db, "SELECT value FROM settings WHERE key = 'demo_today'")[0].value) / 86400000;
  assert.equal(today, 20527); // 2026-03-15
  const checks = plantedHolds(db, today);
  const planted = sql(db, 'SELECT order_id, code FROM demo_planted ORDER BY code, order_id');
  const codes = ['CREDIT_LIMIT', 'OVERDUE_INVOICES', 'STOCK_SHORT', 'DISCONTINUED_PRODUCT',
    'PRICE_BELOW_LIST', 'DISCOUNT_OVER_LIMIT', 'STUCK_IN_STATUS', 'LATE_AGAINST_PROMISE',
    'SHIPPED_NOT_INVOICED', 'INVOICE_MISMATCH', 'DUPLICATE_ORDER'];
  for (const code of codes) {
    const rows = planted.filter((p) => p.code === code);
    assert.ok(rows.length >= 5, `${code}: ${rows.length} planted`);
    for (const { order_id } of rows) {
      const o = checks.orders.get(order_id);
      assert.ok(o, `${code}: order ${order_id} exists`);
      assert.ok(checks[code](o), `${code}: order ${order_id} has the problem`);
    }
  }
  assert.deepEqual([...new Set(planted.map((p) => p.code))].sort(), [...codes].sort());
});
