// SPDX-License-Identifier: MIT
// The pending-order queue on the small demo: every order not yet shipped is
// in it once; age, due date, days left, value, tier, rep and team equal the
// store (read with the sqlite3 shell, nets computed here exactly); the score
// is recomputed here from the formula in docs/desk.md and the items come in
// its documented order; filters keep exactly the orders they name; the tier
// points follow the setting queue.tiers. The verdict and findings are the
// order doctor's (its own tests check them); here they must equal the
// doctor's batch for the same day, order for order.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, sql, lineNet, moneyText, parseExact, testDb, copyDb } from './helpers.mjs';

const TODAY = '2026-06-30';
const DAY = (iso) => Date.parse(`${iso}T00:00:00Z`) / 86400000;
const TODAY_DAY = DAY(TODAY);

let dir = null;
after(() => dir && rmSync(dir, { recursive: true, force: true }));
let cached = null;
function demo() {
  if (cached) return cached;
  dir = mkdtempSync(path.join(tmpdir(), 'salesdesk-queue-'));
  const db = testDb(dir, 'demo.db');
  const r = run(['demo', '--scale', 'small', '--db', db, '--today', TODAY, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  cached = { db };
  return cached;
}

function queue(db, ...args) {
  const r = run(['queue', 'pending', '--json', '--limit', '0', '--db', db, ...args]);
  assert.equal(r.code, 0, r.stderr);
  return parseExact(r.stdout);
}

/** The open orders with everything the queue shows, straight from the store. */
function openOrders(db) {
  const orders = sql(db, `
    SELECT o.id, o.ext_id, o.order_date, o.promised_date, o.requested_date, o.currency,
           a.ext_id AS account, a.name AS account_name, a.segment, a.region,
           r.ext_id AS rep, t.ext_id AS team
    FROM orders o JOIN accounts a ON a.id = o.account_id
    LEFT JOIN reps r ON r.id = o.rep_id LEFT JOIN teams t ON t.id = r.team_id
    WHERE o.status IN ('draft', 'pending', 'confirmed', 'on_hold')`);
  const lines = sql(db, `
    SELECT l.order_id, l.qty, l.unit_price, l.discount FROM order_lines l
    JOIN orders o ON o.id = l.order_id WHERE o.status IN ('draft', 'pending', 'confirmed', 'on_hold')`);
  const net = new Map();
  for (const l of lines) net.set(l.order_id, (net.get(l.order_id) || 0n) + lineNet(l.qty, l.unit_price, l.discount));
  return new Map(orders.map((o) => [o.ext_id, { ...o, net: net.get(o.id) || 0n }]));
}

const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
/** Value points: the largest k in 1..20 with net >= 10^(2 + k/5) rounded to the cent (net in 1/10000). */
function valuePoints(net) {
  let points = 0;
  for (let k = 1; k <= 20; k++) if (net >= BigInt(Math.round(10 ** (2 + k / 5) * 100)) * 100n) points = k;
  return points;
}
const VERDICT_POINTS = { blocked: 40, 'at risk': 20, ok: 0 };
function expectedScore(o, verdict, tiers) {
  const due = o.promised_date ?? o.requested_date;
  const age = TODAY_DAY - Number(o.order_date);
  const date = due == null ? clamp(age - 14, 0, 20) : clamp(20 - 2 * (Number(due) - TODAY_DAY), 0, 30);
  const tier = tiers[o.segment] || 0;
  const value = valuePoints(o.net);
  return { verdict: VERDICT_POINTS[verdict], date, value, tier, total: VERDICT_POINTS[verdict] + date + value + tier };
}

const DEFAULT_TIERS = { Enterprise: 10, 'Mid-Market': 5, SMB: 0 };

test('every pending order is in the queue once, with the figures of the store', () => {
  const { db } = demo();
  const q = queue(db);
  const store = openOrders(db);
  assert.equal(q.today, TODAY);
  assert.equal(Number(q.pending), store.size);
  assert.equal(Number(q.matching), store.size);
  assert.equal(q.items.length, store.size);
  assert.ok(store.size >= 40, `${store.size} pending orders`);
  const seen = new Set();
  for (const it of q.items) {
    const o = store.get(it.order);
    assert.ok(o, `${it.order} is not an open order`);
    assert.ok(!seen.has(it.order), `${it.order} twice`);
    seen.add(it.order);
    const due = o.promised_date ?? o.requested_date;
    assert.equal(it.age_days, String(TODAY_DAY - Number(o.order_date)), it.order);
    assert.equal(it.due, due == null ? null : new Date(Number(due) * 86400000).toISOString().slice(0, 10), it.order);
    assert.equal(it.days_left, due == null ? null : String(Number(due) - TODAY_DAY), it.order);
    assert.equal(it.value, moneyText(o.net), it.order);
    assert.equal(it.currency, o.currency);
    assert.equal(it.account, o.account);
    assert.equal(it.account_name, o.account_name);
    assert.equal(it.tier, o.segment);
    assert.equal(it.region, o.region);
    assert.equal(it.rep, o.rep);
    assert.equal(it.team, o.team);
  }
});

test('the score follows the documented formula and the queue is in its order', () => {
  const { db } = demo();
  const q = queue(db);
  const store = openOrders(db);
  const verdicts = new Set();
  for (const it of q.items) {
    const want = expectedScore(store.get(it.order), it.verdict, DEFAULT_TIERS);
    assert.deepEqual(
      { verdict: Number(it.score_parts.verdict), date: Number(it.score_parts.date),
        value: Number(it.score_parts.value), tier: Number(it.score_parts.tier), total: Number(it.score) },
      want, it.order);
    verdicts.add(it.verdict);
  }
  assert.deepEqual([...verdicts].sort(), ['at risk', 'blocked', 'ok'], 'the demo has all three verdicts');
  const key = (it) => [-Number(it.score), it.days_left == null ? 1 : 0, it.days_left == null ? 0 : Number(it.days_left),
    Number(store.get(it.order).order_date)];
  for (let i = 1; i < q.items.length; i++) {
    const a = key(q.items[i - 1]), b = key(q.items[i]);
    let c = 0;
    for (let k = 0; k < a.length && c === 0; k++) c = Math.sign(a[k] - b[k]);
    if (c === 0) c = q.items[i - 1].order < q.items[i].order ? -1 : 1;
    assert.equal(c, -1, `${q.items[i - 1].order} before ${q.items[i].order}`);
  }
  // the value points have every step from 0 to the largest order's in this data
  const values = q.items.map((it) => Number(it.score_parts.value));
  assert.ok(Math.max(...values) >= 10 && Math.min(...values) <= 5, `value points ${Math.min(...values)}..${Math.max(...values)}`);
});

test("verdicts and findings are the doctor's for the same day", () => {
  const { db } = demo();
  const q = queue(db);
  const r = run(['order', '--diagnose-open', '--json', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  const batch = new Map(parseExact(r.stdout).items.map((d) => [d.id, d]));
  const counts = { blocked: 0, 'at risk': 0, ok: 0 };
  for (const it of q.items) {
    counts[it.verdict]++;
    const d = batch.get(it.order);
    if (!d) { // the batch lists orders with findings only
      assert.equal(it.verdict, 'ok', it.order);
      assert.equal(it.top_finding, null, it.order);
      assert.deepEqual(it.codes, [], it.order);
      continue;
    }
    assert.equal(it.verdict, d.verdict, it.order);
    assert.equal(it.status, d.status, it.order);
    assert.equal(it.top_finding.code, d.findings[0].code, it.order);
    assert.equal(it.top_finding.message, d.findings[0].message, it.order);
    assert.deepEqual(it.codes, [...new Set(d.findings.map((f) => f.code))], it.order);
  }
  assert.deepEqual({ blocked: Number(q.blocked), 'at risk': Number(q.at_risk), ok: Number(q.ok) }, counts);
});

test('filters keep exactly the orders they name', () => {
  const { db } = demo();
  const all = queue(db).items;
  const store = openOrders(db);
  const pick = (field) => {
    const counts = new Map();
    for (const o of store.values()) if (o[field] != null) counts.set(o[field], (counts.get(o[field]) || 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0]; // the most frequent value
  };
  const cases = [
    ['--rep', pick('rep'), (it) => store.get(it.order).rep === pick('rep')],
    ['--team', pick('team'), (it) => store.get(it.order).team === pick('team')],
    ['--region', pick('region'), (it) => store.get(it.order).region === pick('region')],
    ['--code', 'STOCK_SHORT', (it) => it.codes.includes('STOCK_SHORT')],
    ['--verdict', 'at-risk', (it) => it.verdict === 'at risk'],
  ];
  for (const [flag, value, keep] of cases) {
    const q = queue(db, flag, value);
    const want = all.filter(keep).map((it) => it.order);
    assert.ok(want.length > 0 && want.length < all.length, `${flag} ${value}: ${want.length} of ${all.length}`);
    assert.deepEqual(q.items.map((it) => it.order), want, `${flag} ${value}`);
    assert.equal(Number(q.pending), all.length);
    assert.equal(Number(q.matching), want.length);
  }
  const both = queue(db, '--verdict', 'blocked', '--region', pick('region'));
  assert.deepEqual(both.items.map((it) => it.order),
    all.filter((it) => it.verdict === 'blocked' && store.get(it.order).region === pick('region')).map((it) => it.order));
});

test('limits, text output and usage errors', () => {
  const { db } = demo();
  const all = queue(db).items;
  const five = run(['queue', '--json', '--limit', '5', '--db', db]);
  assert.equal(five.code, 0, five.stderr);
  const q5 = parseExact(five.stdout);
  assert.deepEqual(q5.items.map((it) => it.order), all.slice(0, 5).map((it) => it.order), 'pending is the default queue');
  assert.equal(Number(q5.matching), all.length);
  const text = run(['queue', 'pending', '--limit', '3', '--db', db]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^${all.length} pending orders as of ${TODAY}: \\d+ blocked, \\d+ at risk, \\d+ ok`));
  for (const it of all.slice(0, 3)) assert.match(text.stdout, new RegExp(`^\\s*${it.score}\\s+${it.order}\\s`, 'm'));
  assert.match(text.stdout, new RegExp(`${all.length - 3} more \\(--limit 0 shows all`));
  for (const [args, message] of [
    [['pending', '--code', 'NOT_A_RULE'], /--code: 'NOT_A_RULE' is not a rule/],
    [['pending', '--verdict', 'maybe'], /--verdict: 'maybe'/],
    [['pending', '--limit', 'x'], /--limit/],
    [['nonsense'], /unknown queue 'nonsense'/],
  ]) {
    const r = run(['queue', ...args, '--db', db]);
    assert.equal(r.code, 2, `${args}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('tier points come from the setting queue.tiers', (t) => {
  const { db } = demo();
  const copy = copyDb(db, dir, 'tiers.db');
  const setTiers = (value) => sql(copy, `INSERT INTO settings(key, value) VALUES ('queue.tiers', '${value}')
      ON CONFLICT(key) DO UPDATE SET value = excluded.value`);
  setTiers('SMB=10,Enterprise=1');
  const q = queue(copy);
  const store = openOrders(copy);
  const tiers = { SMB: 10, Enterprise: 1 };
  for (const it of q.items) {
    assert.equal(Number(it.score_parts.tier), tiers[store.get(it.order).segment] || 0, it.order);
    assert.equal(Number(it.score), expectedScore(store.get(it.order), it.verdict, tiers).total, it.order);
  }
  for (const bad of ['Enterprise=11', 'Enterprise', '=3', 'SMB=x']) {
    setTiers(bad);
    const r = run(['queue', '--db', copy]);
    assert.equal(r.code, 1, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, /setting queue\.tiers/, bad);
  }
});
