// SPDX-License-Identifier: MIT
// Northwind (tests/data/northwind) imported into a SQLite file and into a
// fresh PostgreSQL database gives exactly the same numbers: every trend
// measure the CLI lists in every bucket, revenue and orders by every
// dimension, KPI cards for several periods, scopes and by-dimensions, account
// status and timeline, orders with their diagnosis; and the same API answers
// from `salesdesk serve` on each (kpis, trends, account status). The outputs
// are compared byte for byte, and the yearly revenue, orders, units and lines,
// and 1997's revenue per rep, are computed here from the CSV files, so that
// both backends being wrong the same way cannot pass.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { csvFields, lineNet, moneyText, moneyUnits, parseExact, pool, run, runAsync } from './helpers.mjs';
import { addUser, login, request, startServer } from './server.mjs';
import { pgDatabase } from './pg.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NORTHWIND = path.join(ROOT, 'tests/data/northwind');
// The data end on 1998-05-06: every command sees the same day, on both backends.
const TODAY = '1998-05-06';

function importNorthwind(db) {
  const init = run(['init', '--db', db]);
  assert.equal(init.code, 0, init.stderr);
  const r = run(['import', 'bundle', NORTHWIND, '--map', 'northwind', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
}

/** The same Northwind in SQLite and in PostgreSQL, imported once for the file's tests. */
let s, dir;
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'salesdesk-northwind-pg-'));
  s = { file: path.join(dir, 'nw.db'), pg: pgDatabase('northwind') };
  importNorthwind(s.file);
  importNorthwind(s.pg);
});

/** The names a `--help` text lists after `label` ("MEASURE is a, b, … or z"). */
function listedAfter(help, label) {
  const m = new RegExp(`${label} is ([a-z_, ]+?) or ([a-z_]+)`).exec(help.replace(/\s+/g, ' '));
  assert.ok(m, `no '${label} is …' in the help`);
  return [...m[1].split(', '), m[2]];
}

/** Runs every command on both stores (two at a time); each must exit 0 with the same output. */
async function sameOnBoth(commands, { file, pg }) {
  const runs = commands.flatMap((args) => [[...args, '--json', '--db', file], [...args, '--json', '--db', pg]]);
  const out = await pool(runs, 2, (args) => runAsync(args));
  for (let i = 0; i < commands.length; i++) {
    const [lite, post] = [out[2 * i], out[2 * i + 1]];
    const what = commands[i].join(' ');
    assert.equal(lite.code, 0, `${what} on SQLite: ${lite.stderr}`);
    assert.equal(post.code, 0, `${what} on PostgreSQL: ${post.stderr}`);
    assert.ok(lite.stdout.length > 20, what);
    assert.equal(post.stdout, lite.stdout, `${what}: PostgreSQL answers differently from SQLite`);
  }
  return out.filter((_, i) => i % 2 === 1).map((r) => parseExact(r.stdout));
}

/** Per year: revenue, orders, units, lines; and 1997's revenue per employee, from the CSV files. */
function fromCsv() {
  const rows = (f) => readFileSync(path.join(NORTHWIND, f), 'utf8').trim().split(/\r?\n/).slice(1).map(csvFields);
  const orderOf = new Map(rows('Orders.csv').map((r) => [r[0], { rep: r[2], year: r[3].slice(0, 4) }]));
  const years = {};
  const rep1997 = new Map();
  for (const [order, , price, qty, discount] of rows('Order_Details.csv')) {
    const { rep, year } = orderOf.get(order);
    const [whole, frac = ''] = discount.split('.');
    const ppm = BigInt(whole) * 1000000n + BigInt(frac.padEnd(6, '0').slice(0, 6) || '0');
    const net = lineNet(qty, moneyUnits(price), ppm);
    const y = (years[year] ||= { revenue: 0n, orders: new Set(), units: 0n, lines: 0 });
    y.revenue += net;
    y.orders.add(order);
    y.units += BigInt(qty);
    y.lines++;
    if (year === '1997') rep1997.set(rep, (rep1997.get(rep) || 0n) + net);
  }
  return { years, rep1997 };
}

test('every trend measure in every bucket, and by every dimension, is the same on PostgreSQL as on SQLite', async () => {
  const help = run(['trend', '--help']).stdout;
  const measures = listedAfter(help, 'MEASURE');
  const buckets = /--bucket B +([a-z, ]+?) or ([a-z]+) /.exec(help.replace(/\s+/g, ' '));
  const bucketList = [...buckets[1].split(', '), buckets[2]];
  assert.ok(measures.length >= 29 && measures.includes('dso'), measures.join(' '));
  assert.deepEqual(bucketList, ['day', 'week', 'month', 'quarter', 'year', 'fquarter', 'fyear']);
  const dims = ['region', 'segment', 'country', 'account', 'rep', 'team', 'product', 'category'];

  const commands = measures.flatMap((m) => bucketList.map((b) => ['trend', m, '--bucket', b, '--today', TODAY]));
  for (const dim of dims) {
    commands.push(['trend', 'revenue', '--by', dim, '--bucket', 'quarter', '--today', TODAY]);
    commands.push(['trend', 'orders', '--by', dim, '--bucket', 'month', '--top', '5', '--today', TODAY]);
    commands.push(['trend', 'margin', '--by', dim, '--movers', '--top', '4', '--today', TODAY]);
  }
  commands.push(['trend', 'revenue', '--where', 'category=Beverages,Seafood;region=SP', '--period', '1997', '--today', TODAY]);
  commands.push(['trend', 'units', '--from', '1996-12-15', '--to', '1997-02-10', '--bucket', 'week', '--today', TODAY]);
  await sameOnBoth(commands, s);

  // The yearly numbers on PostgreSQL against the CSV.
  const { years } = fromCsv();
  assert.deepEqual(Object.keys(years), ['1996', '1997', '1998']);
  const yearly = await sameOnBoth(['revenue', 'orders', 'units', 'lines'].map((m) =>
    ['trend', m, '--bucket', 'year', '--today', TODAY]), s);
  const values = (i) => yearly[i].series[0].values;
  assert.deepEqual(yearly[0].periods.map((p) => p.period), ['1996', '1997', '1998']);
  assert.deepEqual(values(0), Object.values(years).map((y) => moneyText(y.revenue)));
  assert.deepEqual(values(0), ['208083.97', '617085.2035', '440623.866']); // Northwind's published figures
  assert.deepEqual(values(1), Object.values(years).map((y) => String(y.orders.size)));
  assert.deepEqual(values(2), Object.values(years).map((y) => String(y.units)));
  assert.deepEqual(values(3), Object.values(years).map((y) => String(y.lines)));
});

test('KPI cards for several periods, scopes and by-dimensions are the same on PostgreSQL as on SQLite', async () => {
  const commands = [];
  for (const period of ['1996', '1997', '1998', '1997-Q3', '1998-03', '1998-W10', 'FY1997', '1997-02-10..1997-06-30']) {
    commands.push(['kpi', '--period', period, '--today', TODAY]);
  }
  for (const scope of ['region=SP', 'rep=4', 'category=Beverages', 'team=Sales']) {
    commands.push(['kpi', '--period', '1997', '--scope', scope, '--today', TODAY]);
  }
  for (const by of ['region', 'segment', 'country', 'account', 'rep', 'team', 'product', 'category']) {
    commands.push(['kpi', '--period', '1998-Q1', '--by', by, '--today', TODAY]);
  }
  commands.push(['kpi', 'list']);
  const out = await sameOnBoth(commands, s);

  const { years, rep1997 } = fromCsv();
  const card = (k, name) => k.cards.find((c) => c.name === name).value;
  assert.equal(card(out[1], 'revenue'), moneyText(years['1997'].revenue));
  assert.equal(card(out[1], 'orders'), String(years['1997'].orders.size));
  const byRep = await sameOnBoth([['kpi', '--period', '1997', '--by', 'rep', '--kpi', 'revenue', '--today', TODAY]], s);
  const got = Object.fromEntries(byRep[0].rows.map((r) => [r.key, r.cards[0].value]));
  assert.equal(Object.keys(got).length, 9);
  for (const [rep, net] of rep1997) assert.equal(got[rep], moneyText(net), `rep ${rep}`);
});

test('account status and timeline, orders and their diagnosis are the same on PostgreSQL as on SQLite', async () => {
  const commands = [];
  // Customers with many orders, one with few, one that never ordered (FISSA, PARIS).
  for (const account of ['ALFKI', 'SAVEA', 'ERNSH', 'QUICK', 'CENTC', 'FISSA', 'PARIS', 'VINET']) {
    commands.push(['account', account, '--today', TODAY]);
    commands.push(['account', account, '--timeline', '--limit', '500']);
  }
  for (const order of ['10248', '10600', '11077', '11070']) {
    commands.push(['order', order]);
    commands.push(['order', order, '--diagnose', '--today', TODAY]);
  }
  commands.push(['queue', 'pending', '--limit', '0', '--today', TODAY]);
  commands.push(['order', '--diagnose-open', '--today', TODAY]);
  await sameOnBoth(commands, s);
});

test('the API (kpis, trends, account status) answers the same from a server on each backend', async (t) => {
  const sides = [];
  for (const db of [s.file, s.pg]) {
    addUser(db, `ada${sides.length}`, 'admin', 'admin-password-1');
    const server = await startServer(t, db);
    const auth = await login(server, `ada${sides.length}`, 'admin-password-1');
    assert.equal(auth.res.status, 200);
    sides.push({ server, auth });
  }
  const paths = [
    `/api/v1/kpis?period=1997&today=${TODAY}`,
    `/api/v1/kpis?period=1998-Q1&by=category&today=${TODAY}`,
    '/api/v1/trends?measure=revenue&bucket=month',
    '/api/v1/trends?measure=margin&by=country&bucket=quarter&top=5',
    '/api/v1/trends?measure=aov&bucket=week&from=1997-01-01&to=1997-06-30',
    `/api/v1/accounts/ALFKI/status?today=${TODAY}`,
    `/api/v1/accounts/SAVEA/status?today=${TODAY}`,
  ];
  for (const p of paths) {
    const [lite, post] = await Promise.all(sides.map(({ server, auth }) =>
      request(server, p, { headers: { Cookie: auth.cookie } })));
    assert.equal(lite.status, 200, `${p} on SQLite: ${lite.text}`);
    assert.equal(post.status, 200, `${p} on PostgreSQL: ${post.text}`);
    assert.equal(post.text, lite.text, `${p}: PostgreSQL answers differently from SQLite`);
  }
  const kpis = parseExact((await request(sides[1].server, paths[0], { headers: { Cookie: sides[1].auth.cookie } })).text);
  assert.equal(kpis.cards.find((c) => c.name === 'revenue').value, moneyText(fromCsv().years['1997'].revenue));
});
