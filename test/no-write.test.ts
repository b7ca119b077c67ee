// An audit reads the scanned tree and writes only where --out says: not a report, a rendered
// manifest, a cache or a temporary wrapper inside the tree, not even one deleted afterwards.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-no-write-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every entry of the tree: a file's checksum, a folder's modification time (which any create or delete in it moves). */
function snapshot(dir: string): Record<string, string> {
  const entries: Record<string, string> = { '.': `dir ${lstatSync(dir).mtimeMs}` };
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const absolute = path.join(entry.parentPath, entry.name);
    const name = path.relative(dir, absolute);
    if (entry.isDirectory()) entries[name] = `dir ${lstatSync(absolute).mtimeMs}`;
    else entries[name] = `file ${createHash('sha256').update(readFileSync(absolute)).digest('hex')}`;
  }
  return entries;
}

it('leaves every file and folder of the scanned tree as it was', () => {
  const app = path.join(scratch, 'csv-portal');
  cpSync(path.join(root, 'fixtures/apps/csv-portal'), app, { recursive: true });
  const before = snapshot(app);
  expect(Object.keys(before).length).toBeGreaterThan(10);
  const { status, stderr } = spawnSync(process.execPath, [cli, 'csv-portal', '--out', 'report', '--format', 'md,json', '--quiet'], { cwd: scratch, encoding: 'utf8' });
  expect(stderr).toBe('');
  expect(status).toBe(0);
  expect(snapshot(app)).toEqual(before);
  expect(readdirSync(path.join(scratch, 'report')).sort()).toEqual(['K8S_READINESS_AUDIT.md', 'k8s-audit.json', 'manifests']);
});
