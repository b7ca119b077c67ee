// --changed-since REF on a throw-away git repository: only findings in files the branch changed
// (committed, uncommitted or untracked), or with a related location in one; a bad ref or no
// repository is a usage error.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-changed-'));
const repo = path.join(scratch, 'repo');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: GIT_ENV, encoding: 'utf8' });

function run(cwd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync(process.execPath, [cli, '--no-config', '--format', 'json', '--out', '-', ...args], { cwd, encoding: 'utf8' });
  return { status, stdout, stderr };
}

interface Report {
  findings: { file: string; ruleId: string; related?: { file: string }[]; overlays?: string[] }[];
}

beforeAll(() => {
  cpSync(path.join(root, 'fixtures/apps/csv-portal'), repo, { recursive: true });
  git('init', '--quiet', '--initial-branch=main');
  git('add', '.');
  git('commit', '--quiet', '-m', 'the app as it is');
  git('switch', '--quiet', '-c', 'feature');
  // Committed on the branch: an edit to the job routes, where queue.ts's and worker.ts's findings have related sites.
  appendFileSync(path.join(repo, 'packages/api/src/routes/jobs.ts'), '\n// results are served by the API pod that wrote them\n');
  git('commit', '--quiet', '-am', 'a comment in routes/jobs.ts');
  // Not committed: an edit to a manifest, and a new file.
  appendFileSync(path.join(repo, 'deploy/k8s/base/redis.yaml'), '# reviewed\n');
  writeFileSync(path.join(repo, 'packages/api/src/drafts.ts'), "import express from 'express';\nconst drafts = new Map<string, string>();\nexport const app = express();\napp.put('/d/:id', (req, res) => { drafts.set(req.params.id, String(req.body)); res.end(); });\napp.get('/d/:id', (req, res) => res.send(drafts.get(req.params.id)));\n");
});

describe('--changed-since', () => {
  it('keeps only findings in files changed since the ref, committed or not, or related to one', () => {
    const all = JSON.parse(run(repo, ['.']).stdout) as Report;
    const { status, stdout } = run(repo, ['.', '--changed-since', 'main']);
    expect(status).toBe(0);
    const changed = JSON.parse(stdout) as Report;
    const files = [...new Set(changed.findings.map((f) => f.file))].sort();
    expect(files).toEqual([
      'deploy/k8s/base/redis.yaml',
      'packages/api/src/drafts.ts',
      'packages/api/src/queue.ts',
      'packages/api/src/routes/jobs.ts',
      'packages/api/src/worker.ts',
    ]);
    // queue.ts and worker.ts did not change: their findings stay for their related sites in routes/jobs.ts.
    for (const f of changed.findings.filter((f) => f.file === 'packages/api/src/queue.ts' || f.file === 'packages/api/src/worker.ts')) {
      expect(f.related?.map((r) => r.file)).toContain('packages/api/src/routes/jobs.ts');
    }
    expect(changed.findings.length).toBeLessThan(all.findings.length);
    // Exactly the findings in a changed file or with a related site in one, nothing else.
    const changedFiles = new Set(['deploy/k8s/base/redis.yaml', 'packages/api/src/drafts.ts', 'packages/api/src/routes/jobs.ts']);
    expect(changed.findings).toEqual(all.findings.filter((f) => changedFiles.has(f.file) || (f.related ?? []).some((r) => changedFiles.has(r.file))));
  });

  it("keeps the base findings of an overlay whose kustomization.yaml changed, and only that overlay's", () => {
    git('switch', '--quiet', '-c', 'scale-prod', 'main');
    try {
      const kustomization = path.join(repo, 'deploy/k8s/overlays/prod/kustomization.yaml');
      writeFileSync(kustomization, readFileSync(kustomization, 'utf8').replace('count: 3', 'count: 4'));
      git('commit', '--quiet', '-m', 'four API replicas in prod', '--', 'deploy/k8s/overlays/prod/kustomization.yaml');
      const all = JSON.parse(run(repo, ['.']).stdout) as Report;
      const changed = JSON.parse(run(repo, ['.', '--changed-since', 'main']).stdout) as Report;
      const prod = 'deploy/k8s/overlays/prod';
      const inProd = changed.findings.filter((f) => f.overlays?.includes(prod) === true);
      expect(inProd.some((f) => f.file.startsWith('deploy/k8s/base/'))).toBe(true);
      expect(inProd).toEqual(all.findings.filter((f) => f.overlays?.includes(prod) === true));
      // Findings of the local overlay alone stay out, but for the work tree's uncommitted redis.yaml edit.
      const localOnly = all.findings.filter((f) => f.overlays !== undefined && !f.overlays.includes(prod) && !f.file.startsWith('packages/') && f.file !== 'deploy/k8s/base/redis.yaml');
      expect(localOnly.length).toBeGreaterThan(0);
      for (const finding of localOnly) expect(changed.findings).not.toContainEqual(finding);
    } finally {
      git('switch', '--quiet', 'feature');
    }
  });

  it('works from a subfolder, with paths relative to it', () => {
    const { stdout } = run(path.join(repo, 'packages'), ['.', '--changed-since', 'main']);
    expect([...new Set((JSON.parse(stdout) as Report).findings.map((f) => f.file))].sort()).toEqual(['api/src/drafts.ts', 'api/src/queue.ts', 'api/src/routes/jobs.ts', 'api/src/worker.ts']);
  });

  it('exits 2 on a ref that does not exist, and outside a git repository', () => {
    const badRef = run(repo, ['.', '--changed-since', 'no-such-branch']);
    expect(badRef.status).toBe(2);
    expect(badRef.stdout).toBe('');
    expect(badRef.stderr.split('\n')[0]).toBe('k8s-audit: --changed-since: "no-such-branch" is not a commit, branch or tag in this repository (fetch it first in a shallow CI checkout)');
    const optionLike = run(repo, ['.', '--changed-since=--output=x.txt']);
    expect(optionLike.status).toBe(2);
    expect(optionLike.stderr.split('\n')[0]).toBe('k8s-audit: --changed-since takes a git ref, not "--output=x.txt"');
    const outside = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-no-git-'));
    try {
      cpSync(path.join(root, 'fixtures/suppression-reason'), outside, { recursive: true });
      const noRepo = run(outside, ['.', '--changed-since', 'main']);
      expect(noRepo.status).toBe(2);
      expect(noRepo.stderr.split('\n')[0]).toMatch(/^k8s-audit: --changed-since needs a git repository: .* is not in one/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
