// One harness for every rule: audit `fixtures/<rule-id>/` with that rule alone and compare the
// exact set of (file, line, rule, level) with the fixture's inline `expect:` annotations.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRules, audit } from '../src/audit.js';
import { describeFindings, readExpectations } from './expectations.js';

const root = path.resolve(import.meta.dirname, '..');
/** Fixture folders that are not one rule's: whole apps, and inputs for robustness tests. */
const SHARED_FOLDERS = new Set(['apps', 'bad-input']);
const ruleFolders = readdirSync(path.join(root, 'fixtures'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !SHARED_FOLDERS.has(entry.name))
  .map((entry) => entry.name)
  .sort();

describe('rule fixtures', () => {
  it('every rule has a fixture folder and every fixture folder is a rule', () => {
    expect(ruleFolders).toEqual(allRules.map((rule) => rule.id).sort());
  });

  for (const rule of allRules) {
    it(`${rule.id}: exactly the expected findings`, async () => {
      const folder = `fixtures/${rule.id}`;
      const result = await audit({ cwd: root, paths: [folder], rules: [rule] });
      expect(result.errors).toEqual([]);
      const expected = readExpectations(root, folder);
      expect(expected.some((line) => line.includes(` ${rule.id} `)), 'a fixture with no true positive cannot fail').toBe(true);
      expect(describeFindings(result.findings)).toEqual(expected);
    });
  }
});
