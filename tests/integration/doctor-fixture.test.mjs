// SPDX-License-Identifier: MIT
// The order doctor on a hand-written fixture (native CSV files written here,
// imported with `salesdesk import bundle`): one order per rule and one clean
// order. Every rule fires exactly where the fixture puts its problem, and its
// evidence equals the numbers computed here from the fixture's own values
// with exact integer arithmetic. Also: settings change thresholds, bad
// settings are refused, and the batch agrees with the one-order diagnosis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, tempDir, lineNet, moneyText, moneyUnits, parseExact, testDb, sql } from './helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TODAY = '2026-06-30';
const DAY_MS = 86400000;

/** TODAY plus n days, ISO. */
function day(n) {
  return new Date(Date.parse(`${TODAY}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Money text to 1/10000 units; discount fraction text to millionths. */
const m = (text) => moneyUnits(text);
function ppm(text) {
  const [whole, frac = ''] = text.split('.');
  return BigInt(whole) * 1000000n + BigInt(frac.padEnd(6, '0').slice(0, 6) || '0');
}

function csv(rows, header) {
  return [header.join(','), ...rows.map((r) => header.map((h) => r[h] ?? '').join(','))].join('\n') + '\n';
}

// ---- the fixture ----

const reps = [
  { id: 'R1', name: 'Rita Normal', discount_limit_pct: '20' },
  { id: 'R2', name: 'Lou Lowlimit', discount_limit_pct: '10' },
];
const accounts = [
  { id: 'A1', name: 'Plain Co', owner_rep: 'R1', status: 'active' }, // no credit limit
  { id: 'ACREDIT', name: 'Credit Co', owner_rep: 'R1', credit_limit: '20000', status: 'active' },
  { id: 'AOVERDUE', name: 'Overdue Co', owner_rep: 'R1', status: 'active' },
  { id: 'AHOLD', name: 'Hold Co', owner_rep: 'R1', status: 'on_hold' },
];
const products = [];
for (let i = 1; i <= 20; i++)
  products.push({ sku: `P${String(i).padStart(2, '0')}`, name: `Product ${i}`, list_price: '100', status: 'active' });
products.push({ sku: 'PSHORT', name: 'Short', list_price: '100', status: 'active' });
products.push({ sku: 'POLD', name: 'Old', list_price: '100', status: 'discontinued' });
products.push({ sku: 'PBIG', name: 'Big', list_price: '250', status: 'active' });
const stock = products.filter((p) => p.sku !== 'PSHORT').map((p) => ({ sku: p.sku, warehouse: 'MAIN', on_hand: '1000', reserved: '0' }));
stock.push({ sku: 'PSHORT', warehouse: 'MAIN', on_hand: '100', reserved: '10' });
stock.push({ sku: 'PSHORT', warehouse: 'EAST', on_hand: '20', reserved: '0' });

// An order: confirmed two days ago, promised in ten days, unless said otherwise.
function order(id, fields, lines) {
  return {
    id, account: 'A1', rep: 'R1', order_date: day(-2), promised_date: day(10), status: 'confirmed',
    ship_country: 'DE', ship_address: '1 Main Street', ...fields,
    lines: lines.map((l, i) => ({ order: id, line: String(i + 1), unit_price: '100', discount: '0', shipped_qty: '0', ...l })),
  };
}
const orders = [
  order('O-CLEAN', {}, [{ sku: 'P01', qty: '5', discount: '0.05' }]),
  order('O-CREDIT', { account: 'ACREDIT' }, [{ sku: 'PBIG', qty: '13', unit_price: '250' }]),
  order('O-CREDIT2', { account: 'ACREDIT', order_date: day(-3) }, [{ sku: 'P02', qty: '81' }]),
  order('O-OVERDUE', { account: 'AOVERDUE' }, [{ sku: 'P03', qty: '2' }]),
  order('O-HOLD', { account: 'AHOLD' }, [{ sku: 'P04', qty: '2' }]),
  order('O-STOCK-FIRST', { order_date: day(-3) }, [{ sku: 'PSHORT', qty: '70' }]),
  order('O-STOCK', { order_date: day(-1) }, [{ sku: 'P05', qty: '1' }, { sku: 'PSHORT', qty: '50' }]),
  order('O-DISC', {}, [{ sku: 'POLD', qty: '7' }]),
  order('O-PRICE', {}, [{ sku: 'P06', qty: '3', unit_price: '80' }]),
  order('O-DISCOUNT', { rep: 'R2' }, [{ sku: 'P07', qty: '4', discount: '0.15' }]),
  order('O-STUCK', { status: 'pending', order_date: day(-10), promised_date: day(5) }, [{ sku: 'P08', qty: '1' }]),
  order('O-LATE', { order_date: day(-5), promised_date: day(-2) }, [{ sku: 'P09', qty: '1' }]),
  order('O-BACK', { order_date: day(-3) }, [{ sku: 'P10', qty: '6', shipped_qty: '6' }, { sku: 'P11', qty: '10', shipped_qty: '4' }]),
  order('O-SNI', { status: 'shipped', order_date: day(-14), promised_date: day(-9), ship_date: day(-10) },
    [{ sku: 'P12', qty: '3', shipped_qty: '3', discount: '0.1' }]),
  order('O-MISMATCH', { status: 'invoiced', order_date: day(-15), promised_date: day(-12), ship_date: day(-12) },
    [{ sku: 'P13', qty: '3', shipped_qty: '3', unit_price: '33.3333', discount: '0.07' }]),
  order('O-DUP-FIRST', { order_date: day(-3) }, [{ sku: 'P14', qty: '5' }, { sku: 'P15', qty: '3' }]),
  order('O-DUP', { order_date: day(-1) }, [{ sku: 'P15', qty: '3' }, { sku: 'P14', qty: '5' }]),
  order('O-MISSING', { ship_address: '' }, [{ sku: 'P16', qty: '1' }]),
  order('O-REQ', {}, [{ sku: 'P17', qty: '1' }]),
];
const net = (o) => o.lines.reduce((s, l) => s + lineNet(l.qty, m(l.unit_price), ppm(l.discount)), 0n);
const byId = Object.fromEntries(orders.map((o) => [o.id, o]));
const mismatchNet = net(byId['O-MISMATCH']);
const invoices = [
  // Credit Co: 12,400 unpaid, not yet due.
  { id: 'I-CREDIT', account: 'ACREDIT', issue_date: day(-20), due_date: day(10), amount: '12400', paid_amount: '0' },
  // Overdue Co: two unpaid past due (45 and 10 days), one paid long ago.
  { id: 'I-OLD', account: 'AOVERDUE', issue_date: day(-75), due_date: day(-45), amount: '1000', paid_amount: '0' },
  { id: 'I-PART', account: 'AOVERDUE', issue_date: day(-40), due_date: day(-10), amount: '500', paid_amount: '100' },
  { id: 'I-PAID', account: 'AOVERDUE', issue_date: day(-100), due_date: day(-70), amount: '900', paid_amount: '900', paid_date: day(-72) },
  // The mismatch: 5.00 more than the order's net, not yet due.
  { id: 'I-MISMATCH', order: 'O-MISMATCH', account: 'A1', issue_date: day(-11), due_date: day(19),
    amount: moneyText(mismatchNet + 50000n), paid_amount: '0' },
];
const requests = [
  { id: 'Q1', account: 'A1', order: 'O-REQ', kind: 'delivery_status', subject: 'Where is it', priority: 'high', status: 'open', opened_at: `${day(-1)}T09:00:00Z` },
  { id: 'Q2', account: 'A1', order: 'O-CLEAN', kind: 'delivery_status', subject: 'Thanks', priority: 'low', status: 'closed',
    opened_at: `${day(-2)}T09:00:00Z`, first_response_at: `${day(-2)}T10:00:00Z`, resolved_at: `${day(-2)}T11:00:00Z` },
];

// What must fire: [order, code] pairs, nothing else.
const EXPECTED = [
  ['O-CREDIT', 'CREDIT_LIMIT'], ['O-CREDIT2', 'CREDIT_LIMIT'], // both open orders of the account exceed it
  ['O-OVERDUE', 'OVERDUE_INVOICES'], ['O-HOLD', 'ACCOUNT_ON_HOLD'], ['O-STOCK', 'STOCK_SHORT'],
  ['O-DISC', 'DISCONTINUED_PRODUCT'], ['O-PRICE', 'PRICE_BELOW_LIST'], ['O-DISCOUNT', 'DISCOUNT_OVER_LIMIT'],
  ['O-STUCK', 'STUCK_IN_STATUS'], ['O-LATE', 'LATE_AGAINST_PROMISE'], ['O-BACK', 'BACKORDER'],
  ['O-SNI', 'SHIPPED_NOT_INVOICED'], ['O-MISMATCH', 'INVOICE_MISMATCH'], ['O-DUP', 'DUPLICATE_ORDER'],
  ['O-MISSING', 'MISSING_DATA'], ['O-REQ', 'OPEN_REQUEST'],
];

function writeFixture(dir) {
  writeFileSync(path.join(dir, 'reps.csv'), csv(reps, ['id', 'name', 'email', 'team', 'region', 'manager', 'discount_limit_pct']));
  writeFileSync(path.join(dir, 'accounts.csv'), csv(accounts, ['id', 'name', 'segment', 'region', 'country', 'city', 'owner_rep',
    'account_manager', 'credit_limit', 'payment_terms_days', 'status', 'currency']));
  writeFileSync(path.join(dir, 'products.csv'), csv(products, ['sku', 'name', 'category', 'list_price', 'cost', 'status', 'launch_date']));
  writeFileSync(path.join(dir, 'stock.csv'), csv(stock, ['sku', 'warehouse', 'on_hand', 'reserved']));
  writeFileSync(path.join(dir, 'orders.csv'), csv(orders, ['id', 'account', 'rep', 'order_date', 'requested_date', 'promised_date',
    'ship_date', 'status', 'currency', 'ship_country', 'ship_address']));
  writeFileSync(path.join(dir, 'lines.csv'), csv(orders.flatMap((o) => o.lines), ['order', 'line', 'sku', 'qty', 'unit_price', 'discount', 'shipped_qty']));
  writeFileSync(path.join(dir, 'invoices.csv'), csv(invoices, ['id', 'order', 'account', 'issue_date', 'due_date', 'amount', 'paid_amount', 'paid_date']));
  writeFileSync(path.join(dir, 'requests.csv'), csv(requests, ['id', 'account', 'order', 'kind', 'subject', 'priority', 'status',
    'opened_at', 'first_response_at', 'resolved_at', 'assignee']));
}

function fixtureDb(t) {
  const dir = tempDir(t, 'doctor-fixture');
  const bundle = path.join(dir, 'bundle');
  spawnSync('mkdir', [bundle]);
  writeFixture(bundle);
  const db = testDb(dir, 'store.db');
  assert.equal(run(['init', '--db', db]).code, 0);
  const r = run(['import', 'bundle', bundle, '--map', 'native', '--db', db, '--no-alerts']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return db;
}

function diagnose(db, id, extra = []) {
  const r = run(['order', id, '--diagnose', '--json', '--today', TODAY, '--db', db, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return parseExact(r.stdout);
}

function finding(dg, code) {
  const f = dg.findings.filter((x) => x.code === code);
  assert.equal(f.length, 1, `${dg.id}: one ${code} finding, got ${JSON.stringify(dg.findings)}`);
  return f[0];
}

test('every rule fires exactly on its fixture order, and the clean order has no finding', (t) => {
  const db = fixtureDb(t);
  const got = [];
  for (const o of orders) {
    const dg = diagnose(db, o.id);
    assert.equal(dg.id, o.id);
    for (const f of dg.findings) got.push(`${o.id} ${f.code}`);
    const severities = dg.findings.map((f) => ({ blocker: 0, risk: 1, info: 2 })[f.severity]);
    assert.deepEqual(severities, [...severities].sort(), `${o.id}: findings by severity`);
    const verdict = severities.includes(0) ? 'blocked' : severities.includes(1) ? 'at risk' : 'ok';
    assert.equal(dg.verdict, verdict, o.id);
  }
  assert.deepEqual([...new Set(got)].sort(), EXPECTED.map(([o, c]) => `${o} ${c}`).sort());
  assert.equal(got.length, EXPECTED.length, 'one finding per expected pair');
  assert.equal(diagnose(db, 'O-CLEAN').verdict, 'ok');
});

test('the evidence of each finding equals the numbers computed from the fixture', (t) => {
  const db = fixtureDb(t);
  const ev = (id, code) => finding(diagnose(db, id), code).evidence;

  // CREDIT_LIMIT: 12,400 receivables + the other open order + this one, against 20,000.
  const creditNet = net(byId['O-CREDIT']), credit2Net = net(byId['O-CREDIT2']);
  assert.equal(creditNet, m('3250'));
  assert.equal(credit2Net, m('8100'));
  const exposure = m('12400') + creditNet + credit2Net;
  const c = ev('O-CREDIT', 'CREDIT_LIMIT');
  assert.deepEqual(c, {
    receivables: moneyText(m('12400')), open_orders: moneyText(credit2Net), order_net: moneyText(creditNet),
    exposure: moneyText(exposure), credit_limit: '20000', over_by: moneyText(exposure - m('20000')),
  });
  assert.equal(c.exposure, '23750');
  assert.equal(c.over_by, '3750');
  const msg = finding(diagnose(db, 'O-CREDIT'), 'CREDIT_LIMIT').message;
  assert.equal(msg, 'open receivables 12,400.00 + open orders 8,100.00 + this order 3,250.00 = 23,750.00 ' +
    'over the credit limit 20,000.00 (by 3,750.00)');
  assert.equal(ev('O-CREDIT2', 'CREDIT_LIMIT').open_orders, moneyText(creditNet));

  // OVERDUE_INVOICES: 1,000 (45 days) + 400 left of 500 (10 days); the paid one does not count.
  assert.deepEqual(ev('O-OVERDUE', 'OVERDUE_INVOICES'), {
    overdue_invoices: '2', overdue_amount: moneyText(m('1000') + m('500') - m('100')),
    oldest_days_overdue: '45', grace_days: '30', min_amount: '0', max_count: '3',
  });

  assert.deepEqual(ev('O-HOLD', 'ACCOUNT_ON_HOLD'), { account: 'AHOLD', account_status: 'on_hold' });

  // STOCK_SHORT: 100 - 10 reserved + 20 = 110 on hand; the earlier order takes 70; 40 left for 50.
  const available = 100n - 10n + 20n, earlier = 70n, needed = 50n;
  const s = finding(diagnose(db, 'O-STOCK'), 'STOCK_SHORT');
  assert.equal(s.line, '2');
  assert.deepEqual(s.evidence, {
    line: '2', sku: 'PSHORT', needed: String(needed), available: String(available), earlier_demand: String(earlier),
    left: String(available - earlier), short: String(needed - (available - earlier)),
  });

  assert.deepEqual(ev('O-DISC', 'DISCONTINUED_PRODUCT'), { line: '1', sku: 'POLD', needed: '7' });
  assert.deepEqual(ev('O-PRICE', 'PRICE_BELOW_LIST'), {
    line: '1', sku: 'P06', unit_price: '80', list_price: '100', below_pct: '20', tolerance_pct: '0',
  });
  assert.deepEqual(ev('O-DISCOUNT', 'DISCOUNT_OVER_LIMIT'), {
    line: '1', sku: 'P07', rep: 'R2', discount: '0.15', discount_limit: '0.1',
  });
  // Imports set status_date to the order date (exports do not say since when).
  assert.deepEqual(ev('O-STUCK', 'STUCK_IN_STATUS'), {
    status: 'pending', status_date: day(-10), days_in_status: '10', limit_days: '3',
  });
  assert.deepEqual(ev('O-LATE', 'LATE_AGAINST_PROMISE'), { due_kind: 'promised', due_date: day(-2), days_late: '2' });
  assert.deepEqual(ev('O-BACK', 'BACKORDER'), {
    ordered_units: '16', shipped_units: '10', outstanding_units: '6', open_lines: '1',
  });
  assert.deepEqual(ev('O-SNI', 'SHIPPED_NOT_INVOICED'), {
    ship_date: day(-10), days_since_ship: '10', order_net: moneyText(net(byId['O-SNI'])), limit_days: '3',
  });
  assert.equal(net(byId['O-SNI']), m('270'));
  assert.deepEqual(ev('O-MISMATCH', 'INVOICE_MISMATCH'), {
    invoiced: moneyText(mismatchNet + 50000n), invoices: '1', order_net: moneyText(mismatchNet),
    difference: '5', tolerance: '0.01',
  });
  assert.deepEqual(ev('O-DUP', 'DUPLICATE_ORDER'), {
    other_order: 'O-DUP-FIRST', other_date: day(-3), days_apart: '2', lines: '2',
    order_net: moneyText(net(byId['O-DUP'])),
  });
  assert.deepEqual(ev('O-MISSING', 'MISSING_DATA'), { missing: 'ship address' });
  assert.deepEqual(ev('O-REQ', 'OPEN_REQUEST'), { requests: '1', request: 'Q1', priority: 'high', request_status: 'open' });
});

test('diagnosing every open order gives the same findings as one order at a time', (t) => {
  const db = fixtureDb(t);
  const r = run(['order', '--diagnose-open', '--json', '--today', TODAY, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  const all = parseExact(r.stdout);
  // Open and shipped orders: everything but O-MISMATCH (invoiced).
  const inScope = orders.filter((o) => o.status !== 'invoiced');
  assert.equal(all.orders, String(inScope.length));
  const items = new Map(all.items.map((d) => [d.id, d]));
  for (const o of inScope) {
    const one = diagnose(db, o.id);
    const batch = items.get(o.id) || { id: o.id, status: one.status, verdict: 'ok', findings: [] };
    assert.deepEqual(batch, one, o.id);
  }
  const verdicts = inScope.map((o) => diagnose(db, o.id).verdict);
  assert.equal(all.blocked, String(verdicts.filter((v) => v === 'blocked').length));
  assert.equal(all.at_risk, String(verdicts.filter((v) => v === 'at risk').length));
  assert.equal(all.ok, String(verdicts.filter((v) => v === 'ok').length));
  const text = run(['order', '--diagnose-open', '--today', TODAY, '--db', db]);
  assert.match(text.stdout, /^18 open and shipped orders as of 2026-06-30: /);
  assert.match(text.stdout, /\n {2}O-CREDIT +confirmed +blocked +CREDIT_LIMIT\n/);
});

test('thresholds come from settings; a bad setting is refused with its key', (t) => {
  const db = fixtureDb(t);
  const set = (key, value) => sql(db,
    `INSERT INTO settings(key, value) VALUES ('${key}', '${value}') ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
  set('doctor.price_tolerance_pct', '20');
  assert.deepEqual(diagnose(db, 'O-PRICE').findings, []); // exactly 20 % below is within 20 %
  set('doctor.price_tolerance_pct', '19.99');
  assert.equal(finding(diagnose(db, 'O-PRICE'), 'PRICE_BELOW_LIST').evidence.tolerance_pct, '19.99');
  set('doctor.overdue_grace_days', '45');
  assert.deepEqual(diagnose(db, 'O-OVERDUE').findings, []); // 45 days is not more than 45
  set('doctor.overdue_max_count', '2');
  assert.equal(finding(diagnose(db, 'O-OVERDUE'), 'OVERDUE_INVOICES').evidence.max_count, '2');
  set('doctor.stuck_pending_days', '10');
  assert.deepEqual(diagnose(db, 'O-STUCK').findings, []);
  set('doctor.duplicate_days', '1');
  assert.deepEqual(diagnose(db, 'O-DUP').findings, []);
  set('doctor.invoice_tolerance', '5');
  assert.deepEqual(diagnose(db, 'O-MISMATCH').findings, []);
  set('doctor.invoice_days', 'soon');
  const r = run(['order', 'O-SNI', '--diagnose', '--today', TODAY, '--db', db]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /setting 'doctor\.invoice_days': 'soon' is not a whole number/);
});

test('text output: verdict, then each finding with its owner, message and action', (t) => {
  const db = fixtureDb(t);
  const r = run(['order', 'O-STOCK', '--diagnose', '--today', TODAY, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Order O-STOCK {2}confirmed {2}verdict: blocked \(as of 2026-06-30\)\n/);
  assert.match(r.stdout, /blocker STOCK_SHORT +owner: warehouse\n +line 2 PSHORT: needs 50, stock 110 of which 70 go to earlier open orders, 40 left: 10 short\n +-> ask the warehouse/);
  const clean = run(['order', 'O-CLEAN', '--diagnose', '--today', TODAY, '--db', db]);
  assert.match(clean.stdout, /verdict: ok .*\n {2}no findings\n/);
});

test('docs/desk.md documents every rule code and settings key of the rule table', (t) => {
  const src = readFileSync(path.join(ROOT, 'src/desk/doctor.c'), 'utf8');
  const codes = [...src.matchAll(/\.code = "([A-Z_]+)"/g)].map((x) => x[1]);
  const keys = [...src.matchAll(/"(doctor\.[a-z_]+)"/g)].map((x) => x[1]);
  assert.ok(codes.length >= 15, `${codes.length} rules`);
  assert.deepEqual([...new Set(EXPECTED.map(([, c]) => c))].sort(), [...codes].sort(), 'the fixture covers every rule');
  const doc = readFileSync(path.join(ROOT, 'docs/desk.md'), 'utf8');
  for (const code of codes) assert.match(doc, new RegExp(`\\b${code}\\b`), `docs/desk.md documents ${code}`);
  for (const key of keys) assert.ok(doc.includes(key), `docs/desk.md documents ${key}`);
  // Every code the doctor answers with is one of the table's.
  const db = fixtureDb(t);
  for (const o of orders)
    for (const f of diagnose(db, o.id).findings) assert.ok(codes.includes(f.code), f.code);
});
