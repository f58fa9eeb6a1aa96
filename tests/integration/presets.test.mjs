// SPDX-License-Identifier: MIT
// The import presets for other systems' documented exports (Salesforce
// opportunity reports, HubSpot deals, Odoo sale orders, ERPNext sales orders):
// each fixture in tests/data/presets/<name>/ is laid out like that system's
// export, and every stored value below is written out by hand from the fixture
// (money in 1/10000, dates in days since 1970-01-01, statuses after mapping).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, sql, tempDir, parseExact, testDb } from './helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = path.join(ROOT, 'tests/data/presets');

/**
 * A fresh store with the fixture of preset `name` imported as a bundle; the
 * commands run in the temporary folder so that nothing in the caller's
 * working directory can be taken for a mapping file named like the preset.
 */
function importPreset(t, name) {
  const dir = tempDir(t, `preset-${name}`);
  const db = testDb(dir, 'store.db');
  assert.equal(run(['init', '--db', db], { cwd: dir }).code, 0);
  const r = run(['import', 'bundle', path.join(FIXTURES, name), '--map', name, '--db', db, '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return { dir, db, report: parseExact(r.stdout) };
}

/** Importing the same files again changes nothing. */
function assertIdempotent(dir, db, name) {
  const r = run(['import', 'bundle', path.join(FIXTURES, name), '--map', name, '--db', db, '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(parseExact(r.stdout).changes, '0');
}

const ACCOUNTS = `SELECT source, ext_id, name, segment, region, country, city, status, currency
  FROM accounts ORDER BY ext_id`;
const OPPORTUNITIES = `SELECT o.source, o.ext_id, a.ext_id AS account, o.rep_id, o.name, o.stage, o.amount,
    o.currency, o.created_date, o.expected_close, o.closed_date, o.outcome, o.lost_reason, o.lead_source
  FROM opportunities o JOIN accounts a ON a.id = o.account_id ORDER BY o.ext_id`;
const PRODUCTS = `SELECT source, ext_id, name, category, list_price, cost, status FROM products ORDER BY ext_id`;
const ORDERS = `SELECT o.source, o.ext_id, a.ext_id AS account, o.rep_id, o.order_date, o.requested_date,
    o.promised_date, o.ship_date, o.status, o.status_date, o.currency
  FROM orders o JOIN accounts a ON a.id = o.account_id ORDER BY o.ext_id`;
const LINES = `SELECT o.ext_id AS "order", l.line_no, p.ext_id AS sku, l.qty, l.unit_price, l.discount, l.shipped_qty
  FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN products p ON p.id = l.product_id
  ORDER BY o.ext_id, l.line_no`;

function account(source, id, name, segment, region, country, city, currency = 'USD') {
  return { source, ext_id: id, name, segment, region, country, city, status: 'active', currency };
}

test('salesforce: an Opportunities report and an Accounts report (en_US dates)', (t) => {
  const { dir, db, report } = importPreset(t, 'salesforce');
  assert.equal(report.kinds.accounts.inserted, '3');
  assert.equal(report.kinds.opportunities.inserted, '4');
  assert.deepEqual(sql(db, ACCOUNTS), [
    account('salesforce', '0015g00000AbC1D', 'Burlington Textiles Corp of America', 'Apparel', null, 'USA', 'Burlington'),
    account('salesforce', '0015g00000AbC2E', 'Edge Communications', 'Electronics', null, 'USA', 'Austin'),
    account('salesforce', '0015g00000AbC3F', 'GenePoint', 'Biotechnology', null, 'USA', 'Mountain View'),
  ]);
  const opp = (id, acct, name, stage, amount, created, close, outcome, leadSource) => ({
    source: 'salesforce', ext_id: id, account: acct, rep_id: null, name, stage, amount, currency: 'USD',
    created_date: created, expected_close: close, closed_date: null, outcome, lost_reason: null,
    lead_source: leadSource,
  });
  assert.deepEqual(sql(db, OPPORTUNITIES), [
    // 235000.00; created 3/2/2024, Close Date 6/14/2024; Closed Won.
    opp('0065g00000BxT1A', '0015g00000AbC1D', 'Burlington Textiles Weaving Plant Generator', 'Closed Won',
      '2350000000', '19784', '19888', 'won', 'Web'),
    // 75000.00; 4/18/2024 .. 9/30/2024; Closed Lost.
    opp('0065g00000BxT2B', '0015g00000AbC2E', 'Edge Emergency Generator', 'Closed Lost',
      '750000000', '19831', '19996', 'lost', 'Phone Inquiry'),
    // 60000.50; 10/1/2024 .. 12/20/2024; open, no Lead Source.
    opp('0065g00000BxT3C', '0015g00000AbC3F', 'GenePoint Lab Generators', 'Negotiation/Review',
      '600005000', '19997', '20077', null, null),
    // An empty Amount is 0; 11/5/2024 .. 1/31/2025.
    opp('0065g00000BxT4D', '0015g00000AbC2E', 'Edge SLA', 'Prospecting',
      '0', '20032', '20119', null, 'Partner Referral'),
  ]);
  assertIdempotent(dir, db, 'salesforce');
});

test('hubspot: a deals export with associated company ids and a companies export', (t) => {
  const { dir, db, report } = importPreset(t, 'hubspot');
  assert.equal(report.kinds.accounts.inserted, '3');
  assert.equal(report.kinds.opportunities.inserted, '4');
  assert.deepEqual(sql(db, ACCOUNTS), [
    account('hubspot', '9001122001', 'Acme Corp', 'Computer Software', null, 'United States', 'Boston'),
    account('hubspot', '9001122002', 'Globex', 'Utilities', null, 'United States', 'Springfield'),
    account('hubspot', '9001122003', 'Initech', 'Information Technology and Services', null, 'United States', 'Austin'),
  ]);
  const deal = (id, acct, name, stage, amount, created, close, outcome, lostReason) => ({
    source: 'hubspot', ext_id: id, account: acct, rep_id: null, name, stage, amount, currency: 'USD',
    created_date: created, expected_close: close, closed_date: null, outcome, lost_reason: lostReason,
    lead_source: null,
  });
  assert.deepEqual(sql(db, OPPORTUNITIES), [
    // 48000; created 2024-02-12 09:15, Close Date 2024-05-31 17:00.
    deal('18347125001', '9001122001', 'Acme Corp - Annual license', 'Closed Won',
      '480000000', '19765', '19874', 'won', null),
    // 12500.5; 2024-04-03 .. 2024-07-15, with its Closed Lost Reason.
    deal('18347125002', '9001122002', 'Globex renewal', 'Closed Lost',
      '125005000', '19816', '19919', 'lost', 'Chose a competitor'),
    // An empty Amount is 0; 2024-09-20 .. 2024-11-29.
    deal('18347125003', '9001122001', 'Acme Corp - Expansion', 'Contract Sent',
      '0', '19986', '20056', null, null),
    // 3000; 2024-08-01 .. 2024-09-13.
    deal('18347125004', '9001122003', 'Initech pilot', 'Appointment Scheduled',
      '30000000', '19936', '19979', null, null),
  ]);
  assertIdempotent(dir, db, 'hubspot');
});

test('odoo: sale.order and sale.order.line exports with their contacts and product variants', (t) => {
  const { dir, db, report } = importPreset(t, 'odoo');
  assert.equal(report.kinds.accounts.inserted, '3');
  assert.equal(report.kinds.products.inserted, '3');
  assert.equal(report.kinds.orders.inserted, '4');
  assert.equal(report.kinds.lines.inserted, '5');
  assert.deepEqual(sql(db, ACCOUNTS), [
    account('odoo', 'Azure Interior', 'Azure Interior', null, null, 'United States', 'Fremont'),
    account('odoo', 'Deco Addict', 'Deco Addict', null, null, 'United States', 'Pleasant Hill'),
    account('odoo', 'Gemini Furniture', 'Gemini Furniture', null, null, 'United States', 'Fairfield'),
  ]);
  const category = 'All / Saleable / Office Furniture';
  assert.deepEqual(sql(db, PRODUCTS), [
    { source: 'odoo', ext_id: 'E-COM11', name: 'Cabinet with Doors', category, list_price: '1400000', cost: '1205000', status: 'active' },
    { source: 'odoo', ext_id: 'FURN_0269', name: 'Office Chair Black', category, list_price: '1205000', cost: '800000', status: 'active' },
    { source: 'odoo', ext_id: 'FURN_7800', name: 'Desk Combination', category, list_price: '4500000', cost: '3000000', status: 'active' },
  ]);
  const order = (id, acct, date, promised, status, currency) => ({
    source: 'odoo', ext_id: id, account: acct, rep_id: null, order_date: date, requested_date: null,
    promised_date: promised, ship_date: null, status, status_date: date, currency,
  });
  assert.deepEqual(sql(db, ORDERS), [
    // Sales Order of 2024-03-04 09:12:44, Delivery Date 2024-03-11 10:00:00.
    order('S00021', 'Azure Interior', '19786', '19793', 'confirmed', 'USD'),
    order('S00022', 'Deco Addict', '19788', null, 'draft', 'USD'), // Quotation Sent, 2024-03-06
    order('S00023', 'Gemini Furniture', '19781', null, 'cancelled', 'EUR'), // Cancelled, 2024-02-28
    order('S00024', 'Azure Interior', '19789', null, 'draft', 'USD'), // Quotation, 2024-03-07
  ]);
  const line = (o, no, sku, qty, price, discount, shipped) => ({
    order: o, line_no: no, sku, qty, unit_price: price, discount, shipped_qty: shipped,
  });
  assert.deepEqual(sql(db, LINES), [
    // 2.0 × 450.0 at 10.0 % off, 2.0 delivered; 4.0 × 120.5, 1.0 delivered.
    line('S00021', '1', 'FURN_7800', '2', '4500000', '100000', '2'),
    line('S00021', '2', 'FURN_0269', '4', '1205000', '0', '1'),
    line('S00022', '1', 'E-COM11', '3', '1400000', '0', '0'),
    line('S00023', '1', 'FURN_0269', '1', '1205000', '0', '0'),
    line('S00024', '1', 'FURN_7800', '1', '4500000', '0', '0'),
  ]);
  // The nets agree with the export's Subtotal column (810.0 and 482.0).
  const o = run(['order', 'S00021', '--json', '--db', db], { cwd: dir });
  assert.equal(o.code, 0, o.stderr);
  assert.deepEqual(parseExact(o.stdout).lines.map((l) => l.net), ['810', '482']);
  assertIdempotent(dir, db, 'odoo');
});

test('erpnext: Sales Order and Sales Order Item report views with customers and items', (t) => {
  const { dir, db, report } = importPreset(t, 'erpnext');
  assert.equal(report.kinds.accounts.inserted, '3');
  assert.equal(report.kinds.products.inserted, '3');
  assert.equal(report.kinds.orders.inserted, '4');
  assert.equal(report.kinds.lines.inserted, '5');
  assert.deepEqual(sql(db, ACCOUNTS), [
    account('erpnext', 'Grant Plastics Ltd.', 'Grant Plastics Ltd.', 'Commercial', 'United States', null, null, 'USD'),
    account('erpnext', 'Palmer Productions Ltd.', 'Palmer Productions Ltd.', 'Commercial', 'Germany', null, null, 'EUR'),
    // No Billing Currency: the store's default.
    account('erpnext', 'West View Software Ltd.', 'West View Software Ltd.', 'Commercial', 'United States', null, null, 'USD'),
  ]);
  const category = 'Demo Item Group';
  assert.deepEqual(sql(db, PRODUCTS), [
    { source: 'erpnext', ext_id: 'SKU001', name: 'T-shirt', category, list_price: '4000000', cost: '3000000', status: 'active' },
    { source: 'erpnext', ext_id: 'SKU002', name: 'Laptop', category, list_price: '12000000', cost: '9500000', status: 'active' },
    { source: 'erpnext', ext_id: 'SKU003', name: 'Book', category, list_price: '500000', cost: '355000', status: 'discontinued' },
  ]);
  const order = (id, acct, date, promised, status, currency) => ({
    source: 'erpnext', ext_id: id, account: acct, rep_id: null, order_date: date, requested_date: null,
    promised_date: promised, ship_date: null, status, status_date: date, currency,
  });
  assert.deepEqual(sql(db, ORDERS), [
    order('SAL-ORD-2024-00001', 'Grant Plastics Ltd.', '19845', '19852', 'invoiced', 'USD'), // Completed
    order('SAL-ORD-2024-00002', 'West View Software Ltd.', '19857', '19873', 'confirmed', 'USD'), // To Deliver and Bill
    order('SAL-ORD-2024-00003', 'Grant Plastics Ltd.', '19863', '19870', 'shipped', 'USD'), // To Bill
    order('SAL-ORD-2024-00004', 'Palmer Productions Ltd.', '19865', '19879', 'draft', 'EUR'), // Draft
  ]);
  const line = (o, no, sku, qty, price, shipped) => ({
    order: o, line_no: no, sku, qty, unit_price: price, discount: '0', shipped_qty: shipped,
  });
  assert.deepEqual(sql(db, LINES), [
    line('SAL-ORD-2024-00001', '1', 'SKU003', '9', '500000', '9'),
    // Rate 405.0 is the price list's 450.0 less 10 %: the discount is not taken off twice.
    line('SAL-ORD-2024-00002', '1', 'SKU001', '3', '4050000', '0'),
    line('SAL-ORD-2024-00003', '1', 'SKU002', '2', '12000000', '2'),
    line('SAL-ORD-2024-00003', '2', 'SKU001', '1', '4000000', '1'),
    line('SAL-ORD-2024-00004', '1', 'SKU002', '1', '11000000', '0'),
  ]);
  assertIdempotent(dir, db, 'erpnext');
});

test('--list-presets lists the four presets with their descriptions', () => {
  const r = run(['import', '--list-presets']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^salesforce +Salesforce report exports \(Export > Details Only > \.csv, en_US locale\): an Opportunities report/m);
  assert.match(r.stdout, /^hubspot +HubSpot CRM exports \(Export view, all properties, CSV, with associated records\): deals saved as Deals\.csv/m);
  assert.match(r.stdout, /^odoo +Odoo Sales exports \(Export, not import-compatible, CSV or XLSX, files keep Odoo's default names\)/m);
  assert.match(r.stdout, /^erpnext +ERPNext Report view exports \(list > Report view > Export, CSV; the file is named after the document type\)/m);
});
