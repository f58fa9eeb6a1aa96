// SPDX-License-Identifier: MIT
// `salesdesk order ID --json` and `salesdesk account ID --json` against the
// store: every order of the small demo, totals recomputed here from the raw
// line columns with exact integer arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { run, runAsync, pool, sql, tempDir, lineNet, moneyText, moneyUnits, parseExact, testDb } from './helpers.mjs';

function buildDemo(t, name) {
  const db = testDb(tempDir(t, name), 'demo.db');
  const r = run(['demo', '--scale', 'small', '--seed', '5', '--db', db, '--today', '2026-09-30', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  return db;
}

test('order --json totals equal the sums over the stored lines, for every order', async (t) => {
  const db = buildDemo(t, 'order-all');
  const lines = sql(db, `SELECT o.ext_id, l.line_no, l.qty, l.unit_price, l.discount, l.shipped_qty
      FROM order_lines l JOIN orders o ON o.id = l.order_id`);
  const expected = new Map();
  for (const l of lines) {
    const e = expected.get(l.ext_id) || { lines: 0, qty: 0n, shipped: 0n, gross: 0n, net: 0n };
    e.lines++;
    e.qty += BigInt(l.qty);
    e.shipped += BigInt(l.shipped_qty);
    e.gross += BigInt(l.qty) * BigInt(l.unit_price);
    e.net += lineNet(l.qty, l.unit_price, l.discount);
    expected.set(l.ext_id, e);
  }
  const invoiced = new Map(sql(db, `SELECT o.ext_id, sum(i.amount) AS amount, sum(i.paid_amount) AS paid
      FROM invoices i JOIN orders o ON o.id = i.order_id GROUP BY o.ext_id`).map((r) => [r.ext_id, r]));
  const ids = sql(db, 'SELECT ext_id FROM orders ORDER BY id').map((r) => r.ext_id);
  assert.ok(ids.length > 2500, `${ids.length} orders`);
  const failures = [];
  await pool(ids, 8, async (id) => {
    const r = await runAsync(['order', id, '--json', '--db', db]);
    if (r.code !== 0) return failures.push(`${id}: exit ${r.code} ${r.stderr}`);
    const o = parseExact(r.stdout);
    const e = expected.get(id) || { lines: 0, qty: 0n, shipped: 0n, gross: 0n, net: 0n };
    const inv = invoiced.get(id) || { amount: '0', paid: '0' };
    const want = {
      lines: String(e.lines), qty: e.qty.toString(), shipped_qty: e.shipped.toString(),
      gross: moneyText(e.gross), discount: moneyText(e.gross - e.net), net: moneyText(e.net),
      invoiced: moneyText(BigInt(inv.amount)), paid: moneyText(BigInt(inv.paid)),
    };
    if (o.id !== id || JSON.stringify(o.totals) !== JSON.stringify(want))
      failures.push(`${id}: got ${JSON.stringify(o.totals)} want ${JSON.stringify(want)}`);
    const lineSum = o.lines.reduce((sum, l) => sum + moneyUnits(l.net), 0n);
    if (moneyText(lineSum) !== want.net) failures.push(`${id}: lines sum to ${moneyText(lineSum)}`);
  });
  assert.deepEqual(failures.slice(0, 10), []);
});

test('order text output shows the header, lines and net total', (t) => {
  const db = buildDemo(t, 'order-text');
  const [o] = sql(db, `SELECT o.ext_id, a.ext_id AS account, count(l.line_no) AS n FROM orders o
      JOIN accounts a ON a.id = o.account_id JOIN order_lines l ON l.order_id = o.id
      GROUP BY o.id, o.ext_id, a.ext_id ORDER BY o.id LIMIT 1 OFFSET 100`);
  const r = run(['order', o.ext_id, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^Order ${o.ext_id} `));
  assert.match(r.stdout, new RegExp(`account +${o.account} `));
  assert.match(r.stdout, new RegExp(`${o.n} lines, `));
});

test('account --json shows master data, contacts, open orders and open invoices', (t) => {
  const db = buildDemo(t, 'account');
  const today = Date.UTC(2026, 8, 30) / 86400000; // 2026-09-30, day 20726 (20361 was 2025-09-30)
  const accounts = sql(db, `SELECT id, ext_id, name, credit_limit FROM accounts ORDER BY id LIMIT 40`);
  for (const a of accounts) {
    const r = run(['account', a.ext_id, '--json', '--db', db, '--today', '2026-09-30']);
    assert.equal(r.code, 0, r.stderr);
    const got = parseExact(r.stdout);
    assert.equal(got.id, a.ext_id);
    assert.equal(got.name, a.name);
    assert.equal(got.credit_limit, moneyText(BigInt(a.credit_limit)));
    const contacts = sql(db, `SELECT count(*) AS n FROM contacts WHERE account_id = ${a.id}`)[0].n;
    assert.equal(String(got.contacts.length), contacts);
    const open = sql(db, `SELECT ext_id FROM orders WHERE account_id = ${a.id}
        AND status IN ('draft','pending','confirmed','on_hold') ORDER BY order_date, id`);
    assert.deepEqual(got.open_orders.map((o) => o.id), open.map((o) => o.ext_id));
    const [recv] = sql(db, `SELECT coalesce(sum(amount - paid_amount), 0) AS balance,
        coalesce(sum(CASE WHEN due_date < ${today} THEN amount - paid_amount END), 0) AS overdue,
        count(*) AS n FROM invoices WHERE account_id = ${a.id} AND paid_amount < amount`);
    assert.equal(got.totals.receivables, moneyText(BigInt(recv.balance)));
    assert.equal(got.totals.overdue, moneyText(BigInt(recv.overdue)));
    assert.equal(String(got.open_invoices.length), recv.n);
  }
});
