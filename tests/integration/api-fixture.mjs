// SPDX-License-Identifier: MIT
// The small store the read-API tests share (api-orders, api-accounts):
// native CSV files written here and imported with `salesdesk import bundle`,
// users of every role, and the server. Three reps own and manage accounts in
// a pattern that makes every visibility case appear (own account, managed
// account, an order taken on someone else's account, an order without a
// rep); names hold LIKE's metacharacters; several orders share a date so the
// cursor's id tiebreak matters. Expected answers are computed by the tests
// from these rows or with the sqlite3 shell, never from the API's output.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseExact, run, sql, tempDir, testDb } from './helpers.mjs';
import { addUser, login, request, startServer } from './server.mjs';

export const TODAY = '2026-06-30';
export const PASSWORD = 'correct horse battery';
const DAY_MS = 86400000;
export const day = (n) => new Date(Date.parse(`${TODAY}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

export const REPS = [
  { id: 'R1', name: 'Rita Rep', team: 'T1', region: 'EMEA', discount_limit_pct: '10' },
  { id: 'R2', name: 'Bob Rep', team: 'T1', region: 'EMEA', discount_limit_pct: '10' },
  { id: 'R3', name: 'Carl Rep', team: 'T2', region: 'NA', discount_limit_pct: '10' },
];

export const ACCOUNTS = [
  { id: 'A01', name: 'Acme 100% Tools', segment: 'Enterprise', region: 'EMEA', owner_rep: 'R1', status: 'active' },
  { id: 'A02', name: 'acme_foods', segment: 'SMB', region: 'EMEA', owner_rep: 'R2', account_manager: 'R1', status: 'active' },
  { id: 'A03', name: 'Bolt Ltd', segment: 'SMB', region: 'NA', owner_rep: 'R2', status: 'active' },
  { id: 'A04', name: 'Back\\slash Co', segment: 'Mid-Market', region: 'NA', owner_rep: 'R3', status: 'on_hold' },
  { id: 'A05', name: 'Crane Co', segment: 'SMB', region: 'EMEA', account_manager: 'R3', status: 'closed' },
  { id: 'A06', name: 'Delta_Co', segment: 'Enterprise', region: 'NA', owner_rep: 'R1', status: 'active' },
  { id: 'A07', name: 'acmeville', segment: 'SMB', region: 'EMEA', owner_rep: 'R3', status: 'active' },
].map((a) => ({ country: 'DE', city: 'Berlin', credit_limit: '5000.5', payment_terms_days: '30', currency: 'USD', ...a }));

const STATUSES = ['draft', 'pending', 'confirmed', 'on_hold', 'shipped', 'invoiced', 'paid', 'cancelled', 'returned'];
const PRICES = ['12.3456', '7.5', '0.3333', '199.99'];
const DISCOUNTS = ['0', '0.05', '0.125', '0.3333'];

/** 30 orders: account, rep (or none), date and status follow simple rules with repeats. */
export const ORDERS = Array.from({ length: 30 }, (_, i) => {
  const id = `O${String(100 + i)}`;
  const n = 1 + (i % 3);
  return {
    id,
    account: ACCOUNTS[i % ACCOUNTS.length].id,
    // Rita (R1) takes some orders on other reps' accounts, never on A02 or A03; some have no rep.
    rep: i % 6 === 0 ? 'R1' : i % 6 === 1 ? '' : ACCOUNTS[i % ACCOUNTS.length].owner_rep || 'R3',
    order_date: day(-((i * 7) % 12)), // several orders share a day
    promised_date: i % 5 === 0 ? day(3 + (i % 4)) : '',
    requested_date: i % 3 === 0 ? day(10) : '',
    ship_date: ['shipped', 'invoiced', 'paid', 'returned'].includes(STATUSES[i % STATUSES.length]) ? day(-1) : '',
    status: STATUSES[i % STATUSES.length],
    currency: 'USD',
    ship_country: 'DE',
    ship_address: '1 Main St',
    lines: Array.from({ length: n }, (_, k) => ({
      order: id, line: String(k + 1), sku: `P${1 + ((i + k) % 3)}`, qty: String(1 + ((i * 3 + k) % 7)),
      unit_price: PRICES[(i + k) % PRICES.length], discount: DISCOUNTS[(i * k) % DISCOUNTS.length], shipped_qty: '0',
    })),
  };
});

/**
 * Two pairs of duplicate orders (the same lines a few days apart; the later
 * one is flagged DUPLICATE_ORDER): on A07, R3's account, R3 took D1 and Rita
 * (R1) took D2, so Rita sees D2 but not D1; on A01, Rita's own account, she
 * sees both D3 and D4.
 */
export const DUPLICATES = [['D1', 'A07', 'R3', -5, 'P3', '99'], ['D2', 'A07', 'R1', -3, 'P3', '99'],
  ['D3', 'A01', 'R2', -6, 'P2', '77'], ['D4', 'A01', 'R3', -4, 'P2', '77']];
for (const [id, account, rep, offset, sku, qty] of DUPLICATES) {
  ORDERS.push({ id, account, rep, order_date: day(offset), promised_date: '', requested_date: '', ship_date: '',
    status: 'pending', currency: 'USD', ship_country: 'DE', ship_address: '1 Main St',
    lines: [{ order: id, line: '1', sku, qty, unit_price: '5', discount: '0', shipped_qty: '0' }] });
}

const INVOICES = ORDERS.filter((o) => ['invoiced', 'paid'].includes(o.status)).map((o, k) => ({
  id: `I${o.id}`, order: o.id, account: o.account, issue_date: day(-20 - k), due_date: day(-5 + k * 3),
  amount: '100', paid_amount: o.status === 'paid' ? '100' : '40', paid_date: o.status === 'paid' ? day(-2) : '',
}));

// One opportunity that entered two stages on one day (the timeline tells them apart by name).
const OPPORTUNITIES = [{ id: 'OP1', account: 'A01', rep: 'R1', name: 'Big deal', stage: 'propose', amount: '1000',
  created_date: day(-30) }];
const STAGES = [
  { opportunity: 'OP1', stage: 'qualify', entered_date: day(-30) },
  { opportunity: 'OP1', stage: 'discover', entered_date: day(-30) },
  { opportunity: 'OP1', stage: 'propose', entered_date: day(-10) },
];

function csv(rows, header) {
  return [header.join(','), ...rows.map((r) => header.map((h) => r[h] ?? '').join(','))].join('\n') + '\n';
}

function writeBundle(dir) {
  const put = (name, rows, header) => writeFileSync(path.join(dir, name), csv(rows, header));
  put('reps.csv', REPS, ['id', 'name', 'email', 'team', 'region', 'manager', 'discount_limit_pct']);
  put('accounts.csv', ACCOUNTS, ['id', 'name', 'segment', 'region', 'country', 'city', 'owner_rep', 'account_manager',
    'credit_limit', 'payment_terms_days', 'status', 'currency']);
  put('products.csv', [1, 2, 3].map((k) => ({ sku: `P${k}`, name: `Part ${k}`, list_price: '5', status: 'active' })),
    ['sku', 'name', 'category', 'list_price', 'cost', 'status', 'launch_date']);
  put('stock.csv', [1, 2, 3].map((k) => ({ sku: `P${k}`, warehouse: 'W1', on_hand: '1000', reserved: '0' })),
    ['sku', 'warehouse', 'on_hand', 'reserved']);
  put('orders.csv', ORDERS, ['id', 'account', 'rep', 'order_date', 'requested_date', 'promised_date', 'ship_date', 'status',
    'currency', 'ship_country', 'ship_address']);
  put('lines.csv', ORDERS.flatMap((o) => o.lines), ['order', 'line', 'sku', 'qty', 'unit_price', 'discount', 'shipped_qty']);
  put('invoices.csv', INVOICES, ['id', 'order', 'account', 'issue_date', 'due_date', 'amount', 'paid_amount', 'paid_date']);
  put('opportunities.csv', OPPORTUNITIES, ['id', 'account', 'rep', 'name', 'stage', 'amount', 'created_date',
    'expected_close', 'closed_date', 'outcome', 'lost_reason', 'source']);
  put('stages.csv', STAGES, ['opportunity', 'stage', 'entered_date']);
}

/** A fresh store with the fixture imported and users admin, viewer, rita (rep R1) and bob (rep R2). */
export function fixtureDb(t) {
  const dir = tempDir(t, 'api-read');
  const bundle = path.join(dir, 'bundle');
  mkdirSync(bundle);
  writeBundle(bundle);
  const db = testDb(dir, 'store.db');
  assert.equal(run(['init', '--db', db]).code, 0);
  const r = run(['import', 'bundle', bundle, '--map', 'native', '--db', db, '--no-alerts']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  for (const role of ['admin', 'viewer']) addUser(db, role, role, PASSWORD);
  addUser(db, 'rita', 'rep', PASSWORD, ['--rep', 'R1']);
  addUser(db, 'bob', 'rep', PASSWORD, ['--rep', 'R2']);
  return db;
}

/** Starts the server on `db` and logs every fixture user in: { server, get(user, path) }. */
export async function serve(t, db) {
  const server = await startServer(t, db);
  const cookies = {};
  for (const user of ['admin', 'viewer', 'rita', 'bob']) {
    const { cookie, res } = await login(server, user, PASSWORD);
    assert.ok(cookie, `login ${user}: ${res.status} ${res.text}`);
    cookies[user] = cookie;
  }
  const get = (user, p) => request(server, p, { headers: { Cookie: cookies[user] } });
  return { server, get };
}

/**
 * Every page of a list with `limit`, following next_cursor; returns the items
 * (numbers as exact text, parseExact) and checks that only the last page is short.
 */
export async function walk(get, user, base, limit) {
  const items = [];
  let cursor = null;
  for (let pages = 0; pages < 1000; pages++) {
    const sep = base.includes('?') ? '&' : '?';
    const res = await get(user, `${base}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(res.status, 200, `${base}: ${res.text}`);
    const body = parseExact(res.text);
    assert.ok(body.items.length <= limit);
    items.push(...body.items);
    cursor = body.next_cursor;
    if (cursor === null) return items;
    assert.equal(body.items.length, limit, 'only the last page is short');
  }
  throw new Error(`${base}: more than 1000 pages`);
}

/**
 * The ownership rules, written here in SQL: a rep sees the accounts they own
 * or manage, the orders of those accounts and the orders they took.
 */
export function visibleAccounts(db, rep) {
  return sql(db, `SELECT a.ext_id AS id FROM accounts a LEFT JOIN reps ow ON ow.id = a.owner_rep_id
    LEFT JOIN reps am ON am.id = a.account_manager_id WHERE ow.ext_id = '${rep}' OR am.ext_id = '${rep}'`).map((r) => r.id);
}

export function visibleOrders(db, rep) {
  return sql(db, `SELECT o.ext_id AS id FROM orders o JOIN accounts a ON a.id = o.account_id
    LEFT JOIN reps r ON r.id = o.rep_id LEFT JOIN reps ow ON ow.id = a.owner_rep_id
    LEFT JOIN reps am ON am.id = a.account_manager_id
    WHERE r.ext_id = '${rep}' OR ow.ext_id = '${rep}' OR am.ext_id = '${rep}'`).map((r) => r.id);
}
