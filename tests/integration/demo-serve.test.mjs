// SPDX-License-Identifier: MIT
// `salesdesk demo --serve` (what `make demo` runs): builds the demo, adds one
// login per role with its documented password (demo-ROLE), prints them and
// the URL, and serves until SIGTERM. The test reads what a person reads on
// the screen, logs in with each printed login, and checks the rep user against
// the store with the sqlite3 shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BIN, run, sql, tempDir, testDb } from './helpers.mjs';
import { request } from './server.mjs';

const ROLES = ['admin', 'manager', 'support', 'rep', 'viewer'];

/** Starts `demo --serve`; resolves { port, stdout, proc, exited } once the URL is printed. */
function startDemo(t, db) {
  const proc = spawn(BIN, ['demo', '--db', db, '--scale', 'small', '--serve', '--listen', '127.0.0.1:0']);
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, 'SIGTERM');
    await exited;
  });
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      stdout += d;
      const m = /^salesdesk: serving .* on http:\/\/127\.0\.0\.1:(\d+)\/$/m.exec(stdout);
      if (m) resolve({ port: Number(m[1]), stdout, proc, exited, stderr: () => stderr });
    });
    proc.on('exit', (code) => reject(new Error(`demo --serve exited ${code}: ${stderr}`)));
  });
}

test('demo --serve prints a login per role and the URL; each login works with its role', async (t) => {
  const db = testDb(tempDir(t, 'demo-serve'), 'demo.db');
  const server = await startDemo(t, db);
  // The logins table: "  LOGIN  PASSWORD  what the role may do".
  const table = server.stdout.slice(server.stdout.indexOf('demo logins'));
  const logins = [...table.matchAll(/^ {2}(\S+) +(demo-\S+) +(.*)$/gm)].map((m) => ({ login: m[1], password: m[2], note: m[3] }));
  assert.deepEqual(logins.map((l) => l.login), ROLES);
  assert.deepEqual(logins.map((l) => l.password), ROLES.map((r) => `demo-${r}`));

  for (const { login, password } of logins) {
    const res = await request(server, '/api/v1/auth/login', { method: 'POST', body: { login, password } });
    assert.equal(res.status, 200, `${login}: ${res.text}`);
    const cookie = res.headers['set-cookie'][0].split(';')[0];
    const me = await request(server, '/api/v1/auth/me', { headers: { Cookie: cookie } });
    assert.equal(me.status, 200);
    assert.equal(me.json.user.role, login);
    assert.equal(me.json.auth, 'session');
  }

  // The rep user is a real rep who owns the account the table names, and sees its orders.
  const rep = logins.find((l) => l.login === 'rep');
  const [, repId, account] = /^rep (R\d+): only their accounts \(e\.g\. (C\d+)\)/.exec(rep.note);
  const [owner] = sql(db, `SELECT r.ext_id AS rep, (SELECT count(*) FROM accounts x WHERE x.owner_rep_id = r.id) AS owned
                           FROM accounts a JOIN reps r ON r.id = a.owner_rep_id WHERE a.ext_id = '${account}'`);
  assert.equal(owner.rep, repId);
  assert.ok(Number(owner.owned) >= 1);
  const [user] = sql(db, `SELECT r.ext_id AS rep, u.password_hash AS hash FROM users u JOIN reps r ON r.id = u.rep_id WHERE u.login = 'rep'`);
  assert.equal(user.rep, repId);
  assert.match(user.hash, /^\$argon2id\$/, 'only the hash is stored');
  const [order] = sql(db, `SELECT o.ext_id FROM orders o JOIN accounts a ON a.id = o.account_id WHERE a.ext_id = '${account}' LIMIT 1`);
  const s = await request(server, '/api/v1/auth/login', { method: 'POST', body: { login: 'rep', password: 'demo-rep' } });
  const cookie = s.headers['set-cookie'][0].split(';')[0];
  assert.equal((await request(server, `/api/v1/orders/${order.ext_id}`, { headers: { Cookie: cookie } })).status, 200);
  assert.equal(sql(db, 'SELECT count(*) AS n FROM users')[0].n, '5');

  process.kill(server.proc.pid, 'SIGTERM');
  assert.deepEqual(await server.exited, { code: 0, signal: null });
});

test('demo: --listen without --serve is a usage error', () => {
  const r = run(['demo', '--db', '/nonexistent/x.db', '--listen', '127.0.0.1:0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--listen goes with --serve/);
});
