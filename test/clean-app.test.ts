// The counter-example: fixtures/apps/clean-orders is written the way the findings recommend
// (Redis sessions and limits, S3 uploads, stdout logs, SIGTERM drain, validated env, separate
// worker), so the audit must find nothing above P2 in it. Two planted regressions show the
// audit still looks at it.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../src/findings.js';
import { describeFindings, readExpectations } from './expectations.js';

const root = path.resolve(import.meta.dirname, '..');
const app = 'fixtures/apps/clean-orders';

function auditFolder(cwd: string, folder: string): { findings: Finding[]; errors: unknown[]; workloads: { workload: string; entry?: string }[] } {
  const { status, stdout, stderr } = spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), folder, '--format', 'json', '--out', '-'], { cwd, encoding: 'utf8' });
  expect(stderr).toBe('');
  expect(status).toBe(0);
  return JSON.parse(stdout) as ReturnType<typeof auditFolder>;
}

describe('a service written for Kubernetes (fixtures/apps/clean-orders)', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'k8s-audit-clean-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('links both workloads to their entries and finds no P0 or P1', () => {
    const report = auditFolder(root, app);
    expect(report.errors).toEqual([]);
    expect(report.workloads.map((workload) => `${workload.workload} ${workload.entry ?? '-'}`)).toEqual([
      `Deployment/api ${app}/packages/api/src/server.ts`,
      `Deployment/worker ${app}/packages/worker/src/worker.ts`,
    ]);
    expect(report.findings.filter((finding) => finding.severity !== 'P2').map((finding) => `${finding.file}:${finding.line} ${finding.ruleId}`)).toEqual([]);
    expect(describeFindings(report.findings)).toEqual(readExpectations(root, app));
  });

  it('reports the regressions planted in a copy: a session store removed, a secret no longer provided', () => {
    cpSync(path.join(root, app), scratch, { recursive: true });
    const server = path.join(scratch, 'packages/api/src/server.ts');
    const serverText = readFileSync(server, 'utf8');
    const storeLine = "    store: new RedisStore({ client: redis, prefix: 'sess:' }),\n";
    expect(serverText).toContain(storeLine);
    writeFileSync(server, serverText.replace(storeLine, ''));
    const config = path.join(scratch, 'deploy/base/config.yaml');
    const secretKey = '    - secretKey: SESSION_SECRET\n      remoteRef:\n        key: orders/session\n        property: secret\n';
    expect(readFileSync(config, 'utf8')).toContain(secretKey);
    writeFileSync(config, readFileSync(config, 'utf8').replace(secretKey, ''));

    const findings = auditFolder(scratch, '.').findings.filter((finding) => finding.severity === 'P0');
    expect(findings.map((finding) => `${finding.file}:${finding.ruleId}`).sort()).toEqual(['packages/api/src/config.ts:required-env', 'packages/api/src/server.ts:memory-session']);
  });
});
