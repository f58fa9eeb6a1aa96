// SPDX-License-Identifier: MIT
// Every case of the csv-spectrum suite (npm devDependency) through the CSV
// reader: tests/tools/csv-dump reads node_modules/csv-spectrum/csvs/NAME.csv
// and its JSON must equal json/NAME.json exactly (keys in header order, every
// value a string).
//
// One case contradicts a documented rule of ours and is asserted as the error
// our rule gives, with the reason, in DEVIATIONS below; a case added to the
// suite later is asserted like the others, so a new conflict shows as a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SPECTRUM = path.join(ROOT, 'node_modules', 'csv-spectrum');
const DUMP = process.env.SD_TOOL_CSV_DUMP;
if (!DUMP) throw new Error('SD_TOOL_CSV_DUMP is not set (run the tests through ctest)');

// csv.h: "a quote inside an unquoted field ... [is an error] (SD_EINVAL)" (strict
// RFC 4180, section 2.5: fields with quotes must be quoted). The case's row 2
// has `37°36'37.8"N` unquoted. Its JSON is also not what the CSV says (a bare
// object, not an array, and phone number 1234567890 where the CSV has
// 2095257564), so no reader could match it as written.
const DEVIATIONS = {
  location_coordinates: {
    code: 3,
    message: "location_coordinates.csv:2: column 'Location Coordinates': quote inside an unquoted value",
  },
};

function dump(file) {
  const r = spawnSync(DUMP, [file], { encoding: 'utf8' });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const names = readdirSync(path.join(SPECTRUM, 'csvs'))
  .filter((f) => f.endsWith('.csv'))
  .map((f) => path.basename(f, '.csv'))
  .sort();

test('csv-spectrum is installed with all its cases', () => {
  assert.ok(names.length >= 12, `only ${names.length} cases in ${SPECTRUM}/csvs`);
  for (const name of names) readFileSync(path.join(SPECTRUM, 'json', `${name}.json`));
  for (const name of Object.keys(DEVIATIONS)) assert.ok(names.includes(name), name);
});

for (const name of names) {
  test(`csv-spectrum ${name}`, () => {
    const csv = path.join(SPECTRUM, 'csvs', `${name}.csv`);
    const expected = JSON.parse(readFileSync(path.join(SPECTRUM, 'json', `${name}.json`), 'utf8'));
    const r = dump(csv);
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
    const deviation = DEVIATIONS[name];
    if (deviation) {
      assert.equal(r.code, deviation.code, `exit ${r.code}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      // csv-dump names the file by the path it was given.
      const dir = path.join(SPECTRUM, 'csvs') + path.sep;
      assert.ok(r.stderr.startsWith(`csv-dump: ${dir}${deviation.message}`), r.stderr);
      assert.equal(r.stderr.split('\n').filter((l) => l !== '').length, 1, r.stderr);
      return;
    }
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    const got = JSON.parse(r.stdout);
    assert.deepStrictEqual(got, expected);
    // deepStrictEqual ignores key order; the header's order must hold too.
    for (let i = 0; i < expected.length; i++)
      assert.deepStrictEqual(Object.keys(got[i]), Object.keys(expected[i]), `record ${i + 1} key order`);
  });
}
