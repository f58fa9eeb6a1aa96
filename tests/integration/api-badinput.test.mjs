// SPDX-License-Identifier: MIT
// Bad input on EVERY route of the routes table (`salesdesk serve
// --print-routes`), called by a user the route allows (api-specs.mjs fills
// ids and valid bodies): path tricks and SQL metacharacters in {id}; for
// routes that take a JSON body, malformed JSON, wrong top-level and member
// types, deep nesting, a body over --max-body, invalid UTF-8, unknown fields
// and a wrong Content-Type; for writes with a session cookie, a missing or
// forged CSRF token; an expired session; unknown query parameters and hostile
// values of the known ones; methods a path does not take. Each answers a
// 4xx with {"error":{"code","message","details"}} (details naming the field
// where a field is at fault), every body is valid JSON in valid UTF-8,
// nothing is written to the store, /healthz still answers 200, and the
// server exits 0 on SIGTERM (under ASan: nothing leaked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, login, request } from './server.mjs';
import { buildFixture, visibleIds, storeDigest, ROLE_USER, PASSWORD, IDS } from './api-matrix-fixture.mjs';
import { specKey, idFor, pathFor } from './api-specs.mjs';
import { servedRoutes, activeRoutes, isPublic, isWrite, assertError, makeContext } from './api-context.mjs';
import { pool } from './helpers.mjs';

const ROUTES = servedRoutes();
const ACTIVE = activeRoutes(ROUTES);
const MAX_BODY = 65536;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * {id} as raw URL text (OWN: the caller's own, real id). Path tricks may answer any 4xx
 * (no route, not found); the others stay one path segment naming no record, so a route
 * whose {id} names an order, account or request answers 404 not_found.
 */
const PATH_TRICKS = ['..%2F..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f', '%2E%2E', '..', '.', '../../../etc/passwd',
  'OWN%2F..%2F..', 'OWN/..', '%', '%%32%65', '%2'];
const ID_TRICKS = ["1'%20OR%20'1'%3D'1", '1%27%20OR%20%271%27%3D%271', "OWN'--", "OWN'%20OR%20'1'%3D'1",
  '1%3BDROP%20TABLE%20orders', '%22%3E%3Cscript%3E', '%00', 'OWN%00', 'OWN%00junk', '%FF', '%C0%AF', 'OWN%FF',
  '%ED%A0%80', 'x'.repeat(8000), '%25', '-1', '0', '99999999999999999999999999', '1e3', '0x10', '+1', '%20', '%09', 'OWN%20'];
/** Values for every query parameter a route takes. */
const QUERY_TRICKS = ["1' OR '1'='1", '%FF', '%00', 'R1%00', 'x'.repeat(3000), '', '-1', '99999999999999999999', '../..', '%C0%AF'];

/** Every answer: JSON in valid UTF-8 (the caller checks the status). */
function bodyOk(res, what) {
  assert.ok(Buffer.isBuffer(res.raw));
  let text;
  try { text = utf8.decode(res.raw); } catch { assert.fail(`${what}: the body is not valid UTF-8: ${res.text.slice(0, 200)}`); }
  if (res.status === 204 && text === '') return;
  assert.doesNotThrow(() => JSON.parse(text), `${what}: the body is not JSON: ${res.status} ${text.slice(0, 200)}`);
}

/** A 4xx with the error body. */
function is4xx(res, what, code) {
  bodyOk(res, what);
  assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
  return assertError(res, res.status, code, what);
}

/** Sends raw bytes (Buffer) or text; resolves the answer with its raw body. */
function send(server, session, method, path, { body, contentType = 'application/json', csrf = true } = {}) {
  const headers = {};
  if (session) {
    headers.Cookie = session.cookie;
    if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf === true ? session.csrf : csrf;
  }
  if (body !== undefined) headers['Content-Type'] = contentType;
  return rawRequest(server, path, method, headers, body);
}

function rawRequest(server, path, method, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path, method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const text = raw.toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, raw, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The user that calls a route here: the first role it lists (admin when it may), null when public. */
const callerOf = (route) => (isPublic(route) ? null : ROLE_USER[route.roles[0]]);

/** A valid call of the route (its own id and body), before anything is sent. */
async function validCall(ctx, route, spec) {
  const who = callerOf(route);
  const id = await idFor(ctx, route, spec, 'own', who);
  const query = spec.query ? spec.query(ctx) : {};
  let body = spec.body ? spec.body(ctx, 'own', who) : undefined;
  if (body === undefined && route.json_body) body = {};
  return { who, id, query, body, session: who ? ctx.sessions[who] : null };
}

/** A value of another JSON type than `v`. */
function wrongType(v) {
  if (typeof v === 'string') return { not: 'a string' };
  if (typeof v === 'number' || typeof v === 'boolean') return ['not', 'a', 'number'];
  return 'not an object';
}

test('bad input on every route: 4xx with the error body; nothing written; the server stays healthy', async (t) => {
  const db = buildFixture(t, 'api-badinput');
  const server = await startServer(t, db, ['--max-body', String(MAX_BODY)]);
  const ctx = await makeContext(server, db);
  // Prepared first (some ids are made through the API), then the store is digested.
  const calls = [];
  for (const [route, spec] of ACTIVE) calls.push([route, spec, await validCall(ctx, route, spec)]);
  const before = storeDigest(db);
  let sent = 0;
  const go = (session, method, path, opts) => { sent++; return send(server, session, method, path, opts); };

  await t.test('{id}: path tricks, SQL metacharacters, NUL, invalid UTF-8, very long', async () => {
    for (const [route, , c] of calls) {
      if (!route.pattern.includes('{id}')) continue;
      const body = c.body === undefined ? undefined : JSON.stringify(c.body);
      for (const trick of [...PATH_TRICKS, ...ID_TRICKS]) {
        const raw = trick.replace('OWN', encodeURIComponent(c.id));
        const what = `${specKey(route)} with {id} ${raw.slice(0, 40)}`;
        const res = await go(c.session, route.method, pathFor(route, raw, c.query), { body });
        const e = is4xx(res, what);
        assert.ok(![401, 403].includes(res.status), `${what}: ${res.status} ${e.code}`);
        if (route.object && ID_TRICKS.includes(trick)) assert.equal(e.code, 'not_found', `${what}: ${res.status} ${res.text.slice(0, 200)}`);
      }
    }
  });

  await t.test('every path with a NUL, a slash or a space after it answers 404 (or 405: another route\'s path)', async () => {
    // A decoded NUL once cut the path short: /healthz%00x answered as /healthz.
    for (const [route, , c] of calls) {
      const base = pathFor(route, c.id === undefined ? undefined : encodeURIComponent(c.id));
      const body = c.body === undefined ? undefined : JSON.stringify(c.body);
      for (const suffix of ['%00', '%00x', '%00/', '/', '/.', '/..', '%2F', '%20', '%09', '.json']) {
        const what = `${route.method} ${base}${suffix}`;
        const res = await go(c.session, route.method, `${base}${suffix}`, { body });
        const e = is4xx(res, what);
        assert.ok((res.status === 404 && e.code === 'not_found') || (res.status === 405 && e.code === 'method_not_allowed'),
          `${what}: ${res.status} ${res.text.slice(0, 200)}`);
      }
    }
  });

  await t.test('JSON bodies: malformed, wrong types, too deep, too large, invalid UTF-8, unknown fields, not JSON', async () => {
    const deep = '{"a":'.repeat(100) + '1' + '}'.repeat(100);
    const deepArray = '['.repeat(100) + ']'.repeat(100);
    const bad = [
      ['malformed', '{"a":', 400, 'invalid_json'], ['single quotes', "{'a':1}", 400, 'invalid_json'],
      ['trailing comma', '{"a":1,}', 400, 'invalid_json'], ['empty', '', 400, 'invalid_json'],
      ['trailing garbage', '{}x', 400, 'invalid_json'], ['bare word', 'nul', 400, 'invalid_json'],
      ['array', '[1,2]', 400, 'invalid_json'], ['string', '"text"', 400, 'invalid_json'], ['number', '42', 400, 'invalid_json'],
      ['null', 'null', 400, 'invalid_json'], ['true', 'true', 400, 'invalid_json'],
      ['100 levels of objects', deep, 400, 'invalid_json'], ['100 levels of arrays', `{"a":${deepArray}}`, 400, 'invalid_json'],
      ['invalid UTF-8 in a string', Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b"}')]), 400, 'invalid_json'],
      ['overlong UTF-8 in a key', Buffer.concat([Buffer.from('{"'), Buffer.from([0xc0, 0xaf]), Buffer.from('":1}')]), 400, 'invalid_json'],
      ['lone surrogate escape', '{"name":"\\ud800"}', 400, 'invalid_json'],
      ['duplicate key', '{"a":1,"a":2}', 400, null],
      ['over --max-body', JSON.stringify({ name: 'x'.repeat(MAX_BODY + 10) }), 413, 'too_large'],
    ];
    for (const [route, spec, c] of calls) {
      if (!route.json_body) continue;
      const path = pathFor(route, c.id === undefined ? undefined : encodeURIComponent(c.id), c.query);
      const what = specKey(route);
      for (const [name, body, status, code] of bad) {
        const res = await go(c.session, route.method, path, { body });
        const e = is4xx(res, `${what}: ${name}`, code);
        assert.equal(res.status, status, `${what}: ${name}: ${res.status} ${e.code}`);
      }
      const textPlain = await go(c.session, route.method, path, { body: JSON.stringify(c.body), contentType: 'text/plain' });
      assert.equal(is4xx(textPlain, `${what}: text/plain`, 'unsupported_media_type') && textPlain.status, 415);
      const noType = await go(c.session, route.method, path, { body: 'a=1', contentType: 'application/x-www-form-urlencoded' });
      assert.equal(is4xx(noType, `${what}: form`, 'unsupported_media_type') && noType.status, 415);
      // Field-level: an unknown field, and each member of the valid body with a wrong type.
      const unknown = await go(c.session, route.method, path, { body: JSON.stringify({ ...c.body, zz_unknown: 1 }) });
      const eu = is4xx(unknown, `${what}: unknown field`, 'invalid_input');
      assert.equal(unknown.status, 400);
      assert.ok(eu.details.some((d) => d.field === 'zz_unknown'), `${what}: unknown field not named: ${unknown.text}`);
      for (const key of Object.keys(spec.body ? c.body : {})) {
        const wrong = { ...c.body, [key]: wrongType(c.body[key]) };
        const res = await go(c.session, route.method, path, { body: JSON.stringify(wrong) });
        const ew = is4xx(res, `${what}: ${key} of the wrong type`);
        assert.equal(res.status, 400, `${what}: ${key} of the wrong type: ${res.text}`);
        assert.ok(ew.details.some((d) => d.field === key), `${what}: ${key} of the wrong type, not named in details: ${res.text}`);
      }
    }
  });

  await t.test('writes with a session cookie: missing or forged X-CSRF-Token answers 403 csrf', async () => {
    for (const [route, , c] of calls) {
      if (!isWrite(route) || isPublic(route)) continue;
      const path = pathFor(route, c.id === undefined ? undefined : encodeURIComponent(c.id), c.query);
      const body = c.body === undefined ? undefined : JSON.stringify(c.body);
      for (const [name, csrf] of [['missing', false], ['forged', 'f'.repeat(64)], ['empty', ''], ['another session\'s', ctx.sessions.viewer.csrf]]) {
        const res = await go(c.session, route.method, path, { body, csrf });
        is4xx(res, `${specKey(route)}: ${name} CSRF token`, 'csrf');
        assert.equal(res.status, 403);
      }
    }
  });

  await t.test('query parameters: unknown ones answer 400 naming them; hostile values never 5xx', async () => {
    for (const [route, spec, c] of calls) {
      const what = specKey(route);
      const idText = c.id === undefined ? undefined : encodeURIComponent(c.id);
      const base = pathFor(route, idText, c.query);
      const sep = base.includes('?') ? '&' : '?';
      const body = c.body === undefined ? undefined : JSON.stringify(c.body);
      for (const name of ['zz_unknown', 'id%00', '%FF', "x'--"]) {
        const res = await go(c.session, route.method, `${base}${sep}${name}=1`, { body });
        const e = is4xx(res, `${what}?${name}=1`, 'invalid_input');
        assert.equal(res.status, 400);
        if (name === 'zz_unknown') assert.ok(e.details.some((d) => d.field === 'zz_unknown'), `${what}: ${res.text}`);
      }
      if (isWrite(route)) continue; // hostile values of known parameters: reads only (a write might succeed)
      const asRep = route.roles.includes('rep') && spec.list && spec.list.entity;
      for (const param of route.query) {
        for (const value of QUERY_TRICKS) {
          const q = `${param}=${value.includes('%') ? value : encodeURIComponent(value)}`;
          const path = `${pathFor(route, idText, Object.fromEntries(Object.entries(c.query).filter(([k]) => k !== param)))}`;
          const full = `${path}${path.includes('?') ? '&' : '?'}${q}`;
          const session = asRep ? ctx.sessions.rep1 : c.session;
          const res = await go(session, 'GET', full);
          assert.ok(res.status < 500, `${what}?${q.slice(0, 40)}: ${res.status} ${res.text.slice(0, 200)}`);
          if (spec.json !== false || res.status !== 200) bodyOk(res, `${what}?${q.slice(0, 40)}`);
          if (res.status >= 400) is4xx(res, `${what}?${q.slice(0, 40)}`);
          if (asRep && res.status === 200) {
            const keys = (spec.list.items ? spec.list.items(res.json) : res.json.items).map(spec.list.key || ((it) => it.id));
            const may = new Set(visibleIds(spec.list.entity, 'R1', spec.list.where));
            assert.deepEqual(keys.filter((k) => !may.has(k)), [], `${what}?${q.slice(0, 40)}: rows rep1 may not see`);
          }
        }
      }
    }
  });

  await t.test('methods a path does not take answer 405 with Allow', async () => {
    for (const [route, , c] of calls) {
      const path = pathFor(route, c.id === undefined ? undefined : encodeURIComponent(c.id), c.query);
      const taken = ROUTES.filter((r) => r.pattern === route.pattern).map((r) => r.method);
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !taken.includes(m))) {
        const res = await go(c.session, method, path, {});
        is4xx(res, `${method} ${route.pattern}`, 'method_not_allowed');
        assert.equal(res.status, 405);
        assert.ok(res.headers.allow, `${method} ${route.pattern}: no Allow header`);
      }
    }
  });

  await t.test('an expired session answers 401 session_expired on every route that needs a login', async (tt) => {
    // One session per route (an expired session is deleted when it is presented), made on
    // the main server; a second server on the same store ends sessions after 1 s unused.
    // No login happens on it (a login sweeps expired sessions away). A user keeps at most
    // 20 sessions (a login ends the oldest past that), so the routes go in groups of 15.
    const needLogin = calls.filter(([route]) => !isPublic(route));
    const idle = await startServer(tt, db, ['--session-idle', '1']);
    for (let start = 0; start < needLogin.length; start += 15) {
      const group = needLogin.slice(start, start + 15);
      const sessions = await pool(group, 2, async ([route]) => {
        const s = await login(server, callerOf(route), PASSWORD);
        assert.equal(s.res.status, 200, s.res.text);
        return s;
      });
      await new Promise((r) => setTimeout(r, 1500));
      for (const [i, [route, , c]] of group.entries()) {
        const path = pathFor(route, c.id === undefined ? undefined : encodeURIComponent(c.id), c.query);
        const body = c.body === undefined ? undefined : JSON.stringify(c.body);
        const res = await send(idle, sessions[i], route.method, path, { body });
        is4xx(res, `${specKey(route)} with an expired session`, 'session_expired');
        assert.equal(res.status, 401);
      }
    }
  });

  await t.test('nothing was written; /healthz answers; SIGTERM exits 0', async () => {
    const after = storeDigest(db);
    assert.equal(after.counts.audit_log, before.counts.audit_log, 'audit rows written by bad input');
    assert.equal(after.counts.change_log, before.counts.change_log, 'change_log rows written by bad input');
    assert.deepEqual(after.counts, before.counts);
    assert.ok(after.dump === before.dump, 'bad input changed the store');
    const health = await request(server, '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: 'ok', store: 'ok', engine: 'ready' });
    // The rep sees their own order as before (the server's state is intact).
    const own = await ctx.call('rep1', 'GET', `/api/v1/orders/${IDS.order.own}`);
    assert.equal(own.status, 200);
    t.diagnostic(`${sent} bad requests on ${calls.length} routes`);
    process.kill(server.proc.pid, 'SIGTERM');
    const exit = await server.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr().slice(-2000));
  });
});
