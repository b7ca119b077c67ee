// The same input gives the same bytes: whatever order the file system lists the files in, and
// whichever folder the CLI is started from.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readExpectations } from './expectations.js';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const exampleApp = path.join(root, 'fixtures/apps/csv-portal');
const scratch: string[] = [];
afterAll(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const appFiles = readdirSync(exampleApp, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => path.relative(exampleApp, path.join(entry.parentPath, entry.name)))
  .sort();

/** A copy of the example app at `<temp>/csv-portal`, its files (and so its folders) created in the given order. */
function copyApp(order: readonly string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-determinism-'));
  scratch.push(dir);
  for (const file of order) {
    mkdirSync(path.dirname(path.join(dir, 'csv-portal', file)), { recursive: true });
    copyFileSync(path.join(exampleApp, file), path.join(dir, 'csv-portal', file));
  }
  return dir;
}

/** Runs the CLI from `cwd` on `app`, reporting into `out`, and returns every report file's text by name. */
function runReports(cwd: string, app: string, out: string): Record<string, string> {
  const { status, stderr } = spawnSync(process.execPath, [cli, app, '--out', out, '--format', 'md,json', '--quiet'], { cwd, encoding: 'utf8' });
  expect(stderr).toBe('');
  expect(status).toBe(0);
  const reports: Record<string, string> = {};
  const outDir = path.resolve(cwd, out);
  for (const entry of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) reports[path.relative(outDir, path.join(entry.parentPath, entry.name))] = readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
  }
  return reports;
}

/**
 * Markdown tables pad every cell to the widest one, so a longer path prefix widens the columns;
 * fingerprints hash the cwd-relative path (see the todo below). Neither says anything about order.
 */
function withoutCwdDependentParts(reports: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(reports).map(([name, text]) => [
      name,
      text
        .split('\n')
        .map((line) => (line.startsWith('|') ? line.replace(/ +\|/g, ' |').replace(/-{2,}/g, '--') : line))
        .join('\n')
        .replace(/"fingerprint": "[0-9a-f-]+"/g, '"fingerprint": "…"'),
    ]),
  );
}

describe('determinism', () => {
  const forward = copyApp(appFiles);
  const backward = copyApp([...appFiles].reverse());
  const reference = runReports(forward, 'csv-portal', 'report');

  it('writes byte-identical Markdown and JSON whatever order the files were created in', () => {
    expect(Object.keys(reference).sort()).toEqual(['K8S_READINESS_AUDIT.md', 'k8s-audit.json', 'manifests/local.yaml', 'manifests/prod.yaml']);
    expect(runReports(backward, 'csv-portal', 'report')).toEqual(reference);
  });

  it('writes the same reports from another working directory, up to the path prefix', () => {
    const prefix = `${path.basename(backward)}/`;
    const fromParent = runReports(path.dirname(backward), `${prefix}csv-portal`, `${prefix}report-from-parent`);
    const normalised = Object.fromEntries(Object.entries(fromParent).map(([name, text]) => [name, text.split(prefix).join('').split('report-from-parent').join('report')]));
    expect(withoutCwdDependentParts(normalised)).toEqual(withoutCwdDependentParts(reference));
  });

  it('gives a finding the same fingerprint whichever working directory the CLI runs from', () => {
    const fingerprints = (reports: Record<string, string>): string[] =>
      (JSON.parse(reports['k8s-audit.json'] ?? '{}') as { findings: { fingerprint: string }[] }).findings.map((finding) => finding.fingerprint);
    const prefix = `${path.basename(backward)}/`;
    const fromParent = runReports(path.dirname(backward), `${prefix}csv-portal`, `${prefix}report-from-parent`);
    expect(fingerprints(fromParent)).toEqual(fingerprints(reference));
    // One fingerprint per annotated finding, none shared.
    expect(new Set(fingerprints(reference)).size).toBe(readExpectations(root, 'fixtures/apps/csv-portal').length);
  });
});
