// SPDX-License-Identifier: MIT
// `salesdesk import`: the Northwind bundle to the last 1/10000, all-or-nothing
// on bad input, idempotent re-imports, dry runs, and kill -9 at any moment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, run, runAsync, pool, sql, tempDir, lineNet, moneyText, moneyUnits, parseExact, testDb, storeDump, isPg } from './helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NORTHWIND = path.join(ROOT, 'tests/data/northwind');

function freshDb(t, name) {
  const dir = tempDir(t, name);
  const db = testDb(dir, 'store.db');
  assert.equal(run(['init', '--db', db]).code, 0);
  return { dir, db };
}

/** Rows of a simple CSV (no quoted fields), as objects by header. */
function readCsv(file) {
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const names = header.split(',');
  return rows.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])));
}

/** A decimal fraction like "0.15" or "0.0" in millionths, exactly. */
function fractionPpm(text) {
  const [whole, frac = ''] = text.split('.');
  return BigInt(whole) * 1000000n + BigInt(frac.padEnd(6, '0').slice(0, 6) || '0');
}

/** Every table but the import job records, every row, without the write-time columns. */
function dataDump(db) {
  return storeDump(db, { skip: ['import_jobs', 'import_job_kinds', 'import_job_errors'], omit: ['change_log.at'] });
}

/** The whole store: schema and every row. */
function canonical(db) {
  return storeDump(db);
}

test('the Northwind bundle imports 830 orders, 2,155 exact lines, 91 accounts, 77 products, 9 reps', async (t) => {
  const { db } = freshDb(t, 'nw');
  const r = run(['import', 'bundle', NORTHWIND, '--map', 'northwind', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  const [c] = sql(db, `SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM order_lines) AS lines,
      (SELECT count(*) FROM accounts) AS accounts, (SELECT count(*) FROM products) AS products,
      (SELECT count(*) FROM reps) AS reps`);
  assert.deepEqual(c, { orders: '830', lines: '2155', accounts: '91', products: '77', reps: '9' });

  // Every line's net, computed here from the CSV text, against what salesdesk reports.
  const want = new Map();
  for (const d of readCsv(path.join(NORTHWIND, 'Order_Details.csv'))) {
    const net = lineNet(d.Quantity, moneyUnits(d.UnitPrice), fractionPpm(d.Discount));
    const list = want.get(d.OrderID) || [];
    list.push(`${d.ProductID}:${d.Quantity}:${moneyText(net)}`);
    want.set(d.OrderID, list);
  }
  assert.equal([...want.values()].reduce((n, l) => n + l.length, 0), 2155);
  const failures = [];
  await pool([...want.keys()], 8, async (id) => {
    const o = await runAsync(['order', id, '--json', '--db', db]);
    if (o.code !== 0) return failures.push(`${id}: ${o.stderr}`);
    const got = parseExact(o.stdout).lines.map((l) => `${l.sku}:${l.qty}:${l.net}`);
    if (JSON.stringify(got) !== JSON.stringify(want.get(id)))
      failures.push(`${id}: got ${got} want ${want.get(id)}`);
  });
  assert.deepEqual(failures.slice(0, 5), []);
  // A shipped order's status and ship date come from ShippedDate; unshipped ones are pending.
  const [s] = sql(db, `SELECT sum(CASE WHEN status = 'shipped' THEN 1 ELSE 0 END) AS shipped,
      sum(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending,
      sum(CASE WHEN ship_date IS NULL THEN 1 ELSE 0 END) AS unshipped FROM orders`);
  assert.deepEqual(s, { shipped: '809', pending: '21', unshipped: '21' });
  assert.equal(sql(db, "SELECT category FROM products WHERE ext_id = '1'")[0].category, 'Beverages');
  assert.equal(sql(db, "SELECT count(*) AS n FROM products WHERE status = 'discontinued'")[0].n, '8');
});

test('re-importing the same files reports 0 changes and appends no change_log rows', (t) => {
  const { db } = freshDb(t, 'reimport');
  assert.equal(run(['import', 'bundle', NORTHWIND, '--map', 'northwind', '--db', db]).code, 0);
  const before = sql(db, 'SELECT count(*) AS n FROM change_log')[0].n;
  const dump = storeDump(db, { skip: ['import_jobs', 'import_job_kinds'] });
  const again = run(['import', 'bundle', NORTHWIND, '--map', 'northwind', '--db', db, '--json']);
  assert.equal(again.code, 0, again.stderr);
  const report = parseExact(again.stdout);
  assert.equal(report.changes, '0');
  for (const k of Object.values(report.kinds)) {
    assert.equal(k.inserted, '0');
    assert.equal(k.updated, '0');
  }
  assert.equal(report.kinds.lines.unchanged, '2155');
  assert.equal(sql(db, 'SELECT count(*) AS n FROM change_log')[0].n, before);
  assert.equal(storeDump(db, { skip: ['import_jobs', 'import_job_kinds'] }), dump);
});

/** Native CSV files for a company with `n` orders of one line each. */
function writeNative(dir, n, badRow) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'reps.csv'), 'id,name,email,team,region,manager,discount_limit_pct\nR1,Rita,,East,,,10\n');
  writeFileSync(path.join(dir, 'accounts.csv'),
    'id,name,segment,region,country,city,owner_rep,account_manager,credit_limit,payment_terms_days,status,currency\n' +
    'A1,Acme,SMB,,DE,Berlin,R1,,5000,30,active,EUR\n');
  writeFileSync(path.join(dir, 'products.csv'), 'sku,name,category,list_price,cost,status,launch_date\nP1,Widget,Tools,2.5,1.1,active,\n');
  let orders = 'id,account,rep,order_date,requested_date,promised_date,ship_date,status,currency,ship_country,ship_address\n';
  let lines = 'order,line,sku,qty,unit_price,discount,shipped_qty\n';
  for (let i = 1; i <= n; i++) {
    const day = `2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    orders += `O${i},A1,R1,${i === badRow ? '2024-13-01' : day},,,,pending,EUR,DE,\n`;
    lines += `O${i},1,P1,${1 + (i % 7)},2.5,0.05,0\n`;
  }
  writeFileSync(path.join(dir, 'orders.csv'), orders);
  writeFileSync(path.join(dir, 'lines.csv'), lines);
}

test('one bad cell among 100,000 good rows: exit 3, file/row/column named, store unchanged', (t) => {
  const { dir, db } = freshDb(t, 'badcell');
  const seed = path.join(dir, 'seed');
  writeNative(seed, 10, 0);
  assert.equal(run(['import', 'bundle', seed, '--map', 'native', '--db', db]).code, 0);
  const before = canonical(db);
  const big = path.join(dir, 'big');
  writeNative(big, 100000, 54321);
  const r = run(['import', 'bundle', big, '--map', 'native', '--db', db]);
  assert.equal(r.code, 3, r.stderr);
  // Row 54,322 of the file: the header is row 1.
  assert.match(r.stderr, /orders\.csv:54322: column 'order_date' \(orders\.order_date\): '2024-13-01' is not a date/);
  assert.match(r.stderr, /rejected: 1 problem found/);
  assert.equal(canonical(db), before);
});

test('all problems are listed, up to a limit, with a count of the rest', (t) => {
  const { dir, db } = freshDb(t, 'many');
  const files = path.join(dir, 'f');
  mkdirSync(files);
  let csv = 'sku,name,category,list_price,cost,status,launch_date\n';
  // 250 products, the 125 odd ones with a bad price, and one duplicate key: 126 problems.
  for (let i = 1; i <= 250; i++) csv += `S${i},Thing ${i},,${i % 2 ? 'abc' : '1.5'},,active,\n`;
  csv += 'S2,Again,,1,,active,\n';
  writeFileSync(path.join(files, 'products.csv'), csv);
  const r = run(['import', 'products', path.join(files, 'products.csv'), '--db', db, '--json']);
  assert.equal(r.code, 3);
  const report = parseExact(r.stdout);
  assert.equal(report.issues.length, 100);
  assert.equal(report.more_issues, '26');
  assert.equal(report.issues[0].row, '2');
  assert.equal(report.issues[0].column, '4');
  assert.equal(report.issues[0].field, 'products.list_price');
  assert.match(report.issues[0].message, /products\.csv:2: column 'list_price' \(products\.list_price\): 'abc' is not a number/);
  assert.equal(sql(db, 'SELECT count(*) AS n FROM products')[0].n, '0');
});

test('a dry run counts exactly and applies nothing', (t) => {
  const { db } = freshDb(t, 'dry');
  const before = canonical(db);
  const r = run(['import', 'bundle', NORTHWIND, '--map', 'northwind', '--db', db, '--dry-run', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = parseExact(r.stdout);
  assert.equal(report.applied, false);
  assert.equal(report.dry_run, true);
  assert.equal(report.kinds.orders.inserted, '830');
  assert.equal(report.kinds.lines.inserted, '2155');
  assert.equal(canonical(db), before);
});

test('mapping mistakes are named: an unknown column, an unknown field, an unknown preset', (t) => {
  const { dir, db } = freshDb(t, 'mapping');
  const map = path.join(dir, 'map.json');
  writeFileSync(map, JSON.stringify({ name: 'mine', entries: [{ kind: 'products', fields: { sku: 'Code', name: 'Title', list_price: 'Price' } }] }));
  const file = path.join(dir, 'p.csv');
  writeFileSync(file, 'Code,Title,Cost\nX,Y,1\n');
  const r = run(['import', 'products', file, '--map', map, '--db', db]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /p\.csv: mapping 'mine': column 'Price' \(for products\.list_price\) is not in the file \(its columns: Code, Title, Cost\)/);
  writeFileSync(map, JSON.stringify({ entries: [{ kind: 'products', fields: { sku: 'Code', colour: 'C' } }] }));
  const r2 = run(['import', 'products', file, '--map', map, '--db', db]);
  assert.equal(r2.code, 3);
  assert.match(r2.stderr, /map\.json:1:\d+: products has no field 'colour'/);
  const r3 = run(['import', 'products', file, '--map', 'nosuch', '--db', db]);
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /no preset 'nosuch' \(presets: native, erpnext, hubspot, northwind, odoo, salesforce\)/);
  const list = run(['import', '--list-presets']);
  assert.equal(list.code, 0);
  assert.match(list.stdout, /^native +/m);
  assert.match(list.stdout, /^northwind +The classic Northwind/m);
});

test('kill -9 in the middle of a large import leaves the store as it was', async (t) => {
  const { dir, db } = freshDb(t, 'kill');
  const seed = path.join(dir, 'seed');
  writeNative(seed, 5, 0);
  assert.equal(run(['import', 'bundle', seed, '--map', 'native', '--db', db]).code, 0);
  const before = canonical(db);
  const big = path.join(dir, 'big');
  writeNative(big, 300000, 0);
  // Kill at several points: while reading, while validating, while writing, near the commit.
  for (const ms of [50, 300, 900, 1800, 3000]) {
    const child = spawn(BIN, ['import', 'bundle', big, '--map', 'native', '--db', db], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, ms));
    const killed = child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    const now = canonical(db);
    if (now !== before) {
      // The import finished before the kill: that is allowed, but then it must be whole.
      assert.equal(sql(db, 'SELECT count(*) AS n FROM orders')[0].n, '300000', `killed=${killed} at ${ms} ms`);
      return;
    }
    // SQLite: the file is sound too (PostgreSQL's server rolled the killed client's transaction back).
    if (!isPg(db)) assert.equal(sql(db, 'PRAGMA integrity_check')[0].integrity_check, 'ok');
  }
  assert.equal(canonical(db), before);
});

test('every native kind imports, converts exactly, and a changed cell is one update', (t) => {
  const { dir, db } = freshDb(t, 'allkinds');
  const f = path.join(dir, 'native');
  mkdirSync(f);
  const files = {
    'reps.csv': 'id,name,email,team,region,manager,discount_limit_pct\nR1,Rita Boss,r@x.example,East,EMEA,,25\nR2,Sam,s@x.example,East,EMEA,R1,12.5%\n',
    'accounts.csv': 'id,name,segment,region,country,city,owner_rep,account_manager,credit_limit,payment_terms_days,status,currency\n' +
      'A1,"Acme; Sons",SMB,EMEA,DE,Köln,R2,R1,"10000.5",45,on_hold,EUR\n',
    'products.csv': 'sku,name,category,list_price,cost,status,launch_date\nP1,Widget,Tools,0.0005,0.0001,discontinued,2024-02-29\n',
    'stock.csv': 'sku,warehouse,on_hand,reserved\nP1,MAIN,120,20\nP1,EAST,-3,0\n',
    'orders.csv': 'id,account,rep,order_date,requested_date,promised_date,ship_date,status,currency,ship_country,ship_address\n' +
      'O1,A1,R2,2024-03-01,2024-03-10,2024-03-08,2024-03-05,invoiced,EUR,DE,"1 Main St, Köln"\n',
    'lines.csv': 'order,line,sku,qty,unit_price,discount,shipped_qty\nO1,1,P1,3,1234.5,5%,\nO1,2,P1,1,0.0001,0.5,1\n',
    'invoices.csv': 'id,order,account,issue_date,due_date,amount,paid_amount,paid_date\nI1,O1,A1,2024-03-05,2024-04-19,3518.3251,1000,2024-04-01\n',
    'opportunities.csv': 'id,account,rep,name,stage,amount,created_date,expected_close,closed_date,outcome,lost_reason,source\n' +
      'OP1,A1,R2,Big deal,Closed Lost,50000,2024-01-02,2024-03-01,2024-02-20,lost,Price,Web\n',
    'stages.csv': 'opportunity,stage,entered_date\nOP1,Prospecting,2024-01-02\nOP1,Proposal,2024-01-20\nOP1,Closed Lost,2024-02-20\n',
    'requests.csv': 'id,account,order,kind,subject,priority,status,opened_at,first_response_at,resolved_at,assignee\n' +
      'Q1,A1,O1,delivery_status,Where is it?,high,closed,2024-03-06T09:15:00Z,2024-03-06T10:00:00+01:00,2024-03-07 12:00:00,R2\n',
    'quotas.csv': 'rep_or_team,period,amount\nR2,2024-Q1,100000\nEast,2024-Q1,250000.25\n',
    'fx.csv': 'currency,date,rate_to_base\nEUR,2024-03-01,1.08345678\n',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(f, name), text);
  const r = run(['import', 'bundle', f, '--map', 'native', '--db', db, '--source', 'erp']);
  assert.equal(r.code, 0, r.stderr);
  const one = (q) => sql(db, q)[0];
  assert.deepEqual(one("SELECT discount_limit AS d, (SELECT name FROM teams WHERE id = team_id) AS team FROM reps WHERE ext_id = 'R2'"), { d: '125000', team: 'East' });
  assert.deepEqual(one("SELECT name, city, credit_limit, payment_terms_days AS terms, status FROM accounts"),
    { name: 'Acme; Sons', city: 'Köln', credit_limit: '100005000', terms: '45', status: 'on_hold' });
  // 2024-02-29 is day 19782; the discount 5% is 50000 millionths.
  assert.deepEqual(one('SELECT list_price, cost, launch_date FROM products'), { list_price: '5', cost: '1', launch_date: '19782' });
  assert.deepEqual(sql(db, 'SELECT warehouse, on_hand, reserved FROM stock ORDER BY warehouse'),
    [{ warehouse: 'EAST', on_hand: '-3', reserved: '0' }, { warehouse: 'MAIN', on_hand: '120', reserved: '20' }]);
  assert.deepEqual(sql(db, 'SELECT line_no, qty, unit_price, discount, shipped_qty FROM order_lines ORDER BY line_no'),
    [{ line_no: '1', qty: '3', unit_price: '12345000', discount: '50000', shipped_qty: '3' },
     { line_no: '2', qty: '1', unit_price: '1', discount: '500000', shipped_qty: '1' }]);
  // The order's net: 3 × 1234.5 × 0.95 = 3518.325, plus 0.0001 × 0.5 = 0.00005 → 0.0001 (half away from zero).
  const order = parseExact(run(['order', 'O1', '--json', '--db', db]).stdout);
  assert.equal(order.totals.net, '3518.3251');
  assert.equal(order.status_date, '2024-03-05');
  assert.deepEqual(one('SELECT amount, paid_amount, currency FROM invoices'), { amount: '35183251', paid_amount: '10000000', currency: 'EUR' });
  assert.deepEqual(sql(db, 'SELECT stage, entered_date FROM opportunity_stages ORDER BY entered_date').map((s) => s.stage),
    ['Prospecting', 'Proposal', 'Closed Lost']);
  // 2024-03-06T09:15Z = 1709716500000 ms; 10:00+01:00 = 09:00Z (before opening: kept as given).
  assert.deepEqual(one('SELECT opened_at, first_response_at, resolved_at FROM requests'),
    { opened_at: '1709716500000', first_response_at: '1709715600000', resolved_at: '1709812800000' });
  assert.deepEqual(sql(db, 'SELECT scope_kind, period, first_day, last_day, amount FROM quotas ORDER BY scope_kind'),
    [{ scope_kind: 'rep', period: '2024-Q1', first_day: '19723', last_day: '19813', amount: '1000000000' },
     { scope_kind: 'team', period: '2024-Q1', first_day: '19723', last_day: '19813', amount: '2500002500' }]);
  assert.equal(one('SELECT rate_to_base FROM fx_rates').rate_to_base, '108345678');

  // Change one cell: one order line differs → the order is updated once, nothing else.
  writeFileSync(path.join(f, 'lines.csv'), 'order,line,sku,qty,unit_price,discount,shipped_qty\nO1,1,P1,4,1234.5,5%,\nO1,2,P1,1,0.0001,0.5,1\n');
  const changes = Number(one('SELECT count(*) AS n FROM change_log').n);
  const again = parseExact(run(['import', 'bundle', f, '--map', 'native', '--db', db, '--source', 'erp', '--json']).stdout);
  assert.equal(again.changes, '1');
  assert.equal(again.kinds.lines.updated, '2');
  assert.equal(again.kinds.orders.unchanged, '1');
  assert.equal(Number(one('SELECT count(*) AS n FROM change_log').n), changes + 1);
  assert.equal(one("SELECT qty FROM order_lines WHERE line_no = 1").qty, '4');
});

test('the same data as CSV, as XLSX from LibreOffice and as XLSX from libxlsxwriter give identical stores', (t) => {
  const formats = path.join(ROOT, 'tests/data/formats');
  const dir = tempDir(t, 'formats');
  const lxw = path.join(dir, 'libxlsxwriter');
  mkdirSync(lxw);
  const csv2xlsx = process.env.SD_TOOL_CSV2XLSX;
  assert.ok(csv2xlsx, 'SD_TOOL_CSV2XLSX is set by ctest');
  for (const kind of ['reps', 'accounts', 'products', 'orders', 'lines']) {
    const r = spawnSync(csv2xlsx, [path.join(formats, 'csv', `${kind}.csv`), path.join(lxw, `${kind}.xlsx`)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  const dumps = {};
  const dbs = {};
  for (const [name, folder] of [['csv', path.join(formats, 'csv')], ['libreoffice', path.join(formats, 'libreoffice')], ['libxlsxwriter', lxw]]) {
    const db = testDb(dir, `${name}.db`);
    assert.equal(run(['init', '--db', db]).code, 0);
    const r = run(['import', 'bundle', folder, '--map', 'native', '--source', 'erp', '--db', db]);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    dumps[name] = dataDump(db);
    dbs[name] = db;
  }
  // Spot checks against the CSV text, so the comparison is not between three empty stores.
  assert.deepEqual(sql(dbs.csv, "SELECT name, category, list_price, cost, status, launch_date FROM products WHERE ext_id = 'P-400'"),
    [{ name: 'Epoxy 2K, 50 ml', category: 'Adhesives', list_price: '12345678', cost: '7000000', status: 'active', launch_date: '19676' }]);
  assert.match(dumps.csv, /"Müller & Söhne, GmbH"/);
  assert.equal(dumps.libreoffice, dumps.csv);
  assert.equal(dumps.libxlsxwriter, dumps.csv);
});

/** A native bundle: 2 accounts in EUR and GBP, `n` orders of 1–4 lines, an invoice for every other order. */
function writeBundle(dir, n, prefix) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'reps.csv'), `id,name,email,team,region,manager,discount_limit_pct\n${prefix}R1,Rita,,East,,,10\n${prefix}R2,Sam,,East,,${prefix}R1,5\n`);
  writeFileSync(path.join(dir, 'accounts.csv'),
    'id,name,segment,region,country,city,owner_rep,account_manager,credit_limit,payment_terms_days,status,currency\n' +
    `${prefix}A1,Acme,SMB,,DE,Berlin,${prefix}R1,,5000,30,active,EUR\n${prefix}A2,Brit,SMB,,GB,Leeds,${prefix}R2,,,60,active,GBP\n`);
  writeFileSync(path.join(dir, 'products.csv'), `sku,name,category,list_price,cost,status,launch_date\n${prefix}P1,Widget,Tools,2.5,1.1,active,\n${prefix}P2,Gadget,Tools,10,,active,\n`);
  let orders = 'id,account,rep,order_date,requested_date,promised_date,ship_date,status,currency,ship_country,ship_address\n';
  let lines = 'order,line,sku,qty,unit_price,discount,shipped_qty\n';
  let invoices = 'id,order,account,issue_date,due_date,amount,paid_amount,paid_date\n';
  const want = { orders: n, lines: 0, invoices: 0, gross: 0n };
  for (let i = 1; i <= n; i++) {
    const acc = i % 3 ? 'A1' : 'A2';
    const day = `2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    const shipped = i % 2 === 0;
    orders += `${prefix}O${i},${prefix}${acc},${i % 5 ? `${prefix}R2` : ''},${day},,,${shipped ? day : ''},${shipped ? 'shipped' : 'pending'},${acc === 'A1' ? 'EUR' : 'GBP'},DE,"${i} Main St, Town"\n`;
    for (let l = 1; l <= 1 + (i % 4); l++) {
      const qty = 1 + ((i + l) % 7);
      const cents = 100 + ((i * 37 + l) % 900); // unit price in 1/100
      lines += `${prefix}O${i},${l},${prefix}P${1 + (l % 2)},${qty},${(cents / 100).toFixed(2)},${l % 3 ? '0.05' : ''},${l === 2 ? '0' : ''}\n`;
      want.lines++;
      want.gross += BigInt(qty) * BigInt(cents) * 100n; // money units are 1/10000
    }
    if (i % 2 === 0) {
      invoices += `${prefix}I${i},${prefix}O${i},${prefix}${acc},${day},${day},${i}.25,0,\n`;
      want.invoices++;
    }
  }
  invoices += `${prefix}I0,,${prefix}A2,2024-01-01,2024-02-01,1,1,2024-01-15\n`; // an invoice without an order
  want.invoices++;
  writeFileSync(path.join(dir, 'orders.csv'), orders);
  writeFileSync(path.join(dir, 'lines.csv'), lines);
  writeFileSync(path.join(dir, 'invoices.csv'), invoices);
  return want;
}

test('a first import (bulk path) and the row-by-row upsert path give identical stores', (t) => {
  const dir = tempDir(t, 'bulk');
  const other = path.join(dir, 'other');
  writeBundle(other, 7, 'X');
  const data = path.join(dir, 'erp');
  const want = writeBundle(data, 1000, '');
  const dumps = {};
  for (const mode of ['bulk', 'row-by-row']) {
    const db = testDb(dir, `${mode}.db`);
    assert.equal(run(['init', '--db', db]).code, 0);
    // Rows of another source first, so the new ids do not start at 1.
    assert.equal(run(['import', 'bundle', other, '--map', 'native', '--source', 'crm', '--db', db]).code, 0);
    const args = ['import', 'bundle', data, '--map', 'native', '--source', 'erp', '--db', db, '--json'];
    const r = run(mode === 'bulk' ? args : [...args, '--row-by-row']);
    assert.equal(r.code, 0, r.stderr);
    const report = parseExact(r.stdout);
    assert.equal(report.kinds.orders.inserted, String(want.orders));
    assert.equal(report.kinds.lines.inserted, String(want.lines));
    assert.equal(report.kinds.invoices.inserted, String(want.invoices));
    // One change_log row per entity: this source's team 'East', 2 reps, 2 accounts,
    // 2 products, the orders (with their lines) and the invoices.
    const teams = Number(sql(db, "SELECT count(*) AS n FROM teams WHERE source = 'erp'")[0].n);
    assert.equal(report.changes, String(teams + 6 + want.orders + want.invoices));
    const [c] = sql(db, `SELECT (SELECT min(id) FROM orders WHERE source = 'erp') AS first,
        (SELECT max(id) FROM orders WHERE source = 'crm') AS crm_last,
        (SELECT sum(qty * unit_price) FROM order_lines JOIN orders o ON o.id = order_id WHERE o.source = 'erp') AS gross,
        (SELECT count(*) FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE i.source = 'erp' AND i.currency <> a.currency) AS wrong_currency,
        (SELECT count(*) FROM change_log WHERE entity = 'order') AS order_changes`);
    assert.equal(Number(c.first), Number(c.crm_last) + 1);
    assert.equal(BigInt(c.gross), want.gross);
    assert.equal(c.wrong_currency, '0');
    assert.equal(c.order_changes, String(7 + want.orders));
    // Importing the same files again changes nothing, whichever path wrote them.
    const again = parseExact(run(['import', 'bundle', data, '--map', 'native', '--source', 'erp', '--db', db, '--json']).stdout);
    assert.equal(again.changes, '0');
    assert.equal(again.kinds.lines.unchanged, String(want.lines));
    dumps[mode] = dataDump(db);
  }
  assert.equal(dumps.bulk, dumps['row-by-row']);
});

test('duplicate order lines are named with both rows, also for orders only in the store; lines alone update their orders', (t) => {
  const dir = tempDir(t, 'lines');
  const data = path.join(dir, 'erp');
  const want = writeBundle(data, 20, '');
  const db = testDb(dir, 'store.db');
  assert.equal(run(['init', '--db', db]).code, 0);
  assert.equal(run(['import', 'bundle', data, '--map', 'native', '--db', db]).code, 0);
  const before = canonical(db);

  // Lines of orders that are only in the store: O3 line 1 twice (rows 2 and 4), O5 line 2 twice (rows 3 and 6).
  const file = path.join(dir, 'lines.csv');
  writeFileSync(file, 'order,line,sku,qty,unit_price,discount,shipped_qty\n' +
    'O3,1,P1,1,1,,\nO5,2,P2,2,2,,\nO3,1,P2,3,3,,\nO5,1,P1,1,1,,\nO5,2,P1,9,9,,\n');
  const r = run(['import', 'lines', file, '--db', db, '--json']);
  assert.equal(r.code, 3);
  const report = parseExact(r.stdout);
  assert.deepEqual(report.issues.map((i) => i.message).sort(), [
    "lines.csv:4: duplicate lines key 'O3/1' (first at lines.csv:2)",
    "lines.csv:6: duplicate lines key 'O5/2' (first at lines.csv:3)",
  ]);
  assert.equal(report.kinds.lines.rejected, '2');
  assert.equal(canonical(db), before);

  // The same in a bundle whose orders are staged too (the file's own order: O1 line 1 at rows 2 and 3).
  const lines = readFileSync(path.join(data, 'lines.csv'), 'utf8').split('\n');
  writeFileSync(path.join(data, 'lines.csv'), [lines[0], lines[1], ...lines.slice(1)].join('\n'));
  const b = run(['import', 'bundle', data, '--map', 'native', '--db', db, '--json']);
  assert.equal(b.code, 3);
  assert.deepEqual(parseExact(b.stdout).issues.map((i) => i.message),
    ["lines.csv:3: duplicate lines key 'O1/1' (first at lines.csv:2)"]);
  assert.equal(canonical(db), before);

  // Lines alone replace the lines of orders in the store: O3 gets one line, O5 two; one update each.
  writeFileSync(file, 'order,line,sku,qty,unit_price,discount,shipped_qty\nO5,2,P2,2,2,,\nO3,1,P1,1,1,,\nO5,1,P1,1,1,,\n');
  const ok = parseExact(run(['import', 'lines', file, '--db', db, '--json']).stdout);
  assert.equal(ok.changes, '2');
  assert.equal(ok.kinds.lines.updated, '3');
  const got = sql(db, "SELECT o.ext_id AS id, count(*) AS n, sum(l.qty * l.unit_price) AS gross FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.ext_id IN ('O3', 'O5') GROUP BY 1 ORDER BY 1");
  // 1 × 1.0000 = 10000 units; 2 × 2.0000 + 1 × 1.0000 = 50000 units.
  assert.deepEqual(got, [{ id: 'O3', n: '1', gross: '10000' }, { id: 'O5', n: '2', gross: '50000' }]);
  assert.equal(Number(sql(db, 'SELECT count(*) AS n FROM order_lines')[0].n), want.lines - (1 + (3 % 4)) - (1 + (5 % 4)) + 3);
});
