// SPDX-License-Identifier: MIT
// Two `salesdesk serve` processes over one PostgreSQL database (the small demo
// moved there with `salesdesk copy`), as behind a load balancer: a session
// made through one works on the other and ends on both at logout; an order
// imported through A shows in B's revenue (GET /api/v1/kpis) within 1 second,
// by exactly its lines' net, computed here from the file, and a KPI target set
// through A is B's at once; an API token
// revoked through A is refused by B at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseExact, run, sql, tempDir } from './helpers.mjs';
import { addUser, login, request, startServer } from './server.mjs';
import { pgDatabase } from './pg.mjs';

const SANITIZE = process.env.SD_SANITIZE === 'ON';

/** A PostgreSQL store holding the small demo, and the SQLite file it came from. */
function demoOnPostgres(t) {
  const file = path.join(tempDir(t, 'two-instances'), 'demo.db');
  const demo = run(['demo', '--db', file, '--scale', 'small']);
  assert.equal(demo.code, 0, demo.stderr);
  const pg = pgDatabase('two_instances');
  const copied = run(['copy', '--from', file, '--to', pg]);
  assert.equal(copied.code, 0, copied.stderr);
  addUser(pg, 'ada', 'admin', 'admin-password-1');
  return { file, pg };
}

/** "1234.5" (an exact decimal) in 1/10000 units, as a BigInt. */
function units(decimal) {
  const [whole, frac = ''] = decimal.split('.');
  const sign = whole.startsWith('-') ? -1n : 1n;
  return sign * (BigInt(whole.replace('-', '')) * 10000n + BigInt((frac + '0000').slice(0, 4)));
}

async function revenue(server, auth) {
  const res = await request(server, '/api/v1/kpis?kpi=revenue', { headers: { Cookie: auth.cookie } });
  assert.equal(res.status, 200, res.text);
  const card = parseExact(res.text).cards.find((c) => c.name === 'revenue');
  return units(card.value);
}

async function importCsv(server, auth, kind, body) {
  const up = await request(server, `/api/v1/imports?kind=${kind}`, {
    method: 'POST', body: Buffer.from(body),
    headers: { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf, 'Content-Type': 'text/csv' },
  });
  assert.equal(up.status, 202, up.text);
  const until = Date.now() + (SANITIZE ? 120000 : 30000);
  for (;;) {
    const res = await request(server, `/api/v1/imports/${up.json.job}`, { headers: { Cookie: auth.cookie } });
    if (!['queued', 'running'].includes(res.json.status)) {
      assert.equal(res.json.status, 'succeeded', res.text);
      return;
    }
    assert.ok(Date.now() < until, `job ${up.json.job} still ${res.json.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('two servers on one PostgreSQL: shared sessions, writes seen in the other\'s numbers, revoked tokens', async (t) => {
  const { file, pg } = demoOnPostgres(t);
  const a = await startServer(t, pg);
  const b = await startServer(t, pg);

  // A session made through A is good on B (sessions live in the store), and so is one made on B.
  const onA = await login(a, 'ada', 'admin-password-1');
  assert.ok(onA.cookie, onA.res.text);
  const me = await request(b, '/api/v1/auth/me', { headers: { Cookie: onA.cookie } });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.user.login, 'ada');
  const onB = await login(b, 'ada', 'admin-password-1');
  assert.ok(onB.cookie);
  assert.equal((await request(a, '/api/v1/auth/me', { headers: { Cookie: onB.cookie } })).status, 200);

  // An order imported through A: B's revenue for the quarter grows by its net within 1 s.
  // On the demo's day, in USD, the base currency (no rate applies), for an account and a
  // product imported with it (an upload's ids are of the native source, not the demo's).
  const [{ today }] = sql(file, "SELECT value AS today FROM settings WHERE key = 'demo_today'");
  assert.deepEqual(sql(file, "SELECT value FROM settings WHERE key = 'base_currency'"), [{ value: 'USD' }]);
  const before = await revenue(b, onB);
  assert.equal(await revenue(a, onA), before);
  await importCsv(a, onA, 'accounts', 'id,name,segment,region,country,city,owner_rep,account_manager,credit_limit,payment_terms_days,status,currency\n' +
    'TWOA,Two Instances Inc,SMB,East,US,Boston,,,,30,active,USD\n');
  await importCsv(a, onA, 'products', 'sku,name,category,list_price,cost,status,launch_date\nTWOP,Two Widget,Tools,100.25,50,active,\n');
  await importCsv(a, onA, 'orders', 'id,account,rep,order_date,requested_date,promised_date,ship_date,status,currency,ship_country,ship_address\n' +
    `TWO1,TWOA,,${today},,,,confirmed,USD,US,\n`);
  await importCsv(a, onA, 'lines', 'order,line,sku,qty,unit_price,discount,shipped_qty\nTWO1,1,TWOP,3,100.25,0,\nTWO1,2,TWOP,2,0.5,0,\n');
  const written = Date.now();
  const net = units('300.75') + units('1');
  let seen = await revenue(b, onB);
  while (seen !== before + net && Date.now() - written < 1000) seen = await revenue(b, onB);
  assert.equal(seen - before, net, 'B sees the order within 1 s');
  const lag = Date.now() - written;
  assert.ok(lag < 1000);
  t.diagnostic(`B's revenue showed the import ${lag} ms after A finished it`);
  assert.equal(await revenue(a, onA), before + net);

  // A target set through A is B's at once.
  const period = (await request(b, '/api/v1/kpis?kpi=revenue', { headers: { Cookie: onB.cookie } })).json.period;
  const put = await request(a, '/api/v1/kpis/revenue/targets', {
    method: 'PUT', body: { period, target: 7654321 }, headers: { Cookie: onA.cookie, 'X-CSRF-Token': onA.csrf },
  });
  assert.equal(put.status, 201, put.text);
  const card = (await request(b, '/api/v1/kpis?kpi=revenue', { headers: { Cookie: onB.cookie } })).json.cards[0];
  assert.equal(card.target, 7654321);

  // A token made through A works on B until A revokes it; then B refuses it.
  const made = await request(a, '/api/v1/tokens', {
    method: 'POST', body: { name: 'erp sync' }, headers: { Cookie: onA.cookie, 'X-CSRF-Token': onA.csrf },
  });
  assert.equal(made.status, 201, made.text);
  const bearer = { Authorization: `Bearer ${made.json.token}` };
  assert.equal((await request(b, '/api/v1/auth/me', { headers: bearer })).status, 200);
  const revoked = await request(a, `/api/v1/tokens/${made.json.id}`, {
    method: 'DELETE', headers: { Cookie: onA.cookie, 'X-CSRF-Token': onA.csrf },
  });
  assert.ok([200, 204].includes(revoked.status), revoked.text);
  assert.equal((await request(b, '/api/v1/auth/me', { headers: bearer })).status, 401);
  assert.equal((await request(a, '/api/v1/auth/me', { headers: bearer })).status, 401);

  // Logging out through B ends the session on A too.
  const out = await request(b, '/api/v1/auth/logout', { method: 'POST', headers: { Cookie: onA.cookie, 'X-CSRF-Token': onA.csrf } });
  assert.ok([200, 204].includes(out.status), out.text);
  assert.equal((await request(a, '/api/v1/auth/me', { headers: { Cookie: onA.cookie } })).status, 401);
});
