// Keeps the registry, the rule files and the metadata that documents them in agreement.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRules } from '../src/audit.js';
import { CATEGORIES, EFFORTS, LEVELS } from '../src/findings.js';

const root = path.resolve(import.meta.dirname, '..');
const ruleFiles = (folder: string): string[] =>
  readdirSync(path.join(root, 'src', folder))
    .filter((file) => file.endsWith('.ts') && file !== 'index.ts')
    .map((file) => file.replace(/\.ts$/, ''));

describe('rule metadata', () => {
  it('one file per rule, named by its id, each registered once', () => {
    expect(allRules.filter((r) => r.kind === 'source' || r.kind === 'cross').map((r) => r.id).sort()).toEqual(ruleFiles('rules').sort());
    expect(allRules.filter((r) => r.kind === 'manifest').map((r) => r.id).sort()).toEqual(ruleFiles('manifest-rules').sort());
    expect(allRules.filter((r) => r.kind === 'resolve').map((r) => r.id).sort()).toEqual(ruleFiles('resolve-rules').sort());
    expect(new Set(allRules.map((r) => r.id)).size).toBe(allRules.length);
  });

  for (const rule of allRules) {
    it(`${rule.id}: documented for a person`, () => {
      expect(rule.id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(CATEGORIES).toContain(rule.category);
      expect(LEVELS).toContain(rule.severity);
      expect(EFFORTS).toContain(rule.effort);
      expect(rule.docs.summary).toMatch(/^[A-Z`].{10,}[^.]$/);
      // why and fix are sentences: they are printed as they are under every finding.
      expect(rule.docs.why).toMatch(/^[A-Z`].{20,}\.$/);
      expect(rule.docs.fix).toMatch(/^[A-Z`].{20,}\.$/);
    });
  }
});
