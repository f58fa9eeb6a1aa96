// SPDX-License-Identifier: MIT
// Customer requests and notes through the HTTP API, on a hand-written fixture
// whose ownership is known: the request queue a rep gets is exactly what an
// independent sqlite3 query of the ownership rules gives; a rep cannot read,
// change or note another rep's request, account or order (the 404 reads like
// the one for an id that does not exist); creating and changing requests
// writes the desk's audit rows (read through GET /api/v1/audit and with the
// sqlite3 shell); refused transitions answer 409 and write nothing; viewers
// get 403 on writes; every write route needs the CSRF token with a cookie
// session; bad bodies answer 400 with details.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { run, sql, tempDir, testDb } from './helpers.mjs';
import { startServer, request, errorOf, addUser, login } from './server.mjs';

const HEADERS = {
  reps: ['id', 'name', 'email', 'team', 'region', 'manager', 'discount_limit_pct'],
  accounts: ['id', 'name', 'segment', 'region', 'country', 'city', 'owner_rep', 'account_manager', 'credit_limit',
    'payment_terms_days', 'status', 'currency'],
  products: ['sku', 'name', 'category', 'list_price', 'cost', 'status', 'launch_date'],
  orders: ['id', 'account', 'rep', 'order_date', 'requested_date', 'promised_date', 'ship_date', 'status', 'currency',
    'ship_country', 'ship_address'],
  lines: ['order', 'line', 'sku', 'qty', 'unit_price', 'discount', 'shipped_qty'],
  requests: ['id', 'account', 'order', 'kind', 'subject', 'priority', 'status', 'opened_at', 'first_response_at',
    'resolved_at', 'assignee'],
};

function csv(rows, header) {
  return [header.join(','), ...rows.map((r) => header.map((h) => r[h] ?? '').join(','))].join('\n') + '\n';
}

// Who sees what (DESIGN.md, issue 6): a rep sees the accounts they own or
// manage, the orders of those accounts and the orders they took, and the
// requests of those accounts, on orders they took, or assigned to them.
//   REP1 owns A1, manages A4, took O2 on A3; Q3 on A3 is assigned to REP1.
//   REP2 owns A2 and manages A3; REP3 owns A3 and A4.
const FIXTURE = {
  reps: [{ id: 'REP1', name: 'Rita One' }, { id: 'REP2', name: 'Sam Two' }, { id: 'REP3', name: 'Tom Three' }],
  accounts: [
    { id: 'A1', name: 'One Co', owner_rep: 'REP1', status: 'active' },
    { id: 'A2', name: 'Two Co', owner_rep: 'REP2', status: 'active' },
    { id: 'A3', name: 'Three Co', owner_rep: 'REP3', account_manager: 'REP2', status: 'active' },
    { id: 'A4', name: 'Four Co', owner_rep: 'REP3', account_manager: 'REP1', status: 'active' },
  ],
  products: [{ sku: 'P1', name: 'Widget', list_price: '25', status: 'active' }],
  orders: [
    { id: 'O1', account: 'A1', rep: 'REP1', order_date: '2026-06-01', status: 'confirmed' },
    { id: 'O2', account: 'A3', rep: 'REP1', order_date: '2026-06-02', status: 'confirmed' },
    { id: 'O3', account: 'A2', rep: 'REP2', order_date: '2026-06-03', status: 'confirmed' },
    { id: 'O4', account: 'A3', rep: 'REP3', order_date: '2026-06-04', status: 'pending' },
  ],
  lines: ['O1', 'O2', 'O3', 'O4'].map((o) => ({ order: o, line: '1', sku: 'P1', qty: '2', unit_price: '25', discount: '0', shipped_qty: '0' })),
  // Opened in 2020: every clock is overdue now; Q8 opens in 2099: nothing is due yet.
  requests: [
    { id: 'Q1', account: 'A1', kind: 'question', subject: 'Price', priority: 'high', status: 'open', opened_at: '2020-01-01T08:00:00Z' },
    { id: 'Q2', account: 'A3', order: 'O2', kind: 'delivery', subject: 'Late', priority: 'urgent', status: 'in_progress', opened_at: '2020-01-02T08:00:00Z', first_response_at: '2020-01-02T09:00:00Z', assignee: 'REP3' },
    { id: 'Q3', account: 'A3', kind: 'question', subject: 'Terms', priority: 'low', status: 'waiting', opened_at: '2020-01-03T08:00:00Z', first_response_at: '2020-01-03T09:00:00Z', assignee: 'REP1' },
    { id: 'Q4', account: 'A2', order: 'O3', kind: 'complaint', subject: 'Broken', priority: 'normal', status: 'open', opened_at: '2020-01-04T08:00:00Z', assignee: 'REP2' },
    { id: 'Q5', account: 'A3', order: 'O4', kind: 'question', subject: 'Stock', priority: 'normal', status: 'open', opened_at: '2020-01-05T08:00:00Z' },
    { id: 'Q6', account: 'A1', kind: 'question', subject: 'Done', priority: 'normal', status: 'resolved', opened_at: '2020-01-06T08:00:00Z', first_response_at: '2020-01-06T09:00:00Z', resolved_at: '2020-01-06T10:00:00Z' },
    { id: 'Q7', account: 'A4', kind: 'question', subject: 'Managed', priority: 'normal', status: 'open', opened_at: '2020-01-07T08:00:00Z' },
    { id: 'Q8', account: 'A2', kind: 'question', subject: 'Future', priority: 'normal', status: 'open', opened_at: '2099-01-01T08:00:00Z', assignee: 'REP2' },
  ],
};

function fixtureDb(t, name) {
  const dir = tempDir(t, name);
  const bundle = path.join(dir, 'bundle');
  mkdirSync(bundle);
  for (const [kind, rows] of Object.entries(FIXTURE)) writeFileSync(path.join(bundle, `${kind}.csv`), csv(rows, HEADERS[kind]));
  const db = testDb(dir, 'store.db');
  assert.equal(run(['init', '--db', db]).code, 0);
  const r = run(['import', 'bundle', bundle, '--map', 'native', '--db', db, '--no-alerts']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  addUser(db, 'adm', 'admin', 'adm-password-1');
  addUser(db, 'sup', 'support', 'sup-password-1');
  addUser(db, 'viv', 'viewer', 'viv-password-1');
  for (const n of [1, 2, 3]) addUser(db, `rep${n}`, 'rep', `rep${n}-password`, ['--rep', `REP${n}`]);
  return db;
}

/** A logged-in client: api(method, path, body, headers) sends the cookie and the CSRF token. */
async function client(server, name, password) {
  const s = await login(server, name, password);
  assert.equal(s.res.status, 200, `login ${name}`);
  const api = (method, p, body, headers = {}) => request(server, p, {
    method, body, headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf, ...headers },
  });
  return { ...s, api };
}

/** What a rep may see of the unresolved requests, by the rules above, written independently in SQL. */
function repQueue(db, rep) {
  return sql(db, `SELECT q.ext_id FROM requests q
    JOIN reps me ON me.ext_id = '${rep}'
    JOIN accounts a ON a.id = q.account_id
    LEFT JOIN orders o ON o.id = q.order_id
    WHERE q.status IN ('open', 'in_progress', 'waiting')
      AND (q.assignee_rep_id = me.id OR a.owner_rep_id = me.id OR a.account_manager_id = me.id OR o.rep_id = me.id)
    ORDER BY q.ext_id`).map((r) => r.ext_id);
}

/** Every row a write could touch, to prove that a refused one changed nothing. */
function snapshot(db) {
  return JSON.stringify([
    sql(db, 'SELECT * FROM requests ORDER BY id'), sql(db, 'SELECT * FROM notes ORDER BY id'),
    sql(db, 'SELECT count(*) AS n FROM change_log'), sql(db, 'SELECT count(*) AS n FROM audit_log'),
  ]);
}

/** Every item of a list, page by page with `limit`. */
async function allPages(c, p, limit) {
  const items = [];
  let cursor = null;
  for (let guard = 0; guard < 100; guard++) {
    const sep = p.includes('?') ? '&' : '?';
    const res = await c.api('GET', `${p}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json.items.length <= limit);
    items.push(...res.json.items);
    cursor = res.json.next_cursor;
    if (!cursor) return items;
  }
  throw new Error('too many pages');
}

const ids = (items) => items.map((i) => i.id).sort();

test('the request queue: a rep gets exactly the rows the ownership rules give; filters and pages', async (t) => {
  const db = fixtureDb(t, 'api-req-list');
  const server = await startServer(t, db);
  const adm = await client(server, 'adm', 'adm-password-1');
  const all = await adm.api('GET', '/api/v1/requests');
  assert.equal(all.status, 200);
  const unresolved = sql(db, "SELECT ext_id FROM requests WHERE status IN ('open','in_progress','waiting') ORDER BY ext_id").map((r) => r.ext_id);
  assert.deepEqual(ids(all.json.items), unresolved);
  assert.equal(all.json.total, unresolved.length);
  // Paged two at a time: the same items in the same order.
  assert.deepEqual((await allPages(adm, '/api/v1/requests', 2)).map((i) => i.id), all.json.items.map((i) => i.id));

  const expected = { rep1: ['Q1', 'Q2', 'Q3', 'Q7'], rep2: ['Q4', 'Q5', 'Q8', 'Q2', 'Q3'].sort(), rep3: ['Q2', 'Q3', 'Q5', 'Q7'] };
  for (const n of [1, 2, 3]) {
    const rep = await client(server, `rep${n}`, `rep${n}-password`);
    const sqlRows = repQueue(db, `REP${n}`);
    assert.deepEqual(sqlRows, expected[`rep${n}`], `fixture rules for REP${n}`);
    assert.deepEqual(ids(await allPages(rep, '/api/v1/requests', 1)), sqlRows, `REP${n}'s queue`);
    // Filters narrow the rep's rows and never widen them.
    const byAccount = await rep.api('GET', '/api/v1/requests?account=A3');
    const a3 = sql(db, "SELECT ext_id FROM requests WHERE account_id = (SELECT id FROM accounts WHERE ext_id = 'A3')").map((r) => r.ext_id);
    if (n === 1) {
      // REP1 does not see A3 (they only took an order there): refused like an account that does not exist.
      const none = await rep.api('GET', '/api/v1/requests?account=NOPE');
      assert.equal(byAccount.status, 400);
      assert.equal(none.status, 400);
      assert.deepEqual(errorOf(byAccount).details, [{ field: 'account', message: "no account with id 'A3'" }]);
      assert.deepEqual(errorOf(none).details, [{ field: 'account', message: "no account with id 'NOPE'" }]);
      assert.equal(errorOf(byAccount).message, errorOf(none).message);
    } else {
      assert.equal(byAccount.status, 200, byAccount.text);
      assert.deepEqual(ids(byAccount.json.items), sqlRows.filter((q) => a3.includes(q)));
    }
    const mine = await rep.api('GET', `/api/v1/requests?assignee=REP${n}`);
    assert.deepEqual(ids(mine.json.items), sql(db, `SELECT q.ext_id FROM requests q JOIN reps r ON r.id = q.assignee_rep_id
      WHERE r.ext_id = 'REP${n}' AND q.status IN ('open','in_progress','waiting') ORDER BY q.ext_id`).map((r) => r.ext_id)
      .filter((q) => sqlRows.includes(q)));
  }

  // breached: every fixture clock opened in 2020 is overdue; Q8 (2099) is not.
  const yes = await adm.api('GET', '/api/v1/requests?breached=true');
  const no = await adm.api('GET', '/api/v1/requests?breached=false');
  assert.deepEqual(ids(yes.json.items), unresolved.filter((q) => q !== 'Q8'));
  assert.deepEqual(ids(no.json.items), ['Q8']);
  assert.ok(yes.json.items.every((i) => i.breached === true && i.left_ms < 0));
  const st = await adm.api('GET', '/api/v1/requests?status=waiting,in_progress&priority=low');
  assert.deepEqual(ids(st.json.items), ['Q3']);

  for (const [q, field] of [['status=resolved', 'status'], ['priority=asap', 'priority'], ['breached=yes', 'breached'],
    ['assignee=NOPE', 'assignee'], ['limit=0', 'limit'], ['cursor=zzz', 'cursor'], ['colour=red', 'colour']]) {
    const res = await adm.api('GET', `/api/v1/requests?${q}`);
    assert.equal(res.status, 400, `${q}: ${res.text}`);
    assert.equal(errorOf(res).code, 'invalid_input');
    assert.deepEqual(errorOf(res).details.map((d) => d.field), [field], q);
  }
});

test("a rep cannot read, change or note another rep's request, account or order: 404 like no such id", async (t) => {
  const db = fixtureDb(t, 'api-req-rep');
  const server = await startServer(t, db);
  const rep1 = await client(server, 'rep1', 'rep1-password');
  const before = snapshot(db);
  const same = async (method, hidden, missing, body) => {
    const a = await rep1.api(method, hidden.path, hidden.body ?? body);
    const b = await rep1.api(method, missing.path, missing.body ?? body);
    assert.equal(a.status, 404, `${method} ${hidden.path} ${JSON.stringify(hidden.body)}: ${a.text}`);
    assert.equal(b.status, 404, `${method} ${missing.path}: ${b.text}`);
    const ea = errorOf(a), eb = errorOf(b);
    assert.equal(ea.code, eb.code);
    assert.equal(ea.message.replace(hidden.id, 'X'), eb.message.replace(missing.id, 'X'));
    assert.deepEqual(ea.details.map((d) => [d.field, d.message.replace(hidden.id, 'X')]),
      eb.details.map((d) => [d.field, d.message.replace(missing.id, 'X')]));
  };
  // Q4 is REP2's (account A2, order O3, assigned to REP2).
  await same('GET', { path: '/api/v1/requests/Q4', id: 'Q4' }, { path: '/api/v1/requests/Q404', id: 'Q404' });
  await same('PATCH', { path: '/api/v1/requests/Q4', id: 'Q4' }, { path: '/api/v1/requests/Q404', id: 'Q404' }, { status: 'in_progress' });
  await same('PATCH', { path: '/api/v1/requests/Q4', id: 'Q4' }, { path: '/api/v1/requests/Q404', id: 'Q404' }, { assignee: 'REP1' });
  for (const [subject, hidden] of [['request', 'Q4'], ['account', 'A2'], ['order', 'O3'], ['account', 'A3'], ['order', 'O4']]) {
    await same('POST', { path: '/api/v1/notes', id: hidden, body: { subject, id: hidden, text: 'hi' } },
      { path: '/api/v1/notes', id: 'NOPE', body: { subject, id: 'NOPE', text: 'hi' } });
  }
  await same('POST', { path: '/api/v1/requests', id: 'A2', body: { account: 'A2', kind: 'q', subject: 's' } },
    { path: '/api/v1/requests', id: 'NOPE', body: { account: 'NOPE', kind: 'q', subject: 's' } });
  // O3 is an order of A2, which REP1 does not see, named with REP1's own account.
  await same('POST', { path: '/api/v1/requests', id: 'O3', body: { account: 'A1', order: 'O3', kind: 'q', subject: 's' } },
    { path: '/api/v1/requests', id: 'NOPE', body: { account: 'A1', order: 'NOPE', kind: 'q', subject: 's' } });
  assert.equal(snapshot(db), before, 'nothing was written');

  // What REP1 does see: the request on O2 they took (account A3 is not theirs), and A4 they manage.
  const q2 = await rep1.api('GET', '/api/v1/requests/Q2');
  assert.equal(q2.status, 200);
  assert.equal(q2.json.account, 'A3');
  assert.equal((await rep1.api('POST', '/api/v1/notes', { subject: 'account', id: 'A4', text: 'managed here' })).status, 201);
  assert.equal((await rep1.api('POST', '/api/v1/notes', { subject: 'order', id: 'O2', text: 'my order' })).status, 201);
  // A rep assigns only to themself.
  const other = await rep1.api('PATCH', '/api/v1/requests/Q1', { assignee: 'REP2' });
  assert.equal(other.status, 403);
  assert.match(errorOf(other).message, /only to themself/);
  const created = await rep1.api('POST', '/api/v1/requests', { account: 'A1', kind: 'q', subject: 's', assignee: 'REP3' });
  assert.equal(created.status, 403);
  const self = await rep1.api('PATCH', '/api/v1/requests/Q1', { assignee: 'REP1' });
  assert.equal(self.status, 200, self.text);
  assert.equal(self.json.assignee, 'REP1');
  assert.equal(sql(db, "SELECT r.ext_id FROM requests q JOIN reps r ON r.id = q.assignee_rep_id WHERE q.ext_id = 'Q1'")[0].ext_id, 'REP1');

  // A viewer reads but never writes.
  const viv = await client(server, 'viv', 'viv-password-1');
  assert.equal((await viv.api('GET', '/api/v1/requests/Q4')).status, 200);
  const beforeViewer = snapshot(db);
  for (const [method, p, body] of [['POST', '/api/v1/requests', { account: 'A1', kind: 'q', subject: 's' }],
    ['PATCH', '/api/v1/requests/Q1', { status: 'in_progress' }], ['POST', '/api/v1/notes', { subject: 'account', id: 'A1', text: 'x' }]]) {
    const res = await viv.api(method, p, body);
    assert.equal(res.status, 403, `${method} ${p}`);
    assert.equal(errorOf(res).code, 'forbidden');
  }
  assert.equal(snapshot(db), beforeViewer);
});

test('create and change through the API: the desk audit rows (GET /api/v1/audit and sqlite3), 409 writes nothing', async (t) => {
  const db = fixtureDb(t, 'api-req-write');
  const server = await startServer(t, db);
  const sup = await client(server, 'sup', 'sup-password-1');
  const adm = await client(server, 'adm', 'adm-password-1');
  const supId = sql(db, "SELECT id FROM users WHERE login = 'sup'")[0].id;
  const t0 = Date.now();
  const created = await sup.api('POST', '/api/v1/requests', { account: 'A2', order: 'O3', kind: 'delivery', subject: 'Where is it?', priority: 'urgent' });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.json.id, 'R1');
  assert.equal(created.json.status, 'open');
  assert.equal(created.json.priority, 'urgent');
  // No demo day: the desk clock is the real time.
  const opened = Date.parse(created.json.opened_at);
  assert.ok(opened >= t0 - 1000 && opened <= Date.now() + 1000);
  const [row] = sql(db, "SELECT q.*, a.ext_id AS account, o.ext_id AS ord FROM requests q JOIN accounts a ON a.id = q.account_id JOIN orders o ON o.id = q.order_id WHERE q.ext_id = 'R1'");
  assert.deepEqual([row.account, row.ord, row.kind, row.subject, row.priority, row.status, row.source],
    ['A2', 'O3', 'delivery', 'Where is it?', 'urgent', 'open', 'salesdesk']);
  let [a] = sql(db, 'SELECT * FROM audit_log ORDER BY id DESC LIMIT 1');
  assert.deepEqual([a.action, a.entity, a.entity_id, a.user_id, a.actor, a.before_json],
    ['request.create', 'request', row.id, supId, 'api:sup', null]);
  assert.equal(JSON.parse(a.after_json).subject, 'Where is it?');

  // Assignee and status in one PATCH: two audit rows with before/after.
  const changes0 = Number(sql(db, 'SELECT count(*) AS n FROM change_log')[0].n);
  const patched = await sup.api('PATCH', '/api/v1/requests/R1', { assignee: 'REP2', status: 'in_progress' });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.json.status, 'in_progress');
  assert.equal(patched.json.assignee, 'REP2');
  const firstResponse = sql(db, "SELECT first_response_at AS f FROM requests WHERE ext_id = 'R1'")[0].f;
  assert.equal(patched.json.first_response_at, new Date(Number(firstResponse)).toISOString());
  const rows = sql(db, 'SELECT * FROM audit_log ORDER BY id DESC LIMIT 2').reverse();
  assert.deepEqual(rows.map((r) => [r.action, r.user_id, JSON.parse(r.before_json), JSON.parse(r.after_json)]), [
    ['request.assign', supId, { assignee: null }, { assignee: 'REP2' }],
    ['request.status', supId, { status: 'open', first_response_at: null },
      { status: 'in_progress', first_response_at: patched.json.first_response_at }],
  ]);
  assert.equal(Number(sql(db, 'SELECT count(*) AS n FROM change_log')[0].n), changes0 + 2);

  // The same rows through GET /api/v1/audit (admins only), before/after as objects.
  const audit = await adm.api('GET', `/api/v1/audit?entity=request&entity_id=${row.id}`);
  assert.equal(audit.status, 200, audit.text);
  assert.deepEqual(audit.json.items.map((i) => [i.action, i.user, i.actor, i.before, i.after]), [
    ['request.status', 'sup', 'api:sup', { status: 'open', first_response_at: null }, { status: 'in_progress', first_response_at: patched.json.first_response_at }],
    ['request.assign', 'sup', 'api:sup', { assignee: null }, { assignee: 'REP2' }],
    ['request.create', 'sup', 'api:sup', null, JSON.parse(a.after_json)],
  ]);
  assert.equal((await sup.api('GET', '/api/v1/audit')).status, 403);

  // Refused: a transition the table does not allow, the status it has, closed is final.
  // A PATCH whose assignee would be fine but whose status is refused changes nothing at all.
  const refused = [
    [{ status: 'open' }, /cannot go from in_progress to open/],
    [{ status: 'in_progress' }, /already in_progress/],
    [{ assignee: 'REP2' }, /already assigned to 'REP2'/],
    [{ assignee: 'REP3', status: 'closed' }, /cannot go from in_progress to closed/],
  ];
  for (const [body, message] of refused) {
    const snap = snapshot(db);
    const res = await sup.api('PATCH', '/api/v1/requests/R1', body);
    assert.equal(res.status, 409, `${JSON.stringify(body)}: ${res.text}`);
    assert.equal(errorOf(res).code, 'conflict');
    assert.match(errorOf(res).message, message);
    assert.equal(snapshot(db), snap, `${JSON.stringify(body)} wrote nothing`);
  }
  assert.equal((await sup.api('PATCH', '/api/v1/requests/R1', { status: 'resolved' })).status, 200);
  assert.equal((await sup.api('PATCH', '/api/v1/requests/R1', { status: 'closed' })).status, 200);
  const snap = snapshot(db);
  const closed = await sup.api('PATCH', '/api/v1/requests/R1', { assignee: 'REP1' });
  assert.equal(closed.status, 409);
  assert.match(errorOf(closed).message, /closed: closed is final/);
  assert.equal(snapshot(db), snap);

  // A note on a request not yet answered is its first response (the desk's rule).
  const note = await sup.api('POST', '/api/v1/notes', { subject: 'request', id: 'Q5', text: 'Checked the stock' });
  assert.equal(note.status, 201, note.text);
  assert.deepEqual([note.json.on, note.json.id, note.json.author, note.json.body], ['request', 'Q5', 'api:sup', 'Checked the stock']);
  const [q5] = sql(db, "SELECT first_response_at AS f FROM requests WHERE ext_id = 'Q5'");
  assert.equal(new Date(Number(q5.f)).toISOString(), note.json.created_at);
  const [n] = sql(db, 'SELECT * FROM notes ORDER BY id DESC LIMIT 1');
  assert.deepEqual([n.entity, n.author_user_id, n.author, n.body], ['request', supId, 'api:sup', 'Checked the stock']);
  const shown = await sup.api('GET', '/api/v1/requests/Q5');
  assert.deepEqual(shown.json.notes, [{ created_at: note.json.created_at, author: 'api:sup', body: 'Checked the stock' }]);
});

test('bad bodies answer 400 with details; every write route needs the CSRF token of the cookie session', async (t) => {
  const db = fixtureDb(t, 'api-req-bad');
  const server = await startServer(t, db);
  const adm = await client(server, 'adm', 'adm-password-1');
  const before = snapshot(db);
  const cases = [
    ['POST', '/api/v1/requests', { account: 'A1', kind: 'q', subject: 's', colour: 'red' }, ['colour']],
    ['POST', '/api/v1/requests', { account: 7, kind: 'q', subject: 's' }, ['account']],
    ['POST', '/api/v1/requests', { account: 'A1', kind: '', subject: 's' }, ['kind']],
    ['POST', '/api/v1/requests', { account: 'A1', subject: 's' }, ['kind']],
    ['POST', '/api/v1/requests', { account: 'A1', kind: 'q', subject: 's'.repeat(201) }, ['subject']],
    ['PATCH', '/api/v1/requests/Q1', { status: 'done' }, ['status']],
    ['PATCH', '/api/v1/requests/Q1', { status: ['open'] }, ['status']],
    ['PATCH', '/api/v1/requests/Q1', {}, ['status']],
    ['PATCH', '/api/v1/requests/Q1', { priority: 'low' }, ['priority']],
    ['POST', '/api/v1/notes', { subject: 'invoice', id: 'X', text: 't' }, ['subject']],
    ['POST', '/api/v1/notes', { subject: 'order', id: 'O1', text: '   ' }, ['text']],
    ['POST', '/api/v1/notes', { subject: 'order', id: 'O1', text: true }, ['text']],
  ];
  for (const [method, p, body, fields] of cases) {
    const res = await adm.api(method, p, body);
    assert.equal(res.status, 400, `${method} ${p} ${JSON.stringify(body)}: ${res.text}`);
    assert.equal(errorOf(res).code, 'invalid_input');
    assert.deepEqual(errorOf(res).details.map((d) => d.field), fields, `${method} ${p} ${JSON.stringify(body)}`);
  }
  // Invalid UTF-8 inside a string is refused by the JSON parser, naming it.
  for (const [method, p] of [['POST', '/api/v1/requests'], ['PATCH', '/api/v1/requests/Q1'], ['POST', '/api/v1/notes']]) {
    const body = Buffer.concat([Buffer.from('{"subject":"order","id":"O1","text":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const res = await adm.api(method, p, body, { 'Content-Type': 'application/json' });
    assert.equal(res.status, 400);
    assert.equal(errorOf(res).code, 'invalid_json');
    assert.match(errorOf(res).message, /invalid UTF-8/);
  }
  assert.equal(snapshot(db), before, 'no bad request wrote anything');

  // CSRF: the cookie alone is not enough for any write route, whatever the role.
  const writes = [['POST', '/api/v1/requests', { account: 'A1', kind: 'q', subject: 's' }],
    ['PATCH', '/api/v1/requests/Q1', { status: 'in_progress' }], ['POST', '/api/v1/notes', { subject: 'account', id: 'A1', text: 'x' }],
    ['POST', '/api/v1/users', { login: 'zed', role: 'viewer' }], ['PATCH', '/api/v1/users/1', { name: 'Boss' }]];
  const rep1 = await client(server, 'rep1', 'rep1-password');
  for (const who of [adm, rep1]) {
    for (const [method, p, body] of writes) {
      for (const headers of [{ Cookie: who.cookie }, { Cookie: who.cookie, 'X-CSRF-Token': 'f'.repeat(64) },
        { Cookie: who.cookie, 'X-CSRF-Token': (who === adm ? rep1 : adm).csrf }]) {
        const res = await request(server, p, { method, body, headers });
        assert.equal(res.status, 403, `${method} ${p} ${JSON.stringify(Object.keys(headers))}: ${res.text}`);
        assert.equal(errorOf(res).code, 'csrf');
      }
    }
  }
  assert.equal(snapshot(db), before, 'no request without its CSRF token wrote anything');
  assert.equal(sql(db, 'SELECT count(*) AS n FROM users')[0].n, '6');
});
