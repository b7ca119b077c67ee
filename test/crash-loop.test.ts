// The crash-loops of a first rollout, predicted before deploying: the invoice-jobs app audited
// against the manifests of its first apply (`before`) and of its fixed rollout (`after`).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../src/findings.js';
import { describeFindings, readExpectations } from './expectations.js';

const root = path.resolve(import.meta.dirname, '..');
const app = 'fixtures/apps/invoice-jobs';
const before = `${app}/deploy/overlays/before`;
const after = `${app}/deploy/overlays/after`;
const LINK_RULES = new Set(['required-env', 'missing-backing-service', 'template-placeholder', 'local-fs-persistence']);

interface EnvEntry {
  workload: string;
  variable: string;
  required: boolean;
  providedBy: { source: string; by: string }[];
}

function auditApp(): { findings: Finding[]; errors: unknown[]; workloads: { workload: string; package?: string; entry?: string }[]; env: EnvEntry[] } {
  const { status, stdout, stderr } = spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), app, '--format', 'json', '--out', '-'], { cwd: root, encoding: 'utf8' });
  expect(stderr).toBe('');
  expect(status).toBe(0);
  return JSON.parse(stdout) as ReturnType<typeof auditApp>;
}

describe('crash-loop prediction (fixtures/apps/invoice-jobs)', () => {
  const report = auditApp();
  const linked = report.findings.filter((finding) => LINK_RULES.has(finding.ruleId));

  it('finds exactly what the app is annotated with, and reads every file', () => {
    expect(report.errors).toEqual([]);
    expect(describeFindings(report.findings)).toEqual(readExpectations(root, app));
  });

  it('names each crash of the first apply as a P0 at the code or template line, with the workload and the overlay', () => {
    const expectations: [string, RegExp][] = [
      ['required-env', /`INVOICE_WORKER_CONCURRENCY` .*Deployment\/api/],
      ['required-env', /`REMINDER_WORKER_CONCURRENCY` .*Deployment\/api/],
      ['local-fs-persistence', /`\$JOBS_DIR` is not set in Deployment\/api/],
      ['missing-backing-service', /Deployment\/api connects to `redis:6379`.*no Service `redis`/],
      ['template-placeholder', /`\$\{PUBLIC_HOST\}` .*Deployment\/ui/],
    ];
    for (const [ruleId, message] of expectations) {
      const finding = linked.find((candidate) => candidate.ruleId === ruleId && message.test(candidate.message));
      expect(finding, `${ruleId} ${message}`).toBeDefined();
      expect(finding?.severity).toBe('P0');
      // A source rule's finding names the overlays in its message; a cross rule's lists them too.
      if (finding?.overlays === undefined) expect(finding?.message).toContain(`overlay \`${before}\``);
      else expect(finding.overlays).toEqual([before]);
      expect(finding?.file).toMatch(/^fixtures\/apps\/invoice-jobs\/packages\//);
    }
    expect(linked).toHaveLength(expectations.length);
  });

  it('finds none of them once the manifests are fixed', () => {
    expect(linked.filter((finding) => finding.overlays?.includes(after) === true || finding.message.includes(after))).toEqual([]);
  });

  it('lists the workloads with their package and entry, and the environment contract per overlay', () => {
    expect(report.workloads.map((w) => `${w.workload} ${w.package ?? 'not linked'} ${w.entry ?? ''}`)).toEqual([
      `Deployment/api ${app}/packages/api ${app}/packages/api/src/server.ts`,
      `Deployment/ui ${app}/packages/ui `,
      'StatefulSet/redis not linked ',
    ]);
    const concurrency = report.env.find((entry) => entry.workload === 'Deployment/api' && entry.variable === 'INVOICE_WORKER_CONCURRENCY');
    expect(concurrency?.required).toBe(true);
    expect(concurrency?.providedBy).toEqual([
      { source: after, by: '`env`' },
      { source: before, by: 'nobody' },
    ]);
  });
});
