// SPDX-License-Identifier: MIT
// Imports through the HTTP API: uploads become jobs that run `salesdesk
// import`'s pipeline on the server's job thread. Native CSV files written here
// are uploaded kind by kind and the store is then read with the sqlite3 shell;
// a bad cell is reported by row and column with nothing applied; an upload
// over --max-upload answers 413; dry runs apply nothing; XLSX works; roles;
// SIGTERM (and kill -9) during a large import leave none of it in the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { run, sql, tempDir, testDb, storeDump } from './helpers.mjs';
import { addUser, errorOf, login, request, startServer } from './server.mjs';

const SANITIZE = process.env.SD_SANITIZE === 'ON';

function freshDb(t, name) {
  const dir = tempDir(t, name);
  const db = testDb(dir, 'store.db');
  assert.equal(run(['init', '--db', db]).code, 0);
  return { dir, db };
}

/** The whole store (schema and rows), without the rows that record jobs, logins and who did what. */
function dataDump(db) {
  return storeDump(db, { skip: ['import_jobs', 'import_job_kinds', 'import_job_errors', 'audit_log', 'sessions'] });
}

const FILES = {
  reps: 'id,name,email,team,region,manager,discount_limit_pct\nR1,Rita,rita@example.com,East,East,,10\nR2,Rob,,East,East,R1,5\n',
  accounts: 'id,name,segment,region,country,city,owner_rep,account_manager,credit_limit,payment_terms_days,status,currency\n' +
    'A1,Acme,SMB,East,DE,Berlin,R1,,5000,30,active,EUR\nA2,Bolt,Enterprise,East,FR,Paris,R2,R1,12000.25,45,active,EUR\nA3,Crate,SMB,East,DE,Köln,R2,,,30,on_hold,EUR\n',
  products: 'sku,name,category,list_price,cost,status,launch_date\nP1,Widget,Tools,2.5,1.1,active,\nP2,Gadget,Tools,10,4.25,active,2024-03-01\n',
  orders: 'id,account,rep,order_date,requested_date,promised_date,ship_date,status,currency,ship_country,ship_address\n' +
    'O1,A1,R1,2024-05-02,,,,pending,EUR,DE,\nO2,A2,R2,2024-05-03,,,2024-05-10,shipped,EUR,FR,\nO3,A1,R1,2024-06-01,,,,confirmed,EUR,DE,\n',
  lines: 'order,line,sku,qty,unit_price,discount,shipped_qty\nO1,1,P1,10,2.5,0,\nO1,2,P2,3,10,0.1,\nO2,1,P2,7,9.99,0.05,7\nO3,1,P1,1,2.5,,\n',
};

async function adminSession(t, server, db) {
  addUser(db, 'ada', 'admin', 'admin-password-1');
  const s = await login(server, 'ada', 'admin-password-1');
  assert.ok(s.cookie, 'logged in');
  return s;
}

function upload(server, auth, query, body, contentType = 'text/csv') {
  return request(server, `/api/v1/imports?${query}`, {
    method: 'POST', body: Buffer.from(body),
    headers: { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf, 'Content-Type': contentType },
  });
}

function get(server, auth, p) {
  return request(server, p, { headers: { Cookie: auth.cookie } });
}

/** Polls a job until it has ended; resolves its last state. */
async function finished(server, auth, id) {
  const until = Date.now() + (SANITIZE ? 120000 : 30000);
  for (;;) {
    const res = await get(server, auth, `/api/v1/imports/${id}`);
    assert.equal(res.status, 200, res.text);
    if (!['queued', 'running'].includes(res.json.status)) return res.json;
    if (Date.now() > until) throw new Error(`job ${id} still ${res.json.status}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function importOk(server, auth, query, body, contentType) {
  const res = await upload(server, auth, query, body, contentType);
  assert.equal(res.status, 202, res.text);
  assert.equal(res.json.status, 'queued');
  assert.equal(res.headers.location, `/api/v1/imports/${res.json.job}`);
  assert.equal(res.json.links.self, res.headers.location);
  return finished(server, auth, res.json.job);
}

const rowsOf = (text) => text.trim().split('\n').length - 1;

test('native CSV files uploaded kind by kind give exactly their rows; uploading them again changes nothing', async (t) => {
  const { db } = freshDb(t, 'api-import-native');
  const server = await startServer(t, db);
  const auth = await adminSession(t, server, db);
  const jobs = [];
  for (const [kind, text] of Object.entries(FILES)) {
    const job = await importOk(server, auth, `kind=${kind}`, text);
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.equal(job.kind, kind);
    assert.equal(job.who, 'api:ada');
    assert.equal(job.dry_run, false);
    assert.equal(job.counts.read, rowsOf(text));
    // Lines of orders already in the store count as updates of their order's lines.
    assert.equal(job.kinds[kind].inserted + job.kinds[kind].updated, rowsOf(text));
    assert.ok(job.changes > 0);
    assert.equal(job.bytes, Buffer.byteLength(text));
    assert.ok(job.duration_ms >= 0 && job.finished_at >= job.started_at);
    jobs.push(job.job);
  }
  const [c] = sql(db, `SELECT (SELECT count(*) FROM reps) AS reps, (SELECT count(*) FROM accounts) AS accounts,
      (SELECT count(*) FROM products) AS products, (SELECT count(*) FROM orders) AS orders,
      (SELECT count(*) FROM order_lines) AS lines`);
  assert.deepEqual(c, { reps: '2', accounts: '3', products: '2', orders: '3', lines: '4' });
  // Values as written in the files: 12000.25 is 120002500 in 1/10000; 9.99 is 99900; 0.05 is 50000 ppm.
  assert.deepEqual(sql(db, "SELECT name, city, credit_limit, status FROM accounts WHERE ext_id IN ('A2', 'A3') ORDER BY ext_id"),
    [{ name: 'Bolt', city: 'Paris', credit_limit: '120002500', status: 'active' },
      { name: 'Crate', city: 'Köln', credit_limit: null, status: 'on_hold' }]);
  assert.deepEqual(sql(db, "SELECT l.qty, l.unit_price, l.discount FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.ext_id = 'O2'"),
    [{ qty: '7', unit_price: '99900', discount: '50000' }]);
  // The job rows: who, status, counts, in the store.
  assert.deepEqual(sql(db, 'SELECT kind, status, actor, rows_read FROM import_jobs ORDER BY id'),
    Object.entries(FILES).map(([kind, text]) => ({ kind, status: 'done', actor: 'api:ada', rows_read: String(rowsOf(text)) })));

  const changes = sql(db, 'SELECT count(*) AS n FROM change_log')[0].n;
  const before = dataDump(db);
  for (const [kind, text] of Object.entries(FILES)) {
    const job = await importOk(server, auth, `kind=${kind}`, text);
    assert.equal(job.status, 'succeeded');
    assert.equal(job.changes, 0, `${kind}: no changes the second time`);
    assert.deepEqual([job.counts.inserted, job.counts.updated, job.counts.unchanged], [0, 0, rowsOf(text)]);
  }
  assert.equal(sql(db, 'SELECT count(*) AS n FROM change_log')[0].n, changes);
  assert.equal(dataDump(db), before);

  // The list: newest first, in pages.
  const page1 = await get(server, auth, '/api/v1/imports?limit=6');
  assert.equal(page1.status, 200);
  assert.equal(page1.json.items.length, 6);
  assert.equal(page1.json.items[0].job, jobs[jobs.length - 1] + 5);
  const page2 = await get(server, auth, `/api/v1/imports?limit=6&cursor=${page1.json.next_cursor}`);
  assert.deepEqual(page2.json.items.map((j) => j.job), [4, 3, 2, 1]);
  assert.equal(page2.json.next_cursor, null);
  assert.equal((await get(server, auth, '/api/v1/imports/999')).status, 404);
  assert.equal((await get(server, auth, '/api/v1/imports/x1')).status, 404);

  const metrics = (await request(server, '/metrics')).text;
  assert.match(metrics, /^salesdesk_import_jobs_total\{status="succeeded"\} 10$/m);
  const rows = Object.values(FILES).reduce((n, text) => n + rowsOf(text), 0);
  assert.match(metrics, new RegExp(`^salesdesk_import_rows_total ${rows * 2}$`, 'm'));
});

test('one bad cell: the job is rejected, the error report names row and column, the store is unchanged', async (t) => {
  const { db } = freshDb(t, 'api-import-bad');
  const server = await startServer(t, db);
  const auth = await adminSession(t, server, db);
  for (const kind of ['reps', 'accounts']) assert.equal((await importOk(server, auth, `kind=${kind}`, FILES[kind])).status, 'succeeded');
  const before = dataDump(db);
  // Row 3 of the file (the header is row 1), column 4 is order_date.
  const bad = FILES.orders.replace('O2,A2,R2,2024-05-03', 'O2,A2,R2,2024-13-03');
  const job = await importOk(server, auth, 'kind=orders', bad);
  assert.equal(job.status, 'rejected');
  assert.equal(job.error_count, 1);
  assert.equal(job.counts.inserted, 0);
  assert.equal(job.kinds.orders.rejected, 1);
  const errors = await get(server, auth, `/api/v1/imports/${job.job}/errors`);
  assert.equal(errors.status, 200);
  assert.equal(errors.json.items.length, 1);
  const [e] = errors.json.items;
  assert.deepEqual([e.file, e.row, e.column, e.field], ['orders.csv', 3, 4, 'orders.order_date']);
  assert.match(e.reason, /'2024-13-03'/);
  assert.equal(errors.json.next_cursor, null);
  assert.equal(dataDump(db), before);
  assert.equal(sql(db, "SELECT count(*) AS n FROM orders")[0].n, '0');

  // A file the CSV reader refuses (a stray quote on line 3): rejected, with the row.
  const broken = await importOk(server, auth, 'kind=orders', FILES.orders.replace('O2,A2', 'O"2,A2'));
  assert.equal(broken.status, 'rejected');
  assert.equal(broken.error_count, 1);
  const [b] = (await get(server, auth, `/api/v1/imports/${broken.job}/errors`)).json.items;
  assert.equal(b.file, 'orders.csv');
  assert.equal(b.row, 3);
  assert.match(b.reason, /quote/);

  // Many problems: all kept (up to 100) and paged.
  const many = 'id,account,rep,order_date,requested_date,promised_date,ship_date,status,currency,ship_country,ship_address\n' +
    Array.from({ length: 5 }, (_, i) => `X${i},A1,R1,2024-05-0${i + 1},,,,lost,EUR,DE,`).join('\n') + '\n';
  const job2 = await importOk(server, auth, 'kind=orders', many);
  assert.equal(job2.status, 'rejected');
  assert.equal(job2.error_count, 5);
  const p1 = await get(server, auth, `/api/v1/imports/${job2.job}/errors?limit=3`);
  assert.deepEqual(p1.json.items.map((x) => [x.row, x.column]), [[2, 8], [3, 8], [4, 8]]);
  const p2 = await get(server, auth, `/api/v1/imports/${job2.job}/errors?limit=3&cursor=${p1.json.next_cursor}`);
  assert.deepEqual(p2.json.items.map((x) => x.row), [5, 6]);
  assert.equal(p2.json.next_cursor, null);
  assert.equal(dataDump(db), before);
});

test('an upload over --max-upload answers 413 and imports nothing; other bodies keep --max-body', async (t) => {
  const { db } = freshDb(t, 'api-import-big');
  const server = await startServer(t, db, ['--max-upload', '4096']);
  const auth = await adminSession(t, server, db);
  const before = dataDump(db);
  const header = 'id,name,country,credit_limit,status,currency\n';
  const big = header + Array.from({ length: 200 }, (_, i) => `Z${i},Account ${i},DE,1,active,EUR`).join('\n') + '\n';
  assert.ok(big.length > 4096);
  const res = await upload(server, auth, 'kind=accounts', big);
  assert.equal(res.status, 413);
  assert.equal(errorOf(res).code, 'too_large');
  assert.match(errorOf(res).message, /4096 bytes/);
  assert.equal(sql(db, 'SELECT count(*) AS n FROM import_jobs')[0].n, '0');
  assert.equal(dataDump(db), before);
  // Under the cap it is taken (and the cap is for the imports route alone).
  const small = header + 'Z1,Account 1,DE,1,active,EUR\n';
  assert.equal((await importOk(server, auth, 'kind=accounts', small)).status, 'succeeded');
  const login = await request(server, '/api/v1/auth/login', { method: 'POST', body: JSON.stringify({ login: 'x'.repeat(5000), password: 'y' }), headers: { 'Content-Type': 'application/json' } });
  assert.notEqual(login.status, 413, 'a 5 kB login body is within --max-body');
});

/**
 * Sends the request line and headers of an upload that declares `length` body
 * bytes, and none of the body. Resolves the raw answer, or null when none
 * came within `ms` (the server is waiting for the body); the socket is
 * returned for the caller to go on with.
 */
function headersOnly(server, query, headers, length, ms) {
  const socket = net.connect(server.port, '127.0.0.1');
  socket.on('error', () => {});
  let text = '';
  socket.on('data', (d) => { text += d; });
  const head = Object.entries({ Host: 'x', 'Content-Type': 'text/csv', 'Content-Length': String(length), ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.write(`POST /api/v1/imports?${query} HTTP/1.1\r\n${head}\r\n`);
  return new Promise((resolve) => {
    const done = () => resolve({ answer: text || null, socket });
    socket.on('end', done);
    setTimeout(done, ms);
  });
}

test('an upload the caller may not make is refused from its headers, before any of its body is read', async (t) => {
  const { db } = freshDb(t, 'api-import-preflight');
  const server = await startServer(t, db, ['--max-upload', String(64 << 20)]);
  const auth = await adminSession(t, server, db);
  addUser(db, 'vera', 'viewer', 'viewer-password-1');
  const viewer = await login(server, 'vera', 'viewer-password-1');
  const declared = 50 << 20; // 50 MiB announced, not one byte of it sent
  const cases = [
    [{}, 'kind=accounts', 401, 'unauthorized'],
    [{ Cookie: viewer.cookie, 'X-CSRF-Token': viewer.csrf }, 'kind=accounts', 403, 'forbidden'],
    [{ Cookie: auth.cookie }, 'kind=accounts', 403, 'csrf'],
    [{ Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf }, 'kind=accounts&colour=red', 400, 'invalid_input'],
  ];
  for (const [headers, query, status, code] of cases) {
    const { answer, socket } = await headersOnly(server, query, headers, declared, 5000);
    socket.destroy();
    assert.ok(answer, `${status} ${code}: answered without the body`);
    assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `));
    assert.match(answer, /\r\nConnection: close\r\n/i);
    assert.equal(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error.code, code);
  }
  // An admin's upload passes the same checks and is read: no answer until the body is in.
  const body = 'id,name,country,credit_limit,status,currency\nZ1,Account 1,DE,1,active,EUR\n';
  const { answer, socket } = await headersOnly(server, 'kind=accounts',
    { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf, Connection: 'close' }, body.length, 500);
  assert.equal(answer, null, 'the server waits for the body of an upload it accepts');
  const ended = new Promise((r) => socket.on('end', r));
  let text = '';
  socket.on('data', (d) => { text += d; });
  socket.write(body);
  await ended;
  assert.match(text, /^HTTP\/1\.1 202 /);
  const job = await finished(server, auth, JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).job);
  assert.equal(job.status, 'succeeded');
  assert.equal(sql(db, "SELECT name FROM accounts WHERE ext_id = 'Z1'")[0].name, 'Account 1');
  assert.equal(sql(db, 'SELECT count(*) AS n FROM import_jobs')[0].n, '1', 'the refused uploads made no job');
  assert.equal((await request(server, '/healthz')).status, 200);
});

test('a dry run reports what would change and applies nothing', async (t) => {
  const { db } = freshDb(t, 'api-import-dry');
  const server = await startServer(t, db);
  const auth = await adminSession(t, server, db);
  assert.equal((await importOk(server, auth, 'kind=reps', FILES.reps)).status, 'succeeded');
  const before = dataDump(db);
  const job = await importOk(server, auth, 'kind=reps&dry_run=true',
    FILES.reps.replace('Rob,,', 'Robert,,') + 'R3,Rhea,,West,West,,7\n');
  assert.equal(job.status, 'succeeded');
  assert.equal(job.dry_run, true);
  assert.deepEqual([job.counts.inserted, job.counts.updated, job.counts.unchanged], [1, 1, 1]);
  assert.ok(job.changes > 0);
  assert.equal(dataDump(db), before);
  assert.deepEqual(sql(db, 'SELECT name FROM reps ORDER BY ext_id'), [{ name: 'Rita' }, { name: 'Rob' }]);
});

test('XLSX and NDJSON uploads import like the same CSV; octet-stream needs format=', async (t) => {
  const { dir, db } = freshDb(t, 'api-import-xlsx');
  const server = await startServer(t, db);
  const auth = await adminSession(t, server, db);
  const csv2xlsx = process.env.SD_TOOL_CSV2XLSX;
  assert.ok(csv2xlsx, 'SD_TOOL_CSV2XLSX is set by ctest');
  writeFileSync(path.join(dir, 'products.csv'), FILES.products);
  const r = spawnSync(csv2xlsx, [path.join(dir, 'products.csv'), path.join(dir, 'products.xlsx')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const xlsx = readFileSync(path.join(dir, 'products.xlsx'));
  const job = await importOk(server, auth, 'kind=products', xlsx, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  assert.equal(job.format, 'xlsx');
  assert.deepEqual(sql(db, 'SELECT ext_id, list_price, cost, launch_date FROM products ORDER BY ext_id'),
    [{ ext_id: 'P1', list_price: '25000', cost: '11000', launch_date: null },
      // 2024-03-01 is day 19783 since 1970-01-01
      { ext_id: 'P2', list_price: '100000', cost: '42500', launch_date: '19783' }]);
  const same = await importOk(server, auth, 'kind=products&format=csv', FILES.products, 'application/octet-stream');
  assert.equal(same.status, 'succeeded');
  assert.equal(same.changes, 0, 'the CSV holds what the XLSX did');
  const ndjson = '{"sku":"P1","name":"Widget","category":"Tools","list_price":2.5,"cost":1.1,"status":"active"}\n' +
    '{"sku":"P2","name":"Gadget","category":"Tools","list_price":10,"cost":"4.25","status":"active","launch_date":"2024-03-01"}\n';
  const json = await importOk(server, auth, 'kind=products', ndjson, 'application/x-ndjson');
  assert.equal(json.status, 'succeeded');
  assert.equal(json.format, 'json');
  assert.deepEqual([json.counts.read, json.changes], [2, 0], 'the NDJSON holds what the XLSX did');
  const res = await upload(server, auth, 'kind=products', FILES.products, 'application/octet-stream');
  assert.equal(res.status, 400);
  assert.deepEqual(errorOf(res).details.map((d) => d.field), ['format']);
  assert.equal((await upload(server, auth, 'kind=products', FILES.products, 'text/plain')).status, 415);
});

test('bad parameters answer 400 with details; viewers and reps may not import or read jobs', async (t) => {
  const { db } = freshDb(t, 'api-import-roles');
  const server = await startServer(t, db);
  const auth = await adminSession(t, server, db);
  assert.equal((await importOk(server, auth, 'kind=reps', FILES.reps)).status, 'succeeded');
  let res = await upload(server, auth, 'kind=widgets&map=acme', FILES.reps);
  assert.equal(res.status, 400);
  let e = errorOf(res);
  assert.equal(e.code, 'invalid_input');
  assert.deepEqual(e.details.map((d) => d.field), ['kind', 'map']);
  assert.match(e.details[1].message, /no preset 'acme'/);
  res = await upload(server, auth, 'kind=fx&map=northwind', 'a,b\n1,2\n');
  assert.equal(res.status, 400);
  assert.match(errorOf(res).details[0].message, /preset 'northwind' has no entry for fx/);
  res = await upload(server, auth, 'kind=reps&delimiter=x&encoding=ebcdic&dry_run=yes&color=red', FILES.reps);
  assert.equal(res.status, 400);
  assert.deepEqual(errorOf(res).details.map((d) => d.field), ['color']);
  res = await upload(server, auth, 'kind=reps&delimiter=x&encoding=ebcdic&dry_run=yes', FILES.reps);
  assert.deepEqual(errorOf(res).details.map((d) => d.field), ['delimiter', 'encoding', 'dry_run']);
  res = await upload(server, auth, 'kind=reps', '');
  assert.equal(res.status, 400);
  assert.deepEqual(errorOf(res).details.map((d) => d.field), ['body']);
  assert.equal(sql(db, 'SELECT count(*) AS n FROM import_jobs')[0].n, '1');

  addUser(db, 'vera', 'viewer', 'viewer-password-1');
  addUser(db, 'rita', 'rep', 'rep-password-1', ['--rep', 'R1']);
  addUser(db, 'sam', 'support', 'support-password-1');
  for (const [who, password] of [['vera', 'viewer-password-1'], ['rita', 'rep-password-1']]) {
    const s = await login(server, who, password);
    assert.equal((await upload(server, s, 'kind=reps', FILES.reps)).status, 403, who);
    assert.equal((await get(server, s, '/api/v1/imports')).status, 403, who);
    assert.equal((await get(server, s, '/api/v1/imports/1')).status, 403, who);
    assert.equal((await get(server, s, '/api/v1/imports/1/errors')).status, 403, who);
  }
  const sam = await login(server, 'sam', 'support-password-1');
  const job = await importOk(server, sam, 'kind=reps', FILES.reps);
  assert.equal(job.status, 'succeeded');
  assert.equal(job.who, 'api:sam');
  assert.equal(sql(db, 'SELECT count(*) AS n FROM import_jobs')[0].n, '2');
});

/** accounts.csv with `n` rows, large enough that importing it takes seconds. */
function bigAccounts(n) {
  const rows = ['id,name,country,credit_limit,status,currency'];
  for (let i = 0; i < n; i++) rows.push(`B${String(i).padStart(7, '0')},Big account ${i},DE,${i % 9000}.5,active,EUR`);
  return rows.join('\n') + '\n';
}

/** Uploads the big file and resolves the job id once it has read 65,536 rows. */
async function startBigImport(server, auth, body) {
  const res = await upload(server, auth, 'kind=accounts', body);
  assert.equal(res.status, 202, res.text);
  const until = Date.now() + 60000;
  for (;;) {
    const job = (await get(server, auth, `/api/v1/imports/${res.json.job}`)).json;
    assert.ok(['queued', 'running'].includes(job.status), `still running: ${JSON.stringify(job)}`);
    if (job.progress && job.progress.rows_read >= 65536) {
      assert.equal(job.status, 'running');
      assert.equal(job.progress.kind, 'accounts');
      assert.ok(job.progress.elapsed_ms >= 0);
      return res.json.job;
    }
    if (Date.now() > until) throw new Error('the big import never got going');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('SIGTERM during a large import: the server exits 0, none of it is in the store, the job is failed', async (t) => {
  const { db } = freshDb(t, 'api-import-sigterm');
  const server = await startServer(t, db);
  const auth = await adminSession(t, server, db);
  const before = dataDump(db);
  const id = await startBigImport(server, auth, bigAccounts(200000));
  process.kill(server.proc.pid, 'SIGTERM');
  const exit = await server.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, server.stderr().slice(-2000));
  assert.equal(sql(db, 'SELECT count(*) AS n FROM accounts')[0].n, '0');
  assert.equal(dataDump(db), before);
  const [job] = sql(db, `SELECT status, error FROM import_jobs WHERE id = ${id}`);
  assert.equal(job.status, 'failed');
  assert.match(job.error, /stopped before it finished: nothing was applied/);
});

/**
 * A server the test kills on purpose: no exit-status check after the test, but
 * killed if an assertion stops the test first (a live server would keep
 * node:test waiting for ever).
 */
async function serverToKill(t, db) {
  const server = await startServer({ after() {} }, db);
  t.after(() => {
    if (server.proc.exitCode === null && server.proc.signalCode === null) process.kill(server.proc.pid, 'SIGKILL');
  });
  return server;
}

test('kill -9 during a large import: none of it is in the store, and the next start marks the job failed', async (t) => {
  const { db } = freshDb(t, 'api-import-kill');
  const server = await serverToKill(t, db);
  const auth = await adminSession(t, server, db);
  const before = dataDump(db);
  const id = await startBigImport(server, auth, bigAccounts(200000));
  process.kill(server.proc.pid, 'SIGKILL');
  assert.equal((await server.exited).signal, 'SIGKILL');
  assert.equal(sql(db, 'SELECT count(*) AS n FROM accounts')[0].n, '0');
  assert.equal(sql(db, `SELECT status FROM import_jobs WHERE id = ${id}`)[0].status, 'running');
  assert.equal(dataDump(db), before);
  const again = await startServer(t, db);
  const s = await login(again, 'ada', 'admin-password-1');
  const job = (await get(again, s, `/api/v1/imports/${id}`)).json;
  assert.equal(job.status, 'failed');
  assert.match(job.error, /^interrupted: the server stopped/);
  assert.equal(sql(db, 'SELECT count(*) AS n FROM accounts')[0].n, '0');
});

/** Polls the job's status in the store until it is one of `statuses`; that status. */
async function jobStatusBecomes(db, id, statuses, ms) {
  const until = Date.now() + ms;
  for (;;) {
    const [job] = sql(db, `SELECT status FROM import_jobs WHERE id = ${id}`);
    if (statuses.includes(job.status)) return job.status;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.status} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('two servers on one store: one starting or stopping leaves the other\'s job alone; a killed one\'s job is marked failed by the other', async (t) => {
  const { db } = freshDb(t, 'api-import-servers');
  const a = await serverToKill(t, db); // killed at the end
  const b = await startServer(t, db);
  const auth = await adminSession(t, a, db);
  const id = await startBigImport(a, auth, bigAccounts(200000));
  const [{ instance }] = sql(db, `SELECT instance FROM import_jobs WHERE id = ${id}`);
  assert.match(instance, /^[1-9][0-9]*$/, 'the job names the server that queued it');

  // A third server starts while a's job runs, and stops again: a's job is not its own.
  const c = await startServer(t, db);
  assert.equal(sql(db, `SELECT status FROM import_jobs WHERE id = ${id}`)[0].status, 'running');
  process.kill(c.proc.pid, 'SIGTERM');
  assert.deepEqual(await c.exited, { code: 0, signal: null }, c.stderr().slice(-2000));
  assert.equal(await jobStatusBecomes(db, id, ['done', 'failed'], SANITIZE ? 600000 : 120000), 'done');
  assert.equal(sql(db, 'SELECT count(*) AS n FROM accounts')[0].n, '200000');

  // a dies mid-import: b, still running, marks that job failed within its sweep interval (10 s).
  const second = await startBigImport(a, auth, bigAccounts(200000).replace(/B0/g, 'C0'));
  process.kill(a.proc.pid, 'SIGKILL');
  assert.equal((await a.exited).signal, 'SIGKILL');
  assert.equal(await jobStatusBecomes(db, second, ['failed', 'done'], 30000), 'failed');
  assert.match(sql(db, `SELECT error FROM import_jobs WHERE id = ${second}`)[0].error, /^interrupted: the server stopped/);
  assert.equal(sql(db, 'SELECT count(*) AS n FROM accounts')[0].n, '200000');
  assert.equal((await get(b, await login(b, 'ada', 'admin-password-1'), `/api/v1/imports/${second}`)).json.status, 'failed');
});
