// SPDX-License-Identifier: MIT
// Roles × routes × own/other records, for EVERY route of the routes table
// (`salesdesk serve --print-routes`), driven by the entries of api-specs.mjs:
// - a route without an entry fails the first test, naming it;
// - a role the route does not list gets 403 `forbidden`, no login gets 401,
//   and every role it lists gets the success status;
// - rep1 (rep R1) naming another rep's record gets a 404 whose body is the
//   404 of a record that does not exist (the id text aside); a rep user
//   without a rep gets that 404 even for R1's records; none of these refused
//   calls changes anything in the store (every table but sessions compared,
//   audit_log and change_log counted, with the sqlite3 shell);
// - lists, walked page by page, hold exactly the rows the caller may see —
//   worked out in api-fixture.mjs from the rows the test wrote, not asked
//   from the server — also with filters naming another rep's account or rep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.mjs';
import { buildFixture, visibleIds, MISSING_ID, ROLE_USER, storeDigest } from './api-matrix-fixture.mjs';
import { SPECS, specKey, successStatus, idFor, pathFor } from './api-specs.mjs';
import { servedRoutes, activeRoutes, isPublic, isWrite, assertJsonBody, assertError, makeContext } from './api-context.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROUTES = servedRoutes();
const ACTIVE = activeRoutes(ROUTES);
const ROLES = Object.keys(ROLE_USER);

test('every served route has an entry in api-specs.mjs', () => {
  const missing = ROUTES.filter((r) => !SPECS[specKey(r)]).map(specKey);
  assert.deepEqual(missing, [], `routes without an entry in tests/integration/api-specs.mjs: ${missing.join(', ')}`);
});

test('--print-routes lists the routes of docs/api.md, each once', () => {
  const docs = readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');
  const documented = [...docs.matchAll(/^### `(\S+) (\S+)`$/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(ROUTES.map(specKey), documented);
  assert.equal(new Set(documented).size, documented.length);
  for (const r of ROUTES) {
    assert.ok(r.roles.every((role) => ROLES.includes(role)), specKey(r));
    assert.equal(r.pattern.includes('{id}') || !r.object, true, `${specKey(r)}: an object without {id}`);
  }
});

test('the routes table: a viewer only reads; a rep may not manage users', () => {
  for (const [route, spec] of ACTIVE) {
    if (isWrite(route) && !isPublic(route) && !spec.selfService) {
      assert.ok(!route.roles.includes('viewer'), `${specKey(route)}: a viewer may not write`);
    }
    if (route.pattern.startsWith('/api/v1/users')) assert.ok(!route.roles.includes('rep'), specKey(route));
  }
});

/** One call as `login` (null: anonymous) with the spec's query and body for `whose`. */
async function callRoute(ctx, route, spec, login, whose, session) {
  const id = await idFor(ctx, route, spec, whose, login);
  const query = spec.query ? spec.query(ctx) : {};
  let body = spec.body ? spec.body(ctx, whose, login) : undefined;
  if (body === undefined && route.json_body) body = {};
  const path = pathFor(route, id === undefined ? undefined : encodeURIComponent(id), query);
  const headers = spec.contentType ? { 'Content-Type': spec.contentType } : undefined;
  return { id, path, body, send: () => ctx.call(login, route.method, path, { body, session, headers }) };
}

/** The text of `res` with every occurrence of `id` replaced (to compare "not yours" with "no such"). */
function withoutId(res, id) {
  return `${res.status} ${res.text.split(id).join('{ID}')}`;
}

/** Walks every page of a list (2 rows a page when it takes `limit`) as `login`; returns the item keys. */
async function walk(ctx, route, spec, login, query) {
  const { list } = spec;
  const takes = (p) => route.query.includes(p);
  const base = { ...(spec.query ? spec.query(ctx) : {}), ...query };
  if (takes('limit')) base.limit = '2';
  const keys = [];
  let cursor = null;
  for (let page = 0; page < 1000; page++) {
    const q = cursor ? { ...base, cursor } : base;
    const res = await ctx.call(login, 'GET', pathFor(route, undefined, q));
    if (res.status !== 200) return { res };
    const items = list.items ? list.items(res.json) : res.json.items;
    assert.ok(Array.isArray(items), `${specKey(route)}: no items in ${res.text.slice(0, 200)}`);
    if (base.limit) assert.ok(items.length <= 2, `${specKey(route)}: ${items.length} items on a page of 2`);
    keys.push(...items.map(list.key || ((it) => it.id)));
    cursor = res.json.next_cursor;
    if (!cursor || !takes('cursor')) return { res, keys };
  }
  throw new Error(`${specKey(route)}: more than 1000 pages`);
}

const sorted = (a) => [...a].sort();

test('roles × routes × own/other records, and lists', async (t) => {
  const db = buildFixture(t, 'api-matrix');
  const server = await startServer(t, db);
  const ctx = await makeContext(server, db);

  await t.test('lists hold exactly the rows the caller may see, on every page and with every filter', async () => {
    for (const [route, spec] of ACTIVE) {
      if (!spec.list || !spec.list.entity) continue;
      const { entity, where } = spec.list;
      const what = specKey(route);
      const everything = route.roles.find((r) => r !== 'rep');
      if (everything) {
        const all = await walk(ctx, route, spec, ROLE_USER[everything], {});
        assert.equal(all.res.status, 200, `${what} as ${everything}: ${all.res.text}`);
        assert.deepEqual(sorted(all.keys), sorted(visibleIds(entity, null, where)), `${what} as ${everything}`);
      }
      if (!route.roles.includes('rep')) continue;
      for (const [login, rep] of [['rep1', 'R1'], ['rep2', 'R2']]) {
        const mine = await walk(ctx, route, spec, login, {});
        assert.equal(mine.res.status, 200, `${what} as ${login}: ${mine.res.text}`);
        assert.equal(new Set(mine.keys).size, mine.keys.length, `${what} as ${login}: a row on two pages`);
        assert.deepEqual(sorted(mine.keys), sorted(visibleIds(entity, rep, where)), `${what} as ${login}`);
      }
      const none = await walk(ctx, route, spec, 'repnone', {});
      assert.equal(none.res.status, 200, `${what} as a rep user without a rep`);
      assert.deepEqual(none.keys, [], `${what}: a rep user without a rep sees nothing`);
      for (const filter of spec.list.filters || []) {
        const params = Object.keys(filter.query);
        if (!params.every((p) => route.query.includes(p))) {
          t.diagnostic(`${what}: filter ${JSON.stringify(filter.query)} skipped (the route takes ${route.query.join(' ') || 'no parameters'})`);
          continue;
        }
        const fwhat = `${what}?${new URLSearchParams(filter.query)}`;
        const seen = await walk(ctx, route, spec, 'rep1', filter.query);
        const mayMatch = visibleIds(entity, 'R1', (row) => (!where || where(row)) && filter.match(row));
        if (seen.res.status === 200) {
          assert.deepEqual(sorted(seen.keys), sorted(mayMatch), `${fwhat} as rep1`);
        } else {
          // A filter naming a record rep1 may not see may answer as if it did not exist.
          assertError(seen.res, seen.res.status, null, fwhat);
          assert.ok(seen.res.status >= 400 && seen.res.status < 500, fwhat);
          // Refusing gives none of the other rep's rows, but hides rows rep1 may see: noted.
          if (mayMatch.length) t.diagnostic(`${fwhat}: refused (${seen.res.status}) although rep1 may see ${mayMatch.join(' ')}`);
          const missing = Object.fromEntries(params.map((p) => [p, MISSING_ID]));
          const ghost = await walk(ctx, route, spec, 'rep1', missing);
          let a = withoutId(seen.res, MISSING_ID);
          for (const v of Object.values(filter.query)) a = a.split(v).join('{ID}');
          assert.equal(a, withoutId(ghost.res, MISSING_ID), `${fwhat}: answers unlike a filter naming nothing`);
        }
        if (everything) {
          const all = await walk(ctx, route, spec, ROLE_USER[everything], filter.query);
          assert.equal(all.res.status, 200, `${fwhat} as ${everything}: ${all.res.text}`);
          assert.deepEqual(sorted(all.keys), sorted(visibleIds(entity, null, (row) => (!where || where(row)) && filter.match(row))),
            `${fwhat} as ${everything}: the filter itself`);
        }
      }
    }
  });

  await t.test('refused calls answer 401/403/404 and change nothing', async () => {
    // Every call is prepared first (some ids are made through the API), then the store is
    // digested, the calls sent, and the store compared.
    const calls = [];
    for (const [route, spec] of ACTIVE) {
      const what = specKey(route);
      if (isPublic(route)) continue;
      const anon = await callRoute(ctx, route, spec, null, 'own');
      calls.push(async () => assertError(await anon.send(), 401, 'unauthorized', `${what} without a login`));
      for (const role of ROLES.filter((r) => !route.roles.includes(r))) {
        const c = await callRoute(ctx, route, spec, ROLE_USER[role], 'own');
        calls.push(async () => assertError(await c.send(), 403, 'forbidden', `${what} as ${role}`));
      }
      if (!route.roles.includes('rep')) continue;
      const hasId = route.pattern.includes('{id}');
      const other = await callRoute(ctx, route, spec, 'rep1', 'other');
      const missing = await callRoute(ctx, route, spec, 'rep1', 'missing');
      if ((hasId && other.id !== undefined) || spec.bodyNames) {
        const otherText = hasId ? other.id : ctx.ids[spec.bodyNames].other;
        calls.push(async () => {
          const a = await other.send();
          const b = await missing.send();
          assertError(b, hasId ? 404 : b.status, null, `${what} as rep1, missing record`);
          assert.ok(b.status >= 400 && b.status < 500, `${what}: naming a missing record: ${b.status}`);
          assertError(a, b.status, null, `${what} as rep1 on another rep's record`);
          assert.equal(withoutId(a, otherText), withoutId(b, hasId ? missing.id : MISSING_ID), `${what}: "not yours" differs from "no such"`);
        });
      }
      if (route.object) {
        // A rep user without a rep: even R1's record is "no such".
        const own = await callRoute(ctx, route, spec, 'repnone', 'own');
        const ghost = await callRoute(ctx, route, spec, 'repnone', 'missing');
        calls.push(async () => {
          const a = await own.send();
          const b = await ghost.send();
          assertError(b, 404, 'not_found', `${what} as repnone, missing record`);
          assert.equal(withoutId(a, own.id), withoutId(b, ghost.id), `${what} as a rep user without a rep`);
        });
      }
    }
    const before = storeDigest(db);
    for (const call of calls) await call();
    const after = storeDigest(db);
    assert.equal(after.counts.audit_log, before.counts.audit_log, 'audit rows written by refused calls');
    assert.equal(after.counts.change_log, before.counts.change_log, 'change_log rows written by refused calls');
    assert.deepEqual(after.counts, before.counts);
    assert.ok(after.dump === before.dump, 'a refused call changed the store');
    t.diagnostic(`${calls.length} refused-call checks`);
  });

  await t.test('every role a route lists gets its success status (reps on their own records)', async () => {
    for (const [route, spec] of ACTIVE) {
      const what = specKey(route);
      const expected = successStatus(route, spec);
      const callers = isPublic(route) ? [null, ...ROLES.map((r) => ROLE_USER[r])] : route.roles.map((r) => ROLE_USER[r]);
      for (const login of callers) {
        const session = spec.fresh && login ? await ctx.newSession(login) : undefined;
        const c = await callRoute(ctx, route, spec, login, 'own', session);
        const res = await c.send();
        assert.ok(expected.includes(res.status), `${what} as ${login || 'anonymous'} (${c.path}): ${res.status} ${res.text.slice(0, 300)}`);
        if (spec.json !== false) assertJsonBody(res, what);
      }
      // What rep1 was refused exists: someone who sees everything gets it.
      const everything = route.roles.find((r) => r !== 'rep');
      if (route.roles.includes('rep') && everything) {
        const c = await callRoute(ctx, route, spec, ROLE_USER[everything], 'other');
        if (route.object || spec.bodyNames) {
          const res = await c.send();
          assert.ok(expected.includes(res.status), `${what} as ${everything} on R2's record: ${res.status} ${res.text.slice(0, 300)}`);
        }
      }
    }
  });
});
