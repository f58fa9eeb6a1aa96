// SPDX-License-Identifier: MIT
// The engine routes of the API: KPI cards and trends equal `salesdesk kpi/trend
// --json` for the same arguments and sums computed here from the order lines
// read with the sqlite3 shell; writes (a target through the API, an order
// imported with the CLI while the server runs) show in the next request;
// a rep's numbers cover exactly the lines the rep may see; bad parameters
// answer 400 naming them; targets, alerts and acknowledgements with their
// audit rows; /metrics carries the engine's gauges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, sql, tempDir, lineNet, moneyText, moneyUnits, parseExact, testDb, isPg } from './helpers.mjs';
import { startServer, addUser, request, login, errorOf } from './server.mjs';

const BOOKED = new Set(['pending', 'confirmed', 'on_hold', 'shipped', 'invoiced', 'paid']);
const STATUSES = ['shipped', 'paid', 'invoiced', 'pending', 'confirmed', 'cancelled', 'draft', 'returned', 'on_hold'];

/*
 * Three reps (R1, R2 in team T1; R3 in T2), five accounts: A1 owned by R1,
 * A2 owned by R2 and managed by R1, A3 and A5 owned by R2, A4 owned by R3.
 * 80 orders over 2024 by a fixed pseudo-random walk; some are taken by a
 * rep at an account they do not own (R1 at A3, R2 at A1).
 */
function bundle(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'reps.csv'), 'id,name,email,team,region,manager,discount_limit_pct\n' +
    'R1,Rita,,T1,EMEA,,10\nR2,Raj,,T1,EMEA,,10\nR3,Rosa,,T2,APAC,,10\n');
  writeFileSync(path.join(dir, 'accounts.csv'),
    'id,name,segment,region,country,city,owner_rep,account_manager,credit_limit,payment_terms_days,status,currency\n' +
    'A1,Acme,smb,EMEA,DE,Berlin,R1,,,30,active,USD\n' +
    'A2,Bolt,mid,EMEA,FR,Paris,R2,R1,,30,active,USD\n' +
    'A3,Crane,mid,EMEA,DE,Bonn,R2,,,30,active,USD\n' +
    'A4,Delta,ent,APAC,JP,Osaka,R3,,,30,active,USD\n' +
    'A5,Ember,smb,EMEA,IT,Rome,R2,R2,,30,active,USD\n');
  writeFileSync(path.join(dir, 'products.csv'), 'sku,name,category,list_price,cost,status,launch_date\n' +
    'P1,Widget,Tools,10,4,active,\nP2,Gear,Parts,25.5,11,active,\nP3,Bolt kit,Parts,3.35,1,active,\n');
  let orders = 'id,account,rep,order_date,requested_date,promised_date,ship_date,status,currency,ship_country,ship_address\n';
  let lines = 'order,line,sku,qty,unit_price,discount,shipped_qty\n';
  let seed = 4242;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor((seed / 2147483648) * n); };
  const pairs = [['A1', 'R1'], ['A2', 'R2'], ['A3', 'R2'], ['A4', 'R3'], ['A5', 'R2'], ['A3', 'R1'], ['A1', 'R2'], ['A2', 'R1']];
  for (let i = 1; i <= 80; i++) {
    const [account, rep] = pairs[rnd(pairs.length)];
    const month = String(1 + rnd(12)).padStart(2, '0');
    const day = String(1 + rnd(28)).padStart(2, '0');
    const status = STATUSES[rnd(STATUSES.length)];
    orders += `O${i},${account},${rep},2024-${month}-${day},,,,${status},USD,DE,\n`;
    const n = 1 + rnd(3);
    for (let l = 1; l <= n; l++) {
      const price = ['10', '25.5', '3.35', '99.99'][rnd(4)];
      const discount = ['0', '0.05', '0.125', '0.3333'][rnd(4)];
      lines += `O${i},${l},P${1 + rnd(3)},${1 + rnd(40)},${price},${discount},0\n`;
    }
  }
  writeFileSync(path.join(dir, 'orders.csv'), orders);
  writeFileSync(path.join(dir, 'lines.csv'), lines);
}

function fixtureDb(t, name) {
  const dir = tempDir(t, name);
  const db = testDb(dir, 'e.db');
  assert.equal(run(['init', '--db', db]).code, 0);
  bundle(path.join(dir, 'bundle'));
  const r = run(['import', 'bundle', path.join(dir, 'bundle'), '--map', 'native', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  return { dir, db };
}

function cli(args) {
  const r = run([...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return parseExact(r.stdout);
}

async function get(server, session, url) {
  const res = await request(server, url, { headers: { Cookie: session.cookie } });
  return { ...res, exact: res.json ? parseExact(res.text) : undefined };
}

async function send(server, session, method, url, body) {
  return request(server, url, { method, body, headers: { Cookie: session.cookie, 'X-CSRF-Token': session.csrf } });
}

const isoDay = (day) => new Date(Number(day) * 86400000).toISOString().slice(0, 10);

/** Every order line with its order, straight from the store; `visible(line)` picks some. */
function storeLines(db) {
  return sql(db, 'SELECT o.id AS order_id, o.order_date AS day, o.status, o.rep_id, o.account_id, ' +
    'l.qty, l.unit_price, l.discount FROM order_lines l JOIN orders o ON o.id = l.order_id')
    .map((l) => ({ ...l, iso: isoDay(l.day), net: lineNet(l.qty, l.unit_price, l.discount) }));
}

/** Booked revenue (BigInt) and distinct orders of the lines passing `keep`, per key. */
function totals(lines, keyOf, keep = () => true) {
  const out = new Map();
  for (const l of lines) {
    if (!BOOKED.has(l.status) || !keep(l)) continue;
    const k = keyOf(l);
    const e = out.get(k) || { revenue: 0n, orders: new Set() };
    e.revenue += l.net;
    e.orders.add(l.order_id);
    out.set(k, e);
  }
  return out;
}

function repView(db, rep) {
  const [{ id }] = sql(db, `SELECT id FROM reps WHERE ext_id = '${rep}'`);
  const accounts = new Set(sql(db, `SELECT id FROM accounts WHERE owner_rep_id = ${id} OR account_manager_id = ${id}`)
    .map((a) => a.id));
  return { id, accounts, sees: (l) => l.rep_id === id || accounts.has(l.account_id) };
}

async function setup(t, name) {
  const { dir, db } = fixtureDb(t, name);
  addUser(db, 'mona', 'manager', 'manager-password-1');
  addUser(db, 'rita', 'rep', 'rep-password-1', ['--rep', 'R1']);
  addUser(db, 'vic', 'viewer', 'viewer-password-1');
  const server = await startServer(t, db);
  const manager = await login(server, 'mona', 'manager-password-1');
  const rep = await login(server, 'rita', 'rep-password-1');
  const viewer = await login(server, 'vic', 'viewer-password-1');
  return { dir, db, server, manager, rep, viewer };
}

test('KPI cards and trends through the API equal the CLI --json and the sums of the store lines', async (t) => {
  const { db, server, manager } = await setup(t, 'api-engine-equal');
  const lines = storeLines(db);

  const months = await get(server, manager, '/api/v1/trends?measure=revenue&bucket=month&forecast=2');
  assert.equal(months.status, 200, months.text);
  assert.deepEqual(months.exact, cli(['trend', 'revenue', '--bucket', 'month', '--forecast', '2', '--db', db]));
  const byMonth = totals(lines, (l) => l.iso.slice(0, 7));
  assert.ok(months.exact.periods.length >= 10);
  months.exact.periods.forEach((p, i) => {
    const want = byMonth.get(p.period.slice(0, 7));
    assert.equal(months.exact.series[0].values[i], moneyText(want ? want.revenue : 0n), p.period);
  });

  const byRep = await get(server, manager, '/api/v1/trends?measure=orders&by=rep&bucket=quarter&where=region=EMEA');
  assert.equal(byRep.status, 200, byRep.text);
  assert.deepEqual(byRep.exact, cli(['trend', 'orders', '--by', 'rep', '--bucket', 'quarter', '--where', 'region=EMEA', '--db', db]));

  const args = ['--period', '2024-Q2', '--today', '2024-05-20', '--db', db];
  const cards = await get(server, manager, '/api/v1/kpis?period=2024-Q2&today=2024-05-20');
  assert.equal(cards.status, 200, cards.text);
  assert.deepEqual(cards.exact, cli(['kpi', ...args]));
  const q2 = totals(lines, () => 'all', (l) => l.iso >= '2024-04-01' && l.iso <= '2024-05-20').get('all');
  const card = (k, name) => k.cards.find((c) => c.name === name);
  assert.equal(card(cards.exact, 'revenue').value, moneyText(q2.revenue));
  assert.equal(card(cards.exact, 'orders').value, String(q2.orders.size));

  const byTeam = await get(server, manager, '/api/v1/kpis?period=2024&by=team&kpi=revenue,orders&today=2024-12-31');
  assert.deepEqual(byTeam.exact, cli(['kpi', '--period', '2024', '--by', 'team', '--kpi', 'revenue,orders', '--today', '2024-12-31', '--db', db]));
  const reps = new Map(sql(db, 'SELECT r.id, t.ext_id AS team FROM reps r JOIN teams t ON t.id = r.team_id').map((r) => [r.id, r.team]));
  const teams = totals(lines, (l) => reps.get(l.rep_id));
  assert.deepEqual(byTeam.exact.rows.map((r) => [r.key, r.cards[0].value, r.cards[1].value]),
    [...teams].sort().map(([k, v]) => [k, moneyText(v.revenue), String(v.orders.size)]));
});

test('a rep sees KPI and trend numbers over exactly the lines they may see, and no other account', async (t) => {
  const { db, server, rep, manager } = await setup(t, 'api-engine-rep');
  const lines = storeLines(db);
  const r1 = repView(db, 'R1');
  const mine = totals(lines, () => 'all', r1.sees).get('all');
  const all = totals(lines, () => 'all').get('all');
  assert.ok(mine.revenue > 0n && mine.revenue < all.revenue, 'the fixture gives R1 some lines and not all');

  const k = await get(server, rep, '/api/v1/kpis?period=2024&kpi=revenue,orders&today=2024-12-31');
  assert.equal(k.status, 200, k.text);
  assert.deepEqual(k.exact.cards.map((c) => c.value), [moneyText(mine.revenue), String(mine.orders.size)]);
  const company = await get(server, manager, '/api/v1/kpis?period=2024&kpi=revenue&today=2024-12-31');
  assert.equal(company.exact.cards[0].value, moneyText(all.revenue));

  const tr = await get(server, rep, '/api/v1/trends?measure=revenue&bucket=month&forecast=0');
  const byMonth = totals(lines, (l) => l.iso.slice(0, 7), r1.sees);
  tr.exact.periods.forEach((p, i) => {
    const want = byMonth.get(p.period);
    assert.equal(tr.exact.series[0].values[i], moneyText(want ? want.revenue : 0n), p.period);
  });

  // By account: only A1 (owned) and A2 (managed); R1's orders at A3 count in the totals above.
  const accountIds = new Map(sql(db, 'SELECT id, ext_id FROM accounts').map((a) => [a.id, a.ext_id]));
  assert.ok(lines.some((l) => BOOKED.has(l.status) && l.rep_id === r1.id && accountIds.get(l.account_id) === 'A3'));
  const byAccount = await get(server, rep, '/api/v1/kpis?period=2024&by=account&kpi=revenue&today=2024-12-31');
  const own = totals(lines, (l) => accountIds.get(l.account_id), (l) => r1.accounts.has(l.account_id));
  assert.deepEqual(byAccount.exact.rows.map((r) => [r.key, r.cards[0].value]),
    [...own].sort().map(([key, v]) => [key, moneyText(v.revenue)]));
  const trAccount = await get(server, rep, '/api/v1/trends?measure=revenue&by=account&bucket=year');
  assert.deepEqual(trAccount.exact.series.map((s) => s.key), ['A1', 'A2']);

  // Another rep's account answers like an account that does not exist.
  const other = await get(server, rep, '/api/v1/trends?measure=revenue&where=account=A3');
  const none = await get(server, rep, '/api/v1/trends?measure=revenue&where=account=NOPE');
  assert.equal(other.status, 400);
  assert.deepEqual(errorOf(other).details, [{ field: 'where', message: "no account 'A3'" }]);
  assert.deepEqual(errorOf(none).details, [{ field: 'where', message: "no account 'NOPE'" }]);
  const a1 = await get(server, rep, '/api/v1/trends?measure=revenue&bucket=year&where=account=A1&forecast=0');
  assert.equal(a1.exact.series[0].values[0], moneyText(own.get('A1').revenue));
  // The manager may name A3.
  assert.equal((await get(server, manager, '/api/v1/trends?measure=revenue&where=account=A3')).status, 200);
});

test('a target set through the API and an order imported by the CLI show in the next request, audited', async (t) => {
  const { dir, db, server, manager, rep, viewer } = await setup(t, 'api-engine-write');
  const lines = storeLines(db);
  const q3 = totals(lines, () => 'all', (l) => l.iso >= '2024-07-01' && l.iso <= '2024-09-30').get('all');

  const put = await send(server, manager, 'PUT', '/api/v1/kpis/revenue/targets',
    { period: '2024-Q3', target: 1000000, amber_at_pct: 80 });
  assert.equal(put.status, 201, put.text);
  assert.deepEqual(parseExact(put.text), { kpi: 'revenue', scope: 'company', scope_key: '', period: '2024-Q3', target: '1000000', green_at_pct: '100', amber_at_pct: '80', source: 'target' });
  let audit = sql(db, "SELECT action, user_id, actor, entity_id, before_json, after_json FROM audit_log WHERE entity = 'kpi_target'");
  assert.equal(audit.length, 1);
  assert.equal(audit[0].action, 'kpi_target.create');
  assert.equal(audit[0].actor, 'api:mona');
  assert.equal(audit[0].before_json, null);
  assert.deepEqual(JSON.parse(audit[0].after_json), { target: 1000000, green_at_pct: 100, amber_at_pct: 80 });
  const [target] = sql(db, `SELECT target, green_at, amber_at FROM kpi_targets WHERE id = ${audit[0].entity_id}`);
  assert.deepEqual(target, { target: '10000000000', green_at: '1000000', amber_at: '800000' });
  assert.equal(sql(db, `SELECT count(*) AS n FROM change_log WHERE entity = 'kpi_target' AND entity_id = ${audit[0].entity_id}`)[0].n, '1');

  const url = '/api/v1/kpis?period=2024-Q3&kpi=revenue&today=2024-09-30';
  let k = await get(server, manager, url);
  assert.equal(k.exact.cards[0].target, '1000000');
  assert.equal(k.exact.cards[0].value, moneyText(q3.revenue));
  assert.equal(k.exact.cards[0].status, q3.revenue >= 10000000000n ? 'green' : q3.revenue >= 8000000000n ? 'amber' : 'red');

  const change = await send(server, manager, 'PUT', '/api/v1/kpis/revenue/targets', { period: '2024-Q3', target: 5, scope: 'company' });
  assert.equal(change.status, 200, change.text);
  audit = sql(db, "SELECT action, before_json, after_json FROM audit_log WHERE entity = 'kpi_target' ORDER BY id");
  assert.equal(audit[1].action, 'kpi_target.update');
  assert.deepEqual(JSON.parse(audit[1].before_json), { target: 1000000, green_at_pct: 100, amber_at_pct: 80 });
  assert.deepEqual(JSON.parse(audit[1].after_json), { target: 5, green_at_pct: 100, amber_at_pct: 90 });
  k = await get(server, manager, url);
  assert.equal(k.exact.cards[0].status, 'green');
  assert.equal((await get(server, manager, '/api/v1/kpis/revenue/targets')).exact.items.length, 1);
  // A rep sees only targets of their own rep scope, and none applies to their cards here.
  const repTargets = await get(server, rep, '/api/v1/kpis/revenue/targets');
  assert.deepEqual(repTargets.exact, { kpi: 'revenue', items: [] });
  assert.equal((await get(server, rep, url)).exact.cards[0].target, null);
  assert.equal((await send(server, viewer, 'PUT', '/api/v1/kpis/revenue/targets', { period: '2024-Q3', target: 5 })).status, 403);

  // An order imported by the CLI while the server runs is in the next answer, the account
  // status's revenue included (summed from the engine's facts once they are built).
  const statusUrl = '/api/v1/accounts/A4/status?today=2024-09-30';
  const before = await get(server, manager, statusUrl);
  assert.equal(before.status, 200, before.text);
  writeFileSync(path.join(dir, 'new-orders.csv'), 'id,account,rep,order_date,requested_date,promised_date,ship_date,status,currency,ship_country,ship_address\n' +
    'NEW1,A4,R3,2024-08-15,,,,confirmed,USD,JP,\n');
  writeFileSync(path.join(dir, 'new-lines.csv'), 'order,line,sku,qty,unit_price,discount,shipped_qty\nNEW1,1,P2,7,123.4567,0.1,0\n');
  let r = run(['import', 'orders', path.join(dir, 'new-orders.csv'), '--map', 'native', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  r = run(['import', 'lines', path.join(dir, 'new-lines.csv'), '--map', 'native', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  const [{ seq }] = sql(db, 'SELECT max(seq) AS seq FROM change_log');
  const metrics = async () => Object.fromEntries((await request(server, '/metrics')).text.split('\n')
    .filter((l) => l.startsWith('salesdesk_engine_')).map((l) => l.split(' ')));
  let m = await metrics();
  assert.ok(Number(m.salesdesk_engine_change_log_lag) > 0, 'the engine has not caught up before an engine request');
  const status = await get(server, manager, statusUrl);
  assert.equal(moneyUnits(status.exact.revenue.trailing_12.revenue),
    moneyUnits(before.exact.revenue.trailing_12.revenue) + lineNet(7, 1234567, 100000));
  assert.deepEqual(status.exact, cli(['account', 'A4', '--today', '2024-09-30', '--db', db]));
  k = await get(server, manager, url);
  assert.equal(k.exact.cards[0].value, moneyText(q3.revenue + lineNet(7, 1234567, 100000)));
  m = await metrics();
  assert.equal(m.salesdesk_engine_change_log_lag, '0');
  assert.equal(m.salesdesk_engine_change_log_applied, seq);
  assert.equal(m.salesdesk_engine_lines, String(lines.length + 1));
  assert.ok(Number(m.salesdesk_engine_build_seconds) >= 0);
});

test('alerts: listed newest first in pages, a rep sees their own scope only, acknowledged once with an audit row', async (t) => {
  const { db, server, manager, rep } = await setup(t, 'api-engine-alerts');
  // Unreachable targets for the company and for R1 and R2 in 2024-Q4, checked on its last day: three red alerts.
  for (const scope of ['company', 'rep=R1', 'rep=R2']) {
    const res = await send(server, manager, 'PUT', '/api/v1/kpis/revenue/targets', { period: '2024-Q4', target: 99999999, scope });
    assert.equal(res.status, 201, res.text);
  }
  const check = run(['alerts', 'check', '--today', '2024-12-31', '--db', db, '--json']);
  assert.equal(check.code, 0, check.stderr);
  assert.equal(JSON.parse(check.stdout).raised, 3);
  const ids = sql(db, 'SELECT id FROM kpi_alerts ORDER BY raised_at DESC, id DESC').map((a) => a.id);

  const first = await get(server, manager, '/api/v1/alerts?limit=2');
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.json.items.map((a) => String(a.id)), ids.slice(0, 2));
  assert.ok(first.json.next_cursor);
  const second = await get(server, manager, `/api/v1/alerts?limit=2&cursor=${first.json.next_cursor}`);
  assert.deepEqual(second.json.items.map((a) => String(a.id)), ids.slice(2));
  assert.equal(second.json.next_cursor, null);
  assert.ok(first.json.items.every((a) => a.level === 'red' && a.kpi === 'revenue' && a.acked_at === null));

  const mine = await get(server, rep, '/api/v1/alerts?state=all');
  assert.deepEqual(mine.json.items.map((a) => [a.scope, a.scope_key]), [['rep', 'R1']]);
  assert.equal((await send(server, rep, 'POST', `/api/v1/alerts/${ids[0]}/ack`)).status, 403);

  const ack = await send(server, manager, 'POST', `/api/v1/alerts/${ids[0]}/ack`);
  assert.equal(ack.status, 200, ack.text);
  assert.ok(ack.json.acked_at);
  const [row] = sql(db, `SELECT acked_by, acked_at FROM kpi_alerts WHERE id = ${ids[0]}`);
  assert.equal(row.acked_by, sql(db, "SELECT id FROM users WHERE login = 'mona'")[0].id);
  const [a] = sql(db, `SELECT action, actor, before_json, after_json FROM audit_log WHERE entity = 'kpi_alert' AND entity_id = ${ids[0]}`);
  assert.equal(a.action, 'kpi_alert.ack');
  assert.equal(a.actor, 'api:mona');
  assert.equal(JSON.parse(a.after_json).acked_at, ack.json.acked_at);
  const again = await send(server, manager, 'POST', `/api/v1/alerts/${ids[0]}/ack`);
  assert.equal(again.status, 409);
  assert.equal(errorOf(again).code, 'conflict');
  assert.equal((await send(server, manager, 'POST', '/api/v1/alerts/999999/ack')).status, 404);
  assert.equal((await send(server, manager, 'POST', '/api/v1/alerts/x1/ack')).status, 404);
  assert.equal((await get(server, manager, '/api/v1/alerts')).json.items.length, 2, 'open alerts by default');
  assert.equal((await get(server, manager, '/api/v1/alerts?state=acknowledged')).json.items.length, 1);
  assert.equal((await get(server, manager, '/api/v1/alerts?kpi=orders&state=all')).json.items.length, 0);
});

test('bad parameters and bodies answer 400 naming them; an unknown KPI answers 404', async (t) => {
  const { server, manager } = await setup(t, 'api-engine-bad');
  const cases = [
    ['/api/v1/trends?measure=revnue', ['measure']],
    ['/api/v1/trends', ['measure']],
    ['/api/v1/trends?measure=revenue&by=planet&bucket=fortnight', ['by', 'bucket']],
    ['/api/v1/trends?measure=revenue&period=2024-13', ['period']],
    ['/api/v1/trends?measure=revenue&from=2024-02-30', ['from']],
    ['/api/v1/trends?measure=revenue&where=planet=Mars', ['where']],
    ['/api/v1/trends?measure=revenue&where=region=Mars', ['where']],
    ['/api/v1/trends?measure=revenue&movers=true', ['movers']],
    ['/api/v1/trends?measure=revenue&forecast=-1', ['forecast']],
    ['/api/v1/trends?measure=revenue&colour=red', ['colour']],
    ['/api/v1/kpis?period=2024-Q5', ['period']],
    ['/api/v1/kpis?scope=galaxy', ['scope']],
    ['/api/v1/kpis?scope=rep=R9', ['scope']],
    ['/api/v1/kpis?by=rep&scope=rep=R1', ['by']],
    ['/api/v1/kpis?kpi=revenue,nope', ['kpi']],
    ['/api/v1/kpis?today=yesterday', ['today']],
    ['/api/v1/alerts?state=closed', ['state']],
    ['/api/v1/alerts?cursor=!!', ['cursor']],
  ];
  for (const [url, fields] of cases) {
    const res = await get(server, manager, url);
    assert.equal(res.status, 400, `${url}: ${res.text}`);
    const e = errorOf(res);
    assert.equal(e.code, 'invalid_input', url);
    assert.deepEqual(e.details.map((d) => d.field), fields, url);
  }
  const bodies = [
    [{ period: '2024-Q3' }, ['target']],
    [{ target: 5 }, ['period']],
    [{ period: '2024-Q3', target: '5' }, ['target']],
    [{ period: '2024-Q3', target: 5.12345 }, ['target']],
    [{ period: '2024-Q3', target: 5, amber_at_pct: 95, green_at_pct: 90 }, ['amber_at_pct']],
    [{ period: '2024-Q3', target: 5, scope: 'rep' }, ['scope']],
    [{ period: '2024-Q3', target: 5, scope: 7 }, ['scope']],
    [{ period: null, target: null }, ['period', 'target']],
    [{ period: '2024-Q3', target: 5, colour: 'red' }, ['colour']],
  ];
  for (const [body, fields] of bodies) {
    const res = await send(server, manager, 'PUT', '/api/v1/kpis/revenue/targets', body);
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    assert.deepEqual(errorOf(res).details.map((d) => d.field), fields, JSON.stringify(body));
  }
  for (const res of [await get(server, manager, '/api/v1/kpis/nope/targets'),
    await send(server, manager, 'PUT', '/api/v1/kpis/nope/targets', { period: '2024-Q3', target: 5 })]) {
    assert.equal(res.status, 404);
    assert.equal(errorOf(res).message, "no KPI 'nope'");
  }
  assert.equal((await request(server, '/healthz')).status, 200);
});

test('the server starts on an empty store and answers KPI, trend and metrics requests', async (t) => {
  const db = testDb(tempDir(t, 'api-engine-empty'), 'empty.db');
  assert.equal(run(['init', '--db', db]).code, 0);
  addUser(db, 'ann', 'admin', 'admin-password-1');
  const server = await startServer(t, db);
  const admin = await login(server, 'ann', 'admin-password-1');
  const k = await get(server, admin, '/api/v1/kpis?kpi=revenue,aov');
  assert.equal(k.status, 200, k.text);
  assert.deepEqual(k.exact.cards.map((c) => c.value), ['0', null]);
  const tr = await get(server, admin, '/api/v1/trends?measure=revenue');
  assert.deepEqual([tr.status, tr.json.periods, tr.json.series], [200, [], []]);
  const m = (await request(server, '/metrics')).text;
  assert.match(m, /^salesdesk_engine_lines 0$/m);
  assert.match(m, /^salesdesk_engine_change_log_lag 0$/m);
  assert.match(server.stderr(), /engine: 0 order lines read in \d+\.\d{3} s/);
});

test('a store the engine cannot read is served without the engine: KPIs and /healthz answer 503, the rest answers', async (t) => {
  const { db } = fixtureDb(t, 'api-engine-failed');
  addUser(db, 'ann', 'admin', 'admin-password-1');
  // An order id past 2^32, which the engine's facts refuse (their order slots are 32-bit).
  // (Foreign keys unchecked for these writes: the sqlite3 shell does not check them, psql is told not to.)
  const noFk = isPg(db) ? 'SET session_replication_role = replica;' : '';
  sql(db, `${noFk}UPDATE order_lines SET order_id = 5000000000 WHERE order_id = (SELECT id FROM orders WHERE ext_id = 'O1');` +
    "UPDATE orders SET id = 5000000000 WHERE ext_id = 'O1'");
  const server = await startServer(t, db);
  const admin = await login(server, 'ann', 'admin-password-1');
  const health = await request(server, '/healthz');
  assert.equal(health.status, 503);
  assert.deepEqual(health.json, { status: 'unavailable', store: 'ok', engine: 'failed' });
  const k = await request(server, '/api/v1/kpis', { headers: { Cookie: admin.cookie } });
  assert.equal(k.status, 503);
  assert.equal(errorOf(k).code, 'engine_unavailable');
  const tr = await request(server, '/api/v1/trends?measure=revenue', { headers: { Cookie: admin.cookie } });
  assert.equal(errorOf(tr).code, 'engine_unavailable');
  // Everything that does not need the engine answers, O1 included.
  const o = await request(server, '/api/v1/orders/O1', { headers: { Cookie: admin.cookie } });
  assert.equal(o.status, 200, o.text);
  assert.equal(o.json.id, 'O1');
  // The account status reads the store itself while the engine is away.
  const s = await request(server, `/api/v1/accounts/${o.json.account}/status?today=2024-12-31`, { headers: { Cookie: admin.cookie } });
  assert.equal(s.status, 200, s.text);
  assert.deepEqual(parseExact(s.text), cli(['account', o.json.account, '--today', '2024-12-31', '--db', db]));
  assert.match((await request(server, '/metrics')).text, /^salesdesk_engine_ready 0$/m);
  assert.match(server.stderr(), /engine: building the facts failed \(trying again in 1 s\): .*order id \(past 2\^32\)/);
  // The build is tried again with a growing wait: once the store is readable, the engine is back.
  sql(db, `${noFk}UPDATE order_lines SET order_id = 1000 WHERE order_id = 5000000000;` +
    'UPDATE orders SET id = 1000 WHERE id = 5000000000');
  let back;
  for (const until = Date.now() + 20000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    back = await request(server, '/api/v1/kpis?kpi=revenue', { headers: { Cookie: admin.cookie } });
    if (back.status !== 503) break;
  }
  assert.equal(back.status, 200, back.text);
  assert.deepEqual((await request(server, '/healthz')).json, { status: 'ok', store: 'ok', engine: 'ready' });
});

test('/healthz and /metrics say when the engine is ready', async (t) => {
  const { db } = fixtureDb(t, 'api-engine-ready');
  const server = await startServer(t, db);
  // The build of 80 orders takes milliseconds; an engine request would wait for it.
  let health;
  for (const until = Date.now() + 10000; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
    health = await request(server, '/healthz');
    if (health.json.engine !== 'loading') break;
  }
  assert.equal(health.status, 200);
  assert.deepEqual(health.json, { status: 'ok', store: 'ok', engine: 'ready' });
  assert.match((await request(server, '/metrics')).text, /^salesdesk_engine_ready 1$/m);
});
