// SPDX-License-Identifier: MIT
// The account status on a hand-written fixture (native CSV files written
// here, imported with `salesdesk import bundle`): invoices exactly on the
// boundaries of the ageing buckets, and accounts built so that one health
// reason each is plain to see — a healthy account, one whose orders stopped
// coming, one with receivables more than 90 days past due, one whose revenue
// fell, one with returns and open complaints. Every expected number is worked
// out here from the fixture's own values and the documented rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, tempDir, moneyText, moneyUnits, parseExact, testDb, sql } from './helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TODAY = '2026-06-30';
const DAY_MS = 86400000;
/** TODAY plus n days, ISO. */
const day = (n) => new Date(Date.parse(`${TODAY}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
// The last 12 months are 2025-07-01..2026-06-30 (day(-364)..day(0)), the 12 before 2024-07-01..2025-06-30.
const TRAILING_FROM = -364, PRIOR_FROM = -729;
assert.equal(day(TRAILING_FROM), '2025-07-01');
assert.equal(day(PRIOR_FROM), '2024-07-01');

function csv(rows, header) {
  return [header.join(','), ...rows.map((r) => header.map((h) => r[h] ?? '').join(','))].join('\n') + '\n';
}

// ---- the fixture ----

const accounts = [
  { id: 'AHEALTHY', name: 'Healthy Co', credit_limit: '10000' },
  { id: 'AQUIET', name: 'Quiet Co' },
  { id: 'AAGED', name: 'Aged Co', credit_limit: '2000' },
  { id: 'ADROP', name: 'Drop Co' },
  { id: 'ACOMPLAIN', name: 'Complain Co' },
].map((a) => ({ owner_rep: 'R1', status: 'active', currency: 'USD', ...a }));

const orders = [];
/** An order of `qty` units of P1 at 10.00 on day(offset). */
function order(account, offset, qty, status = 'paid') {
  const id = `${account}-${orders.length + 1}`;
  orders.push({ id, account, rep: 'R1', order_date: day(offset), status, ship_country: 'DE', ship_address: '1 Main St',
    lines: [{ order: id, line: '1', sku: 'P1', qty: String(qty), unit_price: '10', discount: '0', shipped_qty: '0' }] });
  return id;
}
// Healthy: every 14 days for two years, 5 units each; the last order 6 days ago.
for (let d = -706; d <= -6; d += 14) order('AHEALTHY', d, 5);
// Quiet: every 10 days from day -400 to day -100, then nothing: 100 days > 2 × 10.
for (let d = -400; d <= -100; d += 10) order('AQUIET', d, 3);
// Aged: every 30 days, steady; its trouble is an invoice 91 days past due.
for (let d = -720; d <= 0; d += 30) order('AAGED', d, 2);
// Drop: every 7 days; 10 units a week in the 12 months before, 4 in the last 12 (-60 %).
for (let d = -728; d <= -1; d += 7) order('ADROP', d, d < TRAILING_FROM ? 10 : 4);
// Complain: every 7 days, 10 units; one order of 10 units returned (and re-ordered).
for (let d = -728; d <= -1; d += 7) order('ACOMPLAIN', d, 10);
const returned = order('ACOMPLAIN', -50, 10, 'returned');
// Open orders count toward credit use: Healthy has one of 12 units (120.00), not yet shipped.
const healthyOpen = order('AHEALTHY', -2, 12, 'confirmed');

// Aged's invoices, each a power of two in dollars so that every bucket's sum is unique:
// days past due -> amount. Due today is current (0 days past due), so are future ones.
const AGED_INVOICES = [[-5, 1], [0, 2], [1, 4], [30, 8], [31, 16], [60, 32], [61, 64], [90, 128], [91, 256]];
const invoices = AGED_INVOICES.map(([past, amount], i) => ({
  id: `I-AGED-${i + 1}`, account: 'AAGED', issue_date: day(-past - 30), due_date: day(-past),
  amount: String(amount), paid_amount: '0',
}));
// A partly paid one (61 days: 500 − 200 = 300 left) and a paid one (ignored).
invoices.push({ id: 'I-AGED-PART', account: 'AAGED', issue_date: day(-91), due_date: day(-61), amount: '500', paid_amount: '200' });
invoices.push({ id: 'I-AGED-PAID', account: 'AAGED', issue_date: day(-200), due_date: day(-170), amount: '999', paid_amount: '999', paid_date: day(-160) });
// Healthy owes 300.00, due in 10 days.
invoices.push({ id: 'I-HEALTHY', account: 'AHEALTHY', issue_date: day(-20), due_date: day(10), amount: '300', paid_amount: '0' });

const requests = [
  ...[1, 2, 3].map((i) => ({ id: `Q-C${i}`, account: 'ACOMPLAIN', kind: 'complaint', subject: 'Late again', priority: 'high',
    status: ['open', 'in_progress', 'waiting'][i - 1], opened_at: `${day(-i)}T09:00:00Z` })),
  // A closed complaint and an open question do not count as open complaints.
  { id: 'Q-CLOSED', account: 'ACOMPLAIN', kind: 'complaint', subject: 'Old', priority: 'low', status: 'closed',
    opened_at: `${day(-90)}T09:00:00Z`, first_response_at: `${day(-90)}T10:00:00Z`, resolved_at: `${day(-89)}T10:00:00Z` },
  { id: 'Q-ASK', account: 'AHEALTHY', kind: 'price_query', subject: 'Volume price?', priority: 'normal', status: 'open',
    opened_at: `${day(-1)}T09:00:00Z` },
];

function writeFixture(dir) {
  writeFileSync(path.join(dir, 'reps.csv'), csv([{ id: 'R1', name: 'Rita Rep' }], ['id', 'name', 'email', 'team', 'region', 'manager', 'discount_limit_pct']));
  writeFileSync(path.join(dir, 'accounts.csv'), csv(accounts, ['id', 'name', 'segment', 'region', 'country', 'city', 'owner_rep',
    'account_manager', 'credit_limit', 'payment_terms_days', 'status', 'currency']));
  writeFileSync(path.join(dir, 'products.csv'), csv([{ sku: 'P1', name: 'Widget', list_price: '10', status: 'active' }],
    ['sku', 'name', 'category', 'list_price', 'cost', 'status', 'launch_date']));
  writeFileSync(path.join(dir, 'orders.csv'), csv(orders, ['id', 'account', 'rep', 'order_date', 'requested_date', 'promised_date',
    'ship_date', 'status', 'currency', 'ship_country', 'ship_address']));
  writeFileSync(path.join(dir, 'lines.csv'), csv(orders.flatMap((o) => o.lines), ['order', 'line', 'sku', 'qty', 'unit_price', 'discount', 'shipped_qty']));
  writeFileSync(path.join(dir, 'invoices.csv'), csv(invoices, ['id', 'order', 'account', 'issue_date', 'due_date', 'amount', 'paid_amount', 'paid_date']));
  writeFileSync(path.join(dir, 'requests.csv'), csv(requests, ['id', 'account', 'order', 'kind', 'subject', 'priority', 'status',
    'opened_at', 'first_response_at', 'resolved_at', 'assignee']));
}

function fixtureDb(t) {
  const dir = tempDir(t, 'account-fixture');
  const bundle = path.join(dir, 'bundle');
  mkdirSync(bundle);
  writeFixture(bundle);
  const db = testDb(dir, 'store.db');
  assert.equal(run(['init', '--db', db]).code, 0);
  const r = run(['import', 'bundle', bundle, '--map', 'native', '--db', db, '--no-alerts']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return db;
}

function status(db, id, extra = []) {
  const r = run(['account', id, '--json', '--today', TODAY, '--db', db, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return parseExact(r.stdout);
}

const m = (text) => moneyUnits(text);
const money = (dollars) => moneyText(m(String(dollars)));
/** Revenue of an account's booked orders (10.00 a unit) with TRAILING_FROM <= day offset <= 0, and the 12 months before. */
function revenue(account) {
  let trailing = 0n, prior = 0n;
  for (const o of orders.filter((x) => x.account === account && x.status !== 'returned')) {
    const offset = (Date.parse(o.order_date) - Date.parse(TODAY)) / DAY_MS;
    const net = BigInt(o.lines[0].qty) * m('10');
    if (offset >= TRAILING_FROM) trailing += net;
    else if (offset >= PRIOR_FROM) prior += net;
  }
  return { trailing, prior };
}

test('ageing buckets: exactly 30/31, 60/61, 90/91 days past due and due today', (t) => {
  const db = fixtureDb(t);
  const s = status(db, 'AAGED');
  const sum = (pred) => AGED_INVOICES.filter(([past]) => pred(past)).reduce((a, [, amt]) => a + amt, 0);
  // current: due in 5 days (1) + due today (2); 1-30: 1 and 30 days (4 + 8); 31-60: 16 + 32;
  // 61-90: 64 + 128 + the 300 left of the partly paid one; 90+: 256.
  const want = { current: 3, '1_30': 12, '31_60': 48, '61_90': 492, '90_plus': 256 };
  assert.equal(sum((p) => p <= 0), 3);
  assert.equal(sum((p) => p >= 1 && p <= 30), 12);
  assert.equal(sum((p) => p >= 61 && p <= 90) + 300, 492);
  for (const [k, v] of Object.entries(want)) assert.equal(s.receivables.ageing[k].amount, money(v), `bucket ${k}`);
  assert.deepEqual(Object.fromEntries(Object.entries(s.receivables.ageing).map(([k, v]) => [k, v.invoices])),
    { current: '2', '1_30': '2', '31_60': '2', '61_90': '3', '90_plus': '1' });
  assert.equal(s.receivables.total, money(3 + 12 + 48 + 492 + 256));
  assert.equal(s.receivables.overdue, money(12 + 48 + 492 + 256));
  assert.equal(s.receivables.oldest_days_overdue, '91');
  // Credit: 811 receivables + no open order against 2,000: 40.55 %.
  assert.equal(s.credit.exposure, '811');
  assert.equal(s.credit.use_pct, '40.55');
  assert.equal(s.credit.available, '1189');
  // Health: only the ageing: the oldest overdue balance is 90+ days past due, 30 points.
  assert.deepEqual(s.health.reasons.map((r) => [r.code, r.points]), [['RECEIVABLES_AGEING', '30']]);
  assert.equal(s.health.reasons[0].message, 'overdue 808.00, of which 256.00 is 90+ days past due (the oldest invoice by 91 days)');
  assert.equal(s.health.score, '70');
  assert.equal(s.health.churn_risk, false);

  // One day earlier the 91-day invoice is 90 days past due: 61-90 now holds it, and the points are 20.
  const earlier = status(db, 'AAGED', ['--today', day(-1)]);
  assert.equal(earlier.receivables.ageing['90_plus'].amount, '0');
  // 91→90 and 90→89 are 61-90; 61→60 (64 and the partly paid 300) moves to 31-60 with 60→59 (32) and 31→30 leaves it.
  assert.equal(earlier.receivables.ageing['61_90'].amount, money(256 + 128));
  assert.equal(earlier.receivables.ageing['61_90'].invoices, '2');
  assert.equal(earlier.receivables.ageing['31_60'].amount, money(64 + 300 + 32));
  assert.equal(earlier.receivables.ageing['1_30'].amount, money(16 + 8));
  assert.equal(earlier.receivables.ageing.current.amount, money(1 + 2 + 4), 'the 1-day invoice is due today');
  assert.deepEqual(earlier.health.reasons.map((r) => [r.code, r.points]), [['RECEIVABLES_AGEING', '20']]);
});

test('a healthy account scores 100 with no reasons and no churn risk', (t) => {
  const db = fixtureDb(t);
  const s = status(db, 'AHEALTHY');
  assert.equal(s.health.score, '100');
  assert.deepEqual(s.health.reasons, []);
  assert.equal(s.health.churn_risk, false);
  // Its rhythm is 14 days (every gap), the last booked order 6 days ago (the open one of day -2 is
  // confirmed, so booked too: the last order is day -2 and the last gap 4 days; the median stays 14).
  assert.equal(s.orders.last_order, day(-2));
  assert.equal(s.orders.rhythm_days, '14');
  assert.equal(s.orders.rhythm_gaps, '12');
  assert.equal(s.orders.expected_next_order, day(12));
  // Credit: 300 receivables + the open order's 120 against 10,000.
  assert.equal(s.orders.open, '1');
  assert.equal(s.orders.oldest_open, healthyOpen);
  assert.equal(s.orders.open_value, '120');
  assert.equal(s.credit.exposure, '420');
  assert.equal(s.credit.use_pct, '4.2');
  assert.equal(s.receivables.ageing.current.amount, '300');
  const { trailing, prior } = revenue('AHEALTHY');
  assert.equal(s.revenue.trailing_12.revenue, moneyText(trailing));
  assert.equal(s.revenue.prior_12.revenue, moneyText(prior));
  assert.deepEqual(s.open_requests.map((r) => r.id), ['Q-ASK']);
  assert.equal(s.top_products[0].sku, 'P1');
  assert.equal(s.top_products[0].revenue, moneyText(trailing));
  assert.equal(s.top_products[0].share_pct, '100');
});

test('an account whose orders stopped coming: ORDER_FREQUENCY and churn risk', (t) => {
  const db = fixtureDb(t);
  const s = status(db, 'AQUIET');
  assert.equal(s.orders.last_order, day(-100));
  assert.equal(s.orders.days_since_last_order, '100');
  assert.equal(s.orders.rhythm_days, '10');
  assert.equal(s.orders.expected_next_order, day(-90));
  // Revenue rose (27 orders in the last 12 months against 4), so frequency is the only reason.
  const { trailing, prior } = revenue('AQUIET');
  assert.equal(trailing, 27n * 3n * m('10'));
  assert.equal(prior, 4n * 3n * m('10'));
  assert.deepEqual(s.health.reasons.map((r) => [r.code, r.points]), [['ORDER_FREQUENCY', '25']]);
  assert.equal(s.health.reasons[0].message,
    `no order for 100 days (last ${day(-100)}); it orders about every 10 days, so the next order was expected by ${day(-90)}`);
  assert.equal(s.health.score, '75');
  assert.equal(s.health.churn_risk, true);
  assert.deepEqual(s.health.churn_reasons, ['ORDER_FREQUENCY']);
  // At day -80 it was 20 days quiet: exactly 2 × its rhythm is not yet "quiet" (the rule is "more than").
  const then = status(db, 'AQUIET', ['--today', day(-80)]);
  assert.equal(then.orders.days_since_last_order, '20');
  assert.deepEqual(then.health.reasons, []);
  assert.equal(then.health.churn_risk, false);
  // The factor is a setting: at 12 times the rhythm, 100 days is not quiet.
  sql(db, "INSERT INTO settings(key, value) VALUES ('account.quiet_factor', '12')");
  assert.deepEqual(status(db, 'AQUIET').health.reasons, []);
});

test('a revenue drop of 60 % costs 20 points and is a churn risk; returns and complaints count', (t) => {
  const db = fixtureDb(t);
  const drop = status(db, 'ADROP');
  const { trailing, prior } = revenue('ADROP');
  assert.equal(drop.revenue.trailing_12.revenue, moneyText(trailing));
  assert.equal(drop.revenue.prior_12.revenue, moneyText(prior));
  assert.equal(drop.revenue.change_pct, '-60');
  assert.deepEqual(drop.health.reasons.map((r) => [r.code, r.points]), [['REVENUE_TREND', '20']]);
  assert.equal(drop.health.score, '80');
  assert.deepEqual(drop.health.churn_reasons, ['REVENUE_TREND']);

  const c = status(db, 'ACOMPLAIN');
  // Returned: 100.00 of 100.00 + the booked revenue of the last 12 months.
  const booked = revenue('ACOMPLAIN').trailing;
  assert.equal(c.revenue.returned_trailing_12, '100');
  const rate = (m('100') * 100n * 10000n * 2n + (booked + m('100'))) / ((booked + m('100')) * 2n); // half up
  assert.equal(c.revenue.return_rate_pct, moneyText(rate));
  assert.ok(rate < 50000n, 'under 5 %: RETURNS does not fire at the default');
  // Three open complaints at 10 points, capped at 20; the closed one and other kinds do not count.
  assert.deepEqual(c.health.reasons.map((r) => [r.code, r.points]), [['OPEN_COMPLAINTS', '20']]);
  assert.equal(c.health.reasons[0].message, '3 open complaints (Q-C3, Q-C2, Q-C1)');
  assert.equal(c.health.score, '80');
  assert.equal(c.health.churn_risk, false);
  assert.equal(c.open_requests.length, 3);
  // With the returns threshold at 1 %, RETURNS fires too.
  sql(db, "INSERT INTO settings(key, value) VALUES ('account.returns_pct', '1')");
  const c2 = status(db, 'ACOMPLAIN');
  assert.deepEqual(c2.health.reasons.map((r) => [r.code, r.points]), [['RETURNS', '10'], ['OPEN_COMPLAINTS', '20']]);
  assert.equal(c2.health.score, '70');
  assert.ok(orders.some((o) => o.id === returned));
});

test('a malformed setting is refused with its key', (t) => {
  const db = fixtureDb(t);
  sql(db, "INSERT INTO settings(key, value) VALUES ('account.quiet_points', '250')");
  const r = run(['account', 'AHEALTHY', '--db', db]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /setting 'account\.quiet_points': '250' is not a whole number 0\.\.100/);
});

test('docs/desk.md documents every health factor and settings key with its default', () => {
  const src = readFileSync(path.join(ROOT, 'src/desk/account.c'), 'utf8');
  const params = [...src.matchAll(/\{"(account\.[a-z_0-9]+)", "([0-9.]+)"/g)].map((x) => [x[1], x[2]]);
  const codes = [...src.matchAll(/\] = "([A-Z_]+)"/g)].map((x) => x[1]);
  assert.ok(params.length >= 15, `${params.length} settings`);
  assert.equal(codes.length, 5);
  const doc = readFileSync(path.join(ROOT, 'docs/desk.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Account status'));
  assert.ok(section.length > 100, 'docs/desk.md has a section "Account status"');
  for (const code of codes) assert.match(section, new RegExp(`\\b${code}\\b`), `documents ${code}`);
  for (const [key, fallback] of params)
    assert.ok(section.includes(`\`${key}\` (${fallback})`), `documents ${key} with its default (${fallback})`);
});
