// End to end: the built binary as a child process, as a user or CI runs it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allRules } from '../src/audit.js';
import { renderRulesTable } from '../src/report/rules-table.js';
import { describeFindings, readExpectations } from './expectations.js';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const exampleApp = 'fixtures/apps/csv-portal';
const scratch = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
  return { status, stdout, stderr };
}

/** Runs the audit of the example app into a fresh folder and returns its path relative to the repo. */
function auditExampleApp(name: string): string {
  const out = path.relative(root, path.join(scratch, name));
  const { status, stderr } = run([exampleApp, '--out', out, '--format', 'md,json', '--quiet']);
  expect(stderr).toBe('');
  expect(status).toBe(0);
  return out;
}

function readTree(dir: string, replace: [string, string]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.relative(path.join(root, dir), path.join(entry.parentPath, entry.name));
    files[file] = readFileSync(path.join(entry.parentPath, entry.name), 'utf8').split(replace[0]).join(replace[1]);
  }
  return files;
}

describe('k8s-audit CLI', () => {
  it('prints its version and help', () => {
    const version = run(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version);
    const help = run(['--help']);
    expect(help.status).toBe(0);
    // The README's Options block is the help text a newcomer reads first: they must agree line for line.
    const readmeOptions = readFileSync(path.join(root, 'README.md'), 'utf8').split('\n').filter((line) => line.startsWith('  --'));
    expect(readmeOptions.length).toBeGreaterThan(5);
    for (const line of readmeOptions) expect(help.stdout.split('\n')).toContain(line);
  });

  it('exits 2 with one line on a usage error', () => {
    for (const args of [['--fail-on', 'P4'], ['--format', 'html'], ['--bogus'], ['--format', 'md,json', '--out', '-'], ['no/such/folder']]) {
      const { status, stderr, stdout } = run(args);
      expect(status, args.join(' ')).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.split('\n')[0]).toMatch(/^k8s-audit: /);
    }
  });

  it('finds exactly what the example app is annotated with', () => {
    const { status, stdout } = run([exampleApp, '--format', 'json', '--out', '-']);
    expect(status).toBe(0);
    const report = JSON.parse(stdout) as { findings: { file: string; line: number; ruleId: string; severity: string }[]; errors: unknown[] };
    expect(report.errors).toEqual([]);
    expect(describeFindings(report.findings)).toEqual(readExpectations(root, exampleApp));
  });

  it('lists the overlays a manifest finding holds in, once for a base line they share', () => {
    const report = JSON.parse(run([exampleApp, '--format', 'json', '--out', '-']).stdout) as { findings: { file: string; ruleId: string; overlays?: string[] }[] };
    const overlays = `${exampleApp}/deploy/k8s/overlays`;
    const redisTag = report.findings.filter((f) => f.file.endsWith('base/redis.yaml') && f.ruleId === 'image-tag');
    expect(redisTag.map((f) => f.overlays)).toEqual([[`${overlays}/local`, `${overlays}/prod`]]);
    const patched = report.findings.filter((f) => f.file.endsWith('prod/api-patch.yaml') && f.ruleId === 'optional-secret');
    expect(patched.map((f) => f.overlays)).toEqual([[`${overlays}/prod`], [`${overlays}/prod`]]);
  });

  it('writes SARIF with every rule described, and the PR comment with links to the head commit', () => {
    const sarif = JSON.parse(run([exampleApp, '--format', 'sarif', '--out', '-']).stdout) as { runs: { tool: { driver: { rules: unknown[] } }; results: unknown[] }[] };
    expect(sarif.runs[0]?.tool.driver.rules).toHaveLength(allRules.length);
    expect(sarif.runs[0]?.results.length).toBeGreaterThan(0);
    const { stdout } = spawnSync(process.execPath, [cli, exampleApp, '--format', 'github', '--out', '-'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, GITHUB_REPOSITORY: 'acme/csv-portal', GITHUB_SHA: 'abc123', GITHUB_SERVER_URL: '' },
    });
    expect(stdout).toContain(`https://github.com/acme/csv-portal/blob/abc123/${exampleApp}/`);
    // GitHub Enterprise: the links go to its server.
    const enterprise = spawnSync(process.execPath, [cli, exampleApp, '--format', 'github', '--out', '-'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, GITHUB_REPOSITORY: 'acme/csv-portal', GITHUB_SHA: 'abc123', GITHUB_SERVER_URL: 'https://git.example.com/' },
    });
    expect(enterprise.stdout).toContain(`https://git.example.com/acme/csv-portal/blob/abc123/${exampleApp}/`);
  });

  it('gates on --fail-on', () => {
    expect(run([exampleApp, '--format', 'json', '--out', '-', '--fail-on', 'P0']).status).toBe(1);
    expect(run([exampleApp, '--format', 'json', '--out', '-', '--fail-on', 'none']).status).toBe(0);
  });

  it('writes byte-identical reports on two runs, matching the committed reports/', () => {
    const first = auditExampleApp('first');
    const second = auditExampleApp('second');
    const firstTree = readTree(first, [first, 'reports']);
    expect(readTree(second, [second, 'reports'])).toEqual(firstTree);
    expect(Object.keys(firstTree).sort()).toEqual(['K8S_READINESS_AUDIT.md', 'k8s-audit.json', 'manifests/local.yaml', 'manifests/prod.yaml']);
    // Stale committed reports fail here: run `npm run reports` and commit the result.
    expect(readTree('reports', ['', ''])).toEqual(firstTree);
  });

  it('fails the gate on an overlay that does not render, and gates one overlay without its siblings', () => {
    const gate = 'fixtures/bad-input/gate/overlays';
    const broken = run(['fixtures/bad-input/gate', '--overlay', `${gate}/broken`, '--fail-on', 'P0', '--format', 'json', '--out', '-']);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain(`gate failed: overlay ${gate}/broken was not rendered`);
    const prod = run(['fixtures/bad-input/gate', '--overlay', `${gate}/prod`, '--fail-on', 'P0', '--format', 'json', '--out', '-']);
    // staging's debug pod has a typo, but staging is not the overlay being promoted.
    expect(JSON.parse(prod.stdout).findings).toEqual([]);
    expect(prod.status).toBe(0);
    const all = run(['fixtures/bad-input/gate', '--format', 'json', '--out', '-']);
    expect(JSON.parse(all.stdout).findings.map((f: { file: string; ruleId: string }) => `${f.file} ${f.ruleId}`)).toEqual([
      `${gate}/staging/debug-pod.yaml schema`,
    ]);
  });

  it('reports a YAML alias bomb instead of crashing', () => {
    const { status, stdout } = run(['fixtures/bad-input/anchors', '--format', 'json', '--out', '-']);
    expect(status).toBe(0);
    expect(JSON.parse(stdout).errors).toEqual([
      { file: 'fixtures/bad-input/anchors/many-aliases.yaml', message: expect.stringContaining('Excessive alias count') },
    ]);
  });

  it('does not audit the manifests a previous run wrote', () => {
    const out = auditExampleApp('rerun');
    const { stdout } = run([exampleApp, out, '--format', 'json', '--out', '-']);
    expect(JSON.parse(stdout).findings.filter((f: { file: string }) => f.file.startsWith(out))).toEqual([]);
  });

  it('keeps the README rule table and sample output in step with the code', () => {
    // Stale? Run `npm run reports`.
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain(renderRulesTable(allRules));
    expect(readme).toContain(run([exampleApp, '--format', 'text', '--out', '-']).stdout);
  });

  it('reports a YAML file that does not parse and a TypeScript syntax error, and audits the rest', () => {
    const { status, stdout } = run(['fixtures/bad-input/syntax', '--format', 'json', '--out', '-']);
    expect(status).toBe(0);
    const report = JSON.parse(stdout) as { findings: { file: string; ruleId: string }[]; errors: { file: string; message: string }[] };
    expect(report.errors.map((e) => e.file).sort()).toEqual(['fixtures/bad-input/syntax/broken-deployment.yaml', 'fixtures/bad-input/syntax/broken-handler.ts']);
    expect(report.findings.map((f) => `${f.file} ${f.ruleId}`)).toEqual(
      expect.arrayContaining(['fixtures/bad-input/syntax/redis.yaml image-tag', 'fixtures/bad-input/syntax/sessions.ts in-memory-state']),
    );
  });
});
