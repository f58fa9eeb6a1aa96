// SPDX-License-Identifier: MIT
// GET /api/v1/orders and GET /api/v1/queue/pending on the shared fixture
// (api-fixture.mjs): every page walked with limit=2 against the sqlite3
// shell's answer (no order twice, none missing), the filters, each order's
// net worked out here from its lines, a rep's lists against the ownership
// rules written here in SQL, bad query parameters, and the queue against
// `salesdesk queue pending --json` for the same day.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { lineNet, moneyText, moneyUnits, parseExact, run, sql, tempDir } from './helpers.mjs';
import { errorOf } from './server.mjs';
import { ORDERS, TODAY, fixtureDb, serve, visibleOrders, walk } from './api-fixture.mjs';

const DAY_MS = 86400000;
const dayNumber = (iso) => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;

/** The ext ids of the orders matching an SQL condition on o (orders), a (accounts), r (reps), in the list's order. */
function expected(db, where = 'TRUE') {
  return sql(db, `SELECT o.ext_id AS id FROM orders o JOIN accounts a ON a.id = o.account_id
    LEFT JOIN reps r ON r.id = o.rep_id WHERE ${where} ORDER BY o.order_date DESC, o.id DESC`).map((x) => x.id);
}

/** An order's net from the fixture's lines: Σ qty × price × (1 − discount), each line rounded. */
function net(order) {
  let total = 0n;
  for (const l of order.lines) {
    const ppm = moneyUnits(l.discount) * 100n; // 1/10000 -> millionths
    total += lineNet(l.qty, moneyUnits(l.unit_price), ppm);
  }
  return moneyText(total);
}

const ids = (items) => items.map((x) => x.id);
const noDuplicates = (list) => assert.equal(new Set(list).size, list.length, `duplicates in ${list}`);

/** `salesdesk queue pending --json --limit 0` for TODAY with extra options. */
function cliQueue(db, args = []) {
  const r = run(['queue', 'pending', '--json', '--limit', '0', '--today', TODAY, '--db', db, ...args]);
  assert.equal(r.code, 0, r.stderr);
  return parseExact(r.stdout);
}

test('orders and the pending queue through the API', async (t) => {
  const db = fixtureDb(t);
  const { get } = await serve(t, db);

  await t.test('GET /api/v1/orders: pages of 2 give every order once, newest first, with exact nets', async () => {
    const items = await walk(get, 'admin', '/api/v1/orders', 2);
    noDuplicates(ids(items));
    assert.deepEqual(ids(items), expected(db));
    assert.equal(items.length, ORDERS.length);
    // Several orders share a day: the tiebreak is the higher internal id first.
    assert.ok(new Set(ORDERS.map((o) => o.order_date)).size < ORDERS.length);
    for (const it of items) {
      const o = ORDERS.find((x) => x.id === it.id);
      assert.deepEqual(it, {
        id: o.id, account: o.account, rep: o.rep || null, order_date: o.order_date,
        requested_date: o.requested_date || null, promised_date: o.promised_date || null,
        ship_date: o.ship_date || null, status: o.status, currency: 'USD', net: net(o),
      });
    }
    // One page of everything answers no cursor.
    const all = await get('admin', '/api/v1/orders?limit=500');
    assert.equal(parseExact(all.text).items.length, ORDERS.length);
    assert.equal(all.json.next_cursor, null);
  });

  await t.test('GET /api/v1/orders: filters by status, account, rep and order dates', async () => {
    const from = ORDERS[5].order_date, to = ORDERS[2].order_date;
    assert.ok(from < to);
    const cases = [
      ['status=pending', "o.status = 'pending'"],
      ['status=paid', "o.status = 'paid'"],
      ['account=A02', "a.ext_id = 'A02'"],
      ['rep=R3', "r.ext_id = 'R3'"],
      ['rep=R2&status=shipped', "r.ext_id = 'R2' AND o.status = 'shipped'"],
      [`from=${from}`, `o.order_date >= ${dayNumber(from)}`],
      [`to=${to}`, `o.order_date <= ${dayNumber(to)}`],
      [`from=${from}&to=${to}&account=A01`, `o.order_date BETWEEN ${dayNumber(from)} AND ${dayNumber(to)} AND a.ext_id = 'A01'`],
    ];
    for (const [query, where] of cases) {
      const want = expected(db, where);
      const got = ids(await walk(get, 'admin', `/api/v1/orders?${query}`, 2));
      assert.deepEqual(got, want, query);
      assert.ok(want.length > 0, `${query} selects something`);
    }
  });

  await t.test('GET /api/v1/orders: a rep sees exactly the orders the ownership rules give, under every filter', async () => {
    const filters = {
      rita: ['status=pending', 'account=A01', 'account=A02', 'rep=R2', 'rep=R3', `from=${ORDERS[3].order_date}`],
      bob: ['status=pending', 'account=A02', 'account=A03', 'rep=R1', 'rep=R3', `from=${ORDERS[3].order_date}`],
    };
    for (const [user, rep] of [['rita', 'R1'], ['bob', 'R2']]) {
      const visible = new Set(visibleOrders(db, rep));
      const all = ids(await walk(get, user, '/api/v1/orders', 2));
      noDuplicates(all);
      assert.deepEqual(all, expected(db).filter((id) => visible.has(id)), user);
      assert.ok(all.length > 0 && all.length < ORDERS.length);
      for (const query of filters[user]) {
        const got = ids(await walk(get, user, `/api/v1/orders?${query}`, 2));
        for (const id of got) assert.ok(visible.has(id), `${user} ${query}: ${id} is not theirs`);
      }
    }
    // Rita neither owns nor manages A03: filtering by it is the error of an account that does not exist.
    const other = await get('rita', '/api/v1/orders?account=A03');
    const none = await get('rita', '/api/v1/orders?account=NOSUCH');
    assert.equal(other.status, 400);
    assert.equal(none.status, 400);
    assert.equal(other.text.replace('A03', 'ID'), none.text.replace('NOSUCH', 'ID'));
    assert.deepEqual(errorOf(other).details.map((d) => d.field), ['account']);
    // She took orders on A07 (R3's account) and lists them, but the account itself is not hers to name.
    assert.ok((await walk(get, 'rita', '/api/v1/orders', 50)).some((o) => o.account === 'A07'));
    assert.equal((await get('rita', '/api/v1/orders?account=A07')).status, 400);
    assert.equal((await get('bob', '/api/v1/orders?account=A03')).status, 200);
    // A viewer sees everything.
    for (const user of ['viewer']) {
      assert.equal((await walk(get, user, '/api/v1/orders', 7)).length, ORDERS.length, user);
    }
  });

  await t.test('GET /api/v1/orders: bad query parameters answer 400 naming the parameter', async () => {
    const bad = [
      ['limit=0', 'limit'], ['limit=abc', 'limit'], ['limit=501', 'limit'], ['limit=', 'limit'],
      ['cursor=%%%', 'cursor'], ['cursor=bm90LWEtY3Vyc29y', 'cursor'], ['cursor=MjAyNi0wMS0wMXww', 'cursor'],
      ['from=2024-13-01', 'from'], ['to=yesterday', 'to'], ['status=lost', 'status'], ['bogus=1', 'bogus'],
      ['Status=pending', 'Status'], ['account=NOSUCH', 'account'], ['rep=NOSUCH', 'rep'], ['account=', 'account'],
    ];
    for (const [query, field] of bad) {
      const res = await get('admin', `/api/v1/orders?${query}`);
      assert.equal(res.status, 400, query);
      const e = errorOf(res);
      assert.equal(e.code, 'invalid_input', query);
      assert.ok(e.details.some((d) => d.field === field), `${query}: ${res.text}`);
    }
    // Several at once are all named.
    const res = await get('admin', '/api/v1/orders?limit=0&from=x&status=y');
    assert.deepEqual(errorOf(res).details.map((d) => d.field).sort(), ['from', 'limit', 'status']);
    // The server is still answering.
    assert.equal((await get('admin', '/api/v1/orders?limit=1')).status, 200);
  });

  await t.test('GET /api/v1/queue/pending: the CLI\'s queue, page by page, with its filters', async () => {
    const open = sql(db, "SELECT count(*) AS n FROM orders WHERE status IN ('draft','pending','confirmed','on_hold')")[0].n;
    const cli = cliQueue(db);
    assert.equal(cli.pending, open);
    const first = await get('admin', `/api/v1/queue/pending?today=${TODAY}&limit=2`);
    assert.equal(first.status, 200, first.text);
    const head = parseExact(first.text);
    for (const k of ['today', 'pending', 'matching', 'blocked', 'at_risk', 'ok']) assert.deepEqual(head[k], cli[k], k);
    const items = await walk(get, 'admin', `/api/v1/queue/pending?today=${TODAY}`, 2);
    assert.deepEqual(items, cli.items);
    assert.equal(items.length, Number(open));
    noDuplicates(items.map((x) => x.order));
    const filters = [
      ['team=T1', ['--team', 'T1']], ['rep=R3', ['--rep', 'R3']], ['region=NA', ['--region', 'NA']],
      ['verdict=ok', ['--verdict', 'ok']], ['verdict=at_risk', ['--verdict', 'at-risk']],
      ['verdict=blocked', ['--verdict', 'blocked']], ['rule=DUPLICATE_ORDER', ['--code', 'DUPLICATE_ORDER']],
    ];
    for (const [query, args] of filters) {
      const want = cliQueue(db, args);
      const got = await walk(get, 'admin', `/api/v1/queue/pending?today=${TODAY}&${query}`, 2);
      assert.deepEqual(got, want.items, query);
      if (!query.startsWith('verdict=') && !query.startsWith('rule=')) assert.ok(got.length > 0, `${query} selects something`);
    }
    for (const [query, field] of [['verdict=maybe', 'verdict'], ['rule=NOPE', 'rule'], ['today=2026-02-30', 'today'],
      ['limit=0', 'limit'], ['cursor=eHl6', 'cursor'], ['code=X', 'code']]) {
      const res = await get('admin', `/api/v1/queue/pending?${query}`);
      assert.equal(res.status, 400, query);
      assert.ok(errorOf(res).details.some((d) => d.field === field), `${query}: ${res.text}`);
    }
  });

  await t.test('diagnosis: a duplicate the rep may not see is "another order", without its id', async () => {
    const diagnosis = async (user, id) => {
      const res = await get(user, `/api/v1/orders/${id}/diagnosis?today=${TODAY}`);
      assert.equal(res.status, 200, res.text);
      return { body: parseExact(res.text), text: res.text };
    };
    const dup = (body) => body.findings.find((f) => f.code === 'DUPLICATE_ORDER');
    const admin = await diagnosis('admin', 'D2');
    assert.equal(dup(admin.body).evidence.other_order, 'D1');
    assert.match(dup(admin.body).message, /as order D1 of /);
    const rita = await diagnosis('rita', 'D2');
    assert.equal(dup(rita.body).evidence.other_order, null);
    assert.match(dup(rita.body).message, /as another order of /);
    assert.ok(!rita.text.includes('D1'), rita.text);
    // Everything else is the same as the admin's.
    const strip = (body) => ({ ...body, findings: body.findings.map((f) => (f.code === 'DUPLICATE_ORDER' ? f.code : f)) });
    assert.deepEqual(strip(rita.body), strip(admin.body));
    assert.equal(dup(rita.body).evidence.other_date, dup(admin.body).evidence.other_date);
    // On her own account she sees both orders of the pair, so the id stays.
    assert.equal(dup((await diagnosis('rita', 'D4')).body).evidence.other_order, 'D3');
    assert.equal(dup((await diagnosis('admin', 'D4')).body).evidence.other_order, 'D3');
    assert.equal((await get('rita', '/api/v1/orders/D1/diagnosis')).status, 404);
  });

  await t.test('GET /api/v1/queue/pending: a rep\'s queue holds only their orders, counted as theirs', async () => {
    const cli = cliQueue(db);
    for (const [user, rep] of [['rita', 'R1'], ['bob', 'R2']]) {
      const visible = new Set(visibleOrders(db, rep));
      const mine = sql(db, "SELECT ext_id AS id FROM orders WHERE status IN ('draft','pending','confirmed','on_hold')")
        .map((x) => x.id).filter((id) => visible.has(id));
      const items = await walk(get, user, `/api/v1/queue/pending?today=${TODAY}`, 2);
      // The CLI's items the rep may see; a duplicate's other order the rep may not see loses its id.
      const want = cli.items.filter((it) => visible.has(it.order)).map((it) => {
        const top = it.top_finding;
        if (!top || top.code !== 'DUPLICATE_ORDER') return it;
        const other = /order (\S+) of /.exec(top.message)[1];
        if (visible.has(other)) return it;
        return { ...it, top_finding: { ...top, message: top.message.replace(`order ${other} of `, 'another order of ') } };
      });
      assert.deepEqual(items, want, user);
      if (user === 'rita') {
        const d2 = items.find((it) => it.order === 'D2');
        assert.equal(d2.top_finding.code, 'DUPLICATE_ORDER');
        assert.match(d2.top_finding.message, /as another order of /);
        assert.match(cli.items.find((it) => it.order === 'D2').top_finding.message, /as order D1 of /);
      }
      assert.equal(items.length, mine.length);
      const head = parseExact((await get(user, `/api/v1/queue/pending?today=${TODAY}&limit=1`)).text);
      assert.equal(head.pending, String(mine.length));
      assert.ok(mine.length < Number(cli.pending));
    }
  });

  await t.test('an order with a 1,000-character id pages like the others (the cursor carries it)', async () => {
    const long = `L${'x'.repeat(999)}`;
    const dir = tempDir(t, 'api-orders-long');
    writeFileSync(path.join(dir, 'long-orders.csv'), 'id,account,rep,order_date,requested_date,promised_date,ship_date,' +
      `status,currency,ship_country,ship_address\n${long},A01,R1,${TODAY},,,,pending,USD,DE,1 Main St\n`);
    writeFileSync(path.join(dir, 'long-lines.csv'), `order,line,sku,qty,unit_price,discount,shipped_qty\n${long},1,P1,3,5,0,0\n`);
    for (const [kind, file] of [['orders', 'long-orders.csv'], ['lines', 'long-lines.csv']]) {
      const r = run(['import', kind, path.join(dir, file), '--map', 'native', '--db', db]);
      assert.equal(r.code, 0, r.stderr);
    }
    const cli = cliQueue(db);
    assert.ok(cli.items.some((it) => it.order === long));
    const items = await walk(get, 'admin', `/api/v1/queue/pending?today=${TODAY}`, 1);
    assert.deepEqual(items, cli.items);
    const orders = await walk(get, 'admin', '/api/v1/orders', 1);
    assert.deepEqual(ids(orders), expected(db));
  });
});
