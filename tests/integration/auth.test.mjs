// SPDX-License-Identifier: MIT
// Logins, sessions, CSRF, API tokens, throttling, roles and row-level access,
// as a browser and a script meet them; users made with `salesdesk user`
// (user.test.mjs tests that command).
// What the store holds is checked with the sqlite3 shell, independently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, run, sql, tempDir, testDb } from './helpers.mjs';
import { startServer, request, errorOf, addUser, login } from './server.mjs';

const ROLES = ['admin', 'manager', 'support', 'rep', 'viewer'];

function demoDb(t, name) {
  const db = testDb(tempDir(t, name), 'demo.db');
  const r = run(['demo', '--db', db, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  return db;
}

/** A rep who owns accounts, an order of theirs and an order they have nothing to do with. */
function repAndOrders(db) {
  const [rep] = sql(db, `SELECT r.id, r.ext_id FROM reps r JOIN accounts a ON a.owner_rep_id = r.id
                         GROUP BY r.id ORDER BY r.id LIMIT 1`);
  const [own] = sql(db, `SELECT o.ext_id FROM orders o JOIN accounts a ON a.id = o.account_id
                         WHERE a.owner_rep_id = ${rep.id} ORDER BY o.id LIMIT 1`);
  const [other] = sql(db, `SELECT o.ext_id FROM orders o JOIN accounts a ON a.id = o.account_id
                           WHERE coalesce(a.owner_rep_id, 0) <> ${rep.id} AND coalesce(a.account_manager_id, 0) <> ${rep.id}
                           AND coalesce(o.rep_id, 0) <> ${rep.id} ORDER BY o.id LIMIT 1`);
  return { rep: rep.ext_id, own: own.ext_id, other: other.ext_id };
}

test('login: session cookie, CSRF on writes, logout, wrong passwords; only hashes stored', async (t) => {
  const db = demoDb(t, 'auth-login');
  addUser(db, 'ada', 'admin', 'ada-password-1', ['--name', 'Ada']);
  const server = await startServer(t, db);
  const wrong = await request(server, '/api/v1/auth/login', { method: 'POST', body: { login: 'ada', password: 'nope-nope' } });
  assert.equal(wrong.status, 401);
  assert.equal(errorOf(wrong).code, 'unauthorized');
  const ghost = await request(server, '/api/v1/auth/login', { method: 'POST', body: { login: 'ghost', password: 'nope-nope' } });
  assert.equal(ghost.status, 401);
  assert.equal(errorOf(ghost).message, errorOf(wrong).message, 'an unknown login reads like a wrong password');
  assert.equal(wrong.headers['set-cookie'], undefined);

  const { cookie, csrf, res } = await login(server, 'ada', 'ada-password-1');
  assert.equal(res.status, 200);
  const setCookie = res.headers['set-cookie'][0];
  assert.match(setCookie, /^sd_session=[0-9a-f]{64}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
  assert.deepEqual(res.json.user, { id: 1, login: 'ada', name: 'Ada', role: 'admin', rep: null });
  assert.match(csrf, /^[0-9a-f]{64}$/);
  const token = cookie.split('=')[1];
  const sessions = sql(db, 'SELECT token_hash, csrf_hash FROM sessions');
  assert.equal(sessions.length, 1);
  assert.notEqual(sessions[0].token_hash, token);
  assert.notEqual(sessions[0].csrf_hash, csrf);
  assert.match(sessions[0].token_hash, /^[0-9a-f]{64}$/);

  const me = await request(server, '/api/v1/auth/me', { headers: { Cookie: cookie } });
  assert.equal(me.status, 200);
  assert.equal(me.json.user.login, 'ada');
  assert.equal(me.json.auth, 'session');
  assert.equal((await request(server, '/api/v1/auth/me')).status, 401);
  const forgedCookie = await request(server, '/api/v1/auth/me', { headers: { Cookie: `sd_session=${'0'.repeat(64)}` } });
  assert.equal(forgedCookie.status, 401);
  assert.equal(forgedCookie.headers['www-authenticate'], 'Bearer');

  // Writes with the cookie need the CSRF token.
  const noCsrf = await request(server, '/api/v1/tokens', { method: 'POST', headers: { Cookie: cookie }, body: { name: 'x' } });
  assert.equal(noCsrf.status, 403);
  assert.equal(errorOf(noCsrf).code, 'csrf');
  const forged = await request(server, '/api/v1/tokens', { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': 'f'.repeat(64) }, body: { name: 'x' } });
  assert.equal(forged.status, 403);
  assert.equal(errorOf(forged).code, 'csrf');
  // Another session's CSRF token does not fit this session.
  const second = await login(server, 'ada', 'ada-password-1');
  const crossed = await request(server, '/api/v1/tokens', { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': second.csrf }, body: { name: 'x' } });
  assert.equal(crossed.status, 403);
  assert.equal(sql(db, 'SELECT count(*) AS n FROM api_tokens')[0].n, '0', 'nothing was written');
  const ok = await request(server, '/api/v1/tokens', { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': csrf }, body: { name: 'x' } });
  assert.equal(ok.status, 201);

  const logoutNoCsrf = await request(server, '/api/v1/auth/logout', { method: 'POST', headers: { Cookie: cookie } });
  assert.equal(logoutNoCsrf.status, 403);
  const logout = await request(server, '/api/v1/auth/logout', { method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': csrf } });
  assert.equal(logout.status, 204);
  assert.match(logout.headers['set-cookie'][0], /^sd_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
  assert.equal((await request(server, '/api/v1/auth/me', { headers: { Cookie: cookie } })).status, 401);
  assert.equal((await request(server, '/api/v1/auth/me', { headers: { Cookie: second.cookie } })).status, 200, 'the other session lives on');
  assert.equal(sql(db, 'SELECT count(*) AS n FROM sessions')[0].n, '1');
});

test('sessions expire when idle and at their absolute limit; --secure-cookies adds Secure', async (t) => {
  const db = demoDb(t, 'auth-expiry');
  addUser(db, 'ada', 'viewer', 'ada-password-1');
  // Idle limit long enough that a login (argon2id, slow under ASan on a loaded
  // machine) and the next request never drift past it by accident.
  const IDLE_S = 4;
  const idle = await startServer(t, db, ['--session-idle', String(IDLE_S), '--secure-cookies']);
  const s = await login(idle, 'ada', 'ada-password-1');
  assert.match(s.res.headers['set-cookie'][0], /; HttpOnly; SameSite=Strict; Secure$/);
  assert.equal((await request(idle, '/api/v1/auth/me', { headers: { Cookie: s.cookie } })).status, 200);
  await new Promise((r) => setTimeout(r, IDLE_S * 1000 + 300));
  const expired = await request(idle, '/api/v1/auth/me', { headers: { Cookie: s.cookie } });
  assert.equal(expired.status, 401);
  assert.equal(errorOf(expired).code, 'session_expired');
  // Sessions that expire without being presented again are swept at the next login.
  await login(idle, 'ada', 'ada-password-1');
  await login(idle, 'ada', 'ada-password-1');
  assert.equal(sql(db, 'SELECT count(*) AS n FROM sessions')[0].n, '2');
  await new Promise((r) => setTimeout(r, IDLE_S * 1000 + 300));
  await login(idle, 'ada', 'ada-password-1');
  assert.equal(sql(db, 'SELECT count(*) AS n FROM sessions')[0].n, '1', 'only the new session is left');
  const max = await startServer(t, db, ['--session-max', '1']);
  const m = await login(max, 'ada', 'ada-password-1');
  assert.match(m.res.headers['set-cookie'][0], /Max-Age=1;/);
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 400));
    // Used all along (never idle), it still ends one second after login.
    const res = await request(max, '/api/v1/auth/me', { headers: { Cookie: m.cookie } });
    if (i === 2) assert.equal(errorOf(res).code, 'session_expired');
  }
});

test('API tokens: created and revoked by their owner, stored hashed, no CSRF needed', async (t) => {
  const db = demoDb(t, 'auth-tokens');
  addUser(db, 'ada', 'admin', 'ada-password-1');
  addUser(db, 'bob', 'viewer', 'bob-password-1');
  const server = await startServer(t, db);
  const ada = await login(server, 'ada', 'ada-password-1');
  const created = await request(server, '/api/v1/tokens', { method: 'POST', headers: { Cookie: ada.cookie, 'X-CSRF-Token': ada.csrf }, body: { name: 'erp sync', expires_in_days: 30 } });
  assert.equal(created.status, 201);
  const token = created.json.token;
  assert.match(token, /^sdt_[0-9a-f]{64}$/);
  const days = (Date.parse(created.json.expires_at) - Date.parse(created.json.created_at)) / 86400000;
  assert.equal(days, 30);
  const stored = sql(db, 'SELECT token_hash, name FROM api_tokens');
  assert.deepEqual(stored.map((r) => r.name), ['erp sync']);
  assert.ok(!stored[0].token_hash.includes(token.slice(4)));

  const bearer = { Authorization: `Bearer ${token}` };
  const me = await request(server, '/api/v1/auth/me', { headers: bearer });
  assert.equal(me.status, 200);
  assert.equal(me.json.auth, 'token');
  assert.equal(me.json.user.login, 'ada');
  // A token cannot mint another one (a stolen token would outlive its expiry and revocation).
  const minted = await request(server, '/api/v1/tokens', { method: 'POST', headers: bearer, body: { name: 'second' } });
  assert.equal(minted.status, 403);
  assert.equal(errorOf(minted).code, 'forbidden');
  assert.equal(sql(db, 'SELECT count(*) AS n FROM api_tokens')[0].n, '1', 'nothing was written');
  const session = { Cookie: ada.cookie, 'X-CSRF-Token': ada.csrf };
  const another = await request(server, '/api/v1/tokens', { method: 'POST', headers: session, body: { name: 'second' } });
  assert.equal(another.status, 201);
  assert.equal(another.json.expires_at, null);
  const list = await request(server, '/api/v1/tokens', { headers: bearer });
  assert.deepEqual(list.json.items.map((i) => i.name), ['second', 'erp sync']);
  assert.ok(!list.text.includes(token), 'the list never shows a secret');
  assert.ok(list.json.items[1].last_used_at !== null);

  for (const bad of [{ name: '' }, { name: 'a'.repeat(101) }, {}, { name: 'x', expires_in_days: 0 }, { name: 'x', expires_in_days: 1.5 }, { name: 'x', expires_in_days: '3' }]) {
    const res = await request(server, '/api/v1/tokens', { method: 'POST', headers: session, body: bad });
    assert.equal(res.status, 400, JSON.stringify(bad));
    assert.ok(errorOf(res).details.length >= 1, JSON.stringify(bad));
  }
  assert.equal((await request(server, '/api/v1/auth/me', { headers: { Authorization: `Bearer sdt_${'0'.repeat(64)}` } })).status, 401);
  assert.equal((await request(server, '/api/v1/auth/me', { headers: { Authorization: 'Basic YWRhOmFkYQ==' } })).status, 401);

  // Bob cannot revoke Ada's token: the same 404 as a token that does not exist.
  const bob = await login(server, 'bob', 'bob-password-1');
  const bobHeaders = { Cookie: bob.cookie, 'X-CSRF-Token': bob.csrf };
  const theirs = await request(server, `/api/v1/tokens/${created.json.id}`, { method: 'DELETE', headers: bobHeaders });
  const none = await request(server, '/api/v1/tokens/999999', { method: 'DELETE', headers: bobHeaders });
  assert.equal(theirs.status, 404);
  assert.equal(none.status, 404);
  assert.equal(errorOf(theirs).message.replace(/'\d+'/, "'N'"), errorOf(none).message.replace(/'\d+'/, "'N'"));
  assert.equal((await request(server, '/api/v1/tokens/abc', { method: 'DELETE', headers: bobHeaders })).status, 404);
  assert.equal((await request(server, '/api/v1/auth/me', { headers: bearer })).status, 200, 'still valid');

  const revoked = await request(server, `/api/v1/tokens/${created.json.id}`, { method: 'DELETE', headers: bearer });
  assert.equal(revoked.status, 204);
  assert.equal((await request(server, '/api/v1/auth/me', { headers: bearer })).status, 401);
  assert.equal((await request(server, `/api/v1/tokens/${created.json.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${another.json.token}` } })).status, 404, 'revoking twice');
  const audit = sql(db, "SELECT action, entity, user_id, actor FROM audit_log WHERE entity = 'api_token' ORDER BY id");
  assert.deepEqual(audit.map((a) => a.action), ['create', 'create', 'revoke']);
  for (const a of audit) {
    assert.notEqual(a.user_id, null, 'an API write names its user');
    assert.match(a.actor, /^api:\S+$/);
  }

  // A new password shuts out whoever had the old one: sessions end, tokens are revoked.
  const third = await request(server, '/api/v1/tokens', { method: 'POST', headers: session, body: { name: 'third' } });
  assert.equal(third.status, 201);
  const thirdBearer = { Authorization: `Bearer ${third.json.token}` };
  assert.equal((await request(server, '/api/v1/auth/me', { headers: thirdBearer })).status, 200);
  const passwd = spawnSync(BIN, ['user', 'passwd', 'ada', '--password-stdin', '--db', db], { input: 'ada-password-2\n', encoding: 'utf8' });
  assert.equal(passwd.status, 0, passwd.stderr);
  assert.equal((await request(server, '/api/v1/auth/me', { headers: thirdBearer })).status, 401, 'the token is revoked');
  assert.equal((await request(server, '/api/v1/auth/me', { headers: { Cookie: ada.cookie } })).status, 401, 'the session ended');
  assert.equal(sql(db, "SELECT count(*) AS n FROM api_tokens WHERE revoked_at IS NULL")[0].n, '0');
});

test('failed logins are throttled per login and per client address (429 with Retry-After)', async (t) => {
  const db = demoDb(t, 'auth-throttle');
  for (const name of ['ada', 'bob', 'cyd']) addUser(db, name, 'viewer', `${name}-password-1`);
  const server = await startServer(t, db, ['--login-limit', '2']);
  const attempt = (loginName, password) => request(server, '/api/v1/auth/login', { method: 'POST', body: { login: loginName, password } });
  assert.equal((await attempt('ada', 'wrong-1')).status, 401);
  assert.equal((await attempt('ada', 'wrong-2')).status, 401);
  const blocked = await attempt('ada', 'ada-password-1');
  assert.equal(blocked.status, 429, 'even the right password, once the login is throttled');
  assert.equal(errorOf(blocked).code, 'too_many_requests');
  const retry = Number(blocked.headers['retry-after']);
  assert.ok(retry > 800 && retry <= 900, `Retry-After ${retry}`);
  assert.equal((await attempt('bob', 'bob-password-1')).status, 200, 'another login is not throttled');
  // Per address: four times the login limit (8) failures from one address, over any logins.
  for (const name of ['ghost1', 'ghost2', 'ghost3']) {
    assert.equal((await attempt(name, 'wrong')).status, 401);
    assert.equal((await attempt(name, 'wrong')).status, 401);
  }
  const addressBlocked = await attempt('cyd', 'cyd-password-1');
  assert.equal(addressBlocked.status, 429);
  assert.equal((await request(server, '/healthz')).status, 200);
});

test('concurrent wrong passwords: no more are checked than the limit (check and count are one step)', async (t) => {
  const db = demoDb(t, 'auth-race');
  addUser(db, 'ada', 'viewer', 'ada-password-1');
  const server = await startServer(t, db, ['--login-limit', '2', '--threads', '8']);
  const attempt = () => request(server, '/api/v1/auth/login', { method: 'POST', body: { login: 'ada', password: 'wrong-password' } });
  const statuses = (await Promise.all(Array.from({ length: 16 }, attempt))).map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 401).length, 2, statuses.join(' '));
  assert.equal(statuses.filter((s) => s === 429).length, 14, statuses.join(' '));
  assert.equal((await request(server, '/api/v1/auth/login', { method: 'POST', body: { login: 'ada', password: 'ada-password-1' } })).status, 429);
});

test('a user has at most 20 sessions: each new login ends the oldest one', async (t) => {
  const db = demoDb(t, 'auth-sessions');
  addUser(db, 'ada', 'viewer', 'ada-password-1');
  addUser(db, 'bob', 'viewer', 'bob-password-1');
  const server = await startServer(t, db);
  const bob = await login(server, 'bob', 'bob-password-1');
  const cookies = [];
  for (let i = 0; i < 22; i++) cookies.push((await login(server, 'ada', 'ada-password-1')).cookie);
  const count = (name) => Number(sql(db, `SELECT count(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.login = '${name}'`)[0].n);
  assert.equal(count('ada'), 20);
  assert.equal(count('bob'), 1, "another user's session is untouched");
  const me = async (cookie) => (await request(server, '/api/v1/auth/me', { headers: { Cookie: cookie } })).status;
  assert.equal(await me(cookies[0]), 401, 'the oldest session ended');
  assert.equal(await me(cookies[1]), 401);
  assert.equal(await me(cookies[2]), 200);
  assert.equal(await me(cookies[21]), 200);
  assert.equal(await me(bob.cookie), 200);
});

test('roles are checked in one place: admin-only routes answer 403 to the others', async (t) => {
  const db = demoDb(t, 'auth-roles');
  const { rep } = repAndOrders(db);
  for (const role of ROLES) addUser(db, role, role, `${role}-password-1`, role === 'rep' ? ['--rep', rep] : []);
  const server = await startServer(t, db);
  for (const role of ROLES) {
    const s = await login(server, role, `${role}-password-1`);
    assert.equal(s.res.status, 200, role);
    assert.equal(s.res.json.user.role, role);
    const users = await request(server, '/api/v1/users', { headers: { Cookie: s.cookie } });
    if (role === 'admin') {
      assert.equal(users.status, 200);
      assert.deepEqual(users.json.items.map((u) => u.login).sort(), [...ROLES].sort());
      assert.equal(users.json.items.find((u) => u.login === 'rep').rep, rep);
      assert.ok(!users.text.includes('argon2'), 'no password hashes in the answer');
    } else {
      assert.equal(users.status, 403, role);
      assert.equal(errorOf(users).code, 'forbidden');
    }
    const me = await request(server, '/api/v1/auth/me', { headers: { Cookie: s.cookie } });
    assert.equal(me.json.user.role, role);
  }
  assert.equal((await request(server, '/api/v1/users')).status, 401);
});

test('orders: a rep reads only their accounts\' orders; any other answers the 404 of a missing one', async (t) => {
  const db = demoDb(t, 'auth-rows');
  const { rep, own, other } = repAndOrders(db);
  addUser(db, 'rita', 'rep', 'rita-password-1', ['--rep', rep]);
  addUser(db, 'vic', 'viewer', 'vic-password-1');
  const server = await startServer(t, db);
  const rita = await login(server, 'rita', 'rita-password-1');
  const vic = await login(server, 'vic', 'vic-password-1');
  const asRita = { headers: { Cookie: rita.cookie } };

  const mine = await request(server, `/api/v1/orders/${own}`, asRita);
  assert.equal(mine.status, 200);
  const cli = JSON.parse(run(['order', own, '--db', db, '--json']).stdout);
  assert.deepEqual(mine.json, cli, 'the API answers what `salesdesk order ID --json` prints');
  const diagnosis = await request(server, `/api/v1/orders/${own}/diagnosis?today=2030-01-01`, asRita);
  assert.equal(diagnosis.status, 200);
  assert.equal(diagnosis.json.id, own);
  assert.equal(diagnosis.json.today, '2030-01-01');
  assert.ok(['blocked', 'at risk', 'ok'].includes(diagnosis.json.verdict));

  const notMine = await request(server, `/api/v1/orders/${other}`, asRita);
  const missing = await request(server, '/api/v1/orders/999999999', asRita);
  assert.equal(notMine.status, 404);
  assert.equal(missing.status, 404);
  const strip = (res) => ({ ...res.json, error: { ...res.json.error, message: res.json.error.message.replace(/'[^']*'/, "'X'") } });
  assert.deepEqual(strip(notMine), strip(missing));
  assert.deepEqual(Object.keys(notMine.headers).sort(), Object.keys(missing.headers).sort());
  assert.equal(notMine.text.length - other.length, missing.text.length - '999999999'.length);
  assert.equal((await request(server, `/api/v1/orders/${other}/diagnosis`, asRita)).status, 404);

  // A viewer reads every order; nobody reads without logging in.
  assert.equal((await request(server, `/api/v1/orders/${other}`, { headers: { Cookie: vic.cookie } })).status, 200);
  assert.equal((await request(server, `/api/v1/orders/${own}`)).status, 401);
  // Ids with SQL metacharacters or path tricks are just ids that do not exist.
  for (const id of ["1'%20OR%20'1'='1", '%2e%2e', '1;DROP%20TABLE%20orders', '%00']) {
    const res = await request(server, `/api/v1/orders/${id}`, { headers: { Cookie: vic.cookie } });
    assert.equal(res.status, 404, id);
    errorOf(res);
  }
  const bad = await request(server, `/api/v1/orders/${own}/diagnosis?today=2030-13-01`, asRita);
  assert.equal(bad.status, 400);
  assert.equal(errorOf(bad).details[0].field, 'today');
  assert.equal(sql(db, 'SELECT count(*) AS n FROM orders')[0].n > 0, true);
  assert.equal((await request(server, '/healthz')).status, 200);
});
