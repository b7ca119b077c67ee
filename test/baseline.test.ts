// The baseline end to end on a copy of the example app: the gate fails, --update-baseline records
// what is known, the gate passes, and a new P0 fails it again and is marked new in the PR comment.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'k8s-audit-baseline-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const { status, stdout, stderr } = spawnSync(process.execPath, [cli, 'app', '--no-config', ...args], { cwd: scratch, encoding: 'utf8' });
  return { status, stdout, stderr };
}

it('hides known findings, and a new P0 fails the gate again and is marked new', () => {
  cpSync(path.join(root, 'fixtures/apps/csv-portal'), path.join(scratch, 'app'), { recursive: true });
  const gate = ['--fail-on', 'P0', '--format', 'json', '--out', '-'];
  expect(run(gate).status).toBe(1);

  const update = run(['--update-baseline', '--baseline', 'baseline.json', '--fail-on', 'P0', '--format', 'json', '--out', '-']);
  expect(update.status).toBe(0);
  const written = readFileSync(path.join(scratch, 'baseline.json'), 'utf8');
  const entries = (JSON.parse(written) as { findings: { fingerprint: string; ruleId: string; file: string; message: string }[] }).findings;
  expect(entries.length).toBe((JSON.parse(update.stdout) as { findings: unknown[] }).findings.length);
  expect(Object.keys(entries[0]!)).toEqual(['fingerprint', 'ruleId', 'file', 'message']);
  const sortKey = (e: { file: string; ruleId: string; fingerprint: string }) => `${e.file}\0${e.ruleId}\0${e.fingerprint}`;
  expect(entries.map(sortKey)).toEqual(entries.map(sortKey).sort());
  // Deterministic: a second update writes the same bytes.
  run(['--update-baseline', '--baseline', 'baseline.json', '--format', 'json', '--out', '-']);
  expect(readFileSync(path.join(scratch, 'baseline.json'), 'utf8')).toBe(written);

  const known = run(['--baseline', 'baseline.json', ...gate]);
  expect(known.status).toBe(0);
  expect(JSON.parse(known.stdout)).toMatchObject({ summary: { P0: 0, P1: 0, P2: 0, baseline: { known: entries.length, new: 0 } }, findings: [] });

  // A new module-level store written in a route handler, inserted above a known finding in the same file.
  const login = path.join(scratch, 'app/packages/api/src/routes/login.ts');
  const lines = readFileSync(login, 'utf8').split('\n');
  lines.splice(6, 0, 'const resetTokens = new Map<string, string>();');
  lines.push(
    "loginRouter.post('/password/reset', (req, res) => {",
    "  resetTokens.set(String(req.body?.email ?? ''), randomInt(0, 1_000_000).toString());",
    '  res.status(204).end();',
    '});',
    "loginRouter.post('/password/confirm', (req, res) => {",
    "  res.json({ valid: resetTokens.get(String(req.body?.email ?? '')) === req.body?.token });",
    '});',
    '',
  );
  writeFileSync(login, lines.join('\n'));
  const fresh = run(['--baseline', 'baseline.json', ...gate]);
  expect(fresh.status).toBe(1);
  const report = JSON.parse(fresh.stdout) as { summary: { baseline: unknown }; findings: { file: string; line: number; ruleId: string; severity: string; new?: boolean }[] };
  expect(report.findings.map((f) => `${f.file}:${f.line} ${f.ruleId} ${f.severity} ${f.new}`)).toEqual(['app/packages/api/src/routes/login.ts:7 in-memory-state P0 true']);
  expect(report.summary.baseline).toEqual({ known: entries.length, new: 1 });

  const comment = run(['--baseline', 'baseline.json', '--format', 'github', '--out', '-']).stdout;
  expect(comment).toContain(`🆕 1 new finding not in the baseline; ${entries.length} known findings in the baseline are not shown.`);
  expect(comment).toMatch(/\| 🆕 `resetTokens` is written in `POST \/password\/reset` and read in `POST \/password\/confirm`/);
  expect(comment.match(/🆕 `/g)).toHaveLength(2);
});

it('exits 2 on a baseline file that does not exist or is not one', () => {
  cpSync(path.join(root, 'fixtures/apps/csv-portal'), path.join(scratch, 'app'), { recursive: true });
  const missing = run(['--baseline', 'nope.json', '--format', 'json', '--out', '-']);
  expect(missing.status).toBe(2);
  expect(missing.stderr.split('\n')[0]).toBe('k8s-audit: baseline nope.json does not exist; write it with --update-baseline');
  const partial = run(['--update-baseline', '--changed-since', 'main', '--format', 'json', '--out', '-']);
  expect(partial.status).toBe(2);
  expect(partial.stderr.split('\n')[0]).toBe('k8s-audit: --update-baseline records every finding; without --changed-since, or the baseline would hold only the changed files');
  writeFileSync(path.join(scratch, 'not-a-baseline.json'), '{"findings": 3}');
  const wrong = run(['--baseline', 'not-a-baseline.json', '--format', 'json', '--out', '-']);
  expect(wrong.status).toBe(2);
  expect(wrong.stderr).toContain('baseline not-a-baseline.json has no "findings" list');
});
