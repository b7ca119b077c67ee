// A short run of the fuzzer on every test run, with a fixed seed so a failure replays; long runs
// are `npm run fuzz -- --count 10000` (see scripts/fuzz.mjs).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

it('audit() survives 30 mutated manifests, kustomizations and sources', () => {
  const { status, stdout, stderr } = spawnSync(process.execPath, [path.join(root, 'scripts/fuzz.mjs'), '--count', '30', '--seed', '42'], { cwd: root, encoding: 'utf8' });
  expect(stderr).toBe('');
  expect(stdout, stdout).toMatch(/^fuzz: 30 inputs, 0 crashes, 0 hangs \(seed 42, [\d.]+ s\)\n$/);
  expect(status).toBe(0);
});
