// SPDX-License-Identifier: MIT
// The order doctor on the small demo: every order the demo planted a problem
// in (demo_planted, read with the sqlite3 shell) gets that problem's code,
// and every blocker on an order outside the planted set is checked against
// the store by independent SQL and exact arithmetic here.
//
// Known disagreement with the planting (see docs/desk.md, "The demo"): the
// demo leaves real problems it does not list in demo_planted — later open
// orders for a product whose stock was capped for a planted STOCK_SHORT are
// short too, and accounts of late or bad payers have overdue invoices and
// receivables above their credit limit. So instead of "no blocker outside
// the planted set" (issue 5 keeps that point open until the demo records what
// it causes), every such blocker is recomputed from the store below.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, runAsync, pool, sql, lineNet, moneyText, parseExact } from './helpers.mjs';

const TODAY = '2026-06-30';
const TODAY_DAY = Date.parse(`${TODAY}T00:00:00Z`) / 86400000;
const OPEN = "('draft', 'pending', 'confirmed', 'on_hold')";

let cached = null;
let demoDir = null;
after(() => demoDir && rmSync(demoDir, { recursive: true, force: true }));
/** One small demo for the whole file, with the batch diagnosis (built once, removed at the end). */
function demo() {
  if (cached) return cached;
  const dir = mkdtempSync(path.join(tmpdir(), 'salesdesk-doctor-demo-'));
  demoDir = dir;
  const db = path.join(dir, 'demo.db');
  const r = run(['demo', '--scale', 'small', '--db', db, '--today', TODAY, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const b = run(['order', '--diagnose-open', '--json', '--db', db]);
  assert.equal(b.code, 0, b.stderr);
  const batch = parseExact(b.stdout);
  assert.equal(batch.today, TODAY, 'the CLI takes the demo day from the setting demo_today');
  cached = { db, batch, items: new Map(batch.items.map((d) => [d.id, d])) };
  return cached;
}

function planted(db) {
  return sql(db, 'SELECT order_id, code FROM demo_planted ORDER BY order_id, code');
}

test('every planted problem is found by diagnosing its order (recall 100 %)', async (t) => {
  const { db, items } = demo();
  const rows = planted(db);
  assert.ok(rows.length >= 60, `${rows.length} planted`);
  assert.equal(new Set(rows.map((r) => r.code)).size, 11, 'the demo plants 11 codes');
  const missed = [];
  const diagnoses = new Map();
  await pool([...new Set(rows.map((r) => r.order_id))], 4, async (id) => {
    const r = await runAsync(['order', id, '--diagnose', '--json', '--db', db]);
    if (r.code !== 0) return missed.push(`${id}: exit ${r.code} ${r.stderr}`);
    diagnoses.set(id, parseExact(r.stdout));
  });
  for (const { order_id: id, code } of rows) {
    const dg = diagnoses.get(id);
    if (!dg || !dg.findings.some((f) => f.code === code)) missed.push(`${id} ${code}`);
  }
  assert.deepEqual(missed, [], `recall ${rows.length - missed.length}/${rows.length}`);
  // The batch covers open and shipped orders: there it finds the same, finding for finding.
  for (const [id, dg] of diagnoses) {
    if (!['draft', 'pending', 'confirmed', 'on_hold', 'shipped'].includes(dg.status)) continue;
    assert.deepEqual(items.get(id), dg, `batch and one-order diagnosis of ${id} agree`);
  }
});

/** Independent checks of a blocker finding on an order, from the store. */
function makeChecks(db) {
  const orders = new Map(sql(db, `SELECT o.id, o.ext_id, o.account_id, o.rep_id, o.order_date, o.status,
      o.ship_country, o.ship_address FROM orders o`).map((o) => [o.ext_id, o]));
  const lines = sql(db, 'SELECT order_id, line_no, product_id, qty, unit_price, discount, shipped_qty FROM order_lines');
  const linesOf = new Map();
  for (const l of lines) {
    if (!linesOf.has(l.order_id)) linesOf.set(l.order_id, []);
    linesOf.get(l.order_id).push(l);
  }
  const netOf = (orderId) => (linesOf.get(orderId) || []).reduce((s, l) => s + lineNet(l.qty, l.unit_price, l.discount), 0n);
  const accounts = new Map(sql(db, 'SELECT id, ext_id, status, credit_limit FROM accounts').map((a) => [a.id, a]));
  const stockOf = new Map(sql(db, 'SELECT product_id, sum(on_hand - reserved) AS available FROM stock GROUP BY product_id')
    .map((s) => [s.product_id, BigInt(s.available)]));
  const skus = new Map(sql(db, 'SELECT id, ext_id FROM products').map((p) => [p.id, p.ext_id]));
  const openOrders = sql(db, `SELECT id, account_id, order_date FROM orders WHERE status IN ${OPEN}`);
  const unpaid = sql(db, 'SELECT account_id, due_date, amount - paid_amount AS balance FROM invoices WHERE paid_amount < amount');

  return {
    CREDIT_LIMIT(o, f) {
      const acc = accounts.get(o.account_id);
      const receivables = unpaid.filter((i) => i.account_id === o.account_id).reduce((s, i) => s + BigInt(i.balance), 0n);
      const others = openOrders.filter((x) => x.account_id === o.account_id && x.id !== o.id).reduce((s, x) => s + netOf(x.id), 0n);
      const exposure = receivables + others + netOf(o.id);
      assert.ok(acc.credit_limit !== null && exposure > BigInt(acc.credit_limit), `${o.ext_id} over its limit`);
      assert.deepEqual(f.evidence, {
        receivables: moneyText(receivables), open_orders: moneyText(others), order_net: moneyText(netOf(o.id)),
        exposure: moneyText(exposure), credit_limit: moneyText(BigInt(acc.credit_limit)),
        over_by: moneyText(exposure - BigInt(acc.credit_limit)),
      });
    },
    OVERDUE_INVOICES(o, f) {
      const overdue = unpaid.filter((i) => i.account_id === o.account_id && Number(i.due_date) < TODAY_DAY);
      const oldest = TODAY_DAY - Math.min(...overdue.map((i) => Number(i.due_date)));
      assert.ok(oldest > 30 || overdue.length >= 3, `${o.ext_id}: policy`);
      assert.equal(f.evidence.overdue_invoices, String(overdue.length));
      assert.equal(f.evidence.overdue_amount, moneyText(overdue.reduce((s, i) => s + BigInt(i.balance), 0n)));
      assert.equal(f.evidence.oldest_days_overdue, String(oldest));
    },
    ACCOUNT_ON_HOLD(o) {
      assert.notEqual(accounts.get(o.account_id).status, 'active');
    },
    STOCK_SHORT(o, f) {
      const line = linesOf.get(o.id).find((l) => l.line_no === f.line);
      assert.equal(f.evidence.sku, skus.get(line.product_id));
      const before = (x, xl) => Number(x.order_date) < Number(o.order_date) ||
        (x.order_date === o.order_date && (BigInt(x.id) < BigInt(o.id) || (x.id === o.id && Number(xl.line_no) < Number(line.line_no))));
      let earlier = 0n;
      for (const x of openOrders)
        for (const xl of linesOf.get(x.id) || [])
          if (xl.product_id === line.product_id && before(x, xl) && BigInt(xl.qty) > BigInt(xl.shipped_qty))
            earlier += BigInt(xl.qty) - BigInt(xl.shipped_qty);
      const available = stockOf.get(line.product_id) || 0n;
      const needed = BigInt(line.qty) - BigInt(line.shipped_qty);
      const left = available - earlier > 0n ? available - earlier : 0n;
      assert.ok(needed > left, `${o.ext_id} line ${f.line} short`);
      assert.deepEqual(f.evidence, {
        line: line.line_no, sku: skus.get(line.product_id), needed: String(needed), available: String(available),
        earlier_demand: String(earlier), left: String(left), short: String(needed - left),
      });
    },
  };
}

test('every blocker outside the planted set is a real problem in the stored data', (t) => {
  const { db, batch } = demo();
  const plantedIds = new Set(planted(db).map((r) => r.order_id));
  const checks = makeChecks(db);
  const orders = new Map(sql(db, 'SELECT id, ext_id, account_id, order_date FROM orders').map((o) => [o.ext_id, o]));
  const counts = {};
  for (const d of batch.items) {
    if (plantedIds.has(d.id)) continue;
    for (const f of d.findings.filter((x) => x.severity === 'blocker')) {
      assert.ok(checks[f.code], `no independent check for ${f.code} (on ${d.id}): add one before accepting it`);
      checks[f.code](orders.get(d.id), f);
      counts[f.code] = (counts[f.code] || 0) + 1;
    }
  }
  const blocked = batch.items.filter((d) => d.verdict === 'blocked' && !plantedIds.has(d.id)).length;
  t.diagnostic(`unplanted blocked orders: ${blocked} of ${batch.orders}; blockers by code: ${JSON.stringify(counts)}`);
});
