// SPDX-License-Identifier: MIT
// `salesdesk user`: adding users with roles and reps, listing them, changing
// passwords; usage errors, and what the store keeps (argon2id strings, audit
// rows), read back with the sqlite3 shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { BIN, run, sql, tempDir, testDb } from './helpers.mjs';

function demoDb(t, name) {
  const db = testDb(tempDir(t, name), 'demo.db');
  const r = run(['demo', '--db', db, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  return db;
}

function user(db, args, input) {
  return spawnSync(BIN, ['user', ...args, '--db', db], { input: input ?? '', encoding: 'utf8' });
}

test('salesdesk user: add, list, passwd, with clear usage errors and an audit trail', (t) => {
  const db = demoDb(t, 'auth-cli');
  const [{ rep }] = sql(db, 'SELECT ext_id AS rep FROM reps ORDER BY id LIMIT 1');
  let r = user(db, ['add', 'ada', '--role', 'admin', '--name', 'Ada Lovelace', '--password-stdin'], 'first-password\n');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /user 'ada' added \(admin\)/);
  r = user(db, ['add', 'rita', '--role', 'rep', '--rep', rep]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /no password yet/);
  assert.equal(user(db, ['add', 'x']).status, 2);
  assert.match(user(db, ['add', 'x', '--role', 'boss']).stderr, /--role: 'boss' is not one of admin, manager, support, rep, viewer/);
  r = user(db, ['add', 'x', '--role', 'rep']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /a user with role rep needs a rep/);
  r = user(db, ['add', 'y', '--role', 'rep', '--rep', 'NOSUCHREP']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no rep with id 'NOSUCHREP'/);
  r = user(db, ['add', 'ada', '--role', 'viewer']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /a user with login 'ada' exists already/);
  r = user(db, ['add', 'z', '--role', 'viewer', '--password-stdin'], 'short\n');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /at least 8 characters/);
  for (const bad of ['', 'two words', 'tab\there', 'l'.repeat(129)]) {
    r = user(db, ['add', bad, '--role', 'viewer']);
    assert.equal(r.status, 2, `login ${JSON.stringify(bad)}`);
    assert.match(r.stderr, /1 to 128 characters, no spaces or control characters/);
  }
  const other = testDb(tempDir(t, 'user-other'), 'other.db');
  assert.equal(run(['init', '--db', other]).code, 0);
  assert.equal(user(other, ['add', 'l'.repeat(128), '--role', 'viewer']).status, 0, 'a 128-character login is fine');
  assert.equal(user(db, ['passwd', 'ada']).status, 2, 'passwd needs --password-stdin');
  assert.equal(user(db, ['frob']).status, 2);
  r = user(db, ['passwd', 'ada', '--password-stdin'], '');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no password on stdin/);
  r = user(db, ['passwd', 'ada', '--password-stdin'], 'x'.repeat(1025));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /longer than 1024 characters/);
  r = user(db, ['passwd', 'nobody', '--password-stdin'], 'whatever-password\n');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no user with login 'nobody'/);

  const list = user(db, ['list', '--json']);
  assert.equal(list.status, 0);
  const users = JSON.parse(list.stdout);
  assert.deepEqual(users.map((u) => [u.login, u.role, u.rep, u.password]), [['ada', 'admin', null, true], ['rita', 'rep', rep, false]]);
  assert.match(user(db, ['list']).stdout, /^login\s+role\s+rep/);

  const [stored] = sql(db, "SELECT password_hash FROM users WHERE login = 'ada'");
  assert.match(stored.password_hash, /^\$argon2id\$v=19\$m=65536,t=2,p=1\$/);
  assert.ok(!stored.password_hash.includes('first-password'));
  const audit = sql(db, "SELECT action, entity, user_id, actor FROM audit_log ORDER BY id");
  assert.deepEqual(audit.map((a) => [a.action, a.entity, a.user_id]), [['create', 'user', null], ['create', 'user', null]]);
  for (const a of audit) assert.match(a.actor, /^cli:\S+$/, 'the command line writes as cli:<OS user>');
  r = user(db, ['passwd', 'rita', '--password-stdin'], 'rita-password-1\r\n');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(sql(db, "SELECT count(*) AS n FROM audit_log WHERE action = 'password'")[0].n, '1');
});
