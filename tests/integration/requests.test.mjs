// SPDX-License-Identifier: MIT
// Customer requests, notes and the account timeline against the real binary,
// on a hand-written fixture (native CSV written here, imported as a bundle):
// a create/assign/status/note round trip with its change_log and audit rows
// read back with the sqlite3 shell; refused writes (a closed request
// resolved, an unknown rep, status or request, a transition not allowed)
// that exit 3 with a clear message and change nothing; the request queue's
// order and breach flags at a fixed clock, computed here from the SLA
// targets; and the timeline of a fixture account in its exact order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { userInfo } from 'node:os';
import path from 'node:path';
import { run, sql, tempDir, parseExact, lineNet, moneyText, moneyUnits, testDb } from './helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HOUR = 3600000;
const ms = (iso) => Date.parse(iso);
const iso = (t) => new Date(t).toISOString();
const ACTOR = `cli:${userInfo().username}`;

function csv(rows, header) {
  return [header.join(','), ...rows.map((r) => header.map((h) => r[h] ?? '').join(','))].join('\n') + '\n';
}

const HEADERS = {
  reps: ['id', 'name', 'email', 'team', 'region', 'manager', 'discount_limit_pct'],
  accounts: ['id', 'name', 'segment', 'region', 'country', 'city', 'owner_rep', 'account_manager', 'credit_limit',
    'payment_terms_days', 'status', 'currency'],
  products: ['sku', 'name', 'category', 'list_price', 'cost', 'status', 'launch_date'],
  orders: ['id', 'account', 'rep', 'order_date', 'requested_date', 'promised_date', 'ship_date', 'status', 'currency',
    'ship_country', 'ship_address'],
  lines: ['order', 'line', 'sku', 'qty', 'unit_price', 'discount', 'shipped_qty'],
  invoices: ['id', 'order', 'account', 'issue_date', 'due_date', 'amount', 'paid_amount', 'paid_date'],
  opportunities: ['id', 'account', 'rep', 'name', 'stage', 'amount', 'created_date', 'expected_close', 'closed_date',
    'outcome', 'lost_reason', 'source'],
  stages: ['opportunity', 'stage', 'entered_date'],
  requests: ['id', 'account', 'order', 'kind', 'subject', 'priority', 'status', 'opened_at', 'first_response_at',
    'resolved_at', 'assignee'],
};

/** A fresh database with the fixture's kinds imported; returns its path. */
function fixtureDb(t, name, kinds) {
  const dir = tempDir(t, name);
  const bundle = path.join(dir, 'bundle');
  mkdirSync(bundle);
  for (const [kind, rows] of Object.entries(kinds)) writeFileSync(path.join(bundle, `${kind}.csv`), csv(rows, HEADERS[kind]));
  const db = testDb(dir, 'store.db');
  assert.equal(run(['init', '--db', db]).code, 0);
  const r = run(['import', 'bundle', bundle, '--map', 'native', '--db', db, '--no-alerts']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return db;
}

const reps = [{ id: 'REP1', name: 'Rita One' }, { id: 'REP2', name: 'Sam Two' }];
const accounts = [{ id: 'A1', name: 'Plain Co', owner_rep: 'REP1', status: 'active' },
  { id: 'A2', name: 'Other Co', owner_rep: 'REP2', status: 'active' }];
const products = [{ sku: 'P1', name: 'Widget', list_price: '25', status: 'active' }];

function ok(args, db) {
  const r = run([...args, '--db', db]);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}
const json = (args, db) => parseExact(ok([...args, '--json'], db).stdout);

/** Every row a desk write could touch, to prove a refused write changed nothing. */
function snapshot(db) {
  return JSON.stringify([
    sql(db, 'SELECT * FROM requests ORDER BY id'), sql(db, 'SELECT * FROM notes ORDER BY id'),
    sql(db, 'SELECT count(*) AS n FROM change_log'), sql(db, 'SELECT count(*) AS n FROM audit_log'),
  ]);
}

function lastAudit(db, n = 1) {
  return sql(db, `SELECT * FROM audit_log ORDER BY id DESC LIMIT ${n}`).reverse();
}

test('create, assign, change status and note: rows, change_log and audit as a user would check them', (t) => {
  const db = fixtureDb(t, 'requests-trip', {
    reps, accounts, products,
    orders: [{ id: 'O1', account: 'A1', rep: 'REP1', order_date: '2026-06-01', status: 'confirmed' }],
    lines: [{ order: 'O1', line: '1', sku: 'P1', qty: '4', unit_price: '25', discount: '0', shipped_qty: '0' }],
  });
  const accountId = sql(db, "SELECT id FROM accounts WHERE ext_id = 'A1'")[0].id;
  const orderId = sql(db, "SELECT id FROM orders WHERE ext_id = 'O1'")[0].id;
  const repId = Object.fromEntries(sql(db, 'SELECT ext_id, id FROM reps').map((r) => [r.ext_id, r.id]));
  const changes0 = Number(sql(db, 'SELECT count(*) AS n FROM change_log')[0].n);

  // Opened at 23:30 (high: 4 h to answer, 24 h to resolve).
  const T0 = '2026-06-29T23:30:00.000Z';
  const created = json(['request', 'new', '--account', 'A1', '--order', 'O1', '--kind', 'delivery_status',
    '--subject', 'Where is my delivery?', '--priority', 'high', '--assignee', 'REP1', '--now', T0], db);
  assert.equal(created.id, 'R1');
  assert.equal(created.status, 'open');
  assert.equal(created.opened_at, T0);
  assert.equal(created.sla.first_response.due_at, '2026-06-30T03:30:00.000Z');
  assert.equal(created.sla.resolution.due_at, '2026-06-30T23:30:00.000Z');
  const [row] = sql(db, "SELECT * FROM requests WHERE ext_id = 'R1'");
  assert.deepEqual(row, {
    id: row.id, source: 'salesdesk', ext_id: 'R1', account_id: accountId, order_id: orderId, kind: 'delivery_status',
    subject: 'Where is my delivery?', priority: 'high', status: 'open', opened_at: String(ms(T0)),
    first_response_at: null, resolved_at: null, assignee_rep_id: repId.REP1,
  });
  const id = row.id;
  let [a] = lastAudit(db);
  assert.equal(a.action, 'request.create');
  assert.equal(a.entity, 'request');
  assert.equal(a.entity_id, id);
  assert.equal(a.user_id, null);
  assert.equal(a.actor, ACTOR);
  assert.equal(a.before_json, null);
  assert.deepEqual(JSON.parse(a.after_json), {
    id: 'R1', source: 'salesdesk', account: 'A1', order: 'O1', kind: 'delivery_status',
    subject: 'Where is my delivery?', priority: 'high', status: 'open', opened_at: T0, assignee: 'REP1',
  });
  const at = Number(a.at);
  assert.ok(Math.abs(at - Date.now()) < 60000, 'audit time is the real time of the write');

  ok(['request', 'assign', 'R1', 'REP2'], db);
  [a] = lastAudit(db);
  assert.equal(a.action, 'request.assign');
  assert.deepEqual([JSON.parse(a.before_json), JSON.parse(a.after_json)], [{ assignee: 'REP1' }, { assignee: 'REP2' }]);
  assert.equal(sql(db, `SELECT assignee_rep_id AS r FROM requests WHERE id = ${id}`)[0].r, repId.REP2);

  // Out of open: the first response, at the clock of the command.
  const T1 = '2026-06-30T01:00:00.000Z';
  ok(['request', 'status', 'R1', 'in_progress', '--now', T1], db);
  [a] = lastAudit(db);
  assert.equal(a.action, 'request.status');
  assert.deepEqual(JSON.parse(a.before_json), { status: 'open', first_response_at: null });
  assert.deepEqual(JSON.parse(a.after_json), { status: 'in_progress', first_response_at: T1 });

  // A note after the first response changes nothing on the request.
  const T2 = '2026-06-30T02:00:00.000Z';
  ok(['request', 'note', 'R1', 'Called the carrier: it ships tomorrow', '--now', T2], db);
  [a] = lastAudit(db);
  assert.equal(a.action, 'note.create');
  assert.equal(a.entity, 'note');
  assert.deepEqual(JSON.parse(a.after_json), {
    on: 'request', id: 'R1', author: ACTOR, created_at: T2, body: 'Called the carrier: it ships tomorrow',
  });
  assert.deepEqual(sql(db, 'SELECT entity, entity_id, author_user_id, author, body, created_at FROM notes'), [{
    entity: 'request', entity_id: id, author_user_id: null, author: ACTOR,
    body: 'Called the carrier: it ships tomorrow', created_at: String(ms(T2)),
  }]);

  const T3 = '2026-06-30T20:00:00.000Z';
  ok(['request', 'status', 'R1', 'resolved', '--now', T3], db);
  assert.deepEqual(JSON.parse(lastAudit(db)[0].after_json), { status: 'resolved', resolved_at: T3 });
  // Reopened: resolved_at cleared, the first response stays.
  ok(['request', 'status', 'R1', 'in_progress', '--now', '2026-07-01T08:00:00Z'], db);
  assert.deepEqual(JSON.parse(lastAudit(db)[0].before_json), { status: 'resolved', resolved_at: T3 });
  assert.deepEqual(JSON.parse(lastAudit(db)[0].after_json), { status: 'in_progress', resolved_at: null });
  const T5 = '2026-07-01T09:00:00.000Z';
  ok(['request', 'status', 'R1', 'resolved', '--now', T5], db);
  ok(['request', 'status', 'R1', 'closed', '--now', '2026-07-02T09:00:00Z'], db);
  assert.deepEqual(sql(db, `SELECT status, first_response_at AS f, resolved_at AS r FROM requests WHERE id = ${id}`),
    [{ status: 'closed', f: String(ms(T1)), r: String(ms(T5)) }]);

  const shown = json(['request', 'R1', '--now', '2026-07-03T00:00:00Z'], db);
  assert.equal(shown.status, 'closed');
  assert.equal(shown.assignee, 'REP2');
  assert.deepEqual(shown.notes, [{ created_at: T2, author: ACTOR, body: 'Called the carrier: it ships tomorrow' }]);
  // Answered after 1 h 30 min (in time), resolved after 33 h 30 min (24 h allowed: late).
  assert.equal(shown.sla.first_response.breached, false);
  assert.equal(shown.sla.resolution.breached, true);
  assert.equal(shown.sla.resolution.done_at, T5);
  assert.equal(shown.sla.next_due_at, null);

  // A second request answered first by a note: the note is its first response.
  ok(['request', 'new', '--account', 'A1', '--kind', 'price_query', '--subject', 'Volume price', '--now', T0], db);
  const T6 = '2026-06-30T05:00:00.000Z';
  ok(['note', 'request', 'R2', 'Sent the price list', '--now', T6], db);
  const [noteAudit, respAudit] = lastAudit(db, 2);
  assert.equal(noteAudit.action, 'note.create');
  assert.equal(respAudit.action, 'request.first_response');
  assert.deepEqual([JSON.parse(respAudit.before_json), JSON.parse(respAudit.after_json)],
    [{ first_response_at: null }, { first_response_at: T6 }]);
  const [r2] = sql(db, "SELECT id, source, status, priority, first_response_at AS f FROM requests WHERE ext_id = 'R2'");
  assert.deepEqual(r2, { id: r2.id, source: 'salesdesk', status: 'open', priority: 'normal', f: String(ms(T6)) });

  // Notes on an order and an account; every write appended its change_log row.
  ok(['note', 'order', 'O1', 'Customer wants a morning delivery'], db);
  ok(['note', 'account', 'A1', 'New buyer from July'], db);
  const log = sql(db, 'SELECT entity, entity_id, op FROM change_log ORDER BY seq').slice(Number(changes0));
  const noteIds = sql(db, 'SELECT id FROM notes ORDER BY id').map((n) => n.id);
  assert.deepEqual(log.map((c) => `${c.entity} ${c.entity_id} ${c.op}`), [
    `request ${id} insert`, `request ${id} update`, `request ${id} update`, `note ${noteIds[0]} insert`,
    `request ${id} update`, `request ${id} update`, `request ${id} update`, `request ${id} update`,
    `request ${r2.id} insert`, `note ${noteIds[1]} insert`, `request ${r2.id} update`,
    `note ${noteIds[2]} insert`, `note ${noteIds[3]} insert`,
  ]);
  assert.equal(Number(sql(db, 'SELECT count(*) AS n FROM audit_log')[0].n), 13);
});

test('refused writes exit 3 with a clear message and change nothing', (t) => {
  const db = fixtureDb(t, 'requests-refused', {
    reps, accounts, products,
    orders: [{ id: 'O2', account: 'A2', rep: 'REP2', order_date: '2026-06-01', status: 'confirmed' }],
    lines: [{ order: 'O2', line: '1', sku: 'P1', qty: '1', unit_price: '25', discount: '0', shipped_qty: '0' }],
    requests: [
      { id: 'QCLOSED', account: 'A1', kind: 'return', subject: 'Done', priority: 'low', status: 'closed',
        opened_at: '2026-06-01T09:00:00Z', first_response_at: '2026-06-01T10:00:00Z', resolved_at: '2026-06-02T09:00:00Z', assignee: 'REP1' },
      { id: 'QOPEN', account: 'A1', kind: 'return', subject: 'Broken', priority: 'high', status: 'open',
        opened_at: '2026-06-29T09:00:00Z', assignee: 'REP1' },
    ],
  });
  const cases = [
    [['request', 'status', 'QCLOSED', 'resolved'], /request 'QCLOSED' is closed and cannot become resolved: closed is final/],
    [['request', 'status', 'QCLOSED', 'open'], /request 'QCLOSED' is closed and cannot become open: closed is final/],
    [['request', 'assign', 'QCLOSED', 'REP2'], /request 'QCLOSED' is closed: closed is final/],
    [['request', 'assign', 'QOPEN', 'NOPE'], /cannot assign request 'QOPEN': no rep with id 'NOPE'/],
    [['request', 'assign', 'QOPEN', 'REP1'], /request 'QOPEN' is already assigned to 'REP1'/],
    [['request', 'status', 'QOPEN', 'done'], /'done' is not a request status \(open, in_progress, waiting, resolved, closed\)/],
    [['request', 'status', 'QOPEN', 'closed'], /request 'QOPEN' cannot go from open to closed \(from open: in_progress, waiting, resolved\)/],
    [['request', 'status', 'QOPEN', 'open'], /request 'QOPEN' is already open/],
    [['request', 'status', 'R999', 'resolved'], /no request with id 'R999'/],
    [['request', 'assign', 'R999', 'REP1'], /no request with id 'R999'/],
    [['request', 'note', 'R999', 'hello'], /no request with id 'R999'/],
    [['note', 'order', 'NOPE', 'hello'], /no order with id 'NOPE'/],
    [['note', 'account', 'A1', '  \n '], /a note needs some text/],
    [['request', 'new', '--account', 'NOPE', '--kind', 'k', '--subject', 's'], /no account with id 'NOPE'/],
    [['request', 'new', '--account', 'A1', '--order', 'O2', '--kind', 'k', '--subject', 's'], /order 'O2' is not an order of account 'A1'/],
    [['request', 'new', '--account', 'A1', '--kind', 'k', '--subject', 's', '--priority', 'asap'], /priority 'asap' is not one of low, normal, high, urgent/],
    [['request', 'new', '--account', 'A1', '--kind', 'k', '--subject', 's', '--assignee', 'NOPE'], /no rep with id 'NOPE'/],
    [['request', 'new', '--account', 'A1', '--kind', 'k', '--subject', ' '], /a request needs a subject/],
  ];
  const before = snapshot(db);
  for (const [args, pattern] of cases) {
    const r = run([...args, '--db', db]);
    assert.equal(r.code, 3, `${args.join(' ')}: exit ${r.code}, ${r.stderr}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.split('\n').filter((l) => l);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^salesdesk: /);
    assert.match(lines[0], pattern);
    assert.equal(snapshot(db), before, `${args.join(' ')} changed nothing`);
  }
  // Usage errors exit 2; a missing request on a read exits 1.
  assert.equal(run(['request', 'new', '--account', 'A1', '--db', db]).code, 2);
  assert.equal(run(['request', 'QOPEN', '--kind', 'x', '--db', db]).code, 2);
  assert.equal(run(['request', 'QOPEN', '--now', 'yesterday', '--db', db]).code, 2);
  assert.equal(run(['note', 'invoice', 'X', 'y', '--db', db]).code, 2);
  assert.equal(run(['request', 'R999', '--db', db]).code, 1);
  assert.equal(snapshot(db), before);
});

test('every transition docs/desk.md allows is accepted, and every other one refused', (t) => {
  const db = fixtureDb(t, 'requests-transitions', { reps, accounts });
  const doc = readFileSync(path.join(ROOT, 'docs/desk.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### States and transitions'), doc.indexOf('### Times'));
  const allowed = {};
  for (const m of section.matchAll(/^\| `([a-z_]+)` \| (.*) \|$/gm)) allowed[m[1]] = [...m[2].matchAll(/`([a-z_]+)`/g)].map((x) => x[1]);
  const states = ['open', 'in_progress', 'waiting', 'resolved', 'closed'];
  assert.deepEqual(Object.keys(allowed), states);
  const pathTo = { open: [], in_progress: ['in_progress'], waiting: ['waiting'], resolved: ['resolved'], closed: ['resolved', 'closed'] };
  let n = 0;
  for (const from of states) {
    for (const to of states) {
      const id = `R${++n}`;
      ok(['request', 'new', '--account', 'A1', '--kind', 'k', '--subject', `${from} to ${to}`], db);
      for (const step of pathTo[from]) ok(['request', 'status', id, step], db);
      const r = run(['request', 'status', id, to, '--db', db]);
      assert.equal(r.code, allowed[from].includes(to) ? 0 : 3, `${from} -> ${to}: ${r.stderr}`);
      assert.equal(sql(db, `SELECT status FROM requests WHERE ext_id = '${id}'`)[0].status, r.code === 0 ? to : from);
    }
  }
});

// ---- the queue ----

const TARGETS = { low: [24, 168], normal: [8, 72], high: [4, 24], urgent: [1, 8] }; // hours, docs/engine.md
const RANK = { low: 0, normal: 1, high: 2, urgent: 3 };
const NOW = '2026-06-30T12:00:00Z';
const queueRequests = [
  { id: 'QA', priority: 'urgent', status: 'open', opened_at: '2026-06-30T11:00:00Z', assignee: 'REP1' }, // due 12:00: at the deadline
  { id: 'QB', priority: 'urgent', status: 'open', opened_at: '2026-06-30T10:59:59Z', assignee: 'REP2' }, // one second past
  { id: 'QC', priority: 'high', status: 'open', opened_at: '2026-06-29T23:30:00Z', assignee: 'REP1' },  // due 03:30 today
  { id: 'QD', priority: 'normal', status: 'waiting', opened_at: '2026-06-27T12:00:00Z', first_response_at: '2026-06-27T13:00:00Z', assignee: 'REP1' },
  { id: 'QE', priority: 'low', status: 'in_progress', opened_at: '2026-06-28T12:00:00Z', first_response_at: '2026-06-29T12:00:01Z', assignee: 'REP1' },
  { id: 'QF', priority: 'normal', status: 'open', opened_at: '2026-06-30T09:00:00Z' },
  { id: 'QG', priority: 'high', status: 'resolved', opened_at: '2026-06-30T08:00:00Z', first_response_at: '2026-06-30T08:30:00Z', resolved_at: '2026-06-30T09:00:00Z' },
  { id: 'QH', priority: 'urgent', status: 'closed', opened_at: '2026-06-20T08:00:00Z', first_response_at: '2026-06-20T08:30:00Z', resolved_at: '2026-06-20T09:00:00Z' },
].map((r) => ({ account: 'A1', kind: 'question', subject: `Subject ${r.id}`, ...r }));

/** The queue as docs/desk.md defines it, computed here from the fixture and the targets. */
function expectedQueue(targets, now, keep = () => true) {
  const items = [];
  for (const r of queueRequests) {
    if (!['open', 'in_progress', 'waiting'].includes(r.status) || !keep(r)) continue;
    const opened = ms(r.opened_at);
    const [fh, rh] = targets[r.priority];
    const firstDue = opened + fh * HOUR, resDue = opened + rh * HOUR;
    const first = r.first_response_at ? ms(r.first_response_at) : null;
    const firstBreached = first !== null ? first - opened > fh * HOUR : ms(now) - opened > fh * HOUR;
    const resBreached = ms(now) - opened > rh * HOUR;
    const nextDue = first === null ? Math.min(firstDue, resDue) : resDue;
    items.push({ id: r.id, priority: r.priority, opened, left_ms: nextDue - ms(now), next_due_at: iso(nextDue),
      first_response_breached: firstBreached, resolution_breached: resBreached, breached: firstBreached || resBreached });
  }
  items.sort((a, b) => a.left_ms - b.left_ms || RANK[b.priority] - RANK[a.priority] || a.opened - b.opened);
  return items.map(({ opened, ...rest }) => rest);
}

function queue(db, extra = [], now = NOW) {
  const q = json(['queue', 'requests', '--now', now, ...extra], db);
  return q.items.map((i) => ({ id: i.id, priority: i.priority, left_ms: Number(i.left_ms), next_due_at: i.next_due_at,
    first_response_breached: i.first_response_breached, resolution_breached: i.resolution_breached, breached: i.breached }));
}

test('the request queue: urgency order, time left and breach flags at a fixed clock', (t) => {
  const db = fixtureDb(t, 'requests-queue', { reps, accounts, requests: queueRequests });
  const want = expectedQueue(TARGETS, NOW);
  // Worked by hand: QC 8 h 30 min overdue, QB one second, QA and QD exactly at their deadline
  // (urgent before normal), QF 5 h left, QE answered one second late with 5 days to resolve.
  assert.deepEqual(want.map((i) => i.id), ['QC', 'QB', 'QA', 'QD', 'QF', 'QE']);
  assert.deepEqual(want.map((i) => i.left_ms), [-8.5 * HOUR, -1000, 0, 0, 5 * HOUR, 120 * HOUR]);
  assert.deepEqual(want.filter((i) => i.breached).map((i) => i.id), ['QC', 'QB', 'QE']);
  assert.deepEqual(queue(db), want);

  assert.deepEqual(queue(db, ['--breached']), expectedQueue(TARGETS, NOW).filter((i) => i.breached));
  assert.deepEqual(queue(db, ['--priority', 'urgent']), expectedQueue(TARGETS, NOW, (r) => r.priority === 'urgent'));
  assert.deepEqual(queue(db, ['--assignee', 'REP2']).map((i) => i.id), ['QB']);
  assert.deepEqual(queue(db, ['--status', 'waiting,in_progress']).map((i) => i.id), ['QD', 'QE']);
  const summary = json(['queue', 'requests', '--now', NOW], db);
  assert.equal(summary.now, '2026-06-30T12:00:00.000Z');
  assert.equal(summary.requests, '6');
  assert.equal(summary.breached, '3');

  // One second earlier QB is exactly at its deadline, not breached.
  const earlier = '2026-06-30T11:59:59Z';
  assert.deepEqual(queue(db, [], earlier), expectedQueue(TARGETS, earlier));
  assert.equal(queue(db, [], earlier).find((i) => i.id === 'QB').breached, false);

  // The settings the KPIs use change the desk's targets too.
  sql(db, "INSERT INTO settings VALUES ('sla_first_response_hours.urgent', '2'), ('sla_resolution_hours.low', '48')");
  const changed = { ...TARGETS, urgent: [2, 8], low: [24, 48] };
  assert.deepEqual(queue(db), expectedQueue(changed, NOW));
  assert.equal(queue(db).find((i) => i.id === 'QB').breached, false);
  assert.equal(queue(db).find((i) => i.id === 'QE').left_ms, 0); // 48 h after 06-28 12:00: due now
  sql(db, "UPDATE settings SET value = 'soon' WHERE key = 'sla_first_response_hours.urgent'");
  const bad = run(['queue', 'requests', '--now', NOW, '--db', db]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /setting 'sla_first_response_hours.urgent': 'soon' is not a whole number of hours/);

  // Without --now a demo database runs at 17:00 UTC of its day.
  sql(db, "DELETE FROM settings WHERE key LIKE 'sla_%'; INSERT INTO settings VALUES ('demo_today', '2026-07-01')");
  assert.equal(json(['queue', 'requests'], db).now, '2026-07-01T17:00:00.000Z');

  assert.equal(run(['queue', 'requests', '--assignee', 'NOPE', '--db', db]).code, 1);
  assert.equal(run(['queue', 'requests', '--status', 'resolved', '--db', db]).code, 2);
  assert.equal(run(['queue', 'requests', '--priority', 'asap', '--db', db]).code, 2);
  assert.equal(run(['queue', 'nothing', '--db', db]).code, 2);
  // Each queue takes its own options only.
  assert.match(run(['queue', 'requests', '--limit', '5', '--db', db]).stderr, /--limit does not go with 'queue requests'/);
  assert.match(run(['queue', 'pending', '--breached', '--db', db]).stderr, /--breached does not go with 'queue pending'/);
});

// ---- the timeline ----

test('the account timeline of a fixture account, in its exact order with its numbers', (t) => {
  const db = fixtureDb(t, 'requests-timeline', {
    reps, accounts, products,
    orders: [
      { id: 'O1', account: 'A1', rep: 'REP1', order_date: '2026-06-05', ship_date: '2026-06-08', status: 'paid' },
      { id: 'O2', account: 'A1', rep: 'REP1', order_date: '2026-06-12', status: 'confirmed' },
      { id: 'OX', account: 'A2', rep: 'REP2', order_date: '2026-06-12', status: 'confirmed' },
    ],
    lines: [
      { order: 'O1', line: '1', sku: 'P1', qty: '4', unit_price: '25', discount: '0.1', shipped_qty: '4' },
      { order: 'O1', line: '2', sku: 'P1', qty: '3', unit_price: '19.99', discount: '0', shipped_qty: '3' },
      { order: 'O2', line: '1', sku: 'P1', qty: '10', unit_price: '24.5', discount: '0', shipped_qty: '0' },
      { order: 'OX', line: '1', sku: 'P1', qty: '1', unit_price: '25', discount: '0', shipped_qty: '0' },
    ],
    invoices: [
      { id: 'I1', order: 'O1', account: 'A1', issue_date: '2026-06-08', due_date: '2026-07-08', amount: '149.97', paid_amount: '149.97', paid_date: '2026-06-20' },
      { id: 'IX', order: 'OX', account: 'A2', issue_date: '2026-06-13', due_date: '2026-07-13', amount: '25', paid_amount: '0' },
    ],
    opportunities: [
      { id: 'OP1', account: 'A1', rep: 'REP1', name: 'Summer range', stage: 'proposal', amount: '5000', created_date: '2026-06-01' },
      { id: 'OPX', account: 'A2', rep: 'REP2', name: 'Not ours', stage: 'prospect', amount: '100', created_date: '2026-06-02' },
    ],
    stages: [
      { opportunity: 'OP1', stage: 'prospect', entered_date: '2026-06-01' },
      { opportunity: 'OP1', stage: 'proposal', entered_date: '2026-06-10' },
      { opportunity: 'OPX', stage: 'prospect', entered_date: '2026-06-02' },
    ],
    requests: [
      { id: 'Q1', account: 'A1', order: 'O1', kind: 'delivery_status', subject: 'Where is it', priority: 'high', status: 'closed',
        opened_at: '2026-06-09T09:00:00Z', first_response_at: '2026-06-09T10:30:00Z', resolved_at: '2026-06-10T12:00:00Z', assignee: 'REP1' },
      { id: 'QX', account: 'A2', kind: 'question', subject: 'Not ours', priority: 'low', status: 'open', opened_at: '2026-06-11T09:00:00Z' },
    ],
  });
  ok(['note', 'order', 'O1', 'Leave at the back door', '--now', '2026-06-08T15:00:00Z'], db);
  ok(['note', 'account', 'A1', 'New buyer from July\nsecond line', '--now', '2026-06-15T08:00:00Z'], db);
  ok(['note', 'request', 'Q1', 'Customer confirmed receipt', '--now', '2026-06-10T12:00:00Z'], db);
  ok(['note', 'account', 'A2', 'Not ours', '--now', '2026-06-16T08:00:00Z'], db);

  // Newest first; a dated event is at 00:00 UTC of its day; at the same moment the later
  // step comes first (resolved before a note, invoice before shipment).
  const o1 = lineNet(4, moneyUnits('25'), 100000) + lineNet(3, moneyUnits('19.99'), 0);
  assert.equal(moneyText(o1), '149.97');
  const expected = [
    ['2026-06-20T00:00:00.000Z', 'payment', 'I1'],
    ['2026-06-15T08:00:00.000Z', 'note', 'A1'],
    ['2026-06-12T00:00:00.000Z', 'order_placed', 'O2'],
    ['2026-06-10T12:00:00.000Z', 'note', 'Q1'],
    ['2026-06-10T12:00:00.000Z', 'request_resolved', 'Q1'],
    ['2026-06-10T00:00:00.000Z', 'stage', 'OP1'],
    ['2026-06-09T10:30:00.000Z', 'request_first_response', 'Q1'],
    ['2026-06-09T09:00:00.000Z', 'request_opened', 'Q1'],
    ['2026-06-08T15:00:00.000Z', 'note', 'O1'],
    ['2026-06-08T00:00:00.000Z', 'invoice_issued', 'I1'],
    ['2026-06-08T00:00:00.000Z', 'order_shipped', 'O1'],
    ['2026-06-05T00:00:00.000Z', 'order_placed', 'O1'],
    ['2026-06-01T00:00:00.000Z', 'stage', 'OP1'],
  ];
  const tl = json(['account', 'A1', '--timeline'], db);
  assert.equal(tl.events, String(expected.length));
  assert.deepEqual(tl.items.map((e) => [e.at, e.kind, e.id]), expected);
  const find = (kind, id) => tl.items.find((e) => e.kind === kind && e.id === id);
  assert.deepEqual(find('order_placed', 'O1'), { at: '2026-06-05T00:00:00.000Z', date: '2026-06-05', dated: true,
    kind: 'order_placed', id: 'O1', status: 'paid', net: moneyText(o1), currency: 'USD', units: '7' });
  assert.equal(find('order_placed', 'O2').net, moneyText(lineNet(10, moneyUnits('24.5'), 0)));
  assert.deepEqual([find('order_shipped', 'O1').units, find('order_shipped', 'O1').shipped_units], ['7', '7']);
  assert.deepEqual([find('invoice_issued', 'I1').amount, find('invoice_issued', 'I1').due_date, find('invoice_issued', 'I1').order],
    ['149.97', '2026-07-08', 'O1']);
  assert.equal(find('payment', 'I1').paid_amount, '149.97');
  assert.equal(find('request_first_response', 'Q1').after_ms, String(1.5 * HOUR));
  assert.equal(find('request_resolved', 'Q1').after_ms, String(27 * HOUR));
  assert.deepEqual(tl.items.filter((e) => e.kind === 'stage').map((e) => e.stage), ['proposal', 'prospect']);
  assert.equal(find('note', 'A1').body, 'New buyer from July\nsecond line');
  assert.equal(find('note', 'A1').author, ACTOR);

  const limited = json(['account', 'A1', '--timeline', '--limit', '3'], db);
  assert.deepEqual(limited.items.map((e) => [e.at, e.kind, e.id]), expected.slice(0, 3));
  assert.equal(limited.events, String(expected.length));
  const text = ok(['account', 'A1', '--timeline'], db).stdout.split('\n');
  assert.match(text[0], /^Account A1 timeline: 13 of 13 events, newest first$/);
  assert.match(text[1], /^ {2}2026-06-20 {8}invoice I1 paid: 149\.97 of 149\.97 USD$/);
  assert.match(text[2], /^ {2}2026-06-15 08:00  note on account A1 by cli:.*: New buyer from July\.\.\.$/);
  assert.equal(run(['account', 'A1', '--limit', '3', '--db', db]).code, 2);
  assert.equal(run(['account', 'A1', '--timeline', '--limit', '0', '--db', db]).code, 2);
  assert.equal(run(['account', 'NOPE', '--timeline', '--db', db]).code, 1);
});
