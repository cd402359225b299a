'use strict';
// The TypeScript declarations name what the package exports, and nothing it does not.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const sdk = require('..');

test('index.d.ts declares every export and only those', () => {
  const declarations = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8');
  const declared = new Set(
    [...declarations.matchAll(/^export (?:class|function|const) (\w+)/gm)].map((m) => m[1]),
  );
  assert.deepEqual([...declared].sort(), Object.keys(sdk).sort());
  for (const name of ['Pricing', 'Webhooks', 'Keys', 'Security']) {
    // reached through an Agency
    assert.match(declarations, new RegExp(`export interface ${name} `));
  }
});
