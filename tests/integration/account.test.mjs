// SPDX-License-Identifier: MIT
// The account status on the small demo (issue 5, Done-when 4): for every
// account, receivables, each ageing bucket, overdue, open orders, credit use,
// the revenue of the last 12 months and of the 12 before, and the monthly
// trend equal the figures computed here by SQL through the sqlite3 shell and
// exact BigInt arithmetic, never through the code under test. The server's
// status (its revenue summed from the engine's facts) is then the CLI's (from
// the store) for every account.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, runAsync, pool, sql, lineNet, moneyText, moneyUnits, parseExact, testDb } from './helpers.mjs';
import { startServer, addUser, request, login } from './server.mjs';

const TODAY = '2026-06-30';
const DAY_MS = 86400000;
const dayNumber = (iso) => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;
const isoOf = (n) => new Date(n * DAY_MS).toISOString().slice(0, 10);
const TODAY_DAY = dayNumber(TODAY);
const OPEN = "('draft', 'pending', 'confirmed', 'on_hold')";
const BOOKED = "('pending', 'confirmed', 'on_hold', 'shipped', 'invoiced', 'paid')";

/** The same calendar day `months` months away, clamped to the month's end (JS Date arithmetic). */
function addMonths(iso, months) {
  const [y, m, d] = iso.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(d, last))).toISOString().slice(0, 10);
}

/** num / den rounded half away from zero (BigInt, den > 0). */
function divRound(num, den) {
  const q = num / den, r = num % den;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice >= den) return num < 0n ? q - 1n : q + 1n;
  return q;
}

let demoDir = null;
let demoDb = null;
after(() => demoDir && rmSync(demoDir, { recursive: true, force: true }));

function buildDemo() {
  demoDir = mkdtempSync(path.join(tmpdir(), 'salesdesk-account-demo-'));
  demoDb = testDb(demoDir, 'demo.db');
  const r = run(['demo', '--scale', 'small', '--db', demoDb, '--today', TODAY, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  return demoDb;
}

/** Every figure the test checks, per account id (internal), from the store by SQL. */
function expectedFigures(db) {
  const accounts = sql(db, 'SELECT id, ext_id, credit_limit FROM accounts ORDER BY id');
  const fig = new Map(accounts.map((a) => [a.id, {
    ext_id: a.ext_id, limit: a.credit_limit === null ? null : BigInt(a.credit_limit),
    receivables: 0n, overdue: 0n, ageing: [0n, 0n, 0n, 0n, 0n], openCount: 0, openValue: 0n,
    trailing: 0n, prior: 0n, months: new Map(),
  }]));
  for (const inv of sql(db, 'SELECT account_id, due_date, amount - paid_amount AS balance FROM invoices WHERE paid_amount < amount')) {
    const f = fig.get(inv.account_id);
    const balance = BigInt(inv.balance);
    const days = TODAY_DAY - Number(inv.due_date);
    const bucket = days <= 0 ? 0 : days <= 30 ? 1 : days <= 60 ? 2 : days <= 90 ? 3 : 4;
    f.receivables += balance;
    f.ageing[bucket] += balance;
    if (days > 0) f.overdue += balance;
  }
  const open = new Set();
  for (const o of sql(db, `SELECT id, account_id FROM orders WHERE status IN ${OPEN}`)) {
    fig.get(o.account_id).openCount++;
    open.add(o.id);
  }
  const trailingFrom = dayNumber(addMonths(TODAY, -12)) + 1;
  const priorFrom = dayNumber(addMonths(TODAY, -24)) + 1;
  const lines = sql(db, `SELECT o.id, o.account_id, o.order_date, o.status, l.qty, l.unit_price, l.discount
      FROM orders o JOIN order_lines l ON l.order_id = o.id`);
  for (const l of lines) {
    const f = fig.get(l.account_id);
    const net = lineNet(l.qty, l.unit_price, l.discount);
    if (open.has(l.id)) f.openValue += net;
    if (!['pending', 'confirmed', 'on_hold', 'shipped', 'invoiced', 'paid'].includes(l.status)) continue;
    const day = Number(l.order_date);
    if (day > TODAY_DAY) continue;
    if (day >= trailingFrom) f.trailing += net;
    else if (day >= priorFrom) f.prior += net;
    const month = isoOf(day).slice(0, 7);
    f.months.set(month, (f.months.get(month) || 0n) + net);
  }
  return { accounts, fig, trailingFrom, priorFrom };
}

test('account status figures equal independent SQL for every account of the small demo', async (t) => {
  const db = buildDemo();
  const { accounts, fig, trailingFrom, priorFrom } = expectedFigures(db);
  assert.ok(accounts.length >= 150, `${accounts.length} accounts`);
  const outputs = await pool(accounts, 4, (a) => runAsync(['account', a.ext_id, '--json', '--db', db]));
  const keys = ['current', '1_30', '31_60', '61_90', '90_plus'];
  let withReceivables = 0, overLimit = 0, withOpen = 0;
  for (let i = 0; i < accounts.length; i++) {
    const r = outputs[i], f = fig.get(accounts[i].id), id = f.ext_id;
    assert.equal(r.code, 0, `${id}: ${r.stderr}`);
    const got = parseExact(r.stdout);
    assert.equal(got.today, TODAY, `${id}: today is the demo's day (setting demo_today)`);
    assert.equal(got.receivables.total, moneyText(f.receivables), `${id} receivables`);
    assert.equal(got.receivables.overdue, moneyText(f.overdue), `${id} overdue`);
    keys.forEach((k, b) => assert.equal(got.receivables.ageing[k].amount, moneyText(f.ageing[b]), `${id} ageing ${k}`));
    assert.equal(got.orders.open, String(f.openCount), `${id} open orders`);
    assert.equal(got.orders.open_value, moneyText(f.openValue), `${id} open order value`);
    const exposure = f.receivables + f.openValue;
    assert.equal(got.credit.exposure, moneyText(exposure), `${id} exposure`);
    if (f.limit === null) {
      assert.equal(got.credit.limit, null);
      assert.equal(got.credit.use_pct, null, `${id}: no limit, no use %`);
    } else {
      assert.equal(got.credit.limit, moneyText(f.limit));
      assert.equal(got.credit.use_pct, moneyText(divRound(exposure * 100n * 10000n, f.limit)), `${id} credit use %`);
      assert.equal(got.credit.available, moneyText(f.limit - exposure), `${id} credit left`);
      if (exposure > f.limit) overLimit++;
    }
    assert.equal(got.revenue.trailing_12.from, isoOf(trailingFrom));
    assert.equal(got.revenue.trailing_12.to, TODAY);
    assert.equal(got.revenue.prior_12.from, isoOf(priorFrom));
    assert.equal(got.revenue.prior_12.to, isoOf(trailingFrom - 1));
    assert.equal(got.revenue.trailing_12.revenue, moneyText(f.trailing), `${id} revenue, last 12 months`);
    assert.equal(got.revenue.prior_12.revenue, moneyText(f.prior), `${id} revenue, the 12 months before`);
    const change = f.prior > 0n ? moneyText(divRound((f.trailing - f.prior) * 100n * 10000n, f.prior)) : null;
    assert.equal(got.revenue.change_pct, change, `${id} revenue change %`);
    assert.equal(got.revenue.months.length, 24);
    assert.equal(got.revenue.months[0].month, '2024-07');
    for (const m of got.revenue.months)
      assert.equal(m.revenue, moneyText(f.months.get(m.month) || 0n), `${id} revenue of ${m.month}`);
    if (f.receivables > 0n) withReceivables++;
    if (f.openCount > 0) withOpen++;
  }
  // The demo gives the comparison something to bite on.
  assert.ok(withReceivables >= 50, `${withReceivables} accounts with receivables`);
  assert.ok(withOpen >= 20, `${withOpen} accounts with open orders`);
  assert.ok(overLimit >= 1, `${overLimit} accounts over their credit limit`);
  const nonEmpty = [...fig.values()].map((f) => f.ageing.filter((x) => x > 0n).length);
  assert.ok(nonEmpty.some((n) => n >= 2), 'some account has balances in two or more buckets');

  // The server sums the revenue from the engine's facts (nets kept in the order's currency
  // besides the base-currency ones), the CLI from the store: the same page for every account.
  addUser(db, 'ann', 'admin', 'admin-password-1');
  const server = await startServer(t, db);
  const admin = await login(server, 'ann', 'admin-password-1');
  for (let ready = false, until = Date.now() + 60000; !ready; await new Promise((r) => setTimeout(r, 100))) {
    ready = (await request(server, '/healthz')).json?.engine === 'ready';
    assert.ok(ready || Date.now() < until, 'the engine is built within a minute');
  }
  const pages = await pool(accounts, 8, (a) => request(server, `/api/v1/accounts/${encodeURIComponent(a.ext_id)}/status`,
    { headers: { Cookie: admin.cookie } }));
  let foreign = 0;
  for (let i = 0; i < accounts.length; i++) {
    const id = accounts[i].ext_id;
    assert.equal(pages[i].status, 200, `${id}: ${pages[i].text}`);
    const cliPage = parseExact(outputs[i].stdout);
    assert.deepEqual(parseExact(pages[i].text), cliPage, `${id}: the API's status is the CLI's`);
    if (cliPage.currency !== 'USD' && moneyUnits(cliPage.revenue.trailing_12.revenue) > 0n) foreign++;
  }
  assert.ok(foreign >= 10, `${foreign} accounts with revenue in a currency other than the base`);
});

test('the text page shows the figures a rep reads first', () => {
  const db = demoDb || buildDemo();
  const [a] = sql(db, `SELECT a.ext_id, a.name, count(*) AS n FROM accounts a JOIN invoices i ON i.account_id = a.id
      WHERE i.paid_amount < i.amount GROUP BY a.id ORDER BY n DESC, a.id LIMIT 1`);
  const r = run(['account', a.ext_id, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^Account ${a.ext_id} `));
  assert.match(r.stdout, /\n {2}status as of 2026-06-30\n {2}health {6}\d+\/100/);
  assert.match(r.stdout, /\n {2}receivables [\d,]+\.\d\d in \d+ invoices?, overdue/);
  assert.match(r.stdout, /current +1-30 +31-60 +61-90 +90\+/);
  assert.match(r.stdout, /\n {2}revenue {5}last 12 months [\d,]+\.\d\d \(2025-07-01\.\.2026-06-30/);
  assert.match(r.stdout, /\n {2}contacts \(\d+\):/);
  assert.match(r.stdout, /\n {2}open invoices \(\d+, balance/);
  const other = run(['account', a.ext_id, '--db', db, '--today', '2026-07-31']);
  assert.match(other.stdout, /status as of 2026-07-31/, '--today wins over demo_today');
});
