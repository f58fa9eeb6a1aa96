// SPDX-License-Identifier: MIT
// The fixture of the route-by-route API tests (api-matrix, api-badinput): a
// small company written here as native CSV files and imported with
// `salesdesk import bundle`, users for every role made with `salesdesk user`,
// and — computed here from the rows written, never asked from the server —
// which account, order and request each rep may see (docs/api.md: a rep sees
// the accounts they own or manage, the orders of those accounts and the
// orders they took, the requests of those accounts, of the orders they took,
// and the requests assigned to them).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, sql, tempDir, testDb, tableNames } from './helpers.mjs';
import { addUser } from './server.mjs';

export const TODAY = '2026-06-30';
export const PASSWORD = 'fixture-password-1';
/** An id that names no record of any kind (and no user, token, alert or job). */
export const MISSING_ID = 'NOSUCH404';

// R1 and R2 are in different teams; R3 is a third rep (team T1) whose rows R1 does not see.
const reps = [
  { id: 'R1', name: 'Rita One', email: 'r1@example.com', team: 'T1', region: 'EU', discount_limit_pct: '10' },
  { id: 'R2', name: 'Rolf Two', email: 'r2@example.com', team: 'T2', region: 'US', discount_limit_pct: '10' },
  { id: 'R3', name: 'Rosa Three', email: 'r3@example.com', team: 'T1', region: 'EU', discount_limit_pct: '10' },
  // Reps with nothing but a quota (more alerts for the pool below).
  ...[4, 5, 6, 7, 8, 9].map((n) => ({ id: `R${n}`, name: `Rep ${n}`, team: 'T2', region: 'US' })),
];

// A1, A5 owned by R1; A2 owned by R2 and managed by R1; A3 owned by R2; A4 owned by R3
// and managed by R2; A6 has no owner at all.
const accounts = [
  { id: 'A1', name: 'Alpha One', owner_rep: 'R1', account_manager: 'R2', region: 'EU', country: 'DE', segment: 'smb' },
  { id: 'A2', name: 'Alpha Two', owner_rep: 'R2', account_manager: 'R1', region: 'US', country: 'US', segment: 'smb' },
  { id: 'A3', name: 'Alpha Three', owner_rep: 'R2', region: 'US', country: 'US', segment: 'enterprise' },
  { id: 'A4', name: 'Alpha Four', owner_rep: 'R3', account_manager: 'R2', region: 'EU', country: 'FR', segment: 'smb' },
  { id: 'A5', name: 'Alpha Five', owner_rep: 'R1', region: 'EU', country: 'DE', segment: 'enterprise' },
  { id: 'A6', name: 'Alpha Six', region: 'US', country: 'US', segment: 'smb' },
].map((a) => ({ credit_limit: '100000', payment_terms_days: '30', status: 'active', currency: 'USD', city: 'Town', ...a }));

const STATUSES = ['pending', 'confirmed', 'shipped', 'paid', 'on_hold', 'draft'];
const orders = [];
/** An order of `account` taken by `rep`, `n` days before TODAY. */
function order(id, account, rep, n, status) {
  const date = new Date(Date.parse(`${TODAY}T00:00:00Z`) - n * 86400000).toISOString().slice(0, 10);
  orders.push({ id, account, rep, order_date: date, requested_date: date, promised_date: date, status, currency: 'USD',
    ship_country: 'DE', ship_address: '1 Main St' });
}
// Three orders per account by its owner (or R3 for A6), in several statuses.
accounts.forEach((a, i) => {
  for (let k = 1; k <= 3; k++) order(`O-${a.id}-${k}`, a.id, a.owner_rep || 'R3', 10 * k + i, STATUSES[(i + k) % STATUSES.length]);
});
order('O-A3-BYR1', 'A3', 'R1', 5, 'pending');   // R1 took an order on R2's account
order('O-A1-BYR2', 'A1', 'R2', 6, 'confirmed'); // R2 took an order on R1's account
order('O-A6-NOREP', 'A6', '', 7, 'pending');    // nobody's order

const lines = orders.map((o) => ({ order: o.id, line: '1', sku: 'P1', qty: '2', unit_price: '10', discount: '0', shipped_qty: '0' }));

const requests = [];
function req(id, account, extra = {}) {
  requests.push({ id, account, kind: 'question', subject: `About ${account}`, priority: 'normal', status: 'open',
    opened_at: `${TODAY}T08:00:00Z`, ...extra });
}
for (const a of accounts) req(`Q-${a.id}`, a.id);
req('Q-A3-ASSIGNED', 'A3', { assignee: 'R1' });          // on R2's account, assigned to R1
req('Q-A3-ORDERBYR1', 'A3', { order: 'O-A3-BYR1' });     // about the order R1 took on A3
req('Q-A4-ORDER', 'A4', { order: 'O-A4-1' });
// Open requests kept for write routes that need a fresh record per call (ctx.fresh).
for (let k = 1; k <= 24; k++) {
  req(`Q-A1-POOL${k}`, 'A1');
  req(`Q-A3-POOL${k}`, 'A3');
}

// Revenue quotas far above the fixture's sales, so that `alerts check` raises red alerts
// (a pool for routes that acknowledge one).
const quotas = [...reps.map((r) => r.id), 'T1', 'T2'].map((who) => ({ rep_or_team: who, period: '2026-Q2', amount: '99999999' }));

function csv(rows, header) {
  return [header.join(','), ...rows.map((r) => header.map((h) => r[h] ?? '').join(','))].join('\n') + '\n';
}

function writeBundle(dir) {
  writeFileSync(path.join(dir, 'reps.csv'), csv(reps, ['id', 'name', 'email', 'team', 'region', 'manager', 'discount_limit_pct']));
  writeFileSync(path.join(dir, 'accounts.csv'), csv(accounts, ['id', 'name', 'segment', 'region', 'country', 'city', 'owner_rep',
    'account_manager', 'credit_limit', 'payment_terms_days', 'status', 'currency']));
  writeFileSync(path.join(dir, 'products.csv'), csv([{ sku: 'P1', name: 'Widget', category: 'tools', list_price: '10', cost: '6', status: 'active' }],
    ['sku', 'name', 'category', 'list_price', 'cost', 'status', 'launch_date']));
  writeFileSync(path.join(dir, 'orders.csv'), csv(orders, ['id', 'account', 'rep', 'order_date', 'requested_date', 'promised_date',
    'ship_date', 'status', 'currency', 'ship_country', 'ship_address']));
  writeFileSync(path.join(dir, 'lines.csv'), csv(lines, ['order', 'line', 'sku', 'qty', 'unit_price', 'discount', 'shipped_qty']));
  writeFileSync(path.join(dir, 'quotas.csv'), csv(quotas, ['rep_or_team', 'period', 'amount']));
  writeFileSync(path.join(dir, 'requests.csv'), csv(requests, ['id', 'account', 'order', 'kind', 'subject', 'priority', 'status',
    'opened_at', 'first_response_at', 'resolved_at', 'assignee']));
}

// ---- who may see what, from the rows above ----

const accountById = new Map(accounts.map((a) => [a.id, a]));
const orderById = new Map(orders.map((o) => [o.id, o]));

export function repSeesAccount(rep, accountId) {
  const a = accountById.get(accountId);
  return Boolean(a) && (a.owner_rep === rep || a.account_manager === rep);
}
export function repSeesOrder(rep, orderId) {
  const o = orderById.get(orderId);
  return Boolean(o) && (o.rep === rep || repSeesAccount(rep, o.account));
}
export function repSeesRequest(rep, q) {
  return q.assignee === rep || repSeesAccount(rep, q.account) || (Boolean(q.order) && orderById.get(q.order).rep === rep);
}

/** The fixture's rows by entity, as written: { account: [...], order: [...], request: [...] }. */
export const ROWS = { account: accounts, order: orders, request: requests, rep: reps };

/** The ids of `entity` rows a rep may see (rep null: a caller who sees everything). */
export function visibleIds(entity, rep, where = () => true) {
  const rows = ROWS[entity].filter(where);
  if (rep === null) return rows.map((r) => r.id);
  if (entity === 'account') return rows.filter((r) => repSeesAccount(rep, r.id)).map((r) => r.id);
  if (entity === 'order') return rows.filter((r) => repSeesOrder(rep, r.id)).map((r) => r.id);
  if (entity === 'request') return rows.filter((r) => repSeesRequest(rep, r)).map((r) => r.id);
  throw new Error(`no visibility rule for ${entity}`);
}

/** For each entity: a record R1 may see ("own") and one only R2's ("other"). */
export const IDS = {
  account: { own: 'A1', other: 'A3' },
  order: { own: 'O-A1-1', other: 'O-A3-1' },
  request: { own: 'Q-A1', other: 'Q-A3' },
  rep: { own: 'R1', other: 'R2' },
  team: { own: 'T1', other: 'T2' },
};
// The fixture must mean what the names say.
assert.ok(repSeesAccount('R1', IDS.account.own) && !repSeesAccount('R1', IDS.account.other));
assert.ok(repSeesOrder('R1', IDS.order.own) && !repSeesOrder('R1', IDS.order.other));
assert.ok(repSeesRequest('R1', requests.find((q) => q.id === IDS.request.own)));
assert.ok(!repSeesRequest('R1', requests.find((q) => q.id === IDS.request.other)));
assert.ok(repSeesOrder('R1', 'O-A3-BYR1') && repSeesRequest('R1', requests.find((q) => q.id === 'Q-A3-ASSIGNED')));

/**
 * Users for every role: login -> { role, rep }. rep1 is R1, rep2 is R2;
 * repnone has the role rep but no rep (it must see nothing).
 */
export const USERS = {
  admin: { role: 'admin' },
  manager: { role: 'manager' },
  support: { role: 'support' },
  rep1: { role: 'rep', rep: 'R1' },
  rep2: { role: 'rep', rep: 'R2' },
  viewer: { role: 'viewer' },
  repnone: { role: 'rep', rep: null },
};
/** The user that stands for each role in the role matrix. */
export const ROLE_USER = { admin: 'admin', manager: 'manager', support: 'support', rep: 'rep1', viewer: 'viewer' };

/** Builds the database; returns its path. */
export function buildFixture(t, name) {
  const dir = tempDir(t, name);
  const bundle = path.join(dir, 'bundle');
  mkdirSync(bundle);
  writeBundle(bundle);
  const db = testDb(dir, 'store.db');
  let r = run(['init', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  r = run(['import', 'bundle', bundle, '--map', 'native', '--db', db, '--no-alerts']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  sql(db, `INSERT INTO settings(key, value) VALUES ('demo_today', '${TODAY}')
           ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
  r = run(['alerts', 'check', '--today', TODAY, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  for (const [login, u] of Object.entries(USERS)) {
    // `user add` refuses role rep without --rep; repnone is made a viewer, then turned into a rep.
    const role = u.role === 'rep' && !u.rep ? 'viewer' : u.role;
    addUser(db, login, role, PASSWORD, u.rep ? ['--rep', u.rep, '--name', login] : ['--name', login]);
  }
  sql(db, "UPDATE users SET role = 'rep' WHERE login = 'repnone'");
  return db;
}

/**
 * A digest of everything the store holds except sessions (every request
 * touches its session's last_seen_at): "a refused write changed nothing"
 * compares two of these.
 */
export function storeDigest(db) {
  const tables = tableNames(db).filter((name) => name !== 'sessions').map((name) => ({ name }));
  const counts = sql(db, tables.map((tb) => `SELECT '${tb.name}' AS t, count(*) AS n FROM "${tb.name}"`).join(' UNION ALL '));
  const dump = tables.map((tb) => sql(db, `SELECT * FROM "${tb.name}"`).map((row) => JSON.stringify(row)).sort().join('\n')).join('\n');
  return { counts: Object.fromEntries(counts.map((c) => [c.t, c.n])), dump };
}
