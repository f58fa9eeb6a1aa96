// SPDX-License-Identifier: MIT
// GET /api/v1/accounts, /accounts/{id}, /status and /timeline on the shared
// fixture (api-fixture.mjs): the list walked with limit=2 against the sqlite3
// shell's answer, the name search with LIKE's metacharacters in it, the
// filters, a rep's list against the ownership rules written here in SQL, the
// 404 for another rep's account identical to the one for no account, bad
// query parameters, and the status and timeline equal to the CLI's --json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExact, run, sql } from './helpers.mjs';
import { errorOf } from './server.mjs';
import { ACCOUNTS, TODAY, fixtureDb, serve, visibleAccounts, walk } from './api-fixture.mjs';

/** The ext ids of the accounts matching an SQL condition on a (accounts), in the list's order (name, id). */
function expected(db, where = 'TRUE') {
  return sql(db, `SELECT a.ext_id AS id FROM accounts a LEFT JOIN reps ow ON ow.id = a.owner_rep_id
    WHERE ${where} ORDER BY a.name, a.id`).map((x) => x.id);
}

const ids = (items) => items.map((x) => x.id);

/** The account as the API should show it: the fixture's row with accounts.csv's names. */
function record(a) {
  return {
    id: a.id, name: a.name, segment: a.segment, region: a.region, country: a.country, city: a.city,
    owner_rep: a.owner_rep || null, account_manager: a.account_manager || null, credit_limit: a.credit_limit,
    payment_terms_days: a.payment_terms_days, status: a.status, currency: a.currency,
  };
}

function cli(db, args) {
  const r = run([...args, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  return parseExact(r.stdout);
}

test('accounts through the API', async (t) => {
  const db = fixtureDb(t);
  const { get } = await serve(t, db);

  await t.test('GET /api/v1/accounts: pages of 2 give every account once, by name, with its fields', async () => {
    const items = await walk(get, 'admin', '/api/v1/accounts', 2);
    assert.deepEqual(ids(items), expected(db));
    assert.equal(new Set(ids(items)).size, ACCOUNTS.length);
    for (const it of items) assert.deepEqual(it, record(ACCOUNTS.find((a) => a.id === it.id)));
  });

  await t.test('GET /api/v1/accounts?q=: anywhere in the name, any case, % _ and \\ as plain characters', async () => {
    const byName = (pred) => ACCOUNTS.filter((a) => pred(a.name.toLowerCase())).map((a) => a.id);
    const cases = [
      ['acme', (n) => n.includes('acme')],
      ['ACME', (n) => n.includes('acme')],
      ['%', (n) => n.includes('%')],
      ['100%', (n) => n.includes('100%')],
      ['_', (n) => n.includes('_')],
      ['acme_', (n) => n.includes('acme_')], // as a LIKE wildcard, _ would match "Acme 100%" and "acmeville" too
      ['\\', (n) => n.includes('\\')],
      ['\\s', (n) => n.includes('\\s')],
      ["'; DROP TABLE accounts; --", () => false],
      ['zzz', () => false],
    ];
    for (const [q, pred] of cases) {
      const got = ids(await walk(get, 'admin', `/api/v1/accounts?q=${encodeURIComponent(q)}`, 2));
      assert.deepEqual(got.slice().sort(), byName(pred).sort(), `q=${q}`);
      assert.deepEqual(got, expected(db).filter((id) => got.includes(id)), `q=${q}: by name`);
    }
    assert.deepEqual(ids(await walk(get, 'admin', '/api/v1/accounts?q=acme_', 5)), ['A02']);
    assert.deepEqual(ids(await walk(get, 'admin', '/api/v1/accounts?q=%25', 5)), ['A01']);
    assert.equal(sql(db, 'SELECT count(*) AS n FROM accounts')[0].n, String(ACCOUNTS.length));
  });

  await t.test('GET /api/v1/accounts: filters by segment, region, status and owner', async () => {
    const cases = [
      ['segment=SMB', "a.segment = 'SMB'"],
      ['region=NA', "a.region = 'NA'"],
      ['status=on_hold', "a.status = 'on_hold'"],
      ['owner_rep=R1', "ow.ext_id = 'R1'"],
      ['segment=SMB&region=EMEA&q=co', "a.segment = 'SMB' AND a.region = 'EMEA' AND lower(a.name) LIKE '%co%'"],
      ['segment=Nothing', 'FALSE'],
    ];
    for (const [query, where] of cases) {
      const want = expected(db, where);
      assert.deepEqual(ids(await walk(get, 'admin', `/api/v1/accounts?${query}`, 2)), want, query);
      if (where !== 'FALSE') assert.ok(want.length > 0, `${query} selects something`);
    }
  });

  await t.test('GET /api/v1/accounts: a rep sees exactly the accounts they own or manage', async () => {
    for (const [user, rep] of [['rita', 'R1'], ['bob', 'R2']]) {
      const visible = new Set(visibleAccounts(db, rep));
      assert.ok(visible.size > 0 && visible.size < ACCOUNTS.length);
      assert.deepEqual(ids(await walk(get, user, '/api/v1/accounts', 2)), expected(db).filter((id) => visible.has(id)), user);
      for (const query of ['q=acme', 'segment=SMB', 'owner_rep=R3', 'status=active', 'q=%25']) {
        for (const id of ids(await walk(get, user, `/api/v1/accounts?${query}`, 1))) {
          assert.ok(visible.has(id), `${user} ${query}: ${id} is not theirs`);
        }
      }
    }
    // A02 is owned by R2 and managed by R1: both see it.
    assert.equal((await get('rita', '/api/v1/accounts/A02')).status, 200);
    assert.equal((await get('bob', '/api/v1/accounts/A02')).status, 200);
  });

  await t.test('GET /api/v1/accounts/{id}: the record; another rep\'s account answers the 404 of no account', async () => {
    const res = await get('admin', '/api/v1/accounts/A04');
    assert.equal(res.status, 200);
    assert.deepEqual(parseExact(res.text), record(ACCOUNTS.find((a) => a.id === 'A04')));
    assert.deepEqual(parseExact((await get('rita', '/api/v1/accounts/A01')).text), record(ACCOUNTS[0]));
    // A03 is R2's; Rita neither owns nor manages it.
    for (const suffix of ['', '/status', '/timeline']) {
      const hidden = await get('rita', `/api/v1/accounts/A03${suffix}`);
      const missing = await get('rita', `/api/v1/accounts/NOSUCH${suffix}`);
      assert.equal(hidden.status, 404, suffix);
      assert.equal(missing.status, 404, suffix);
      assert.equal(hidden.text.replace('A03', 'ID'), missing.text.replace('NOSUCH', 'ID'), suffix);
      assert.equal(hidden.headers['content-type'], missing.headers['content-type']);
      assert.equal((await get('bob', `/api/v1/accounts/A03${suffix}`)).status, 200, suffix);
    }
  });

  await t.test('GET /api/v1/accounts/{id}/status: the CLI\'s account --json for the same day', async () => {
    for (const id of ['A01', 'A02', 'A05']) {
      const res = await get('admin', `/api/v1/accounts/${id}/status?today=${TODAY}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(parseExact(res.text), cli(db, ['account', id, '--json', '--today', TODAY]), id);
    }
    const other = await get('rita', '/api/v1/accounts/A01/status?today=2026-01-15');
    assert.deepEqual(parseExact(other.text), cli(db, ['account', 'A01', '--json', '--today', '2026-01-15']));
    for (const [query, field] of [['today=2026-02-30', 'today'], ['today=', 'today'], ['limit=1', 'limit']]) {
      const res = await get('admin', `/api/v1/accounts/A01/status?${query}`);
      assert.equal(res.status, 400, query);
      assert.ok(errorOf(res).details.some((d) => d.field === field), `${query}: ${res.text}`);
    }
  });

  await t.test('GET /api/v1/accounts/{id}/timeline: the CLI\'s --timeline --json, page by page', async () => {
    for (const id of ['A01', 'A03']) {
      const want = cli(db, ['account', id, '--timeline', '--json', '--limit', '1000']);
      const got = await walk(get, 'admin', `/api/v1/accounts/${id}/timeline`, 2);
      assert.deepEqual(got, want.items, id);
      assert.ok(got.length > 4);
      const first = parseExact((await get('admin', `/api/v1/accounts/${id}/timeline?limit=3`)).text);
      assert.equal(first.account, id);
      assert.equal(first.events, want.events);
      assert.deepEqual(first.items, want.items.slice(0, 3));
    }
    // The two stages OP1 entered on one day are both there, once.
    const stages = (await walk(get, 'rita', '/api/v1/accounts/A01/timeline', 1)).filter((e) => e.kind === 'stage');
    assert.deepEqual(stages.map((e) => e.stage), ['propose', 'qualify', 'discover']);
    for (const [query, field] of [['limit=0', 'limit'], ['limit=x', 'limit'], ['cursor=eHl6', 'cursor'],
      ['cursor=MXw5OXwzfA', 'cursor'], ['today=2026-01-01', 'today']]) {
      const res = await get('admin', `/api/v1/accounts/A01/timeline?${query}`);
      assert.equal(res.status, 400, query);
      assert.ok(errorOf(res).details.some((d) => d.field === field), `${query}: ${res.text}`);
    }
  });

  await t.test('GET /api/v1/accounts: bad query parameters answer 400 naming the parameter', async () => {
    const bad = [['limit=0', 'limit'], ['limit=abc', 'limit'], ['cursor=!!', 'cursor'], ['cursor=eHl6', 'cursor'],
      ['cursor=OTk5OTk5', 'cursor'],
      ['status=open', 'status'], ['q=', 'q'], [`q=${'x'.repeat(201)}`, 'q'], ['name=Acme', 'name'], ['q=a%01b', 'q'],
      ['owner_rep=NOSUCH', 'owner_rep']];
    for (const [query, field] of bad) {
      const res = await get('admin', `/api/v1/accounts?${query}`);
      assert.equal(res.status, 400, query);
      const e = errorOf(res);
      assert.equal(e.code, 'invalid_input');
      assert.ok(e.details.some((d) => d.field === field), `${query}: ${res.text}`);
    }
    assert.equal((await get('admin', '/api/v1/accounts?limit=1')).status, 200);
  });
});
