// SPDX-License-Identifier: MIT
// What the route-by-route API tests share: the served routes (from
// `salesdesk serve --print-routes`), the specs that are active (an entry of
// api-specs.mjs whose route is served), a logged-in session per fixture user,
// and the `ctx` the specs fill their ids and bodies from.
import assert from 'node:assert/strict';
import { run, sql } from './helpers.mjs';
import { request, login } from './server.mjs';
import { PASSWORD, IDS, USERS } from './api-matrix-fixture.mjs';
import { SPECS, specKey } from './api-specs.mjs';

/** The routes table as the binary serves it. */
export function servedRoutes() {
  const r = run(['serve', '--print-routes']);
  assert.equal(r.code, 0, r.stderr);
  const routes = JSON.parse(r.stdout);
  assert.ok(Array.isArray(routes) && routes.length > 0);
  return routes;
}

/** [route, spec] for every served route that has a spec. */
export function activeRoutes(routes) {
  return routes.filter((r) => SPECS[specKey(r)]).map((r) => [r, SPECS[specKey(r)]]);
}

export const isPublic = (route) => route.roles.length === 0;
export const isWrite = (route) => route.method !== 'GET' && route.method !== 'HEAD';

/** Fails unless the answer's body is JSON (an empty 204 has none). */
export function assertJsonBody(res, what) {
  if (res.status === 204 && res.text === '') return;
  assert.notEqual(res.json, undefined, `${what}: the body is not JSON: ${res.status} ${res.text.slice(0, 300)}`);
}

/** Fails unless `res` is an error with `status`, the error body and, when given, `code`. */
export function assertError(res, status, code, what) {
  assertJsonBody(res, what);
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  const e = res.json && res.json.error;
  assert.ok(e && typeof e.code === 'string' && typeof e.message === 'string' && Array.isArray(e.details),
    `${what}: not an error body: ${res.text.slice(0, 300)}`);
  if (code) assert.equal(e.code, code, `${what}: ${res.text.slice(0, 300)}`);
  return e;
}

/**
 * Sessions for every fixture user and the ctx of api-specs.mjs. call(login,
 * method, path, { body, raw, headers, session }) sends a request as that
 * user (cookie + CSRF token; login null: anonymous).
 */
export async function makeContext(server, db) {
  const sessions = {};
  for (const name of Object.keys(USERS)) {
    const s = await login(server, name, PASSWORD);
    assert.equal(s.res.status, 200, `login ${name}: ${s.res.text}`);
    sessions[name] = s;
  }
  const counters = { seq: 0 };
  const alerts = sql(db, 'SELECT id FROM kpi_alerts ORDER BY id').map((a) => a.id);
  const pools = {
    request: { own: [], other: [] },
    alert: { own: alerts, other: [] },
  };
  for (let k = 1; k <= 24; k++) {
    pools.request.own.push(`Q-A1-POOL${k}`);
    pools.request.other.push(`Q-A3-POOL${k}`);
  }
  const ctx = {
    ids: IDS,
    sessions,
    seq: () => ++counters.seq,
    fresh(kind, whose) {
      const pool = pools[kind][whose];
      assert.ok(pool.length > 0, `the fixture's pool of ${whose} ${kind} records is used up`);
      return pool.shift();
    },
    userId: (name) => sql(db, `SELECT id FROM users WHERE login = '${name}'`)[0].id,
    jobId: sql(db, 'SELECT min(id) AS id FROM import_jobs')[0].id,
    async call(name, method, path, opts = {}) {
      const headers = { ...(opts.headers || {}) };
      const s = opts.session || (name ? sessions[name] : null);
      if (s) {
        headers.Cookie = s.cookie;
        if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = s.csrf;
      }
      return request(server, path, { method, headers, body: opts.body });
    },
    /** A new session of `name` (for routes that end the session they are called with). */
    async newSession(name) {
      const s = await login(server, name, PASSWORD);
      assert.equal(s.res.status, 200, s.res.text);
      return s;
    },
    /** A new API token of `name` (null: admin); its id. */
    async token(name) {
      const res = await ctx.call(name || 'admin', 'POST', '/api/v1/tokens', { body: { name: `t${ctx.seq()}` } });
      assert.equal(res.status, 201, res.text);
      return res.json.id;
    },
  };
  return ctx;
}
