// SPDX-License-Identifier: MIT
// The HTTP server as a client meets it: health, security headers, request
// ids, keep-alive, limits (body, JSON depth, query parameters, headers), the
// error body on every failure, metrics, graceful shutdown on SIGTERM, and the
// API docs in step with the routes. The server must stay healthy after every
// bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, tempDir, testDb, isPg } from './helpers.mjs';
import { pgConnectable } from './pg.mjs';
import { startServer, request, errorOf, addUser, login } from './server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function demoDb(t, name) {
  const db = testDb(tempDir(t, name), 'demo.db');
  const r = run(['demo', '--db', db, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  return db;
}

function assertSecurityHeaders(res) {
  assert.match(res.headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.match(res.headers['content-security-policy'], /default-src 'self'/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['x-frame-options'], 'DENY');
  assert.equal(res.headers['referrer-policy'], 'no-referrer');
}

async function assertHealthy(server) {
  const res = await request(server, '/healthz');
  assert.equal(res.status, 200);
  assert.equal(res.json.status, 'ok');
  assert.equal(res.json.store, 'ok');
  assert.ok(['loading', 'ready'].includes(res.json.engine), res.text);
}

test('healthz answers with the security headers and a request id; keep-alive reuses the connection', async (t) => {
  const server = await startServer(t, demoDb(t, 'http-health'), ['--threads', '2']);
  const res = await request(server, '/healthz');
  assert.equal(res.status, 200);
  assert.deepEqual([res.json.status, res.json.store], ['ok', 'ok']);
  assert.ok(['loading', 'ready'].includes(res.json.engine), res.text);
  assert.match(res.headers['content-type'], /^application\/json/);
  assertSecurityHeaders(res);
  assert.match(res.headers['x-request-id'], /^[0-9a-f]{16}$/);
  const again = await request(server, '/healthz');
  assert.notEqual(again.headers['x-request-id'], res.headers['x-request-id']);
  const mine = await request(server, '/healthz', { headers: { 'X-Request-Id': 'client-42.a_b' } });
  assert.equal(mine.headers['x-request-id'], 'client-42.a_b');
  const forged = await request(server, '/healthz', { headers: { 'X-Request-Id': 'bad id\twith "quotes"' } });
  assert.match(forged.headers['x-request-id'], /^[0-9a-f]{16}$/);

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const first = await request(server, '/healthz', { agent });
  const second = await request(server, '/healthz', { agent });
  assert.equal(first.status, 200);
  assert.equal(second.status, 200);
  assert.equal(second.reusedSocket, true, 'the second request went over the same connection');
  // The access log has one line per request with its id, path and status.
  await new Promise((r) => setTimeout(r, 100));
  assert.match(server.stderr(), /access client-42\.a_b 127\.0\.0\.1 "GET \/healthz" 200 /);
  // A decoded path cannot forge a log line: a newline, a quote and bytes above 0x7e are escaped.
  const sneaky = await request(server, '/x%0A2026-01-01%20info%20access%20fake%20%22GET%20/admin%22%20200%FF');
  assert.equal(sneaky.status, 404);
  await new Promise((r) => setTimeout(r, 100));
  assert.match(server.stderr(), /"GET \/x\\x0a2026-01-01\\x20info\\x20access\\x20fake\\x20\\x22GET\\x20\/admin\\x22\\x20200\\xff" 404 /);
  assert.doesNotMatch(server.stderr(), /^2026-01-01 info access fake/m);
});

test('unknown routes answer 404, wrong methods 405 with Allow, both with the error body', async (t) => {
  const server = await startServer(t, demoDb(t, 'http-404'));
  const missing = await request(server, '/api/v1/nothing-here');
  assert.equal(missing.status, 404);
  assert.equal(errorOf(missing).code, 'not_found');
  assertSecurityHeaders(missing);
  for (const p of ['/healthz/', '/api/v1/orders/', '/api/v1/orders//diagnosis', '/../healthz']) {
    const r = await request(server, p);
    assert.equal(r.status, 404, p);
    errorOf(r);
  }
  const wrong = await request(server, '/healthz', { method: 'POST', body: '{}' });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.allow, 'GET');
  assert.equal(errorOf(wrong).code, 'method_not_allowed');
  const login = await request(server, '/api/v1/auth/login');
  assert.equal(login.status, 405);
  assert.equal(login.headers.allow, 'POST');
  const head = await request(server, '/healthz', { method: 'HEAD' });
  assert.equal(head.status, 200);
  await assertHealthy(server);
});

test('limits: huge body 413, deep JSON 400, too many parameters 400, huge headers 431', async (t) => {
  const db = demoDb(t, 'http-limits');
  const server = await startServer(t, db, ['--max-body', '65536']);
  const huge = await request(server, '/api/v1/auth/login', { method: 'POST', body: 'x'.repeat(2 << 20), headers: { 'Content-Type': 'application/json' } });
  assert.equal(huge.status, 413);
  assert.equal(errorOf(huge).code, 'too_large');
  assert.match(errorOf(huge).message, /larger than 65536 bytes/);
  // Just under the limit is read (and then judged as JSON).
  const under = await request(server, '/api/v1/auth/login', { method: 'POST', body: ' '.repeat(65000) + '{}', headers: { 'Content-Type': 'application/json' } });
  assert.equal(under.status, 400);
  assert.deepEqual(errorOf(under).details.map((d) => d.field).sort(), ['login', 'password']);
  // A body sent in chunks without a length is capped as it arrives.
  const chunked = await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: '/api/v1/auth/login', method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    for (let i = 0; i < 20; i++) req.write('y'.repeat(8192));
    req.end();
  });
  assert.equal(chunked.status, 413);
  assert.equal(JSON.parse(chunked.text).error.code, 'too_large');

  const deep = '['.repeat(100) + ']'.repeat(100);
  const nested = await request(server, '/api/v1/auth/login', { method: 'POST', body: deep, headers: { 'Content-Type': 'application/json' } });
  assert.equal(nested.status, 400);
  assert.equal(errorOf(nested).code, 'invalid_json');
  assert.match(errorOf(nested).message, /deep|nest/i);

  const params = Array.from({ length: 40 }, (_, i) => `p${i}=${i}`).join('&');
  const many = await request(server, `/healthz?${params}`);
  assert.equal(many.status, 400);
  assert.equal(errorOf(many).code, 'too_many_parameters');
  // Under the count limit, a parameter the route does not take is named in a 400.
  const few = await request(server, '/healthz?a=1&b=2');
  assert.equal(few.status, 400);
  assert.equal(errorOf(few).code, 'invalid_input');
  assert.deepEqual(errorOf(few).details.map((d) => d.field).sort(), ['a', 'b']);

  const bigHeader = await request(server, '/healthz', { headers: { 'X-Filler': 'z'.repeat(64 << 10) } });
  assert.equal(bigHeader.status, 431);
  // As docs/api.md says: about 31 KiB of headers still fit the connection's 32 KiB, 33 KiB do not.
  assert.equal((await request(server, '/healthz', { headers: { 'X-Filler': 'z'.repeat(30 << 10) } })).status, 200);
  assert.equal((await request(server, '/healthz', { headers: { 'X-Filler': 'z'.repeat(33 << 10) } })).status, 431);
  await assertHealthy(server);
});

/** A POST with `body` written as it is (Content-Length given, or chunked); resolves status and text. */
function post(server, headers, write) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: '/api/v1/auth/login', method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    // Once the answer is in, the server closes: the rest of the upload may fail, which is fine.
    req.on('error', (e) => reject(e));
    write(req);
  });
}

/** GET with the raw answer bytes; resolves { status, bytes }. */
function rawGet(server, p, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: server.port, path: p, agent: false, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, bytes: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('ids and paths with bytes that are not UTF-8 still answer valid JSON (U+FFFD)', async (t) => {
  const db = demoDb(t, 'http-utf8');
  addUser(db, 'ada', 'admin', 'ada-password-1');
  const server = await startServer(t, db);
  const { cookie } = await login(server, 'ada', 'ada-password-1');
  const strict = new TextDecoder('utf-8', { fatal: true });
  for (const [p, message] of [
    ['/api/v1/orders/%FF%FE', "no order with id '\ufffd\ufffd'"],
    ['/api/v1/orders/a%C3%28b/diagnosis', "no order with id 'a\ufffd(b'"],
    ['/nothing%ED%A0%80', 'no route /nothing\ufffd\ufffd\ufffd'],
  ]) {
    const res = await rawGet(server, p, { Cookie: cookie });
    assert.equal(res.status, 404, p);
    const text = strict.decode(res.bytes); // throws on bytes that are not UTF-8
    const body = JSON.parse(text);
    assert.equal(body.error.code, 'not_found');
    assert.equal(body.error.message, message);
  }
  // Well-formed UTF-8 comes back as it was sent.
  const ok = JSON.parse(strict.decode((await rawGet(server, '/api/v1/orders/Z%C3%BCrich', { Cookie: cookie })).bytes));
  assert.equal(ok.error.message, "no order with id 'Zürich'");
  await assertHealthy(server);
});

test('a body over the cap is answered 413 before it is read, and the client gets the answer', async (t) => {
  const server = await startServer(t, demoDb(t, 'http-early'), ['--max-body', '65536']);
  const big = Buffer.alloc(80 << 20, 0x78);
  // Content-Length says 80 MiB: answered at once, the client reads the 413 (no reset under it).
  const declared = await post(server, { 'Content-Length': String(big.length) }, (req) => req.end(big));
  assert.equal(declared.status, 413);
  assert.equal(declared.headers.connection, 'close');
  assert.equal(JSON.parse(declared.text).error.code, 'too_large');
  // Chunked, no length: thrown away as it arrives; past 64 MiB answered at once as well.
  const chunked = await post(server, { 'Transfer-Encoding': 'chunked' }, (req) => {
    for (let i = 0; i < 80; i++) req.write(big.subarray(i << 20, (i + 1) << 20));
    req.end();
  });
  assert.equal(chunked.status, 413);
  assert.equal(JSON.parse(chunked.text).error.code, 'too_large');
  await assertHealthy(server);
  assert.match(server.stderr(), /"POST \/api\/v1\/auth\/login" 413 /);
});

test('bodies buffered by all requests at once are capped: 503 busy, the others go on', async (t) => {
  const server = await startServer(t, demoDb(t, 'http-busy'), ['--max-body', '65536', '--max-buffered', '100000']);
  const body = '{"login":"a","password":"b"}'.padEnd(60000, ' ');
  // A holds 59,999 bytes of its body; B's 60,000 would take the total past 100,000.
  const a = net.connect(server.port, '127.0.0.1');
  await new Promise((r) => a.on('connect', r));
  let answerA = '';
  a.on('data', (d) => { answerA += d; });
  const closedA = new Promise((r) => a.on('end', r));
  a.write(`POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
  a.write(body.slice(0, -1));
  await new Promise((r) => setTimeout(r, 300));
  const b = await post(server, { 'Content-Length': String(body.length) }, (req) => req.end(body));
  assert.equal(b.status, 503);
  assert.equal(JSON.parse(b.text).error.code, 'busy');
  assert.equal(b.headers['retry-after'], '1');
  a.write(body.slice(-1));
  await closedA;
  assert.match(answerA, /^HTTP\/1\.1 401 /, 'A was read whole and judged (a wrong login)');
  // With A done, the same body fits again.
  const again = await post(server, { 'Content-Length': String(body.length) }, (req) => req.end(body));
  assert.equal(again.status, 401);
});

test('connections per client address are capped (--max-conns-per-ip)', async (t) => {
  const server = await startServer(t, demoDb(t, 'http-perip'), ['--max-conns-per-ip', '3']);
  const open = () => new Promise((resolve) => {
    const c = net.connect(server.port, '127.0.0.1');
    c.closedBy = new Promise((r) => c.on('close', r));
    c.on('error', () => {});
    c.on('connect', () => resolve(c));
  });
  const held = [await open(), await open(), await open()];
  const fourth = await open();
  let got = '';
  fourth.on('data', (d) => { got += d; });
  fourth.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await fourth.closedBy;
  assert.equal(got, '', 'the fourth connection is closed without an answer');
  held[0].destroy();
  await held[0].closedBy;
  await new Promise((r) => setTimeout(r, 100));
  const res = await request(server, '/healthz');
  assert.equal(res.status, 200, 'a connection is accepted again once one has closed');
  for (const c of held) c.destroy();
});

test('malformed bodies answer 400 or 415 with the error body, and the server stays healthy', async (t) => {
  const server = await startServer(t, demoDb(t, 'http-bad'));
  const cases = [
    ['{"login": "a", "password": ', 400, 'invalid_json'],
    ['{"login": "a" "password": "b"}', 400, 'invalid_json'],
    ['[1, 2, 3]', 400, 'invalid_json'],
    ['"just a string"', 400, 'invalid_json'],
    [Buffer.from([0x7b, 0x22, 0x6c, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400, 'invalid_json'],
    ['{"login": "a", "login": "b", "password": "c"}', 400, 'invalid_json'],
    ['{"login": 7, "password": "secret-pass"}', 400, 'invalid_input'],
    ['{"login": "a", "password": "b", "admin": true}', 400, 'invalid_input'],
    ['', 400, 'invalid_json'],
  ];
  for (const [body, status, code] of cases) {
    const res = await request(server, '/api/v1/auth/login', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    assert.equal(res.status, status, String(body));
    assert.equal(errorOf(res).code, code, String(body));
  }
  const wrongType = await request(server, '/api/v1/auth/login', { method: 'POST', body: '{"login":"a","password":"b"}', headers: { 'Content-Type': 'text/plain' } });
  assert.equal(wrongType.status, 415);
  assert.equal(errorOf(wrongType).code, 'unsupported_media_type');
  const unknown = await request(server, '/api/v1/auth/login', { method: 'POST', body: { login: 'a', password: 'b', admin: true } });
  assert.deepEqual(errorOf(unknown).details, [{ field: 'admin', message: 'unknown field' }]);
  const typed = await request(server, '/api/v1/auth/login', { method: 'POST', body: { login: 7, password: 'x' } });
  assert.deepEqual(errorOf(typed).details, [{ field: 'login', message: 'must be a string, not a number' }]);
  await assertHealthy(server);
});

test('metrics count requests by route and status with a latency histogram', async (t) => {
  const server = await startServer(t, demoDb(t, 'http-metrics'));
  for (let i = 0; i < 3; i++) assert.equal((await request(server, '/healthz')).status, 200);
  assert.equal((await request(server, '/nope')).status, 404);
  assert.equal((await request(server, '/api/v1/auth/me')).status, 401);
  // A request is counted when it completes, just after its answer went out, so
  // the scrape may come before the last count lands: read until it has (bounded).
  let res;
  for (let i = 0; i < 100; i++) {
    res = await request(server, '/metrics');
    if (/route="\/api\/v1\/auth\/me",status="401"\} 1\n/.test(res.text) &&
      /route="\/healthz",status="200"\} 3\n/.test(res.text) && /route="unmatched",status="404"\} 1\n/.test(res.text)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  assertSecurityHeaders(res);
  const lines = res.text.split('\n');
  const value = (prefix) => {
    const line = lines.find((l) => l.startsWith(prefix + ' '));
    assert.ok(line, `no line ${prefix}`);
    return Number(line.slice(prefix.length + 1));
  };
  assert.equal(value('salesdesk_http_requests_total{method="GET",route="/healthz",status="200"}'), 3);
  assert.equal(value('salesdesk_http_requests_total{method="",route="unmatched",status="404"}'), 1);
  assert.equal(value('salesdesk_http_requests_total{method="GET",route="/api/v1/auth/me",status="401"}'), 1);
  assert.equal(value('salesdesk_http_request_duration_seconds_count{method="GET",route="/healthz"}'), 3);
  assert.equal(value('salesdesk_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}'), 3);
  // Buckets are cumulative: never decreasing.
  const buckets = lines.filter((l) => l.startsWith('salesdesk_http_request_duration_seconds_bucket{method="GET",route="/healthz"'))
    .map((l) => Number(l.split(' ').pop()));
  assert.equal(buckets.length, 14);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i] >= buckets[i - 1]);
  assert.equal(value('salesdesk_http_requests_in_flight'), 1);
  assert.ok(value('salesdesk_change_log_seq') > 0);
  assert.match(res.text, /# TYPE salesdesk_http_request_duration_seconds histogram/);
});

test('a store that cannot be opened answers 503, and is opened again once it is back', async (t) => {
  const db = demoDb(t, 'http-reopen');
  const server = await startServer(t, db, ['--threads', '1']);
  // The store goes away: the SQLite file is moved, the PostgreSQL database takes no connections.
  const away = (gone) => (isPg(db) ? pgConnectable(db, !gone) : gone ? renameSync(db, `${db}.away`) : renameSync(`${db}.away`, db));
  away(true);
  const down = await request(server, '/healthz');
  assert.equal(down.status, 503);
  assert.deepEqual([down.json.status, down.json.store], ['unavailable', 'failing']);
  assert.equal((await request(server, '/api/v1/auth/me')).status, 503);
  away(false);
  let up;
  for (let i = 0; i < 40 && (!up || up.status !== 200); i++) {
    await new Promise((r) => setTimeout(r, 100));
    up = await request(server, '/healthz');
  }
  assert.equal(up.status, 200, 'the worker opened the store again (a retry, with backoff)');
  assert.match(server.stderr(), /the store cannot be opened \(next try in \d+ ms\)/);
});

test('SIGTERM: a request in flight completes, new connections are refused, exit 0', async (t) => {
  const db = demoDb(t, 'http-term');
  addUser(db, 'slow', 'viewer', 'slow-password-1');
  const server = await startServer(t, db);
  const body = JSON.stringify({ login: 'slow', password: 'slow-password-1' });
  const socket = net.connect(server.port, '127.0.0.1');
  await new Promise((r) => socket.on('connect', r));
  let answer = '';
  socket.on('data', (d) => { answer += d; });
  const closed = new Promise((r) => socket.on('close', r));
  // Headers and half of the body: the request is in flight.
  socket.write(`POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
  socket.write(body.slice(0, 10));
  await new Promise((r) => setTimeout(r, 300));
  process.kill(server.proc.pid, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  const refused = await new Promise((resolve) => {
    const c = net.connect(server.port, '127.0.0.1');
    c.on('connect', () => { c.destroy(); resolve(false); });
    c.on('error', (e) => resolve(e.code === 'ECONNREFUSED'));
  });
  assert.equal(refused, true, 'a new connection after SIGTERM is refused');
  assert.equal(server.proc.exitCode, null, 'still running while a request is in flight');
  socket.write(body.slice(10));
  await closed;
  assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(answer, /\r\nConnection: close\r\n/i);
  assert.match(answer, /"csrf_token":"[0-9a-f]{64}"/);
  const exit = await server.exited;
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.match(server.stderr(), /SIGTERM: refusing new connections/);
  assert.match(server.stderr(), /"POST \/api\/v1\/auth\/login" 200 /);
});

test('serve: usage errors, a missing database and a busy port fail clearly', async (t) => {
  const dir = tempDir(t, 'http-usage');
  const missing = run(['serve', '--db', path.join(dir, 'none.db'), '--listen', '127.0.0.1:0']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^salesdesk: .*none\.db.*does not exist/);
  const bad = run(['serve', '--db', path.join(dir, 'none.db'), '--listen', 'nowhere']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /listen address 'nowhere' is not HOST:PORT/);
  assert.equal(run(['serve', '--threads', 'many']).code, 2);
  const db = demoDb(t, 'http-busy');
  const server = await startServer(t, db);
  const busy = run(['serve', '--db', db, '--listen', `127.0.0.1:${server.port}`]);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /cannot listen on 127\.0\.0\.1:\d+: Address already in use/);
});

test('docs/api.md is what the routes table prints, and every documented route is served', async (t) => {
  const printed = run(['serve', '--print-api-docs']);
  assert.equal(printed.code, 0);
  const file = readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');
  assert.equal(printed.stdout, file, 'docs/api.md is out of date: salesdesk serve --print-api-docs > docs/api.md');
  const routes = [...file.matchAll(/^### `([A-Z]+) (\S+)`$/gm)].map((m) => [m[1], m[2]]);
  assert.ok(routes.length >= 9, `${routes.length} routes documented`);
  const db = demoDb(t, 'http-docs');
  addUser(db, 'docs', 'admin', 'docs-password-1');
  const server = await startServer(t, db);
  const { cookie, csrf } = await login(server, 'docs', 'docs-password-1');
  for (const [method, pattern] of routes) {
    const p = pattern.replace('{id}', '1');
    const res = await request(server, p, { method, headers: { Cookie: cookie, 'X-CSRF-Token': csrf }, body: method === 'POST' ? {} : undefined });
    assert.ok(res.status !== 405, `${method} ${pattern}: 405`);
    assert.ok(!(res.status === 404 && /^no route/.test(errorOf(res).message)), `${method} ${pattern} is not served`);
  }
});
