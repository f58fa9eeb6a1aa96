// SPDX-License-Identifier: MIT
// Users and the audit log through the HTTP API: an admin creates a user with
// the rules of `salesdesk user add` (409 for a login taken; the audit row
// never holds the password), changes and disables them (the disabled user's
// session and API token stop working on the very next request, and they
// cannot log in), cannot disable themself or lose the last admin (409); the
// audit log's filters and pages agree with the audit_log table read with the
// sqlite3 shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, sql, tempDir, testDb } from './helpers.mjs';
import { startServer, request, errorOf, addUser, login } from './server.mjs';

/** A new store with two reps (REP1, REP2) to attach users to, imported like any other. */
function freshDb(t, name) {
  const dir = tempDir(t, name);
  const db = testDb(dir, 'store.db');
  assert.equal(run(['init', '--db', db]).code, 0);
  const reps = path.join(dir, 'reps.csv');
  writeFileSync(reps, 'id,name,email,team,region,manager,discount_limit_pct\nREP1,Rita One,,,,,\nREP2,Sam Two,,,,,\n');
  const r = run(['import', 'reps', reps, '--db', db, '--no-alerts']);
  assert.equal(r.code, 0, r.stderr);
  return db;
}

async function client(server, name, password) {
  const s = await login(server, name, password);
  assert.equal(s.res.status, 200, `login ${name}: ${s.res.text}`);
  const api = (method, p, body) => request(server, p, { method, body, headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf } });
  return { ...s, api };
}

const count = (db, table) => Number(sql(db, `SELECT count(*) AS n FROM ${table}`)[0].n);

test('users through the API: create, change, disable (sessions and tokens end at once), the 409 rules', async (t) => {
  const db = freshDb(t, 'api-users');
  addUser(db, 'adm', 'admin', 'adm-password-1');
  const server = await startServer(t, db);
  const adm = await client(server, 'adm', 'adm-password-1');
  const admId = sql(db, "SELECT id FROM users WHERE login = 'adm'")[0].id;

  const created = await adm.api('POST', '/api/v1/users', { login: 'rita', name: 'Rita', role: 'rep', rep: 'REP1', password: 'rita-secret-9' });
  assert.equal(created.status, 201, created.text);
  const [u] = sql(db, "SELECT u.*, r.ext_id AS rep FROM users u JOIN reps r ON r.id = u.rep_id WHERE login = 'rita'");
  assert.deepEqual(created.json, { id: Number(u.id), login: 'rita', name: 'Rita', role: 'rep', rep: 'REP1', status: 'active',
    created_at: new Date(Number(u.created_at)).toISOString() });
  assert.match(u.password_hash, /^\$argon2id\$/);
  let [a] = sql(db, 'SELECT * FROM audit_log ORDER BY id DESC LIMIT 1');
  assert.deepEqual([a.action, a.entity, a.entity_id, a.user_id, a.actor], ['create', 'user', u.id, admId, 'api:adm']);
  assert.deepEqual(JSON.parse(a.after_json), { login: 'rita', name: 'Rita', role: 'rep', rep: 'REP1', password: true });
  assert.ok(!sql(db, "SELECT coalesce(before_json, '') || coalesce(after_json, '') AS t FROM audit_log").some((r) => r.t.includes('rita-secret-9')),
    'no audit row holds the password');

  // The rules of `salesdesk user add`, each naming its field; nothing written.
  const users0 = count(db, 'users'), audit0 = count(db, 'audit_log');
  for (const [body, field] of [[{ login: 'two words', role: 'viewer' }, 'login'], [{ login: 'x', role: 'boss' }, 'role'],
    [{ login: 'x', role: 'rep' }, 'rep'], [{ login: 'x', role: 'rep', rep: 'NOPE' }, 'rep'],
    [{ login: 'x', role: 'viewer', password: 'short' }, 'password'], [{ login: 'x', role: 'viewer', admin: true }, 'admin'],
    [{ login: 'x', role: 'viewer', name: 5 }, 'name']]) {
    const res = await adm.api('POST', '/api/v1/users', body);
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    assert.deepEqual(errorOf(res).details.map((d) => d.field), [field], JSON.stringify(body));
  }
  const taken = await adm.api('POST', '/api/v1/users', { login: 'rita', role: 'viewer' });
  assert.equal(taken.status, 409);
  assert.match(errorOf(taken).message, /a user with login 'rita' exists already/);
  assert.deepEqual([count(db, 'users'), count(db, 'audit_log')], [users0, audit0]);

  // Rita logs in, makes a token, and both work.
  const rita = await client(server, 'rita', 'rita-secret-9');
  const tok = await rita.api('POST', '/api/v1/tokens', { name: 'script' });
  assert.equal(tok.status, 201);
  const bearer = { Authorization: `Bearer ${tok.json.token}` };
  assert.equal((await request(server, '/api/v1/auth/me', { headers: bearer })).status, 200);
  assert.equal((await rita.api('GET', '/api/v1/auth/me')).status, 200);
  // Only admins manage users.
  assert.equal((await rita.api('PATCH', `/api/v1/users/${u.id}`, { role: 'admin' })).status, 403);
  assert.equal((await rita.api('POST', '/api/v1/users', { login: 'y', role: 'admin' })).status, 403);

  // A change: before/after of the changed fields only; a no-op writes nothing.
  let res = await adm.api('PATCH', `/api/v1/users/${u.id}`, { name: 'Rita One', rep: 'REP2' });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual([res.json.name, res.json.rep, res.json.role, res.json.status], ['Rita One', 'REP2', 'rep', 'active']);
  [a] = sql(db, 'SELECT * FROM audit_log ORDER BY id DESC LIMIT 1');
  assert.deepEqual([a.action, JSON.parse(a.before_json), JSON.parse(a.after_json)],
    ['update', { name: 'Rita', rep: 'REP1' }, { name: 'Rita One', rep: 'REP2' }]);
  const audit1 = count(db, 'audit_log');
  res = await adm.api('PATCH', `/api/v1/users/${u.id}`, { name: 'Rita One', role: 'rep' });
  assert.equal(res.status, 200);
  assert.equal(count(db, 'audit_log'), audit1, 'nothing changed, nothing audited');
  for (const [body, field] of [[{ status: 'gone' }, 'status'], [{ role: 'boss' }, 'role'], [{ rep: null }, 'rep'],
    [{ login: 'other' }, 'login'], [{}, 'status']]) {
    res = await adm.api('PATCH', `/api/v1/users/${u.id}`, body);
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
    assert.deepEqual(errorOf(res).details.map((d) => d.field), [field], JSON.stringify(body));
  }
  for (const id of ['999', 'abc', '0']) assert.equal((await adm.api('PATCH', `/api/v1/users/${id}`, { name: 'x' })).status, 404);

  // Disabling: Rita's session and token stop working on the next request.
  res = await adm.api('PATCH', `/api/v1/users/${u.id}`, { status: 'disabled' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.status, 'disabled');
  assert.equal((await rita.api('GET', '/api/v1/auth/me')).status, 401);
  assert.equal((await request(server, '/api/v1/auth/me', { headers: bearer })).status, 401);
  assert.equal((await login(server, 'rita', 'rita-secret-9')).res.status, 401);
  assert.equal(count(db, `sessions WHERE user_id = ${u.id}`), 0);
  assert.equal(count(db, `api_tokens WHERE user_id = ${u.id} AND revoked_at IS NULL`), 0);
  [a] = sql(db, 'SELECT * FROM audit_log ORDER BY id DESC LIMIT 1');
  assert.deepEqual([JSON.parse(a.before_json), JSON.parse(a.after_json)], [{ status: 'active' }, { status: 'disabled' }]);
  // Enabled again: she logs in with her password; the old token stays revoked.
  assert.equal((await adm.api('PATCH', `/api/v1/users/${u.id}`, { status: 'active' })).status, 200);
  assert.equal((await login(server, 'rita', 'rita-secret-9')).res.status, 200);
  assert.equal((await request(server, '/api/v1/auth/me', { headers: bearer })).status, 401);

  // The admin cannot disable themself, nor lose the last active admin.
  const snap = () => JSON.stringify([sql(db, 'SELECT * FROM users ORDER BY id'), count(db, 'audit_log')]);
  const s0 = snap();
  for (const [body, message] of [[{ status: 'disabled' }, /cannot disable yourself/], [{ role: 'manager' }, /last active admin/]]) {
    res = await adm.api('PATCH', `/api/v1/users/${admId}`, body);
    assert.equal(res.status, 409, res.text);
    assert.match(errorOf(res).message, message);
  }
  assert.equal(snap(), s0);
  // With a second admin the first may step down, and then the second is the last one.
  res = await adm.api('POST', '/api/v1/users', { login: 'bob', role: 'admin', password: 'bob-password-1' });
  assert.equal(res.status, 201);
  const bobId = res.json.id;
  assert.equal((await adm.api('PATCH', `/api/v1/users/${admId}`, { role: 'manager' })).status, 200);
  const bob = await client(server, 'bob', 'bob-password-1');
  res = await bob.api('PATCH', `/api/v1/users/${bobId}`, { role: 'viewer' });
  assert.equal(res.status, 409);
  // The former admin is a manager now, at once.
  assert.equal((await adm.api('GET', '/api/v1/users')).status, 403);
});

test('GET /api/v1/audit: admins only, filters and pages newest first, as the audit_log table says', async (t) => {
  const db = freshDb(t, 'api-audit');
  addUser(db, 'adm', 'admin', 'adm-password-1');
  addUser(db, 'man', 'manager', 'man-password-1');
  const server = await startServer(t, db);
  const adm = await client(server, 'adm', 'adm-password-1');
  const man = await client(server, 'man', 'man-password-1');
  assert.equal((await man.api('GET', '/api/v1/audit')).status, 403);
  // Writes by two users: users created by adm, tokens by man.
  for (const login of ['u1', 'u2', 'u3']) assert.equal((await adm.api('POST', '/api/v1/users', { login, role: 'viewer' })).status, 201);
  for (const name of ['t1', 't2']) assert.equal((await man.api('POST', '/api/v1/tokens', { name })).status, 201);
  assert.equal((await adm.api('PATCH', `/api/v1/users/${sql(db, "SELECT id FROM users WHERE login = 'u2'")[0].id}`, { name: 'Two' })).status, 200);

  const rows = sql(db, `SELECT a.id, a.at, u.login AS user, a.actor, a.action, a.entity, a.entity_id, a.before_json, a.after_json
    FROM audit_log a LEFT JOIN users u ON u.id = a.user_id ORDER BY a.id DESC`);
  const expect = (r) => ({
    id: Number(r.id), at: new Date(Number(r.at)).toISOString(), user: r.user, actor: r.actor, action: r.action,
    entity: r.entity, entity_id: r.entity_id === null ? null : Number(r.entity_id),
    before: r.before_json === null ? null : JSON.parse(r.before_json), after: r.after_json === null ? null : JSON.parse(r.after_json),
  });
  const all = await adm.api('GET', '/api/v1/audit');
  assert.equal(all.status, 200);
  assert.deepEqual(all.json.items, rows.map(expect));
  assert.equal(all.json.next_cursor, null);
  // CLI writes (user add) have no user, only the actor.
  assert.ok(all.json.items.some((i) => i.user === null && i.actor.startsWith('cli:') && i.action === 'create'));

  // Pages of two: the same rows.
  const paged = [];
  let cursor = null;
  do {
    const res = await adm.api('GET', `/api/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.status, 200);
    paged.push(...res.json.items);
    cursor = res.json.next_cursor;
  } while (cursor);
  assert.deepEqual(paged, all.json.items);

  const filtered = async (q) => {
    const res = await adm.api('GET', `/api/v1/audit?${q}`);
    assert.equal(res.status, 200, `${q}: ${res.text}`);
    return res.json.items.map((i) => i.id);
  };
  assert.deepEqual(await filtered('user=man'), rows.filter((r) => r.user === 'man').map((r) => Number(r.id)));
  assert.deepEqual(await filtered('entity=api_token'), rows.filter((r) => r.entity === 'api_token').map((r) => Number(r.id)));
  const u2 = sql(db, "SELECT id FROM users WHERE login = 'u2'")[0].id;
  assert.deepEqual(await filtered(`entity=user&entity_id=${u2}`),
    rows.filter((r) => r.entity === 'user' && r.entity_id === u2).map((r) => Number(r.id)));
  // A time window by timestamps: from the third-newest row's time to the second-newest's.
  const from = new Date(Number(rows[2].at)).toISOString(), to = new Date(Number(rows[1].at)).toISOString();
  assert.deepEqual(await filtered(`from=${from}&to=${to}`),
    rows.filter((r) => Number(r.at) >= Number(rows[2].at) && Number(r.at) <= Number(rows[1].at)).map((r) => Number(r.id)));
  // By dates: today includes everything, yesterday nothing.
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
  assert.equal((await filtered(`from=${today}&to=${today}`)).length, rows.length);
  assert.deepEqual(await filtered(`to=${yesterday}`), []);
  for (const [q, field] of [['user=nobody', 'user'], ['from=2026-13-01', 'from'], ['to=soon', 'to'], ['entity_id=x', 'entity_id'],
    ['cursor=QUJD', 'cursor'], ['action=create', 'action']]) {
    const res = await adm.api('GET', `/api/v1/audit?${q}`);
    assert.equal(res.status, 400, `${q}: ${res.text}`);
    assert.deepEqual(errorOf(res).details.map((d) => d.field), [field], q);
  }
});
