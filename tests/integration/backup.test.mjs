// SPDX-License-Identifier: MIT
// salesdesk backup: a copy of a live SQLite store, checked against the
// original with the sqlite3 shell (the same .dump), refused over an existing
// file unless --force, never over the store itself, consistent when an import
// writes meanwhile (all of the import or none of it), and usable as a store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, runAsync, tempDir } from './helpers.mjs';

function dump(db) {
  const r = spawnSync('sqlite3', [db, '.dump'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function scalar(db, query) {
  const r = spawnSync('sqlite3', [db, query], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('a backup is the same store as the original, and a store of its own', (t) => {
  const dir = tempDir(t, 'backup');
  const db = path.join(dir, 'live.db');
  const copy = path.join(dir, 'copy.db');
  assert.equal(run(['demo', '--db', db, '--scale', 'small']).code, 0);
  const r = run(['backup', copy, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^backup: .*live\.db -> .*copy\.db \(\d+\.\d MiB\) in \d+\.\d s\n$/);
  assert.equal(dump(copy), dump(db));
  assert.equal(scalar(copy, 'PRAGMA integrity_check'), 'ok');
  // It opens as a store: the same KPI cards as the original.
  const kpi = (file) => run(['kpi', '--json', '--db', file]);
  assert.equal(kpi(copy).stdout, kpi(db).stdout);
  assert.deepEqual(readdirSync(dir).filter((f) => !f.startsWith('live.db')), ['copy.db'], 'nothing else is left behind');

  // An existing file is kept unless --force; the store itself never.
  const again = run(['backup', copy, '--db', db]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /copy\.db' exists \(--force replaces it\)/);
  assert.equal(run(['backup', copy, '--db', db, '--force']).code, 0);
  const self = run(['backup', db, '--db', db, '--force']);
  assert.equal(self.code, 2);
  assert.match(self.stderr, /is the database itself/);
  // A store that does not exist: an error, and no file.
  const missing = run(['backup', path.join(dir, 'x.db'), '--db', path.join(dir, 'nope.db')]);
  assert.equal(missing.code, 1);
  assert.equal(existsSync(path.join(dir, 'x.db')), false);
});

test('a backup taken while an import writes holds all of the import or none of it', async (t) => {
  const dir = tempDir(t, 'backup-live');
  const db = path.join(dir, 'live.db');
  assert.equal(run(['init', '--db', db]).code, 0);
  const n = 60000;
  const rows = ['id,name,segment,region,country,city,owner_rep,account_manager,credit_limit,payment_terms_days,status,currency'];
  for (let i = 0; i < n; i++) rows.push(`A${i},Account ${i},smb,EMEA,DE,Berlin,,,1000,30,active,EUR`);
  writeFileSync(path.join(dir, 'accounts.csv'), rows.join('\n') + '\n');
  const importing = runAsync(['import', 'accounts', path.join(dir, 'accounts.csv'), '--map', 'native', '--db', db]);
  const counts = new Set();
  let taken = 0;
  // Backups one after the other until the import has finished: each is a whole snapshot.
  let done = false;
  importing.then(() => { done = true; });
  for (let k = 0; !done || k === 0; k++) {
    const copy = path.join(dir, `copy-${k}.db`);
    const r = run(['backup', copy, '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(scalar(copy, 'PRAGMA integrity_check'), 'ok');
    counts.add(scalar(copy, 'SELECT count(*) FROM accounts'));
    taken++;
    await new Promise((r2) => setTimeout(r2, 20));
  }
  const imported = await importing;
  t.diagnostic(`${taken} backups taken while the import ran; accounts seen: ${[...counts].join(', ')}`);
  assert.ok(taken >= 2, 'the import outlasted one backup');
  assert.equal(imported.code, 0, imported.stderr);
  for (const c of counts) assert.ok(c === '0' || c === String(n), `a backup held ${c} of the ${n} accounts`);
  const last = path.join(dir, 'after.db');
  assert.equal(run(['backup', last, '--db', db]).code, 0);
  assert.equal(scalar(last, 'SELECT count(*) FROM accounts'), String(n));
  assert.equal(dump(last), dump(db));
});
